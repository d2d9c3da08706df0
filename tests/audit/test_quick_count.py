"""Quick counts and exit polls: the normal quantiles, NDI's planning example, and the estimators' coverage
and false-positive rate measured on simulated samples with known truth."""

from __future__ import annotations

import random

import pytest

from actas.audit.quick_count import (
    design_effect,
    estimate,
    exit_poll_check,
    response_ratio,
    voters_needed,
    z_value,
)


def test_normal_quantiles() -> None:
    assert z_value(0.95) == pytest.approx(1.959963984540054, abs=1e-12)
    assert z_value(0.99) == pytest.approx(2.5758293035489004, abs=1e-12)
    with pytest.raises(ValueError):
        z_value(1.0)


def test_ndi_planning_example() -> None:
    """NDI, The Quick Count and Election Observation (2002), ch. 5: Peru 2001, 14,570,774 voters, a margin
    of error of 0.32 points at 99% confidence: 163,185 voters in the handbook, whose intermediate figures
    are rounded (z to 2.58, 0.0032² to .000010, ...); the formula unrounded gives 160,204."""
    exact = voters_needed(0.0032, 0.99, 14_570_774)
    assert exact == 160_204
    assert abs(exact - 163_185) / 163_185 < 0.02
    assert voters_needed(0.0032, 0.99, 10**12) > exact  # the finite-population correction lowers the need


def population(seed: int, mesas: int = 3000) -> list[dict[str, int]]:
    rng = random.Random(seed)
    result = []
    for _ in range(mesas):
        valid = rng.randint(150, 450)
        a = round(valid * min(0.95, max(0.05, rng.gauss(0.55, 0.12))))
        result.append({"A": a, "B": valid - a})
    return result


def test_the_interval_covers_the_truth_at_the_stated_rate() -> None:
    mesas = population(1)
    truth = sum(m["A"] for m in mesas) / sum(m["A"] + m["B"] for m in mesas)
    rng = random.Random(2)
    covered = 0
    trials = 400
    for _ in range(trials):
        (a, _b), n = estimate(rng.sample(mesas, 150), len(mesas), 0.95)
        assert n == 150 and a.candidate == "A"
        covered += abs(a.share - truth) <= a.margin
    assert 0.92 <= covered / trials <= 0.98  # 95% nominal; 400 trials: ±2.2 points at 2 standard errors


def test_a_census_has_no_sampling_error_and_bad_samples_are_refused() -> None:
    mesas = population(3, 50)
    (first, second), _ = estimate(mesas, 50)
    assert first.margin == second.margin == 0.0
    with pytest.raises(ValueError):
        estimate(mesas[:1], 50)
    with pytest.raises(ValueError):
        estimate([{"A": 0, "B": 0}] * 3, 50)


def test_exit_poll_z_test_arithmetic_and_calibration() -> None:
    # 2,000 interviews in 100 places, rho 0.05: deff = 1 + 19 * 0.05 = 1.95
    assert design_effect(2000, 100, 0.05) == pytest.approx(1.95)
    (check,) = exit_poll_check({"A": 0.5}, {"A": 0.55}, 2000, 100)
    se = (1.95 * 0.25 / 2000) ** 0.5
    assert check.standard_error == pytest.approx(se) and check.z == pytest.approx(0.05 / se)
    # under the null (the poll drawn from the official shares, no clustering), 5% of p-values fall below 0.05
    rng = random.Random(4)
    rejected = 0
    for _ in range(2000):
        share = sum(rng.random() < 0.4 for _ in range(400)) / 400
        (c,) = exit_poll_check({"A": share}, {"A": 0.4}, 400, 400, icc=0.0)
        rejected += c.p_value < 0.05
    assert 0.03 <= rejected / 2000 <= 0.07


def test_the_response_ratio_that_would_reconcile_a_poll() -> None:
    """Edison Research's 2024 Venezuelan exit poll (González 65%, Maduro 31%, as quoted in
    ../shared/data/README.md) against the council's second bulletin (6,408,844 and 5,326,104 of 12,335,884
    valid votes): González's voters would have had to answer the pollster 2.5 times as often."""
    official = {"EG": 5_326_104 / 12_335_884, "NM": 6_408_844 / 12_335_884}
    ratio = response_ratio({"EG": 0.65, "NM": 0.31}, official, "EG", "NM")
    assert ratio == pytest.approx((0.65 / 0.31) / (5_326_104 / 6_408_844))
    assert 2.5 < ratio < 2.6
