"""Sending actas to a tabulation server: concurrent, retried with backoff, never sent twice, and every
receipt checked and kept.

The outbox is the source itself (a payload, a bundle, a simulation directory); a log of what the
server acknowledged sits beside it, so a machine that could not reach the server sends the rest
later, and nothing it already delivered goes again. Each acknowledgement is a receipt
(`ledger.receipt`): the checkpoint that covers the acta, signed with the board's key (pinned, or
else read from the server once), and the acta's inclusion proof against it. A receipt that does not
check is a problem reported, not an acknowledgement; the receipts that do are kept in the log,
where `actas verify --receipts LOG` holds the board to them later.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

from actas.errors import ActasError, FormatError
from actas.ledger.checkpoint import Checkpoint, open_checkpoint
from actas.ledger.cosignature import CosignerPolicy
from actas.ledger.receipt import BoardReceipt
from actas.outbox import Outbox
from actas.payload_sources import SourcePayload
from actas.signed_note import SignedNote, Verifier

RETRY_FOR = 600.0
"""Seconds an acta is retried while the server cannot be reached or fails: long enough for a server
to restart on a loaded machine; a machine with a bad link keeps trying that long."""
MAX_DELAY = 5.0
"""The longest wait between two tries."""
ACKNOWLEDGED = (200, 201, 409)
MAX_CHECKPOINTS_HELD = 1024


@dataclass
class TransmitReport:
    accepted: int = 0
    duplicates: int = 0
    conflicts: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    unsent: list[str] = field(default_factory=list)
    skipped: int = 0
    retries: int = 0
    board_key: Verifier | None = None
    """The key every receipt was checked with."""
    key_pinned: bool = False
    """Whether that key was given (pinned), or read from the server itself."""


class Checkpoints:
    """Checkpoints whose signature was checked, by their note: the receipts of one answer share one."""

    def __init__(self, board_key: Verifier, cosigners: CosignerPolicy | None) -> None:
        self.board_key = board_key
        self.cosigners = cosigners
        self._opened: dict[str, Checkpoint] = {}
        self._lock = threading.Lock()

    def open(self, note: str) -> Checkpoint:
        with self._lock:
            found = self._opened.get(note)
        if found is None:
            found = open_checkpoint(note, self.board_key)
            if self.cosigners is not None:
                self.cosigners.check(SignedNote.from_text(note)).require("the receipt's checkpoint")
            with self._lock:
                if len(self._opened) >= MAX_CHECKPOINTS_HELD:
                    self._opened.clear()
                self._opened[note] = found
        return found


def checked_receipt(payload: str, body: dict[str, object], checkpoints: Checkpoints) -> BoardReceipt | str:
    """The server's receipt for `payload`, checked; or why it does not prove the acta is on the board."""
    try:
        receipt = BoardReceipt.from_json(body)
        receipt.check_under(payload.encode(), checkpoints.open(receipt.checkpoint))
    except ActasError as exc:
        return f"the server's receipt does not prove the acta is on its board: {exc}"
    return receipt


def retrying(call: Callable[[], httpx.Response], report: TransmitReport, deadline: float) -> httpx.Response | None:
    """The server's answer, retrying with jittered exponential backoff (capped at MAX_DELAY) while it cannot be
    reached or fails, until `deadline` (time.monotonic()); always tried at least once."""
    delay = 0.2
    while True:
        try:
            response = call()
            if response.status_code < 500:
                return response
        except httpx.HTTPError:
            pass
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        report.retries += 1
        time.sleep(min(left, delay * (0.5 + random.random())))
        delay = min(delay * 2, MAX_DELAY)


def answer_json(response: httpx.Response | None) -> dict[str, object]:
    if response is None:
        return {}
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def board_key_of(client: httpx.Client, base: str, report: TransmitReport, deadline: float) -> Verifier | None:
    """The key the server says signs its checkpoints (None if it cannot be reached or read)."""
    response = retrying(lambda: client.get(base + "/v1/board/key"), report, deadline)
    if response is None or response.status_code != 200:
        return None
    try:
        return Verifier.from_text(response.text.strip()[:1000])
    except ActasError:
        return None


