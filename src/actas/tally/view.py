"""The results of one unit at one moment, as a value: what the server answers for /v1/results, what the
pages show and what a verifier recomputes. `to_json` is the API's shape, field for field."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

from actas.tally.encrypted import EncryptedCoverage


class Words(Protocol):
    """A language as the headline needs it (`actas.i18n.Language`): its words and its number forms."""

    def gettext(self, message: str) -> str: ...
    def ngettext(self, singular: str, plural: str, n: int) -> str: ...
    def number(self, n: int) -> str: ...
    def percent(self, part: int, whole: int) -> str: ...
    def points(self, value: float) -> str: ...


@dataclass(frozen=True)
class OptionVotes:
    id: str
    name: str
    votes: int


@dataclass(frozen=True)
class CandidateVotes:
    id: str
    name: str
    votes: int
    options: tuple[OptionVotes, ...]
    """The candidate's cards on the ballot, each with its votes."""


@dataclass(frozen=True)
class ContestResults:
    id: str
    name: str
    valid: int
    null: int
    candidates: tuple[CandidateVotes, ...]


@dataclass(frozen=True)
class ContestShares:
    """A contest's valid votes and each candidate's: the short form child units are listed in."""

    id: str
    valid: int
    candidates: tuple[tuple[str, int], ...]
    """(candidate id, votes), in ballot order."""

    @property
    def leader(self) -> tuple[str, int] | None:
        """(candidate id, votes) of the most voted, the first on the ballot among equals; None before any
        valid vote is counted."""
        if self.valid == 0 or not self.candidates:
            return None
        return max(self.candidates, key=lambda pair: pair[1])


@dataclass(frozen=True)
class Coverage:
    """How much of a unit the counted actas cover."""

    stations: int
    """Stations in the unit."""
    reported: int
    """Stations whose final acta is counted."""
    conflicts: int
    """Stations whose actas disagree: kept on the board, not counted."""
    registered: int
    """Registered voters in the unit."""
    covered: int
    """Registered voters of the stations counted."""
    voters: int


@dataclass(frozen=True)
class ChildUnit:
    code: str
    name: str
    level: str
    coverage: Coverage
    contests: tuple[ContestShares, ...]


@dataclass(frozen=True)
class StationLine:
    code: str
    registered: int
    status: str
    """reported, missing or conflict."""
    voters: int = 0
    """Of its counted final acta (0 when none is counted)."""
    contests: tuple[ContestShares, ...] = ()
    """Per contest, the votes of its counted final acta (none when none is counted)."""
    ballots: str = ""
    """What its encrypted ballots say (`tally.encrypted`), on a board that publishes them."""


@dataclass(frozen=True)
class Headline:
    """Who leads a unit's first contest in the actas counted so far, by how much, over whom, and how much
    of the unit those actas cover. `sentence` says it in words, from these numbers alone."""

    contest: str
    leader: str
    leader_votes: int
    runner_up: str | None
    runner_up_votes: int
    valid: int
    reported: int
    stations: int
    covered: int
    registered: int

    @property
    def margin(self) -> int:
        return self.leader_votes - self.runner_up_votes

    @property
    def points(self) -> float:
        """The margin in percentage points of the valid votes counted."""
        return 100 * self.margin / self.valid

    def sentence(self, lang: Words) -> str:
        """The headline in `lang`, from these numbers alone."""
        values = {
            "leader": self.leader,
            "runner_up": self.runner_up,
            "votes": lang.number(self.leader_votes),
            "margin": lang.number(self.margin),
            "points": lang.points(self.points),
            "reported": lang.number(self.reported),
            "stations": lang.number(self.stations),
            "share": lang.percent(self.reported, self.stations),
            "covered": lang.percent(self.covered, self.registered),
        }
        values["counted"] = (
            lang.gettext(
                "with %(reported)s of %(stations)s actas counted (%(share)s), covering %(covered)s of registered voters"
            )
            % values
        )
        if self.runner_up is None:
            return lang.gettext("%(leader)s has all %(votes)s valid votes counted, %(counted)s.") % values
        if self.margin == 0:
            return lang.gettext("%(leader)s and %(runner_up)s are tied at %(votes)s votes, %(counted)s.") % values
        return (
            lang.ngettext(
                "%(leader)s leads %(runner_up)s by %(margin)s vote (%(points)s points) in the actas counted so far, "
                "%(counted)s.",
                "%(leader)s leads %(runner_up)s by %(margin)s votes (%(points)s points) in the actas counted so far, "
                "%(counted)s.",
                self.margin,
            )
            % values
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "contest": self.contest,
            "leader": self.leader,
            "leader_votes": self.leader_votes,
            "runner_up": self.runner_up,
            "runner_up_votes": self.runner_up_votes,
            "margin": self.margin,
            "points": round(self.points, 2),
        }


