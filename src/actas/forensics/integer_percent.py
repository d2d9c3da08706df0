"""Kobak, Shpilkin and Pshenichnikov's integer-percentage test.

When a result is written to order ("turnout 85%, the leader 90%") rather than counted, the station's
percentages land on whole numbers. A station's turnout or leader's share is *whole* here when it
rounds, at one decimal, to n.0%. Honest stations land there too, the more often the smaller they are
(150 votes of 300 is exactly 50%), so the null is resampled: each station's voters are drawn again
from Binomial(registered, its turnout) and the leader's votes from Binomial(valid, its share), the
whole stations counted each time; the observed count is held against the resampled ones.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from actas.forensics.columns import Columns
from actas.forensics.finding import ALPHA, Finding, not_computed, top_drivers
from actas.pvalues import p_text

RESAMPLES = 200
MAX_DRAWS = 40_000_000
"""Resampling stops at this many binomial draws (fewer resamples for more stations); the p-value is
then read from a normal fit to the resampled counts, whose spread is well estimated by a few dozen."""
WINDOW = 0.05
"""Percentage points either side of a whole number that still round to it at one decimal."""
TITLE = "Whole-number percentages (Kobak, Shpilkin and Pshenichnikov)"
KOBAK = (
    "Kobak, D., Shpilkin, S. and Pshenichnikov, M. S. (2016). Integer percentages as electoral falsification "
    "fingerprints. Annals of Applied Statistics 10(1), 54-73."
)


def whole(part: NDArray[np.float64], total: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Whether part/total, as a percentage, rounds at one decimal to a whole number (excluding 0% and 100%)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = 100.0 * part / total
    ok = (total > 0) & (pct > WINDOW) & (pct < 100 - WINDOW)
    return ok & (np.abs(pct - np.round(pct)) < WINDOW - 1e-9)


def integer_percent(c: Columns, seed: int = 2012, alpha: float = ALPHA) -> Finding:
    registered = c.registered
    ballots, valid, leader = c.ballots, c.valid.astype(np.float64), c.winner_votes.astype(np.float64)
    usable = np.isfinite(registered) & (registered > 0) & (ballots <= registered) & (valid > 0)
    n = int(usable.sum())
    if n == 0:
        return not_computed(
            "integer-percent", TITLE, len(c.codes), "no station gives both its registered voters and its ballots", KOBAK
        )
    reg, bal, val, lead = registered[usable], ballots[usable], valid[usable], leader[usable]
    spoiled = bal - val
    turnout_whole, share_whole = whole(bal, reg), whole(lead, val)
    observed = int((turnout_whole | share_whole).sum())
    rng = np.random.default_rng(seed)
    resamples = max(20, min(RESAMPLES, MAX_DRAWS // (2 * n)))
    t, s = bal / reg, lead / val
    simulated = np.empty(resamples)
    for k in range(resamples):
        voters = rng.binomial(reg.astype(np.int64), t)
        valid_k = np.maximum(voters - spoiled, 0)
        lead_k = rng.binomial(valid_k.astype(np.int64), s)
        simulated[k] = (whole(voters.astype(np.float64), reg) | whole(lead_k.astype(np.float64), valid_k)).sum()
    mean, sd = float(simulated.mean()), float(simulated.std(ddof=1)) or 1.0
    z = (observed - mean) / sd
    p = float(stats.norm.sf(z))
    flagged = p < alpha
    excess = observed - mean
    codes = [code for code, keep in zip(c.codes, usable, strict=True) if keep]
    hit = turnout_whole | share_whole
    scores = np.where(hit, np.log10(np.maximum(reg, 1.0)), 0.0)
    reasons = [
        _why(tw, sw, 100 * b / r, 100 * le / v)
        for tw, sw, b, r, le, v in zip(turnout_whole, share_whole, bal, reg, lead, val, strict=True)
    ]
    sentence = (
        f"{observed:,} of {n:,} stations report a turnout or a leader's share that is a whole percentage; honest "
        f"counts would give about {mean:,.0f} (±{1.96 * sd:,.0f}), "
        + (
            f"so about {excess:,.0f} more than chance ({p_text(p)}), the mark of results written to a target."
            if flagged
            else f"no excess beyond chance ({p_text(p)})."
        )
    )
    return Finding(
        test="integer-percent",
        title=TITLE,
        statistic="stations with a whole-number turnout or leader's share",
        value=float(observed),
        expected=mean,
        p_value=p,
        interval=(mean - 1.96 * sd, mean + 1.96 * sd),
        flagged=flagged,
        stations=n,
        excluded=len(c.codes) - n,
        sentence=sentence,
        method=(
            f"A percentage is whole when it rounds at one decimal to n.0% (0% and 100% left out). The null "
            f"resamples every station {resamples} times: voters from Binomial(registered, turnout), the leader's "
            "votes from Binomial(valid votes, share), keeping the station's spoiled ballots; the p-value is "
            "one-sided, from a normal fit to the resampled counts. Stations with unknown registered voters, or "
            "more ballots than registered voters, are left out."
        ),
        reference=KOBAK,
        drivers=top_drivers(codes, scores, reasons),
        details={
            "turnout_whole": int(turnout_whole.sum()),
            "share_whole": int(share_whole.sum()),
            "resamples": resamples,
            "resampled_mean": mean,
            "resampled_sd": sd,
            "excess": excess,
            "seed": seed,
        },
        plot={
            "turnout": 100 * t,
            "share": 100 * s,
        },
        alpha=alpha,
    )


def _why(turnout_whole: bool, share_whole: bool, turnout: float, share: float) -> str:
    parts = ([f"turnout {turnout:.2f}%"] if turnout_whole else []) + ([f"leader {share:.2f}%"] if share_whole else [])
    return ", ".join(parts)
