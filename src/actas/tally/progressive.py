"""Progressive results at every level of the geography, as a pure function of the actas seen so far.

Feed it the board's actas in board order; ask it for any unit (or the nation) at any time. A
station is *in conflict* when its actas do not tell one story: two different final actas, two
different zero actas (the machine was opened twice), or a final acta that follows another zero acta
than the one on the board. All of them are kept on the board, none is counted, and every view says
how many stations are in conflict. Counts are exact integers; percentages are left to whoever
displays them.
"""

from __future__ import annotations

import operator
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from actas.acta.model import Acta, ActaKind
from actas.election import Election
from actas.tally.encrypted import EncryptedTally
from actas.tally.view import (
    CandidateVotes,
    ChildUnit,
    ContestResults,
    ContestShares,
    Coverage,
    OptionVotes,
    StationLine,
    UnitResults,
)

NATION = ""
"""The code of the whole election, above the top level of the geography."""
REPORTED, MISSING, CONFLICT = "reported", "missing", "conflict"
CONFLICTS_LISTED = 50
"""How many of a unit's mesas in conflict its results name (the count covers them all)."""


def in_conflict(finals: Sequence[Acta], zeros: Collection[str]) -> bool:
    """Whether a station's different final actas and the digests of its different zero actas disagree."""
    if len(finals) > 1 or len(zeros) > 1:
        return True
    return bool(finals and zeros) and finals[0].zero not in zeros


def station_status(finals: Sequence[Acta], zeros: Collection[str]) -> str:
    """A station's status from its different final actas and zero actas' digests: in conflict when they
    disagree, else reported (one final acta) or missing (none)."""
    if in_conflict(finals, zeros):
        return CONFLICT
    return REPORTED if finals else MISSING


def status_of(actas: Iterable[tuple[Acta, str]]) -> str:
    """A station's status from its actas on the board, each with its digest."""
    finals: dict[str, Acta] = {}
    zeros: set[str] = set()
    for acta, digest in actas:
        if acta.kind is ActaKind.FINAL:
            finals[digest] = acta
        else:
            zeros.add(digest)
    return station_status(list(finals.values()), zeros)


@dataclass
class _Unit:
    code: str
    name: str
    level: str
    stations: int = 0
    registered: int = 0
    reported: int = 0
    covered: int = 0
    voters: int = 0
    conflicts: int = 0
    counts: list[list[int]] = field(default_factory=list)
    """Per contest: one count per option in ballot order, then the null votes."""
    children: list[str] = field(default_factory=list)


