"""The election fingerprint of Klimek, Yegorov, Hanel and Thurner (PNAS 2012), and their fraud model.

The fingerprint is the two-dimensional histogram of stations by turnout and the winner's share. In a
clean election it is one round cloud; ballot stuffing smears it towards the top right, and stations
written at 100% turnout for the winner make a second cloud in the corner.

The model, as actas implements it: every station's clean turnout and winner's share are normal around
the election's (centre at the mode of the stations, width from the stations below it, which fraud only thins),
with the binomial noise of its size. With probability f_i a station has *incremental* fraud: a
fraction x of its non-voters is cast for the winner and the same fraction of the other candidates'
votes is moved to the winner, x = |N(0, σx)|. With probability f_e it has *extreme* fraud, the same
with x = 1 - |N(0, σx)|: nearly every non-voter and opposing vote goes to the winner. σx is fixed at
0.075. The model's fingerprint is then the mixture (1 - f_i - f_e)·H_clean + f_i·H_incremental +
f_e·H_extreme of the fingerprints of stations all clean, all incremental and all extreme (each drawn
once, with the stations' own sizes), and the fit is the (f_i, f_e) whose mixture is closest, in squared
difference of the normalised 20×20 histograms, to the observed one: a least-squares problem in two
bounded unknowns, solved exactly. Each estimate's 95% interval is a percentile bootstrap over stations
(the clean centre and width estimated again in every resample), and an estimate whose interval reaches
0 or 1, or is wider than the estimate itself, is *not identified*: the data cannot tell it from none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from actas.forensics.columns import Columns
from actas.forensics.finding import Finding, not_computed, top_drivers

SIGMA_X = 0.075
FIT_BINS = 20
PLOT_BINS = 100
MODEL_STATIONS = 60_000
BOOTSTRAP = 100
"""Resamples of the stations for the estimates' intervals."""
FLAG_EXTREME = 0.005
"""At its stated level the fit flags an election when extreme fraud is identified (its interval neither
reaches 0 nor is wider than the estimate) at this share of stations or more; the calibration may ask
more of it (docs/forensics.md). Incremental fraud is reported, never flagged: clean clouds that are
not normal (regions voting differently) read as incremental fraud to the model."""
KLIMEK = (
    "Klimek, P., Yegorov, Y., Hanel, R. and Thurner, S. (2012). Statistical detection of systematic election "
    "irregularities. PNAS 109(41), 16469-16473."
)


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float
    """The 95% percentile bootstrap interval."""

    @property
    def identified(self) -> bool:
        return self.low > 0 and self.high < 1 and self.high - self.low <= self.value

    @property
    def none(self) -> bool:
        """Every resample, and the stations themselves, fit less than 0.05%."""
        return self.high < 0.0005 and self.value < 0.0005

    def said(self) -> str:
        return f"{self.value:.1%} (95% interval {self.low:.1%} to {self.high:.1%})"

    def why_not(self) -> str:
        """Why an estimate is not identified, in words."""
        if self.none:
            return "none: every resample of the stations fits less than 0.05%"
        if self.low <= 0:
            return f"not identified: {self.said()}, an interval that reaches 0"
        if self.high >= 1:
            return f"not identified: {self.said()}, an interval that reaches 100%"
        return f"not identified: {self.said()}, an interval wider than the estimate"


@dataclass(frozen=True)
class Fit:
    incremental: float
    extreme: float
    distance: float
    clean_distance: float
    """The distance of the model with no fraud at all, for comparison."""
    turnout: tuple[float, float]
    share: tuple[float, float]
    """(centre, width) of the clean turnout and winner's share."""


def fingerprint_histogram(turnout: NDArray[np.float64], share: NDArray[np.float64], bins: int) -> NDArray[np.float64]:
    """Stations per (turnout, winner's share) cell on [0, 1]², as fractions of the stations; rows are turnout."""
    ok = np.isfinite(turnout) & np.isfinite(share)
    t = np.clip(turnout[ok], 0.0, 1.0)
    s = np.clip(share[ok], 0.0, 1.0)
    ti = np.minimum((t * bins).astype(np.int64), bins - 1)
    si = np.minimum((s * bins).astype(np.int64), bins - 1)
    counts = np.bincount(ti * bins + si, minlength=bins * bins).astype(np.float64)
    return (counts / max(1, len(t))).reshape(bins, bins)


