"""What an official board that publishes encrypted ballots (served with --ceremony, and only then mounted)
takes and answers (docs/e2e.md): each mesa's
record of encrypted ballots, each trustee's shares of the mesas' tallies, the key ceremony's record, a
mesa's records with their proofs, and a ballot found by its confirmation code. Neither a record nor a share
is signed: the proofs are the authentication, and a record goes in only once a final acta on the board,
signed by the mesa's machine, commits to it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from actas.board import Board
from actas.board.ballots import CODE, MAX_MESA_RECORD_BYTES, MAX_SHARES_BYTES, MIN_CODE_DIGITS, FoundBallot
from actas.board.outcome import Refused
from actas.server.answers import answer, status
from actas.server.answers import body as said
from actas.server.responses import error, read_body
from actas.server.routes.common import text_body, unknown_station
from actas.server.state import BoardOf, State

NDJSON = "application/x-ndjson"

router = APIRouter()


@router.post(
    "/v1/ballots",
    status_code=201,
    summary="Publish a mesa's record of encrypted ballots (JSON lines), once its final acta is on the board",
    responses={200: {"description": "the same record again"}, 422: {"description": "a check fails"}},
    openapi_extra=text_body(NDJSON, MAX_MESA_RECORD_BYTES),
)
async def submit_ballots(request: Request, state: State) -> Response:
    body = await _body(request, state, MAX_MESA_RECORD_BYTES)
    if isinstance(body, Response):
        return body
    checked = await run_in_threadpool(state.board.check_record, body)
    if isinstance(checked, Refused):
        return answer(checked)
    return answer(await state.answered(await run_in_threadpool(state.board.publish_record, checked)))


@router.post(
    "/v1/shares",
    summary="Publish a trustee's shares of mesas' tallies (JSON lines), each mesa's taken or refused on its own",
    responses={200: {"description": "one result per mesa, in order, each with its own status"}},
    openapi_extra=text_body(NDJSON, MAX_SHARES_BYTES),
)
async def submit_shares(request: Request, state: State) -> Response:
    body = await _body(request, state, MAX_SHARES_BYTES)
    if isinstance(body, Response):
        return body
    answered = await run_in_threadpool(state.board.publish_shares, body)
    if len(answered) == 1 and answered[0][0] == "":
        return answer(answered[0][1])
    if state.cosigning is not None:
        await state.cosigning.publish()
        outcomes = await run_in_threadpool(state.board.receipts, [o for _, o in answered])
        answered = [(s, o) for (s, _), o in zip(answered, outcomes, strict=True)]
    results = [{"station": station, "http_status": status(o), **said(o)} for station, o in answered]
    return JSONResponse({"results": results})


@router.get("/v1/ceremony", summary="The trustees' key ceremony's record (entry 2), with its inclusion proof")
async def ceremony(board: BoardOf) -> Response:
    desk = board.ballot_desk()
    latest = await run_in_threadpool(board.latest_checkpoint)
    proof = board.proof_json(2, latest)
    return JSONResponse({"index": 2, "record": desk.ceremony_text, "checkpoint": latest[1] if latest else None} | proof)


@router.get(
    "/v1/ballots/{station}",
    summary="The parts of a mesa's records of encrypted ballots and the trustees' shares of its tally, with proofs",
)
async def station_ballots(station: str, board: BoardOf) -> Response:
    refused = unknown_station(board, station)
    if refused is not None:
        return refused
    rows = await run_in_threadpool(board.station_records, station)
    shares = await run_in_threadpool(board.station_shares, station)
    latest = await run_in_threadpool(board.latest_checkpoint)
    items = [
        {"index": index, "record": last, "part": data.decode("utf-8")} | board.proof_json(index, latest)
        for index, last, data in rows
    ]
    given = [
        {"index": index, "trustee": int(trustee), "entry": data.decode("utf-8")} | board.proof_json(index, latest)
        for index, trustee, data in shares
    ]
    encrypted = board.count.encrypted
    verdict = encrypted.verdicts.get(station) if encrypted is not None else None
    return JSONResponse(
        {
            "station": station,
            "state": encrypted.status(station) if encrypted is not None else "",
            "verdict": verdict.to_json() if verdict is not None else None,
            "checkpoint": latest[1] if latest else None,
            "parts": items,
            "shares": given,
        }
    )


@router.get("/v1/ballot/{code}", summary="A ballot found by its confirmation code (16 hexadecimal digits or more)")
async def ballot(code: str, board: BoardOf) -> Response:
    wanted = code.strip().lower()
    if not CODE.fullmatch(wanted):
        return error(400, "malformed", f"a confirmation code is {MIN_CODE_DIGITS} to 64 hexadecimal digits")
    found = await run_in_threadpool(board.find_ballots, wanted)
    if not found:
        return error(404, "not_found", f"no ballot with confirmation code {wanted} on the board")
    if len(found) > 1:
        return error(409, "ambiguous", f"more than one ballot's code starts with {wanted}: give more digits")
    return JSONResponse(await run_in_threadpool(ballot_json, board, found[0]))


def ballot_json(board: Board, found: FoundBallot) -> dict[str, object]:
    """What a voter is shown of their ballot: its mesa and place, cast or challenged (with the choice its
    revealed nonces show), what its mesa's encrypted ballots say, and the inclusion proof of the part of
    the mesa's record that holds it."""
    latest = board.latest_checkpoint()
    encrypted = board.count.encrypted
    station = found.station
    view: dict[str, object] = {
        "code": found.code,
        "station": station,
        "place": found.place,
        "state": "cast" if found.spoiled is None else "spoiled",
        "mesa": encrypted.status(station) if encrypted is not None else "",
        "index": found.index,
        "entry": found.part.decode("utf-8"),
        "checkpoint": latest[1] if latest else None,
    }
    if found.spoiled is not None:
        view["spoiled"] = {"choice": found.spoiled}
    verdict = encrypted.verdicts.get(station) if encrypted is not None else None
    if verdict is not None:
        view["verdict"] = verdict.to_json()
    return view | board.proof_json(found.index, latest)


async def _body(request: Request, state: State, limit: int) -> bytes | Response:
    """JSON lines of at most `limit` bytes, on a board still taking writes (not halted by its cosigners)."""
    body = await read_body(request, limit, NDJSON)
    if not isinstance(body, Response) and state.cosigning is not None:
        state.cosigning.check_running()
    return body
