"""The published calibration of the per-station tests (measured by `actas calibrate`, see
docs/forensics.md), and the rules it sets.

Each test's evidence is a score: -log10 of its p-value, or for the fingerprint the lower end of f_e's
interval when extreme fraud is identified at 0.5% or more (else 0). At its nominal level a test flags
when its score passes -log10(alpha) (the fingerprint: 0). On the clean simulated elections of the
calibration set, some tests pass that more often than alpha says, because their nulls are only close
to how clean counts behave; for each test the threshold is therefore raised to the score that no
more than alpha of the clean elections passed, and a finding flags only beyond it. A finding on more
stations than the calibration's largest election has no verdict: the calibration says nothing of it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from actas.forensics.defaults import TESTS
from actas.forensics.finding import Finding
from actas.pvalues import p_number, p_text
from actas.sim.fraud_results import Population

PUBLISHED = Path(__file__).with_name("calibration.json")
SHARES = {
    "balanced": (0.49, 0.47, 0.03, 0.01),
    "typical": (0.46, 0.38, 0.11, 0.05),
    "skewed": (0.62, 0.25, 0.09, 0.04),
    "landslide": (0.80, 0.12, 0.05, 0.03),
}
MODEL_SIZES = "model"
"""The simulator's own station sizes: 50 + Gamma(8, 60) registered voters."""
COVERAGE = 0.9
"""The share of simulated elections whose fingerprint interval should cover the truth."""


@dataclass(frozen=True)
class Election:
    """One simulated election of the calibration set."""

    number: int
    stations: int
    sizes: str
    shares: str
    turnout: float
    regional_spread: float
    concentration: float

    def population(self, sizes: Mapping[str, NDArray[np.int64]]) -> Population:
        return Population(
            sizes=None if self.sizes == MODEL_SIZES else sizes[self.sizes],
            shares=SHARES[self.shares],
            turnout=self.turnout,
            regional_spread=self.regional_spread,
            concentration=self.concentration,
        )


def score(finding: Finding) -> float | None:
    """The finding's evidence on one scale for every test (larger is stronger), read from the finding as the
    test made it (before `gate`); None if it did not run."""
    if finding.test == "fingerprint":
        if finding.flagged is None:
            return None
        return float(finding.details["extreme_interval"][0]) if finding.flagged else 0.0
    if finding.p_value is None:
        return None
    return -math.log10(max(finding.p_value, 1e-300))


def nominal(test: str, alpha: float) -> float:
    """The score a test flags beyond at its stated level."""
    return 0.0 if test == "fingerprint" else -math.log10(alpha)


@dataclass(frozen=True)
class Rate:
    """How many of the elections a test flagged."""

    test: str
    flagged: int
    elections: int

    @property
    def rate(self) -> float:
        return self.flagged / self.elections if self.elections else math.nan

    @property
    def upper(self) -> float:
        """The one-sided 95% upper confidence bound on the rate (Clopper-Pearson)."""
        if not self.elections:
            return math.nan
        if self.flagged >= self.elections:
            return 1.0
        return float(stats.beta.ppf(0.95, self.flagged + 1, self.elections - self.flagged))


@dataclass(frozen=True)
class Coverage:
    """How often the fingerprint's interval for f_i covered the truth."""

    label: str
    truth: float
    covered: int
    elections: int

    @property
    def rate(self) -> float:
        return self.covered / self.elections if self.elections else math.nan


def threshold(test: str, scores: Sequence[float], alpha: float) -> float:
    """The score beyond which at most alpha of the clean elections' scores lie, and never below the nominal."""
    ranked = sorted(scores, reverse=True)
    allowed = math.floor(alpha * len(ranked))
    measured = ranked[allowed] if allowed < len(ranked) else -math.inf
    return max(nominal(test, alpha), measured)


