"""Kobak, Shpilkin and Pshenichnikov's integer-percentage test.

When a result is written to order ("turnout 85%, the leader 90%") rather than counted, the station's
percentages land on whole numbers. A station's turnout or leader's share is *whole* here when it
rounds, at one decimal, to n.0%. Clean stations land there too, the more often the smaller they are
(150 votes of 300 is exactly 50%), so the count of whole stations is held against its distribution
under the paper's binomial null: each station's voters drawn from Binomial(registered, its turnout),
the leader's votes from Binomial(ballots, its share).

The paper samples that null by Monte Carlo. Here it is computed exactly: each station's chance of a
whole turnout and of a whole leader's share is a sum of binomial probabilities, stations are
independent, so the number of whole stations is Poisson-binomial, whose tail is read with the refined
normal approximation (Volkova 1996; Hong 2013, Computational Statistics & Data Analysis 59, 41-51).
No random numbers, so no Monte Carlo error and no seed: the verdict is the same on every run.

The paper's definitions and filters (Kobak, Shpilkin and Pshenichnikov 2016, section 2): turnout is
ballots over registered voters; the leader's result is the leader's votes over the ballots (valid and
invalid); stations with fewer than 100 registered voters, with no ballot, or with a turnout or a
leader's result above 99% are left out. `filters=False` keeps actas's earlier definitions instead:
every station with registered voters and votes, the leader's share over valid votes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

from actas.forensics.columns import Columns
from actas.forensics.defaults import ALPHA
from actas.forensics.finding import Finding, not_computed, top_drivers
from actas.pvalues import p_text

TITLE = "Whole-number percentages (Kobak, Shpilkin and Pshenichnikov)"
KOBAK = (
    "Kobak, D., Shpilkin, S. and Pshenichnikov, M. S. (2016). Integer percentages as electoral falsification "
    "fingerprints. Annals of Applied Statistics 10(1), 54-73."
)
MIN_REGISTERED = 100
SMALL = 400
MAX_PERCENT = 0.99
CHUNK = 20_000
"""Stations whose whole-percentage chances are computed at once (memory: CHUNK × at most 199 × a few floats)."""


def whole(part: NDArray[np.float64], total: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Whether part/total, as a percentage, rounds at one decimal to a whole number (0% and 100% left out):
    |100·part/total − k| < 0.05 for a whole k, in integers as |2000·part − 20k·total| < total."""
    p = np.nan_to_num(part).astype(np.int64)
    t = np.nan_to_num(total).astype(np.int64)
    ok = (t > 0) & (2000 * p > t) & (2000 * p < 1999 * t)
    m = np.mod(2000 * p, np.maximum(20 * t, 1))
    return ok & ((m < t) | (m > 19 * t))


