"""The HTTP API of the tabulation server (FastAPI), official or observer role. Version 1, described in
/openapi.json.

Writes are signed actas and announcements (the signature is the authentication) on an official
board, witnesses' reports (each witness's token is the authentication) on an observer's board;
everything else is public and read-only. Every error is one JSON shape,
`{"error": {"code": ..., "message": ...}}`, and a 500 never carries internal text.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import html
import json
import math
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from actas.acta.codec import MAX_ACTA_BYTES, parse_payload
from actas.acta.model import SignedActa
from actas.acta.qr_image import declared_too_large
from actas.announcement import MAX_ANNOUNCEMENT_BYTES
from actas.board import OBSERVER, OFFICIAL, Board, Outcome
from actas.errors import StillCounting, StorageError
from actas.server.exports import Exports
from actas.server.rate_limit import RateLimit
from actas.server.reconciler import Reconciler
from actas.server.responses import error, json_errors, read_body
from actas.server.security import Guard, secrets_allowed
from actas.tally.progressive import status_of
from actas.web.pages import STATIC, pages_router
from actas.witness.read_photo import scan_photo
from actas.witness.report import MAX_REPORT_BYTES
from actas.witness.scan import MAX_PHOTO_BYTES, REJECTED, Scan

PAGE = 1000
MAX_INDEX = 2**63 - 1
"""The largest index or size a query may name: the databases' 64-bit integers."""
MAX_BATCH_ITEMS = 1000
MAX_BATCH_BYTES = 24 * 1024 * 1024
MAX_SCANS = 2
SCAN_WAIT_SECONDS = 10.0
WITNESS_WRITES_PER_MINUTE = 30
WITNESS_BURST = 20


def unstored(exc: StorageError) -> Outcome:
    """The answer to a write the database could not take: 507 when its disk is full, else 503."""
    status, code = (507, "insufficient_storage") if exc.full else (503, "unavailable")
    return Outcome(status, {"error": {"code": code, "message": f"{exc}; nothing was recorded: send it again later"}})


class Refresher:
    """Every write is committed with a checkpoint that covers it. When several processes serve the
    board, each reads the latest checkpoint every interval, so that its results follow the others'."""

    def __init__(self, board: Board, interval: float) -> None:
        self.board = board
        self.interval = interval

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            with contextlib.suppress(StorageError):  # tried again at the next interval
                await run_in_threadpool(self.board.latest_checkpoint)
                await run_in_threadpool(self.board.record_refusals)


class Ingest:
    """Group commit. Each request's actas are checked in a worker thread of their own, so requests are
    checked side by side (Ed25519 verification runs outside the interpreter lock) while a batch commits;
    the valid actas then wait in one queue, and all that are waiting are appended in one transaction,
    covered by one new checkpoint and answered with their receipts."""

    MAX_BATCH = 2000

    def __init__(self, board: Board) -> None:
        self.board = board
        self.queue: asyncio.Queue[tuple[SignedActa, asyncio.Future[Outcome]]] = asyncio.Queue()

    async def submit(self, payloads: list[bytes]) -> list[Outcome]:
        checked = await run_in_threadpool(lambda: [self.board.check(p) for p in payloads])
        answers: list[Outcome | asyncio.Future[Outcome]] = []
        for item in checked:
            if isinstance(item, Outcome):
                answers.append(item)
            else:
                future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
                self.queue.put_nowait((item, future))
                answers.append(future)
        outcomes = [answer if isinstance(answer, Outcome) else await answer for answer in answers]
        return await run_in_threadpool(self.board.receipts, outcomes)

    async def run(self) -> None:
        while True:
            batch = [await self.queue.get()]
            while len(batch) < self.MAX_BATCH and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            try:
                outcomes = await run_in_threadpool(self.board.commit, [signed for signed, _ in batch])
            except StorageError as exc:  # nothing was committed: every acta of the batch is to be sent again
                for _, future in batch:
                    future.set_result(unstored(exc))
                continue
            except Exception as exc:  # nothing was committed: every request of the batch fails with a 500
                for _, future in batch:
                    future.set_exception(exc)
                continue
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                future.set_result(outcome)


