"""Quick counts and exit polls: the normal quantiles, NDI's planning example, and the estimators' coverage
and false-positive rate measured on simulated samples with known truth."""

from __future__ import annotations

import random

import pytest

from actas.audit.quick_count import (
    compare_exit_poll,
    design_effect,
    estimate,
    response_ratio,
    voters_needed,
    z_value,
)
from actas.errors import AuditError
from actas.pvalues import p_number, p_text


def test_normal_quantiles() -> None:
    assert z_value(0.95) == pytest.approx(1.959963984540054, abs=1e-12)
    assert z_value(0.99) == pytest.approx(2.5758293035489004, abs=1e-12)
    with pytest.raises(AuditError):
        z_value(1.0)


def test_ndi_planning_example() -> None:
    """NDI, The Quick Count and Election Observation (2002), ch. 5: Peru 2001, 14,570,774 voters, a margin
    of error of 0.32 points at 99% confidence: 163,185 voters in the handbook, whose intermediate figures
    are rounded (0.0032² to .000010, ...); the formula unrounded gives 160,204 at z = 2.5758 and 160,718
    at the handbook's z = 2.58."""
    exact = voters_needed(0.0032, z_value(0.99), 14_570_774)
    assert exact == 160_204
    handbook_z = voters_needed(0.0032, 2.58, 14_570_774)
    assert handbook_z == 160_718 and abs(handbook_z - 163_185) / 163_185 < 0.02
    assert voters_needed(0.0032, z_value(0.99), 10**12) > exact  # the finite-population correction lowers it


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
    with pytest.raises(AuditError):
        estimate(mesas[:1], 50)
    with pytest.raises(AuditError):
        estimate([{"A": 0, "B": 0}] * 3, 50)


def test_exit_poll_lead_and_share_arithmetic() -> None:
    # 2,000 interviews in 100 places, rho 0.05: deff = 1 + 19 * 0.05 = 1.95 (Kish 1965, 5.4)
    assert design_effect(2000, 100, 0.05) == pytest.approx(1.95)
    poll, official = {"A": 0.5, "B": 0.4, "C": 0.1}, {"A": 0.55, "B": 0.4, "C": 0.05}
    compared = compare_exit_poll(poll, official, 2000, 1.95, "the count")
    a = next(c for c in compared.checks if c.candidate == "A")
    se = (1.95 * 0.25 / 2000) ** 0.5
    assert a.standard_error == pytest.approx(se) and a.z == pytest.approx(0.05 / se)
    # the lead of A over B: Var(p1 - p2) = (p1 + p2 - (p1 - p2)^2) / n for shares of the same interviews
    # (Scott and Seber 1983; Franklin 2007), times the design effect
    lead = compared.lead
    assert (lead.first, lead.second, lead.poll, lead.official) == ("A", "B", pytest.approx(0.1), pytest.approx(0.15))
    assert lead.standard_error == pytest.approx((1.95 * (0.9 - 0.01) / 2000) ** 0.5)
    assert lead.z == pytest.approx(0.05 / lead.standard_error)


def test_in_a_two_way_race_the_leads_margin_is_twice_a_shares() -> None:
    """Franklin (2007): with only two candidates, the margin of error of the lead is twice that of one
    candidate's share, since p1 - p2 = 2 p1 - 1."""
    compared = compare_exit_poll({"A": 0.53, "B": 0.47}, {"A": 0.5, "B": 0.5}, 1000, 1.0, "x")
    share = next(c for c in compared.checks if c.candidate == "A")
    assert compared.lead.standard_error == pytest.approx(2 * share.standard_error)


def test_the_lead_test_holds_its_level_on_simulated_polls() -> None:
    """Polls of 400 interviews drawn from three-way official shares: the lead's test rejects about 5% of
    them at 0.05, and the spread of the simulated leads matches the formula."""
    rng = random.Random(4)
    official = {"A": 0.45, "B": 0.40, "C": 0.15}
    rejected, leads = 0, []
    for _ in range(2000):
        drawn = rng.choices("ABC", weights=[official[c] for c in "ABC"], k=400)
        poll = {c: drawn.count(c) / 400 for c in "ABC"}
        if poll["A"] == poll["B"]:
            continue
        compared = compare_exit_poll(poll, official, 400, 1.0, "x")
        leads.append(poll["A"] - poll["B"])
        rejected += compared.lead.p_value < 0.05
    assert 0.03 <= rejected / len(leads) <= 0.07
    spread = (sum((x - 0.05) ** 2 for x in leads) / len(leads)) ** 0.5
    assert spread == pytest.approx(((0.85 - 0.05**2) / 400) ** 0.5, rel=0.1)


def test_tiny_p_values_are_never_printed_as_zero() -> None:
    compared = compare_exit_poll({"A": 0.65, "B": 0.31}, {"A": 0.43, "B": 0.52}, 1_000_000, 1.0, "x")
    assert compared.lead.p_value == 0.0  # past what floating point holds
    assert p_number(compared.lead.p_value) == "< 1e-300" and p_text(0.0) == "p < 1e-300"
    assert p_number(3.2e-12) == "3.2e-12" and p_number(0.0072) == "0.0072" and p_number(0.03) == "0.030"
    with pytest.raises(AuditError, match="at least two candidates"):
        compare_exit_poll({"A": 0.6}, {"A": 0.5, "B": 0.5}, 100, 1.0, "x")
    with pytest.raises(AuditError, match="design effect of at least 1"):
        compare_exit_poll({"A": 0.6, "B": 0.4}, {"A": 0.5, "B": 0.5}, 100, 0.5, "x")


def test_the_response_ratio_that_would_reconcile_a_poll() -> None:
    """Edison Research's 2024 Venezuelan exit poll (González 65%, Maduro 31%, as quoted in
    ../shared/data/README.md) against the council's second bulletin (6,408,844 and 5,326,104 of 12,335,884
    valid votes): González's voters would have had to answer the pollster 2.5 times as often."""
    official = {"EG": 5_326_104 / 12_335_884, "NM": 6_408_844 / 12_335_884}
    ratio = response_ratio({"EG": 0.65, "NM": 0.31}, official, "EG", "NM")
    assert ratio == pytest.approx((0.65 / 0.31) / (5_326_104 / 6_408_844))
    assert 2.5 < ratio < 2.6
