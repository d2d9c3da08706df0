"""What a witness's photograph of an acta gives, as one of three verdicts: **verified** (an actas
payload whose signature and every check pass), **unsigned** (a 2024 Venezuelan acta QR text, which
carries no signature: its counts are what the code says and nothing proves them), or **rejected**,
with the reason. Reading the codes from the pixels is in read_photo.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from actas.acta.check import check_acta
from actas.acta.codec import FORMAT_LINE, parse_payload
from actas.dataset.ve2024_qr import options, parse_qr
from actas.errors import FormatError
from actas.registry import KeyRegistry

MAX_PHOTO_BYTES = 40 * 1024 * 1024
VERIFIED, UNSIGNED, REJECTED = "verified", "unsigned", "rejected"


@dataclass(frozen=True)
class Scan:
    photo: str
    photo_sha256: str
    status: str
    reason: str = ""
    station: str | None = None
    kind: str | None = None
    payload: str | None = None
    votes: dict[str, int] = field(default_factory=dict)
    """Counts per ballot option (party card) as the acta states them."""
    null: int | None = None
    photo_bytes: int = 0
    """How large the photo was as received (what the phone sent, after it made it smaller)."""


def judge(payload: str, name: str, digest: str, registry: KeyRegistry) -> Scan:
    """The verdict on the one acta a photo held (its payload or QR text), checked against the registry."""
    if payload.startswith(FORMAT_LINE):
        try:
            signed = parse_payload(payload)
        except FormatError as exc:
            return Scan(name, digest, REJECTED, f"the code is not a well-formed acta: {exc}")
        acta = signed.acta
        votes = {f"{c.contest}/{o}": n for c in acta.contests for o, n in zip(c.options, c.votes, strict=True)}
        reason = "; ".join(str(f) for f in check_acta(signed, registry))
        return Scan(
            name,
            digest,
            REJECTED if reason else VERIFIED,
            reason,
            station=acta.station,
            kind=acta.kind.value,
            payload=payload,
            votes=votes,
            null=sum(c.null for c in acta.contests),
        )
    try:
        old = parse_qr(payload)
    except FormatError:
        return Scan(name, digest, REJECTED, f"the code is not an acta: {payload[:60]!r}")
    return Scan(
        name,
        digest,
        UNSIGNED,
        "a 2024 Venezuelan acta QR code: it carries no signature, so nothing proves these counts",
        station=old.station,
        kind="final",
        payload=payload,
        votes={o.id: n for o, n in zip(options(), old.cards, strict=True)},
        null=old.null + old.invalid,
    )
