"""The HTTP API of the tabulation server (FastAPI), official or observer role. Version 1, described in
/openapi.json.

Writes are signed actas and announcements (the signature is the authentication) on an official
board, witnesses' reports (each witness's token is the authentication) on an observer's board;
everything else is public and read-only. Every error is one JSON shape,
`{"error": {"code": ..., "message": ...}}`, and a 500 never carries internal text.

An acta's way in: `routes/actas.py` reads the request, `state.Ingest` checks it in a worker thread
and commits it with others in one transaction (`board`), and the answer is its receipt.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp

from actas.board import OBSERVER, OFFICIAL, Board
from actas.cosigner.app import cosigner_app
from actas.cosigner.service import CosignerService
from actas.errors import BoardHalted, StillCounting, StorageError
from actas.server.answers import RETRY_LATER, body, status, unstored
from actas.server.cosigning import DEFAULT_PACE, CosignPace
from actas.server.publishing import RESULTS_INTERVAL, Publisher
from actas.server.reconciler import Reconciler
from actas.server.responses import error, json_errors
from actas.server.routes import actas, ballots, board, exports, results, tiles
from actas.server.routes.wrong_board import wrong_board_router
from actas.server.security import Guard
from actas.server.state import Refresher, Served
from actas.server.voters import VoterTable
from actas.shapes import Outlines
from actas.web.assets import static_router
from actas.web.pages import pages_router

GZIP_FROM, GZIP_LEVEL = 500, 6
"""Text answers of 500 bytes or more go gzipped to a browser that accepts it: a page, a script, a JSON or
CSV answer is a third or less of its size on a slow connection. Level 6: most of level 9's saving for
half its time."""
NOT_COMPRESSED = ("application/octet-stream", "application/x-ndjson", "image/png", "image/jpeg", "application/pdf")
"""Not gzipped: the tiles' hashes and bundles (random bytes, and served as files by a CDN in front), the
board's bulk streams (gigabytes a verifier reads once; the tiles are the path for a slow connection), and
files already compressed."""


def create_app(
    held: Board,
    refresh_interval: float = 1.0,
    reconciler: Reconciler | None = None,
    *,
    insecure_http: bool = False,
    pace: CosignPace = DEFAULT_PACE,
    publish: Path | None = None,
    results_every: float = RESULTS_INTERVAL,
    cosigner: CosignerService | None = None,
    voters: Path | None = None,
    outlines: Outlines | None = None,
) -> ASGIApp:
    """The API and the pages of a board, behind the guard every answer passes (`server.security`); an
    observer's board given a `reconciler` compares itself with the official board. Witnesses' tokens are
    refused over plain HTTP from other machines unless `insecure_http`. A board with a cosigner policy
    asks its cosigners after each checkpoint, at the `pace` given (`server.cosigning`).
    With `publish`, each new checkpoint is written there as static tiles (`server.publishing`). An
    observer's board given a `cosigner` also cosigns the official board, at `/cosigner/add-checkpoint`.
    With `voters`, the index of the authority's voters' table (`server.voters`), the pages find a voter's
    mesa by national id. With `outlines`, the first-level units' shapes, the national page draws its map."""
    served = Served.of(held, reconciler, insecure_http, pace)
    refresher = Refresher(held, refresh_interval)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(held.sign_checkpoint)
        await run_in_threadpool(held.latest_checkpoint)
        if served.cosigning is not None:
            with contextlib.suppress(BoardHalted):  # answered to every write from now on
                await served.cosigning.publish()
        tasks = [asyncio.create_task(refresher.run()), asyncio.create_task(served.ingest.run())]
        tasks.append(asyncio.create_task(served.run_cosigning()))
        if publish is not None:
            tasks.append(asyncio.create_task(Publisher(held, publish, refresh_interval, results_every, outlines).run()))
        tasks.append(asyncio.create_task(run_in_threadpool(held.count_board)))  # a restarted server's count
        if reconciler is not None:
            tasks.append(asyncio.create_task(reconciler.run()))
        yield
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await run_in_threadpool(held.record_refusals)
        if reconciler is not None:
            reconciler.close()
        if served.cosigning is not None:
            await served.cosigning.close()

    app = FastAPI(
        title="actas tabulation server",
        version="1",
        description="Signed actas in, a verifiable Merkle-tree bulletin board and progressive results out.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.served = served
    json_errors(app)
    app.add_exception_handler(StorageError, _storage_error)
    app.add_exception_handler(StillCounting, _still_counting)
    app.add_exception_handler(BoardHalted, _halted)
    for router in (board.router, tiles.router, results.router, exports.router):
        app.include_router(router)
    if held.role == OFFICIAL:
        app.include_router(actas.router)
        if held.ballots is not None:
            app.include_router(ballots.router)
        app.include_router(wrong_board_router(OBSERVER))
    else:
        from actas.server.routes import witnesses  # reads photos (NumPy, zxing-cpp): an observer's alone

        app.include_router(witnesses.router)
        app.include_router(wrong_board_router(OFFICIAL))
    table = VoterTable(voters) if voters is not None else None
    reconciliation = (lambda: reconciler.latest) if reconciler is not None else None
    app.include_router(pages_router(held, reconciliation, table, outlines))
    app.include_router(static_router())
    if cosigner is not None:
        app.mount("/cosigner", cosigner_app(cosigner), name="cosigner")
    app.add_middleware(
        GZipMiddleware, minimum_size=GZIP_FROM, compresslevel=GZIP_LEVEL, exclude_content_types=NOT_COMPRESSED
    )
    return Guard(app)


async def _storage_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StorageError)
    outcome = unstored(exc)
    return JSONResponse(body(outcome), status_code=status(outcome), headers=RETRY_LATER)


async def _halted(_: Request, exc: Exception) -> Response:
    return error(503, "halted", str(exc))


async def _still_counting(request: Request, exc: Exception) -> Response:
    headers = {"retry-after": "5"}
    if request.url.path.startswith("/v1/"):
        return error(503, "counting", str(exc), headers)
    page = f'<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="5"><p>{html.escape(str(exc))}.'
    return HTMLResponse(page, status_code=503, headers=headers)
