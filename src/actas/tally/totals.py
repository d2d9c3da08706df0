"""Adding up actas: votes per ballot option and per candidate, voters, registered voters covered."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from actas.acta.model import Acta
from actas.election import Contest


@dataclass
class Totals:
    stations: int = 0
    registered: int = 0
    voters: int = 0
    options: dict[str, dict[str, int]] = field(default_factory=dict)
    """contest -> option id -> votes."""
    null: dict[str, int] = field(default_factory=dict)

    def add(self, acta: Acta) -> None:
        self.stations += 1
        self.registered += acta.registered
        self.voters += acta.voters
        for c in acta.contests:
            per = self.options.setdefault(c.contest, {})
            for oid, n in zip(c.options, c.votes, strict=True):
                per[oid] = per.get(oid, 0) + n
            self.null[c.contest] = self.null.get(c.contest, 0) + c.null

    def by_candidate(self, contest: Contest) -> dict[str, int]:
        """Votes per candidate id, adding up its party cards, in ballot order of candidates."""
        per = self.options.get(contest.id, {})
        result = dict.fromkeys(contest.candidate_ids, 0)
        for option in contest.options:
            result[option.candidate] += per.get(option.id, 0)
        return result


def tally(actas: Iterable[Acta]) -> Totals:
    totals = Totals()
    for acta in actas:
        totals.add(acta)
    return totals
