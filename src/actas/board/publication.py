"""What a board with a cosigner policy publishes: each checkpoint with the cosignatures its cosigners
gave it (`server.cosigning` asks them). Readers, receipts and pages are given the latest checkpoint
published, marked with how many cosignatures it has against the quorum; a checkpoint short of its
quorum is published all the same, so that a cosigner that is down or refuses cannot stop the count,
and every reader who requires the quorum sees that it is missing."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from actas.board.log import now
from actas.ledger.checkpoint import Checkpoint
from actas.ledger.cosignature import CosignerPolicy
from actas.signed_note import SignedNote
from actas.store.board_store import BoardStore, PublishedRow


@dataclass(frozen=True)
class Published:
    checkpoint: Checkpoint
    note: str
    """The checkpoint's note: the board's signature, then each cosignature."""
    cosignatures: int
    quorum: int

    @property
    def met(self) -> bool:
        return self.cosignatures >= self.quorum

    @classmethod
    def of(cls, row: PublishedRow) -> Published:
        return cls(Checkpoint.from_text(SignedNote.from_text(row.note).text), row.note, row.cosignatures, row.quorum)


class Publication:
    def __init__(self, store: BoardStore, policy: CosignerPolicy) -> None:
        self.store = store
        self.policy = policy
        self._latest: Published | None = None
        self._lock = threading.Lock()

    def publish(self, note: SignedNote) -> Published | None:
        """Publish a checkpoint with the cosignatures it carries (counted against the policy)."""
        check = self.policy.check(note)
        row = PublishedRow(
            Checkpoint.from_text(note.text).size, note.to_text(), len(check.signed), self.policy.quorum, now()
        )
        self.store.publish(row)
        return self.refresh()

    def refresh(self) -> Published | None:
        """The best of the latest published, as the database has it (another process may have published)."""
        row = self.store.best_published()
        with self._lock:
            if row is not None and (self._latest is None or self._latest.note != row.note):
                self._latest = Published.of(row)
            return self._latest

    @property
    def latest(self) -> Published | None:
        """The latest published as this process last read it."""
        return self._latest
