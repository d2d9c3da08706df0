"""The command line's consoles, progress bars, tables and JSON output, shared by its command modules.

Every table fits the terminal (80 columns included) without cutting a number: numbers never wrap or
shrink, text folds onto more lines, and where the numbers alone are too wide, the table leaves out
its last columns and says which in its caption (`--json` has them all).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)
MIN_TEXT = 12
"""The narrowest a text column is made before columns are left out."""

SHOWN = 20
"""Lines listed before "... and N more": a terminal's worth."""


@dataclass(frozen=True)
class Col:
    heading: str
    number: bool = False
    """A column of numbers: right-aligned, never wrapped or shortened."""


def _width(col: Col, cells: Sequence[str]) -> int:
    widest = max([*(len(line) for line in col.heading.split("\n")), *(len(c) for c in cells)])
    return widest if col.number else min(widest, MIN_TEXT)


STYLES: tuple[dict[str, Any], ...] = (
    {},
    {"box": box.SIMPLE_HEAD, "show_edge": False, "pad_edge": False, "collapse_padding": True},
    {"box": box.SIMPLE_HEAD, "show_edge": False, "pad_edge": False, "padding": (0, 0)},
)
"""From the roomiest to the tightest: boxed, then ruled under the headings only, then one space apart."""
GAPS = ((3, 1), (2, -2), (1, -1))
"""Each style's width beyond its cells: so much per column, plus a constant."""


def _needed(style: int, columns: Sequence[Col], rows: Sequence[Sequence[str]]) -> int:
    per_column, more = GAPS[style]
    return sum(_width(c, [r[i] for r in rows]) + per_column for i, c in enumerate(columns)) + more


def fits(columns: Sequence[Col], rows: Sequence[Sequence[str]]) -> bool:
    """Whether a table of these columns fits the terminal with its numbers whole, in its tightest style."""
    return _needed(len(STYLES) - 1, columns, rows) <= out.width


def table(title: str, columns: Sequence[Col], rows: Sequence[Sequence[str]], *, keep: int = 2) -> Table:
    """A table of `columns` that fits the terminal: boxed if it can be, tighter if not, and if even the
    tightest is too wide, the columns after the first `keep` are left out, last first, until the numbers
    fit, and the caption names them. A heading may hold a line break to take less width."""
    shown = len(columns)
    while shown > keep and not fits(columns[:shown], rows):
        shown -= 1
    style = next((i for i in range(len(STYLES)) if _needed(i, columns[:shown], rows) <= out.width), len(STYLES) - 1)
    made = Table(title=title, title_justify="left", **STYLES[style])
    for col in columns[:shown]:
        if col.number:
            made.add_column(col.heading, justify="right", no_wrap=True)
        else:
            made.add_column(col.heading, overflow="fold", min_width=min(MIN_TEXT, len(col.heading)))
    for row in rows:
        made.add_row(*row[:shown])
    if shown < len(columns):
        made.caption = (
            "not shown at this width: "
            + ", ".join(c.heading.replace("\n", " ") for c in columns[shown:])
            + " (see --json)"
        )
    return made


VOTES_COLUMNS = (Col("Candidate"), Col("Votes", number=True), Col("%", number=True))
"""A contest's results: each candidate's votes and share of the valid votes."""


def candidate_rows(contest: dict[str, Any]) -> list[list[str]]:
    """The rows of VOTES_COLUMNS for a contest of a results view (as the server's API gives it), the
    leader first and the null votes last."""
    valid = contest["valid"]
    rows = [
        [c["name"], f"{c['votes']:,}", f"{100 * c['votes'] / valid:.2f}" if valid else "-"]
        for c in sorted(contest["candidates"], key=lambda c: -c["votes"])
    ]
    return [*rows, ["Null", f"{contest['null']:,}", ""]]


def progress() -> Progress:
    """A progress bar on stderr, shown only on a terminal and gone when done."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