Answer = tuple[SourcePayload, str, str, int | None, dict[str, object]]
"""(item, payload, its SHA-256, HTTP status or None when undelivered, the answer's JSON) of one acta."""


def transmit(
    server: str,
    items: Iterable[SourcePayload],
    outbox: Outbox,
    *,
    workers: int = 8,
    batch: int = 1,
    on_progress: Callable[[], None] | None = None,
    board_key: Verifier | None = None,
    retry_for: float = RETRY_FOR,
    cosigners: CosignerPolicy | None = None,
) -> TransmitReport:
    """Send every payload; with `batch` > 1, that many at a time to the batch endpoint (for relays). Each
    receipt is checked with `board_key`, or with the key the server gives when none is pinned. While the
    server cannot be reached or fails, each request is retried until `retry_for` seconds after the start;
    what is still undelivered then is reported unsent. With `cosigners`, a receipt whose checkpoint lacks
    their quorum of cosignatures does not check."""
    report = TransmitReport(board_key=board_key, key_pinned=board_key is not None)
    deadline = time.monotonic() + retry_for
    base = server.rstrip("/")
    lock = threading.Lock()
    key_lock = threading.Lock()
    opened: list[Checkpoints] = []

    def checkpoints() -> Checkpoints | None:
        """Checkpoints opened with the board's key: pinned, or read from the server the first time it answers."""
        with key_lock:
            if report.board_key is None:
                report.board_key = board_key_of(client, base, report, deadline)
            if report.board_key is not None and not opened:
                opened.append(Checkpoints(report.board_key, cosigners))
            return opened[0] if opened else None

    def settle(answers: list[Answer]) -> None:
        """Check each receipt, log what the server acknowledged with a receipt that checks (durably, before
        counting it), then count every answer. Without the board's key an answer proves nothing yet: the
        acta is sent again later, and the server answers the same acta with its receipt again."""
        acknowledged = [a for a in answers if a[3] in ACKNOWLEDGED]
        opener = checkpoints() if acknowledged else None
        receipts: dict[str, BoardReceipt | str] = {}
        if opener is not None:
            receipts = {digest: checked_receipt(payload, body, opener) for _, payload, digest, _, body in acknowledged}
        logged = []
        for item, _, digest, status, _ in acknowledged:
            receipt = receipts.get(digest)
            if isinstance(receipt, BoardReceipt) and status is not None:
                logged.append((digest, item.origin, status, receipt))
        outbox.record(logged)
        with lock:
            for item, _, digest, status, body in answers:
                receipt = receipts.get(digest)
                if isinstance(receipt, str):
                    report.refused.append(f"{item.origin}: {receipt}")
                elif status is None or (status in ACKNOWLEDGED and receipt is None):
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
            response = retrying(
                lambda: client.post(base + "/v1/actas", content=payload.encode(), headers=headers), report, deadline
            )
            status = response.status_code if response is not None else None
            settle([(item, payload, digest, status, answer_json(response))])
            return
        lines = "".join(json.dumps({"payload": payload}) + "\n" for _, payload, _ in todo).encode()
        headers = {"content-type": "application/x-ndjson"}
        response = retrying(
            lambda: client.post(base + "/v1/actas/batch", content=lines, headers=headers), report, deadline
        )
        results = answer_json(response).get("results") if response is not None and response.status_code == 200 else None
        if not isinstance(results, list) or len(results) != len(todo):
            status = response.status_code if response is not None else None
            settle([(item, payload, digest, status, answer_json(response)) for item, payload, digest in todo])
            return
        answers: list[Answer] = []
        for (item, payload, digest), result in zip(todo, results, strict=True):
            body = result if isinstance(result, dict) else {}
            status = body.get("http_status")
            answers.append((item, payload, digest, status if isinstance(status, int) else 502, body))
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
