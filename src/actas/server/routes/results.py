"""The progressive results of any unit, answered from memory once per checkpoint, with an ETag that
names the checkpoint."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from actas.exporters.unit_csv import unit_csv
from actas.server.responses import error
from actas.server.state import BoardOf

router = APIRouter()


@router.get(
    "/v1/results",
    summary="Progressive results of a geography unit (the nation by default)",
    responses={304: {"description": "unchanged since the checkpoint named by If-None-Match"}},
)
async def results(request: Request, board: BoardOf, code: str = "", level: str | None = None) -> Response:
    try:
        view = board.results_view(code)
    except KeyError:
        return error(404, "not_found", f"no unit {code[:64]} in election {board.election.id}")
    if level is not None and view.unit.level != level:
        return error(404, "not_found", f"unit {code[:64]} is at level {view.unit.level}, not {level[:32]}")
    tag = f'"{view.size}"'
    headers = {"etag": tag, "cache-control": "no-cache"}
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers=headers)
    return JSONResponse(view.json, headers=headers)


@router.get(
    "/v1/results.csv",
    summary="A unit's child units (or, at the lowest level, its mesas) as CSV, as its page lists them",
    responses={304: {"description": "unchanged since the checkpoint named by If-None-Match"}},
)
async def results_csv(request: Request, board: BoardOf, code: str = "") -> Response:
    try:
        view = board.results_view(code)
    except KeyError:
        return error(404, "not_found", f"no unit {code[:64]} in election {board.election.id}")
    tag = f'"{view.size}-csv"'
    name = f"{board.election.id}-{code or 'national'}-{view.size}.csv"
    headers = {"etag": tag, "cache-control": "no-cache", "content-disposition": f'attachment; filename="{name}"'}
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers=headers)
    return Response(unit_csv(view.unit), media_type="text/csv; charset=utf-8", headers=headers)
