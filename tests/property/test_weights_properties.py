"""KEY=NUMBER,... as the command line takes shares and weights (`fields.parse_weights`): what is written
is read back, and a negative, too large, unreadable or unkeyed item is refused naming it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actas.errors import InputError
from actas.fields import parse_weights

KEYS = st.from_regex(r"[A-Z][A-Z0-9]{0,7}", fullmatch=True)


@given(st.dictionaries(KEYS, st.floats(0, 1e9, allow_nan=False), min_size=1, max_size=12))
def test_what_is_written_is_read_back(weights: dict[str, float]) -> None:
    text = ",".join(f"{key}={value!r}" for key, value in weights.items())
    assert parse_weights(text, "--shares", "CANDIDATE=WEIGHT") == weights


@given(
    st.dictionaries(KEYS, st.floats(0, 1, allow_nan=False), min_size=1, max_size=6),
    st.sampled_from(["-0.5", "1.5", "nan", "x", "", "1e400"]),
)
def test_a_bad_item_is_refused_naming_it(shares: dict[str, float], bad: str) -> None:
    items = [f"{key}={value!r}" for key, value in shares.items()] + [f"BAD={bad}"]
    with pytest.raises(InputError, match=r"--poll: expected CANDIDATE=SHARE.*BAD="):
        parse_weights(",".join(items), "--poll", "CANDIDATE=SHARE", at_most=1.0)


@pytest.mark.parametrize("text", ["A", "A:1", "=", "A=1,,B=2"])
def test_an_item_without_its_number_is_refused(text: str) -> None:
    with pytest.raises(InputError, match="expected"):
        parse_weights(text, "--shares", "CANDIDATE=WEIGHT")
