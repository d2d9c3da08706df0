"""The bulletin board itself, on every board: its checkpoints, its key, its entries (a page, or all of
it for mirroring), inclusion and consistency proofs, the announcements on it, its progress over time
and the refusals it recorded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from actas.server.responses import error
from actas.server.routes.common import MAX_INDEX, PAGE
from actas.server.routes.tiles import latest_note
from actas.server.state import BoardOf, State

COSIGNED_HEADER = "actas-cosignatures"
"""On a board with cosigners: the valid cosignatures of the checkpoint served, and the quorum (`2/3`)."""

router = APIRouter()


@router.get(
    "/v1/board/checkpoint",
    response_class=PlainTextResponse,
    summary="The latest checkpoint: signed, and with its cosignatures on a board with cosigners",
)
async def checkpoint(board: BoardOf) -> Response:
    found = await run_in_threadpool(latest_note, board)
    if found is None:
        return error(404, "not_found", "no checkpoint has been published yet")
    note, _, mark = found
    return PlainTextResponse(note, headers={COSIGNED_HEADER: mark} if mark is not None else {})


@router.get("/v1/board/cosigners", summary="The cosigner policy, and which cosigners signed the latest checkpoint")
async def cosigners(state: State) -> Response:
    if state.cosigning is None:
        return JSONResponse({"quorum": 0, "cosigners": []})
    return JSONResponse(await run_in_threadpool(state.cosigning.view))


@router.get("/v1/board/checkpoints", summary="Every signed checkpoint from `start` entries on, at most 1000 a page")
async def checkpoint_list(board: BoardOf, start: Annotated[int, Query(ge=0, le=MAX_INDEX)] = 0) -> Response:
    notes = await run_in_threadpool(board.checkpoint_notes, start, PAGE)
    return JSONResponse({"checkpoints": notes})


@router.get("/v1/board/key", response_class=PlainTextResponse, summary="The key that signs this board's checkpoints")
async def board_key(board: BoardOf) -> Response:
    return PlainTextResponse(board.signer.verifier.to_text() + "\n")


@router.get("/v1/board/entries", summary="Board entries [start, end), at most 1000 a page")
async def board_entries(
    board: BoardOf,
    start: Annotated[int, Query(ge=0, le=MAX_INDEX)] = 0,
    end: Annotated[int | None, Query(ge=0, le=MAX_INDEX)] = None,
) -> Response:
    stop = min(end if end is not None else start + PAGE, start + PAGE)
    rows = await run_in_threadpool(lambda: list(board.entries(start, stop)))
    return JSONResponse({"entries": [{"index": i, "kind": k, "data": d.decode("utf-8")} for i, k, d in rows]})


@router.get("/v1/board/entries.jsonl", summary="The whole board, one entry a line, for mirroring")
async def board_download(board: BoardOf) -> Response:
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


@router.get("/v1/board/proof/inclusion", summary="Inclusion proof of entry `index` in the tree of `size`")
async def inclusion(
    board: BoardOf, index: Annotated[int, Query(ge=0, le=MAX_INDEX)], size: Annotated[int, Query(ge=1, le=MAX_INDEX)]
) -> Response:
    found = await run_in_threadpool(board.inclusion, index, size)
    if found is None:
        return error(404, "not_found", f"no entry {index} in a tree of {size} entries on this board")
    leaf, proof = found
    return JSONResponse({"index": index, "size": size, "leaf_hash": leaf.hex(), "proof": [p.hex() for p in proof]})


@router.get("/v1/board/proof/consistency", summary="Consistency proof between tree sizes `from` and `to`")
async def consistency(
    board: BoardOf,
    first: Annotated[int, Query(alias="from", ge=1, le=MAX_INDEX)],
    second: Annotated[int, Query(alias="to", ge=1, le=MAX_INDEX)],
) -> Response:
    proof = await run_in_threadpool(board.consistency, first, second)
    if proof is None:
        return error(404, "not_found", f"no consistency proof from {first} to {second} entries on this board")
    return JSONResponse({"from": first, "to": second, "proof": [p.hex() for p in proof]})


@router.get("/v1/announcements", summary="Every announcement on the board, in order: its signed note, and read")
async def announcement_list(board: BoardOf) -> Response:
    return JSONResponse({"announcements": await run_in_threadpool(board.announcement_views)})


@router.get("/v1/progress", summary="Final actas received in a unit (the nation by default), minute by minute (UTC)")
async def progress(board: BoardOf, code: str = "") -> Response:
    try:
        rows = await run_in_threadpool(board.arrivals, code)
    except KeyError:
        return error(404, "not_found", f"no unit {code[:64]} in election {board.election.id}")
    return JSONResponse({"final_actas_by_minute": rows})


@router.get("/v1/rejections", summary="Refused submissions: digest, reason and count (never their bytes)")
async def rejection_list(board: BoardOf, after: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0) -> Response:
    rows = await run_in_threadpool(board.rejection_list, after, PAGE)
    return JSONResponse({"rejections": rows, "unrecorded": board.rejected_unrecorded})
