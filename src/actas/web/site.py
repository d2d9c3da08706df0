"""The published results site: one page and its scripts, written beside the board's tiles and results
(`publish`), for any static host or CDN to serve with no server behind it.

The page reads `results/latest.json`, checks in the browser the checkpoint it carries (the board's
signature and a quorum of the cosigners' signatures, against the keys written into the page when it
was published) and the consistency proof from the checkpoint the results were counted at, and shows
the figures of the unit named in its address (`?unit=CODE`) only once they are checked, or says why
it could not check them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from actas.election import Election
from actas.ledger.cosignature import CosignerPolicy
from actas.signed_note import Verifier
from actas.web.rendering import STATIC, render_text

ASSETS: Sequence[Path] = tuple(STATIC / name for name in ("actas.css", "checkpoint.js", "results.js"))
"""The files the page loads, published under static/."""


def trail(election: Election, code: str) -> list[dict[str, str]]:
    """The units from the nation down to `code`, for a breadcrumb."""
    above = election.units_above(code)
    return [{"code": "", "name": election.name}, *({"code": u.code, "name": u.name} for u in above)]


def site_page(election: Election, origin: str, board_key: Verifier, policy: CosignerPolicy | None) -> str:
    """The page, with the keys it checks the board by: the board's, and the cosigner policy's."""
    cosigners = [c.key for c in policy.cosigners] if policy is not None else []
    initial: dict[str, Any] = {
        "view": None,
        "election": election.name,
        "announcements": [],
        "candidates": {c.id: c.name for contest in election.contests for c in contest.candidates},
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
    return render_text(
        "site.html.j2",
        election=election,
        origin=origin,
        board_key=board_key.to_text(),
        cosigners=[key.name for key in cosigners],
        quorum=policy.quorum if policy is not None else 0,
        initial=initial,
        view=None,
        announcements=[],
    )
