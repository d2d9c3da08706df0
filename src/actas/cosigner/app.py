"""A cosigner's HTTP interface (Starlette): tlog-witness's `POST /add-checkpoint`, and two reads actas
adds so that anyone can hold a board to what its cosigners saw: `GET /latest/<origin>` (the latest
checkpoint cosigned for a log, with its cosignature) and `GET /` (the cosigner's key and the logs it
follows)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from actas.cosigner.service import Answer, CosignerService
from actas.errors import StorageError
from actas.ledger.add_checkpoint import MAX_REQUEST_BYTES
from actas.server.responses import read_body
from actas.server.security import Guard


def _plain(answer: Answer) -> Response:
    return PlainTextResponse(answer.body, status_code=answer.status, media_type=answer.content_type)


def create_app(service: CosignerService) -> ASGIApp:
    """A cosigner on its own, behind the guard every answer passes."""
    return Guard(cosigner_app(service))


def cosigner_app(service: CosignerService) -> Starlette:
    """The cosigner's routes, to run on their own or mounted in an observer's server (`/cosigner`)."""

    async def add_checkpoint(request: Request) -> Response:
        body = await read_body(request, MAX_REQUEST_BYTES, None)
        if isinstance(body, Response):
            return body
        try:
            return _plain(await run_in_threadpool(service.add_checkpoint, body))
        except StorageError as exc:  # nothing was cosigned nor kept: the board asks again
            return PlainTextResponse(f"{exc}\n", status_code=503, headers={"retry-after": "5"})

    async def latest(request: Request) -> Response:
        return _plain(await run_in_threadpool(service.latest, request.path_params["origin"]))

    async def about(_: Request) -> Response:
        return PlainTextResponse(service.about())

    routes = [
        Route("/add-checkpoint", add_checkpoint, methods=["POST"]),
        Route("/latest/{origin:path}", latest, methods=["GET"]),
        Route("/", about, methods=["GET"]),
    ]
    return Starlette(routes=routes)
