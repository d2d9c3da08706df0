"""The zero-knowledge proofs of the encrypted ballots and of their decryption, each made non-interactive
by the strong Fiat–Shamir transform (`actas.e2e.hashing`). Responses are written v = u − c·x, so that a
verifier recomputes each commitment as [v]G + [c]X.

- `SchnorrProof`: knowledge of x with X = [x]G (a trustee's polynomial coefficients).
- `EqualityProof` (Chaum–Pedersen): X = [x]G and Y = [x]H for one x: a ballot's options sum to 1
  (X = Σα, H = K, Y = Σβ − G), and a trustee's share of a decryption (X = its public share key,
  H = the tally's α, Y = its share).
- `BitProof` (disjunctive Chaum–Pedersen, Cramer, Damgård and Schoenmakers 1994): (α, β) encrypts 0 or 1,
  without saying which. The branch that is not true is simulated with a challenge chosen in advance;
  the two challenges must add up to the hash.

Every `verify` returns whether the proof holds; a point that is not in the group makes it fail."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from actas.e2e.elgamal import Ciphertext
from actas.e2e.group import GENERATOR, ORDER, Point, add, base_mul, mul, random_scalar, scalar_bytes, sub
from actas.e2e.hashing import Context

Draw = Callable[[], int]
"""Where a prover's random scalars come from: the system's random source, or for test vectors a
deterministic sequence another implementation can rebuild."""


def _commit(v: int, c: int, x: Point) -> Point:
    """[v]G + [c]X."""
    return add(base_mul(v), mul(c, x))


def _commit_on(v: int, h: Point, c: int, y: Point) -> Point:
    """[v]H + [c]Y."""
    return add(mul(v, h), mul(c, y))


@dataclass(frozen=True)
class SchnorrProof:
    challenge: int
    response: int

    @classmethod
    def prove(
        cls, context: Context, name: str, label: bytes, x: int, public: Point, draw: Draw = random_scalar
    ) -> SchnorrProof:
        u = draw()
        c = context.challenge(name, label, public, base_mul(u))
        return cls(c, (u - c * x) % ORDER)

    def verify(self, context: Context, name: str, label: bytes, public: Point) -> bool:
        try:
            a = _commit(self.response, self.challenge, public)
        except ValueError:
            return False
        return context.challenge(name, label, public, a) == self.challenge


@dataclass(frozen=True)
class EqualityProof:
    challenge: int
    response: int

    @classmethod
    def prove(
        cls,
        context: Context,
        name: str,
        label: bytes,
        x: int,
        public: Point,
        h: Point,
        y: Point,
        draw: Draw = random_scalar,
    ) -> EqualityProof:
        u = draw()
        c = context.challenge(name, label, public, h, y, base_mul(u), mul(u, h))
        return cls(c, (u - c * x) % ORDER)

    def verify(self, context: Context, name: str, label: bytes, public: Point, h: Point, y: Point) -> bool:
        try:
            a = _commit(self.response, self.challenge, public)
            b = _commit_on(self.response, h, self.challenge, y)
        except ValueError:
            return False
        return context.challenge(name, label, public, h, y, a, b) == self.challenge


BIT = "ballot-option"


@dataclass(frozen=True)
class BitProof:
    c0: int
    c1: int
    v0: int
    v1: int

    @classmethod
    def prove(
        cls, context: Context, label: bytes, ciphertext: Ciphertext, m: int, nonce: int, draw: Draw = random_scalar
    ) -> BitProof:
        """For (α, β) = encrypt(m, nonce, K) with m 0 or 1. The prover knows the nonce, so each commitment
        that would take a multiplication of α or β is one of G or K instead."""
        if m not in (0, 1):
            raise ValueError("a bit proof is of 0 or 1")
        key = context.key
        other = 1 - m
        c_other, v_other = draw(), draw()
        w = (v_other + nonce * c_other) % ORDER  # [v]G + [c]α = [v + r·c]G
        simulated = (base_mul(w), add(mul(w, key), base_mul(c_other * (m - other))))
        u = draw()
        real = (base_mul(u), mul(u, key))
        (a0, b0), (a1, b1) = (real, simulated) if m == 0 else (simulated, real)
        c = context.challenge(BIT, label, ciphertext.alpha, ciphertext.beta, a0, b0, a1, b1)
        c_real = (c - c_other) % ORDER
        v_real = (u - c_real * nonce) % ORDER
        if m == 0:
            return cls(c_real, c_other, v_real, v_other)
        return cls(c_other, c_real, v_other, v_real)

    def verify(self, context: Context, label: bytes, ciphertext: Ciphertext) -> bool:
        alpha, beta, key = ciphertext.alpha, ciphertext.beta, context.key
        try:
            a0 = _commit(self.v0, self.c0, alpha)
            b0 = _commit_on(self.v0, key, self.c0, beta)
            a1 = _commit(self.v1, self.c1, alpha)
            b1 = _commit_on(self.v1, key, self.c1, sub(beta, GENERATOR))
        except ValueError:
            return False
        expected = context.challenge(BIT, label, alpha, beta, a0, b0, a1, b1)
        return (self.c0 + self.c1) % ORDER == expected

    def to_bytes(self) -> bytes:
        return b"".join(scalar_bytes(n) for n in (self.c0, self.c1, self.v0, self.v1))
