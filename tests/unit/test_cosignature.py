"""Cosignatures (C2SP tlog-cosignature v1), cosigner policies and tlog-witness's add-checkpoint.

Published vectors used here:
- tlog-cosignature's example: the checkpoint of `example.com/behind-the-sofa` (size 20852163) with the
  cosignature line of `witness.example.com/w1`, and the signed message it gives for time 1679315147.
- tlog-witness's example add-checkpoint request (old size 20852014, four proof lines, a checkpoint
  with two signatures).
- RFC 8032 section 7.1 TEST 1's key, as the key of a cosigner whose signatures are checked against
  PyNaCl signing the spec's message directly.
"""

from __future__ import annotations

import base64
import hashlib

import nacl.signing
import pytest

from actas.errors import FormatError, KeyFileError, VerificationError
from actas.ledger.add_checkpoint import (
    AddCheckpoint,
    Cosigned,
    Refusal,
    Status,
    judge,
    open_request,
    read_cosignatures,
    read_known_size,
)
from actas.ledger.checkpoint import Checkpoint
from actas.ledger.cosignature import (
    Cosigner,
    CosignerKey,
    CosignerPolicy,
    PolicyCosigner,
    cosigned_message,
    with_cosignatures,
)
from actas.ledger.merkle import MerkleTree
from actas.signed_note import SignedNote, Signer

