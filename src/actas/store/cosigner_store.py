"""What a cosigner remembers, in its own SQLite file: per log, the latest checkpoint it cosigned, and
the validly signed checkpoints it refused (evidence that a log forked or rolled back).

Reading the latest, deciding, writing the new latest and answering is one step: the decision and the
write happen in one `BEGIN IMMEDIATE` transaction (SQLite's write lock, across processes too), and
the transaction is durable (`synchronous=FULL`: fsync'ed) before the cosignature is returned. So two
requests, in any order and at once, can never both be cosigned unless they are consistent.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from actas.errors import StorageError
from actas.ledger.add_checkpoint import Cosigned, Refusal

SCHEMA = """
CREATE TABLE IF NOT EXISTS cosigned (
    origin TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    note TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS refused (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    origin TEXT NOT NULL,
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    note TEXT NOT NULL,
    status INTEGER NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS refused_once ON refused (origin, size, root, status);
"""
MAX_EVIDENCE = 1000
"""Refused checkpoints kept per log: enough to show a fork, not enough to fill a disk."""


@dataclass(frozen=True)
class Evidence:
    """A checkpoint signed by the log that the cosigner refused, and why."""

    size: int
    root: bytes
    note: str
    status: int
    reason: str
    at: str


class CosignerStore:
    def __init__(self, path: Path) -> None:
        try:
            self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.executescript(SCHEMA)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open the cosigner's database {path}: {exc}", full=False) from None
        self.lock = threading.Lock()

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self.conn
                except BaseException:
                    self.conn.execute("ROLLBACK")
                    raise
                self.conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StorageError(f"the cosigner's database failed: {exc}", full="full" in str(exc)) from None

    def latest(self, origin: str) -> Cosigned | None:
        with self.lock:
            row = self.conn.execute("SELECT size, root, note FROM cosigned WHERE origin = ?", (origin,)).fetchone()
        return None if row is None else Cosigned(row[0], bytes(row[1]), row[2])

    def advance(self, origin: str, decide: Callable[[Cosigned | None], Cosigned], at: str) -> Cosigned:
        """Read what was last cosigned for `origin`, decide (a Refusal leaves everything as it was) and keep
        the new latest, as one durable transaction."""
        with self._transaction() as conn:
            row = conn.execute("SELECT size, root, note FROM cosigned WHERE origin = ?", (origin,)).fetchone()
            last = None if row is None else Cosigned(row[0], bytes(row[1]), row[2])
            new = decide(last)
            conn.execute(
                "INSERT INTO cosigned (origin, size, root, note, at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root, "
                "note = excluded.note, at = excluded.at",
                (origin, new.size, new.root, new.note, at),
            )
            return new

    def keep_evidence(self, origin: str, size: int, root: bytes, note: str, refusal: Refusal, at: str) -> None:
        """Keep a validly signed checkpoint whose refusal proves the log misbehaved (once each)."""
        if not refusal.evidence:
            return
        with self._transaction() as conn:
            (count,) = conn.execute("SELECT COUNT(*) FROM refused WHERE origin = ?", (origin,)).fetchone()
            if count < MAX_EVIDENCE:
                conn.execute(
                    "INSERT OR IGNORE INTO refused (origin, size, root, note, status, reason, at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (origin, size, root, note, int(refusal.status), refusal.message, at),
                )

    def evidence(self, origin: str) -> list[Evidence]:
        with self.lock:
            rows = self.conn.execute(
                "SELECT size, root, note, status, reason, at FROM refused WHERE origin = ? ORDER BY id", (origin,)
            ).fetchall()
        return [Evidence(r[0], bytes(r[1]), r[2], r[3], r[4], r[5]) for r in rows]
