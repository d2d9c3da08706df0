"""What an observer organization's board takes from its witnesses, each authenticated by the token the
organization gave them (over HTTPS, and a limited number of writes a minute): reports on mesas and
photos of actas to read; and what it publishes from them: each mesa's record, the incidents, the
coverage and the comparison with the official board."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import math

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from actas.paper.qr_image import declared_too_large
from actas.paper.read_photo import scan_photo
from actas.server.answers import answer
from actas.server.responses import error, read_body
from actas.server.routes.common import text_body, unknown_station
from actas.server.security import secrets_allowed
from actas.server.state import BoardOf, Served, State
from actas.witness.report import MAX_REPORT_BYTES
from actas.witness.scan import MAX_PHOTO_BYTES, REJECTED, Scan

SCAN_WAIT_SECONDS = 10.0

router = APIRouter()


def _witness(request: Request, state: Served) -> str | Response:
    """The witness whose token the request carries, or the answer that refuses it."""
    if not secrets_allowed(request.scope, state.insecure_http):
        return error(403, "insecure", "a witness's token is taken only over HTTPS: use the board's https:// address")
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    witness = state.board.witness_for(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
    if witness is None:
        response = error(401, "unauthorized", "send the token your organization gave you: Authorization: Bearer …")
        response.headers["www-authenticate"] = 'Bearer realm="witnesses"'
        return response
    return witness


def _writing_witness(request: Request, state: Served) -> str | Response:
    """The witness whose token the request carries, if they may write now, or the answer that refuses it."""
    witness = _witness(request, state)
    if isinstance(witness, Response):
        return witness
    wait = state.writes.wait(witness)
    if wait:
        headers = {"retry-after": str(math.ceil(wait))}
        return error(429, "too_many", f"witness {witness} sends too often: wait {math.ceil(wait)} s", headers)
    return witness


@router.post(
    "/v1/witness/reports",
    status_code=201,
    summary="File a witness's report on a mesa (observer role; Authorization: Bearer <witness token>)",
    responses={
        200: {"description": "the same report again"},
        401: {"description": "no token, or not a registered witness's"},
        403: {"description": "the report names another witness"},
        422: {"description": "the report cannot be filed: its acta does not verify, unknown mesa, ..."},
    },
    openapi_extra=text_body("application/json", MAX_REPORT_BYTES),
)
async def submit_report(request: Request, state: State) -> Response:
    witness = _writing_witness(request, state)
    if isinstance(witness, Response):
        return witness
    body = await read_body(request, MAX_REPORT_BYTES, "application/json")
    if isinstance(body, Response):
        return body
    return answer(await run_in_threadpool(state.board.submit_report, body, witness))


@router.get("/v1/witness/mesas/{station}", summary="A mesa's record on an observer's board, with every report")
async def mesa_record(station: str, board: BoardOf) -> Response:
    refused = unknown_station(board, station)
    if refused is not None:
        return refused
    return JSONResponse((await run_in_threadpool(board.mesa_view, station)).to_json())


@router.get("/v1/witness/me", summary="Who a witness's token names (observer role; Authorization: Bearer <token>)")
async def witness_me(request: Request, state: State) -> Response:
    witness = _witness(request, state)
    return witness if isinstance(witness, Response) else JSONResponse({"witness": witness})


@router.post(
    "/v1/witness/scan",
    summary="Read an acta from a photo and check it against the key registry (observer role, a witness's token)",
    responses={
        200: {"description": "the verdict: verified, unsigned or rejected, with the counts read"},
        413: {"description": "rejected: the photo declares more pixels than a photo may have"},
        503: {"description": "every scanner is busy: send it again after Retry-After seconds"},
    },
    openapi_extra=text_body("image/jpeg", MAX_PHOTO_BYTES),
)
async def witness_scan(request: Request, state: State) -> Response:
    witness = _writing_witness(request, state)
    if isinstance(witness, Response):
        return witness
    media = request.headers.get("content-type", "").split(";")[0].strip()
    if not media.startswith("image/"):
        return error(415, "unsupported_media_type", "send the photo itself as image/jpeg, image/png, ...")
    body = await read_body(request, MAX_PHOTO_BYTES, media)
    if isinstance(body, Response):
        return body
    oversized = declared_too_large(body, "the photo")
    if oversized is not None:
        rejected = Scan("photo", hashlib.sha256(body).hexdigest(), REJECTED, oversized)
        return JSONResponse(dataclasses.asdict(rejected), status_code=413)
    try:
        await asyncio.wait_for(state.scanners.acquire(), SCAN_WAIT_SECONDS)
    except TimeoutError:
        return error(503, "busy", "every scanner is busy: send the photo again", {"retry-after": "5"})
    try:
        scan = await run_in_threadpool(scan_photo, body, "photo", state.board.registry)
    finally:
        state.scanners.release()
    return JSONResponse(dataclasses.asdict(scan))


@router.get("/v1/incidents", summary="Every incident in the witnesses' current reports (observer role)")
async def incident_list(board: BoardOf) -> Response:
    return JSONResponse({"incidents": await run_in_threadpool(board.incidents)})


@router.get("/v1/reconciliation", summary="This observer's board against the official board, mesa by mesa")
async def reconciliation(state: State) -> Response:
    if state.reconciler is None:
        return error(404, "not_found", "this board compares itself with no official board (serve --official URL)")
    if state.reconciler.latest is None:
        return error(503, "not_ready", "the first comparison with the official board is still being made")
    return JSONResponse(state.reconciler.latest)


@router.get("/v1/coverage", summary="Witnesses' coverage of a unit and its children (observer role)")
async def coverage(board: BoardOf, code: str = "") -> Response:
    try:
        return JSONResponse(board.coverage_view(code))
    except KeyError:
        return error(404, "not_found", f"no unit {code[:64]} in election {board.election.id}")
