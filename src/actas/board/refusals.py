"""Refused submissions: answered at once with the reason, and recorded in batches (their digest, reason
and count, never their bytes), apart from the board's entries and without the writers' lock. Past
MAX_REJECTIONS rows they are still refused and counted, not recorded."""

from __future__ import annotations

import contextlib
import hashlib
import threading
from dataclasses import dataclass
from typing import Any

from actas.board.log import now
from actas.board.outcome import Reason, Refused
from actas.errors import StorageError
from actas.store.board_store import BoardStore, Rejection

MAX_REJECTIONS = 100_000
"""Rejections kept; past this, refused submissions are still refused and counted, not recorded."""
REFUSALS_BATCH = 500
"""Refusals held in memory before they are written at once (else they are written every refresh)."""
PAGE_LIMIT = 1000


@dataclass
class Held:
    """Refusals of one digest for one reason, held until they are written."""

    size: int
    station: str | None
    count: int
    first_at: str
    last_at: str


class Refusals:
    def __init__(self, store: BoardStore) -> None:
        self.store = store
        self.unrecorded = 0
        self._held: dict[tuple[str, str], Held] = {}
        """Refusals not yet written, by (digest, reason)."""
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._recorded: int | None = None
        """Rows in the rejections table, counted at the first write."""

    def refuse(self, payload: bytes, why: Reason, reason: str, station: str | None = None) -> Refused:
        """A refusal to answer; it is held in memory and recorded with others in one write (`record`)."""
        digest = hashlib.sha256(payload).hexdigest()
        reason = reason[:300]
        at = now()
        with self._lock:
            held = self._held.get((digest, reason))
            if held is None:
                self._held[digest, reason] = Held(len(payload), station, 1, at, at)
            else:
                held.count += 1
                held.last_at = at
            full = len(self._held) >= REFUSALS_BATCH
        if full:
            with contextlib.suppress(StorageError):  # counted as unrecorded; the refusal is answered all the same
                self.record()
        return Refused(why, reason)

    def record(self) -> None:
        """Write the refusals held since the last write, in one transaction."""
        with self._lock:
            batch, self._held = self._held, {}
        if not batch:
            return
        try:
            self._write(batch)
        except StorageError:
            self.unrecorded += sum(f.count for f in batch.values())
            raise

    def _write(self, batch: dict[tuple[str, str], Held]) -> None:
        with self._write_lock, self.store.recording_refusals() as statements:
            if self._recorded is None:
                self._recorded = statements.rejections_recorded()
            room = max(0, MAX_REJECTIONS - self._recorded)
            held = list(batch.items())
            self.unrecorded += sum(f.count for _, f in held[room:])
            rows = [Rejection(d, r, f.size, f.station, f.count, f.first_at, f.last_at) for (d, r), f in held[:room]]
            statements.add_rejections(rows)
            self._recorded += len(rows)

    def of_station(self, station: str) -> list[dict[str, Any]]:
        """Refused submissions that named a station: digest, reason, count, first and last time."""
        self.record()
        return self.store.station_rejections(station, PAGE_LIMIT)

    def after(self, start: int, limit: int) -> list[dict[str, Any]]:
        """Recorded refusals after row `start`, in order: a row per digest and reason per batch written."""
        self.record()
        return self.store.rejections_after(start, limit)