def whole_chance(total: NDArray[np.int64], q: NDArray[np.float64]) -> NDArray[np.float64]:
    """For each station, the chance that Binomial(total, q) / total is whole, as `whole` defines it: the
    binomial probabilities of the counts within 0.05 points of each whole percentage k, summed over the k
    within 7 standard deviations of the station's own percentage (beyond them the chance is below 1e-11),
    or every k for stations of fewer than SMALL, whose binomials are too skewed for that bound."""
    out = np.zeros(len(total))
    order = np.argsort(total, kind="stable")
    with np.errstate(divide="ignore", invalid="ignore"):
        log_q, log_r = np.log(q), np.log1p(-q)
    log_n = special.gammaln(total + 1.0)
    for start in range(0, len(total), CHUNK):
        rows = order[start : start + CHUNK]
        n, p = total[rows, None], q[rows, None]
        sd = 100 * np.sqrt(p * (1 - p) / np.maximum(n, 1))
        width = 99 if int(n.min()) < SMALL else min(99, math.ceil(7 * float(sd.max())) + 2)
        k = np.rint(100 * p).astype(np.int64) + np.arange(-width, width + 1)[None, :]
        low = np.maximum((20 * k * n - n) // 2000 + 1, 0)
        high = np.minimum(-((-(20 * k * n + n)) // 2000) - 1, n)
        inside = (k >= 1) & (k <= 99) & (low <= high)
        station, _ = np.nonzero(inside)
        first, last = low[inside], high[inside]
        chance = np.zeros(len(rows))
        for step in range(int(np.max(last - first + 1, initial=0))):
            take = first + step <= last
            v, at = (first + step)[take], rows[station[take]]
            size = total[at]
            log_pmf = (
                log_n[at]
                - special.gammaln(v + 1.0)
                - special.gammaln(size - v + 1.0)
                + np.where(v > 0, v * log_q[at], 0.0)
                + np.where(size - v > 0, (size - v) * log_r[at], 0.0)
            )
            chance += np.bincount(station[take], weights=np.exp(log_pmf), minlength=len(rows))
        out[rows] = chance
    return np.clip(out, 0.0, 1.0)


@dataclass(frozen=True)
class Null:
    """The number of whole stations under the binomial null: Poisson-binomial."""

    mean: float
    sd: float
    skew: float

    @classmethod
    def of(cls, chances: NDArray[np.float64]) -> Null:
        var = float(np.sum(chances * (1 - chances)))
        sd = math.sqrt(var) if var > 0 else 0.0
        third = float(np.sum(chances * (1 - chances) * (1 - 2 * chances)))
        return cls(float(chances.sum()), sd, third / sd**3 if sd > 0 else 0.0)

    def at_least(self, observed: int) -> float:
        """P(X ≥ observed), by the refined normal approximation with a continuity correction."""
        if self.sd == 0:
            return 1.0 if observed <= self.mean else 0.0
        x = (observed - 0.5 - self.mean) / self.sd
        normal = 0.5 * math.erfc(x / math.sqrt(2))
        corrected = normal - self.skew * (1 - x * x) * math.exp(-x * x / 2) / (6 * math.sqrt(2 * math.pi))
        return min(1.0, corrected if corrected > 0 else normal)


def integer_percent(c: Columns, alpha: float = ALPHA, filters: bool = True) -> Finding:
    registered, ballots = c.registered, c.ballots
    valid, leader = c.valid.astype(np.float64), c.winner_votes.astype(np.float64)
    known = np.isfinite(registered) & (registered > 0) & (ballots <= registered)
    if filters:
        usable = known & (registered >= MIN_REGISTERED) & (ballots >= 1) & (valid > 0)
        usable &= (ballots <= MAX_PERCENT * registered) & (leader <= MAX_PERCENT * ballots)
        share_of = ballots
    else:
        usable = known & (valid > 0)
        share_of = valid
    n = int(usable.sum())
    if n == 0:
        why = "no station gives both its registered voters and its ballots"
        if filters and known.any():
            why = f"no station passes the paper's filters ({MIN_REGISTERED}+ registered, turnout and leader up to 99%)"
        return not_computed("integer-percent", TITLE, len(c.codes), why, KOBAK)
    reg, bal, lead, base = registered[usable], ballots[usable], leader[usable], share_of[usable]
    turnout_whole, share_whole = whole(bal, reg), whole(lead, base)
    hit = turnout_whole | share_whole
    observed = int(hit.sum())
    p_turnout = whole_chance(reg.astype(np.int64), bal / reg)
    p_share = whole_chance(base.astype(np.int64), lead / base)
    null = Null.of(p_turnout + p_share - p_turnout * p_share)
    p = null.at_least(observed)
    flagged = p < alpha
    excess = observed - null.mean
    low, high = null.mean - 1.96 * null.sd, null.mean + 1.96 * null.sd
    codes = [code for code, keep in zip(c.codes, usable, strict=True) if keep]
    scores = np.where(hit, np.log10(np.maximum(reg, 1.0)), 0.0)
    reasons = [
        _why(tw, sw, 100 * b / r, 100 * le / v)
        for tw, sw, b, r, le, v in zip(turnout_whole, share_whole, bal, reg, lead, base, strict=True)
    ]
    share_word = "ballots" if filters else "valid votes"
    seen = (
        f"{observed:,} of {n:,} stations report a turnout or a leader's share (of the {share_word}) that is a whole "
        f"percentage; clean counts of these stations' sizes would give {null.mean:,.0f} on average (95% range "
        f"{max(0.0, low):,.0f} to {high:,.0f})"
    )
    sentence = (
        seen
        + ", "
        + (
            f"so {excess:,.0f} more than chance ({p_text(p)}), the mark of results written to a target."
            if flagged
            else f"no excess beyond chance ({p_text(p)})."
        )
    )
    filters_text = (
        f"The paper's filters and definitions: stations with at least {MIN_REGISTERED} registered voters and one "
        f"ballot, turnout and leader's share at most {MAX_PERCENT:.0%}, the leader's share over the ballots "
        f"(valid and invalid). {len(c.codes) - n:,} stations left out."
        if filters
        else "Without the paper's filters (--no-filters): every station with registered voters and valid votes, "
        "the leader's share over the valid votes."
    )
    return Finding(
        test="integer-percent",
        title=TITLE,
        statistic="stations with a whole-number turnout or leader's share",
        value=float(observed),
        expected=null.mean,
        p_value=p,
        interval=(low, high),
        flagged=flagged,
        stations=n,
        excluded=len(c.codes) - n,
        sentence=sentence,
        method=(
            "A percentage is whole when it rounds at one decimal to n.0% (0% and 100% left out). The null is the "
            "paper's: each station's voters from Binomial(registered, its turnout), the leader's votes from "
            "Binomial(ballots, its share); each station's chance of a whole turnout or share is computed exactly "
            "from the binomial distribution (the two taken as independent), and the number of whole stations is "
            "then Poisson-binomial, its one-sided p-value from the refined normal approximation. Nothing is "
            f"drawn at random: the Monte Carlo error is 0 and no seed changes the result. {filters_text}"
        ),
        reference=KOBAK + " Poisson-binomial tail: Hong, Y. (2013), Computational Statistics & Data Analysis 59.",
        drivers=top_drivers(codes, scores, reasons),
        details={
            "turnout_whole": int(turnout_whole.sum()),
            "share_whole": int(share_whole.sum()),
            "expected_turnout_whole": float(p_turnout.sum()),
            "expected_share_whole": float(p_share.sum()),
            "null_mean": null.mean,
            "null_sd": null.sd,
            "interval": "95% range of the null count",
            "monte_carlo_error": 0.0,
            "excess": excess,
            "filters": "Kobak, Shpilkin and Pshenichnikov (2016)" if filters else "none",
        },
        plot={
            "turnout": 100 * bal / reg,
            "share": 100 * lead / base,
        },
        alpha=alpha,
        observed=seen + ".",
    )


def _why(turnout_whole: bool, share_whole: bool, turnout: float, share: float) -> str:
    parts = ([f"turnout {turnout:.2f}%"] if turnout_whole else []) + ([f"leader {share:.2f}%"] if share_whole else [])
    return ", ".join(parts)
