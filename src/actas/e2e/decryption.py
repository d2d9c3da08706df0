"""Decrypting a mesa's tally, never a ballot: the homomorphic sum of each option's ciphertexts over the
mesa's cast ballots is decrypted by any k trustees together.

Trustee l's share of the decryption of (A, B) is M_l = [s_l]A, with a Chaum–Pedersen proof that it used
the secret of its public share key Y_l (log_G Y_l = log_A M_l). A share whose proof fails is refused, and
any k of the good ones suffice: with S such a set, [s]A = Σ_{l∈S} [λ_l]M_l, where λ_l = Π_{m∈S, m≠l}
m / (m − l) modulo ℓ are Lagrange's coefficients at 0. Then [t]G = B − [s]A, and t, the option's count, is
found in a table of small multiples of G (`DiscreteLog`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from actas.e2e.elgamal import Ciphertext, DiscreteLog, unmask
from actas.e2e.group import IDENTITY, ORDER, Point, add, mul
from actas.e2e.hashing import Context, fields
from actas.e2e.proofs import EqualityProof

SHARE = "decryption-share"


def share_label(station: str, contest: str, option: str) -> bytes:
    return fields(station.encode(), contest.encode(), option.encode())


@dataclass(frozen=True)
class DecryptionShare:
    trustee: int
    share: Point
    """M_l = [s_l]A."""
    proof: EqualityProof


def decryption_share(
    context: Context, trustee: int, secret: int, share_key: Point, ciphertext: Ciphertext, label: bytes
) -> DecryptionShare:
    m = mul(secret, ciphertext.alpha)
    proof = EqualityProof.prove(context, SHARE, label, secret, share_key, ciphertext.alpha, m)
    return DecryptionShare(trustee, m, proof)


def share_holds(
    context: Context, share: DecryptionShare, share_key: Point, ciphertext: Ciphertext, label: bytes
) -> bool:
    return share.proof.verify(context, SHARE, label, share_key, ciphertext.alpha, share.share)


def lagrange(trustee: int, chosen: Sequence[int]) -> int:
    """λ_l at 0 over the trustees `chosen`."""
    numerator, denominator = 1, 1
    for m in chosen:
        if m != trustee:
            numerator = numerator * m % ORDER
            denominator = denominator * (m - trustee) % ORDER
    return numerator * pow(denominator, -1, ORDER) % ORDER


def combine(shares: Mapping[int, Point], k: int) -> Point:
    """[s]A from the shares of any k trustees (the first k by index)."""
    chosen = sorted(shares)[:k]
    if len(chosen) < k:
        raise ValueError(f"{len(chosen)} shares, fewer than the quorum of {k}")
    mask = IDENTITY
    for trustee in chosen:
        mask = add(mask, mul(lagrange(trustee, chosen), shares[trustee]))
    return mask


def decrypt_count(ciphertext: Ciphertext, mask: Point, table: DiscreteLog, limit: int) -> int | None:
    """The count the ciphertext holds, given its mask [s]A; None if it is above `limit`."""
    return table.find(unmask(ciphertext, mask), limit)
