"""The board as static tiles, served by the server itself (C2SP tlog-tiles, `ledger.tiles`): the
checkpoint, every tile and every entry bundle of the latest checkpoint's tree, each immutable (cached
for a year) but the checkpoint. `actas publish` and `actas serve --publish` write the same files
for a static host."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from actas.board import Board
from actas.errors import FormatError
from actas.ledger.tiles import WIDTH, TilePath, bundle_path, encode_bundle, parse_path, tile_bytes
from actas.server.responses import error
from actas.server.state import BoardOf

router = APIRouter()
IMMUTABLE = {"cache-control": "public, max-age=31536000, immutable"}
FRESH = {"cache-control": "no-cache"}


@router.get("/checkpoint", response_class=PlainTextResponse, summary="The latest checkpoint, as tlog-tiles serves it")
async def checkpoint(board: BoardOf) -> Response:
    found = await run_in_threadpool(latest_note, board)
    if found is None:
        return error(404, "not_found", "no checkpoint has been published yet")
    return PlainTextResponse(found[0], headers=FRESH)


@router.get("/board.pub", response_class=PlainTextResponse, summary="The board's key, as a published board has it")
async def board_key(board: BoardOf) -> Response:
    return PlainTextResponse(board.signer.verifier.to_text() + "\n")


@router.get("/tile/{path:path}", summary="A tile or an entry bundle of the latest checkpoint's tree")
async def tile(path: str, board: BoardOf) -> Response:
    try:
        wanted = parse_path(f"tile/{path}")
    except FormatError:
        return error(404, "not_found", "not a tile of this board's layout")
    data = await run_in_threadpool(_tile, board, wanted)
    if data is None:
        return error(404, "not_found", f"{wanted} is not a tile of this board's latest checkpoint")
    return Response(data, media_type="application/octet-stream", headers=IMMUTABLE)


def latest_note(board: Board) -> tuple[str, int, str | None] | None:
    """The note and size of the checkpoint readers are given: the latest published with its cosignatures on
    a board with cosigners (and its mark: valid cosignatures / quorum), the latest signed on one without."""
    published = board.published_checkpoint()
    if published is not None:
        return published.note, published.checkpoint.size, f"{published.cosignatures}/{published.quorum}"
    latest = board.latest_checkpoint()
    return (latest[1], latest[0].size, None) if latest is not None else None


def _tile(board: Board, wanted: TilePath) -> bytes | None:
    """The bytes of a tile of the tree of the latest checkpoint (None outside it, or the wrong bundle kind)."""
    found = latest_note(board)
    size = found[1] if found is not None else 0
    level = wanted.level if isinstance(wanted.level, int) else 0
    span = WIDTH**level
    end = (wanted.index * WIDTH + (wanted.width or WIDTH)) * span
    if end > size:  # a partial tile of a smaller tree is that tree's, the same whenever it is asked
        return None
    tree = board.log.tree_of(end)
    if tree is None:
        return None
    if isinstance(wanted.level, int):
        return tile_bytes(tree, wanted)
    start = wanted.index * WIDTH
    entries = [data for _, _, data in board.entries(start, start + (wanted.width or WIDTH))]
    return encode_bundle(entries) if bundle_path(wanted, entries) == wanted else None
