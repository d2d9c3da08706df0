"""tlog-witness's add-checkpoint: how a board asks a cosigner to cosign, and what a cosigner decides.

Spec: https://c2sp.org/tlog-witness. The request body is

    old <size the cosigner last cosigned>\\n
    <base64 hash>\\n ...            the RFC 6962 consistency proof from that size (at most 63)
    \\n
    <the signed checkpoint>

and the answer is one of: 200 and the cosignature lines; 400 for a malformed request or an `old`
larger than the checkpoint; 403 when no signature is by the log's key; 404 for a log the cosigner
does not know; 409 (body: the size it last cosigned, type text/x.tlog.size) when `old` is not that
size, or is that size with another root; 422 when the consistency proof does not verify.

`judge` is the decision given what the cosigner last cosigned; the cosigner's store makes the read,
the decision and the write of its new state one atomic step, so that it never cosigns two
checkpoints of one log that are not consistent, whatever the order of the requests.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum

from actas.errors import FormatError, VerificationError
from actas.ledger.checkpoint import MAX_CHECKPOINT_BYTES, Checkpoint
from actas.ledger.merkle import HASH_SIZE, verify_consistency
from actas.signed_note import SIGNATURE_PREFIX, NoteSignature, SignedNote, Verifier, parse_signature_line

MAX_PROOF_LINES = 63
MAX_REQUEST_BYTES = 16 * 1024
"""Far above the largest valid request (an old size, 63 hashes and a checkpoint of 4 KiB)."""
SIZE_CONTENT_TYPE = "text/x.tlog.size"
_B64_HASH_CHARS = 44


class Status(IntEnum):
    COSIGNED = 200
    MALFORMED = 400
    UNSIGNED = 403
    UNKNOWN_LOG = 404
    CONFLICT = 409
    BAD_PROOF = 422


class Refusal(Exception):
    """A request the cosigner does not cosign: the status the spec gives it and why."""

    def __init__(self, status: Status, message: str, known_size: int | None = None, *, evidence: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.known_size = known_size
        """For a conflict: the size of the latest checkpoint cosigned for this log."""
        self.evidence = evidence
        """Whether the log's signed checkpoint itself proves it misbehaved (another root for a size it had,
        or a tree that does not extend the one cosigned), and so is worth keeping."""


@dataclass(frozen=True)
class AddCheckpoint:
    old: int
    proof: tuple[bytes, ...]
    checkpoint: str
    """The signed checkpoint note, as the board publishes it."""

    def to_bytes(self) -> bytes:
        lines = [f"old {self.old}", *(base64.b64encode(h).decode() for h in self.proof), ""]
        return ("\n".join(lines) + "\n" + self.checkpoint).encode()

    @classmethod
    def from_bytes(cls, body: bytes) -> AddCheckpoint:
        """Read a request body strictly (FormatError: a 400)."""
        if len(body) > MAX_REQUEST_BYTES:
            raise FormatError(f"an add-checkpoint request is at most {MAX_REQUEST_BYTES} bytes")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise FormatError("an add-checkpoint request is UTF-8 text") from None
        head, sep, checkpoint = text.partition("\n\n")
        if not sep:
            raise FormatError("an add-checkpoint request has an empty line before the checkpoint")
        lines = head.split("\n")
        old_text = lines[0][len("old ") :] if lines[0].startswith("old ") else ""
        if not old_text.isdigit() or old_text != str(int(old_text)) or int(old_text) >= 2**63:
            raise FormatError("an add-checkpoint request starts with 'old <size>', in decimal without leading zeros")
        if len(lines) - 1 > MAX_PROOF_LINES:
            raise FormatError(f"a consistency proof has at most {MAX_PROOF_LINES} lines")
        proof = tuple(_hash(line, n) for n, line in enumerate(lines[1:], start=2))
        if len(checkpoint) > MAX_CHECKPOINT_BYTES:
            raise FormatError(f"a checkpoint is at most {MAX_CHECKPOINT_BYTES} bytes")
        SignedNote.from_text(checkpoint)
        return cls(int(old_text), proof, checkpoint)


def _hash(line: str, number: int) -> bytes:
    try:
        raw = base64.b64decode(line, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != HASH_SIZE or len(line) != _B64_HASH_CHARS:
        raise FormatError(f"request line {number}: a consistency proof line is one SHA-256 hash in base64")
    return raw


@dataclass(frozen=True)
class Cosigned:
    """What a cosigner last cosigned for a log."""

    size: int
    root: bytes
    note: str


def open_request(request: AddCheckpoint, logs: Mapping[str, Verifier]) -> tuple[Checkpoint, SignedNote]:
    """The checkpoint of a request, once its origin is known and it carries the log's signature."""
    try:
        note = SignedNote.from_text(request.checkpoint)
        checkpoint = Checkpoint.from_text(note.text)
    except FormatError as exc:
        raise Refusal(Status.MALFORMED, str(exc)) from None
    log_key = logs.get(checkpoint.origin)
    if log_key is None:
        raise Refusal(Status.UNKNOWN_LOG, f"this cosigner does not follow the log {checkpoint.origin[:80]!r}")
    if not log_key.verifies(note):
        raise Refusal(Status.UNSIGNED, f"the checkpoint carries no valid signature by the log's key {log_key.name}")
    if request.old > checkpoint.size:
        raise Refusal(Status.MALFORMED, f"old size {request.old} is larger than the checkpoint's {checkpoint.size}")
    return checkpoint, note


def judge(request: AddCheckpoint, checkpoint: Checkpoint, last: Cosigned | None) -> None:
    """Raise the Refusal the spec gives a request, given what was last cosigned for the log; return when
    the checkpoint is to be cosigned."""
    known = last.size if last is not None else 0
    if request.old != known:
        raise Refusal(Status.CONFLICT, f"old size {request.old}, but the last checkpoint cosigned has {known}", known)
    if last is None:
        if request.proof:
            raise Refusal(Status.BAD_PROOF, "the consistency proof from size 0 is empty")
        return
    if checkpoint.size == last.size and checkpoint.root != last.root:
        raise Refusal(
            Status.CONFLICT,
            f"a checkpoint of {last.size} entries with another root was cosigned: the log forked",
            known,
            evidence=True,
        )
    try:
        verify_consistency(last.size, checkpoint.size, request.proof, last.root, checkpoint.root)
    except VerificationError as exc:
        raise Refusal(Status.BAD_PROOF, str(exc), evidence=True) from None


def read_cosignatures(body: str) -> list[NoteSignature]:
    """The signature lines of a 200 answer (FormatError when it is not one or more such lines)."""
    if not body.endswith("\n") or len(body) > MAX_CHECKPOINT_BYTES:
        raise FormatError("a cosigner's answer is signature lines, each ending in a newline")
    lines = body[:-1].split("\n")
    if not all(line.startswith(SIGNATURE_PREFIX) for line in lines):
        raise FormatError("a cosigner's answer is signature lines starting with an em dash")
    return [parse_signature_line(line) for line in lines]


def read_known_size(body: str) -> int:
    """The size in a 409 answer's body."""
    text = body[:-1] if body.endswith("\n") else ""
    if not text.isdigit() or text != str(int(text)) or int(text) >= 2**63:
        raise FormatError(f"a cosigner's conflict answer is a size and a newline, found {body[:24]!r}")
    return int(text)
