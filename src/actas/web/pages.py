"""The server's pages: live results down to the single mesa, a mesa's actas with their proofs, and on an
observer's board its coverage, incidents, reconciliation with the official board and the witness app.

The results pages carry the API's JSON as they were rendered and keep it up to date from the API
(`static/results.js`); a mesa's page is rendered on the server, where its actas are checked against the
key registry and their inclusion proofs against the latest signed checkpoint, and says what was checked.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from actas.acta.check import check_acta
from actas.acta.codec import parse_payload
from actas.acta.qr import qr_codes
from actas.board import OBSERVER, OFFICIAL, Board
from actas.errors import ActasError
from actas.ledger.cosignature import QuorumCheck
from actas.ledger.merkle import leaf_hash, verify_inclusion
from actas.signed_note import SignedNote
from actas.tally.progressive import status_of
from actas.web.rendering import render_text
from actas.web.site import trail
from actas.witness.report import INCIDENTS


def render(template: str, http_status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(render_text(template, **context), status_code=http_status)


def qr_svg(payload: str) -> list[str]:
    """The acta's QR codes as inline SVG images, as printed on its tally sheet."""
    images = []
    for code in qr_codes(payload):
        buffer = io.BytesIO()
        code.save(buffer, kind="svg", scale=3, border=2, xmldecl=False, svgns=True, omitsize=True)
        images.append(base64.b64encode(buffer.getvalue()).decode())
    return images


def pages_router(board: Board, reconciliation: Callable[[], dict[str, Any] | None] | None = None) -> APIRouter:
    """The pages of a board; `reconciliation` is the observer's latest comparison with the official board."""
    election = board.election
    router = APIRouter(include_in_schema=False)
    observer = board.role == OBSERVER
    options = {o.id: o for c in election.contests for o in c.options}
    candidates = {c.id: c.name for contest in election.contests for c in contest.candidates}

    def base(title: str) -> dict[str, Any]:
        return {
            "title": title,
            "election": election,
            "origin": board.origin,
            "observer": observer,
            "reconciles": reconciliation is not None,
            "cosigned": _cosigned(board),
        }

    def not_found(what: str) -> HTMLResponse:
        return render("not_found.html.j2", 404, **base("Not found"), what=what)

    async def results_page(code: str) -> Response:
        try:
            view = await run_in_threadpool(board.results_view, code)
        except KeyError:
            return not_found(f"no unit {code[:64]} in this election")
        announcements = await run_in_threadpool(board.announcement_views) if board.role == OFFICIAL else []
        return render(
            "results.html.j2",
            **base(view.unit.name),
            view=view.json,
            trail=trail(election, code),
            announcements=[{k: v for k, v in a.items() if k != "note"} for a in announcements if a["unit"] == code],
            candidates=candidates,
            levels={level.id: level.name for level in election.levels},
        )

    @router.get("/", response_class=HTMLResponse)
    async def national() -> Response:
        return await results_page("")

    @router.get("/results/{code}", response_class=HTMLResponse)
    async def unit_results(code: str) -> Response:
        return await results_page(code)

    @router.get("/mesa/{station}", response_class=HTMLResponse)
    async def mesa(station: str) -> Response:
        found = election.station_by_code.get(station)
        if found is None:
            return not_found(f"no mesa {station[:64]} in this election")
        context = {
            **base(f"{election.station_label} {station}"),
            "station": found,
            "trail": trail(election, found.unit),
        }
        if observer:
            record = (await run_in_threadpool(board.mesa_view, station)).to_json()
            compared = reconciliation() if reconciliation else None
            differing = next((s for s in (compared or {}).get("stations", []) if s["station"] == station), None)
            return render(
                "mesa_observer.html.j2",
                **context,
                record=record,
                options=options,
                compared=differing,
                official=(compared or {}).get("official"),
            )
        actas = await run_in_threadpool(_checked_actas, board, station)
        rejections = await run_in_threadpool(board.station_rejections, station)
        status = status_of((a["acta"], a["digest"]) for a in actas if "acta" in a)
        return render("mesa.html.j2", **context, actas=actas, status=status, rejections=rejections, options=options)

    if observer:

        @router.get("/coverage", response_class=HTMLResponse)
        async def national_coverage() -> Response:
            return await coverage_page("")

        @router.get("/coverage/{code}", response_class=HTMLResponse)
        async def unit_coverage(code: str) -> Response:
            return await coverage_page(code)

        async def coverage_page(code: str) -> Response:
            try:
                view = board.coverage_view(code)
                results = await run_in_threadpool(board.results_view, code)
            except KeyError:
                return not_found(f"no unit {code[:64]} in this election")
            mesas = board.mesa_statuses([s.code for s in results.unit.stations])
            return render(
                "coverage.html.j2",
                **base(f"Coverage: {view['name']}"),
                view=view,
                mesas=mesas,
                trail=trail(election, code),
            )

        @router.get("/incidents", response_class=HTMLResponse)
        async def incidents() -> Response:
            items = await run_in_threadpool(board.incidents)
            return render("incidents.html.j2", **base("Incidents"), incidents=items)

        @router.get("/reconciliation", response_class=HTMLResponse)
        async def reconciliation_page() -> Response:
            compared = reconciliation() if reconciliation else None
            return render("reconciliation.html.j2", **base("Reconciliation"), compared=compared)

        @router.get("/witness", response_class=HTMLResponse)
        async def witness_app() -> Response:
            contests = [
                {"id": c.id, "name": c.name, "options": [{"id": o.id, "name": o.name} for o in c.options]}
                for c in election.contests
            ]
            return render("witness.html.j2", **base("Witness"), contests=contests, incidents=INCIDENTS)

    return router