@dataclass(frozen=True)
class UnitResults:
    """A unit's results: its coverage and every contest; a unit of the lowest level lists its stations,
    each with its status, the others their child units."""

    code: str
    name: str
    level: str
    coverage: Coverage
    contests: tuple[ContestResults, ...]
    children: tuple[ChildUnit, ...]
    stations: tuple[StationLine, ...]
    conflicted: tuple[str, ...] = ()
    """Its first mesas in conflict, by code (the coverage counts them all)."""
    encrypted: EncryptedCoverage | None = None
    """Its mesas by what their encrypted ballots say, on a board that publishes them."""
    differing: tuple[str, ...] = ()
    """Its first mesas whose decrypted ballots differ from their acta, by code."""

    @cached_property
    def headline(self) -> Headline | None:
        """The headline of the first contest, once it has valid votes counted (None before)."""
        if not self.contests or self.contests[0].valid == 0:
            return None
        contest, c = self.contests[0], self.coverage
        ranked = sorted(contest.candidates, key=lambda k: -k.votes)  # stable: ballot order among equals
        second = ranked[1] if len(ranked) > 1 else None
        return Headline(
            contest.name, ranked[0].name, ranked[0].votes, second.name if second else None,
            second.votes if second else 0, contest.valid, c.reported, c.stations, c.covered, c.registered,
        )  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        c = self.coverage
        view = {
            "code": self.code,
            "name": self.name,
            "level": self.level,
            "stations": {"expected": c.stations, "reported": c.reported, "conflicts": c.conflicts},
            "registered": {"expected": c.registered, "covered": c.covered},
            "voters": c.voters,
            "headline": self.headline.to_json() if self.headline is not None else None,
            "conflict_list": list(self.conflicted),
            "contests": [
                {
                    "id": contest.id,
                    "name": contest.name,
                    "valid": contest.valid,
                    "null": contest.null,
                    "candidates": [
                        {
                            "id": k.id,
                            "name": k.name,
                            "votes": k.votes,
                            "options": [{"id": o.id, "name": o.name, "votes": o.votes} for o in k.options],
                        }
                        for k in contest.candidates
                    ],
                }
                for contest in self.contests
            ],
            "children": [
                {
                    "code": child.code,
                    "name": child.name,
                    "level": child.level,
                    "stations": child.coverage.stations,
                    "reported": child.coverage.reported,
                    "conflicts": child.coverage.conflicts,
                    "registered": child.coverage.registered,
                    "covered": child.coverage.covered,
                    "voters": child.coverage.voters,
                    "contests": [
                        {"id": s.id, "valid": s.valid, "candidates": dict(s.candidates)} for s in child.contests
                    ],
                }
                for child in self.children
            ],
            "station_list": [
                {
                    "code": s.code,
                    "registered": s.registered,
                    "status": s.status,
                    "voters": s.voters,
                    "contests": [{"id": c.id, "valid": c.valid, "candidates": dict(c.candidates)} for c in s.contests],
                }
                | ({"ballots": s.ballots} if self.encrypted is not None else {})
                for s in self.stations
            ],
        }
        if self.encrypted is not None:
            view["encrypted"] = {**self.encrypted.to_json(), "differ_list": list(self.differing)}
        return view
