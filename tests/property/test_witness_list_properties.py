"""The witness list: it reads back as written, a changed byte of the signed list is refused, and a malformed
list is refused with its reason."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actas.errors import FormatError, VerificationError
from actas.signed_note import Signer
from actas.witness.credentials import ListedWitness, WitnessList, parse_witness_list_text, token_hash
from tests.property.strategies import hex64, tokens

ORGANIZATION = Signer("observers", b"\x07" * 32)
listed = st.builds(ListedWitness, hex64, st.lists(tokens, min_size=1, max_size=4, unique=True).map(tuple))
witness_lists = (
    st.dictionaries(tokens, listed, min_size=1, max_size=8)
    .filter(lambda d: len({w.token_hash for w in d.values()}) == len(d))
    .map(lambda d: WitnessList.of(ORGANIZATION.verifier, d))
)


@given(witness_lists)
def test_a_witness_list_round_trips(witnesses: WitnessList) -> None:
    note = witnesses.sign(ORGANIZATION)
    assert WitnessList.from_note(note) == witnesses
    assert WitnessList.from_note(note, ORGANIZATION.verifier).text() == witnesses.text()
    assert parse_witness_list_text(witnesses.text(), None) == witnesses


@settings(max_examples=60)
@given(witness_lists, st.data())
def test_any_changed_byte_of_a_signed_list_is_refused(witnesses: WitnessList, data: st.DataObject) -> None:
    note = witnesses.sign(ORGANIZATION).encode()
    at = data.draw(st.integers(0, len(note) - 1))
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != note[at]))
    changed = note[:at] + bytes([byte]) + note[at + 1 :]
    with pytest.raises((FormatError, VerificationError, UnicodeDecodeError)):
        WitnessList.from_note(changed.decode("utf-8"))


KEY = ORGANIZATION.verifier.to_text()
HASH = "a" * 64
TOP = f"actas witness list v2\norganization {KEY}\n"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "first line"),
        ("actas witness list v1\nW-1 " + HASH + "\n", "first line"),
        (f"{TOP}witnesses 1\nwitness W-1 {HASH} M1", "end with a newline"),
        (f"{TOP}witnesses 2\nwitness W-1 {HASH} M1\n", "says 2 witnesses"),
        (f"{TOP}witnesses 1\nwitness W-1 {'A' * 64} M1\n", "line 4"),
        (f"{TOP}witnesses 1\nwitness W 1 {HASH} M1\n", "line 4"),
        (f"{TOP}witnesses 1\nwitness W-1 {HASH}\n", "line 4"),
        (f"{TOP}witnesses 1\nwitness W-1 {HASH} M2,M1\n", "in order"),
        (f"{TOP}witnesses 1\nwitness W-1 {HASH} M1,,M2\n", "codes"),
        (
            f"{TOP}witnesses 2\nwitness W-1 {HASH} M1\nwitness W-1 {'b' * 64} M1\n",
            "twice",
        ),
        (
            f"{TOP}witnesses 2\nwitness W-1 {HASH} M1\nwitness W-2 {HASH} M1\n",
            "same token",
        ),
        ("actas witness list v2\norganization nobody\nwitnesses 0\n\n", "key"),
    ],
)
def test_a_malformed_witness_list_is_refused_with_its_reason(text: str, reason: str) -> None:
    with pytest.raises(FormatError, match=reason):
        parse_witness_list_text(text, None)


def test_a_list_signed_by_another_key_or_not_the_pinned_organization_is_refused() -> None:
    witnesses = WitnessList.of(ORGANIZATION.verifier, {"W-1": ListedWitness(token_hash("t"), ("M1",))})
    impostor = Signer("observers", b"\x08" * 32)
    note = witnesses.text() + "\n" + impostor.sign(witnesses.text()).to_text().split("\n\n", 1)[1]
    with pytest.raises(VerificationError, match="not signed by its organization's key"):
        WitnessList.from_note(note)
    with pytest.raises(VerificationError, match="not the pinned"):
        WitnessList.from_note(witnesses.sign(ORGANIZATION), impostor.verifier)


def test_only_the_hash_of_a_token_is_listed() -> None:
    token = "a-witness-token-" + "x" * 30
    text = WitnessList.of(ORGANIZATION.verifier, {"W-1": ListedWitness(token_hash(token), ("M1",))}).text()
    assert token not in text and token_hash(token) in text
