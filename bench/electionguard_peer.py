"""The peer's side of bench/ballots.py: electionguard 1.4.0 encrypting and verifying a ballot of the same
shape (38 cards and null: 39 selections, each with its disjunctive proof, and the contest's constant
proof that they add up to one), run in electionguard's own Python 3.10 environment.

The ballot is composed from electionguard's own calls, as its encrypt_selection and encrypt_contest
make one (`elgamal_encrypt`, `make_disjunctive_chaum_pedersen`, `elgamal_add`,
`make_constant_chaum_pedersen`), and verified with the proofs' own `is_valid`; the manifest, hashing and
serialisation around them are left out, which can only make electionguard look faster. The size counts
the group elements and scalars a ballot publishes (electionguard's p is 4,096 bits, its q 256).

Prints one line of JSON. Usage (in that environment): python bench/electionguard_peer.py [--ballots N]
"""

import argparse
import json
import logging
import time

from electionguard.chaum_pedersen import make_constant_chaum_pedersen, make_disjunctive_chaum_pedersen
from electionguard.elgamal import elgamal_add, elgamal_encrypt, elgamal_keypair_random
from electionguard.group import add_q, rand_q

SELECTIONS = 39
P_BYTES, Q_BYTES = 512, 32


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballots", type=int, default=2)
    args = parser.parse_args()
    logging.disable(logging.INFO)  # electionguard logs every encryption's numbers: not part of its cost
    keypair = elgamal_keypair_random()
    key = keypair.public_key
    q = rand_q()  # stands for the extended base hash Q'
    ballots = []
    start = time.perf_counter()
    for b in range(args.ballots):
        chosen = b % (SELECTIONS - 1)
        selections = []
        nonces = []
        for i in range(SELECTIONS):
            nonce = rand_q()
            ciphertext = elgamal_encrypt(int(i == chosen), nonce, key)
            proof = make_disjunctive_chaum_pedersen(ciphertext, nonce, key, q, rand_q(), int(i == chosen))
            selections.append((ciphertext, proof))
            nonces.append(nonce)
        summed = elgamal_add(*(c for c, _ in selections))
        constant = make_constant_chaum_pedersen(summed, 1, add_q(*nonces), key, rand_q(), q)
        ballots.append((selections, summed, constant))
    encrypt_s = time.perf_counter() - start
    start = time.perf_counter()
    for selections, summed, constant in ballots:
        if not all(proof.is_valid(c, key, q) for c, proof in selections) or not constant.is_valid(summed, key, q):
            raise SystemExit("electionguard refused its own ballot")
    verify_s = time.perf_counter() - start
    # per selection: the ciphertext (2 elements of p), the proof's four commitments (of p) and five
    # scalars (c0, c1, c, v0, v1); per contest: the constant proof's two commitments and two scalars
    size = SELECTIONS * (6 * P_BYTES + 5 * Q_BYTES) + 2 * P_BYTES + 2 * Q_BYTES
    print(
        json.dumps(
            {
                "ballots": args.ballots,
                "encrypted_per_s": args.ballots / encrypt_s,
                "verified_per_s": args.ballots / verify_s,
                "bytes_per_ballot": size,
            }
        )
    )


if __name__ == "__main__":
    main()
