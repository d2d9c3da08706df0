"""An observer organization's parallel tabulation, as a pure function of its witnesses' reports.

Each witness's latest report on a mesa is that witness's word on it (an earlier one stays on the
board, superseded). A mesa is then:

- **complete** when its witnesses' reports carry one acta, the same for all who carry one; it is
  *confirmed* when two or more witnesses carry that same acta;
- **conflict** when they carry different actas: every report is kept, no acta is counted;
- **partial** when reports came but none carries an acta (the witness was sent away, no acta was
  printed, the code could not be read);
- **missing** when no witness reported.

Apart from that status, a mesa can have *incidents* and a *paper difference*: a witness's hand
count of the paper receipts that differs from the acta's count, or from another witness's hand
count. The progressive totals count the acta of every complete mesa.

Only the reports of the witnesses assigned to a mesa (on the organization's published list) make
its status. A *roving* witness's report on another mesa, where the organization allows them, is
kept and shown beside the others, and flagged, but never makes a mesa complete, confirmed or in
conflict, and never counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from actas.acta.model import Acta
from actas.election import Election
from actas.tally.progressive import CONFLICT, MISSING, NATION, ProgressiveResults
from actas.witness.report import WitnessReport

COMPLETE, PARTIAL = "complete", "partial"
FLAGS = ("confirmed", "incidents", "paper_differs", "roving")


@dataclass(frozen=True)
class Filed:
    """One report on the observer's board, its acta already checked against the key registry."""

    index: int
    report: WitnessReport
    acta: Acta | None = None
    digest: str | None = None
    """SHA-256 of the acta's payload, as the official board names it."""


@dataclass(frozen=True)
class MesaRecord:
    station: str
    status: str
    reports: tuple[Filed, ...] = ()
    """The latest report of each witness, in board order."""
    superseded: tuple[int, ...] = ()
    """Board indices of earlier reports that a witness replaced with a later one."""
    confirmed: bool = False
    incidents: int = 0
    paper_differs: bool = False
    roving: tuple[Filed, ...] = ()
    """The latest report of each roving witness (one not assigned to this mesa), in board order."""

    @property
    def actas(self) -> dict[str, Acta]:
        """The distinct actas the reports carry, by digest."""
        return {f.digest: f.acta for f in self.reports if f.acta is not None and f.digest is not None}

    def flags(self) -> dict[str, bool]:
        return {
            "confirmed": self.confirmed,
            "incidents": self.incidents > 0,
            "paper_differs": self.paper_differs,
            "roving": bool(self.roving),
        }


def acta_counts(acta: Acta) -> dict[str, int]:
    """The acta's count of each ballot option (by option id, every contest)."""
    return {option: votes for c in acta.contests for option, votes in zip(c.options, c.votes, strict=True)}


def _hand_differs(hand: Mapping[str, int], stated: Mapping[str, int]) -> bool:
    return any(hand.get(option, 0) != stated.get(option, 0) for option in set(hand) | set(stated))


def judge(
    station: str, filed: list[Filed], superseded: tuple[int, ...] = (), roving: tuple[Filed, ...] = ()
) -> MesaRecord:
    """The record of one mesa from its assigned witnesses' latest reports (and, beside them, roving ones')."""
    if not filed:
        return MesaRecord(station, MISSING, superseded=superseded, roving=roving)
    actas = {f.digest: f.acta for f in filed if f.acta is not None}
    status = PARTIAL if not actas else COMPLETE if len(actas) == 1 else CONFLICT
    carriers = {f.report.witness for f in filed if f.acta is not None}
    hands = [dict(f.report.hand) for f in filed if f.report.hand_counted]
    differs = any(_hand_differs(h, hands[0]) for h in hands[1:])
    if status == COMPLETE:
        stated = acta_counts(next(iter(actas.values())))
        differs = differs or any(_hand_differs(h, stated) for h in hands)
    return MesaRecord(
        station,
        status,
        tuple(filed),
        superseded,
        confirmed=status == COMPLETE and len(carriers) >= 2,
        incidents=sum(len(f.report.incidents) for f in filed),
        paper_differs=differs,
        roving=roving,
    )


