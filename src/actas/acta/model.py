"""The acta: the tally sheet a voting machine prints and signs for its station."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from enum import StrEnum
from functools import cached_property
from typing import Any

from actas.signed_note import SignedNote


class ActaKind(StrEnum):
    ZERO = "zero"
    """Printed when the polls open: every count is zero."""
    FINAL = "final"
    """Printed when the polls close: the station's results."""


@dataclass(frozen=True)
class ContestCount:
    """The counts of one contest: one per ballot option in ballot order, and the null votes."""

    contest: str
    options: tuple[str, ...]
    votes: tuple[int, ...]
    """votes[i] is the count of options[i]."""
    null: int

    @property
    def total(self) -> int:
        return sum(self.votes) + self.null

    def __reduce__(self) -> tuple[type[ContestCount], tuple[str, tuple[str, ...], tuple[int, ...], int]]:
        return ContestCount, (self.contest, self.options, self.votes, self.null)

    def count(self, option: str) -> int:
        return self.votes[self.options.index(option)]


@dataclass(frozen=True)
class Acta:
    kind: ActaKind
    election: str
    fingerprint: str
    station: str
    machine: str
    registered: int
    voters: int
    receipts: int
    opened: str
    contests: tuple[ContestCount, ...]
    closed: str | None = None
    zero: str | None = None
    """SHA-256 of the zero acta's payload: the seed of the receipt chain (final actas only)."""
    chain: str | None = None
    """The code of the last receipt printed, or the seed when no vote was cast (final actas only)."""
    ballots: str | None = None
    """The last confirmation code of the mesa's encrypted ballots, which commits to all of them in
    order (final actas of a machine that encrypts its ballots, docs/e2e.md)."""

    def __reduce__(self) -> tuple[type[Acta], tuple[Any, ...]]:
        """Pickled as its fields in order: five times faster to load than a dataclass's state, which
        matters when a board's verification sends hundreds of thousands of actas between processes."""
        return Acta, tuple(getattr(self, f.name) for f in fields(self))


@dataclass(frozen=True)
class SignedActa:
    """An acta with the signed note that carries it; `payload` is the exact text printed in the QR."""

    acta: Acta
    note: SignedNote

    @cached_property
    def payload(self) -> str:
        return self.note.to_text()

    @cached_property
    def digest(self) -> str:
        """SHA-256 of the payload: how receipts, boards and reports name this exact acta."""
        return hashlib.sha256(self.payload.encode()).hexdigest()
