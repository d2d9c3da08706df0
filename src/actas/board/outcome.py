"""What a write to the board comes to: its answer, and the entry it made or found."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Outcome:
    """What the server answers to one submission."""

    status: int
    body: dict[str, Any]
    index: int | None = None
