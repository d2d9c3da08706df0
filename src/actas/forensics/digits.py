"""Digit tests on candidates' counts: the second digit (Mebane's 2BL), the last digit and the last two.

A count made up by hand carries the habits of the hand: people favour some digits, round to 0 and 5,
avoid repeating a digit and like neighbouring ones. Counts of clean voting, large enough, have last
digits that are uniform noise, and second digits close to Benford's law. Each test states the minimum
count below which a count is left out: the last digits of small counts are not uniform (a station
with 7 votes for a candidate cannot end in 8 with the same chance as in 7).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from actas.forensics.columns import Columns
from actas.forensics.defaults import ALPHA, MIN_COUNT_LAST
from actas.forensics.finding import Finding, not_computed, top_drivers
from actas.pvalues import p_text, two_sided

BENFORD_SECOND = np.array([sum(math.log10(1 + 1 / (10 * k + d)) for k in range(1, 10)) for d in range(10)])
"""Benford's law for the second digit: 0.11968 for 0 down to 0.08500 for 9."""
BENFORD_SECOND_MEAN = float(np.dot(np.arange(10), BENFORD_SECOND))
"""4.187, the mean second digit Mebane's 2BL test holds the counts against."""
MIN_COUNT_2BL = 10
RESAMPLE_TEXT = (
    "each count drawn again from Binomial(its station's valid votes, its share there), so that the null has "
    "the counts' own sizes. For counts spread widely it is the uniform one (each last digit 10%, 0 or 5 20%, "
    "repeated pairs 10%, neighbouring pairs 20%, so Beber and Scacco's non-adjacent share 70%); for counts "
    "cut off at a minimum while many are near it, it departs from it by up to a point, and testing against "
    "the uniform would flag clean counts."
)

MEBANE = (
    "Mebane, W. R. (2006). Election Forensics: Vote Counts and Benford's Law. Political Methodology "
    "Society summer meeting; Mebane (2011), Comment on 'Benford's Law and the Detection of Election Fraud', "
    "Political Analysis 19(3)."
)
BEBER_SCACCO = (
    "Beber, B. and Scacco, A. (2012). What the Numbers Say: A Digit-Based Test for Election Fraud. "
    "Political Analysis 20(2), 211-234."
)


class Counted(NamedTuple):
    x: NDArray[np.int64]
    """Every candidate's count of at least the minimum, at every station."""
    station: NDArray[np.intp]
    """The station each count comes from."""
    total: int
    """How many counts there were before the minimum."""

    @property
    def stations(self) -> int:
        return int(len(np.unique(self.station)))

    @property
    def excluded(self) -> int:
        return self.total - len(self.x)


def _counts(c: Columns, min_count: int) -> Counted:
    flat = c.votes.ravel()
    station = np.repeat(np.arange(len(c.codes)), len(c.candidates))
    keep = flat >= min_count
    return Counted(flat[keep], station[keep], int(flat.size))


RESAMPLED_DRAWS = 20_000_000


