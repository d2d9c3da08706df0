"""Sending actas to a tabulation server: concurrent, retried with backoff, and never sent twice.

The outbox is the source itself (a payload, a bundle, a simulation directory); a log of what the
server acknowledged sits beside it, so a machine that could not reach the server sends the rest
later, and nothing it already delivered goes again.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from actas.errors import FormatError
from actas.payload_sources import SourcePayload

MAX_ATTEMPTS = 8
ACKNOWLEDGED = (200, 201, 409)


@dataclass
class TransmitReport:
    accepted: int = 0
    duplicates: int = 0
    conflicts: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    unsent: list[str] = field(default_factory=list)
    skipped: int = 0
    retries: int = 0


class Outbox:
    """The log of acknowledged submissions: one JSON line each, fsync'ed before it counts."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sent: set[str] = set()
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    self.sent.add(str(json.loads(line)["sha256"]))
                except (ValueError, KeyError, TypeError):
                    continue  # a torn last line: that acta is simply sent again, and the server dedupes
        self._lock = threading.Lock()

    def record(self, digest: str, status: int, receipt: dict[str, object]) -> None:
        line = json.dumps({"sha256": digest, "status": status, "index": receipt.get("index")}) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(line)
            out.flush()
            os.fsync(out.fileno())
            self.sent.add(digest)


def _post(client: httpx.Client, url: str, payload: str, report: TransmitReport) -> tuple[int, dict[str, object]] | None:
    delay = 0.2
    for attempt in range(MAX_ATTEMPTS):
        try:
            response = client.post(url, content=payload.encode(), headers={"content-type": "text/plain"})
            if response.status_code < 500:
                try:
                    body = response.json()
                except ValueError:
                    body = {}
                return response.status_code, body if isinstance(body, dict) else {}
        except httpx.HTTPError:
            pass
        if attempt + 1 < MAX_ATTEMPTS:
            report.retries += 1
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 5.0)
    return None


def transmit(
    server: str,
    items: Iterable[SourcePayload],
    outbox: Outbox,
    *,
    workers: int = 8,
    on_progress: Callable[[], None] | None = None,
) -> TransmitReport:
    report = TransmitReport()
    url = server.rstrip("/") + "/v1/actas"
    lock = threading.Lock()

    def send(item: SourcePayload) -> None:
        try:
            payload = item.text()
        except FormatError as exc:
            with lock:
                report.refused.append(f"{item.origin}: {exc}")
            return
        digest = hashlib.sha256(payload.encode()).hexdigest()
        if digest in outbox.sent:
            with lock:
                report.skipped += 1
            return
        answer = _post(client, url, payload, report)
        with lock:
            if answer is None:
                report.unsent.append(item.origin)
            else:
                status, body = answer
                if status in ACKNOWLEDGED:
                    outbox.record(digest, status, body)
                    if status == 201:
                        report.accepted += 1
                    elif status == 200:
                        report.duplicates += 1
                    else:
                        report.conflicts.append(f"{item.origin}: {body.get('message', 'conflict')}")
                else:
                    error = body.get("error")
                    message = error.get("message") if isinstance(error, dict) else None
                    report.refused.append(f"{item.origin}: HTTP {status}: {message or 'refused'}")
        if on_progress:
            on_progress()

    with httpx.Client(timeout=30.0) as client, ThreadPoolExecutor(max_workers=workers) as pool:
        for _ in pool.map(send, items):
            pass
    return report
