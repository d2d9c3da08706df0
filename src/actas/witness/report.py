"""A witness's report on one mesa: the acta as scanned, the hand count of the paper, and what happened.

A report names the mesa and the witness, carries the acta exactly as read from its QR codes (or
none, when the witness never saw one) with its verdict, whether the paper receipts were counted by
hand (then the count per ballot option and the number of receipts), the incidents from a fixed
list, each with a note, and the SHA-256 of each photo. On disk and on the wire it is canonical JSON
(RFC 8785), so the same report is always the same bytes; reading checks every field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from actas.acta.codec import MAX_ACTA_BYTES
from actas.canonical import canonical_json
from actas.errors import FormatError

FORMAT = "actas witness report v1"
INCIDENTS = (
    "witness-not-admitted",
    "witness-forced-to-leave",
    "acta-not-printed",
    "acta-refused-to-witness",
    "machine-replaced",
    "count-not-public",
    "other",
)
ACTA_STATUSES = ("verified", "unsigned", "none")
MAX_NOTE = 1000
MAX_REPORT_BYTES = MAX_ACTA_BYTES + 64 * 1024
"""A report carries an acta and at most a few kilobytes of its own."""
MAX_COUNT = 10**6
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
KEYS = {
    "format",
    "station",
    "witness",
    "acta",
    "acta_status",
    "hand_counted",
    "hand",
    "receipts",
    "incidents",
    "photos",
}


@dataclass(frozen=True)
class Incident:
    kind: str
    note: str = ""


@dataclass(frozen=True)
class WitnessReport:
    station: str
    witness: str
    acta: str | None
    acta_status: str
    hand_counted: bool
    hand: tuple[tuple[str, int], ...] = ()
    """Option id and the number of paper receipts for it, when counted by hand; kept in the order of the
    ids, as the canonical JSON writes them."""
    receipts: int | None = None
    incidents: tuple[Incident, ...] = ()
    photos: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check(self)
        object.__setattr__(self, "hand", tuple(sorted(self.hand)))

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "station": self.station,
            "witness": self.witness,
            "acta": self.acta,
            "acta_status": self.acta_status,
            "hand_counted": self.hand_counted,
            "hand": dict(self.hand),
            "receipts": self.receipts,
            "incidents": [{"kind": i.kind, "note": i.note} for i in self.incidents],
            "photos": list(self.photos),
        }

    def to_bytes(self) -> bytes:
        return canonical_json(self.to_json())

    @classmethod
    def from_json(cls, data: Any) -> WitnessReport:
        if not isinstance(data, dict):
            raise FormatError("a witness report is a JSON object")
        unknown, missing = sorted(set(data) - KEYS), sorted(KEYS - set(data))
        if unknown or missing:
            raise FormatError(f"witness report: unknown fields {unknown}, missing fields {missing}")
        if data["format"] != FORMAT:
            raise FormatError(f"witness report: format must be {FORMAT!r}")
        hand, incidents, photos = data["hand"], data["incidents"], data["photos"]
        if not isinstance(hand, dict) or not isinstance(incidents, list) or not isinstance(photos, list):
            raise FormatError("witness report: hand is an object, incidents and photos are lists")
        if not all(isinstance(i, dict) and set(i) == {"kind", "note"} for i in incidents):
            raise FormatError("witness report: each incident is {kind, note}")
        return cls(
            station=data["station"],
            witness=data["witness"],
            acta=data["acta"],
            acta_status=data["acta_status"],
            hand_counted=data["hand_counted"],
            hand=tuple(hand.items()),
            receipts=data["receipts"],
            incidents=tuple(Incident(i["kind"], i["note"]) for i in incidents),
            photos=tuple(photos),
        )


def _count(value: Any, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise FormatError(f"witness report: {what} must be a whole number from 0 to {MAX_COUNT:,}, found {value!r}")


def _check(r: WitnessReport) -> None:
    for name, value in (("station", r.station), ("witness", r.witness)):
        if not isinstance(value, str) or not _TOKEN.fullmatch(value):
            raise FormatError(f"witness report: {name} {str(value)[:70]!r} is not a code (letters, digits, . _ -)")
    if r.acta_status not in ACTA_STATUSES:
        raise FormatError(f"witness report: acta_status must be one of {', '.join(ACTA_STATUSES)}")
    if (r.acta is None) != (r.acta_status == "none") or not isinstance(r.acta, str | None):
        raise FormatError("witness report: an acta goes with status verified or unsigned, no acta with none")
    if not isinstance(r.hand_counted, bool):
        raise FormatError("witness report: hand_counted is true or false")
    if r.hand_counted != bool(r.hand) or r.hand_counted != (r.receipts is not None):
        raise FormatError("witness report: a hand count has a count per option and the number of receipts")
    seen = set()
    for option, votes in r.hand:
        if not isinstance(option, str) or not _TOKEN.fullmatch(option) or option in seen:
            raise FormatError(f"witness report: hand count option {str(option)[:70]!r} is not a code, or repeats")
        seen.add(option)
        _count(votes, f"the hand count of {option}")
    if r.receipts is not None:
        _count(r.receipts, "receipts")
    for incident in r.incidents:
        if incident.kind not in INCIDENTS:
            raise FormatError(
                f"witness report: incident {str(incident.kind)[:40]!r} is not one of {', '.join(INCIDENTS)}"
            )
        if not isinstance(incident.note, str) or len(incident.note) > MAX_NOTE:
            raise FormatError(f"witness report: an incident's note is text of at most {MAX_NOTE} characters")
    if not all(isinstance(p, str) and _HEX64.fullmatch(p) for p in r.photos):
        raise FormatError("witness report: each photo is named by its SHA-256 (64 lowercase hex digits)")
