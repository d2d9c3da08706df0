"""Options several commands share, so that each means the same everywhere."""

from __future__ import annotations

from typing import Annotated

import typer

Contest = Annotated[
    str | None,
    typer.Option(help="The contest to analyse (its id); needed when the election has several, refused otherwise."),
]
