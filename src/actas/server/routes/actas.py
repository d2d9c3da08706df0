"""What an official board takes from the machines and the authority: signed actas, one at a time or in
batches from a relay, and signed announcements; and each station's actas with their proofs. The
signature is the authentication."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from actas.acta.codec import MAX_ACTA_BYTES, parse_payload
from actas.announcement import MAX_ANNOUNCEMENT_BYTES
from actas.board.outcome import Outcome
from actas.server.answers import answer, status
from actas.server.answers import body as said
from actas.server.responses import error, read_body
from actas.server.routes.common import text_body, unknown_station
from actas.server.state import BoardOf, State
from actas.tally.progressive import status_of

MAX_BATCH_ITEMS = 1000
MAX_BATCH_BYTES = 24 * 1024 * 1024
MALFORMED_LINE = {"http_status": 400, "error": {"code": "malformed", "message": 'expected {"payload": "..."}'}}

router = APIRouter()


@router.post(
    "/v1/actas",
    status_code=201,
    summary="Submit an acta payload exactly as printed (text/plain)",
    responses={200: {"description": "the same acta again"}, 409: {"description": "a different acta"}},
    openapi_extra=text_body("text/plain", MAX_ACTA_BYTES),
)
async def submit_acta(request: Request, state: State) -> Response:
    body = await read_body(request, MAX_ACTA_BYTES, "text/plain")
    if isinstance(body, Response):
        return body
    (outcome,) = await state.ingest.submit([body])
    return answer(outcome)


@router.post(
    "/v1/actas/batch",
    summary='Submit many actas at once (application/x-ndjson: one {"payload": ...} a line), for relays',
    responses={200: {"description": "one result per line, in order, each with its own status"}},
    openapi_extra=text_body("application/x-ndjson", MAX_BATCH_BYTES),
)
async def submit_batch(request: Request, state: State) -> Response:
    body = await read_body(request, MAX_BATCH_BYTES, "application/x-ndjson")
    if isinstance(body, Response):
        return body
    lines = [line for line in body.split(b"\n") if line.strip()]
    if len(lines) > MAX_BATCH_ITEMS:
        return error(413, "too_large", f"a batch holds at most {MAX_BATCH_ITEMS} actas")
    payloads = [_payload(line) for line in lines]
    outcomes = iter(await state.ingest.submit([p for p in payloads if p is not None]))
    results = [MALFORMED_LINE if p is None else _line(next(outcomes)) for p in payloads]
    return JSONResponse({"results": results})


def _payload(line: bytes) -> bytes | None:
    """The payload of one line of a batch, or None when the line is not {"payload": "..."}."""
    try:
        item = json.loads(line)
        return item["payload"].encode() if isinstance(item["payload"], str) else None
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None


def _line(outcome: Outcome) -> dict[str, object]:
    return {"http_status": status(outcome), **said(outcome)}


@router.post(
    "/v1/announcements",
    status_code=201,
    summary="Publish an announcement signed by the authority (text/plain signed note)",
    responses={200: {"description": "the same announcement again"}, 403: {"description": "not the authority"}},
    openapi_extra=text_body("text/plain", MAX_ANNOUNCEMENT_BYTES),
)
async def announce(request: Request, state: State) -> Response:
    body = await read_body(request, MAX_ANNOUNCEMENT_BYTES, "text/plain")
    if isinstance(body, Response):
        return body
    if state.cosigning is not None:
        state.cosigning.check_running()
    return answer(await state.answered(await run_in_threadpool(state.board.announce, body)))


@router.get("/v1/actas/{station}", summary="The actas of a station, with status and inclusion proofs")
async def station_actas(station: str, board: BoardOf) -> Response:
    refused = unknown_station(board, station)
    if refused is not None:
        return refused
    rows = await run_in_threadpool(board.station_actas, station)
    latest = await run_in_threadpool(board.latest_checkpoint)
    status = status_of((signed.acta, signed.digest) for signed in (parse_payload(data) for _, _, data in rows))
    items = [
        {"index": index, "kind": kind, "payload": data.decode("utf-8")} | board.proof_json(index, latest)
        for index, kind, data in rows
    ]
    return JSONResponse(
        {"station": station, "status": status, "checkpoint": latest[1] if latest else None, "actas": items}
    )
