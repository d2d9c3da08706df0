"""The server's pages: live results down to the single mesa, a mesa's actas with their proofs, and on an
observer's board its coverage, incidents, reconciliation with the official board and the witness app.

The results pages carry the API's JSON as they were rendered and keep it up to date from the API
(`static/results.js`); a mesa's page is rendered on the server, where its actas are checked against the
key registry and their inclusion proofs against the latest signed checkpoint, and says what was checked.
"""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from actas.acta.check import check_acta
from actas.acta.codec import parse_payload
from actas.acta.model import Acta
from actas.acta.qr import qr_codes
from actas.board import OBSERVER, OFFICIAL, Board
from actas.board.ballots import CODE, FoundBallot
from actas.election import BallotOption, Election
from actas.errors import ActasError
from actas.i18n import Language, available, spoken
from actas.ledger.cosignature import QuorumCheck
from actas.ledger.merkle import leaf_hash, verify_inclusion
from actas.server.responses import error
from actas.server.voters import VoterTable
from actas.shapes import Outlines
from actas.signed_note import SignedNote
from actas.tally.progressive import status_of
from actas.web.assets import asset_url
from actas.web.ballots import mesa_ballots
from actas.web.choropleth import choropleth
from actas.web.palette import candidate_colors
from actas.web.rendering import page_json, render_text, script_language, switch
from actas.web.search import MAX_QUERY, Hit, SearchIndex
from actas.web.site import trail
from actas.web.words import words_of_codes
from actas.witness.report import INCIDENTS


