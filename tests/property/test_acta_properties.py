"""Property tests: every encoder round-trips, and any tampered byte of a signed acta is detected."""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from actas.acta.check import check_acta
from actas.acta.codec import _parse_lines, acta_text, parse_acta_text, parse_payload, sign_acta
from actas.acta.model import Acta
from actas.acta.qr import join_parts, split_payload
from actas.errors import ActasError
from actas.machine.receipt import Receipt
from actas.machine.voting_machine import MachineSetup, VotingMachine
from actas.signed_note import SignedNote, Signer, Verifier
from tests.property.strategies import actas, contest_counts, hex64, tokens

SIGNER = Signer("vm-prop", b"\x07" * 32)


@given(actas())
def test_acta_text_round_trips(acta: Acta) -> None:
    assert parse_acta_text(acta_text(acta)) == acta


@given(actas())
def test_an_acta_sent_between_processes_arrives_whole(acta: Acta) -> None:
    assert pickle.loads(pickle.dumps(acta)) == acta


@given(actas())
def test_signed_payload_round_trips(acta: Acta) -> None:
    acta = dataclasses.replace(acta, machine=SIGNER.name)
    signed = sign_acta(acta, SIGNER)
    again = parse_payload(signed.payload)
    assert again == signed and again.payload == signed.payload
    assert SIGNER.verifier.verifies(again.note)


@given(actas(), st.data())
def test_the_fast_reader_and_the_line_reader_agree_on_any_edit(acta: Acta, data: st.DataObject) -> None:
    """Both readers accept exactly the same texts and read them the same way."""
    text = acta_text(acta)
    pos = data.draw(st.integers(0, len(text) - 1))
    replacement = data.draw(st.sampled_from(["", "0", "1", " ", "\n", "=", "a", "null", "x=1 ", "01", "-"]))
    edited = text[:pos] + replacement + text[pos + 1 :]
    try:
        slow: Acta | None = _parse_lines(edited)
    except ActasError:
        slow = None
    try:
        fast: Acta | None = parse_acta_text(edited)
    except ActasError:
        fast = None
    assert fast == slow
    if fast is not None:
        assert acta_text(fast) == edited  # canonical: one text per acta


@settings(max_examples=300)
@given(st.data())
def test_any_changed_byte_of_a_signed_acta_is_detected(data: st.DataObject) -> None:
    signed = sign_acta(dataclasses.replace(data.draw(actas()), machine=SIGNER.name), SIGNER)
    raw = bytearray(signed.payload.encode())
    pos = data.draw(st.integers(0, len(raw) - 1))
    new = data.draw(st.integers(0, 255).filter(lambda b: b != raw[pos]))
    raw[pos] = new
    try:
        tampered = parse_payload(bytes(raw))
    except ActasError:
        return  # refused as malformed: detected
    assert tampered.payload != signed.payload
    assert not (SIGNER.verifier.verifies(tampered.note) and tampered.note.signatures[0].name == SIGNER.name)


@given(actas(), st.data())
def test_a_changed_field_signed_by_another_key_fails_the_registry_check(acta: Acta, data: st.DataObject) -> None:
    from actas.registry import KeyRegistry, RegisteredStation

    acta = dataclasses.replace(acta, machine=SIGNER.name)
    registry = KeyRegistry(
        acta.election,
        acta.fingerprint,
        Signer("authority", b"\x01" * 32).verifier,
        tuple((c.contest, c.options) for c in acta.contests),
        {acta.station: RegisteredStation(acta.station, acta.registered, SIGNER.verifier)},
    )
    forger = Signer(SIGNER.name, data.draw(st.binary(min_size=32, max_size=32).filter(lambda b: b != b"\x07" * 32)))
    findings = check_acta(sign_acta(acta, forger), registry)
    assert any(f.check == "signature" for f in findings)


@given(st.text(max_size=3000).map(lambda t: t.replace("\r", "")))
def test_qr_parts_join_back_into_the_payload(text: str) -> None:
    payload = "actas acta v1\n" + text
    parts = split_payload(payload)
    assert all(len(p.encode()) <= 440 for p in parts)
    assert join_parts(parts[::-1]) == [payload]


@given(
    st.lists(st.text(st.characters(blacklist_categories=["Cc", "Cs"]), min_size=1, max_size=40), min_size=1, max_size=8)
)
def test_signed_notes_round_trip_and_verify(lines: list[str]) -> None:
    text = "\n".join(lines) + "\n"
    note = SIGNER.sign(text)
    again = SignedNote.from_text(note.to_text())
    assert again == note and SIGNER.verifier.verifies(again)
    assert Verifier.from_text(SIGNER.verifier.to_text()) == SIGNER.verifier


@given(tokens, st.integers(1, 10**6), st.lists(st.tuples(tokens, tokens), min_size=1, max_size=4), hex64)
def test_receipts_round_trip(station: str, seq: int, choices: list[tuple[str, str]], code: str) -> None:
    receipt = Receipt(station, seq, tuple(choices), code)
    assert Receipt.from_text(receipt.to_text()) == receipt


@given(contest_counts(), st.lists(st.integers(0, 100), max_size=60))
def test_votes_are_conserved_by_the_machine(contest: Any, picks: list[int]) -> None:
    """Every vote cast appears exactly once in the final acta, and nothing else does."""
    options = contest.options
    setup = MachineSetup("e", "0" * 64, "s1", SIGNER.name, 10**6, ((contest.contest, options),))
    machine = VotingMachine(setup)
    machine.open(SIGNER, "2030-01-01T08:00:00Z")
    chosen = [p % (len(options) + 1) for p in picks]
    for pick in chosen:
        machine.cast(options[pick] if pick < len(options) else None)
    final = machine.close(SIGNER, "2030-01-01T20:00:00Z").acta
    result = final.contests[0]
    assert final.voters == len(chosen) == result.total
    assert list(result.votes) == [chosen.count(i) for i in range(len(options))]
    assert result.null == chosen.count(len(options))
