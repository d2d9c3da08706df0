"""The witness list: it reads back as written, and any byte changed in it is refused or changes what it says."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actas.errors import FormatError
from actas.witness.credentials import parse_witness_list, token_hash, witness_list_text
from tests.property.strategies import hex64, tokens

witness_lists = st.dictionaries(tokens, hex64, max_size=8).filter(lambda d: len(set(d.values())) == len(d))


@given(witness_lists)
def test_a_witness_list_round_trips(witnesses: dict[str, str]) -> None:
    text = witness_list_text(witnesses)
    assert parse_witness_list(text) == witnesses
    assert witness_list_text(parse_witness_list(text)) == text


@given(witness_lists.filter(bool), st.data())
def test_a_changed_byte_is_refused_or_names_another_witness_or_token(
    witnesses: dict[str, str], data: st.DataObject
) -> None:
    text = witness_list_text(witnesses).encode()
    at = data.draw(st.integers(0, len(text) - 1))
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != text[at]))
    changed = text[:at] + bytes([byte]) + text[at + 1 :]
    try:
        parsed = parse_witness_list(changed.decode("utf-8"))
    except (FormatError, UnicodeDecodeError):
        return
    assert parsed != witnesses


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "first line"),
        ("actas witness list v1\nW-1 " + "a" * 64, "end with a newline"),
        ("actas witness list v2\n", "first line"),
        ("actas witness list v1\nW-1 " + "A" * 64 + "\n", "line 2"),
        ("actas witness list v1\nW 1 " + "a" * 64 + "\n", "line 2"),
        ("actas witness list v1\nW-1 " + "a" * 64 + "\nW-1 " + "b" * 64 + "\n", "twice"),
        ("actas witness list v1\nW-1 " + "a" * 64 + "\nW-2 " + "a" * 64 + "\n", "same token"),
    ],
)
def test_a_malformed_witness_list_is_refused_with_its_reason(text: str, reason: str) -> None:
    with pytest.raises(FormatError, match=reason):
        parse_witness_list(text)


def test_only_the_hash_of_a_token_is_listed() -> None:
    token = "a-witness-token-" + "x" * 30
    text = witness_list_text({"W-1": token_hash(token)})
    assert token not in text and token_hash(token) in text