SPEC_CHECKPOINT = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SPEC_LOG_LINE = (
    "— example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)
SPEC_COSIGNATURE_LINE = (
    "— witness.example.com/w1 "
    "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)
SPEC_MESSAGE = "cosignature/v1\ntime 1679315147\n" + SPEC_CHECKPOINT
SPEC_REQUEST = (
    "old 20852014\n"
    "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n"
    "jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n"
    "5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n"
    "/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n"
    "\n" + SPEC_CHECKPOINT + "\n" + SPEC_LOG_LINE + "— example.com/behind-the-sofa "
    "opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n"
)
RFC8032_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")


def test_the_specs_cosignature_line_reads_as_key_id_timestamp_and_signature() -> None:
    note = SignedNote.from_text(SPEC_CHECKPOINT + "\n" + SPEC_LOG_LINE + SPEC_COSIGNATURE_LINE)
    cosignature = note.signatures[1]
    assert cosignature.name == "witness.example.com/w1"
    assert len(cosignature.key_id) == 4
    assert len(cosignature.signature) == 8 + 64
    assert int.from_bytes(cosignature.signature[:8], "big") == 1679315147
    assert cosigned_message(note.text, 1679315147) == SPEC_MESSAGE.encode()
    assert with_cosignatures(note, list(note.signatures)).to_text() == note.to_text()  # nothing added twice


def test_key_id_and_signature_follow_the_spec_byte_for_byte() -> None:
    cosigner = Cosigner("cosigner.example/one", RFC8032_SEED)
    public = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    assert cosigner.key.public_key == public
    assert cosigner.key.key_id == hashlib.sha256(b"cosigner.example/one\n\x04" + public).digest()[:4]
    text = cosigner.key.to_text()
    blob = base64.b64encode(bytes([4]) + public).decode()
    assert text == f"cosigner.example/one+{cosigner.key.key_id.hex()}+{blob}"
    line = cosigner.cosign(SPEC_CHECKPOINT, 1679315147)
    expected = nacl.signing.SigningKey(RFC8032_SEED).sign(SPEC_MESSAGE.encode()).signature
    assert line.signature == (1679315147).to_bytes(8, "big") + expected
    assert CosignerKey.from_text(text).timestamp(SPEC_CHECKPOINT, line) == 1679315147
    assert Cosigner.from_text(cosigner.to_text()).key == cosigner.key
    assert "PRIVATE" not in repr(cosigner)


def test_a_cosignature_fails_for_another_text_time_or_key() -> None:
    cosigner = Cosigner.generate("c.example")
    line = cosigner.cosign(SPEC_CHECKPOINT, 1700000000)
    key = cosigner.key
    assert key.timestamp(SPEC_CHECKPOINT.replace("20852163", "20852164"), line) is None
    forged_time = type(line)(line.name, line.key_id, (1700000001).to_bytes(8, "big") + line.signature[8:])
    assert key.timestamp(SPEC_CHECKPOINT, forged_time) is None
    assert Cosigner.generate("c.example").key.timestamp(SPEC_CHECKPOINT, line) is None
    log_signature = Signer("c.example", RFC8032_SEED).sign(SPEC_CHECKPOINT).signatures[0]
    assert Cosigner("c.example", RFC8032_SEED).key.timestamp(SPEC_CHECKPOINT, log_signature) is None


def test_a_note_key_is_not_a_cosigner_key_and_the_reverse() -> None:
    signer = Signer("same.name", RFC8032_SEED)
    with pytest.raises(FormatError, match="type 0x04"):
        CosignerKey.from_text(signer.verifier.to_text())
    with pytest.raises(KeyFileError):
        Cosigner.from_text(signer.to_text())
    with pytest.raises(KeyFileError):
        Signer.from_text(Cosigner("same.name", RFC8032_SEED).to_text())


def _policy(count: int, quorum: int) -> tuple[list[Cosigner], CosignerPolicy]:
    cosigners = [Cosigner.generate(f"cosigner{i}.example") for i in range(count)]
    entries = tuple(PolicyCosigner(c.key, f"http://127.0.0.1:{9000 + i}") for i, c in enumerate(cosigners))
    return cosigners, CosignerPolicy(entries, quorum)


def test_a_policy_counts_valid_cosignatures_and_names_the_missing() -> None:
    cosigners, policy = _policy(3, 2)
    assert CosignerPolicy.from_text(policy.to_text()) == policy
    note = Signer.generate("log").sign(SPEC_CHECKPOINT)
    one = with_cosignatures(note, [cosigners[0].cosign(note.text, 1)])
    check = policy.check(one)
    assert not check.met and check.missing == ("cosigner1.example", "cosigner2.example")
    with pytest.raises(
        VerificationError, match="1 valid cosignatures where 2 are required.*cosigner1.example, cosigner2"
    ):
        check.require()
    stranger = Cosigner.generate("cosigner1.example")  # the right name, another key
    assert not policy.check(with_cosignatures(one, [stranger.cosign(note.text, 2)])).met
    two = with_cosignatures(one, [cosigners[2].cosign(note.text, 3)])
    assert policy.check(two).met and policy.check(two).signed == (("cosigner0.example", 1), ("cosigner2.example", 3))
    other_text = SPEC_CHECKPOINT.replace("20852163", "1")
    assert not policy.check(SignedNote(other_text, two.signatures)).met


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("actas cosigner policy v1\nquorum 3\n", "between 1 and 64 cosigners"),
        ("actas cosigner policy v1\nquorum 0\ncosigner {k} http://a.example\n", "quorum is between 1"),
        ("actas cosigner policy v1\nquorum 2\ncosigner {k} http://a.example\n", "quorum is between 1"),
        ("actas cosigner policy v1\nquorum 1\ncosigner {k} http://a.example\ncosigner {k} http://b.example\n", "once"),
        ("actas cosigner policy v1\nquorum 1\ncosigner {k} ftp://a.example\n", "http"),
        ("actas cosigner policy v1\nquorum 01\ncosigner {k} http://a.example\n", "quorum is a number"),
        ("actas cosigner policy v1\ncosigner {k} http://a.example\n", "quorum"),
        ("actas cosigner policy v2\nquorum 1\ncosigner {k} http://a.example\n", "starts with"),
    ],
)
def test_a_malformed_policy_is_refused(text: str, message: str) -> None:
    key = Cosigner.generate("a.example").key.to_text()
    with pytest.raises(FormatError, match=message):
        CosignerPolicy.from_text(text.format(k=key))