def _cosigned(board: Board) -> QuorumCheck | None:
    """Which cosigners signed the latest checkpoint published, checked here (None: a board without them)."""
    published = board.published_checkpoint()
    if published is None or board.publication is None:
        return None
    return board.publication.policy.check(SignedNote.from_text(published.note))


def _checked_actas(board: Board, station: str) -> list[dict[str, Any]]:
    """A station's actas as its page shows them: counts, QR, whether each verifies against the key registry,
    and whether its inclusion proof verifies against the latest checkpoint, checked here: the latest
    published with a quorum of cosignatures on a board with cosigners, refused without it."""
    published = board.published_checkpoint()
    latest = (published.checkpoint, published.note) if published is not None else board.latest_checkpoint()
    cosigned = _cosigned(board)
    shown = []
    for index, kind, data in board.station_actas(station):
        payload = data.decode("utf-8")
        item: dict[str, Any] = {"index": index, "kind": kind, "payload": payload, "qr": qr_svg(payload)}
        try:
            signed = parse_payload(payload)
        except ActasError as exc:  # entries were checked on the way in; say so if one no longer reads
            item["problem"] = str(exc)
            shown.append(item)
            continue
        findings = check_acta(signed, board.registry)
        item.update(
            acta=signed.acta,
            digest=signed.digest,
            signer=signed.note.signatures[0].name,
            findings=[str(f) for f in findings],
        )
        proof = board.proof_json(index, latest).get("inclusion_proof")
        if latest is not None and proof is not None:
            checkpoint = latest[0]
            try:
                verify_inclusion(
                    leaf_hash(data), index, checkpoint.size, [bytes.fromhex(p) for p in proof["proof"]], checkpoint.root
                )
                if cosigned is not None:
                    cosigned.require("the checkpoint")
                item["included"] = {"size": checkpoint.size, "root": base64.b64encode(checkpoint.root).decode()}
            except ActasError as exc:
                item["problem"] = f"its inclusion is not verified: {exc}"
            item["proof"] = proof["proof"]
        shown.append(item)
    return shown
