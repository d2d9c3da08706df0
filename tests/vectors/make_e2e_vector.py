"""Writes tests/vectors/e2e-ballots-v1.json: encrypted ballots of the acta vector's election, every byte
reproducible by another implementation of docs/e2e.md.

The secret key and every random scalar are derived from public strings: the secret is
SHA-512("actas e2e vector secret") and the i-th scalar drawn SHA-512("actas e2e vector draw" ‖ i as 8
bytes big-endian), each read little-endian modulo ℓ. The scalars are drawn in the order
`actas.e2e.ballot.encrypt_ballot` says: each option's nonce, then each option's proof's (c and v of the
simulated branch, u of the true one), then the sum proof's u; ballot after ballot, one sequence.
Run from the repository root: PYTHONPATH=. python tests/vectors/make_e2e_vector.py
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from actas.e2e.ballot import choices, encrypt_ballot, first_code, next_code
from actas.e2e.group import ORDER, base_mul
from actas.e2e.hashing import Context
from actas.election import Election
from tests.vectors.make_acta_vector import DEFINITION

HERE = Path(__file__).parent
STATION = "01001.01"
VOTES = ["AZUL", "null", "BRISA", "AZUL"]


def derived(label: bytes) -> int:
    return int.from_bytes(hashlib.sha512(label).digest(), "little") % ORDER


def draws() -> Callable[[], int]:
    counter = itertools.count()
    return lambda: derived(b"actas e2e vector draw" + next(counter).to_bytes(8, "big"))


SECRET = derived(b"actas e2e vector secret")


def build() -> dict[str, Any]:
    election = Election.from_json(DEFINITION)
    contest = election.contests[0]
    context = Context.of(election.fingerprint, base_mul(SECRET))
    draw = draws()
    code = first_code(election.fingerprint, STATION)
    ballots = []
    for vote in VOTES:
        ballot = encrypt_ballot(context, STATION, contest, vote, draw).ballot
        code = next_code(code, ballot)
        ballots.append({"vote": vote, "ballot": ballot.encode().hex(), "code": code.hex()})
    return {
        "about": __doc__.split("\n")[0] if __doc__ else "",
        "fingerprint": election.fingerprint,
        "secret": SECRET.to_bytes(32, "little").hex(),
        "key": context.key.hex(),
        "station": STATION,
        "contest": contest.id,
        "first_code": first_code(election.fingerprint, STATION).hex(),
        "ballots": ballots,
        "tally": {option: VOTES.count(option) for option in choices(contest)},
    }


if __name__ == "__main__":
    (HERE / "e2e-ballots-v1.json").write_text(json.dumps(build(), indent=1) + "\n", encoding="utf-8")