@dataclass(frozen=True)
class Calibration:
    alpha: float
    elections: list[Election]
    scores: dict[str, list[float]]
    """Each test's score on each clean election it ran on."""
    detection: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    """For each fraud injected, each test's scores."""
    coverage: list[Coverage] = field(default_factory=list)
    widen: tuple[float, float] = (0.0, 0.0)
    """How far below and above its bootstrap interval the fingerprint's f_i may lie: the fit's own error
    (its model is not the elections'), measured on half of the simulated elections."""

    @property
    def largest(self) -> int:
        """The most stations of an election in the calibration set."""
        return max((e.stations for e in self.elections), default=0)

    def threshold(self, test: str) -> float:
        return threshold(test, self.scores.get(test, []), self.alpha)

    def raised(self, test: str) -> bool:
        """Whether the test needed a threshold beyond its nominal level."""
        return self.threshold(test) > nominal(test, self.alpha)

    def _rate(self, test: str, scores: Sequence[float], limit: float) -> Rate:
        return Rate(test, sum(s > limit for s in scores), len(scores))

    def nominal_rate(self, test: str) -> Rate:
        """Clean elections flagged at the nominal level."""
        return self._rate(test, self.scores.get(test, []), nominal(test, self.alpha))

    def rate(self, test: str) -> Rate:
        """Clean elections flagged at the calibrated threshold."""
        return self._rate(test, self.scores.get(test, []), self.threshold(test))

    def detected(self, label: str, test: str) -> Rate:
        return self._rate(test, self.detection[label].get(test, []), self.threshold(test))

    def to_json(self) -> dict[str, Any]:
        return {
            "alpha": self.alpha,
            "elections": [asdict(e) for e in self.elections],
            "scores": self.scores,
            "detection": self.detection,
            "coverage": [asdict(c) for c in self.coverage],
            "widen": list(self.widen),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Calibration:
        return cls(
            float(data["alpha"]),
            [Election(**e) for e in data["elections"]],
            {t: [float(s) for s in v] for t, v in data["scores"].items()},
            {label: {t: [float(s) for s in v] for t, v in tests.items()} for label, tests in data["detection"].items()},
            [Coverage(**c) for c in data["coverage"]],
            (float(data["widen"][0]), float(data["widen"][1])),
        )


@cache
def published() -> Calibration:
    """The calibration measured for this version of the tests."""
    return Calibration.from_json(json.loads(PUBLISHED.read_text(encoding="utf-8")))


def clean_rows(calibration: Calibration) -> list[tuple[str, Rate, str, Rate]]:
    """Per test: the clean elections flagged at its nominal level, its threshold in words, and the clean
    elections flagged at that threshold."""
    return [
        (
            test,
            calibration.nominal_rate(test),
            level(test, calibration.threshold(test)) if calibration.raised(test) else "nominal",
            calibration.rate(test),
        )
        for test in TESTS
    ]


def widening(calibration: Calibration) -> str:
    below, above = calibration.widen
    return (
        f"f_i's interval is the bootstrap's widened by {below:.3f} below and {above:.3f} above: the 95th "
        "percentiles of how far the truth lay outside it on the even-numbered elections (below: the clean ones; "
        "above: the stuffed ones). The coverage is measured on the odd-numbered ones."
    )


def level(test: str, limit: float) -> str:
    if test == "fingerprint":
        return f"f_e's interval starts above {limit:.2%}"
    return f"p < {p_number(10**-limit)}"


def gate(finding: Finding, calibration: Calibration) -> Finding:
    """The finding as it may be reported: flagged only beyond its calibrated threshold, and without a verdict
    on more stations than the calibration's largest election."""
    found = score(finding)
    if finding.flagged is None or found is None or finding.test not in calibration.scores:
        return finding
    if finding.stations > calibration.largest:
        return replace(
            finding,
            flagged=None,
            sentence=f"{finding.observed} Not calibrated for data like these: the calibration's largest election "
            f"has {calibration.largest:,} stations, this one {finding.stations:,}; no verdict.",
            details={**finding.details, "calibrated": False},
        )
    limit = calibration.threshold(finding.test)
    if not calibration.raised(finding.test):
        return replace(finding, details={**finding.details, "calibrated": True})
    often = calibration.nominal_rate(finding.test)
    reached = "found extreme fraud" if finding.test == "fingerprint" else f"reached p < {calibration.alpha:g}"
    why = (
        f"This test {reached} on {often.flagged} of {often.elections} clean simulated elections ({often.rate:.1%}), "
        f"so actas flags it only when {level(finding.test, limit)}, which at most 1 in {round(1 / calibration.alpha)} "
        "of them reached"
    )
    details = {**finding.details, "calibrated": True, "threshold": limit}
    if found > limit or not finding.flagged:
        return replace(finding, sentence=f"{finding.sentence} ({why}.)", details=details)
    shown = "" if finding.p_value is None else f" ({p_text(finding.p_value)})"
    return replace(
        finding,
        flagged=False,
        sentence=f"{finding.observed[:-1]}{shown}. {why}: not flagged.",
        details={**details, "flagged_at_nominal_level": bool(finding.flagged)},
    )


def table(calibration: Calibration) -> str:
    """The published table: each test's false-positive rate on the clean elections, at its nominal level and
    at its calibrated threshold, and its detection rates at that threshold."""
    alpha = calibration.alpha
    lines = [
        f"| test | flagged at {alpha:g} | calibrated threshold | flagged at it | 95% upper bound |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for test, at_nominal, limit, at_limit in clean_rows(calibration):
        lines.append(
            f"| {test} | {at_nominal.flagged} of {at_nominal.elections} ({at_nominal.rate:.1%}) | {limit} "
            f"| {at_limit.flagged} ({at_limit.rate:.1%}) | {at_limit.upper:.1%} |"
        )
    lines += ["", "| fraud injected | " + " | ".join(TESTS) + " |", "| --- |" + " ---: |" * len(TESTS)]
    for label in calibration.detection:
        cells = [f"{calibration.detected(label, test).rate:.0%}" for test in TESTS]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "| fingerprint interval for f_i | covered | rate |", "| --- | ---: | ---: |"]
    for c in calibration.coverage:
        short = "" if c.rate >= COVERAGE else f" (below {COVERAGE:.0%})"
        lines.append(f"| {c.label} | {c.covered} of {c.elections} | {c.rate:.0%}{short} |")
    lines += ["", widening(calibration)]
    return "\n".join(lines) + "\n"
