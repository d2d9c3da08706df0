"""A dataset: per-station results of one contest, from any source, with where each row came from.

This is the one form in which actas holds results it did not count itself (a CSV published by an
observer mission, an authority's export, a mirror of a board): the ballot (options, grouped into
candidates as party cards are), the geography levels, one row per station with its place in the
geography, registered voters and voters when known, a count per option, null and blank votes when
known, and the provenance of the row (which source, which line, whether a signature verified it).
Totals declared for the whole election (all stations, all registered voters) say how much of it the
dataset covers. Counts are exact integers; an unknown count is None, never 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from actas.errors import FormatError

UNKNOWN = -1
"""How an unknown count is stored in the columns (counts are never negative)."""


@dataclass(frozen=True)
class Option:
    """A line of the ballot: a party card, or a candidate where the ballot has one line per candidate."""

    id: str
    name: str
    candidate: str
    candidate_name: str


class Signature(StrEnum):
    """What a row's signature says. Only INVALID is alarming: a signature that fails its check. Most data
    (a CSV, an authority's export, a 2024 acta's QR code) never carried one: UNSIGNED proves nothing either
    way and accuses no one."""

    VALID = "valid"
    INVALID = "invalid"
    UNSIGNED = "unsigned"


@dataclass(frozen=True)
class Signatures:
    """How many rows carry each kind of signature."""

    valid: int = 0
    invalid: int = 0
    unsigned: int = 0

    @classmethod
    def of(cls, found: Iterable[Signature | None]) -> Signatures:
        """Counted from rows' signatures (None, a side with no row, is not counted)."""
        seen = Counter(found)
        return cls(seen[Signature.VALID], seen[Signature.INVALID], seen[Signature.UNSIGNED])

    def said(self) -> str:
        """In words: only invalid signatures are alarming, and unsigned rows are not called invalid."""
        parts = [f"{self.valid:,} signature valid"] if self.valid else []
        if self.invalid:
            parts.append(f"{self.invalid:,} signature INVALID (altered or forged)")
        if self.unsigned:
            parts.append(f"{self.unsigned:,} unsigned (nothing to check, nothing wrong)")
        return ", ".join(parts) or "no rows"


class Provenance(NamedTuple):
    source: int
    """Index into the dataset's sources."""
    line: int
    """Line of the source file (1 = the first line, the header included), or the entry's index."""
    signature: Signature = Signature.UNSIGNED
    """Whether a signature over this row's counts was checked, and what it said."""


class StationRow(NamedTuple):
    """One station's results. A named tuple, not a dataclass: a million of them are made in seconds."""

    code: str
    path: tuple[str, ...]
    """The station's unit at each geography level, top first (as many as the dataset's levels)."""
    registered: int | None
    voters: int | None
    votes: tuple[int, ...]
    """One count per option, in ballot order."""
    null: int | None
    blank: int | None
    provenance: Provenance

    @property
    def valid(self) -> int:
        return sum(self.votes)

    @property
    def ballots(self) -> int:
        """Ballots cast: the voters when known, else the votes known (valid, null, blank)."""
        return self.voters if self.voters is not None else self.valid + (self.null or 0) + (self.blank or 0)


@dataclass(frozen=True)
class Declared:
    """What the authority says the whole election holds, where the dataset has only part of it."""

    stations: int | None = None
    registered: int | None = None


@dataclass
class Dataset:
    name: str
    contest: str
    options: tuple[Option, ...]
    levels: tuple[str, ...]
    sources: list[str] = field(default_factory=list)
    rows: list[StationRow] = field(default_factory=list)
    declared: Declared = field(default_factory=Declared)
    unit_names: dict[tuple[str, ...], str] = field(default_factory=dict)
    """Display names of geography units, by their path of codes (only those a source gives)."""
    paper: dict[str, tuple[int, ...]] = field(default_factory=dict)
    """Witnesses' hand counts of the paper receipts, by station, one per option in ballot order: what an
    observer's board adds to its actas (not kept in dataset files)."""
    ballots: dict[str, tuple[int, ...]] = field(default_factory=dict)
    """The trustees' decryption of each mesa's encrypted ballots, by station, one per option in ballot
    order: what an official board that publishes them adds to its actas (not kept in dataset files)."""

    def __post_init__(self) -> None:
        ids = [o.id for o in self.options]
        if len(set(ids)) != len(ids):
            raise FormatError(f"dataset {self.name}: option ids repeat: {sorted({i for i in ids if ids.count(i) > 1})}")
        if not self.options:
            raise FormatError(f"dataset {self.name}: the ballot has no options")

    @property
    def candidates(self) -> list[tuple[str, str]]:
        """(id, name) of each candidate, in ballot order of their first option."""
        seen: dict[str, str] = {}
        for option in self.options:
            seen.setdefault(option.candidate, option.candidate_name)
        return list(seen.items())

    def candidate_columns(self) -> list[list[int]]:
        """For each candidate, the positions of its options."""
        positions: dict[str, list[int]] = {}
        for i, option in enumerate(self.options):
            positions.setdefault(option.candidate, []).append(i)
        return list(positions.values())

    def by_candidate(self, votes: Sequence[int]) -> dict[str, int]:
        """Counts per option added up by candidate (a candidate's party cards together), every candidate
        present, in ballot order."""
        totals = dict.fromkeys((cid for cid, _ in self.candidates), 0)
        for option, n in zip(self.options, votes, strict=True):
            totals[option.candidate] += n
        return totals

    def add(self, row: StationRow) -> None:
        if len(row.votes) != len(self.options):
            raise FormatError(f"station {row.code}: {len(row.votes)} counts for {len(self.options)} options")
        if len(row.path) != len(self.levels):
            raise FormatError(f"station {row.code}: {len(row.path)} geography codes for {len(self.levels)} levels")
        self.rows.append(row)

    def __iter__(self) -> Iterator[StationRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def level_index(levels: Sequence[str], level: str | None) -> int:
    """Depth of `level` (0 = the nation, 1 = the top level, ...); the nation when None."""
    if level is None or level in ("national", "nation"):
        return 0
    if level not in levels:
        raise FormatError(f"no level {level!r}: the levels are national, {', '.join(levels)}")
    return levels.index(level) + 1


def natural_order(place: tuple[str, ...]) -> list[tuple[int, int | str]]:
    """Units' codes in the order people expect: numbers by value (2 before 10), then text."""
    return [(0, int(code)) if code.isdigit() else (1, code) for code in place]
