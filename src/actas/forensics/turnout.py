"""Turnout against the winner's share, and the shape of the turnout distribution.

Where ballots are stuffed for the winner, the stations with the highest turnout are also those where
the winner does best, and the turnout distribution grows a long right tail (Myagkov, Ordeshook and
Shakin's turnout test; the kurtosis Klimek et al. report). Clean elections can correlate turnout
and share too (a candidate's strongholds may turn out more), so the correlation is reported, not
tested. The test is the tail, for the winner: it rejects only when both hold, so its level is the
larger of two p-values (an intersection-union test): more stations report a turnout of 95% or more
than a normal distribution fitted to the bulk of the stations (median and median absolute deviation)
leaves there, and the winner's share is higher at those stations than at the others (Mann-Whitney).
A high-turnout tail where the winner does no better is reported, not flagged.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from actas.forensics.columns import Columns
from actas.forensics.defaults import ALPHA
from actas.forensics.finding import Finding, not_computed, top_drivers
from actas.pvalues import p_text

HIGH_TURNOUT = 0.95
MYAGKOV = (
    "Myagkov, M., Ordeshook, P. C. and Shakin, D. (2009). The Forensics of Election Fraud: Russia and Ukraine. "
    "Cambridge University Press, ch. 3; Klimek et al. (2012), PNAS 109(41)."
)


def turnout_shape(c: Columns, alpha: float = ALPHA) -> Finding:
    t, s = c.turnout, c.winner_share
    ok = np.isfinite(t) & np.isfinite(s)
    n = int(ok.sum())
    title = "Turnout and the winner's share"
    if n < 10:
        return not_computed("turnout", title, len(c.codes), "fewer than 10 stations give turnout and votes", MYAGKOV)
    tt, ss = t[ok], s[ok]
    r = float(np.corrcoef(tt, ss)[0, 1]) if tt.std() > 0 and ss.std() > 0 else 0.0
    zr, se = math.atanh(max(-0.999999, min(0.999999, r))), 1 / math.sqrt(max(n - 3, 1))
    interval = (math.tanh(zr - 1.96 * se), math.tanh(zr + 1.96 * se))
    median = float(np.median(tt))
    width = max(1e-3, 1.4826 * float(np.median(np.abs(tt - median))))
    tail_expected = n * float(stats.norm.sf(HIGH_TURNOUT, median, width))
    high = tt >= HIGH_TURNOUT
    tail = int(high.sum())
    p_tail = float(stats.poisson.sf(tail - 1, tail_expected)) if tail else 1.0
    p_share = float(stats.mannwhitneyu(ss[high], ss[~high], alternative="greater").pvalue) if 0 < tail < n else 1.0
    p = max(p_tail, p_share)
    flagged = p < alpha
    skew, kurt = float(stats.skew(tt)), float(stats.kurtosis(tt))
    winner = c.names[c.winner]
    share_high = float(ss[high].mean()) if tail else math.nan
    codes = [code for code, keep in zip(c.codes, ok, strict=True) if keep]
    scores = np.where(high, tt + ss, 0.0)
    reasons = [f"turnout {a:.1%}, {winner} {b:.1%}" for a, b in zip(tt, ss, strict=True)]
    seen = (
        f"{tail:,} of {n:,} stations report a turnout of {HIGH_TURNOUT:.0%} or more, where a normal spread around "
        f"the typical {median:.0%} would put {tail_expected:,.1f}"
    )
    at_high = (
        f"; {winner} takes {share_high:.0%} of their votes against {float(np.median(ss)):.0%} at a typical station"
        if tail
        else ""
    )
    correlation = f" Across stations, turnout and {winner}'s share correlate at r = {r:.2f}."
    sentence = (
        seen
        + at_high
        + f" ({p_text(p)})"
        + (
            ": the pattern of ballots stuffed for the winner."
            if flagged
            else (
                "."
                if not tail
                else (
                    ": no more such stations than a normal spread gives."
                    if p_tail >= alpha
                    else ". Stuffing for the winner would raise the winner's share there; it does not."
                )
            )
        )
        + correlation
    )
    return Finding(
        test="turnout",
        title=title,
        statistic=f"stations with turnout of {HIGH_TURNOUT:.0%} or more",
        value=float(tail),
        expected=tail_expected,
        p_value=p,
        interval=(float(stats.poisson.ppf(0.025, tail_expected)), float(stats.poisson.ppf(0.975, tail_expected))),
        flagged=flagged,
        stations=n,
        excluded=len(c.codes) - n,
        sentence=sentence,
        method=(
            "Turnout is ballots over registered voters. The stations at or above 95% turnout are counted and held "
            "against the tail of a normal distribution centred on the median turnout with the median absolute "
            "deviation's width (a one-sided Poisson test), and the winner's share at those stations against the "
            "others' (one-sided Mann-Whitney); the p-value is the larger of the two. "
            "Pearson's correlation of turnout with the winner's "
            "share, with its 95% interval (Fisher's z), and the skewness and excess kurtosis of turnout are "
            "reported without a test: clean elections can correlate too."
        ),
        reference=MYAGKOV,
        drivers=top_drivers(codes, scores, reasons),
        details={
            "correlation": r,
            "correlation_interval": list(interval),
            "median_turnout": median,
            "turnout_width": width,
            "skewness": skew,
            "excess_kurtosis": kurt,
            "tail_p_value": p_tail,
            "winner_share_p_value": p_share,
            "winner_share_at_high_turnout": None if math.isnan(share_high) else share_high,
        },
        plot={"turnout": tt, "share": ss, "votes": c.valid[ok].astype(np.float64)},
        alpha=alpha,
        observed=seen + at_high + ".",
    )
