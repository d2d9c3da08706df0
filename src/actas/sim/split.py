"""Dividing a whole number into parts: the generator's one tool for realistic sizes that add up exactly."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def split_total(
    total: int,
    parts: int,
    rng: np.random.Generator,
    *,
    minimum: int = 1,
    weights: NDArray[np.float64] | None = None,
    shape: float = 4.0,
) -> NDArray[np.int64]:
    """`parts` whole numbers, each at least `minimum`, adding up to `total` exactly.

    What is left above the minimums is shared in proportion to `weights` (random Gamma(shape)
    weights when none are given) by the largest-remainder method.
    """
    if parts <= 0:
        raise ValueError("parts must be positive")
    spare = total - parts * minimum
    if spare < 0:
        raise ValueError(f"cannot split {total} into {parts} parts of at least {minimum}")
    w = rng.gamma(shape, 1.0, parts) if weights is None else np.asarray(weights, dtype=np.float64)
    quota = spare * w / w.sum()
    base = np.floor(quota).astype(np.int64)
    short = spare - int(base.sum())
    if short:
        base[np.argsort(base - quota, kind="stable")[:short]] += 1
    parts_out: NDArray[np.int64] = base + minimum
    return parts_out
