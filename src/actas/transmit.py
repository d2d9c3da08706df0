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
from collections.abc import Callable, Iterable, Iterator
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
    """The log of acknowledged submissions: one JSON line each, fsync'ed before it counts. Threads that
    record at the same moment share one fsync (group commit), as the server's writers share a commit."""

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
        self._sync_lock = threading.Lock()
        self._written = self._synced = 0
        """How many records were written to the file, and how many of them are known to be on disk."""

    def record(self, acknowledged: list[tuple[str, int, dict[str, object]]]) -> None:
        """Log (digest, status, receipt) of every acta one answer acknowledged; returns once it is on disk."""
        if not acknowledged:
            return
        lines = "".join(
            json.dumps({"sha256": digest, "status": status, "index": receipt.get("index")}) + "\n"
            for digest, status, receipt in acknowledged
        )
        with self._lock:
            with self.path.open("a", encoding="utf-8") as out:
                out.write(lines)
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
            self.sent.update(digest for digest, _, _ in acknowledged)


def _retrying(call: Callable[[], httpx.Response], report: TransmitReport) -> httpx.Response | None:
    """The server's answer, retrying with jittered exponential backoff while it cannot be reached or fails."""
    delay = 0.2
    for attempt in range(MAX_ATTEMPTS):
        try:
            response = call()
            if response.status_code < 500:
                return response
        except httpx.HTTPError:
            pass
        if attempt + 1 < MAX_ATTEMPTS:
            report.retries += 1
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 5.0)
    return None


def _json(response: httpx.Response | None) -> dict[str, object]:
    if response is None:
        return {}
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def transmit(
    server: str,
    items: Iterable[SourcePayload],
    outbox: Outbox,
    *,
    workers: int = 8,
    batch: int = 1,
    on_progress: Callable[[], None] | None = None,
) -> TransmitReport:
    """Send every payload; with `batch` > 1, that many at a time to the batch endpoint (for relays)."""
    report = TransmitReport()
    base = server.rstrip("/")
    lock = threading.Lock()

    def settle(answers: list[tuple[SourcePayload, str, int | None, dict[str, object]]]) -> None:
        """Log what the server acknowledged (durably, before counting it), then count every answer."""
        outbox.record([(digest, status, body) for _, digest, status, body in answers if status in ACKNOWLEDGED])
        with lock:
            for item, _, status, body in answers:
                if status is None:
                    report.unsent.append(item.origin)
                elif status == 201:
                    report.accepted += 1
                elif status == 200:
                    report.duplicates += 1
                elif status == 409:
                    report.conflicts.append(f"{item.origin}: {body.get('message', 'conflict')}")
                else:
                    error = body.get("error")
                    message = error.get("message") if isinstance(error, dict) else None
                    report.refused.append(f"{item.origin}: HTTP {status}: {message or 'refused'}")
        if on_progress:
            for _ in answers:
                on_progress()

    def ready(chunk: list[SourcePayload]) -> list[tuple[SourcePayload, str, str]]:
        """(item, payload, digest) of what is readable and not acknowledged before."""
        found = []
        for item in chunk:
            try:
                payload = item.text()
            except FormatError as exc:
                with lock:
                    report.refused.append(f"{item.origin}: {exc}")
                continue
            digest = hashlib.sha256(payload.encode()).hexdigest()
            if digest in outbox.sent:
                with lock:
                    report.skipped += 1
                continue
            found.append((item, payload, digest))
        return found

    def send(chunk: list[SourcePayload]) -> None:
        todo = ready(chunk)
        if not todo:
            return
        if batch == 1:
            (item, payload, digest) = todo[0]
            headers = {"content-type": "text/plain"}
            response = _retrying(
                lambda: client.post(base + "/v1/actas", content=payload.encode(), headers=headers), report
            )
            settle([(item, digest, response.status_code if response is not None else None, _json(response))])
            return
        lines = "".join(json.dumps({"payload": payload}) + "\n" for _, payload, _ in todo).encode()
        headers = {"content-type": "application/x-ndjson"}
        response = _retrying(lambda: client.post(base + "/v1/actas/batch", content=lines, headers=headers), report)
        results = _json(response).get("results") if response is not None and response.status_code == 200 else None
        if not isinstance(results, list) or len(results) != len(todo):
            status = response.status_code if response is not None else None
            settle([(item, digest, status, _json(response)) for item, _, digest in todo])
            return
        answers: list[tuple[SourcePayload, str, int | None, dict[str, object]]] = []
        for (item, _, digest), result in zip(todo, results, strict=True):
            body = result if isinstance(result, dict) else {}
            status = body.get("http_status")
            answers.append((item, digest, status if isinstance(status, int) else 502, body))
        settle(answers)

    def chunks() -> Iterator[list[SourcePayload]]:
        current: list[SourcePayload] = []
        for item in items:
            current.append(item)
            if len(current) >= batch:
                yield current
                current = []
        if current:
            yield current

    with httpx.Client(timeout=120.0) as client, ThreadPoolExecutor(max_workers=workers) as pool:
        for _ in pool.map(send, chunks()):
            pass
    return report
