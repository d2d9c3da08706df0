"""Setting two tabulations side by side, mesa by mesa: the official one and an observer's.

Stations are matched by code, and compared candidate by candidate (the options of a candidate added
up), so a source that counts party cards can be held against one that counts only candidates.
Each station is identical, different (which candidates, by how much), only in the official
results, or only in the observer's; each side says whether a signature verified its row.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from actas.dataset.model import Dataset, StationRow, level_index

IDENTICAL, DIFFERENT, ONLY_OFFICIAL, ONLY_OBSERVER = "identical", "different", "only-official", "only-observer"
STATUSES = (IDENTICAL, DIFFERENT, ONLY_OFFICIAL, ONLY_OBSERVER)


@dataclass(frozen=True)
class Difference:
    candidate: str
    official: int
    observer: int

    @property
    def delta(self) -> int:
        """How many more votes the official results give the candidate than the observer's acta."""
        return self.official - self.observer


@dataclass(frozen=True)
class Compared:
    station: str
    path: tuple[str, ...]
    status: str
    differences: tuple[Difference, ...] = ()
    official_verified: bool | None = None
    observer_verified: bool | None = None


@dataclass
class Reconciliation:
    official: str
    observer: str
    candidates: list[str]
    stations: list[Compared] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for s in self.stations if s.status == status)

    @property
    def differs(self) -> bool:
        return any(s.status != IDENTICAL for s in self.stations)

    def by_unit(self, levels: tuple[str, ...], level: str | None) -> dict[tuple[str, ...], dict[str, int]]:
        """How many stations of each status in each unit of `level`."""
        depth = level_index(levels, level)
        units: dict[tuple[str, ...], dict[str, int]] = {}
        for s in self.stations:
            counts = units.setdefault(s.path[:depth], dict.fromkeys(STATUSES, 0))
            counts[s.status] += 1
        return dict(sorted(units.items()))

    def rows(self) -> Iterator[tuple[str, str, str, int | str, int | str, int | str]]:
        """(station, status, candidate, official, observer, difference): one row per difference."""
        for s in self.stations:
            if s.status == DIFFERENT:
                for d in s.differences:
                    yield s.station, s.status, d.candidate, d.official, d.observer, d.delta
            elif s.status != IDENTICAL:
                yield s.station, s.status, "", "", "", ""


def _by_candidate(dataset: Dataset, row: StationRow) -> dict[str, int]:
    totals: dict[str, int] = {}
    for option, votes in zip(dataset.options, row.votes, strict=True):
        totals[option.candidate] = totals.get(option.candidate, 0) + votes
    return totals


def reconcile(official: Dataset, observer: Dataset) -> Reconciliation:
    candidates = list(dict.fromkeys([c for c, _ in official.candidates] + [c for c, _ in observer.candidates]))
    result = Reconciliation(official.name, observer.name, candidates)
    theirs = {row.code: row for row in observer}
    seen = set()
    for row in official:
        seen.add(row.code)
        other = theirs.get(row.code)
        if other is None:
            result.stations.append(Compared(row.code, row.path, ONLY_OFFICIAL, (), row.provenance.verified))
            continue
        ours, mine = _by_candidate(official, row), _by_candidate(observer, other)
        differences = tuple(
            Difference(c, ours.get(c, 0), mine.get(c, 0)) for c in candidates if ours.get(c, 0) != mine.get(c, 0)
        )
        status = DIFFERENT if differences else IDENTICAL
        result.stations.append(
            Compared(row.code, row.path, status, differences, row.provenance.verified, other.provenance.verified)
        )
    for row in observer:
        if row.code not in seen:
            result.stations.append(Compared(row.code, row.path, ONLY_OBSERVER, (), None, row.provenance.verified))
    return result
