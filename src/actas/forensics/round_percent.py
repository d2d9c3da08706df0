"""The round-percentage test on announced totals.

A bulletin whose every count is a round percentage of its total (51.2%, 44.2%, 4.6% of the votes, to
the vote) looks computed from percentages chosen first rather than added up from actas. For clean
counts the remainder of a count modulo the grid's step (the total over 1,000 for one decimal of a
percentage: about 10,000 votes in a national election) is as likely to be anything, so a count lands
within half a vote of a grid point with probability q = 1,000 / total. When all k counts land there
and they add up to the total, the first k - 1 land by chance (q^(k-1)) and the last lands exactly when
the others' rounding errors add up to less than half a vote, which has the Irwin-Hall probability of
k - 1 uniform errors on (-1/2, 1/2). When only some land, or the total is not their sum, the number
that land is binomial(k, q). Each denominator tried multiplies the chance of a coincidence, so the
probability reported is the smallest one times the number of denominators (Bonferroni).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from scipy import stats

from actas.forensics.defaults import ALPHA
from actas.forensics.finding import Finding
from actas.pvalues import one_in

DECIMALS = 1


@dataclass(frozen=True)
class Grid:
    denominator: str
    total: int
    on_grid: tuple[tuple[str, int, str], ...]
    """(name, count, percentage) of the counts that are round percentages of the total."""
    counts: int
    sums_to_total: bool
    probability: float


def grid_point(count: int, total: int, decimals: int = DECIMALS) -> int | None:
    """The g with count = round(g / 10^(decimals+2) × total), exactly (ties either way), if there is one."""
    scale = 10 ** (decimals + 2)
    if total <= 0:
        return None
    g = (2 * count * scale + total) // (2 * total)
    return g if abs(2 * count * scale - 2 * g * total) <= scale else None


def irwin_hall_centre(n: int) -> float:
    """P(|U_1 + ... + U_n| < 1/2) for n independent uniforms on (-1/2, 1/2); 1 for n = 0."""
    if n == 0:
        return 1.0

    def cdf(x: Fraction) -> Fraction:
        return sum(
            (Fraction((-1) ** j * math.comb(n, j)) * (x - j) ** n for j in range(0, math.floor(x) + 1)),
            Fraction(0),
        ) / math.factorial(n)

    half = Fraction(n, 2)
    return float(cdf(half + Fraction(1, 2)) - cdf(half - Fraction(1, 2)))


def _percent(g: int, decimals: int) -> str:
    return f"{g / 10**decimals:.{decimals}f}%"


def grid(counts: Sequence[tuple[str, int]], denominator: str, total: int, decimals: int = DECIMALS) -> Grid:
    nonzero = [(name, c) for name, c in counts if c > 0]
    hits = []
    for name, c in nonzero:
        g = grid_point(c, total, decimals)
        if g is not None:
            hits.append((name, c, _percent(g, decimals)))
    k, m = len(nonzero), len(hits)
    q = min(1.0, 10 ** (decimals + 2) / total) if total > 0 else 1.0
    sums = sum(c for _, c in nonzero) == total
    if m == k and sums and k >= 2:
        probability = q ** (k - 1) * irwin_hall_centre(k - 1)
    else:
        probability = float(stats.binom.sf(m - 1, k, q)) if m else 1.0
    return Grid(denominator, total, tuple(hits), k, sums, probability)


def round_percentages(
    counts: Sequence[tuple[str, int]],
    totals: Sequence[tuple[str, int]],
    decimals: int = DECIMALS,
    alpha: float = ALPHA,
) -> Finding:
    """The test on one bulletin: its counts by name, and the totals to try as denominators (the sum of
    the counts first; then valid votes, voters, as announced)."""
    seen: dict[int, str] = {}
    for name, total in totals:
        if total > 0:
            seen.setdefault(total, name)
    grids = [grid(counts, name, total, decimals) for total, name in seen.items()]
    best = min(grids, key=lambda g: g.probability)
    p = min(1.0, best.probability * len(grids))
    flagged = p < alpha
    k, m = best.counts, len(best.on_grid)
    step = f"{10**-decimals:g}"
    if m == k:
        listed = ", ".join(pct for _, _, pct in best.on_grid)
        sentence = (
            f"Every one of the {k} announced counts is exactly a percentage with {decimals} decimal "
            f"({listed}) of {best.total:,} ({best.denominator}), to the vote. Clean counts land on such round "
            f"percentages by chance with probability {one_in(p)}."
        )
    elif m == 0:
        sentence = (
            f"None of the {k} announced counts is a round percentage (to {step} of a point) of {best.total:,} "
            f"({best.denominator}): nothing suggests they were computed from percentages."
        )
    else:
        sentence = (
            f"{m} of the {k} announced counts are round percentages (to {step} of a point) of {best.total:,} "
            f"({best.denominator}); clean counts would do as much with probability {p:.2g}"
            + (", which is unusual." if flagged else ", which is not unusual.")
        )
    return Finding(
        test="round-percent",
        title="Round percentages in the announced totals",
        statistic=f"counts that are a round percentage (to {step} of a point) of the total",
        value=float(m),
        expected=k * min(1.0, 10 ** (decimals + 2) / best.total),
        p_value=p,
        interval=None,
        flagged=flagged,
        stations=0,
        excluded=0,
        sentence=sentence,
        method=(
            f"Each count is tested for being round(g × total / {10 ** (decimals + 2):,}) for a whole g, exactly. "
            "For clean counts a count does so with probability q = "
            f"{10 ** (decimals + 2):,} / total; k counts that all do and add up to the total do so with "
            "probability q^(k-1) times the Irwin-Hall probability that the k-1 rounding errors add up to less "
            "than half a vote; otherwise the number that do is binomial(k, q). The smallest probability over the "
            f"{len(grids)} denominator(s) tried, times their number."
        ),
        reference=(
            "The arithmetic of rounding; the observation on the Venezuelan council's first 2024 bulletin was made "
            "by many analysts within hours of its publication."
        ),
        details={
            "decimals": decimals,
            "grids": [
                {
                    "denominator": g.denominator,
                    "total": g.total,
                    "counts": g.counts,
                    "sums_to_total": g.sums_to_total,
                    "on_grid": [{"name": n, "count": c, "percent": pct} for n, c, pct in g.on_grid],
                    "probability": g.probability,
                }
                for g in grids
            ],
        },
        alpha=alpha,
    )
