"""Columns a mapping makes from the file's own: how one source's ids are brought to another's form.

Real files spell the same mesa differently: the opposition's 2024 CSV has the centre `10101001` and
the mesa `1` in two columns, the QR code of the same acta says `010101001.01.1.0001`. A derived column
takes one or more columns (joined with `join`), then in this order: keeps one part of a split
(`split`, `part`), keeps what a regular expression captures (`match`, and `value`, a template of its
groups, `{1}` by default), and strips leading zeros or pads with them (`zeros`). Later derived
columns may use earlier ones. A row whose value the steps cannot read is refused with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_SOURCE = 256
"""The longest value a derived column reads: ids are short, and a regular expression over a field of a
megabyte could take unbounded time."""
MAX_PATTERN = 200
_GROUP = re.compile(r"\{(\d+)\}")


class DerivationError(Exception):
    """Why a row's value cannot be derived."""


@dataclass(frozen=True)
class Derived:
    name: str
    sources: tuple[str, ...]
    join: str = ""
    split: str | None = None
    part: int = 0
    match: re.Pattern[str] | None = None
    value: str = "{1}"
    zeros: str | int | None = None
    """"strip", or the width to pad to with leading zeros."""

    def check(self) -> str | None:
        """What is wrong with this definition, if anything (the mapping names it)."""
        if self.split == "":
            return "split must be a separator of at least one character"
        if self.match is not None:
            groups = [int(g) for g in _GROUP.findall(self.value)]
            if any(g > self.match.groups for g in groups):
                return f"value {self.value!r} names a group the pattern does not have ({self.match.groups} groups)"
        if isinstance(self.zeros, str) and self.zeros != "strip":
            return 'zeros must be "strip" or a width to pad to'
        if isinstance(self.zeros, int) and not 1 <= self.zeros <= 64:
            return "zeros must pad to a width from 1 to 64"
        return None

    def apply(self, values: list[str]) -> str:
        text = self.join.join(v.strip() for v in values)
        if len(text) > MAX_SOURCE:
            raise DerivationError(f"column {self.name}: its source is longer than {MAX_SOURCE} characters")
        if self.split is not None:
            parts = text.split(self.split)
            if not -len(parts) <= self.part < len(parts):
                raise DerivationError(
                    f"column {self.name}: {text[:40]!r} has no part {self.part} when split on {self.split!r}"
                )
            text = parts[self.part]
        if self.match is not None:
            found = self.match.search(text)
            if found is None:
                pattern = self.match.pattern
                raise DerivationError(f"column {self.name}: {text[:40]!r} does not match the pattern {pattern}")
            groups = (found[0], *found.groups(default=""))
            text = _GROUP.sub(lambda g: groups[int(g[1])], self.value)
        if self.zeros == "strip":
            text = text.lstrip("0") or ("0" if text else "")
        elif isinstance(self.zeros, int):
            text = text.zfill(self.zeros)
        return text


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """A mapping's regular expression, or ValueError saying why it cannot be one."""
    if len(pattern) > MAX_PATTERN:
        raise ValueError(f"longer than {MAX_PATTERN} characters")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(str(exc)) from None
