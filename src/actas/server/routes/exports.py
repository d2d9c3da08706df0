"""The exports of the results at a checkpoint (NIST SP 1500-100 JSON, one CSV row a mesa), made once
per checkpoint and answered with an ETag."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from actas.server.responses import error
from actas.server.routes.common import MAX_INDEX
from actas.server.state import State

router = APIRouter()
UNCHANGED: dict[int | str, dict[str, Any]] = {
    304: {"description": "unchanged since the checkpoint named by If-None-Match"}
}


async def _export(kind: str, size: int | None, request: Request, state: State) -> Response:
    made = await state.exports.get(kind, size)
    if made is None:
        return error(404, "not_found", f"no signed checkpoint of {size} entries on this board")
    headers = {"etag": made.etag, "cache-control": "no-cache"}
    if made.filename:
        headers["content-disposition"] = f'attachment; filename="{made.filename}"'
    if request.headers.get("if-none-match") == made.etag:
        return Response(status_code=304, headers=headers)
    return Response(made.body, media_type=made.media_type, headers=headers)


@router.get(
    "/v1/export/nist.json",
    summary="NIST SP 1500-100 v2 results at a checkpoint (the latest by default)",
    responses=UNCHANGED,
)
async def export_nist(
    request: Request, state: State, size: Annotated[int | None, Query(ge=0, le=MAX_INDEX)] = None
) -> Response:
    return await _export("nist.json", size, request, state)


@router.get(
    "/v1/export/mesas.csv", summary="One row per station at a checkpoint (the latest by default)", responses=UNCHANGED
)
async def export_csv(
    request: Request, state: State, size: Annotated[int | None, Query(ge=0, le=MAX_INDEX)] = None
) -> Response:
    return await _export("mesas.csv", size, request, state)
