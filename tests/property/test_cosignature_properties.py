"""Property tests for cosignatures, cosigner policies and add-checkpoint requests: each reads back what
was written, and any changed byte is either refused or read as something else that no longer carries
a valid cosignature."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from actas.errors import FormatError
from actas.ledger.add_checkpoint import AddCheckpoint
from actas.ledger.checkpoint import Checkpoint
from actas.ledger.cosignature import Cosigner, CosignerPolicy, PolicyCosigner, with_cosignatures
from actas.signed_note import SignedNote, Signer

LOG = Signer.generate("log.example")
COSIGNERS = [Cosigner.generate(f"cosigner{i}.example") for i in range(3)]
POLICY = CosignerPolicy(tuple(PolicyCosigner(c.key, f"https://c{i}.example/w") for i, c in enumerate(COSIGNERS)), 2)

sizes = st.integers(0, 2**63 - 1)
hashes = st.binary(min_size=32, max_size=32)


def _flip(data: bytes, where: int, by: int) -> bytes:
    changed = bytearray(data)
    changed[where % len(changed)] ^= by
    return bytes(changed)


@settings(max_examples=80)
@given(sizes, hashes, st.integers(0, 2**40), st.data())
def test_a_cosigned_checkpoint_with_any_changed_byte_loses_the_logs_signature_or_its_quorum(
    size: int, root: bytes, timestamp: int, data: st.DataObject
) -> None:
    note = SignedNote.from_text(Checkpoint("actas/e/official", size, root).sign(LOG))
    cosigned = with_cosignatures(note, [c.cosign(note.text, timestamp + i) for i, c in enumerate(COSIGNERS[:2])])
    text = cosigned.to_text().encode()
    assert POLICY.check(SignedNote.from_text(text.decode())).met
    where, by = data.draw(st.integers(0, len(text) - 1)), data.draw(st.integers(1, 255))
    try:
        tampered = SignedNote.from_text(_flip(text, where, by).decode("utf-8"))
    except (UnicodeDecodeError, FormatError):
        return
    assert not (LOG.verifier.verifies(tampered) and POLICY.check(tampered).met)


@settings(max_examples=80)
@given(sizes, st.lists(hashes, max_size=63), sizes, hashes, st.data())
def test_add_checkpoint_requests_round_trip_and_a_changed_byte_changes_or_fails(
    old: int, proof: list[bytes], size: int, root: bytes, data: st.DataObject
) -> None:
    request = AddCheckpoint(old, tuple(proof), Checkpoint("log.example/x", size, root).sign(LOG))
    body = request.to_bytes()
    assert AddCheckpoint.from_bytes(body) == request
    where, by = data.draw(st.integers(0, len(body) - 1)), data.draw(st.integers(1, 255))
    try:
        read = AddCheckpoint.from_bytes(_flip(body, where, by))
    except FormatError:
        return
    assert read != request


@settings(max_examples=60)
@given(st.integers(1, 3), st.data())
def test_policies_round_trip_and_a_changed_byte_changes_or_fails(quorum: int, data: st.DataObject) -> None:
    policy = POLICY.with_quorum(quorum)
    text = policy.to_text().encode()
    assert CosignerPolicy.from_text(text.decode()) == policy
    where, by = data.draw(st.integers(0, len(text) - 1)), data.draw(st.integers(1, 255))
    try:
        read = CosignerPolicy.from_text(_flip(text, where, by).decode("utf-8"))
    except (UnicodeDecodeError, FormatError):
        return
    assert read != policy
