"""Batch-comparison risk-limiting audits with MACRO (Stark, "Efficient post-election audits of multiple
contests: 2009 California tests", and "Super-simple simultaneous single-ballot risk-limiting
audits"), the method of the Arlo software's batch comparison audits; here each mesa is a batch and
its paper receipts are counted by hand against the machine's reported counts.

For a batch p, a contest c, and every pair of a reported winner w and loser l of c, with V the
pair's reported margin over the whole contest:

- the **error bound** u_p = max over contests and pairs of (v_w,p - v_l,p + b_p) / V, where b_p
  is the batch's ballots: the most the batch's reported margin can overstate the outcome;
- the **error** e_p = max over contests and pairs of ((v_w,p - v_l,p) - (a_w,p - a_l,p)) / V,
  with a the hand count: how much it did;
- the **taint** t_p = e_p / u_p, at most 1.

Batches are drawn with replacement with probability u_p / U (U = sum of u_p over all batches:
PPEB). After n draws the measured risk is the product over draws of (1 - 1/U) / (1 - t_p). A
batch that is missing or cannot be counted is scored as the worst case: every ballot for the
loser, so its taint is 1 and the audit cannot stop without a full hand count.

Arithmetic is in 60-digit decimals; counts are integers and margins exact fractions.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Context, Decimal
from fractions import Fraction

from actas.audit.sampler import draw
from actas.errors import AuditError

PRECISION = Context(prec=60)
ONE = Decimal(1)

Counts = Mapping[str, int]


@dataclass(frozen=True)
class ContestTotals:
    reported: Counts
    winners: int = 1

    @property
    def tied(self) -> bool:
        """Whether a reported winner does not lead a reported loser: no sample can confirm such an outcome."""
        return any(margin <= 0 for _, _, margin in self.pairs())

    def pairs(self) -> list[tuple[str, str, int]]:
        """(winner, loser, reported margin) for every reported winner and loser."""
        ranked = sorted(self.reported, key=lambda c: (-self.reported[c], c))
        won, lost = ranked[: self.winners], ranked[self.winners :]
        if not lost:
            raise AuditError("a contest with no candidate who did not win cannot be audited")
        return [(w, loser, self.reported[w] - self.reported[loser]) for w in won for loser in lost]


@dataclass(frozen=True)
class Batch:
    id: str
    reported: Mapping[str, Counts]
    """Reported votes per contest and candidate."""
    ballots: Mapping[str, int]
    """Ballots cast per contest in this batch."""


def max_error(batch: Batch, contests: Mapping[str, ContestTotals]) -> Fraction:
    """u_p: the largest relative overstatement the batch's reported counts can hold."""
    bound = Fraction(0)
    for cid, counts in batch.reported.items():
        for w, loser, margin in contests[cid].pairs():
            if margin <= 0:
                raise AuditError(f"contest {cid} is reported tied: only a full hand count decides it")
            bound = max(bound, Fraction(counts.get(w, 0) - counts.get(loser, 0) + batch.ballots[cid], margin))
    return bound


def error(batch: Batch, audited: Mapping[str, Counts] | None, contests: Mapping[str, ContestTotals]) -> Fraction:
    """e_p: the largest relative overstatement the hand count finds (the bound when there is no hand count)."""
    if audited is None:
        return max_error(batch, contests)
    found = Fraction(0)
    for cid, counts in batch.reported.items():
        paper = audited.get(cid, {})
        for w, loser, margin in contests[cid].pairs():
            reported = counts.get(w, 0) - counts.get(loser, 0)
            counted = paper.get(w, 0) - paper.get(loser, 0)
            found = max(found, Fraction(reported - counted, margin))
    return found


def taint(batch: Batch, audited: Mapping[str, Counts] | None, contests: Mapping[str, ContestTotals]) -> Fraction:
    bound = max_error(batch, contests)
    return min(Fraction(1), error(batch, audited, contests) / bound) if bound else Fraction(0)


