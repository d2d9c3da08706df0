"""The key registry: signed by the authority, pinned by the verifier, strict about its lines."""

from __future__ import annotations

from typing import Any

import pytest

from actas.errors import FormatError, VerificationError
from actas.registry import KeyRegistry
from actas.signed_note import Signer


def test_round_trip(small: Any) -> None:
    text = small.registry.sign(small.keys.authority)
    again = KeyRegistry.from_text(text, authority=small.keys.authority.verifier)
    assert again == small.registry
    assert set(again.stations) == {s.code for s in small.election.stations}
    assert again.fingerprint == small.election.fingerprint


def test_a_changed_line_breaks_the_authority_signature(small: Any) -> None:
    text = small.registry.sign(small.keys.authority)
    code = small.election.stations[0].code
    registered = small.election.stations[0].registered
    forged = text.replace(f"station {code} {registered} ", f"station {code} {registered + 1} ")
    assert forged != text
    with pytest.raises(VerificationError, match="signature"):
        KeyRegistry.from_text(forged)


def test_a_registry_by_another_authority_fails_the_pinned_key(small: Any) -> None:
    rogue = Signer.generate(small.keys.authority.name)
    text = KeyRegistry.for_election(
        small.election, rogue.verifier, {c: s.verifier for c, s in small.keys.machines.items()}
    ).sign(rogue)
    assert KeyRegistry.from_text(text).authority == rogue.verifier  # consistent with itself...
    with pytest.raises(VerificationError, match="pinned"):
        KeyRegistry.from_text(text, authority=small.keys.authority.verifier)  # ...but not the authority's


def test_signing_with_a_key_other_than_the_named_authority_is_refused(small: Any) -> None:
    with pytest.raises(FormatError):
        small.registry.sign(Signer.generate("someone-else"))


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("actas key registry v1", "actas key registry v0", "line 1"),
        ("\nstations ", "\nstation_count ", "expected 'stations"),
        ("\nstations 12\n", "\nstations 13\n", "announces 13"),
        ("\ncontest president", "\ncontests president", "contest"),
        ("\nfingerprint ", "\nfingerprint x", "hex"),
    ],
)
def test_malformed_registries_are_refused(small: Any, old: str, new: str, words: str) -> None:
    text = small.registry.text().replace(old, new, 1)
    assert text != small.registry.text()
    note = small.keys.authority.sign(text).to_text()
    with pytest.raises(FormatError) as caught:
        KeyRegistry.from_text(note)
    assert words in str(caught.value)


def test_a_station_listed_twice_is_refused(small: Any) -> None:
    lines = small.registry.text().splitlines(keepends=True)
    text = "".join(lines[:-1]) + lines[-2]
    with pytest.raises(FormatError, match="listed twice"):
        KeyRegistry.from_text(small.keys.authority.sign(text).to_text())


def test_a_registry_publishes_its_cosigner_policy(small: Any) -> None:
    from actas.ledger.cosignature import Cosigner, CosignerPolicy, PolicyCosigner

    cosigners = tuple(PolicyCosigner(Cosigner.generate(f"c{i}.example").key, f"https://c{i}.example") for i in range(3))
    policy = CosignerPolicy(cosigners, 2)
    registry = small.keys.registry(small.election, policy)
    text = registry.sign(small.keys.authority)
    assert "\nquorum 2\ncosigner c0.example+" in text
    again = KeyRegistry.from_text(text, authority=small.keys.authority.verifier)
    assert again.cosigners == policy and again == registry
    body = registry.text()
    for broken in (
        body.replace("quorum 2", "quorum 4"),
        body.replace("quorum 2\n", ""),
        body.replace("https://c1.example", "c1.example"),
    ):
        with pytest.raises(FormatError):
            KeyRegistry.from_text(small.keys.authority.sign(broken).to_text())
