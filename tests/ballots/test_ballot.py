"""Encrypted ballots (`actas.e2e.ballot`): a valid ballot verifies and decrypts to its vote; every altered
byte, proof, ciphertext or statement is refused and named; a ballot that votes twice, votes −1, reuses a
nonce, carries a point outside the group, is cut short, or is proved for another election, key, mesa or
contest fails."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actas.e2e.ballot import (
    SUM,
    EncryptedBallot,
    Selection,
    ballot_problems,
    choices,
    encrypt_ballot,
    first_code,
    label,
    next_code,
    spoiled_choice,
)
from actas.e2e.elgamal import Ciphertext, DiscreteLog, encrypt, total
from actas.e2e.group import GENERATOR, IDENTITY, ORDER, add, base_mul, mul, random_scalar, sub
from actas.e2e.hashing import Context
from actas.e2e.proofs import BitProof, EqualityProof
from actas.errors import FormatError
from actas.sim.generator import synthetic

ELECTION = synthetic(20, 3)
CONTEST = ELECTION.contests[0]
STATION = ELECTION.stations[0].code
SECRET = random_scalar()
CONTEXT = Context.of(ELECTION.fingerprint, base_mul(SECRET))
OPTIONS = choices(CONTEST)
TORSION = bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")


def decrypt(ciphertext: Ciphertext) -> int | None:
    return DiscreteLog().find(sub(ciphertext.beta, mul(SECRET, ciphertext.alpha)), 10)


@pytest.fixture(scope="module")
def ballot() -> EncryptedBallot:
    return encrypt_ballot(CONTEXT, STATION, CONTEST, OPTIONS[2]).ballot


def test_a_ballot_verifies_and_encrypts_its_vote(ballot: EncryptedBallot) -> None:
    assert ballot_problems(CONTEXT, ballot, CONTEST, STATION) == []
    assert [decrypt(s.ciphertext) for s in ballot.selections] == [int(o == OPTIONS[2]) for o in OPTIONS]
    assert decrypt(ballot.sum) == 1
    assert EncryptedBallot.decode(ballot.encode()) == ballot


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(OPTIONS))
def test_every_choice_round_trips_and_a_tally_decrypts_to_the_count(choice: str) -> None:
    ballots = [encrypt_ballot(CONTEXT, STATION, CONTEST, c).ballot for c in (choice, choice, OPTIONS[0])]
    for b in ballots:
        assert ballot_problems(CONTEXT, b, CONTEST, STATION) == []
        assert EncryptedBallot.decode(b.encode()).encode() == b.encode()
    tally = [total(b.selections[i].ciphertext for b in ballots) for i in range(len(OPTIONS))]
    expected = [2 * (o == choice) + (o == OPTIONS[0]) for o in OPTIONS]
    assert [decrypt(t) for t in tally] == expected


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_any_changed_byte_of_a_ballot_is_refused(ballot: EncryptedBallot, data: st.DataObject) -> None:
    raw = ballot.encode()
    at = data.draw(st.integers(0, len(raw) - 1))
    flip = data.draw(st.integers(1, 255))
    changed = raw[:at] + bytes([raw[at] ^ flip]) + raw[at + 1 :]
    try:
        decoded = EncryptedBallot.decode(changed)
    except FormatError:
        return
    assert ballot_problems(CONTEXT, decoded, CONTEST, STATION) != []


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000))
def test_a_ballot_cut_short_or_with_more_after_it_is_refused(ballot: EncryptedBallot, cut: int) -> None:
    raw = ballot.encode()
    with pytest.raises(FormatError, match="cut short|after its end|options"):
        EncryptedBallot.decode(raw[: cut % len(raw)])
    with pytest.raises(FormatError, match="after its end"):
        EncryptedBallot.decode(raw + b"\x00")


@pytest.mark.parametrize(
    ("context", "station", "said"),
    [
        (Context.of("00" * 32, CONTEXT.key), STATION, "does not hold"),  # another election
        (Context.of(ELECTION.fingerprint, base_mul(SECRET + 1)), STATION, "does not hold"),  # another key
        (CONTEXT, ELECTION.stations[1].code, "not " + ELECTION.stations[1].code),  # another mesa
    ],
)
def test_a_ballot_proved_for_another_statement_fails(
    ballot: EncryptedBallot, context: Context, station: str, said: str
) -> None:
    problems = ballot_problems(context, ballot, CONTEST, station)
    assert problems and any(said in p for p in problems), problems


def test_a_ballot_moved_to_another_mesa_fails_its_proofs(ballot: EncryptedBallot) -> None:
    moved = dataclasses.replace(ballot, station=ELECTION.stations[1].code)
    problems = ballot_problems(CONTEXT, moved, CONTEST, ELECTION.stations[1].code)
    assert len(problems) == len(OPTIONS) + 1  # every option's proof and the sum's are bound to the mesa


def forged(votes: dict[str, int]) -> EncryptedBallot:
    """A ballot whose options encrypt `votes` (2, −1, …), each with a proof simulated as a cheating
    machine would make it: without a true branch, no proof can hold."""
    selections = []
    for option in OPTIONS:
        m = votes.get(option, 0)
        nonce = random_scalar()
        ciphertext = encrypt(m % ORDER, nonce, CONTEXT.key)
        bit = 1 if m not in (0, 1) else m
        proof = BitProof.prove(CONTEXT, label(STATION, CONTEST.id, option), ciphertext, bit, nonce)
        selections.append(Selection(option, ciphertext, proof))
    real = encrypt_ballot(CONTEXT, STATION, CONTEST, OPTIONS[0]).ballot
    return dataclasses.replace(real, selections=tuple(selections))


@pytest.mark.parametrize(
    ("votes", "said"),
    [
        ({OPTIONS[0]: 2}, f"option {OPTIONS[0]} is 0 or 1 does not hold"),  # a selection of 2
        ({OPTIONS[0]: -1, OPTIONS[1]: 1, OPTIONS[2]: 1}, f"option {OPTIONS[0]} is 0 or 1 does not hold"),  # negative
        ({OPTIONS[0]: 1, OPTIONS[1]: 1}, "add up to one vote does not hold"),  # two votes, each a valid bit
        ({}, "add up to one vote does not hold"),  # no vote at all
    ],
)
def test_a_ballot_that_does_not_hold_one_vote_is_named(votes: dict[str, int], said: str) -> None:
    problems = ballot_problems(CONTEXT, forged(votes), CONTEST, STATION)
    assert any(said in p for p in problems), problems


def test_a_reused_nonce_is_named() -> None:
    """A machine that encrypts two options with one nonce: each proof holds, and the shared α shows it
    (with the nonce, anyone who learns one option's vote learns the other's)."""
    nonces = [random_scalar() for _ in OPTIONS]
    nonces[1] = nonces[0]
    selections = []
    for option, nonce in zip(OPTIONS, nonces, strict=True):
        m = int(option == OPTIONS[0])
        ciphertext = encrypt(m, nonce, CONTEXT.key)
        proof = BitProof.prove(CONTEXT, label(STATION, CONTEST.id, option), ciphertext, m, nonce)
        selections.append(Selection(option, ciphertext, proof))
    summed = total(s.ciphertext for s in selections)
    sum_proof = EqualityProof.prove(
        CONTEXT, SUM, label(STATION, CONTEST.id), sum(nonces), summed.alpha, CONTEXT.key, sub(summed.beta, GENERATOR)
    )
    reused = EncryptedBallot(STATION, CONTEST.id, tuple(selections), sum_proof)
    assert ballot_problems(CONTEXT, reused, CONTEST, STATION) == ["two of its options share a nonce"]


def test_options_out_of_order_or_missing_are_named(ballot: EncryptedBallot) -> None:
    for selections in (ballot.selections[::-1], ballot.selections[1:]):
        problems = ballot_problems(CONTEXT, dataclasses.replace(ballot, selections=selections), CONTEST, STATION)
        assert any("not the contest's" in p for p in problems)


@pytest.mark.parametrize("at", [0, 3, -1])
@pytest.mark.parametrize("part", ["alpha", "beta"])
@pytest.mark.parametrize(
    "bad",
    [TORSION, bytes([2]) + bytes(31), add(GENERATOR, TORSION), (2**255 - 18).to_bytes(32, "little")],
    ids=["small-order", "off-the-curve", "outside-the-subgroup", "non-canonical"],
)
def test_a_point_outside_the_group_is_named(ballot: EncryptedBallot, at: int, part: str, bad: bytes) -> None:
    s = ballot.selections[at]
    selections = list(ballot.selections)
    selections[at] = dataclasses.replace(s, ciphertext=dataclasses.replace(s.ciphertext, **{part: bad}))
    received = EncryptedBallot.decode(dataclasses.replace(ballot, selections=tuple(selections)).encode())
    name = {"alpha": "α", "beta": "β"}[part]
    problems = ballot_problems(CONTEXT, received, CONTEST, STATION)
    assert problems == [f"option {s.option}: its {name} is not a point of the prime-order group"]


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["c0", "c1", "v0", "v1"]), st.integers(1, ORDER - 1), st.integers(0, len(OPTIONS) - 1))
def test_any_altered_proof_scalar_fails(ballot: EncryptedBallot, name: str, delta: int, i: int) -> None:
    s = ballot.selections[i]
    proof = dataclasses.replace(s.proof, **{name: (getattr(s.proof, name) + delta) % ORDER})
    selections = list(ballot.selections)
    selections[i] = dataclasses.replace(s, proof=proof)
    assert ballot_problems(CONTEXT, dataclasses.replace(ballot, selections=tuple(selections)), CONTEST, STATION)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, ORDER - 1), st.integers(0, len(OPTIONS) - 1), st.booleans())
def test_any_altered_ciphertext_fails(ballot: EncryptedBallot, delta: int, i: int, on_alpha: bool) -> None:
    s = ballot.selections[i]
    c = s.ciphertext
    shifted = Ciphertext(mul(1, base_mul(delta)), c.beta) if on_alpha else Ciphertext(c.alpha, base_mul(delta))
    selections = list(ballot.selections)
    selections[i] = dataclasses.replace(s, ciphertext=shifted)
    assert ballot_problems(CONTEXT, dataclasses.replace(ballot, selections=tuple(selections)), CONTEST, STATION)


def test_a_challenged_ballot_reveals_its_choice_from_its_nonces_and_only_then() -> None:
    encrypted = encrypt_ballot(CONTEXT, STATION, CONTEST, OPTIONS[1])
    assert spoiled_choice(CONTEXT, encrypted.ballot, encrypted.nonces) == OPTIONS[1]
    wrong = (encrypted.nonces[1], encrypted.nonces[0], *encrypted.nonces[2:])
    assert spoiled_choice(CONTEXT, encrypted.ballot, wrong) is None
    assert spoiled_choice(CONTEXT, encrypted.ballot, encrypted.nonces[:-1]) is None


def test_confirmation_codes_chain_the_mesas_ballots(ballot: EncryptedBallot) -> None:
    start = first_code(ELECTION.fingerprint, STATION)
    assert start != first_code(ELECTION.fingerprint, ELECTION.stations[1].code)
    code = next_code(start, ballot)
    other = encrypt_ballot(CONTEXT, STATION, CONTEST, OPTIONS[2]).ballot  # the same vote, other nonces
    assert code != next_code(start, other) and next_code(code, other) != next_code(start, other)
    assert len(code) == 32


def test_the_neutral_element_is_what_no_votes_decrypt_to() -> None:
    assert decrypt(Ciphertext(IDENTITY, IDENTITY)) == 0
    assert decrypt(encrypt(0, random_scalar(), CONTEXT.key)) == 0
    assert decrypt(encrypt(7, random_scalar(), CONTEXT.key)) == 7
    assert DiscreteLog().find(base_mul(11), 10) is None
    assert sub(GENERATOR, GENERATOR) == IDENTITY
