"""A batch-comparison audit of one contest, mesa by mesa: the plan, and where the audit stands.

The plan holds every number an observer needs to recompute the audit: each mesa's reported votes
per candidate and ballots, its error bound u_p as an exact fraction, their total U, the risk
limit. Draws come from the public seed (`macro.ppeb`); each drawn mesa's paper is counted by hand;
the status is the measured risk and what to do next:

- **stop** when the risk is at most the limit: the reported outcome stands;
- **continue** with the number of further draws that would reach the limit if no more errors were found;
- **full hand count** when a draw's taint is 1 (a mesa missing, or its paper all for the loser), or
  when the draws needed would be more than counting every mesa.

A drawn mesa not counted yet is *pending*; the status counts it as the worst case until it is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from actas.audit.macro import Batch, ContestTotals, max_error, risk, taint
from actas.dataset.model import Dataset
from actas.errors import FormatError

FORMAT = "actas batch-comparison audit v1"
STOP, CONTINUE, FULL_COUNT = "stop", "continue", "full hand count"
TIED = "the contest is reported tied: no sample can confirm it, only a full hand count of every mesa decides it"


@dataclass(frozen=True)
class Plan:
    contest: str
    source: str
    risk_limit: float
    candidates: tuple[str, ...]
    reported: dict[str, dict[str, int]]
    """Mesa -> candidate -> reported votes."""
    ballots: dict[str, int]
    winners: int = 1

    @property
    def totals(self) -> ContestTotals:
        sums = dict.fromkeys(self.candidates, 0)
        for counts in self.reported.values():
            for c, n in counts.items():
                sums[c] += n
        return ContestTotals(sums, self.winners)

    def batch(self, mesa: str) -> Batch:
        return Batch(mesa, {self.contest: self.reported[mesa]}, {self.contest: self.ballots[mesa]})

    @property
    def tied(self) -> bool:
        """A tied contest: the plan is a full hand count of every mesa, as Arlo plans it."""
        return self.totals.tied

    def bounds(self) -> dict[str, Fraction]:
        contests = {self.contest: self.totals}
        return {mesa: max_error(self.batch(mesa), contests) for mesa in self.reported}

    def to_json(self) -> dict[str, Any]:
        bounds: dict[str, Fraction | None] = dict.fromkeys(self.reported) if self.tied else dict(self.bounds())
        total = None if self.tied else sum((b for b in bounds.values() if b is not None), Fraction(0))
        return {
            "format": FORMAT,
            "method": "batch comparison (MACRO), batches drawn with probability proportional to error bounds",
            "contest": self.contest,
            "source": self.source,
            "risk_limit": self.risk_limit,
            "winners": self.winners,
            "candidates": list(self.candidates),
            "total_error_bound": None if total is None else str(total),
            "full_hand_count": self.tied,
            "mesas": [
                {
                    "id": m,
                    "ballots": self.ballots[m],
                    "reported": self.reported[m],
                    "error_bound": None if bounds[m] is None else str(bounds[m]),
                }
                for m in sorted(self.reported)
            ],
        }

    @classmethod
    def from_json(cls, data: Any) -> Plan:
        try:
            if data["format"] != FORMAT:
                raise FormatError(f"not an audit plan: the format is not {FORMAT!r}")
            candidates = tuple(str(c) for c in data["candidates"])
            reported = {str(m["id"]): {c: int(m["reported"][c]) for c in candidates} for m in data["mesas"]}
            ballots = {str(m["id"]): int(m["ballots"]) for m in data["mesas"]}
            plan = cls(
                str(data["contest"]),
                str(data["source"]),
                float(data["risk_limit"]),
                candidates,
                reported,
                ballots,
                int(data["winners"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise FormatError(f"the audit plan cannot be read: {exc}") from None
        if not 0 < plan.risk_limit < 1:
            raise FormatError("the audit plan's risk limit must be between 0 and 1")
        return plan


def plan_from_dataset(dataset: Dataset, risk_limit: float, winners: int = 1) -> Plan:
    """The plan of an audit of a dataset's reported results (votes per candidate, ballots per mesa)."""
    if not 0 < risk_limit < 1:
        raise FormatError(f"the risk limit must be between 0 and 1, found {risk_limit}")
    candidates = tuple(cid for cid, _ in dataset.candidates)
    reported = {row.code: dataset.by_candidate(row.votes) for row in dataset}
    ballots = {row.code: row.ballots for row in dataset}
    plan = Plan(dataset.contest, dataset.name, risk_limit, candidates, reported, ballots, winners)
    plan.totals.pairs()  # a contest with no loser cannot be audited
    return plan


@dataclass
class Status:
    risk: Decimal
    decision: str
    draws: int
    pending: list[str] = field(default_factory=list)
    taints: list[tuple[str, Fraction]] = field(default_factory=list)
    next_draws: int | None = None
    reason: str = ""


def status(plan: Plan, draws: list[str], counted: Mapping[str, Mapping[str, int]]) -> Status:
    """Where the audit stands after these draws (in order, repeats included) and these hand counts."""
    if plan.tied:
        return Status(Decimal(1), FULL_COUNT, len(draws), reason=TIED)
    contests = {plan.contest: plan.totals}
    bounds = plan.bounds()
    total = sum(bounds.values(), Fraction(0))
    taints = []
    pending = sorted({m for m in draws if m not in counted})
    for mesa in draws:
        paper = counted.get(mesa)
        taints.append((mesa, taint(plan.batch(mesa), {plan.contest: paper} if paper is not None else None, contests)))
    measured = risk([t for _, t in taints], total)
    result = Status(measured, STOP, len(draws), pending, taints)
    if measured <= Decimal(str(plan.risk_limit)):
        result.reason = f"the measured risk {float(measured):.4f} is at most the risk limit {plan.risk_limit}"
        return result
    if pending:
        result.decision = CONTINUE
        result.reason = f"{len(pending)} drawn mesas are not counted yet; each counts as the worst case until it is"
        return result
    if any(t >= 1 for _, t in taints):
        result.decision = FULL_COUNT
        result.reason = "a drawn mesa's paper gives the whole of its error bound: only a full hand count can decide"
        return result
    step = math.log(1 - 1 / float(total))
    more = math.ceil(math.log(plan.risk_limit / float(measured)) / step)
    if len(draws) + more >= len(plan.reported):
        result.decision = FULL_COUNT
        result.reason = f"{more} more draws would be as many as the {len(plan.reported)} mesas: count them all"
        return result
    result.decision, result.next_draws = CONTINUE, more
    result.reason = f"{more} more draws would reach the risk limit if they find no error"
    return result