def test_the_specs_add_checkpoint_request_reads_and_writes_back_the_same() -> None:
    request = AddCheckpoint.from_bytes(SPEC_REQUEST.encode())
    assert request.old == 20852014 and len(request.proof) == 4
    assert request.proof[0] == base64.b64decode("PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=")
    assert len(SignedNote.from_text(request.checkpoint).signatures) == 2
    assert request.to_bytes() == SPEC_REQUEST.encode()


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"old 1\n\n",
        b"old 01\n\n" + SPEC_CHECKPOINT.encode(),
        b"old -1\n\n" + SPEC_CHECKPOINT.encode(),
        b"old 1\nnot base64\n\n" + SPEC_CHECKPOINT.encode(),
        b"old 1\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw\n\n" + SPEC_CHECKPOINT.encode(),
        b"old 1\n" + b"PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n" * 64 + b"\n" + SPEC_CHECKPOINT.encode(),
        b"old 1\n\n" + b"x" * 20000,
        b"\xff\xfe",
    ],
)
def test_a_malformed_request_is_refused(body: bytes) -> None:
    with pytest.raises(FormatError):
        AddCheckpoint.from_bytes(body)


def _log(size: int) -> tuple[Signer, MerkleTree]:
    tree = MerkleTree()
    for i in range(size):
        tree.append(f"entry {i}".encode())
    return Signer.generate("log.example"), tree


def _request(signer: Signer, tree: MerkleTree, old: int, size: int) -> AddCheckpoint:
    note = Checkpoint("log.example/board", size, tree.root(size)).sign(signer)
    proof = tuple(tree.consistency_proof(old, size)) if 0 < old < size else ()
    return AddCheckpoint(old, proof, note)


def test_judging_follows_the_spec_statuses() -> None:
    signer, tree = _log(20)
    logs = {"log.example/board": signer.verifier}
    first = _request(signer, tree, 0, 10)
    checkpoint, _ = open_request(first, logs)
    judge(first, checkpoint, None)
    last = Cosigned(10, tree.root(10), first.checkpoint)

    later = _request(signer, tree, 10, 20)
    judge(later, open_request(later, logs)[0], last)  # consistent: cosigned

    same = _request(signer, tree, 10, 10)
    judge(same, open_request(same, logs)[0], last)  # the same checkpoint again: cosigned again

    def refusal(request: AddCheckpoint, known: Cosigned | None) -> Refusal:
        with pytest.raises(Refusal) as caught:
            judge(request, open_request(request, logs)[0], known)
        return caught.value

    stale = refusal(_request(signer, tree, 5, 20), last)
    assert stale.status is Status.CONFLICT and stale.known_size == 10 and not stale.evidence
    forked_signer, forked_tree = signer, MerkleTree([tree.leaf(i) for i in range(9)])
    forked_tree.append(b"another entry 9")
    fork = refusal(_request(forked_signer, forked_tree, 10, 10), last)
    assert fork.status is Status.CONFLICT and fork.evidence
    bad = _request(signer, tree, 10, 20)
    bad_proof = refusal(AddCheckpoint(10, bad.proof[:-1], bad.checkpoint), last)
    assert bad_proof.status is Status.BAD_PROOF and bad_proof.evidence
    assert refusal(AddCheckpoint(0, bad.proof, first.checkpoint), None).status is Status.BAD_PROOF

    with pytest.raises(Refusal) as larger_old:
        open_request(_request(signer, tree, 0, 10).__class__(11, (), first.checkpoint), logs)
    assert larger_old.value.status is Status.MALFORMED
    with pytest.raises(Refusal) as unknown:
        open_request(first, {"another/origin": signer.verifier})
    assert unknown.value.status is Status.UNKNOWN_LOG
    with pytest.raises(Refusal) as unsigned:
        open_request(first, {"log.example/board": Signer.generate("log.example").verifier})
    assert unsigned.value.status is Status.UNSIGNED


def test_answers_read_as_the_spec_writes_them() -> None:
    cosigner = Cosigner.generate("c.example")
    line = cosigner.cosign(SPEC_CHECKPOINT, 5)
    assert read_cosignatures(line.to_line()) == [line]
    assert read_known_size("20852014\n") == 20852014
    for body in ("", "12", "012\n", "-1\n", "1 2\n"):
        with pytest.raises(FormatError):
            read_known_size(body)
    for answer in ("", "— c.example AAAA", "hello\n"):
        with pytest.raises(FormatError):
            read_cosignatures(answer)
