"""The map of who leads where, drawn from the shapes the definition names: a simulated country of four
regions, every acta on an official board. The server's national page sends each region's outline already
filled with its leader's colour (no script needed), linked to its page and said in words; in Chromium at
360 px the map fits the screen, axe finds nothing, the script keeps the fills the server computed, and a
region is one tap from its page."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest

from actas.files import load_election
from actas.server.process import RunningServer, start_server
from tests.conftest import simulated_day, wait_for
from tests.web.conftest import Day, publish
from tests.web.test_accessibility import violations
from tests.web.test_browser import browser  # noqa: F401  (a fixture)
from tests.web.test_phone import WIDER_THAN_SCREEN

STATIONS, SEED = 1700, 5
"""Four regions in the synthetic preset."""
PATH = re.compile(
    r'<a href="(?P<href>[^"]+)" aria-label="(?P<label>[^"]+)"><path data-code="(?P<code>[^"]+)" d="(?P<d>[^"]+)" '
    r'fill="(?P<fill>#[0-9a-f]{6})"><title>(?P<title>[^<]+)</title></path></a>'
)


@pytest.fixture(scope="module")
def country(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, Path]]:
    root = tmp_path_factory.mktemp("country")
    simulated_day(root, STATIONS, SEED)
    day = Day(root, root / "e", root / "d" / "registry.note", root / "witnesses.txt", {})
    server = start_server(day.election, day.registry, f"sqlite:///{root / 'b.sqlite'}", root / "b.key")
    publish(server, day.payloads())
    wait_for(lambda: httpx.get(server.url + "/v1/results").json().get("stations", {}).get("reported") == STATIONS)
    yield server, day.election
    server.stop()


def leaders(server: RunningServer) -> dict[str, tuple[str, int, int]]:
    """Each region's leader from the API, computed here: (candidate id, votes, valid votes)."""
    found = {}
    for child in httpx.get(server.url + "/v1/results").json()["children"]:
        contest = child["contests"][0]
        ranked = sorted(contest["candidates"].items(), key=lambda pair: -pair[1])
        found[child["code"]] = (ranked[0][0], ranked[0][1], contest["valid"])
    return found


def test_the_national_page_sends_each_region_filled_with_its_leaders_colour(
    country: tuple[RunningServer, Path],
) -> None:
    server, election_dir = country
    election = load_election(election_dir)
    html = httpx.get(server.url + "/", headers={"accept-language": "en"}).text
    drawn = {m["code"]: m for m in PATH.finditer(html)}
    regions = [u for u in election.units if u.level == "region"]
    assert sorted(drawn) == sorted(u.code for u in regions) and len(regions) == 4
    colors = json.loads(unescape(re.search(r'id="initial"[^>]*>(.*?)</script>', html, re.S)[1]))["colors"]
    names = {c.id: c.name for c in election.contests[0].candidates}
    for region in regions:
        shape, (leader, votes, valid) = drawn[region.code], leaders(server)[region.code]
        assert shape["fill"] == colors[leader]
        assert shape["href"] == f"/results/{region.code}"
        assert shape["title"] == shape["label"] == f"{region.name}: {names[leader]} {100 * votes / valid:.2f}%"
        assert shape["d"].startswith("M") and shape["d"].endswith("z")
    assert html.count('class="swatch"') == len(names) + 1  # every candidate, and "no acta counted"
    below = httpx.get(f"{server.url}/results/{regions[0].code}").text
    assert 'id="choropleth"' not in below  # the map is of the first level, on the national page


def test_on_a_phone_the_map_fits_is_accessible_keeps_its_fills_and_leads_to_a_region(
    country: tuple[RunningServer, Path],
    browser: Any,  # noqa: F811
) -> None:
    server, _ = country
    context = browser.new_context(viewport={"width": 360, "height": 780}, bypass_csp=True)  # for axe
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server.url + "/?lang=es_VE")
    page.wait_for_selector("#tile-map .tile")
    sent = {m["code"]: [m["fill"], m["title"]] for m in PATH.finditer(httpx.get(server.url + "/?lang=es_VE").text)}
    shown = page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('#choropleth path')]"
        ".map(p => [p.dataset.code, [p.getAttribute('fill'), p.querySelector('title').textContent]]))"
    )
    assert shown == sent  # the script says what the server said, in the same words
    box = page.evaluate("(() => { const r = document.getElementById('choropleth').getBoundingClientRect();"
                        " return [r.width, r.height]; })()")  # fmt: skip
    assert 300 <= box[0] <= 360 and box[1] > 100
    assert page.evaluate(WIDER_THAN_SCREEN) == []
    assert violations(page) == []
    assert all(re.search(r"\d,\d\d\s?%$", title) for _, title in shown.values())  # shares in Spanish: 45,59 %
    code = page.evaluate("document.querySelector('#choropleth path').dataset.code")
    page.click(f'#choropleth path[data-code="{code}"]')
    wait_for(lambda: page.url.endswith(f"/results/{code}"))
    assert page.url.endswith(f"/results/{code}")
    page.wait_for_selector("#children tbody tr")
    context.close()
    assert errors == []
