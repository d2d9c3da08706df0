"""Exponential ElGamal in the group of `actas.e2e.group`: a count m encrypted under the joint key K with a
nonce r is (α, β) = ([r]G, [r]K + [m]G). Ciphertexts add: the sum of the encryptions of counts is an
encryption of their sum, which is how a mesa's ballots are tallied without decrypting any of them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from actas.e2e.group import IDENTITY, Point, add, base_mul, mul, sub


@dataclass(frozen=True)
class Ciphertext:
    alpha: Point
    """[r]G."""
    beta: Point
    """[r]K + [m]G."""

    def __add__(self, other: Ciphertext) -> Ciphertext:
        return Ciphertext(add(self.alpha, other.alpha), add(self.beta, other.beta))


ZERO = Ciphertext(IDENTITY, IDENTITY)
"""The encryption of 0 with nonce 0: what a sum of no ciphertexts is."""


def encrypt(m: int, nonce: int, key: Point) -> Ciphertext:
    return Ciphertext(base_mul(nonce), add(mul(nonce, key), base_mul(m)))


def total(ciphertexts: Iterable[Ciphertext]) -> Ciphertext:
    """The homomorphic sum."""
    summed = ZERO
    for c in ciphertexts:
        summed = summed + c
    return summed


def unmask(ciphertext: Ciphertext, mask: Point) -> Point:
    """[m]G, given the mask [r]K = [s]α (from the nonce, or from the trustees' shares of s)."""
    return sub(ciphertext.beta, mask)


class DiscreteLog:
    """m from [m]G for the small counts a mesa holds: a table of [0]G … [limit]G, grown as needed by
    additions of G."""

    def __init__(self) -> None:
        self._points: dict[Point, int] = {IDENTITY: 0}
        self._last = IDENTITY
        self._base = base_mul(1)

    def find(self, target: Point, limit: int) -> int | None:
        """m with [m]G = target and 0 ≤ m ≤ limit, or None."""
        while target not in self._points and len(self._points) <= limit:
            self._last = add(self._last, self._base)
            self._points[self._last] = len(self._points)
        m = self._points.get(target)
        return m if m is not None and m <= limit else None
