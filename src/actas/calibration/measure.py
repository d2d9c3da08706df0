"""How often each per-station test flags a clean election, and how often it catches fraud of known size.

The calibration set is a list of clean simulated elections whose counts span what real elections show:
from 1,000 to 100,000 stations; station sizes drawn from real elections' registered voters (or from
the simulator's own gamma distribution); balanced, typical, skewed and landslide shares; national
turnout from 35% to 85%, regional spreads from 1 to 10 points and station-level spreads from tight to
wide. Each test's score on each election is kept (`calibrated` turns them into thresholds and rates).
The first settings are run again with fraud injected, for each test's detection rate, and the
fingerprint's intervals for f_i are checked for coverage of the truth. Elections run in parallel, one
process per core.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from actas.calibration.published import MODEL_SIZES, SHARES, Calibration, Coverage, Election, score
from actas.calibration.run import run_tests
from actas.forensics.defaults import ALPHA, TESTS
from actas.sim import CLEAN, INVENTED, STUFFING
from actas.sim.fraud_results import Fraud, simulate_results

FRAUDS = (
    ("stuffing, f_i 0.05", STUFFING, Fraud(incremental=0.05)),
    ("stuffing, f_i 0.1, f_e 0.01", STUFFING, Fraud(incremental=0.1, extreme=0.01)),
    ("stuffing, f_i 0.2, f_e 0.03", STUFFING, Fraud(incremental=0.2, extreme=0.03)),
    ("invented, 5% of stations", INVENTED, Fraud(invented=0.05)),
    ("invented, 10% of stations", INVENTED, Fraud(invented=0.1)),
)
SMALLEST, LARGEST = 1000, 100_000


def calibration_set(count: int, size_names: Sequence[str], seed: int = 2026) -> list[Election]:
    """`count` elections, cycling through the size distributions and the shares, the rest drawn at random."""
    rng = np.random.default_rng(seed)
    names = [*size_names, MODEL_SIZES]
    shares = list(SHARES)
    return [
        Election(
            number=k,
            stations=int(math.exp(rng.uniform(math.log(SMALLEST), math.log(LARGEST)))),
            sizes=names[k % len(names)],
            shares=shares[(k // len(names)) % len(shares)],
            turnout=round(float(rng.uniform(0.35, 0.85)), 3),
            regional_spread=round(float(rng.uniform(0.01, 0.10)), 3),
            concentration=round(float(math.exp(rng.uniform(math.log(15), math.log(150)))), 1),
        )
        for k in range(count)
    ]


@dataclass(frozen=True)
class Run:
    """What one simulated election gave: each test's score, and the fingerprint's interval for f_i."""

    label: str
    number: int
    scores: dict[str, float]
    low: float
    high: float
    truth: float


Job = tuple[str, Election, str, Fraud | None, NDArray[np.int64] | None, float]
"""A simulated election to run: its label, setting, scenario, fraud, station sizes and alpha."""


def _run(job: Job) -> Run:
    label, e, scenario, fraud, sizes, alpha = job
    population = e.population({e.sizes: sizes} if sizes is not None else {})
    seed = e.number if scenario == CLEAN else 10_000 + e.number
    findings = run_tests(
        simulate_results(e.stations, seed, scenario, fraud, population).columns, alpha=alpha, seed=e.number, raw=True
    )
    scores = {f.test: s for f in findings if (s := score(f)) is not None}
    fit = next(f for f in findings if f.test == "fingerprint")
    low, high = fit.details.get("incremental_interval", (math.nan, math.nan))
    return Run(label, e.number, scores, float(low), float(high), fraud.incremental if fraud else 0.0)


def _widening(runs: Sequence[Run]) -> tuple[float, float]:
    """The 95th percentiles of how far below (clean elections) and above (stuffed ones) its bootstrap
    interval the truth lay."""
    below = [max(0.0, r.low - r.truth) for r in runs if r.truth == 0]
    above = [max(0.0, r.truth - r.high) for r in runs if r.truth > 0]
    return (
        float(np.percentile(below, 95)) if below else 0.0,
        float(np.percentile(above, 95)) if above else 0.0,
    )


def _coverage(runs: Sequence[Run], widen: tuple[float, float], how: str) -> list[Coverage]:
    found = []
    for label in dict.fromkeys(r.label for r in runs):
        group = [r for r in runs if r.label == label]
        covered = sum(r.low - widen[0] - 1e-9 <= r.truth <= r.high + widen[1] + 1e-9 for r in group)
        found.append(Coverage(f"{label}: covers {group[0].truth:g}, {how}", group[0].truth, covered, len(group)))
    return found


def calibrate(
    elections: Sequence[Election],
    sizes: Mapping[str, NDArray[np.int64]],
    alpha: float = ALPHA,
    fraud_elections: int = 50,
    on_step: Callable[[str], None] | None = None,
) -> Calibration:
    """Run every test on every clean election, and on the first `fraud_elections` settings with each fraud
    of FRAUDS injected. The fingerprint's f_i intervals on the even-numbered elections (clean and stuffed)
    measure how far to widen them; their coverage is then measured on the odd-numbered ones."""
    jobs: list[Job] = [("clean", e, CLEAN, None, sizes.get(e.sizes), alpha) for e in elections]
    for label, scenario, fraud in FRAUDS:
        jobs += [(label, e, scenario, fraud, sizes.get(e.sizes), alpha) for e in elections[:fraud_elections]]
    runs: list[Run] = []
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for done in as_completed([pool.submit(_run, job) for job in jobs]):
            runs.append(done.result())
            if on_step:
                on_step(f"{len(runs)} of {len(jobs)} simulated elections")
    runs.sort(key=lambda r: (r.label != "clean", r.label, r.number))

    def scores(label: str) -> dict[str, list[float]]:
        return {t: [r.scores[t] for r in runs if r.label == label and t in r.scores] for t in TESTS}

    stuffed = {label for label, scenario, _ in FRAUDS if scenario == STUFFING}
    fits = [r for r in runs if (r.label == "clean" or r.label in stuffed) and math.isfinite(r.low)]
    widen = _widening([r for r in fits if r.number % 2 == 0])
    held_out = [r for r in fits if r.number % 2 == 1]
    coverage = _coverage(held_out, (0.0, 0.0), "bootstrap alone") + _coverage(held_out, widen, "widened")
    detection = {label: scores(label) for label, _, _ in FRAUDS if fraud_elections}
    return Calibration(alpha, list(elections), scores("clean"), detection, coverage, widen)
