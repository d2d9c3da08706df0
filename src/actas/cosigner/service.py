"""What a cosigner does with an add-checkpoint request, whatever carries it: read it, check the log's
signature, decide against what it last cosigned and keep the new state durably (one atomic step,
`store.cosigner_store`), then answer with its cosignature or the status the spec gives the refusal."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from actas.errors import FormatError
from actas.fields import format_utc_time
from actas.ledger.add_checkpoint import (
    SIZE_CONTENT_TYPE,
    AddCheckpoint,
    Cosigned,
    Refusal,
    Status,
    judge,
    open_request,
)
from actas.ledger.cosignature import Cosigner, with_cosignatures
from actas.signed_note import NoteSignature, Verifier
from actas.store.cosigner_store import CosignerStore

log = logging.getLogger("actas.cosigner")
TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    content_type: str = TEXT


class CosignerService:
    def __init__(
        self,
        cosigner: Cosigner,
        logs: Mapping[str, Verifier],
        store: CosignerStore,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.cosigner = cosigner
        self.logs = dict(logs)
        """Each log it follows: origin, and the key that signs the log's checkpoints."""
        self.store = store
        self.clock = clock

    def add_checkpoint(self, body: bytes) -> Answer:
        try:
            request = AddCheckpoint.from_bytes(body)
        except FormatError as exc:
            return Answer(Status.MALFORMED, f"{exc}\n")
        try:
            checkpoint, note = open_request(request, self.logs)
        except Refusal as refusal:
            return _refused(refusal)
        at = format_utc_time(dt.datetime.now(dt.UTC))
        signature: list[NoteSignature] = []

        def decide(last: Cosigned | None) -> Cosigned:
            judge(request, checkpoint, last)
            signature.append(self.cosigner.cosign(note.text, int(self.clock())))
            kept = with_cosignatures(note, signature).to_text()
            return Cosigned(checkpoint.size, checkpoint.root, kept)

        try:
            self.store.advance(checkpoint.origin, decide, at)
        except Refusal as refusal:
            if refusal.evidence:
                log.warning("log %s: %s", checkpoint.origin, refusal.message)
                self.store.keep_evidence(
                    checkpoint.origin, checkpoint.size, checkpoint.root, note.to_text(), refusal, at
                )
            return _refused(refusal)
        return Answer(Status.COSIGNED, signature[0].to_line())

    def latest(self, origin: str) -> Answer:
        """The latest checkpoint cosigned for a log, with the log's signature and this cosignature."""
        if origin not in self.logs:
            return Answer(Status.UNKNOWN_LOG, f"this cosigner does not follow the log {origin[:80]!r}\n")
        found = self.store.latest(origin)
        if found is None:
            return Answer(404, f"no checkpoint of {origin} cosigned yet\n")
        return Answer(200, found.note)

    def about(self) -> str:
        lines = [
            f"actas cosigner {self.cosigner.key.to_text()}",
            *(f"log {o} {k.to_text()}" for o, k in self.logs.items()),
        ]
        return "\n".join(lines) + "\n"


def _refused(refusal: Refusal) -> Answer:
    if refusal.status is Status.CONFLICT and refusal.known_size is not None:
        return Answer(Status.CONFLICT, f"{refusal.known_size}\n", SIZE_CONTENT_TYPE)
    return Answer(refusal.status, f"{refusal.message}\n")
