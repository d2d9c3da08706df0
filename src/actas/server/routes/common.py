"""What the routers share: the page size, the largest index a query may name, how a raw text body is
described in the OpenAPI document, and the answer for a station that is not in the election."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

from actas.board import Board
from actas.server.responses import error

PAGE = 1000
MAX_INDEX = 2**63 - 1
"""The largest index or size a query may name: the databases' 64-bit integers."""


def text_body(media_type: str, limit: int) -> dict[str, Any]:
    """The OpenAPI description of a raw text body (read by the route itself, not by FastAPI)."""
    schema = {"type": "string", "maxLength": limit}
    return {"requestBody": {"required": True, "content": {media_type: {"schema": schema}}}}


def unknown_station(board: Board, station: str) -> Response | None:
    """The 404 for a station that is not in the board's election (None for one that is)."""
    if station in board.election.station_by_code:
        return None
    return error(404, "not_found", f"station {station[:64]} is not in election {board.election.id}")
