"""BRAVO ballot-polling risk-limiting audits (Lindeman, Stark and Yates, "BRAVO: Ballot-polling
Risk-limiting Audits to Verify Outcomes", EVT/WOTE 2012), for plurality contests with any number of
candidates and winners.

Paper receipts are drawn at random and read. For each pair of a reported winner w and a reported
loser l, with s the winner's reported share of the two (s = W / (W + L)), each receipt for w
multiplies the pair's test statistic T by 2s, each for l by 2(1 - s), any other by 1. The risk
that the reported outcome is wrong, measured by the sample, is min(1, 1/T) for the pair; the audit
may stop when every pair's risk is at most the risk limit.

Arithmetic is in 60-digit decimals (a statewide sample can hold millions of receipts, and the risk
is a product of as many factors).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Context, Decimal

from actas.errors import AuditError

PRECISION = Context(prec=60)
ONE = Decimal(1)


@dataclass(frozen=True)
class PollingContest:
    reported: Mapping[str, int]
    """Reported votes per candidate."""
    ballots: int
    """Ballots cast in the contest (receipts to draw from), votes for no candidate included."""
    winners: int = 1

    def pairs(self) -> list[tuple[str, str]]:
        """(winner, loser) for every reported winner and every reported loser."""
        ranked = sorted(self.reported, key=lambda c: (-self.reported[c], c))
        won, lost = ranked[: self.winners], ranked[self.winners :]
        if not lost:
            raise AuditError("a contest with no candidate who did not win cannot be audited")
        return [(w, loser) for w in won for loser in lost]


def _ln(x: Decimal) -> Decimal:
    return x.ln(PRECISION)


def pair_risk(contest: PollingContest, winner: str, loser: str, sample: Mapping[str, int]) -> Decimal:
    """The measured risk of one pair: min(1, 1/T)."""
    w, loss = contest.reported[winner], contest.reported[loser]
    if w <= loss:
        return ONE  # a tie, or a winner who did not win: only a full count decides
    drawn_w, drawn_l = sample.get(winner, 0), sample.get(loser, 0)
    if loss == 0:
        if drawn_l:
            return ONE  # a receipt for a candidate reported with no votes: the report is wrong
        log_t = drawn_w * _ln(Decimal(2))
    else:
        share = PRECISION.divide(Decimal(w), Decimal(w + loss))
        log_t = drawn_w * _ln(2 * share) + drawn_l * _ln(2 * (ONE - share))
    return min(ONE, (-log_t).exp(PRECISION))


def risks(contest: PollingContest, sample: Mapping[str, int]) -> dict[tuple[str, str], Decimal]:
    return {(w, loser): pair_risk(contest, w, loser, sample) for w, loser in contest.pairs()}


def average_sample_number(contest: PollingContest, alpha: float) -> int:
    """The expected number of receipts to draw (ASN, from the BRAVO paper) when the reported results are
    right: the largest over the pairs; every ballot when a pair is tied."""
    sizes = []
    for w, loser in contest.pairs():
        votes_w, votes_l = contest.reported[w], contest.reported[loser]
        if votes_w <= votes_l:
            return contest.ballots
        share = votes_w / (votes_w + votes_l)
        z_w = math.log(2 * share)
        z_l = math.log(2 * (1 - share)) if votes_l else -math.inf
        step = (votes_w * z_w + (votes_l * z_l if votes_l else 0.0)) / contest.ballots
        sizes.append(math.ceil((math.log(1 / alpha) + z_w / 2) / step))
    return min(max(sizes), contest.ballots)
