"""The other role's paths, answered on every method with a 404 that says which board takes them: an
official board takes no witness's report, an observer's board no acta from a machine."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from actas.board import OFFICIAL
from actas.server.responses import error

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
OFFICIAL_PATHS = (
    ("/v1/actas", METHODS),
    ("/v1/actas/batch", METHODS),
    ("/v1/actas/{station}", METHODS),
    ("/v1/announcements", ["POST"]),  # read on every board; published only on the official one
)
OBSERVER_PATHS = (
    ("/v1/witness/{rest:path}", METHODS),
    ("/v1/incidents", METHODS),
    ("/v1/reconciliation", METHODS),
    ("/v1/coverage", METHODS),
)


def wrong_board_router(missing_role: str) -> APIRouter:
    """Routes for the paths of `missing_role`, on a board of the other role."""
    if missing_role == OFFICIAL:
        message = "this is an observer organization's board: witnesses send reports to /v1/witness/reports"
        paths = OFFICIAL_PATHS
    else:
        message = "this is an official board: witnesses send their reports to their organization's board"
        paths = OBSERVER_PATHS
    router = APIRouter(include_in_schema=False)

    async def refuse() -> Response:
        return error(404, "wrong_board", message)

    for path, methods in paths:
        router.add_api_route(path, refuse, methods=methods)
    return router
