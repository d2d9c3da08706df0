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

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)
MIN_TEXT = 12
"""The narrowest a text column is made before columns are left out."""


@dataclass(frozen=True)
class Col:
    heading: str
    number: bool = False
    """A column of numbers: right-aligned, never wrapped or shortened."""


def _width(col: Col, cells: Sequence[str]) -> int:
    widest = max([len(col.heading), *(len(c) for c in cells)])
    return widest if col.number else min(widest, MIN_TEXT)


def fits(columns: Sequence[Col], rows: Sequence[Sequence[str]]) -> bool:
    """Whether a table of these columns fits the terminal with its numbers whole."""
    return sum(_width(c, [r[i] for r in rows]) + 3 for i, c in enumerate(columns)) + 1 <= out.width


def table(title: str, columns: Sequence[Col], rows: Sequence[Sequence[str]], *, keep: int = 2) -> Table:
    """A table of `columns` that fits the terminal: the columns after the first `keep` are left out, last
    first, until the numbers fit, and the caption names them."""
    shown = len(columns)
    while shown > keep and not fits(columns[:shown], rows):
        shown -= 1
    made = Table(title=title, title_justify="left")
    for col in columns[:shown]:
        if col.number:
            made.add_column(col.heading, justify="right", no_wrap=True)
        else:
            made.add_column(col.heading, overflow="fold", min_width=min(MIN_TEXT, len(col.heading)))
    for row in rows:
        made.add_row(*row[:shown])
    if shown < len(columns):
        made.caption = "not shown at this width: " + ", ".join(c.heading for c in columns[shown:]) + " (see --json)"
    return made


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
