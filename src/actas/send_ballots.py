"""Sending encrypted ballots to an official board (docs/e2e.md): each mesa's record, once its final acta is
on the board, and a trustee's shares of the mesas' tallies, in requests of a bounded size. Retried like
actas (`transmit`) while the server cannot be reached or fails; every receipt is checked with the board's
key, as an acta's is."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from actas.board.ballots import MAX_SHARES_BYTES, PART_BYTES, part_bytes
from actas.e2e.mesa import MesaRecord
from actas.errors import ActasError, InputError
from actas.signed_note import Verifier
from actas.transmit import (
    RETRY_FOR,
    Checkpoints,
    TransmitReport,
    answer_json,
    board_key_of,
    checked_receipt,
    retrying,
)

NDJSON = {"content-type": "application/x-ndjson"}
TIMEOUT = httpx.Timeout(10.0, read=600.0)
"""A record of a few thousand ballots is checked before it is answered: a minute or more on a loaded board."""


class _Sender:
    def __init__(self, server: str, board_key: Verifier | None, retry_for: float) -> None:
        self.base = server.rstrip("/")
        self.report = TransmitReport(board_key=board_key, key_pinned=board_key is not None)
        self.deadline = time.monotonic() + retry_for
        self.client = httpx.Client(timeout=TIMEOUT)
        self._checkpoints: Checkpoints | None = None
        self.lock = threading.Lock()

    def post(self, path: str, body: bytes) -> httpx.Response | None:
        return retrying(lambda: self.client.post(self.base + path, content=body, headers=NDJSON), self.report,
                        self.deadline)  # fmt: skip

    def settle(self, what: str, entry: bytes, status: int, answer: dict[str, object]) -> None:
        """Count one answer: accepted or already on the board with a receipt that checks, or refused."""
        with self.lock:
            self._settle(what, entry, status, answer)

    def _settle(self, what: str, entry: bytes, status: int, answer: dict[str, object]) -> None:
        report = self.report
        if status not in (200, 201):
            error = answer.get("error")
            message = error.get("message") if isinstance(error, dict) else None
            report.refused.append(str(message) if message else f"{what}: HTTP {status}")  # the board names the mesa
            return
        if self._checkpoints is None:
            if report.board_key is None:
                report.board_key = board_key_of(self.client, self.base, report, self.deadline)
            if report.board_key is None:
                report.unsent.append(f"{what}: the board's key could not be read to check its receipt")
                return
            self._checkpoints = Checkpoints(report.board_key, None)
        receipt = checked_receipt(entry.decode("utf-8"), answer, self._checkpoints)
        if isinstance(receipt, str):
            report.refused.append(f"{what}: {receipt}")
        elif status == 201:
            report.accepted += 1
        else:
            report.duplicates += 1

    def close(self) -> None:
        self.client.close()


def send_records(
    server: str,
    records: Sequence[tuple[str, Path]],
    *,
    board_key: Verifier | None = None,
    retry_for: float = RETRY_FOR,
    on_progress: Callable[[], None] | None = None,
    workers: int = 4,
) -> TransmitReport:
    """Send each mesa's record (mesa, file), one request each, `workers` at once: the board checks each
    record in a thread of its own, and a board of several processes on all of them."""
    sender = _Sender(server, board_key, retry_for)

    def send(station: str, path: Path) -> None:
        payload = path.read_bytes()
        response = sender.post("/v1/ballots", payload)
        if response is None:
            with sender.lock:
                sender.report.unsent.append(f"mesa {station}: the server could not be reached")
        else:
            sender.settle(f"mesa {station}", _last_part(payload), response.status_code, answer_json(response))
        if on_progress:
            on_progress()

    try:
        with ThreadPoolExecutor(workers) as pool:
            for done in [pool.submit(send, station, path) for station, path in records]:
                done.result()
    finally:
        sender.close()
    return sender.report


def send_shares(
    server: str,
    lines: Iterable[str],
    *,
    board_key: Verifier | None = None,
    retry_for: float = RETRY_FOR,
    on_progress: Callable[[], None] | None = None,
) -> TransmitReport:
    """Send a trustee's shares file (its lines: a header, then one per mesa) in requests of at most
    MAX_SHARES_BYTES, each mesa's answer counted apart."""
    sender = _Sender(server, board_key, retry_for)
    stream = iter(lines)
    header = next(stream, "")
    if not header.endswith("\n"):
        raise InputError("a trustee's shares file starts with its header line")
    try:
        chunk: list[str] = []
        size = len(header)
        for line in stream:
            if chunk and size + len(line) > MAX_SHARES_BYTES:
                _send_chunk(sender, header, chunk, on_progress)
                chunk, size = [], len(header)
            chunk.append(line if line.endswith("\n") else line + "\n")
            size += len(line) + 1
        if chunk:
            _send_chunk(sender, header, chunk, on_progress)
    finally:
        sender.close()
    return sender.report


def _send_chunk(sender: _Sender, header: str, chunk: list[str], on_progress: Callable[[], None] | None) -> None:
    response = sender.post("/v1/shares", (header + "".join(chunk)).encode())
    stations = [_station(line) for line in chunk]
    if response is None:
        sender.report.unsent += [f"mesa {s}: the server could not be reached" for s in stations]
        return
    results = answer_json(response).get("results")
    if not isinstance(results, list) or len(results) != len(chunk):
        error = answer_json(response).get("error")
        message = error.get("message") if isinstance(error, dict) else f"HTTP {response.status_code}"
        sender.report.refused += [f"mesa {s}: {message}" for s in stations]
        return
    for station, line, result in zip(stations, chunk, results, strict=True):
        answer = result if isinstance(result, dict) else {}
        status = answer.get("http_status")
        sender.settle(f"mesa {station}", (header + line).encode(), status if isinstance(status, int) else 0, answer)
        if on_progress:
            on_progress()


def _station(line: str) -> str:
    try:
        station = json.loads(line).get("station")
    except (ValueError, AttributeError, RecursionError):
        return "?"
    return station[:64] if isinstance(station, str) else "?"


def _last_part(payload: bytes) -> bytes:
    """The entry a record's receipt proves: its last part, as the board splits it; the record itself when it
    cannot be read (the board refuses it then, and no receipt is checked)."""
    try:
        record = MesaRecord.from_lines(payload.decode("utf-8").splitlines(keepends=True))
    except (ActasError, UnicodeDecodeError):
        return payload
    return part_bytes(record.split(PART_BYTES)[-1])
