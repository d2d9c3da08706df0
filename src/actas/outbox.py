"""The outbox: the durable log of what a tabulation server acknowledged, each line with the board's
receipt. A sender never sends what it holds again, and `actas verify --receipts` holds the board to
every receipt in it."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from actas.errors import FormatError, InputError
from actas.fields import parse_hex64
from actas.ledger.receipt import BoardReceipt

MAX_OUTBOX_LINE = 64 * 1024


@dataclass(frozen=True)
class Acknowledged:
    """One line of the outbox: an acta the server acknowledged, and its receipt."""

    line: int
    sha256: str
    origin: str
    """Where the acta was read from when it was sent."""
    receipt: BoardReceipt | None


def read_outbox(path: Path) -> Iterator[Acknowledged]:
    """Every acknowledgement in a log, read a line at a time; a line that is torn or not a record is skipped
    (that acta is simply sent again)."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InputError(f"cannot read the outbox {path}: {exc.strerror}") from None
    with handle:
        for number, line in enumerate(iter(lambda: handle.readline(MAX_OUTBOX_LINE + 1), b""), start=1):
            if len(line) > MAX_OUTBOX_LINE or not line.endswith(b"\n"):
                continue
            try:
                record = json.loads(line)
                digest = parse_hex64(record["sha256"], "outbox")
                receipt = BoardReceipt.from_json(record["receipt"]) if "receipt" in record else None
                origin = str(record.get("origin", ""))[:200]
            except (ValueError, KeyError, TypeError, AttributeError, RecursionError, FormatError):
                continue
            yield Acknowledged(number, digest, origin, receipt)


class Outbox:
    """The log of acknowledged submissions (0600): one JSON line each with the acta's SHA-256 and the
    board's receipt, fsync'ed before it counts. Threads that record at the same moment share one fsync
    (group commit), as the server's writers share a commit."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sent: set[str] = {acknowledged.sha256 for acknowledged in read_outbox(path)}
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._written = self._synced = 0
        """How many records were written to the file, and how many of them are known to be on disk."""

    def record(self, acknowledged: list[tuple[str, str, int, BoardReceipt]]) -> None:
        """Log (digest, origin, status, receipt) of every acta one answer acknowledged; returns once it is on
        disk."""
        if not acknowledged:
            return
        lines = "".join(
            json.dumps({"sha256": digest, "origin": origin, "status": status, "receipt": receipt.to_json()}) + "\n"
            for digest, origin, status, receipt in acknowledged
        )
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, lines.encode())
            finally:
                os.close(fd)
            self._written += 1
            mine = self._written
        with self._sync_lock:
            if self._synced < mine:  # no other thread's fsync has covered this record yet
                with self._lock:
                    covered = self._written
                fd = os.open(self.path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
                self._synced = covered
        with self._lock:
            self.sent.update(digest for digest, _, _, _ in acknowledged)
