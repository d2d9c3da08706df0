"""How the board's outcomes are said over HTTP: the status code and the JSON body of each. Entries are
answered with their receipt; refusals in the one error shape of `responses`."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from actas.board.outcome import Entered, Entry, Outcome, Reason, Refused
from actas.errors import StorageError

ENTRY_STATUS = {Entry.ACCEPTED: 201, Entry.DUPLICATE: 200, Entry.CONFLICT: 409}
REFUSAL_STATUS = {
    Reason.MALFORMED: 400,
    Reason.TOO_LARGE: 413,
    Reason.INVALID: 422,
    Reason.FORBIDDEN: 403,
    Reason.NOT_ASSIGNED: 403,
    Reason.UNAVAILABLE: 503,
    Reason.INSUFFICIENT_STORAGE: 507,
}
RETRY_LATER = {"retry-after": "30"}


def status(outcome: Outcome) -> int:
    if isinstance(outcome, Entered):
        return ENTRY_STATUS[outcome.entry]
    return REFUSAL_STATUS[outcome.reason]


def body(outcome: Outcome) -> dict[str, Any]:
    if isinstance(outcome, Entered):
        return {"status": outcome.entry.value, **outcome.said}
    return {"error": {"code": outcome.reason.value, "message": outcome.message}}


def answer(outcome: Outcome) -> JSONResponse:
    """The response to one write; one the database could not take says when to send it again."""
    retry = isinstance(outcome, Refused) and outcome.reason in (Reason.UNAVAILABLE, Reason.INSUFFICIENT_STORAGE)
    return JSONResponse(body(outcome), status_code=status(outcome), headers=RETRY_LATER if retry else None)


def unstored(exc: StorageError) -> Refused:
    """A write the database could not take: nothing was recorded."""
    reason = Reason.INSUFFICIENT_STORAGE if exc.full else Reason.UNAVAILABLE
    return Refused(reason, f"{exc}; nothing was recorded: send it again later")
