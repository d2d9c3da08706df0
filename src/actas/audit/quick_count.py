"""Parallel vote tabulation (a quick count) and the exit-poll check, the statistics of observer missions.

**Quick count.** Observers report the acta of a random sample of mesas (simple random sampling of
mesas without replacement: cluster sampling, the mesa being the cluster). Each candidate's share
of the valid votes is estimated by the ratio estimator, the sample's votes for the candidate over
the sample's valid votes, with its variance for a cluster sample and the finite-population
correction (Cochran, *Sampling Techniques*, 3rd ed., §6.4 and §9.2; Lohr, *Sampling*, §4.1):

    r = Σ y_i / Σ m_i,   V(r) = (1 - n/N) / (n · m̄²) · Σ (y_i - r·m_i)² / (n - 1)

with y_i the candidate's votes and m_i the valid votes of sampled mesa i, n mesas sampled of N.

**Planning** follows NDI's quick-count handbook (*The Quick Count and Election Observation*, 2002,
ch. 5): the voters needed for a margin of error e at confidence z, with p the expected share and
V the number of voters, n = p(1 - p) / (e²/z² + p(1 - p)/V); then mesas = n divided by the
expected votes per mesa, rounded up.

**Exit polls.** The comparison that matters is of the lead: the poll's lead of its first
candidate over its second, d̂ = p̂₁ - p̂₂, against the official lead. Both shares come from the same
interviews, so they are not independent: the variance of their difference is that of a difference of
multinomial shares, (p̂₁ + p̂₂ - (p̂₁ - p̂₂)²)/n (Scott and Seber, "Difference of proportions from the
same survey", The American Statistician 37(4), 1983; Franklin, "The 'margin of error' for differences
in polls", 2007), times the design effect of interviewing in clusters: given, or deff = 1 + (n/k -
1)·ρ for n interviews in k polling places with intra-class correlation ρ (Kish, Survey Sampling, 1965,
§5.4). Each candidate's own share, with standard error √(deff · p̂(1 - p̂)/n), is a secondary check.
The bias needed to reconcile poll and count is how differently the two candidates' voters would have
had to answer the pollster: their response rates' ratio.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

from actas.errors import AuditError
from actas.pvalues import p_text, two_sided


def z_value(confidence: float) -> float:
    """The two-sided normal critical value of a confidence level (1.96 at 0.95)."""
    if not 0 < confidence < 1:
        raise AuditError(f"the confidence must be between 0 and 1, found {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def voters_needed(margin_of_error: float, z: float, voters: int, share: float = 0.5) -> int:
    """NDI's sample size in voters, for a margin of error (0.01 = one point) at a confidence level given as
    its normal critical value z (NDI's tables use 1.96 and 2.58)."""
    if not 0 < margin_of_error < 1 or voters < 1 or z <= 0:
        raise AuditError("the margin of error must be between 0 and 1, z positive, and there must be voters")
    spread = share * (1 - share)
    return math.ceil(spread / (margin_of_error**2 / z**2 + spread / voters))


@dataclass(frozen=True)
class Estimate:
    candidate: str
    share: float
    margin: float
    """Half the width of the confidence interval, as a share."""


def estimate(
    sample: Sequence[Mapping[str, int]], stations: int, confidence: float = 0.95
) -> tuple[list[Estimate], int]:
    """Each candidate's share of the valid votes from the sampled mesas' counts (one mapping of candidate
    to votes per mesa), with its margin of error; and the number of mesas used."""
    n = len(sample)
    if n < 2 or n > stations:
        raise AuditError(f"a quick count needs at least 2 sampled mesas and no more than the {stations:,} there are")
    valid = [sum(m.values()) for m in sample]
    total = sum(valid)
    if total == 0:
        raise AuditError("the sampled mesas have no valid votes")
    mean = total / n
    fpc = 1 - n / stations
    z = z_value(confidence)
    candidates = sorted({c for m in sample for c in m})
    results = []
    for c in candidates:
        ys = [m.get(c, 0) for m in sample]
        ratio = sum(ys) / total
        residual = sum((y - ratio * v) ** 2 for y, v in zip(ys, valid, strict=True)) / (n - 1)
        variance = fpc * residual / (n * mean**2)
        results.append(Estimate(c, ratio, z * math.sqrt(variance)))
    return sorted(results, key=lambda e: -e.share), n


@dataclass(frozen=True)
class ExitPollCheck:
    candidate: str
    poll: float
    official: float
    standard_error: float
    z: float
    p_value: float


@dataclass(frozen=True)
class LeadCheck:
    """The poll's lead of `first` over `second` against the official lead."""

    first: str
    second: str
    poll: float
    official: float
    design_effect: float
    standard_error: float
    z: float
    p_value: float


@dataclass(frozen=True)
class PollComparison:
    against: str
    lead: LeadCheck
    checks: tuple[ExitPollCheck, ...]
    """Each candidate's share on its own: secondary to the lead."""
    ratio: float
    """How many times as often the first candidate's voters would have had to answer as the second's."""

    @property
    def contradicts(self) -> bool:
        """The official lead lies outside the poll's 99.9% interval for it."""
        return self.lead.p_value < CONTRADICTS

    def said(self, names: Mapping[str, str]) -> tuple[str, str]:
        """The lead's test and the response bias it would take, in words, from the figures above."""
        lead, first, second = self.lead, names.get(self.lead.first, self.lead.first), names.get(self.lead.second, "")
        second = second or self.lead.second
        verdict = (
            "the two cannot both be right unless the poll was biased"
            if self.contradicts
            else "sampling alone can explain the difference"
        )
        return (
            f"The poll puts {_ahead(first, second, lead.poll)}; {self.against} put "
            f"{_ahead(first, second, lead.official)}. The poll's lead has a standard error of "
            f"{100 * lead.standard_error:.1f} points (design effect {lead.design_effect:.2f}), so the official lead "
            f"is {abs(lead.z):.1f} standard errors from it ({p_text(lead.p_value)}): {verdict}.",
            f"For the poll to come from these shares, {first}'s voters would have had to answer the pollster "
            f"{self.ratio:.1f} times as often as {second}'s.",
        )


CONTRADICTS = 0.001


def _ahead(first: str, second: str, lead: float) -> str:
    points = f"{abs(100 * lead):.1f}"
    if points == "0.0":
        return f"{first} level with {second}"
    return f"{first} {points} points {'ahead of' if lead > 0 else 'behind'} {second}"


def design_effect(interviews: int, places: int, icc: float) -> float:
    return 1 + (interviews / places - 1) * icc


def _z(official: float, poll: float, se: float) -> float:
    if se:
        return (official - poll) / se
    return 0.0 if official == poll else math.copysign(math.inf, official - poll)


def compare_exit_poll(
    poll: Mapping[str, float], official: Mapping[str, float], interviews: int, deff: float, against: str
) -> PollComparison:
    """The poll against official shares: the lead of the poll's two leading candidates (both also in the
    official shares), then each candidate's share."""
    shared = sorted(set(poll) & set(official), key=lambda c: (-poll[c], c))
    if interviews < 1 or deff < 1:
        raise AuditError("an exit poll has at least one interview, and a design effect of at least 1")
    if len(shared) < 2:
        raise AuditError("the poll and the official results must share at least two candidates")
    checks = []
    for c in sorted(shared):
        se = math.sqrt(deff * poll[c] * (1 - poll[c]) / interviews)
        z = _z(official[c], poll[c], se)
        checks.append(ExitPollCheck(c, poll[c], official[c], se, z, two_sided(z)))
    first, second = shared[:2]
    lead = poll[first] - poll[second]
    official_lead = official[first] - official[second]
    se = math.sqrt(deff * max(poll[first] + poll[second] - lead**2, 0.0) / interviews)
    z = _z(official_lead, lead, se)
    return PollComparison(
        against,
        LeadCheck(first, second, lead, official_lead, deff, se, z, two_sided(z)),
        tuple(checks),
        response_ratio(poll, official, first, second),
    )


def response_ratio(poll: Mapping[str, float], official: Mapping[str, float], first: str, second: str) -> float:
    """How many times as often `first`'s voters would have had to answer the pollster as `second`'s for the
    poll's ratio of the two to come from the official one."""
    return (poll[first] / poll[second]) / (official[first] / official[second])
