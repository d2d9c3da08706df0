"""Signed checkpoints of the bulletin board, in the C2SP tlog-checkpoint format.

Spec: https://c2sp.org/tlog-checkpoint. A checkpoint is the text of a signed note (`signed_note`):

    <origin>                      the board's unique name, e.g. "actas.example/ve-2024/official"
    <tree size>                   decimal, no leading zeros
    <root hash>                   standard base64 of the 32-byte RFC 9162 root
    [extension lines]             optional, opaque

It commits the board to every entry it has published: two checkpoints of the same origin whose
trees are not consistent prove that the board rewrote its history.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from actas.errors import FormatError, VerificationError
from actas.ledger.merkle import HASH_SIZE
from actas.signed_note import SignedNote, Signer, Verifier

MAX_CHECKPOINT_BYTES = 4096
_SIZE_RE = re.compile(r"0|[1-9][0-9]{0,19}")


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def to_text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode(), *self.extensions]
        return "\n".join(lines) + "\n"

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise FormatError("checkpoint: expected an origin, a tree size and a root hash, each on its own line")
        origin, size_text, root_text, *extensions = lines[:-1]
        if not origin or origin != origin.strip() or any(c.isspace() for c in origin):
            raise FormatError(f"checkpoint: origin {origin[:40]!r} must be non-empty and without spaces")
        if any(not line for line in extensions):
            raise FormatError("checkpoint: extension lines may not be empty")
        if not _SIZE_RE.fullmatch(size_text) or int(size_text) >= 2**64:
            raise FormatError(f"checkpoint: tree size must be a decimal number below 2^64, found {size_text[:24]!r}")
        size = int(size_text)
        try:
            root = base64.b64decode(root_text, validate=True)
        except (binascii.Error, ValueError):
            raise FormatError("checkpoint: root hash is not valid base64") from None
        if len(root) != HASH_SIZE or base64.b64encode(root).decode() != root_text:
            raise FormatError(f"checkpoint: root hash must be {HASH_SIZE} bytes in canonical base64")
        return cls(origin, size, root, tuple(extensions))

    def sign(self, signer: Signer) -> str:
        return signer.sign(self.to_text()).to_text()


def open_checkpoint(note_text: str, verifier: Verifier, origin: str | None = None) -> Checkpoint:
    """Read a signed checkpoint; it must carry a valid signature by `verifier` (and the expected origin)."""
    if len(note_text) > MAX_CHECKPOINT_BYTES:
        raise FormatError(f"checkpoint is larger than {MAX_CHECKPOINT_BYTES} bytes")
    note = SignedNote.from_text(note_text)
    checkpoint = Checkpoint.from_text(note.text)
    if origin is not None and checkpoint.origin != origin:
        raise VerificationError(f"checkpoint is for board {checkpoint.origin!r}, expected {origin!r}")
    if not verifier.verifies(note):
        raise VerificationError(f"checkpoint signature by {verifier.name} is missing or invalid")
    return checkpoint