def total_error_bound(batches: list[Batch], contests: Mapping[str, ContestTotals]) -> Fraction:
    return sum((max_error(b, contests) for b in batches), Fraction(0))


def risk(draws: list[Fraction], bound: Fraction) -> Decimal:
    """The measured risk after draws with these taints, out of batches whose bounds add up to U."""
    if bound <= 1:
        return ONE  # the batches cannot be told apart from a wrong outcome by any sample
    measured = ONE
    step = PRECISION.divide(Decimal(bound.numerator - bound.denominator), Decimal(bound.numerator))  # 1 - 1/U
    for t in draws:
        if t >= 1:
            return ONE
        measured = PRECISION.multiply(measured, PRECISION.divide(step, ONE - Decimal(t.numerator) / t.denominator))
    return min(ONE, measured)


def sample_size(bound: Fraction, alpha: float, expected_taint: float = 0.0) -> int:
    """Draws needed to stop at risk `alpha` if every drawn batch has the expected taint (0: no errors)."""
    per_draw = math.log(1 - 1 / float(bound)) - math.log(1 - expected_taint)
    if per_draw >= 0:
        raise AuditError("with that much error per batch, no sample can confirm the outcome: count every batch")
    return math.ceil(math.log(alpha) / per_draw)


def discrepancy_sample_size(
    alpha: float, gamma: float, margin: float, o1: int = 0, o2: int = 0, u1: int = 0, u2: int = 0
) -> int:
    """Draws needed for a comparison audit to stop at risk `alpha` when the sample holds these
    discrepancies (one- and two-vote overstatements o1, o2 and understatements u1, u2) in units whose
    error bound is 2γ/V each, V the margin: Stark's "super-simple" sample size, the formula of the
    rlacalc calculator. It takes -ln(1 - μ/2γ) as μ/2γ, so it is never fewer draws than `risk`
    needs to fall to `alpha` with those taints."""
    if not (0 < alpha < 1 and gamma > 1 and 0 < margin <= 1) or min(o1, o2, u1, u2) < 0:
        raise AuditError("need 0 < alpha < 1, gamma > 1, 0 < margin <= 1 and discrepancy counts of at least 0")
    found = (
        o1 * math.log(1 - 1 / (2 * gamma))
        + o2 * math.log(1 - 1 / gamma)
        + u1 * math.log(1 + 1 / (2 * gamma))
        + u2 * math.log(1 + 1 / gamma)
    )
    return max(o1 + o2 + u1 + u2, math.ceil(-2 * gamma * (math.log(alpha) + found) / margin))


def diluted_margin(totals: ContestTotals, ballots: int) -> Fraction:
    """The smallest reported margin between a winner and a loser over the ballots cast: the μ of a
    ballot-comparison audit's sample size."""
    if ballots <= 0:
        raise AuditError("no ballots were cast")
    smallest = min(margin for _, _, margin in totals.pairs())
    if smallest <= 0:
        raise AuditError("the contest is reported tied: only a full hand count decides it")
    return Fraction(smallest, ballots)


def ppeb(batches: Mapping[str, Fraction], seed: str) -> Iterator[str]:
    """Batch ids drawn with replacement, each with probability proportional to its error bound (PPEB),
    reproducibly from a public seed with the consistent sampler: each batch's successive ticket
    numbers x give arrival times -ln(1 - x) / u_p of a Poisson process of rate u_p, and merging the
    batches' processes draws each batch with probability u_p / U."""
    weights = {b: u for b, u in batches.items() if u > 0}
    tickets = {b: draw([b], seed, with_replacement=True) for b in weights}

    def arrival(b: str) -> tuple[Decimal, str]:
        x = Decimal(next(tickets[b]).number)
        rate = Decimal(weights[b].numerator) / weights[b].denominator
        return PRECISION.divide(-(ONE - x).ln(PRECISION), rate), b

    queue = [arrival(b) for b in weights]
    heapq.heapify(queue)
    while queue:
        _, first = heapq.heappop(queue)
        yield first
        heapq.heappush(queue, arrival(first))
