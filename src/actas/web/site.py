"""The published results site: one page and its scripts, written beside the board's tiles and results
(`publish`), for any static host or CDN to serve with no server behind it.

The page reads `results/latest.json`, checks in the browser the checkpoint it carries (the board's
signature and a quorum of the cosigners' signatures, against the keys written into the page when it
was published) and the consistency proof from the checkpoint the results were counted at, and shows
the figures of the unit named in its address (`?unit=CODE`) only once they are checked, or says why
it could not check them."""

from __future__ import annotations

from typing import Any

from actas.election import Election
from actas.i18n import Language, available, spoken
from actas.ledger.cosignature import CosignerPolicy
from actas.publish import PAGE
from actas.shapes import Outlines
from actas.signed_note import Verifier
from actas.web.assets import assets
from actas.web.choropleth import choropleth
from actas.web.palette import candidate_colors
from actas.web.rendering import page_json, render_text, script_language, switch
from actas.web.search import SearchIndex
from actas.web.words import words_of_codes

ASSETS = (
    "actas.css",
    "words.js",
    "search.js",
    "sort.js",
    "signed_note.js",
    "checkpoint.js",
    "results.js",
    "ballot_site.js",
)
"""The files the page loads."""


def site_assets() -> dict[str, bytes]:
    """The files the page loads, as published under static/: by their hashed names, which a host may keep
    for a year (`docs/deployment.md`), and by their plain names."""
    files = assets()
    return {name: files[plain].body for plain in ASSETS for name in (files[plain].hashed, plain)}


SEARCH_INDEX = "search.json"


def trail(election: Election, code: str) -> list[dict[str, str]]:
    """The units from the nation down to `code`, for a breadcrumb."""
    above = election.units_above(code)
    return [{"code": "", "name": election.name}, *({"code": u.code, "name": u.name} for u in above)]


def site_pages(
    election: Election,
    origin: str,
    board_key: Verifier,
    policy: CosignerPolicy | None,
    outlines: Outlines | None = None,
    ballots: bool = False,
) -> dict[str, str]:
    """The page in every language, by file name: `index.html` in the election's own, and `<code>.html`
    in each, with the keys it checks the board by: the board's, and the cosigner policy's; and the index
    its search box loads. With `outlines`, the page draws the map of the first-level units; with
    `ballots`, on a board that publishes encrypted ballots, it finds a voter's ballot (`?ballot=CODE`)."""
    pages = {
        f"{code}.html": site_page(election, origin, board_key, policy, spoken(election, code), outlines, ballots)
        for code in available()
    }
    pages[PAGE] = pages[f"{spoken(election).code}.html"]
    pages[SEARCH_INDEX] = page_json(SearchIndex(election).to_json())
    return pages


def site_page(
    election: Election,
    origin: str,
    board_key: Verifier,
    policy: CosignerPolicy | None,
    lang: Language,
    outlines: Outlines | None = None,
    ballots: bool = False,
) -> str:
    """The page in `lang`; its map unfilled until the script has checked the figures."""
    cosigners = [c.key for c in policy.cosigners] if policy is not None else []
    initial: dict[str, Any] = {
        "view": None,
        "election": election.name,
        "announcements": [],
        "candidates": {c.id: c.name for contest in election.contests for c in contest.candidates},
        "colors": candidate_colors(election),
        "statuses": words_of_codes(lang),
        "label": election.station_label,
        "levels": {level.id: level.name for level in election.levels},
        "published": {
            "latest": "results/latest.json",
            "origin": origin,
            "board_key": board_key.to_text(),
            "quorum": policy.quorum if policy is not None else 0,
            "cosigners": [key.to_text() for key in cosigners],
        },
    }
    if ballots:
        initial["published"]["options"] = {o.id: o.name for o in election.contests[0].options}
    return render_text(
        "site.html.j2",
        lang,
        election=election,
        origin=origin,
        board_key=board_key.to_text(),
        cosigners=[key.name for key in cosigners],
        quorum=policy.quorum if policy is not None else 0,
        initial=initial,
        ballots=ballots,
        view=None,
        announcements=[],
        candidates=initial["candidates"],
        colors=initial["colors"],
        choropleth=choropleth(outlines, election, (), initial["colors"], lang, lambda unit: f"?unit={unit}")
        if outlines is not None
        else None,
        languages=[{**other, "href": f"{other['code']}.html"} for other in switch(lang)],
        words=script_language(lang),
    )
