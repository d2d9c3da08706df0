"""Property tests of the forensic encoders: round-percentage grids and digit extraction."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from actas.forensics.columns import Columns
from actas.forensics.digits import pair_kinds, second_digit
from actas.forensics.integer_percent import whole
from actas.forensics.round_percent import grid_point


@given(st.integers(2_000, 10**9), st.integers(0, 1000))
def test_a_rounded_percentage_is_found_and_a_vote_more_is_not(total: int, g: int) -> None:
    count = (2 * g * total + 1000) // 2000
    found = grid_point(count, total)
    assert found is not None and abs(count * 1000 - found * total) * 2 <= 1000
    tie = (2 * g * total) % 2000 == 1000
    if total >= 4_000 and not tie:
        assert grid_point(count + 1, total) is None
        assert count == 0 or grid_point(count - 1, total) is None


@given(st.lists(st.integers(10, 10**7), min_size=4, max_size=40))
def test_second_digits_are_those_of_the_decimal_text(values: list[int]) -> None:
    votes = np.array([[v, 1] for v in values], dtype=np.int64)
    c = Columns(
        codes=tuple(str(i) for i in range(len(values))),
        candidates=("A", "B"),
        names=("A", "B"),
        votes=votes,
        registered=np.full(len(values), np.nan),
        ballots=votes.sum(axis=1).astype(np.float64),
    )
    finding = second_digit(c)
    expected = np.bincount([int(str(v)[1]) for v in values], minlength=10)
    assert finding.details["frequencies"] == expected.tolist()


@given(st.integers(10, 99_999))
def test_pair_kinds_agree_with_the_text(x: int) -> None:
    repeated, adjacent = pair_kinds(np.array([x]))
    a, b = int(str(x)[-2]), int(str(x)[-1])
    assert bool(repeated[0]) == (a == b)
    assert bool(adjacent[0]) == (abs(a - b) in (1, 9))


@given(st.integers(1, 5000), st.integers(1, 100_000))
def test_whole_percentages_are_those_that_round_to_n_point_0(part: int, total: int) -> None:
    if part > total:
        part, total = total, part
    text = f"{100 * part / total:.1f}"
    expected = text.endswith(".0") and text not in ("0.0", "100.0")
    pct = 100 * part / total
    if abs(abs(pct - round(pct)) - 0.05) > 1e-6:
        assert bool(whole(np.array([float(part)]), np.array([float(total)]))[0]) == expected