@dataclass
class _Coverage:
    code: str
    name: str
    level: str
    stations: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys((COMPLETE, PARTIAL, CONFLICT), 0))
    flags: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FLAGS, 0))
    children: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        reported = sum(self.counts.values())
        return {
            "code": self.code,
            "name": self.name,
            "level": self.level,
            "stations": self.stations,
            **self.counts,
            MISSING: self.stations - reported,
            **self.flags,
        }


class WitnessTally:
    """The observer's record of every mesa, the coverage of every unit, and the witnessed totals."""

    def __init__(self, election: Election) -> None:
        self.election = election
        self.results = ProgressiveResults(election)
        self._units: dict[str, _Coverage] = {NATION: _Coverage(NATION, election.name, "national")}
        for u in election.units:
            self._units[u.code] = _Coverage(u.code, u.name, u.level)
        for u in election.units:
            self._units[u.parent if u.parent is not None else NATION].children.append(u.code)
        self._paths: dict[str, tuple[_Coverage, ...]] = {}
        for s in election.stations:
            self._paths[s.code] = (self._units[NATION], *(self._units[u.code] for u in election.path(s)))
            for unit in self._paths[s.code]:
                unit.stations += 1
        self._latest: dict[str, dict[str, Filed]] = {}
        self._superseded: dict[str, list[int]] = {}
        self._records: dict[str, MesaRecord] = {}
        self._assigned: dict[str, frozenset[str]] | None = None
        """Witness -> the mesas the organization's list assigns them (None before a list is seen)."""

    def assign(self, assignments: Mapping[str, frozenset[str]]) -> None:
        """The organization's list, as published: which reports that follow are assigned, which roving."""
        self._assigned = dict(assignments)

    def _is_roving(self, filed: Filed) -> bool:
        return self._assigned is not None and filed.report.station not in self._assigned.get(filed.report.witness, ())

    def add(self, filed: Filed) -> MesaRecord:
        """File a report (in board order) and return its mesa's new record."""
        station, witness = filed.report.station, filed.report.witness
        path = self._paths.get(station)
        if path is None:
            raise KeyError(station)
        latest = self._latest.setdefault(station, {})
        if witness in latest:
            self._superseded.setdefault(station, []).append(latest.pop(witness).index)
        latest[witness] = filed
        before = self._records.get(station)
        filed_now = sorted(latest.values(), key=lambda f: f.index)
        assigned = [f for f in filed_now if not self._is_roving(f)]
        roving = tuple(f for f in filed_now if self._is_roving(f))
        record = judge(station, assigned, tuple(self._superseded.get(station, ())), roving)
        for unit in path:
            if before is not None:
                if before.status != MISSING:  # a mesa with roving reports alone is still missing
                    unit.counts[before.status] -= 1
                for flag, on in before.flags().items():
                    unit.flags[flag] -= on
            if record.status != MISSING:
                unit.counts[record.status] += 1
            for flag, on in record.flags().items():
                unit.flags[flag] += on
        self._records[station] = record
        self.results.set_finals(station, list(record.actas.items()))
        return record

    def record(self, station: str) -> MesaRecord:
        """The record of a mesa (KeyError if the election has none of that code)."""
        if station not in self._paths:
            raise KeyError(station)
        return self._records.get(station) or MesaRecord(station, MISSING)

    def records(self) -> dict[str, MesaRecord]:
        """Every mesa a witness reported on."""
        return dict(self._records)

    def coverage(self, code: str = NATION) -> dict[str, Any]:
        """How much of a unit (the nation by default) the witnesses cover, and the same for each child."""
        unit = self._units.get(code)
        if unit is None:
            raise KeyError(code)
        return {**unit.to_json(), "children": [self._units[c].to_json() for c in unit.children]}
