"""A board's receipt for an entry: the proof, kept by whoever sent it, that the board took it.

The tabulation server answers every acta it accepts (and the same acta again, and a conflicting
one) with the entry's index, its leaf hash, the signed checkpoint that covers it and the inclusion
proof against that checkpoint's root (RFC 9162, section 2.1.3). A sender checks it at once, with
the board's key, and keeps it. Later anyone can hold the board to it: the board must still show
that entry at that index, under a tree whose first `size` entries hash to the receipt's root. A
board that dropped or replaced the entry, or rolled back below the checkpoint, cannot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from actas.errors import FormatError, VerificationError
from actas.fields import parse_hex64
from actas.ledger.checkpoint import MAX_CHECKPOINT_BYTES, Checkpoint, open_checkpoint
from actas.ledger.merkle import leaf_hash, verify_inclusion
from actas.signed_note import Verifier

MAX_PROOF_HASHES = 64
"""An inclusion proof in a tree of fewer than 2^64 entries has at most 64 hashes."""


@dataclass(frozen=True)
class BoardReceipt:
    index: int
    leaf_hash: bytes
    checkpoint: str
    """The signed checkpoint note that covers the entry."""
    inclusion_proof: tuple[bytes, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "leaf_hash": self.leaf_hash.hex(),
            "checkpoint": self.checkpoint,
            "inclusion_proof": [h.hex() for h in self.inclusion_proof],
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> BoardReceipt:
        """A receipt as the server answers it (other keys of the answer are ignored)."""
        index, leaf, note, proof = (obj.get(k) for k in ("index", "leaf_hash", "checkpoint", "inclusion_proof"))
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < 2**63:
            raise FormatError("receipt: no entry index")
        if not isinstance(note, str) or len(note) > MAX_CHECKPOINT_BYTES:
            raise FormatError("receipt: no signed checkpoint")
        if not isinstance(proof, list) or len(proof) > MAX_PROOF_HASHES or not isinstance(leaf, str):
            raise FormatError("receipt: no leaf hash or inclusion proof")
        hashes = tuple(bytes.fromhex(parse_hex64(h, "receipt proof hash")) for h in proof if isinstance(h, str))
        if len(hashes) != len(proof):
            raise FormatError("receipt: the inclusion proof is a list of hex hashes")
        return cls(index, bytes.fromhex(parse_hex64(leaf, "receipt leaf hash")), note, hashes)

    def check(self, entry: bytes, board_key: Verifier) -> Checkpoint:
        """The receipt's checkpoint, once its signature, the entry's leaf hash and the inclusion proof are
        checked (VerificationError naming what fails)."""
        checkpoint = open_checkpoint(self.checkpoint, board_key)
        self.check_under(entry, checkpoint)
        return checkpoint

    def check_under(self, entry: bytes, checkpoint: Checkpoint) -> None:
        """The entry's leaf hash and inclusion proof, under a checkpoint already opened from this receipt's
        note (many receipts of one answer share one checkpoint: its signature is checked once)."""
        if leaf_hash(entry) != self.leaf_hash:
            raise VerificationError("receipt: its leaf hash is not the hash of what was sent")
        verify_inclusion(self.leaf_hash, self.index, checkpoint.size, self.inclusion_proof, checkpoint.root)
