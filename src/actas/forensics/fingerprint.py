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
0.075. The fit is the (f_i, f_e) whose model fingerprint is closest, in squared difference of the
normalised 20×20 histograms, to the observed one: a grid search, then a finer grid around the best,
with the model's random draws fixed so that the distance changes only with the parameters.
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
INCREMENTAL_GRID = np.round(np.arange(0.0, 0.81, 0.05), 3)
EXTREME_GRID = np.round(np.arange(0.0, 0.201, 0.01), 3)
FLAG_EXTREME = 0.005
"""The fit flags an election when it finds at least this share of stations with extreme fraud. On
simulated elections it finds none in clean ones and the injected share within 0.01 in stuffed ones
(tests/forensics/test_validation.py). The incremental share is reported but not flagged: its small
shifts hide within the width of the clean cloud, which the fit must itself estimate from the stations,
and the fit finds up to 0.1 in clean elections and underestimates it in stuffed ones."""
KLIMEK = (
    "Klimek, P., Yegorov, Y., Hanel, R. and Thurner, S. (2012). Statistical detection of systematic election "
    "irregularities. PNAS 109(41), 16469-16473."
)


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


def fit(
    turnout: NDArray[np.float64], share: NDArray[np.float64], registered: NDArray[np.float64], seed: int = 2012
) -> Fit:
    ok = np.isfinite(turnout) & np.isfinite(share) & np.isfinite(registered) & (registered > 0)
    t, s, reg = turnout[ok], share[ok], registered[ok]
    observed = fingerprint_histogram(t, s, FIT_BINS)
    clean_t, clean_s = _without_noise(clean_centre(t), clean_centre(s), reg)
    draws = _Draws.draw(reg, seed)

    def distance(fi: float, fe: float) -> float:
        mt, ms = model(draws, clean_t, clean_s, fi, fe)
        return float(np.sum((fingerprint_histogram(mt, ms, FIT_BINS) - observed) ** 2))

    def search(grid_i: NDArray[np.float64], grid_e: NDArray[np.float64]) -> tuple[float, float, float]:
        return min(
            ((distance(fi, fe), fi, fe) for fi in grid_i for fe in grid_e if fi + fe <= 1.0),
            key=lambda item: item[0],
        )

    _, fi, fe = search(INCREMENTAL_GRID, EXTREME_GRID)
    fine_i = np.clip(np.round(np.arange(fi - 0.05, fi + 0.0501, 0.01), 3), 0.0, 1.0)
    fine_e = np.clip(np.round(np.arange(fe - 0.01, fe + 0.01001, 0.002), 4), 0.0, 1.0)
    best, fi, fe = search(np.unique(fine_i), np.unique(fine_e))
    return Fit(float(fi), float(fe), best, distance(0.0, 0.0), clean_t, clean_s)


def fingerprint(c: Columns, seed: int = 2012) -> Finding:
    t, s = c.turnout, c.winner_share
    ok = np.isfinite(t) & np.isfinite(s) & np.isfinite(c.registered) & (t <= 1.0)
    n = int(ok.sum())
    title = "Election fingerprint (Klimek et al.)"
    if n < 100:
        return not_computed(
            "fingerprint", title, len(c.codes), "fewer than 100 stations give turnout and votes", KLIMEK
        )
    result = fit(t[ok], s[ok], c.registered[ok], seed)
    flagged = result.extreme >= FLAG_EXTREME
    zt = (t - result.turnout[0]) / result.turnout[1]
    zs = (s - result.share[0]) / result.share[1]
    scores = np.where(ok & (zt > 2) & (zs > 2), zt + zs, 0.0)
    reasons = [f"turnout {a:.1%}, winner {b:.1%}" for a, b in zip(t, s, strict=True)]
    winner = c.names[c.winner]
    mt, ms = model(
        _Draws.draw(c.registered[ok], seed), result.turnout, result.share, result.incremental, result.extreme
    )
    corner = int((ok & (t >= 0.95) & (s >= 0.95)).sum())
    sentence = (
        f"Fitting Klimek's model to {n:,} stations puts incremental fraud at {result.incremental:.0%} of stations and "
        f"extreme fraud (nearly every vote for {winner}) at {result.extreme:.1%}"
        + (
            f"; {corner:,} stations report at least 95% turnout with at least 95% for {winner}."
            if flagged
            else ": the fingerprint looks like one clean cloud."
        )
    )
    return Finding(
        test="fingerprint",
        title=title,
        statistic="fitted share of stations with extreme fraud (f_e)",
        value=result.extreme,
        expected=0.0,
        p_value=None,
        interval=None,
        flagged=flagged,
        stations=n,
        excluded=len(c.codes) - n,
        sentence=sentence,
        method=(
            "The two-dimensional histogram of stations by turnout and the winner's share. The fraud model of "
            "Klimek et al.: clean turnout and share normal (centre at the stations' mode, width from those below "
            f"it, less the binomial noise the model adds back), incremental fraud x = |N(0, {SIGMA_X})| and "
            f"extreme fraud x = 1 - |N(0, "
            f"{SIGMA_X})| of the non-voters and of the other candidates' votes given to the winner, fitted by grid "
            f"search on the squared difference of {FIT_BINS}×{FIT_BINS} histograms. The election is flagged when "
            f"the fit finds extreme fraud at {FLAG_EXTREME:.1%} of stations or more; f_i is weakly identified "
            "(the fit finds up to 0.1 in clean simulated elections) and is reported, not flagged. A fingerprint "
            "shows a pattern; honest causes (regions voting differently) can stretch the cloud too."
        ),
        reference=KLIMEK,
        drivers=top_drivers(c.codes, scores, reasons),
        details={
            "incremental": result.incremental,
            "extreme": result.extreme,
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
    )
