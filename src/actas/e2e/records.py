"""The key ceremony's files: the public record (`ceremony.json`), which anyone checks, and each trustee's
secret file, which only its trustee keeps (mode 0600). Points and scalars are written in hexadecimal,
sealed shares and box keys in base64; reading either file checks every field and names the first that
is wrong."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from actas.e2e.ballot import MAX_OPTIONS
from actas.e2e.decryption import DecryptionShare
from actas.e2e.elgamal import Ciphertext
from actas.e2e.group import Point, point, scalar, scalar_bytes
from actas.e2e.proofs import EqualityProof, SchnorrProof
from actas.e2e.tally import MesaShares
from actas.e2e.trustees import MAX_TRUSTEES, Announcement, Ceremony, Complaint, SealedShare, Trustee
from actas.errors import FormatError
from actas.fields import parse_hex64

CEREMONY_FORMAT = "actas-e2e/1 ceremony"
SHARES_FORMAT = "actas-e2e/1 decryption-shares"
MAX_SHARES_LINE = 64 * 1024
TRUSTEE_FORMAT = "actas-e2e/1 trustee"
MAX_RECORD_BYTES = 4 * 1024 * 1024
MAX_NAME = 200
SEALED_BYTES = 80
"""A sealed 32-byte share: an X25519 key (32), the share, and the MAC (16)."""

T = TypeVar("T")


def ceremony_to_json(ceremony: Ceremony) -> dict[str, Any]:
    return {
        "format": CEREMONY_FORMAT,
        "fingerprint": ceremony.fingerprint,
        "trustees": ceremony.n,
        "quorum": ceremony.k,
        "announcements": [
            {
                "index": a.index,
                "name": a.name,
                "box_key": base64.b64encode(a.box_key).decode(),
                "commitments": [c.hex() for c in a.commitments],
                "proofs": [[scalar_bytes(p.challenge).hex(), scalar_bytes(p.response).hex()] for p in a.proofs],
            }
            for a in ceremony.announcements
        ],
        "sealed": [
            {"dealer": s.dealer, "recipient": s.recipient, "share": base64.b64encode(s.sealed).decode()}
            for s in ceremony.sealed
        ],
        "complaints": [
            {
                "dealer": c.dealer,
                "recipient": c.recipient,
                "revealed": scalar_bytes(c.revealed).hex() if c.revealed is not None else None,
            }
            for c in ceremony.complaints
        ],
        "qualified": list(ceremony.qualified()),
        "joint_key": ceremony.joint_key().hex(),
    }


def ceremony_from_text(text: str) -> Ceremony:
    """A ceremony's record, every field checked; its `qualified` and `joint_key` must be what its
    announcements and complaints give."""
    obj = _object(_json(text, "ceremony record"), "ceremony record")
    if obj.get("format") != CEREMONY_FORMAT:
        raise FormatError(f"ceremony record: expected format {CEREMONY_FORMAT!r}")
    n, k = _count(obj, "trustees"), _count(obj, "quorum")
    if k > n:
        raise FormatError(f"ceremony record: a quorum of {k} out of {n} trustees")
    ceremony = Ceremony(
        _hex64(obj, "fingerprint", "ceremony record"),
        n,
        k,
        tuple(_items(obj, "announcements", _announcement, 2 * MAX_TRUSTEES)),
        tuple(_items(obj, "sealed", _sealed, MAX_TRUSTEES * MAX_TRUSTEES)),
        tuple(_items(obj, "complaints", _complaint, MAX_TRUSTEES * MAX_TRUSTEES)),
    )
    if obj.get("qualified") != list(ceremony.qualified()):
        raise FormatError("ceremony record: its qualified trustees are not those its complaints leave")
    if obj.get("joint_key") != ceremony.joint_key().hex():
        raise FormatError("ceremony record: its joint key is not the sum of the qualified trustees' commitments")
    return ceremony


def trustee_to_json(trustee: Trustee, fingerprint: str) -> dict[str, Any]:
    return {
        "format": TRUSTEE_FORMAT,
        "fingerprint": fingerprint,
        "index": trustee.index,
        "trustees": trustee.n,
        "quorum": trustee.k,
        "coefficients": [scalar_bytes(a).hex() for a in trustee.coefficients],
        "box_key": base64.b64encode(trustee.box_key).decode(),
        "share": scalar_bytes(trustee.share).hex() if trustee.share is not None else None,
    }


def trustee_from_text(text: str) -> tuple[Trustee, str]:
    """A trustee's secrets and the fingerprint of the election they are for."""
    obj = _object(_json(text, "trustee file"), "trustee file")
    if obj.get("format") != TRUSTEE_FORMAT:
        raise FormatError(f"trustee file: expected format {TRUSTEE_FORMAT!r}")
    n, k, index = _count(obj, "trustees"), _count(obj, "quorum"), _count(obj, "index")
    if not k <= n or index > n:
        raise FormatError(f"trustee file: trustee {index} of {n} with a quorum of {k}")
    coefficients = obj.get("coefficients")
    if not isinstance(coefficients, list) or len(coefficients) != k:
        raise FormatError(f"trustee file: coefficients: expected {k}")
    share = obj.get("share")
    trustee = Trustee(
        index,
        n,
        k,
        tuple(_scalar(c, "trustee file: coefficient") for c in coefficients),
        _b64(obj.get("box_key"), "trustee file: box_key", 32),
        _scalar(share, "trustee file: share") if share is not None else None,
    )
    return trustee, _hex64(obj, "fingerprint", "trustee file")


