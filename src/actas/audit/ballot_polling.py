"""A ballot-polling audit (BRAVO) of one contest over the paper receipts of its mesas: the plan, the
receipts to retrieve, and where the audit stands.

Every receipt has an id, `MESA:N` for the N-th of the mesa's receipts in the ballot box's manifest
(1 to the mesa's ballots), and receipts are drawn without replacement with the consistent sampler
from the public seed, so anyone can redraw them. Each retrieved receipt is read: a candidate, or
none (null, blank, another candidate). A receipt that cannot be found or read counts against the
reported outcome: as a vote for the loser in every winner–loser pair.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from actas.audit.bravo import PollingContest, average_sample_number, risks
from actas.audit.sampler import draw
from actas.dataset.model import Dataset
from actas.errors import FormatError

FORMAT = "actas ballot-polling audit v1"
MISSING, NONE = "missing", "none"
"""How a receipt that cannot be found or read is recorded, and one for no candidate (null, blank, other)."""
STOP, CONTINUE, FULL_COUNT = "stop", "continue", "full hand count"
TIED = "the contest is reported tied: no sample can confirm it, only a full hand count of every receipt decides it"


@dataclass(frozen=True)
class PollingPlan:
    contest: str
    source: str
    risk_limit: float
    reported: dict[str, int]
    ballots: dict[str, int]
    """Receipts in each mesa's ballot box."""
    winners: int = 1

    @property
    def tied(self) -> bool:
        """A tied contest: the plan is a full hand count of every receipt, as Arlo plans it."""
        return any(self.reported[w] <= self.reported[loser] for w, loser in self.polling.pairs())

    @property
    def polling(self) -> PollingContest:
        return PollingContest(self.reported, sum(self.ballots.values()), self.winners)

    def receipts(self) -> Iterator[str]:
        for mesa in sorted(self.ballots):
            for n in range(1, self.ballots[mesa] + 1):
                yield f"{mesa}:{n}"

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "method": "ballot polling (BRAVO), receipts drawn without replacement",
            "contest": self.contest,
            "source": self.source,
            "risk_limit": self.risk_limit,
            "winners": self.winners,
            "reported": self.reported,
            "ballots": dict(sorted(self.ballots.items())),
        }

    @classmethod
    def from_json(cls, data: Any) -> PollingPlan:
        try:
            if data["format"] != FORMAT:
                raise FormatError(f"not a ballot-polling plan: the format is not {FORMAT!r}")
            plan = cls(
                str(data["contest"]),
                str(data["source"]),
                float(data["risk_limit"]),
                {str(c): int(v) for c, v in data["reported"].items()},
                {str(m): int(b) for m, b in data["ballots"].items()},
                int(data["winners"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise FormatError(f"the audit plan cannot be read: {exc}") from None
        if not 0 < plan.risk_limit < 1:
            raise FormatError("the audit plan's risk limit must be between 0 and 1")
        return plan


def polling_plan(dataset: Dataset, risk_limit: float, winners: int = 1) -> PollingPlan:
    if not 0 < risk_limit < 1:
        raise FormatError(f"the risk limit must be between 0 and 1, found {risk_limit}")
    reported = dict.fromkeys((cid for cid, _ in dataset.candidates), 0)
    for row in dataset:
        for cid, n in dataset.by_candidate(row.votes).items():
            reported[cid] += n
    ballots = {row.code: row.ballots for row in dataset}
    plan = PollingPlan(dataset.contest, dataset.name, risk_limit, reported, ballots, winners)
    plan.polling.pairs()  # a contest with no loser cannot be audited
    return plan


def first_round(plan: PollingPlan) -> int:
    """The first round's size: the expected number of receipts (BRAVO's ASN)."""
    return average_sample_number(plan.polling, plan.risk_limit)


def drawn(plan: PollingPlan, seed: str, size: int) -> list[str]:
    """The first `size` receipts in sampling order."""
    stream = draw(plan.receipts(), seed)
    return [t.id for t, _ in zip(stream, range(size), strict=False)]


@dataclass
class PollingStatus:
    risk: Decimal
    decision: str
    drawn: int
    read: dict[str, int]
    pending: list[str]
    next_draws: int | None = None
    reason: str = ""


def polling_status(plan: PollingPlan, receipts: list[str], read: Mapping[str, str]) -> PollingStatus:
    """The measured risk (the largest over the winner-loser pairs) with missing and pending receipts
    counted for the loser of each pair."""
    tally: dict[str, int] = {}
    pending = [r for r in receipts if r not in read]
    for receipt in receipts:
        choice = read.get(receipt, MISSING)
        tally[choice] = tally.get(choice, 0) + 1
    against = tally.get(MISSING, 0)
    pair_risks = {}
    for w, loser in plan.polling.pairs():
        sample = {**tally, loser: tally.get(loser, 0) + against}
        pair_risks[(w, loser)] = risks(plan.polling, sample)[(w, loser)]
    measured = max(pair_risks.values())
    total = plan.polling.ballots
    result = PollingStatus(measured, STOP, len(receipts), tally, pending)
    if plan.tied:
        result.decision, result.reason = FULL_COUNT, TIED
    elif measured <= Decimal(str(plan.risk_limit)):
        result.reason = f"the measured risk {float(measured):.4f} is at most the risk limit {plan.risk_limit}"
    elif pending:
        result.decision, result.reason = CONTINUE, f"{len(pending)} drawn receipts are not read yet"
    elif len(receipts) >= total:
        result.decision, result.reason = FULL_COUNT, "every receipt has been drawn: the hand count decides"
    else:
        more = min(first_round(plan), total - len(receipts))
        result.decision, result.next_draws = CONTINUE, more
        result.reason = f"draw {more} more receipts (BRAVO continues with another round)"
    return result
