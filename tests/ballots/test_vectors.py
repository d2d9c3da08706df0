"""The encrypted ballots of tests/vectors/e2e-ballots-v1.json: rebuilt byte for byte from their derived
scalars, read back, verified, chained and tallied; any byte changed in a vector's ballot is caught."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from actas.e2e.ballot import EncryptedBallot, ballot_problems, choices, first_code, next_code
from actas.e2e.elgamal import DiscreteLog, total, unmask
from actas.e2e.group import base_mul, mul, scalar
from actas.e2e.hashing import Context
from actas.election import Election
from actas.errors import FormatError
from tests.vectors.make_acta_vector import DEFINITION
from tests.vectors.make_e2e_vector import build

VECTOR = json.loads((Path(__file__).parents[1] / "vectors" / "e2e-ballots-v1.json").read_text("utf-8"))
ELECTION = Election.from_json(DEFINITION)
CONTEST = ELECTION.contests[0]


def context() -> Context:
    return Context.of(VECTOR["fingerprint"], base_mul(scalar(bytes.fromhex(VECTOR["secret"]), "secret")))


def test_the_vector_is_rebuilt_byte_for_byte() -> None:
    assert build() == VECTOR
    assert context().key.hex() == VECTOR["key"] and ELECTION.fingerprint == VECTOR["fingerprint"]


def test_the_vectors_ballots_verify_chain_and_tally() -> None:
    ctx = context()
    secret = scalar(bytes.fromhex(VECTOR["secret"]), "secret")
    code = first_code(VECTOR["fingerprint"], VECTOR["station"])
    assert code.hex() == VECTOR["first_code"]
    ballots = []
    for entry in VECTOR["ballots"]:
        ballot = EncryptedBallot.decode(bytes.fromhex(entry["ballot"]))
        assert ballot_problems(ctx, ballot, CONTEST, VECTOR["station"]) == []
        code = next_code(code, ballot)
        assert code.hex() == entry["code"]
        ballots.append(ballot)
    table = DiscreteLog()
    for i, option in enumerate(choices(CONTEST)):
        summed = total(b.selections[i].ciphertext for b in ballots)
        assert table.find(unmask(summed, mul(secret, summed.alpha)), 10) == VECTOR["tally"][option]


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_a_byte_changed_in_a_vectors_ballot_is_caught(data: st.DataObject) -> None:
    raw = bytes.fromhex(data.draw(st.sampled_from(VECTOR["ballots"]))["ballot"])
    at = data.draw(st.integers(0, len(raw) - 1))
    changed = raw[:at] + bytes([raw[at] ^ data.draw(st.integers(1, 255))]) + raw[at + 1 :]
    try:
        ballot = EncryptedBallot.decode(changed)
    except FormatError:
        return
    assert ballot_problems(context(), ballot, CONTEST, VECTOR["station"])