def dumps(obj: Mapping[str, Any]) -> str:
    return json.dumps(obj, indent=1) + "\n"


def _json(text: str, what: str) -> Any:
    if len(text) > MAX_RECORD_BYTES:
        raise FormatError(f"{what}: more than {MAX_RECORD_BYTES:,} characters")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"{what}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except RecursionError:
        raise FormatError(f"{what}: nested deeper than any record is") from None


def _object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise FormatError(f"{what}: expected an object")
    return value


def _count(obj: Mapping[str, Any], key: str) -> int:
    value = obj.get(key)
    if type(value) is not int or not 1 <= value <= MAX_TRUSTEES:
        raise FormatError(f"{key}: expected a whole number from 1 to {MAX_TRUSTEES}, found {str(value)[:20]!r}")
    return value


def _hex64(obj: Mapping[str, Any], key: str, what: str) -> str:
    value = obj.get(key)
    return parse_hex64(value if isinstance(value, str) else repr(value), f"{what}: {key}")


def _bytes_hex(value: Any, what: str) -> bytes:
    """32 bytes as 64 lowercase hexadecimal digits: one spelling for each value."""
    if not isinstance(value, str) or len(value) != 64 or value.strip("0123456789abcdef"):
        raise FormatError(f"{what}: expected 64 lowercase hexadecimal digits")
    return bytes.fromhex(value)


def _scalar(value: Any, what: str) -> int:
    return scalar(_bytes_hex(value, what), what)


def _point(value: Any, what: str) -> Point:
    return point(_bytes_hex(value, what), what)


def _b64(value: Any, what: str, size: int) -> bytes:
    """`size` bytes in canonical base64 (padding bits zero): one spelling for each value."""
    try:
        data = base64.b64decode(value, validate=True) if isinstance(value, str) else b""
    except binascii.Error:
        data = b""
    if len(data) != size or base64.b64encode(data).decode() != value:
        raise FormatError(f"{what}: expected {size} bytes in base64")
    return data


def _items(obj: Mapping[str, Any], key: str, read: Callable[[Any, str], T], most: int) -> list[T]:
    values = obj.get(key)
    if not isinstance(values, list) or len(values) > most:
        raise FormatError(f"ceremony record: {key}: expected a list of at most {most}")
    return [read(value, f"ceremony record: {key}[{i}]") for i, value in enumerate(values)]


def _announcement(value: Any, what: str) -> Announcement:
    a = _object(value, what)
    name = a.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise FormatError(f"{what}: name: expected a name of at most {MAX_NAME} characters")
    commitments, proofs = a.get("commitments"), a.get("proofs")
    if not isinstance(commitments, list) or not isinstance(proofs, list) or len(commitments) > MAX_TRUSTEES:
        raise FormatError(f"{what}: expected lists of commitments and proofs")
    return Announcement(
        _count(a, "index"),
        name,
        _b64(a.get("box_key"), f"{what}: box_key", 32),
        tuple(_point(c, f"{what}: commitment") for c in commitments),
        tuple(_proof(p, f"{what}: proof") for p in proofs[:MAX_TRUSTEES]),
    )