def render(template: str, lang: Language, http_status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(render_text(template, lang, **context), status_code=http_status)


LANGUAGE_COOKIE = "lang"


def chosen_language(request: Request, election: Election) -> Language:
    """The language a page is shown in: the one asked for (`?lang=`, then the one remembered from a
    switch), where a catalog has it; the election's own otherwise."""
    for asked in (request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if asked in available():
            return spoken(election, asked)
    return spoken(election)


def remember_language(request: Request, response: Response) -> Response:
    """A switch's choice, kept for the pages that follow (a cookie that says nothing but the language)."""
    asked = request.query_params.get("lang")
    if asked in available():
        response.set_cookie(LANGUAGE_COOKIE, asked, max_age=365 * 86400, samesite="strict")
    return response


def qr_svg(payload: str) -> list[str]:
    """The acta's QR codes as inline SVG images, as printed on its tally sheet."""
    images = []
    for code in qr_codes(payload):
        buffer = io.BytesIO()
        code.save(buffer, kind="svg", scale=3, border=2, xmldecl=False, svgns=True, omitsize=True)
        images.append(base64.b64encode(buffer.getvalue()).decode())
    return images


def pages_router(
    board: Board,
    reconciliation: Callable[[], dict[str, Any] | None] | None = None,
    voters: VoterTable | None = None,
    outlines: Outlines | None = None,
) -> APIRouter:
    """The pages of a board; `reconciliation` is the observer's latest comparison with the official board;
    `voters`, the authority's voters' table, lets the search find a voter's mesa by national id;
    `outlines`, the first-level units' shapes, draw the national page's map."""
    election = board.election
    router = APIRouter(include_in_schema=False)
    observer = board.role == OBSERVER
    options = {o.id: o for c in election.contests for o in c.options}
    candidates = {c.id: c.name for contest in election.contests for c in contest.candidates}
    colors = candidate_colors(election)

    def base(lang: Language, title: str) -> dict[str, Any]:
        return {
            "languages": switch(lang),
            "words": script_language(lang),
            "title": title,
            "has_voters": voters is not None,
            "election": election,
            "origin": board.origin,
            "observer": observer,
            "reconciles": reconciliation is not None,
            "cosigned": _cosigned(board),
        }

    def page(
        request: Request, lang: Language, template: str, title: str, http_status: int = 200, **context: Any
    ) -> Response:
        """A page in the language the request chose (`chosen_language`), that choice kept if it was made."""
        html = render(template, lang, http_status, **base(lang, title), **context)
        return remember_language(request, html)

    def not_found(request: Request, lang: Language, what: str, code: str) -> Response:
        said = lang.gettext("no %(what)s %(code)s in this election") % {"what": what, "code": code[:64]}
        return page(request, lang, "not_found.html.j2", lang.gettext("Not found"), 404, what=said)

    async def results_page(request: Request, code: str) -> Response:
        lang = chosen_language(request, election)
        try:
            view = await run_in_threadpool(board.results_view, code)
        except KeyError:
            return not_found(request, lang, lang.gettext("unit"), code)
        announcements = await run_in_threadpool(board.announcement_views) if board.role == OFFICIAL else []
        return page(
            request,
            lang,
            "results.html.j2",
            view.unit.name,
            view=view.json,
            trail=trail(election, code),
            announcements=[
                {**{k: v for k, v in a.items() if k != "note"}, "issued_shown": lang.moment_of(a["issued"])}
                for a in announcements
                if a["unit"] == code
            ],
            candidates=candidates,
            colors=colors,
            choropleth=choropleth(outlines, election, view.unit.children, colors, lang, unit_href)
            if outlines is not None and not code
            else None,
            statuses=words_of_codes(lang),
            levels={level.id: level.name for level in election.levels},
        )

    def unit_href(unit: str) -> str:
        return f"/results/{unit}"  # a unit's code is letters, digits, '.', '_' and '-' (`election.TOKEN_RE`)

    @router.get("/", response_class=HTMLResponse)
    async def national(request: Request) -> Response:
        return await results_page(request, "")

    @router.get("/results/{code}", response_class=HTMLResponse)
    async def unit_results(request: Request, code: str) -> Response:
        return await results_page(request, code)

    index = SearchIndex(election)

    def voter_hit(query: str) -> Hit | None:
        """The mesa of the voter whose national id the query is, when this board has the voters' table."""
        station = voters.station_of(query) if voters is not None else None
        if station is None:
            return None
        found = election.station_by_code[station]
        within = election.unit_by_code[found.unit].name
        return Hit("voter", station, f"{election.station_label} {station}", within)

    @router.get("/search", response_class=HTMLResponse)
    async def search(request: Request, q: str = "") -> Response:
        query = q[:MAX_QUERY]
        voter = await run_in_threadpool(voter_hit, query)
        hits = ([voter] if voter is not None else []) + index.find(query)
        lang = chosen_language(request, election)
        return page(request, lang, "search.html.j2", lang.gettext("Search"), query=query, hits=hits)

    if voters is not None:

        @router.get("/v1/voters/{national_id}", include_in_schema=True, summary="Where a voter votes, by national id")
        async def voter(national_id: str) -> Response:
            hit = await run_in_threadpool(voter_hit, national_id[:MAX_QUERY])
            if hit is None:
                return error(404, "not_found", "no voter of that id in the voters' table")
            trail_to = trail(election, election.station_by_code[hit.code].unit)
            return JSONResponse({"station": hit.code, "trail": trail_to}, headers={"cache-control": "no-store"})

    @router.get("/v1/search-index.json", include_in_schema=False)
    async def search_index(request: Request) -> Response:
        tag = f'"{election.fingerprint[:32]}"'
        if request.headers.get("if-none-match") == tag:
            return Response(status_code=304, headers={"etag": tag})
        return Response(
            page_json(index.to_json()),
            media_type="application/json",
            headers={"etag": tag, "cache-control": "public, max-age=3600"},
        )

    @router.get("/mesa/{station}", response_class=HTMLResponse)
    async def mesa(request: Request, station: str) -> Response:
        lang = chosen_language(request, election)
        found = election.station_by_code.get(station)
        if found is None:
            return not_found(request, lang, election.station_label.lower(), station)
        context: dict[str, Any] = {
            "station": found,
            "trail": trail(election, found.unit),
        }
        if observer:
            record = (await run_in_threadpool(board.mesa_view, station)).to_json()
            compared = reconciliation() if reconciliation else None
            differing = next((s for s in (compared or {}).get("stations", []) if s["station"] == station), None)
            return page(
                request,
                lang,
                "mesa_observer.html.j2",
                f"{election.station_label} {station}",
                **context,
                record=record,
                options=options,
                compared=differing,
                official=(compared or {}).get("official"),
            )
        actas = await run_in_threadpool(_checked_actas, board, station)
        rejections = await run_in_threadpool(board.station_rejections, station)
        status = status_of((a["acta"], a["digest"]) for a in actas if "acta" in a)
        finals = [a for a in actas if a["kind"] == "final"]
        for item in finals:
            if "acta" in item:
                item["rows"] = acta_rows(election, item["acta"])
        return page(
            request,
            lang,
            "mesa.html.j2",
            f"{election.station_label} {station}",
            **context,
            finals=finals,
            zeros=[a for a in actas if a["kind"] != "final"],
            differing=differing_counts(election, [a["acta"] for a in finals if "acta" in a]),
            status=status,
            rejections=rejections,
            options=options,
            ballots=await run_in_threadpool(mesa_ballots, board, station),
        )

    if board.ballots is not None:

        @router.get("/ballot", response_class=HTMLResponse)
        async def ballot_form(request: Request, code: str = "") -> Response:
            return await ballot_page(request, code)

        @router.get("/ballot/{code}", response_class=HTMLResponse)
        async def ballot_by_code(request: Request, code: str) -> Response:
            return await ballot_page(request, code)

        async def ballot_page(request: Request, code: str) -> Response:
            """A voter's ballot found by its confirmation code, or why it is not found."""
            lang = chosen_language(request, election)
            wanted = code.strip().lower()[:MAX_QUERY]
            found: list[FoundBallot] = []
            status, problem = 200, ""
            if wanted and not CODE.fullmatch(wanted):
                status, problem = 400, lang.gettext("A confirmation code is 16 to 64 hexadecimal digits (0-9, a-f).")
            elif wanted:
                found = await run_in_threadpool(board.find_ballots, wanted)
                if not found:
                    status, problem = 404, lang.gettext("No ballot with this confirmation code is on the board.")
                elif len(found) > 1:
                    said = lang.gettext("More than one ballot's code starts with these digits: give more of them.")
                    status, problem = 404, said
            ballot = found[0] if len(found) == 1 else None
            mesa = await run_in_threadpool(mesa_ballots, board, ballot.station) if ballot is not None else None
            latest = await run_in_threadpool(board.latest_checkpoint)
            return page(
                request,
                lang,
                "ballot.html.j2",
                lang.gettext("Find your ballot"),
                status,
                code=wanted,
                problem=problem,
                ballot=ballot,
                mesa=mesa,
                choice=_choice_name(options, ballot.spoiled, lang) if ballot is not None and ballot.spoiled else "",
                checkpoint=latest[0] if latest is not None else None,
            )

    if observer:

        @router.get("/coverage", response_class=HTMLResponse)
        async def national_coverage(request: Request) -> Response:
            return await coverage_page(request, "")

        @router.get("/coverage/{code}", response_class=HTMLResponse)
        async def unit_coverage(request: Request, code: str) -> Response:
            return await coverage_page(request, code)

        async def coverage_page(request: Request, code: str) -> Response:
            lang = chosen_language(request, election)
            try:
                view = board.coverage_view(code)
                results = await run_in_threadpool(board.results_view, code)
            except KeyError:
                return not_found(request, lang, lang.gettext("unit"), code)
            mesas = board.mesa_statuses([s.code for s in results.unit.stations])
            return page(
                request,
                lang,
                "coverage.html.j2",
                lang.gettext("Coverage: %(name)s") % {"name": view["name"]},
                view=view,
                mesas=mesas,
                trail=trail(election, code),
            )

        @router.get("/incidents", response_class=HTMLResponse)
        async def incidents(request: Request) -> Response:
            items = await run_in_threadpool(board.incidents)
            lang = chosen_language(request, election)
            return page(request, lang, "incidents.html.j2", lang.gettext("Incidents"), incidents=items)

        @router.get("/reconciliation", response_class=HTMLResponse)
        async def reconciliation_page(request: Request) -> Response:
            compared = reconciliation() if reconciliation else None
            lang = chosen_language(request, election)
            return page(request, lang, "reconciliation.html.j2", lang.gettext("Reconciliation"), compared=compared)

        @router.get("/v1/registry", summary="The key registry this board checks actas against (a signed note)")
        async def registry() -> Response:
            tag = f'"{hashlib.sha256(board.registry_note.encode()).hexdigest()[:32]}"'
            return Response(board.registry_note, media_type="text/plain; charset=utf-8", headers={"etag": tag})

        @router.get("/witness", response_class=HTMLResponse)
        async def witness_app(request: Request) -> Response:
            contests = [
                {"id": c.id, "name": c.name, "options": [{"id": o.id, "name": o.name} for o in c.options]}
                for c in election.contests
            ]
            lang = chosen_language(request, election)
            return page(
                request,
                lang,
                "witness.html.j2",
                lang.gettext("Witness"),
                contests=contests,
                incidents=INCIDENTS,
                words_of_codes=words_of_codes(lang),
                check={
                    "registry": "/v1/registry",
                    "authority": board.registry.authority.to_text(),
                    "ed25519": asset_url("noble-ed25519.js"),
                    "zxingWasm": asset_url("zxing_reader.wasm"),
                },
            )

        @router.get("/witness-sw.js")
        async def witness_service_worker() -> Response:
            files = [asset_url(name) for name in WITNESS_FILES]
            cache_name = "actas-witness-" + hashlib.sha256(" ".join(files).encode()).hexdigest()[:12]
            script = render_text("witness_sw.js.j2", spoken(election), cache_name=cache_name, files=files)
            return Response(script, media_type="application/javascript", headers={"cache-control": "no-cache"})

        @router.get("/witness.webmanifest")
        async def witness_manifest(request: Request) -> Response:
            lang = chosen_language(request, election)
            manifest = {
                "name": lang.gettext("Witness") + " · " + election.name,
                "short_name": lang.gettext("Witness"),
                "lang": lang.tag,
                "start_url": "/witness",
                "scope": "/",
                "display": "standalone",
                "background_color": "#ffffff",
                "theme_color": "#16202a",
                "icons": [{"src": asset_url("icon.svg"), "sizes": "any", "type": "image/svg+xml"}],
            }
            return Response(page_json(manifest), media_type="application/manifest+json")

    return router


WITNESS_FILES = (
    "actas.css", "words.js", "search.js", "zxing-reader.js", "zxing_reader.wasm", "noble-ed25519.js",
    "signed_note.js", "witness_check.js", "witness.js", "icon.svg",
)  # fmt: skip
"""What the witness app needs to open with no network (its service worker keeps them)."""


@dataclass(frozen=True)
class CountRow:
    """A line of an acta's counts as its page shows them: a ballot option's votes, a candidate's subtotal
    over its cards, the null votes, the voters or the registered voters."""

    kind: str
    """option (a card of a candidate with several), subtotal (such a candidate's cards together),
    candidate (a candidate with one card), null, voters or registered."""
    name: str
    votes: int
    key: str
    """What the line counts, the same across a mesa's actas: `contest/option`, `contest/=candidate`..."""


def acta_rows(election: Election, acta: Acta) -> list[CountRow]:
    """An acta's counts, each candidate's cards followed by the candidate's subtotal when it has several."""
    rows: list[CountRow] = []
    contests = {c.id: c for c in election.contests}
    for count in acta.contests:
        votes = dict(zip(count.options, count.votes, strict=True))
        contest = contests.get(count.contest)
        if contest is None:  # an acta of another definition: its counts as it states them
            rows += [CountRow("option", o, n, f"{count.contest}/{o}") for o, n in votes.items()]
        else:
            for candidate in contest.candidates:
                cards = [o for o in contest.options if o.candidate == candidate.id]
                if len(cards) == 1:  # the candidate and its one card on one line
                    card = cards[0]
                    name = f"{candidate.name} ({card.name})"
                    rows.append(CountRow("candidate", name, votes.get(card.id, 0), f"{contest.id}/{card.id}"))
                    continue
                rows += [CountRow("option", o.name, votes.get(o.id, 0), f"{contest.id}/{o.id}") for o in cards]
                total = sum(votes.get(o.id, 0) for o in cards)
                rows.append(CountRow("subtotal", candidate.name, total, f"{contest.id}/={candidate.id}"))
        rows.append(CountRow("null", "", count.null, f"{count.contest}/null"))
    rows += [CountRow("voters", "", acta.voters, "voters"), CountRow("registered", "", acta.registered, "registered")]
    return rows


def differing_counts(election: Election, finals: list[Acta]) -> set[str]:
    """The lines (`CountRow.key`) on which a mesa's final actas disagree: none when it has one."""
    seen: dict[str, set[int]] = {}
    for acta in finals:
        for row in acta_rows(election, acta):
            seen.setdefault(row.key, set()).add(row.votes)
    return {key for key, values in seen.items() if len(values) > 1}


def _choice_name(options: dict[str, BallotOption], choice: str, lang: Language) -> str:
    return options[choice].name if choice in options else lang.gettext("a null vote")


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
