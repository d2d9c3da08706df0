"""The acta: the published test vector, parsing, and every check against the key registry."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from actas.acta.check import check_acta
from actas.acta.codec import MAX_ACTA_BYTES, acta_text, parse_payload, sign_acta
from actas.acta.model import Acta, ActaKind, ContestCount, SignedActa
from actas.election import Election
from actas.errors import FormatError
from actas.machine.receipt import Receipt, count_receipts
from actas.registry import KeyRegistry
from actas.signed_note import Signer
from tests.vectors.make_acta_vector import build

VECTOR: dict[str, Any] = json.loads((Path(__file__).parents[1] / "vectors" / "acta-v1.json").read_text("utf-8"))
REGISTRY = KeyRegistry.from_text(VECTOR["registry"])


def machine_signer() -> Signer:
    return Signer("vm-01001.01", hashlib.sha256(b"actas vector machine 01001.01").digest())


def test_the_published_vector_is_reproduced_byte_for_byte() -> None:
    assert build() | {"about": VECTOR["about"]} == VECTOR


def test_the_vector_actas_are_valid_and_read_as_published() -> None:
    zero, final = parse_payload(VECTOR["zero_acta"]), parse_payload(VECTOR["final_acta"])
    assert check_acta(zero, REGISTRY) == () and check_acta(final, REGISTRY) == ()
    assert final.acta.kind is ActaKind.FINAL and final.acta.voters == 5
    assert final.acta.contests[0].votes == (2, 1, 1) and final.acta.contests[0].null == 1
    assert final.acta.zero == zero.digest == hashlib.sha256(VECTOR["zero_acta"].encode()).hexdigest()
    paper = count_receipts(
        [Receipt.from_text(r) for r in VECTOR["receipts"]], station="01001.01", zero=zero.digest, chain=final.acta.chain
    )
    assert paper.chain_intact and paper.counts == {"president": {"AZUL": 2, "BRISA": 1, "null": 1, "AURORA": 1}}


def resign(signed: SignedActa, **changes: Any) -> SignedActa:
    """The acta with fields changed and signed again by its own (registered) machine key."""
    return sign_acta(dataclasses.replace(signed.acta, **changes), machine_signer())


FINAL = parse_payload(VECTOR["final_acta"])
CONTEST = FINAL.acta.contests[0]


@pytest.mark.parametrize(
    ("changes", "check", "words"),
    [
        ({"election": "other-2030"}, "election", "registry is for vector-2030"),
        ({"fingerprint": "0" * 64}, "election", "election"),
        ({"station": "01001.09"}, "station", "not in the key registry"),
        ({"voters": 6, "receipts": 6}, "arithmetic", "add up to 5"),
        ({"receipts": 4}, "arithmetic", "receipts printed 4"),
        ({"registered": 4}, "arithmetic", "registry says 7"),
        ({"contests": (dataclasses.replace(CONTEST, votes=(3, 1, 1)),)}, "arithmetic", "add up to 6"),
        ({"contests": (dataclasses.replace(CONTEST, options=("AURORA", "AZUL", "BRISA")),)}, "ballot", "order"),
        ({"contests": (dataclasses.replace(CONTEST, contest="senate"),)}, "ballot", "contests"),
        ({"closed": "2030-06-01T22:00:00Z"}, "arithmetic", "before it opened"),
    ],
)
def test_each_failed_check_is_named(changes: dict[str, Any], check: str, words: str) -> None:
    findings = check_acta(resign(FINAL, **changes), REGISTRY)
    assert findings, "the changed acta should not pass"
    assert any(f.check == check and words in f.message for f in findings), findings


def test_a_changed_count_without_a_new_signature_fails_the_signature() -> None:
    forged = FINAL.payload.replace("AZUL=2 AURORA=1", "AZUL=1 AURORA=2")
    findings = check_acta(parse_payload(forged), REGISTRY)
    assert [f.check for f in findings] == ["signature"]


def test_an_acta_signed_by_another_key_of_the_same_name_is_refused() -> None:
    impostor = Signer("vm-01001.01", b"\x01" * 32)
    findings = check_acta(sign_acta(FINAL.acta, impostor), REGISTRY)
    assert [f.check for f in findings] == ["signature"]


def test_an_acta_signed_by_another_stations_machine_is_refused() -> None:
    other = Signer("vm-01001.02", hashlib.sha256(b"actas vector machine 01001.02").digest())
    findings = check_acta(sign_acta(dataclasses.replace(FINAL.acta, machine="vm-01001.02"), other), REGISTRY)
    assert [f.check for f in findings] == ["machine"]


def test_a_zero_acta_with_votes_is_refused() -> None:
    zero = parse_payload(VECTOR["zero_acta"])
    findings = check_acta(
        resign(zero, voters=1, receipts=1, contests=(dataclasses.replace(CONTEST, votes=(1, 0, 0), null=0),)), REGISTRY
    )
    assert any("zero acta" in f.message for f in findings)


def test_text_round_trip_is_exact() -> None:
    assert acta_text(FINAL.acta) == FINAL.note.text
    assert parse_payload(FINAL.payload.encode()) == FINAL


MALFORMED = [
    ("", "not an acta"),
    ("actas acta v2\n", "not an acta"),
    (VECTOR["final_acta"][:200], "signed note"),
    (VECTOR["final_acta"].replace("voters 5", "voters 05"), "leading zeros"),
    (VECTOR["final_acta"].replace("voters 5", "voters -5"), "whole number"),
    (VECTOR["final_acta"].replace("voters 5", "voters ５"), "whole number"),
    (VECTOR["final_acta"].replace("kind final", "kind interim"), "kind must be"),
    (VECTOR["final_acta"].replace("opened 2030-06-02T10", "opened 2030-06-32T10"), "UTC time"),
    (VECTOR["final_acta"].replace("\nzero ", "\nzer0 "), "expected 'zero"),
    (VECTOR["final_acta"].replace("null=1", "null=1 extra=2"), "end with 'null"),
    (VECTOR["final_acta"].replace("AURORA=1", "AZUL=1"), "appears twice"),
    (VECTOR["final_acta"].replace("\n\n—", "\n\n— vm-01001.01 AAAAAAAAAAAAAAAA\n—"), "exactly one signature"),
    (VECTOR["final_acta"].replace("\n", "\r\n"), ""),
    ("actas acta v1\n" + "x" * MAX_ACTA_BYTES, "more than"),
]


@pytest.mark.parametrize(("payload", "words"), MALFORMED)
def test_malformed_payloads_get_a_clear_format_error(payload: str, words: str) -> None:
    with pytest.raises(FormatError) as caught:
        parse_payload(payload)
    assert words in str(caught.value)


def test_invalid_utf8_is_refused() -> None:
    with pytest.raises(FormatError, match="UTF-8"):
        parse_payload(VECTOR["final_acta"].encode().replace(b"\xe2\x80\x94", b"\xff\xfe\x94"))


def test_contest_count_helpers() -> None:
    count = ContestCount("c", ("A", "B"), (3, 4), 1)
    assert count.total == 8 and count.count("B") == 4
    acta = Acta(ActaKind.ZERO, "e", "0" * 64, "s", "m", 9, 0, 0, "2030-01-01T00:00:00Z", (count,))
    assert "contest c A=3 B=4 null=1" in acta_text(acta)


def test_registry_fixture_election_matches(small: Any) -> None:
    assert isinstance(small.election, Election)