def _proof(value: Any, what: str) -> SchnorrProof:
    if not isinstance(value, list) or len(value) != 2:
        raise FormatError(f"{what}: expected [challenge, response]")
    return SchnorrProof(_scalar(value[0], what), _scalar(value[1], what))


def _sealed(value: Any, what: str) -> SealedShare:
    s = _object(value, what)
    return SealedShare(
        _count(s, "dealer"), _count(s, "recipient"), _b64(s.get("share"), f"{what}: share", SEALED_BYTES)
    )


def _complaint(value: Any, what: str) -> Complaint:
    c = _object(value, what)
    revealed = c.get("revealed")
    return Complaint(
        _count(c, "dealer"), _count(c, "recipient"), _scalar(revealed, f"{what}: revealed") if revealed else None
    )


def shares_lines(fingerprint: str, trustee: int, mesas: Iterable[MesaShares]) -> Iterator[str]:
    """A trustee's shares of each mesa's tally, as JSON lines: a header, then one line per mesa with the
    tally decrypted, one [α, β] per option, and one [share, challenge, response] per option."""
    yield json.dumps({"format": SHARES_FORMAT, "fingerprint": fingerprint, "trustee": trustee}) + "\n"
    for mesa in mesas:
        tally = [[c.alpha.hex(), c.beta.hex()] for c in mesa.tally]
        written = [
            [s.share.hex(), scalar_bytes(s.proof.challenge).hex(), scalar_bytes(s.proof.response).hex()]
            for s in mesa.shares
        ]
        yield json.dumps({"station": mesa.station, "tally": tally, "shares": written}) + "\n"


def mesa_shares_entry(text: str, what: str) -> tuple[str, MesaShares]:
    """A board's entry of a trustee's shares of one mesa's tally: the election's fingerprint and the shares."""
    fingerprint, _, shares = read_shares(text.splitlines(keepends=True))
    if len(shares) != 1:
        raise FormatError(f"{what}: a trustee's shares of one mesa's tally, not {len(shares)}")
    return fingerprint, next(iter(shares.values()))


def read_shares(lines: Iterable[str]) -> tuple[str, int, dict[str, MesaShares]]:
    """A trustee's shares file: the election's fingerprint, the trustee, and its shares by mesa."""
    header: tuple[str, int] | None = None
    found: dict[str, MesaShares] = {}
    for number, line in enumerate(lines, start=1):
        what = f"decryption shares, line {number}"
        if len(line) > MAX_SHARES_LINE:
            raise FormatError(f"{what}: longer than {MAX_SHARES_LINE:,} characters")
        obj = _object(_json(line, what), what)
        if header is None:
            if obj.get("format") != SHARES_FORMAT:
                raise FormatError(f"{what}: expected format {SHARES_FORMAT!r}")
            header = (_hex64(obj, "fingerprint", what), _count(obj, "trustee"))
            continue
        station, tally, shares = obj.get("station"), obj.get("tally"), obj.get("shares")
        if not isinstance(station, str) or not 0 < len(station) <= 64:
            raise FormatError(f"{what}: expected a station, its tally and its shares")
        if not isinstance(tally, list) or not isinstance(shares, list) or not 0 < len(tally) <= MAX_OPTIONS:
            raise FormatError(f"{what}: expected a station, its tally and its shares")
        if station in found:
            raise FormatError(f"{what}: mesa {station} appears twice")
        at = f"{what}, mesa {station}"
        found[station] = MesaShares(
            station,
            header[1],
            tuple(_ciphertext(item, at) for item in tally),
            tuple(_share(header[1], item, at) for item in shares[:MAX_OPTIONS]),
        )
    if header is None:
        raise FormatError("decryption shares: empty")
    return header[0], header[1], found


def _ciphertext(value: Any, what: str) -> Ciphertext:
    if not isinstance(value, list) or len(value) != 2:
        raise FormatError(f"{what}: expected [alpha, beta]")
    return Ciphertext(_point(value[0], what), _point(value[1], what))


def _share(trustee: int, value: Any, what: str) -> DecryptionShare:
    if not isinstance(value, list) or len(value) != 3:
        raise FormatError(f"{what}: expected [share, challenge, response]")
    return DecryptionShare(
        trustee, _point(value[0], what), EqualityProof(_scalar(value[1], what), _scalar(value[2], what))
    )
