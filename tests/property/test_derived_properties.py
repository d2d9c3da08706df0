"""A mapping's derived columns: what one step joins or pads, another splits or strips back, exactly."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from actas.dataset.derived import MAX_SOURCE, DerivationError, Derived

digits = st.text("0123456789", min_size=1, max_size=12)
field = st.text(st.characters(blacklist_characters=".", blacklist_categories=("Cs", "Zs", "Cc")), max_size=10)


@given(st.lists(field, min_size=1, max_size=6), st.data())
def test_split_takes_back_each_joined_part(parts: list[str], data: st.DataObject) -> None:
    k = data.draw(st.integers(-len(parts), len(parts) - 1))
    assert Derived("c", ("a",), split=".", part=k).apply([".".join(parts)]) == parts[k]
    joined = Derived("c", tuple(f"c{i}" for i in range(len(parts))), join=".").apply(parts)
    assert joined == ".".join(parts)


@given(st.lists(field, min_size=1, max_size=6))
def test_a_part_past_the_end_is_refused(parts: list[str]) -> None:
    try:
        Derived("c", ("a",), split=".", part=len(parts)).apply([".".join(parts)])
    except DerivationError as exc:
        assert f"no part {len(parts)}" in str(exc)
    else:
        raise AssertionError("a missing part was made up")


@given(digits, st.integers(1, 64))
def test_stripped_zeros_come_back_when_padded(code: str, width: int) -> None:
    stripped = Derived("c", ("a",), zeros="strip").apply([code])
    assert int(stripped) == int(code) and (stripped == "0" or not stripped.startswith("0"))
    padded = Derived("c", ("a",), zeros=width).apply([stripped])
    assert padded == stripped.zfill(width) and int(padded) == int(code)


@given(digits, digits)
def test_groups_are_reordered_as_the_template_says(first: str, second: str) -> None:
    made = Derived("c", ("a", "b"), join="|", match=re.compile(r"^(\d+)\|(\d+)$"), value="{2}-{1}")
    assert made.apply([first, second]) == f"{second}-{first}"
    assert made.apply([f" {first} ", second]) == f"{second}-{first}"  # cells are read stripped


@given(st.text(max_size=MAX_SOURCE * 2))
def test_any_value_is_derived_or_refused_with_a_reason(value: str) -> None:
    made = Derived("c", ("a",), split=".", part=1, match=re.compile(r"^0*(\d+)$"), zeros=3)
    try:
        result = made.apply([value])
    except DerivationError as exc:
        assert str(exc).startswith("column c: ")
    else:
        assert result.isdigit() and len(result) >= 3 and len(value.strip()) <= MAX_SOURCE
