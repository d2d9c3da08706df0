"""The forensic statistics against published numbers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from actas.forensics.digits import BENFORD_SECOND, BENFORD_SECOND_MEAN, pair_kinds
from actas.forensics.round_percent import grid_point, irwin_hall_centre
from actas.importers.announced_file import load_announced
from actas.reports.evidence import announced_round_percentages


def test_benford_second_digit_law_matches_the_published_table() -> None:
    # Nigrini, Benford's Law (Wiley 2012), table 5.1, second digit; Mebane (2006) gives the mean 4.187.
    published = [0.11968, 0.11389, 0.10882, 0.10433, 0.10031, 0.09668, 0.09337, 0.09035, 0.08757, 0.08500]
    assert np.round(BENFORD_SECOND, 5).tolist() == published
    assert round(BENFORD_SECOND_MEAN, 3) == 4.187


def test_beber_scacco_iran_non_adjacent_share() -> None:
    # Beber and Scacco, "The Devil Is in the Digits", Washington Post, 20 June 2009: in Iran's 2009 provincial
    # results (29 provinces, 4 candidates: 116 counts) only 62% of last-digit pairs are non-adjacent against
    # 70% expected, "the probability that a fair election would produce a difference this large is less than
    # 4.2 percent". 62% of 116 is 72 counts.
    pairs = np.arange(100)
    repeated, adjacent = pair_kinds(pairs + 100)
    assert repeated.mean() == pytest.approx(0.1) and adjacent.mean() == pytest.approx(0.2)
    assert stats.binom.cdf(72, 116, 0.7) < 0.042
    assert stats.binom.cdf(73, 116, 0.7) > 0.042


def test_irwin_hall_centre_probabilities() -> None:
    # P(|U1 + ... + Un| < 1/2) for uniforms on (-1/2, 1/2): 1, 3/4 (a triangle), 2/3 (Irwin-Hall n = 3).
    assert irwin_hall_centre(0) == 1.0
    assert irwin_hall_centre(1) == 1.0
    assert irwin_hall_centre(2) == pytest.approx(0.75)
    assert irwin_hall_centre(3) == pytest.approx(2 / 3)
    rng = np.random.default_rng(4)
    sums = rng.uniform(-0.5, 0.5, (200_000, 5)).sum(axis=1)
    assert irwin_hall_centre(5) == pytest.approx(float(np.mean(np.abs(sums) < 0.5)), abs=0.005)


def test_first_venezuelan_bulletin_is_made_of_round_percentages() -> None:
    # The CNE's first bulletin (29 July 2024): 5,150,092 + 4,445,978 + 462,704 = 10,058,774 votes, exactly
    # 51.2%, 44.2% and 4.6% of it, rounded to the vote.
    finding = announced_round_percentages(load_announced("venezuela-2024-cne-1"))
    grid = finding.details["grids"][0]
    assert grid["total"] == 10_058_774
    assert [h["percent"] for h in grid["on_grid"]] == ["51.2%", "44.2%", "4.6%"]
    q = 1000 / 10_058_774
    assert finding.p_value == pytest.approx(q**2 * 0.75)
    assert finding.flagged and "1 in 135 million" in finding.sentence


def test_second_venezuelan_bulletin_has_no_round_percentages() -> None:
    finding = announced_round_percentages(load_announced("venezuela-2024-cne-2"))
    assert finding.value == 0 and not finding.flagged
    assert {g["total"] for g in finding.details["grids"]} == {12_335_884, 12_386_669}


def test_grid_point_is_exact() -> None:
    assert grid_point(5_150_092, 10_058_774) == 512
    assert grid_point(5_150_093, 10_058_774) is None
    assert grid_point(0, 10) == 0
    assert grid_point(5, 0) is None
