"""P-values as numbers and as words, the same everywhere actas prints one."""

from __future__ import annotations

import math

SMALLEST = 1e-300
"""Below this a p-value is printed as "< 1e-300": floating point cannot say how much smaller it is."""


def two_sided(z: float) -> float:
    """The two-sided normal p-value of z, accurate far into the tail (0 only past about z = 38)."""
    return math.erfc(abs(z) / math.sqrt(2))


def p_number(p: float) -> str:
    """'0.031', '0.0072', '3.2e-12', '< 1e-300': never 0."""
    if p < SMALLEST:
        return f"< {SMALLEST:.0e}"
    if p < 1e-4:
        return f"{p:.1e}"
    return f"{p:.4f}".rstrip("0").rstrip(".") if p < 0.01 else f"{p:.3f}"


def p_text(p: float) -> str:
    """'p = 0.031', 'p = 3.2e-12', 'p < 1e-300'."""
    number = p_number(p)
    return f"p {number}" if number.startswith("<") else f"p = {number}"


def one_in(p: float) -> str:
    """'about 1 in 135 million' for a small probability."""
    if p < SMALLEST:
        return "less than 1 in 10^300"
    odds = 1 / p
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"), (1e3, "thousand")):
        if odds >= size:
            return f"about 1 in {odds / size:,.0f} {word}"
    return f"about 1 in {odds:,.0f}"
