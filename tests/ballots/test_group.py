"""The group (`actas.e2e.group`): Ed25519's prime-order subgroup through libsodium, checked against
RFC 8032's published numbers, and every point received checked to be in the group."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actas.e2e.group import (
    GENERATOR,
    IDENTITY,
    ORDER,
    add,
    base_mul,
    mul,
    point,
    random_scalar,
    scalar,
    scalar_bytes,
    sub,
)
from actas.errors import FormatError

RFC8032_KEYS = [
    # RFC 8032, section 7.1, TEST 1 and TEST 2: a secret key and its public key A = [s]B
    ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"),
    ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"),
]  # fmt: skip
SMALL_ORDER = bytes.fromhex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
"""(0, −1), of order 2."""
TORSION = bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")
"""A point of order 8 (libsodium's list of small-order points)."""


def test_the_base_point_and_order_are_rfc_8032s() -> None:
    # RFC 8032, 5.1: B = (x, 4/5) with x positive; its encoding is y = 4/5 mod p, little-endian
    p = 2**255 - 19
    y = 4 * pow(5, -1, p) % p
    assert GENERATOR == y.to_bytes(32, "little")
    assert ORDER == 2**252 + 27742317777372353535851937790883648493
    with pytest.raises(ArithmeticError):
        from actas.e2e.group import _base_mul

        _base_mul(ORDER)  # [ℓ]B is the neutral element, which libsodium refuses to return


@pytest.mark.parametrize(("secret", "public"), RFC8032_KEYS)
def test_base_multiplication_gives_rfc_8032s_public_keys(secret: str, public: str) -> None:
    h = bytearray(hashlib.sha512(bytes.fromhex(secret)).digest()[:32])
    h[0] &= 248
    h[31] &= 127
    h[31] |= 64
    assert base_mul(int.from_bytes(h, "little")).hex() == public


@given(st.integers(0, ORDER - 1), st.integers(0, ORDER - 1))
def test_the_group_laws_hold_through_libsodium(a: int, b: int) -> None:
    assert add(base_mul(a), base_mul(b)) == base_mul(a + b)
    assert sub(base_mul(a), base_mul(b)) == base_mul(a - b)
    assert mul(b, base_mul(a)) == base_mul(a * b)
    assert mul(ORDER - 1, base_mul(a)) == base_mul(-a)
    assert base_mul(0) == mul(0, GENERATOR) == mul(a, IDENTITY) == IDENTITY


def test_points_received_are_checked() -> None:
    assert point(base_mul(random_scalar()), "p") and point(IDENTITY, "p") == IDENTITY
    for bad, said in [
        (SMALL_ORDER, "not a point of the prime-order group"),
        (TORSION, "not a point of the prime-order group"),
        (add(GENERATOR, TORSION), "not a point of the prime-order group"),  # outside the subgroup
        (bytes([2]) + bytes(31), "not a point of the prime-order group"),  # y = 2 is on no point
        ((2**255 - 19 + 1).to_bytes(32, "little"), "not a point of the prime-order group"),  # non-canonical 1
        (GENERATOR[:31], "a point is 32 bytes"),
    ]:
        with pytest.raises(FormatError, match=said):
            point(bad, "α")
    with pytest.raises(ValueError, match="prime-order group"):
        mul(3, add(GENERATOR, TORSION))  # libsodium refuses to multiply a point outside the subgroup


def test_scalars_received_have_one_encoding() -> None:
    assert scalar(scalar_bytes(ORDER - 1), "c") == ORDER - 1
    with pytest.raises(FormatError, match="below the group's order"):
        scalar(ORDER.to_bytes(32, "little"), "c")
    with pytest.raises(FormatError, match="32 bytes"):
        scalar(bytes(31), "c")
