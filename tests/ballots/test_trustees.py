"""The key ceremony and the decryption of tallies (`actas.e2e.trustees`, `actas.e2e.decryption`): 3 of 5
trustees decrypt what the joint key encrypts, whichever 3; a share that fails its dealer's commitments is
complained of and answered, or its dealer is disqualified and the quorum met without it; a decryption
share with a bad proof is refused and another trustee's taken instead."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from actas.e2e.ballot import choices, encrypt_ballot
from actas.e2e.decryption import combine, decrypt_count, decryption_share, lagrange, share_holds, share_label
from actas.e2e.elgamal import DiscreteLog, encrypt, total
from actas.e2e.group import GENERATOR, ORDER, add, base_mul, mul, random_scalar
from actas.e2e.hashing import Context
from actas.e2e.proofs import EqualityProof, SchnorrProof
from actas.e2e.trustees import Ceremony, Complaint, SealedShare, Trustee, evaluate, run_ceremony
from actas.sim.generator import synthetic

ELECTION = synthetic(20, 3)
N, K = 5, 3


def ceremony(
    tamper: dict[tuple[int, int], bytes] | None = None, answers: bool = True
) -> tuple[list[Trustee], Ceremony, list[Complaint]]:
    """A ceremony whose sealed shares from dealer to recipient in `tamper` are replaced on the way."""

    def deliver(sealed: list[SealedShare]) -> list[SealedShare]:
        changed = tamper or {}
        return [dataclasses.replace(s, sealed=changed.get((s.dealer, s.recipient), s.sealed)) for s in sealed]

    trustees, record = run_ceremony(
        ELECTION.fingerprint, [f"Trustee {i}" for i in range(1, N + 1)], K, deliver, answers
    )
    return trustees, record, [Complaint(c.dealer, c.recipient) for c in record.complaints]


def test_any_quorum_of_trustees_decrypts_a_tally_and_fewer_cannot() -> None:
    trustees, record, complaints = ceremony()
    assert record.problems() == [] and complaints == [] and record.qualified() == (1, 2, 3, 4, 5)
    key = record.joint_key()
    secret = sum(t.coefficients[0] for t in trustees) % ORDER  # what no one holds; here, to check
    assert key == base_mul(secret)
    for t in trustees:
        assert t.share is not None and record.share_key(t.index) == base_mul(t.share)
    ciphertext = total(encrypt(1, random_scalar(), key) for _ in range(7))
    context = Context.of(ELECTION.fingerprint, key)
    lbl = share_label("M1", "president", "AZUL")
    shares = {
        t.index: decryption_share(context, t.index, t.share or 0, record.share_key(t.index), ciphertext, lbl)
        for t in trustees
    }
    assert all(share_holds(context, s, record.share_key(i), ciphertext, lbl) for i, s in shares.items())
    for chosen in itertools.combinations(range(1, N + 1), K):
        mask = combine({i: shares[i].share for i in chosen}, K)
        assert decrypt_count(ciphertext, mask, DiscreteLog(), 100) == 7
    with pytest.raises(ValueError, match="fewer than the quorum"):
        combine({1: shares[1].share, 2: shares[2].share}, K)
    assert sum(lagrange(i, (1, 2, 3)) for i in (1, 2, 3)) % ORDER == 1  # λ's of a constant polynomial


def test_a_share_with_a_bad_proof_is_refused_and_another_trustee_makes_the_quorum() -> None:
    trustees, record, _ = ceremony()
    key = record.joint_key()
    context = Context.of(ELECTION.fingerprint, key)
    ciphertext = encrypt(4, random_scalar(), key)
    lbl = share_label("M1", "president", "AZUL")
    honest = {
        t.index: decryption_share(context, t.index, t.share or 0, record.share_key(t.index), ciphertext, lbl)
        for t in trustees
    }
    lying = dataclasses.replace(honest[2], share=add(honest[2].share, GENERATOR))  # one vote more
    assert not share_holds(context, lying, record.share_key(2), ciphertext, lbl)
    stolen = dataclasses.replace(honest[2], proof=honest[1].proof)
    assert not share_holds(context, stolen, record.share_key(2), ciphertext, lbl)
    other_label = share_label("M2", "president", "AZUL")
    assert not share_holds(context, honest[2], record.share_key(2), ciphertext, other_label)
    good = {
        i: s.share
        for i, s in {**honest, 2: lying}.items()
        if share_holds(context, s, record.share_key(i), ciphertext, lbl)
    }
    assert sorted(good) == [1, 3, 4, 5]
    assert decrypt_count(ciphertext, combine(good, K), DiscreteLog(), 100) == 4
    wrong = combine({1: honest[1].share, 2: lying.share, 3: honest[3].share}, K)
    assert decrypt_count(ciphertext, wrong, DiscreteLog(), 100) != 4  # what taking it would have done


def test_a_bad_share_is_complained_of_and_an_answer_that_holds_keeps_its_dealer() -> None:
    trustees, record, complaints = ceremony(tamper={(2, 4): b"garbage"})
    assert complaints == [Complaint(2, 4)]
    assert record.complaints[0].revealed is not None
    assert record.problems() == [] and record.qualified() == (1, 2, 3, 4, 5)
    assert all(t.share is not None and record.share_key(t.index) == base_mul(t.share) for t in trustees)


def test_a_dealer_that_does_not_answer_a_complaint_is_disqualified_and_the_quorum_still_decrypts() -> None:
    trustees, record, _ = ceremony(tamper={(2, 4): b"garbage"}, answers=False)
    assert record.qualified() == (1, 3, 4, 5)
    assert "trustee 2 did not answer trustee 4's complaint" in record.problems()
    assert record.unusable() == []  # its dealer alone is disqualified: the others' joint key stands
    key = record.joint_key()
    assert key == base_mul(sum(t.coefficients[0] for t in trustees if t.index != 2))
    context = Context.of(ELECTION.fingerprint, key)
    encrypted = [encrypt_ballot(context, "M1", ELECTION.contests[0], c).ballot for c in ("AZUL", "AZUL", "null")]
    options = choices(ELECTION.contests[0])
    lbl = share_label("M1", "president", "AZUL")
    tally = total(b.selections[0].ciphertext for b in encrypted)
    shares = {
        t.index: decryption_share(context, t.index, t.share or 0, record.share_key(t.index), tally, lbl).share
        for t in trustees[2:]
    }
    assert options[0] == "AZUL" and decrypt_count(tally, combine(shares, K), DiscreteLog(), 10) == 2


def test_a_revealed_share_that_fails_its_commitments_disqualifies_its_dealer() -> None:
    _, record, _ = ceremony(tamper={(3, 1): b"garbage"})
    lied = dataclasses.replace(record, complaints=(Complaint(3, 1, 12345),))
    assert 3 not in lied.qualified()
    assert "the share trustee 3 revealed to trustee 1 fails its commitments" in lied.problems()


def test_a_coefficient_proof_that_fails_is_named_and_its_trustee_disqualified() -> None:
    _, record, _ = ceremony()
    a = record.announcements[0]
    bad = dataclasses.replace(a, proofs=(SchnorrProof(a.proofs[0].challenge, a.proofs[0].response + 1), *a.proofs[1:]))
    broken = dataclasses.replace(record, announcements=(bad, *record.announcements[1:]))
    assert "trustee 1's proof of coefficient 0 does not hold" in broken.problems()
    assert 1 not in broken.qualified()
    other = dataclasses.replace(record, fingerprint="00" * 32)  # the proofs are bound to the election
    assert other.unusable() == [f"0 trustees are qualified, fewer than the quorum of {K}"]
    assert len(other.problems()) == 1 + N * K


def test_a_share_sealed_to_one_trustee_cannot_be_opened_by_another() -> None:
    trustees, record, _ = ceremony()
    sealed = next(s for s in record.sealed if (s.dealer, s.recipient) == (1, 2))
    assert trustees[1].open(sealed) == evaluate(trustees[0].coefficients, 2)
    assert trustees[2].open(sealed) is None
    assert trustees[1].open(SealedShare(1, 2, sealed.sealed[:-1])) is None


def test_an_equality_proof_is_bound_to_its_statement() -> None:
    context = Context.of(ELECTION.fingerprint, base_mul(5))
    x, h = random_scalar(), base_mul(random_scalar())
    public, y = base_mul(x), mul(x, h)
    proof = EqualityProof.prove(context, "t", b"l", x, public, h, y)
    assert proof.verify(context, "t", b"l", public, h, y)
    assert not proof.verify(context, "u", b"l", public, h, y)
    assert not proof.verify(context, "t", b"m", public, h, y)
    assert not proof.verify(context, "t", b"l", public, GENERATOR, y)
    assert not proof.verify(context, "t", b"l", public, h, add(y, GENERATOR))
    assert not proof.verify(Context.of(ELECTION.fingerprint, base_mul(6)), "t", b"l", public, h, y)
    lying = EqualityProof.prove(context, "t", b"l", x, public, h, add(y, GENERATOR))  # Y is not [x]H
    assert not lying.verify(context, "t", b"l", public, h, add(y, GENERATOR))


def test_a_record_with_fewer_qualified_trustees_than_the_quorum_is_unusable() -> None:
    _, record, _ = ceremony(tamper={(2, 4): b"garbage", (3, 1): b"garbage", (5, 1): b"garbage"}, answers=False)
    assert record.qualified() == (1, 4)
    assert record.unusable() == [f"2 trustees are qualified, fewer than the quorum of {K}"]
    assert record.unusable()[0] in record.problems()
