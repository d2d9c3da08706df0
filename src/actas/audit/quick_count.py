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

**Exit polls.** A poll's share p̂ from n interviews in k polling places has the standard error
√(deff · p̂(1 - p̂)/n), with the design effect of the clustering deff = 1 + (n/k - 1)·ρ (ρ the
intra-class correlation). The z-test holds the official share against it; the bias needed to
reconcile them is how differently the two candidates' voters would have had to answer the
pollster: their response rates' ratio.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist


def z_value(confidence: float) -> float:
    """The two-sided normal critical value of a confidence level (1.96 at 0.95)."""
    if not 0 < confidence < 1:
        raise ValueError(f"the confidence must be between 0 and 1, found {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def voters_needed(margin_of_error: float, confidence: float, voters: int, share: float = 0.5) -> int:
    """NDI's sample size in voters, for a margin of error (0.01 = one point) at a confidence level."""
    if not 0 < margin_of_error < 1 or voters < 1:
        raise ValueError("the margin of error must be between 0 and 1, and there must be voters")
    spread = share * (1 - share)
    return math.ceil(spread / (margin_of_error**2 / z_value(confidence) ** 2 + spread / voters))


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
        raise ValueError(f"a quick count needs at least 2 sampled mesas and no more than the {stations:,} there are")
    valid = [sum(m.values()) for m in sample]
    total = sum(valid)
    if total == 0:
        raise ValueError("the sampled mesas have no valid votes")
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


def design_effect(interviews: int, places: int, icc: float) -> float:
    return 1 + (interviews / places - 1) * icc


def exit_poll_check(
    poll: Mapping[str, float], official: Mapping[str, float], interviews: int, places: int, icc: float = 0.05
) -> list[ExitPollCheck]:
    """For each candidate in both: the official share against the poll's, as a two-sided z-test."""
    if interviews < 1 or not 1 <= places <= interviews:
        raise ValueError("an exit poll has interviews, in at least one and at most as many polling places")
    deff = design_effect(interviews, places, icc)
    checks = []
    for c in sorted(set(poll) & set(official)):
        se = math.sqrt(deff * poll[c] * (1 - poll[c]) / interviews)
        z = (official[c] - poll[c]) / se if se else math.inf
        checks.append(ExitPollCheck(c, poll[c], official[c], se, z, 2 * (1 - NormalDist().cdf(abs(z)))))
    return checks


def response_ratio(poll: Mapping[str, float], official: Mapping[str, float], first: str, second: str) -> float:
    """How many times as often `first`'s voters would have had to answer the pollster as `second`'s for the
    poll's ratio of the two to come from the official one."""
    return (poll[first] / poll[second]) / (official[first] / official[second])
