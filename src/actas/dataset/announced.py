"""What an authority announced, as an input file (TOML; see docs/import.md).

Authorities announce totals, not stations: votes per candidate (sometimes only the leaders, with the
rest as one "others" figure), null votes, voters, registered voters, the share of actas counted and
the time. This is the unsigned record of such a bulletin, for holding it against the actas; the two
bulletins of the Venezuelan council in 2024 ship with actas as examples (`importers/examples/`),
read by `importers.announced_file`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from actas.errors import FormatError

MAX_ANNOUNCED_BYTES = 64 * 1024
OTHERS = "others"
KEYS = {
    "authority",
    "title",
    "issued",
    "contest",
    "actas_counted",
    "registered",
    "registered_on_counted_actas",
    "valid",
    "null",
    "voters",
    "votes",
    "source",
}


@dataclass(frozen=True)
class Announced:
    authority: str
    title: str
    issued: str
    """The date, or date and time, as announced (ISO 8601)."""
    contest: str
    votes: tuple[tuple[str, int], ...]
    """(candidate id, or 'others' for the candidates not named one by one, votes), as announced."""
    actas_counted: Decimal | None = None
    """Per cent of actas counted, exactly as announced (80, 96.87)."""
    valid: int | None = None
    null: int | None = None
    voters: int | None = None
    registered: int | None = None
    registered_on_counted_actas: int | None = None
    source: str | None = None

    @property
    def total(self) -> int:
        """The votes announced for candidates, others included."""
        return sum(v for _, v in self.votes)


def _count(data: dict[str, Any], key: str, where: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FormatError(f"{where}: {key} must be a whole number of votes, found {value!r}")
    return value


def parse_announced(data: dict[str, Any], where: str) -> Announced:
    unknown = sorted(set(data) - KEYS)
    if unknown:
        raise FormatError(f"{where}: unknown key {', '.join(unknown)}")
    for key in ("authority", "title", "issued", "contest", "votes"):
        if key not in data:
            raise FormatError(f"{where}: {key} is required")
    issued = data["issued"]
    if isinstance(issued, dt.datetime | dt.date):
        issued = issued.isoformat()
    if not isinstance(issued, str):
        raise FormatError(f"{where}: issued must be a date or a date and time")
    votes = data["votes"]
    if not isinstance(votes, dict) or not votes:
        raise FormatError(f"{where}: [votes] must list candidates and their votes")
    counted = data.get("actas_counted")
    share = None
    if counted is not None:
        try:
            share = Decimal(str(counted).rstrip("%").strip())
        except InvalidOperation:
            raise FormatError(f"{where}: actas_counted must be a percentage, found {counted!r}") from None
        if not Decimal(0) <= share <= Decimal(100):
            raise FormatError(f"{where}: actas_counted must be between 0 and 100, found {counted!r}")
    for key in ("authority", "title", "contest"):
        if not isinstance(data[key], str) or not data[key].strip():
            raise FormatError(f"{where}: {key} must be text")
    return Announced(
        authority=data["authority"],
        title=data["title"],
        issued=issued,
        contest=data["contest"],
        votes=tuple((str(k), _count(votes, k, f"{where} [votes]") or 0) for k in votes),
        actas_counted=share,
        valid=_count(data, "valid", where),
        null=_count(data, "null", where),
        voters=_count(data, "voters", where),
        registered=_count(data, "registered", where),
        registered_on_counted_actas=_count(data, "registered_on_counted_actas", where),
        source=data.get("source") if isinstance(data.get("source"), str) else None,
    )
