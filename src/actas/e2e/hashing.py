"""The challenges of every proof, by the strong Fiat–Shamir transform: each challenge is a hash of the
whole statement and not only of the prover's commitments.

Bernhard, Pereira and Warinschi ("How not to prove yourself: pitfalls of the Fiat–Shamir heuristic and
applications to Helios", ASIACRYPT 2012) showed that hashing only the commitments (the weak transform)
lets a prover choose the statement after the challenge: Helios's ballots could then be proved valid while
encrypting any number of votes, and its decryption proofs made for a different result. Here every
challenge hashes, in this order:

    SHA-512( tag ‖ fingerprint ‖ K ‖ G ‖ statement… ‖ commitments… )  mod ℓ

where `tag` names the proof and the format (`actas-e2e/1 ballot-option`), `fingerprint` is the election's
(binding a proof to one election), K the joint public key of the trustees (binding it to one key), G the
generator, and each item of the statement and of the commitments is one field. Every field is written
with its length first (two bytes, big-endian), so no two different lists of fields hash the same bytes.
SHA-512's 512 bits are reduced modulo ℓ, so the challenge is uniform to within 2^-259."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from actas.e2e.group import GENERATOR, ORDER, Point

FORMAT = "actas-e2e/1"


def fields(*items: bytes) -> bytes:
    """Each item written after its length (two bytes, big-endian)."""
    return b"".join(len(item).to_bytes(2, "big") + item for item in items)


@dataclass(frozen=True)
class Context:
    """What every challenge of an election's proofs begins with: its fingerprint and its joint key."""

    fingerprint: bytes
    """The election definition's SHA-256."""
    key: Point
    """K, the joint public key of the trustees."""

    @classmethod
    def of(cls, fingerprint_hex: str, key: Point) -> Context:
        return cls(bytes.fromhex(fingerprint_hex), key)

    def challenge(self, proof: str, *items: bytes) -> int:
        """The challenge of a proof named `proof` on the statement and commitments `items`."""
        digest = hashlib.sha512(
            fields(f"{FORMAT} {proof}".encode(), self.fingerprint, self.key, GENERATOR, *items)
        ).digest()
        return int.from_bytes(digest, "little") % ORDER
