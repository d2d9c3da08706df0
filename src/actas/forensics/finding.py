"""What a forensic test found, in the form both reports and machines read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from actas.forensics.defaults import ALPHA

DRIVERS = 20
"""How many of the stations that drive a result a finding names."""


@dataclass(frozen=True)
class Driver:
    station: str
    reason: str
    score: float
    """How strongly the station pulls the statistic away from its null (larger is stronger)."""


@dataclass(frozen=True)
class Finding:
    test: str
    """A short identifier: 2bl, last-digit, zero-five, digit-pairs, integer-percent, fingerprint, turnout."""
    title: str
    statistic: str
    """What `value` is, in words."""
    value: float
    expected: float | None
    """The statistic's value under the null."""
    p_value: float | None
    interval: tuple[float, float] | None
    """A 95% interval: of the statistic under the null, or of an estimate."""
    flagged: bool | None
    """True when the null is rejected at `alpha`; None for descriptive results with no null."""
    stations: int
    excluded: int
    sentence: str
    """The result in a sentence a journalist can quote."""
    method: str
    reference: str
    drivers: tuple[Driver, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    """Further figures (JSON-ready)."""
    plot: Mapping[str, NDArray[Any]] = field(default_factory=dict)
    """The arrays the report's figure is drawn from (not in the JSON)."""
    alpha: float = ALPHA
    observed: str = ""
    """What the test saw, without a verdict: the sentence when the test is not calibrated for such data."""

    def to_json(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "title": self.title,
            "statistic": self.statistic,
            "value": self.value,
            "expected": self.expected,
            "p_value": self.p_value,
            "interval": list(self.interval) if self.interval else None,
            "alpha": self.alpha,
            "flagged": self.flagged,
            "stations": self.stations,
            "excluded": self.excluded,
            "sentence": self.sentence,
            "method": self.method,
            "reference": self.reference,
            "drivers": [{"station": d.station, "reason": d.reason, "score": d.score} for d in self.drivers],
            "details": dict(self.details),
        }


def top_drivers(
    codes: Sequence[str], scores: NDArray[np.float64], reasons: Sequence[str] | None = None
) -> tuple[Driver, ...]:
    """The DRIVERS stations with the highest positive scores, strongest first."""
    order = np.argsort(-scores, kind="stable")[:DRIVERS]
    return tuple(
        Driver(codes[i], reasons[i] if reasons is not None else "", float(scores[i])) for i in order if scores[i] > 0
    )


def not_computed(test: str, title: str, stations: int, why: str, reference: str = "") -> Finding:
    """A test that could not run on these stations, and why."""
    return Finding(
        test=test,
        title=title,
        statistic="not computed",
        value=float("nan"),
        expected=None,
        p_value=None,
        interval=None,
        flagged=None,
        stations=0,
        excluded=stations,
        sentence=f"Not computed: {why}.",
        method="",
        reference=reference,
    )