def resampled(
    c: Columns, x: NDArray[np.int64], station: NDArray[np.intp], seed: int, min_count: int
) -> NDArray[np.int64]:
    """The counts drawn again, each from Binomial(its station's valid votes, its share there), several times
    over, those of at least `min_count` kept: counts of the same sizes and the same cut-off, with clean
    last digits. Their digits are the null of the last-digit tests, exact where uniformity is only
    approximate: where counts are cut off at 100 while many are near it, the decades just above the cut
    hold more counts than the next, and low last digits come out more often than high ones."""
    rng = np.random.default_rng(seed)
    valid = c.valid[station]
    share = np.divide(x, valid, out=np.zeros(len(x)), where=valid > 0)
    rounds = max(2, min(20, RESAMPLED_DRAWS // max(1, len(x))))
    draws: NDArray[np.int64] = rng.binomial(np.tile(valid, rounds), np.tile(share, rounds))
    return draws[draws >= min_count]


def _per_station(station: NDArray[np.intp], score: NDArray[np.float64], n: int) -> NDArray[np.float64]:
    return np.bincount(station, weights=score, minlength=n).astype(np.float64)


def second_digits(x: NDArray[np.int64]) -> NDArray[np.int64]:
    """The second digit of each count (every count at least 10)."""
    digits = np.floor(np.log10(x)).astype(np.int64)
    d2: NDArray[np.int64] = (x // 10 ** (digits - 1)) % 10
    return d2


def second_digit(c: Columns, alpha: float = ALPHA, seed: int = 2012) -> Finding:
    counted = _counts(c, MIN_COUNT_2BL)
    x, station = counted.x, counted.station
    n = len(x)
    if n < 2:
        return not_computed(
            "2bl", "Second digits (2BL)", len(c.codes), f"fewer than two counts of at least {MIN_COUNT_2BL}"
        )
    d2 = second_digits(x)
    freq = np.bincount(d2, minlength=10)
    mean = float(d2.mean())
    null_digits = second_digits(resampled(c, x, station, seed, MIN_COUNT_2BL))
    null_mean = float(null_digits.mean())
    null_freq = np.bincount(null_digits, minlength=10) / len(null_digits)
    spread = float(d2.std(ddof=1)) or 1.0
    se = spread * math.sqrt(1 / n + 1 / len(null_digits))
    z = (mean - null_mean) / se
    p = two_sided(z)
    benford_sd = math.sqrt(float(np.dot((np.arange(10) - BENFORD_SECOND_MEAN) ** 2, BENFORD_SECOND)))
    p_benford = two_sided((mean - BENFORD_SECOND_MEAN) / (benford_sd / math.sqrt(n)))
    chi2 = float(np.sum((freq - n * BENFORD_SECOND) ** 2 / (n * BENFORD_SECOND)))
    flagged = p < alpha
    direction = np.sign(mean - null_mean) or 1.0
    scores = _per_station(station, direction * (d2 - null_mean).astype(np.float64), len(c.codes))
    both = (
        f"The second digits of {n:,} vote counts average {mean:.3f}; the same counts drawn again by chance, with "
        f"their stations' sizes and shares, average {null_mean:.3f}"
    )
    observed = (
        f"{both}, and Benford's law, which counts of polling stations' sizes need not follow, gives "
        f"{BENFORD_SECOND_MEAN:.3f}."
    )
    sentence = f"{both} ({p_text(p)}): " + ("a departure beyond chance." if flagged else "no departure beyond chance.")
    return Finding(
        test="2bl",
        title="Second digits of the counts (Mebane's 2BL test)",
        statistic="mean second digit",
        value=mean,
        expected=null_mean,
        p_value=p,
        interval=(null_mean - 1.96 * se, null_mean + 1.96 * se),
        flagged=flagged,
        stations=counted.stations,
        excluded=counted.excluded,
        sentence=sentence,
        method=(
            f"Every candidate's count of at least {MIN_COUNT_2BL} votes at every station; the mean of their second "
            "digits against its value under a null simulated with the counts' own sizes (as Mebane recommends, "
            "since counts of polling stations' sizes do not follow Benford's law): "
            f"{RESAMPLE_TEXT} A two-sided z-test on the difference of the two means, with the observed digits' "
            "own spread (larger than a single count's chance spread, so the test errs towards not flagging). The "
            "mean against Benford's 4.187 and Pearson's chi-square over the ten digits are reported, not tested."
        ),
        reference=MEBANE,
        drivers=top_drivers(c.codes, scores),
        details={
            "counts": n,
            "frequencies": freq.tolist(),
            "benford": BENFORD_SECOND.tolist(),
            "null_frequencies": null_freq.tolist(),
            "benford_mean": BENFORD_SECOND_MEAN,
            "benford_p_value": p_benford,
            "chi_square": chi2,
            "min_count": MIN_COUNT_2BL,
            "seed": seed,
        },
        plot={"observed": freq / n, "expected": null_freq},
        alpha=alpha,
        observed=observed,
    )


def last_digit(c: Columns, min_count: int = MIN_COUNT_LAST, alpha: float = ALPHA, seed: int = 2012) -> Finding:
    counted = _counts(c, min_count)
    x, station = counted.x, counted.station
    n = len(x)
    if n == 0:
        return not_computed("last-digit", "Last digits", len(c.codes), f"no count of at least {min_count}")
    d = x % 10
    freq = np.bincount(d, minlength=10)
    null = np.bincount(resampled(c, x, station, seed, min_count) % 10, minlength=10).astype(np.float64)
    null /= null.sum()
    chi2 = float(np.sum((freq - n * null) ** 2 / (n * null)))
    p = float(stats.chi2.sf(chi2, 9))
    flagged = p < alpha
    over = freq / n - null
    scores = _per_station(station, over[d], len(c.codes))
    worst = int(np.argmax(np.abs(over)))
    observed = (
        f"Across {n:,} counts of at least {min_count} votes, each last digit should end about 10% of them; "
        f"the furthest from what clean counts of these sizes give is {worst}, at {freq[worst] / n:.1%} against "
        f"{null[worst]:.1%}."
    )
    sentence = (
        observed[:-1]
        + f" ({p_text(p)}): "
        + ("more uneven than clean counts are." if flagged else "as even as clean counts.")
    )
    return Finding(
        test="last-digit",
        title="Last digits of the counts",
        statistic="chi-square over the ten last digits (9 degrees of freedom)",
        value=chi2,
        expected=9.0,
        p_value=p,
        interval=(float(stats.chi2.ppf(0.025, 9)), float(stats.chi2.ppf(0.975, 9))),
        flagged=flagged,
        stations=counted.stations,
        excluded=counted.excluded,
        sentence=sentence,
        method=(
            f"The last digit of every candidate's count of at least {min_count} votes, by Pearson's chi-square, "
            f"against the digits of the same counts resampled: {RESAMPLE_TEXT}"
        ),
        reference=BEBER_SCACCO,
        drivers=top_drivers(c.codes, scores),
        details={"counts": n, "frequencies": freq.tolist(), "expected": null.tolist(), "min_count": min_count},
        plot={"observed": freq / n, "expected": null},
        alpha=alpha,
        observed=observed,
    )


def zero_five(c: Columns, min_count: int = MIN_COUNT_LAST, alpha: float = ALPHA, seed: int = 2012) -> Finding:
    counted = _counts(c, min_count)
    x, station = counted.x, counted.station
    n = len(x)
    if n == 0:
        return not_computed("zero-five", "Counts ending in 0 or 5", len(c.codes), f"no count of at least {min_count}")
    round_ = (x % 5) == 0
    k = int(round_.sum())
    q = float(np.mean(resampled(c, x, station, seed, min_count) % 5 == 0))
    p = float(stats.binom.sf(k - 1, n, q))
    flagged = p < alpha
    share = k / n
    lo, hi = stats.binom.ppf([0.025, 0.975], n, q) / n
    scores = _per_station(station, round_.astype(np.float64), len(c.codes))
    observed = f"{share:.1%} of {n:,} counts end in 0 or 5, against {q:.1%} for clean counts of these sizes."
    sentence = (
        observed[:-1]
        + f" ({p_text(p)}): "
        + ("more round numbers than chance gives, as when counts are written by hand." if flagged else "no excess.")
    )
    return Finding(
        test="zero-five",
        title="Counts ending in 0 or 5",
        statistic="share of counts ending in 0 or 5",
        value=share,
        expected=q,
        p_value=p,
        interval=(float(lo), float(hi)),
        flagged=flagged,
        stations=counted.stations,
        excluded=counted.excluded,
        sentence=sentence,
        method=(
            f"Counts of at least {min_count} votes; the number ending in 0 or 5, one-sided (an excess of round "
            f"numbers), against a binomial whose probability is the share among the counts resampled: {RESAMPLE_TEXT}"
        ),
        reference=BEBER_SCACCO,
        drivers=top_drivers(c.codes, scores),
        details={"counts": n, "round": k, "min_count": min_count},
        alpha=alpha,
        observed=observed,
    )


def two_sided_binomial(k: int, n: int, p: float) -> float:
    return float(min(1.0, 2 * min(stats.binom.cdf(k, n, p), stats.binom.sf(k - 1, n, p))))


def pair_kinds(x: NDArray[np.int64]) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Whether each count's last two digits repeat (11) and whether they are neighbours (12, 21, 09, 90)."""
    last, before = x % 10, (x // 10) % 10
    gap = np.abs(last - before)
    return gap == 0, (gap == 1) | (gap == 9)


def digit_pairs(c: Columns, min_count: int = MIN_COUNT_LAST, alpha: float = ALPHA, seed: int = 2012) -> Finding:
    min_count = max(min_count, 10)
    counted = _counts(c, min_count)
    x, station = counted.x, counted.station
    n = len(x)
    if n == 0:
        return not_computed("digit-pairs", "Pairs of last digits", len(c.codes), f"no count of at least {min_count}")
    repeated, adjacent = pair_kinds(x)
    k_rep, k_adj = int(repeated.sum()), int(adjacent.sum())
    non_adjacent = n - k_rep - k_adj
    null_rep, null_adj = (float(np.mean(kind)) for kind in pair_kinds(resampled(c, x, station, seed, min_count)))
    p_rep = two_sided_binomial(k_rep, n, null_rep)
    p_adj = two_sided_binomial(k_adj, n, null_adj)
    p = min(1.0, 2 * min(p_rep, p_adj))
    flagged = p < alpha
    expected_non = 1 - null_rep - null_adj
    lo, hi = stats.binom.ppf([0.025, 0.975], n, expected_non) / n
    scores = _per_station(station, adjacent.astype(np.float64), len(c.codes))
    observed = (
        f"Of {n:,} counts, {k_rep / n:.1%} end in a repeated digit ({null_rep:.1%} expected) and {k_adj / n:.1%} "
        f"in two neighbouring digits ({null_adj:.1%} expected)."
    )
    sentence = (
        observed[:-1]
        + f" ({p_text(p)}): "
        + ("the pattern of numbers people make up." if flagged else "as in clean counts.")
    )
    return Finding(
        test="digit-pairs",
        title="Pairs of last digits (Beber and Scacco)",
        statistic="share of non-adjacent last-digit pairs",
        value=non_adjacent / n,
        expected=expected_non,
        p_value=p,
        interval=(float(lo), float(hi)),
        flagged=flagged,
        stations=counted.stations,
        excluded=counted.excluded,
        sentence=sentence,
        method=(
            f"The last two digits of counts of at least {min_count} votes: the share repeating a digit "
            "(10% for uniform digits) and the share of neighbours, 0 and 9 included (20%), each by a two-sided "
            "binomial test whose probability is the share among the counts resampled; the p-value is the "
            "smaller, doubled (Bonferroni). People inventing numbers repeat digits too rarely and pick "
            f"neighbours too often. Resampling: {RESAMPLE_TEXT}"
        ),
        reference=BEBER_SCACCO,
        drivers=top_drivers(c.codes, scores),
        details={
            "counts": n,
            "repeated": k_rep,
            "repeated_p_value": p_rep,
            "repeated_expected": null_rep,
            "adjacent_expected": null_adj,
            "adjacent": k_adj,
            "adjacent_p_value": p_adj,
            "min_count": min_count,
        },
        alpha=alpha,
        observed=observed,
    )