class ProgressiveResults:
    def __init__(self, election: Election) -> None:
        self.election = election
        width = [len(c.options) + 1 for c in election.contests]
        self._widths = [len(c.options) for c in election.contests]
        self._units: dict[str, _Unit] = {NATION: _Unit(NATION, election.name, "national")}
        for u in election.units:
            self._units[u.code] = _Unit(u.code, u.name, u.level)
        for unit in self._units.values():
            unit.counts = [[0] * w for w in width]
        for u in election.units:
            self._units[u.parent if u.parent is not None else NATION].children.append(u.code)
        self._paths: dict[str, tuple[_Unit, ...]] = {}
        for s in election.stations:
            path = (self._units[NATION], *(self._units[u.code] for u in election.path(s)))
            self._paths[s.code] = path
            for unit in path:
                unit.stations += 1
                unit.registered += s.registered
        self._finals: dict[str, list[tuple[str, Acta]]] = {}
        self._zeros: dict[str, list[str]] = {}
        """The digests of each station's different zero actas."""
        self._in_conflict: set[str] = set()
        self._stations_of: dict[str, list[str]] = {}
        """The stations of each lowest-level unit, in the definition's order."""
        for s in election.stations:
            self._stations_of.setdefault(s.unit, []).append(s.code)
        self._registered = {s.code: s.registered for s in election.stations}
        self.encrypted: EncryptedTally | None = None
        """What each mesa's encrypted ballots say, on a board that publishes them (`tally.board_count`)."""
        self._candidate_of = [
            [contest.candidate_ids.index(o.candidate) for o in contest.options] for contest in election.contests
        ]
        """Per contest, the index of each option's candidate."""

    def add(self, acta: Acta, digest: str) -> bool:
        """Count a final acta (others are ignored). Returns True when its station is now in conflict."""
        station = acta.station
        if acta.kind is not ActaKind.FINAL or station not in self._paths:
            return False
        seen = self._finals.get(station)
        if seen is None:  # the common case, a station's first final acta: counted unless its zero acta differs
            zeros = self._zeros.get(station)
            if zeros is None or acta.zero in zeros and len(zeros) == 1:
                self._finals[station] = [(digest, acta)]
                self._apply(self._paths[station], acta, +1)
                return False
            seen = []
        if any(d == digest for d, _ in seen):
            return self._conflicted(station)
        return self.set_finals(station, [*seen, (digest, acta)])

    def add_zero(self, station: str, digest: str) -> bool:
        """Note a zero acta. Returns True when its station is now in conflict."""
        if station not in self._paths:
            return False
        seen = self._zeros.get(station)
        if seen is None and station not in self._finals:  # the common case: the opening, before anything else
            self._zeros[station] = [digest]
            return False
        seen = seen or []
        if digest in seen:
            return self._conflicted(station)
        return self._settle(station, self._finals.get(station, []), [*seen, digest])

    def set_finals(self, station: str, finals: list[tuple[str, Acta]]) -> bool:
        """What is known of a station's final actas, replaced as a whole (the actas its witnesses now
        report, say): one is counted, none leaves it missing, more than one puts it in conflict."""
        return self._settle(station, finals, self._zeros.get(station, []))

    def _conflicted(self, station: str) -> bool:
        return in_conflict([a for _, a in self._finals.get(station, [])], self._zeros.get(station, []))

    def _settle(self, station: str, finals: list[tuple[str, Acta]], zeros: list[str]) -> bool:
        """Replace what is known of a station and move every total by the difference it makes."""
        path = self._paths[station]
        if self._conflicted(station):
            for unit in path:
                unit.conflicts -= 1
        elif len(before := self._finals.get(station, [])) == 1:
            self._apply(path, before[0][1], -1)
        self._finals.pop(station, None)
        self._zeros.pop(station, None)
        if finals:
            self._finals[station] = list(finals)
        if zeros:
            self._zeros[station] = list(zeros)
        conflicted = self._conflicted(station)
        self._in_conflict.discard(station)
        if conflicted:
            self._in_conflict.add(station)
            for unit in path:
                unit.conflicts += 1
        elif len(finals) == 1:
            self._apply(path, finals[0][1], +1)
        return conflicted

    def _apply(self, path: tuple[_Unit, ...], acta: Acta, sign: int) -> None:
        """Add an acta's counts to every unit on its path (sign +1), or take them away (-1), a contest's
        options at a time."""
        move = operator.add if sign > 0 else operator.sub
        for contest, width in zip(acta.contests, self._widths, strict=True):
            if len(contest.votes) != width:
                raise ValueError(f"contest {contest.contest}: {len(contest.votes)} counts for {width} options")
        for unit in path:
            unit.reported += sign
            unit.covered += sign * acta.registered
            unit.voters += sign * acta.voters
            for counts, contest in zip(unit.counts, acta.contests, strict=True):
                counts[:-1] = map(move, counts, contest.votes)
                counts[-1] = move(counts[-1], contest.null)

    def conflicts(self) -> list[str]:
        return sorted(code for code in {*self._finals, *self._zeros} if self._conflicted(code))

    def counted(self) -> dict[str, tuple[str, Acta]]:
        """Station -> (digest, acta) of every station whose final acta is counted (one, no conflict)."""
        return {code: seen[0] for code, seen in self._finals.items() if len(seen) == 1 and not self._conflicted(code)}

    def counted_final(self, station: str) -> Acta | None:
        """The station's counted final acta (None when it has none, or actas in conflict)."""
        seen = self._finals.get(station)
        return seen[0][1] if seen is not None and len(seen) == 1 and not self._conflicted(station) else None

    def status(self, station: str) -> str:
        """reported (one final acta counted), conflict (actas that disagree) or missing."""
        return station_status([a for _, a in self._finals.get(station, [])], self._zeros.get(station, []))

    def _shares(self, counts_by_contest: Iterable[Sequence[int]]) -> tuple[ContestShares, ...]:
        """Per contest (one count per option in ballot order, then the null votes): the valid votes and each
        candidate's, the short form child units and mesas are listed in."""
        shares = []
        for contest, counts, owner in zip(self.election.contests, counts_by_contest, self._candidate_of, strict=True):
            votes = [0] * len(contest.candidates)
            for i, n in enumerate(counts[: len(owner)]):
                votes[owner[i]] += n
            shares.append(ContestShares(contest.id, sum(votes), tuple(zip(contest.candidate_ids, votes, strict=True))))
        return tuple(shares)

    def _station_line(self, station: str) -> StationLine:
        """A mesa as its unit lists it: its status, and the votes of its final acta when one is counted."""
        status = self.status(station)
        finals = self._finals.get(station, [])
        ballots = self.encrypted.status(station) if self.encrypted is not None else ""
        if status != REPORTED or len(finals) != 1:
            return StationLine(station, self._registered[station], status, ballots=ballots)
        acta = finals[0][1]
        return StationLine(
            station, self._registered[station], status, acta.voters, self._shares(c.votes for c in acta.contests),
            ballots,
        )  # fmt: skip

    @staticmethod
    def _coverage(unit: _Unit) -> Coverage:
        return Coverage(unit.stations, unit.reported, unit.conflicts, unit.registered, unit.covered, unit.voters)

    def view(self, code: str = NATION) -> UnitResults:
        """The results of one unit (the nation by default). A unit of the lowest level lists its stations,
        each with its status; the others list their child units."""
        unit = self._units.get(code)
        if unit is None:
            raise KeyError(code)
        contests = []
        for contest, counts in zip(self.election.contests, unit.counts, strict=True):
            options = dict(zip(contest.option_ids, counts[:-1], strict=True))
            candidates = []
            for cand in contest.candidates:
                cards = tuple(
                    OptionVotes(o.id, o.name, options[o.id]) for o in contest.options if o.candidate == cand.id
                )
                candidates.append(CandidateVotes(cand.id, cand.name, sum(o.votes for o in cards), cards))
            contests.append(ContestResults(contest.id, contest.name, sum(counts[:-1]), counts[-1], tuple(candidates)))
        children = tuple(
            ChildUnit(child.code, child.name, child.level, self._coverage(child), self._shares(child.counts))
            for child in (self._units[c] for c in unit.children)
        )
        stations = tuple(self._station_line(s) for s in self._stations_of.get(unit.code, []))
        conflicted = (  # looked for only where there are some: publishing asks every unit of the election
            sorted(s for s in self._in_conflict if any(u is unit for u in self._paths[s])) if unit.conflicts else []
        )
        encrypted = self.encrypted
        return UnitResults(
            unit.code, unit.name, unit.level, self._coverage(unit), tuple(contests), children, stations,
            tuple(conflicted[:CONFLICTS_LISTED]), encrypted.coverage(code) if encrypted is not None else None,
            encrypted.differing(code) if encrypted is not None else (),
        )  # fmt: skip