@dataclass(frozen=True)
class _Draws:
    """The model's random numbers, drawn once so the fit compares parameters, not noise."""

    registered: NDArray[np.float64]
    turnout_z: NDArray[np.float64]
    share_z: NDArray[np.float64]
    kind: NDArray[np.float64]
    size: NDArray[np.float64]
    noise_t: NDArray[np.float64]
    noise_s: NDArray[np.float64]

    @classmethod
    def draw(cls, registered: NDArray[np.float64], seed: int) -> _Draws:
        rng = np.random.default_rng(seed)
        n = max(len(registered), MODEL_STATIONS)
        return cls(
            registered=rng.choice(registered, n) if len(registered) != n else registered.copy(),
            turnout_z=rng.standard_normal(n),
            share_z=rng.standard_normal(n),
            kind=rng.random(n),
            size=np.abs(rng.standard_normal(n)) * SIGMA_X,
            noise_t=rng.standard_normal(n),
            noise_s=rng.standard_normal(n),
        )


def model(
    draws: _Draws, turnout: tuple[float, float], share: tuple[float, float], incremental: float, extreme: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Turnout and winner's share of every modelled station."""
    a = np.clip(turnout[0] + turnout[1] * draws.turnout_z, 0.0, 1.0)
    v = np.clip(share[0] + share[1] * draws.share_z, 0.0, 1.0)
    x = np.where(
        draws.kind < incremental,
        np.minimum(draws.size, 1.0),
        np.where(draws.kind < incremental + extreme, np.maximum(1.0 - draws.size, 0.0), 0.0),
    )
    a_f = a + x * (1 - a)
    with np.errstate(divide="ignore", invalid="ignore"):
        v_f = np.where(a_f > 0, (v * a + x * (1 - a) + x * (1 - v) * a) / a_f, v)
    n = np.maximum(draws.registered, 1.0)
    a_n = a_f + np.sqrt(a_f * (1 - a_f) / n) * draws.noise_t
    v_n = v_f + np.sqrt(v_f * (1 - v_f) / np.maximum(a_f * n, 1.0)) * draws.noise_s
    return np.clip(a_n, 0.0, 1.0), np.clip(v_n, 0.0, 1.0)


def clean_centre(values: NDArray[np.float64]) -> tuple[float, float]:
    """Centre and width of the clean part of a distribution that fraud only pushes upwards: the mode of
    the smoothed histogram, and the root mean square distance to it of the values below it (a
    half-normal's, so σ). Fraud thins the left side in proportion, and its shape, and σ, survive."""
    counts, edges = np.histogram(values, bins=200, range=(0.0, 1.0))
    kernel = np.exp(-0.5 * (np.arange(-15, 16) / 5.0) ** 2)
    smooth = np.convolve(counts, kernel / kernel.sum(), mode="same")
    mode = float(edges[int(np.argmax(smooth))] + (edges[1] - edges[0]) / 2)
    below = values[values < mode]
    width = float(np.sqrt(np.mean((mode - below) ** 2))) if len(below) else 0.0
    return mode, max(1e-3, width)


def _without_noise(
    turnout: tuple[float, float], share: tuple[float, float], registered: NDArray[np.float64]
) -> tuple[tuple[float, float], tuple[float, float]]:
    """The widths of the clean turnout and share before the binomial noise of each station's size, which
    the model adds back station by station."""
    a, v = turnout[0], share[0]
    noise_t = float(np.mean(a * (1 - a) / registered))
    noise_s = float(np.mean(v * (1 - v) / np.maximum(a * registered, 1.0)))
    return (
        (a, float(np.sqrt(max(turnout[1] ** 2 - noise_t, 1e-6)))),
        (v, float(np.sqrt(max(share[1] ** 2 - noise_s, 1e-6)))),
    )


def _kinds(draws: _Draws, turnout: tuple[float, float], share: tuple[float, float]) -> NDArray[np.float64]:
    """The fingerprints of the model's stations all clean, all incremental and all extreme, flattened: 3 × 400."""
    return np.array(
        [
            fingerprint_histogram(*model(draws, turnout, share, fi, fe), FIT_BINS).ravel()
            for fi, fe in ((0.0, 0.0), (1.0, 0.0), (0.0, 1.0))
        ]
    )


def _solve(observed: NDArray[np.float64], kinds: NDArray[np.float64]) -> tuple[float, float, float]:
    """(f_i, f_e, distance) minimising |H_clean + f_i (H_inc - H_clean) + f_e (H_ext - H_clean) - observed|²
    over f_i, f_e >= 0, f_i + f_e <= 1: the unconstrained minimum if it is feasible, else the best on an edge."""
    clean, a, b = kinds[0], kinds[1] - kinds[0], kinds[2] - kinds[0]
    target = observed.ravel() - clean

    def distance(fi: float, fe: float) -> float:
        return float(np.sum((fi * a + fe * b - target) ** 2))

    def line(u: NDArray[np.float64], v: NDArray[np.float64], w: NDArray[np.float64]) -> float:
        """The best s in [0, 1] for |u + s·v - w|²."""
        vv = float(v @ v)
        return min(1.0, max(0.0, float(v @ (w - u)) / vv)) if vv > 0 else 0.0

    gram = np.array([[a @ a, a @ b], [a @ b, b @ b]])
    candidates = []
    if abs(float(np.linalg.det(gram))) > 1e-18:
        fi, fe = np.linalg.solve(gram, np.array([a @ target, b @ target]))
        if fi >= 0 and fe >= 0 and fi + fe <= 1:
            candidates.append((float(fi), float(fe)))
    zero = np.zeros_like(a)
    candidates.append((line(zero, a, target), 0.0))
    candidates.append((0.0, line(zero, b, target)))
    s = line(b, a - b, target)  # on f_i + f_e = 1: f_i = s
    candidates.append((s, 1.0 - s))
    fi, fe = min(candidates, key=lambda pair: distance(*pair))
    return fi, fe, distance(fi, fe)


def _fit(t: NDArray[np.float64], s: NDArray[np.float64], reg: NDArray[np.float64], draws: _Draws) -> Fit:
    observed = fingerprint_histogram(t, s, FIT_BINS)
    clean_t, clean_s = _without_noise(clean_centre(t), clean_centre(s), reg)
    kinds = _kinds(draws, clean_t, clean_s)
    fi, fe, best = _solve(observed, kinds)
    return Fit(fi, fe, best, float(np.sum((kinds[0] - observed.ravel()) ** 2)), clean_t, clean_s)


def bootstrap(
    t: NDArray[np.float64],
    s: NDArray[np.float64],
    reg: NDArray[np.float64],
    draws: _Draws,
    seed: int,
    resamples: int = BOOTSTRAP,
) -> tuple[Estimate, Estimate, Fit]:
    """The fit and its estimates' 95% percentile intervals, from `resamples` resamples of the stations, every
    fit with the model's same `draws`."""
    whole = _fit(t, s, reg, draws)
    rng = np.random.default_rng([seed, 11])
    found = np.empty((resamples, 2))
    for r in range(resamples):
        pick = rng.integers(0, len(t), len(t))
        again = _fit(t[pick], s[pick], reg[pick], draws)
        found[r] = again.incremental, again.extreme
    low, high = np.percentile(found, [2.5, 97.5], axis=0)
    return (
        Estimate(whole.incremental, float(low[0]), float(high[0])),
        Estimate(whole.extreme, float(low[1]), float(high[1])),
        whole,
    )


def fingerprint(
    c: Columns, seed: int = 2012, resamples: int = BOOTSTRAP, widen: tuple[float, float] = (0.0, 0.0)
) -> Finding:
    """The fit and its finding; f_i's bootstrap interval is widened by `widen` (below, above): the fit's
    error measured on simulated elections (`calibrated.Calibration.widen`)."""
    t, s = c.turnout, c.winner_share
    ok = np.isfinite(t) & np.isfinite(s) & np.isfinite(c.registered) & (c.registered > 0) & (t <= 1.0)
    n = int(ok.sum())
    title = "Election fingerprint (Klimek et al.)"
    if n < 100:
        return not_computed(
            "fingerprint", title, len(c.codes), "fewer than 100 stations give turnout and votes", KLIMEK
        )
    draws = _Draws.draw(c.registered[ok], seed)
    booted, extreme, result = bootstrap(t[ok], s[ok], c.registered[ok], draws, seed, resamples)
    incremental = Estimate(booted.value, max(0.0, booted.low - widen[0]), min(1.0, booted.high + widen[1]))
    flagged = extreme.identified and extreme.value >= FLAG_EXTREME
    zt = (t - result.turnout[0]) / result.turnout[1]
    zs = (s - result.share[0]) / result.share[1]
    scores = np.where(ok & (zt > 2) & (zs > 2), zt + zs, 0.0)
    reasons = [f"turnout {a:.1%}, winner {b:.1%}" for a, b in zip(t, s, strict=True)]
    winner = c.names[c.winner]
    mt, ms = model(draws, result.turnout, result.share, result.incremental, result.extreme)
    corner = int((ok & (t >= 0.95) & (s >= 0.95)).sum())
    observed = (
        f"Fitting Klimek's model to {n:,} stations: extreme fraud (nearly every vote for {winner}) at "
        f"{extreme.said()}; incremental fraud at {incremental.said()}; {corner:,} stations report at least 95% "
        f"turnout with at least 95% for {winner}."
    )
    sentence = (
        f"Fitting Klimek's model to {n:,} stations: "
        + (
            f"extreme fraud (nearly every vote for {winner}) at {extreme.said()} of stations; {corner:,} stations "
            f"report at least 95% turnout with at least 95% for {winner}."
            if flagged
            else (
                f"extreme fraud (nearly every vote for {winner}) at {extreme.said()}, below the "
                f"{FLAG_EXTREME:.1%} the test flags."
                if extreme.identified
                else f"extreme fraud (nearly every vote for {winner}): {extreme.why_not()}."
            )
        )
        + (
            f" Incremental fraud at {incremental.said()}, reported, not flagged: a clean cloud that is not round "
            "reads as incremental fraud to this model."
            if incremental.identified
            else f" Incremental fraud: {incremental.why_not()}."
        )
    )
    return Finding(
        test="fingerprint",
        title=title,
        statistic="fitted share of stations with extreme fraud (f_e)",
        value=extreme.value,
        expected=0.0,
        p_value=None,
        interval=(extreme.low, extreme.high),
        flagged=flagged,
        stations=n,
        excluded=len(c.codes) - n,
        sentence=sentence,
        method=(
            "The two-dimensional histogram of stations by turnout and the winner's share. The fraud model of "
            "Klimek et al.: clean turnout and share normal (centre at the stations' mode, width from those below "
            f"it, less the binomial noise the model adds back), incremental fraud x = |N(0, {SIGMA_X})| and "
            f"extreme fraud x = 1 - |N(0, {SIGMA_X})| of the non-voters and of the other candidates' votes given "
            "to the winner. The model's histogram is the mixture of the histograms of stations all clean, all "
            f"incremental and all extreme, fitted by least squares over {FIT_BINS}×{FIT_BINS} cells with "
            f"f_i, f_e >= 0 and f_i + f_e <= 1; 95% intervals from {resamples} bootstrap resamples of the "
            f"stations, f_i's widened by {widen[0]:.3f} below and {widen[1]:.3f} above: how far the fit missed "
            "the truth beyond its bootstrap interval on simulated elections, whose clouds are not the model's "
            "(docs/forensics.md). An estimate is identified when its interval neither reaches 0 or 1 nor is wider than "
            f"the estimate. The election is flagged when extreme fraud is identified at {FLAG_EXTREME:.1%} of "
            "stations or more; incremental fraud is reported, never flagged. A fingerprint shows a pattern; "
            "clean causes (regions voting differently) can stretch the cloud too."
        ),
        reference=KLIMEK,
        drivers=top_drivers(c.codes, scores, reasons),
        details={
            "incremental": incremental.value,
            "incremental_interval": [incremental.low, incremental.high],
            "incremental_bootstrap_interval": [booted.low, booted.high],
            "incremental_identified": incremental.identified,
            "extreme": extreme.value,
            "extreme_interval": [extreme.low, extreme.high],
            "extreme_identified": extreme.identified,
            "interval": f"95% percentile bootstrap, {resamples} resamples of the stations",
            "distance": result.distance,
            "clean_distance": result.clean_distance,
            "turnout_centre": result.turnout[0],
            "turnout_width": result.turnout[1],
            "share_centre": result.share[0],
            "share_width": result.share[1],
            "corner_stations": corner,
            "sigma_x": SIGMA_X,
        },
        plot={
            "observed": fingerprint_histogram(t[ok], s[ok], PLOT_BINS),
            "model": fingerprint_histogram(mt, ms, PLOT_BINS),
        },
        observed=observed,
    )