def _text_body(media_type: str, limit: int) -> dict[str, Any]:
    """The OpenAPI description of a raw text body (read by the route itself, not by FastAPI)."""
    schema = {"type": "string", "maxLength": limit}
    return {"requestBody": {"required": True, "content": {media_type: {"schema": schema}}}}


def create_app(
    board: Board,
    refresh_interval: float = 1.0,
    reconciler: Reconciler | None = None,
    *,
    insecure_http: bool = False,
) -> ASGIApp:
    """The API and the pages of a board, behind the guard every answer passes (`server.security`); an
    observer's board given a `reconciler` compares itself with the official board. Witnesses' tokens are
    refused over plain HTTP from other machines unless `insecure_http`."""
    refresher = Refresher(board, refresh_interval)
    ingest = Ingest(board)
    exports = Exports(board)
    scanners = asyncio.Semaphore(MAX_SCANS)
    """Photos read at once: each holds up to a few hundred megabytes of pixels and a core."""
    writes = RateLimit(WITNESS_WRITES_PER_MINUTE, WITNESS_BURST)
    """Each witness's reports and scans (in each server process)."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(board.sign_checkpoint)
        await run_in_threadpool(board.latest_checkpoint)
        tasks = [asyncio.create_task(refresher.run()), asyncio.create_task(ingest.run())]
        tasks.append(asyncio.create_task(run_in_threadpool(board.count_board)))  # a restarted server's count
        if reconciler is not None:
            tasks.append(asyncio.create_task(reconciler.run()))
        yield
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await run_in_threadpool(board.record_refusals)
        if reconciler is not None:
            reconciler.close()

    app = FastAPI(
        title="actas tabulation server",
        version="1",
        description="Signed actas in, a verifiable Merkle-tree bulletin board and progressive results out.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )

    json_errors(app)

    @app.exception_handler(StorageError)
    async def _storage_error(_: Request, exc: StorageError) -> Response:
        outcome = unstored(exc)
        return JSONResponse(outcome.body, status_code=outcome.status, headers={"retry-after": "30"})

    @app.exception_handler(StillCounting)
    async def _still_counting(request: Request, exc: StillCounting) -> Response:
        headers = {"retry-after": "5"}
        if request.url.path.startswith("/v1/"):
            return error(503, "counting", str(exc), headers)
        page = (
            f'<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="5"><p>{html.escape(str(exc))}.'
        )
        return HTMLResponse(page, status_code=503, headers=headers)

    @app.post(
        "/v1/actas",
        status_code=201,
        summary="Submit an acta payload exactly as printed (text/plain)",
        responses={200: {"description": "the same acta again"}, 409: {"description": "a different acta"}},
        openapi_extra=_text_body("text/plain", MAX_ACTA_BYTES),
    )
    async def submit_acta(request: Request) -> Response:
        if board.role != OFFICIAL:
            return _wrong_role(OFFICIAL)
        body = await read_body(request, MAX_ACTA_BYTES, "text/plain")
        if isinstance(body, Response):
            return body
        (outcome,) = await ingest.submit([body])
        retry = {"retry-after": "30"} if outcome.status in (503, 507) else None
        return JSONResponse(outcome.body, status_code=outcome.status, headers=retry)

    @app.post(
        "/v1/actas/batch",
        summary='Submit many actas at once (application/x-ndjson: one {"payload": ...} a line), for relays',
        responses={200: {"description": "one result per line, in order, each with its own status"}},
        openapi_extra=_text_body("application/x-ndjson", MAX_BATCH_BYTES),
    )
    async def submit_batch(request: Request) -> Response:
        if board.role != OFFICIAL:
            return _wrong_role(OFFICIAL)
        body = await read_body(request, MAX_BATCH_BYTES, "application/x-ndjson")
        if isinstance(body, Response):
            return body
        lines = [line for line in body.split(b"\n") if line.strip()]
        if len(lines) > MAX_BATCH_ITEMS:
            return error(413, "too_large", f"a batch holds at most {MAX_BATCH_ITEMS} actas")
        payloads: list[bytes | None] = []
        for line in lines:
            try:
                item = json.loads(line)
                payloads.append(item["payload"].encode() if isinstance(item["payload"], str) else None)
            except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
                payloads.append(None)
        outcomes = iter(await ingest.submit([p for p in payloads if p is not None]))
        results = []
        for payload in payloads:
            if payload is None:
                results.append(
                    {"http_status": 400, "error": {"code": "malformed", "message": 'expected {"payload": "..."}'}}
                )
            else:
                outcome = next(outcomes)
                results.append({"http_status": outcome.status, **outcome.body})
        return JSONResponse({"results": results})

    @app.post(
        "/v1/announcements",
        status_code=201,
        summary="Publish an announcement signed by the authority (text/plain signed note)",
        responses={200: {"description": "the same announcement again"}, 403: {"description": "not the authority"}},
        openapi_extra=_text_body("text/plain", MAX_ANNOUNCEMENT_BYTES),
    )
    async def announce(request: Request) -> Response:
        if board.role != OFFICIAL:
            return _wrong_role(OFFICIAL)
        body = await read_body(request, MAX_ANNOUNCEMENT_BYTES, "text/plain")
        if isinstance(body, Response):
            return body
        outcome = await run_in_threadpool(board.announce, body)
        return JSONResponse(outcome.body, status_code=outcome.status)

    @app.get("/v1/announcements", summary="Every announcement on the board, in order: its signed note, and read")
    async def announcement_list() -> Response:
        return JSONResponse({"announcements": await run_in_threadpool(board.announcement_views)})

    @app.get("/v1/progress", summary="Final actas received, minute by minute (UTC)")
    async def progress() -> Response:
        rows = await run_in_threadpool(board.arrivals)
        return JSONResponse({"final_actas_by_minute": rows})

    @app.get("/v1/board/checkpoint", response_class=PlainTextResponse, summary="The latest signed checkpoint")
    async def checkpoint() -> Response:
        latest = await run_in_threadpool(board.latest_checkpoint)
        if latest is None:
            return error(404, "not_found", "no checkpoint has been signed yet")
        return PlainTextResponse(latest[1])

    @app.get("/v1/board/checkpoints", summary="Every signed checkpoint from `start` entries on, at most 1000 a page")
    async def checkpoint_list(start: Annotated[int, Query(ge=0, le=MAX_INDEX)] = 0) -> Response:
        notes = await run_in_threadpool(board.checkpoint_notes, start, PAGE)
        return JSONResponse({"checkpoints": notes})

    @app.get("/v1/board/key", response_class=PlainTextResponse, summary="The key that signs this board's checkpoints")
    async def board_key() -> Response:
        return PlainTextResponse(board.signer.verifier.to_text() + "\n")

    @app.get("/v1/board/entries", summary="Board entries [start, end), at most 1000 a page")
    async def board_entries(
        start: Annotated[int, Query(ge=0, le=MAX_INDEX)] = 0,
        end: Annotated[int | None, Query(ge=0, le=MAX_INDEX)] = None,
    ) -> Response:
        stop = min(end if end is not None else start + PAGE, start + PAGE)
        rows = await run_in_threadpool(lambda: list(board.entries(start, stop)))
        return JSONResponse({"entries": [{"index": i, "kind": k, "data": d.decode("utf-8")} for i, k, d in rows]})

    @app.get("/v1/board/entries.jsonl", summary="The whole board, one entry a line, for mirroring")
    async def board_download() -> Response:
        def lines() -> Iterator[bytes]:
            start = 0
            while True:
                rows = list(board.entries(start, start + PAGE))
                for i, k, d in rows:
                    yield (json.dumps({"index": i, "kind": k, "data": d.decode("utf-8")}) + "\n").encode()
                if len(rows) < PAGE:
                    return
                start += PAGE

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    @app.get("/v1/board/proof/inclusion", summary="Inclusion proof of entry `index` in the tree of `size`")
    async def inclusion(
        index: Annotated[int, Query(ge=0, le=MAX_INDEX)], size: Annotated[int, Query(ge=1, le=MAX_INDEX)]
    ) -> Response:
        found = await run_in_threadpool(board.inclusion, index, size)
        if found is None:
            return error(404, "not_found", f"no entry {index} in a tree of {size} entries on this board")
        leaf, proof = found
        return JSONResponse({"index": index, "size": size, "leaf_hash": leaf.hex(), "proof": [p.hex() for p in proof]})

    @app.get("/v1/board/proof/consistency", summary="Consistency proof between tree sizes `from` and `to`")
    async def consistency(
        first: Annotated[int, Query(alias="from", ge=1, le=MAX_INDEX)],
        second: Annotated[int, Query(alias="to", ge=1, le=MAX_INDEX)],
    ) -> Response:
        proof = await run_in_threadpool(board.consistency, first, second)
        if proof is None:
            return error(404, "not_found", f"no consistency proof from {first} to {second} entries on this board")
        return JSONResponse({"from": first, "to": second, "proof": [p.hex() for p in proof]})

    def _wrong_role(role: str) -> Response:
        if role == OFFICIAL:
            message = "this is an observer organization's board: witnesses send reports to /v1/witness/reports"
        else:
            message = "this is an official board: witnesses send their reports to their organization's board"
        return error(404, "wrong_board", message)

    def _station_refused(station: str, role: str) -> Response | None:
        """Why a station's page cannot be answered on this board, if it cannot."""
        if board.role != role:
            return _wrong_role(role)
        if station not in board.election.station_by_code:
            return error(404, "not_found", f"station {station[:64]} is not in election {board.election.id}")
        return None

    def _writing_witness(request: Request) -> str | Response:
        """The witness whose token the request carries, if they may write now, or the answer that refuses it."""
        witness = _witness(request)
        if isinstance(witness, Response):
            return witness
        wait = writes.wait(witness)
        if wait:
            headers = {"retry-after": str(math.ceil(wait))}
            return error(429, "too_many", f"witness {witness} sends too often: wait {math.ceil(wait)} s", headers)
        return witness

    def _witness(request: Request) -> str | Response:
        """The witness whose token the request carries, or the answer that refuses it."""
        if board.role != OBSERVER:
            return _wrong_role(OBSERVER)
        if not secrets_allowed(request.scope, insecure_http):
            return error(
                403, "insecure", "a witness's token is taken only over HTTPS: use the board's https:// address"
            )
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        witness = board.witness_for(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if witness is None:
            response = error(401, "unauthorized", "send the token your organization gave you: Authorization: Bearer …")
            response.headers["www-authenticate"] = 'Bearer realm="witnesses"'
            return response
        return witness

    @app.post(
        "/v1/witness/reports",
        status_code=201,
        summary="File a witness's report on a mesa (observer role; Authorization: Bearer <witness token>)",
        responses={
            200: {"description": "the same report again"},
            401: {"description": "no token, or not a registered witness's"},
            403: {"description": "the report names another witness"},
            422: {"description": "the report cannot be filed: its acta does not verify, unknown mesa, ..."},
        },
        openapi_extra=_text_body("application/json", MAX_REPORT_BYTES),
    )
    async def submit_report(request: Request) -> Response:
        witness = _writing_witness(request)
        if isinstance(witness, Response):
            return witness
        body = await read_body(request, MAX_REPORT_BYTES, "application/json")
        if isinstance(body, Response):
            return body
        outcome = await run_in_threadpool(board.submit_report, body, witness)
        return JSONResponse(outcome.body, status_code=outcome.status)

    @app.get("/v1/witness/mesas/{station}", summary="A mesa's record on an observer's board, with every report")
    async def mesa_record(station: str) -> Response:
        refused = _station_refused(station, OBSERVER)
        if refused is not None:
            return refused
        return JSONResponse(await run_in_threadpool(board.mesa_view, station))

    @app.get("/v1/witness/me", summary="Who a witness's token names (observer role; Authorization: Bearer <token>)")
    async def witness_me(request: Request) -> Response:
        witness = _witness(request)
        return witness if isinstance(witness, Response) else JSONResponse({"witness": witness})

    @app.post(
        "/v1/witness/scan",
        summary="Read an acta from a photo and check it against the key registry (observer role, a witness's token)",
        responses={
            200: {"description": "the verdict: verified, unsigned or rejected, with the counts read"},
            413: {"description": "rejected: the photo declares more pixels than a photo may have"},
            503: {"description": "every scanner is busy: send it again after Retry-After seconds"},
        },
        openapi_extra=_text_body("image/jpeg", MAX_PHOTO_BYTES),
    )
    async def witness_scan(request: Request) -> Response:
        witness = _writing_witness(request)
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
            await asyncio.wait_for(scanners.acquire(), SCAN_WAIT_SECONDS)
        except TimeoutError:
            return error(503, "busy", "every scanner is busy: send the photo again", {"retry-after": "5"})
        try:
            scan = await run_in_threadpool(scan_photo, body, "photo", board.registry)
        finally:
            scanners.release()
        return JSONResponse(dataclasses.asdict(scan))

    @app.get("/v1/incidents", summary="Every incident in the witnesses' current reports (observer role)")
    async def incident_list() -> Response:
        if board.role != OBSERVER:
            return _wrong_role(OBSERVER)
        return JSONResponse({"incidents": await run_in_threadpool(board.incidents)})

    @app.get("/v1/reconciliation", summary="This observer's board against the official board, mesa by mesa")
    async def reconciliation() -> Response:
        if board.role != OBSERVER:
            return _wrong_role(OBSERVER)
        if reconciler is None:
            return error(404, "not_found", "this board compares itself with no official board (serve --official URL)")
        if reconciler.latest is None:
            return error(503, "not_ready", "the first comparison with the official board is still being made")
        return JSONResponse(reconciler.latest)

    @app.get("/v1/coverage", summary="Witnesses' coverage of a unit and its children (observer role)")
    async def coverage(code: str = "") -> Response:
        if board.role != OBSERVER:
            return _wrong_role(OBSERVER)
        try:
            return JSONResponse(board.coverage_view(code))
        except KeyError:
            return error(404, "not_found", f"no unit {code[:64]} in election {board.election.id}")

    @app.get("/v1/actas/{station}", summary="The actas of a station, with status and inclusion proofs")
    async def station_actas(station: str) -> Response:
        refused = _station_refused(station, OFFICIAL)
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

    @app.get(
        "/v1/results",
        summary="Progressive results of a geography unit (the nation by default)",
        responses={304: {"description": "unchanged since the checkpoint named by If-None-Match"}},
    )
    async def results(request: Request, code: str = "", level: str | None = None) -> Response:
        try:
            view = board.results_view(code)
        except KeyError:
            return error(404, "not_found", f"no unit {code[:64]} in election {board.election.id}")
        if level is not None and view["level"] != level:
            return error(404, "not_found", f"unit {code[:64]} is at level {view['level']}, not {level[:32]}")
        tag = f'"{(view["checkpoint"] or {}).get("size", 0)}"'
        headers = {"etag": tag, "cache-control": "no-cache"}
        if request.headers.get("if-none-match") == tag:
            return Response(status_code=304, headers=headers)
        return JSONResponse(view, headers=headers)

    async def export(kind: str, size: int | None, request: Request) -> Response:
        made = await exports.get(kind, size)
        if made is None:
            return error(404, "not_found", f"no signed checkpoint of {size} entries on this board")
        headers = {"etag": made.etag, "cache-control": "no-cache"}
        if made.filename:
            headers["content-disposition"] = f'attachment; filename="{made.filename}"'
        if request.headers.get("if-none-match") == made.etag:
            return Response(status_code=304, headers=headers)
        return Response(made.body, media_type=made.media_type, headers=headers)

    @app.get(
        "/v1/export/nist.json",
        summary="NIST SP 1500-100 v2 results at a checkpoint (the latest by default)",
        responses={304: {"description": "unchanged since the checkpoint named by If-None-Match"}},
    )
    async def export_nist(request: Request, size: Annotated[int | None, Query(ge=0, le=MAX_INDEX)] = None) -> Response:
        return await export("nist.json", size, request)

    @app.get(
        "/v1/export/mesas.csv",
        summary="One row per station at a checkpoint (the latest by default)",
        responses={304: {"description": "unchanged since the checkpoint named by If-None-Match"}},
    )
    async def export_csv(request: Request, size: Annotated[int | None, Query(ge=0, le=MAX_INDEX)] = None) -> Response:
        return await export("mesas.csv", size, request)

    @app.get("/v1/rejections", summary="Refused submissions: digest, reason and count (never their bytes)")
    async def rejection_list(after: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0) -> Response:
        rows = await run_in_threadpool(board.rejection_list, after, PAGE)
        return JSONResponse({"rejections": rows, "unrecorded": board.rejected_unrecorded})

    app.include_router(pages_router(board, (lambda: reconciler.latest) if reconciler is not None else None))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return Guard(app)
