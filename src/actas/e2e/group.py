"""The group every encrypted ballot lives in: the prime-order subgroup of Curve25519 in Edwards form
(Ed25519's), of order ℓ = 2^252 + 27742317777372353535851937790883648493, through libsodium.

PyNaCl's binding of libsodium exposes Ed25519's group operations but not ristretto255's, so points are
Ed25519 points in their 32-byte encoding, and each one received is checked to be canonical, on the
curve, not of small order and in the prime-order subgroup (libsodium's `crypto_core_ed25519_is_valid_point`;
`crypto_scalarmult_ed25519_noclamp` makes the same check of the point it multiplies, and refuses it
otherwise). No point arithmetic is written here; the libsodium calls are:

- `crypto_scalarmult_ed25519_base_noclamp`: [n]G, the fixed base G (Ed25519's base point);
- `crypto_scalarmult_ed25519_noclamp`: [n]P for a point P;
- `crypto_core_ed25519_add` and `crypto_core_ed25519_sub`: P + Q and P − Q;
- `crypto_core_ed25519_is_valid_point`: the check of a point received.

They are called through the binding's compiled module (`nacl._sodium`) directly: its Python wrappers
copy and check each argument again, which costs as much as an addition. Scalars are Python integers
modulo ℓ: that is arithmetic in the field of exponents, not in the group. libsodium refuses to return
the neutral element from a multiplication and to multiply by zero; `mul` and `base_mul` say what those
products are instead, since a tally of zero votes is the neutral element.
"""

from __future__ import annotations

import secrets
from typing import NewType

from nacl._sodium import ffi, lib

from actas.errors import FormatError

ORDER = 2**252 + 27742317777372353535851937790883648493
"""ℓ, the order of the group (RFC 8032, section 5.1)."""
POINT_BYTES = 32
SCALAR_BYTES = 32

Point = NewType("Point", bytes)
"""A group element in Ed25519's 32-byte encoding, checked (`point`) or computed here."""

IDENTITY = Point(b"\x01" + bytes(31))
"""The neutral element, (0, 1): the encoding of [0]G, what a sum of no votes decrypts to."""


def _base_mul(n: int) -> Point:
    out = ffi.new("unsigned char[32]")
    if lib.crypto_scalarmult_ed25519_base_noclamp(out, n.to_bytes(32, "little")) != 0:
        raise ArithmeticError("libsodium refused a multiple of the base point")
    return Point(bytes(out))


GENERATOR = _base_mul(1)
"""G, Ed25519's base point (RFC 8032, section 5.1): y = 4/5."""


def base_mul(n: int) -> Point:
    """[n]G."""
    n %= ORDER
    return IDENTITY if n == 0 else _base_mul(n)


def mul(n: int, p: Point) -> Point:
    """[n]P, for P in the group; a ValueError if P is not (libsodium checks it)."""
    n %= ORDER
    if n == 0 or p == IDENTITY:
        return IDENTITY
    out = ffi.new("unsigned char[32]")
    if lib.crypto_scalarmult_ed25519_noclamp(out, n.to_bytes(32, "little"), p) != 0:
        raise ValueError("not a point of the prime-order group")
    return Point(bytes(out))


def add(p: Point, q: Point) -> Point:
    out = ffi.new("unsigned char[32]")
    if lib.crypto_core_ed25519_add(out, p, q) != 0:
        raise ValueError("not a point of the curve")
    return Point(bytes(out))


def sub(p: Point, q: Point) -> Point:
    out = ffi.new("unsigned char[32]")
    if lib.crypto_core_ed25519_sub(out, p, q) != 0:
        raise ValueError("not a point of the curve")
    return Point(bytes(out))


def in_group(data: bytes) -> bool:
    """Whether 32 bytes encode a point of the prime-order group (the neutral element is one)."""
    return data == IDENTITY or lib.crypto_core_ed25519_is_valid_point(data) == 1


def point(data: bytes, what: str) -> Point:
    """A point received, once checked to be in the prime-order group; a FormatError naming `what`
    otherwise."""
    if len(data) != POINT_BYTES:
        raise FormatError(f"{what}: a point is {POINT_BYTES} bytes, found {len(data)}")
    if not in_group(data):
        raise FormatError(f"{what}: not a point of the prime-order group")
    return Point(data)


def unchecked(data: bytes, what: str) -> Point:
    """32 bytes read as a point, to be checked by what multiplies it: `crypto_scalarmult_ed25519_noclamp`
    refuses a point outside the group, so a proof that multiplies it by a nonzero scalar fails on it
    (`actas.e2e.ballot` says which)."""
    if len(data) != POINT_BYTES:
        raise FormatError(f"{what}: a point is {POINT_BYTES} bytes, found {len(data)}")
    return Point(data)


def scalar(data: bytes, what: str) -> int:
    """A scalar received: 32 bytes, little-endian, below ℓ (one encoding per number)."""
    if len(data) != SCALAR_BYTES:
        raise FormatError(f"{what}: a scalar is {SCALAR_BYTES} bytes, found {len(data)}")
    n = int.from_bytes(data, "little")
    if n >= ORDER:
        raise FormatError(f"{what}: not a scalar below the group's order")
    return n


def scalar_bytes(n: int) -> bytes:
    return (n % ORDER).to_bytes(SCALAR_BYTES, "little")


def random_scalar() -> int:
    """A uniform scalar from the system's random source: 512 bits reduced modulo ℓ."""
    return int.from_bytes(secrets.token_bytes(64), "little") % ORDER
