"""The results of one unit at one moment, as a value: what the server answers for /v1/results, what the
pages show and what a verifier recomputes. `to_json` is the API's shape, field for field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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

    def to_json(self) -> dict[str, Any]:
        c = self.coverage
        return {
            "code": self.code,
            "name": self.name,
            "level": self.level,
            "stations": {"expected": c.stations, "reported": c.reported, "conflicts": c.conflicts},
            "registered": {"expected": c.registered, "covered": c.covered},
            "voters": c.voters,
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
                for s in self.stations
            ],
        }
