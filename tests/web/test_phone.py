"""Every page on a phone: at 360 and 390 CSS pixels wide, in English and in Spanish, no page scrolls
sideways and no chart's text is drawn smaller than 12 CSS pixels. Measured in Chromium, after the pages'
scripts have drawn them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from actas.files import load_election
from actas.server.process import RunningServer, start_server
from tests.conftest import run_actas, wait_for
from tests.web.conftest import PIN, Day, RunningKiosk, publish
from tests.web.test_accessibility import violations
from tests.web.test_browser import browser, shot  # noqa: F401  (fixtures)

WIDTHS = (360, 390)
DESKTOP = 1366
"""Where axe also runs, and the docs' screenshots of a desktop are taken."""
LANGUAGES = ("en", "es_VE")
SMALLEST_TEXT = """[...document.querySelectorAll('svg text')]
  .map(t => t.getScreenCTM().a * parseFloat(getComputedStyle(t).fontSize))
  .reduce((a, b) => Math.min(a, b), 99)"""
WIDER_THAN_SCREEN = """[...document.querySelectorAll('body *')]
  .filter(e => e.getClientRects().length && e.getBoundingClientRect().right > window.innerWidth + 0.5
    && !e.closest('.table-wrap, pre, details:not([open])'))
  .map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 5)"""


@pytest.fixture(scope="module")
def boards(web_day: Day, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, RunningServer]]:
    """An official board with every acta of the day and one mesa in conflict, and a witnesses' board
    compared with it, with a report whose hand count differs from its acta and one of an incident."""
    root = tmp_path_factory.mktemp("phone")
    official = start_server(web_day.election, web_day.registry, f"sqlite:///{root / 'b.sqlite'}", root / "b.key")
    observer = start_server(
        web_day.election, web_day.registry, f"sqlite:///{root / 'o.sqlite'}", root / "o.key",
        witnesses=web_day.witnesses, official=official.url,
    )  # fmt: skip
    finals = list(web_day.finals().items())
    (station, signed), (other, _) = finals[0], finals[1]
    publish(official, [*web_day.payloads(), web_day.second_final(station).payload])
    counted = dict(zip(signed.acta.contests[0].options, signed.acta.contests[0].votes, strict=True))
    first = next(iter(counted))
    reports = [
        {"station": station, "acta": signed.payload, "acta_status": "verified", "hand_counted": True,
         "hand": {**counted, first: counted[first] + 3}, "receipts": signed.acta.receipts, "incidents": []},
        {"station": other, "acta": None, "acta_status": "none", "hand_counted": False, "hand": {}, "receipts": None,
         "incidents": [{"kind": "count-not-public", "note": "the door was shut"}]},
    ]  # fmt: skip
    for report in reports:
        answer = httpx.post(
            observer.url + "/v1/witness/reports",
            content=json.dumps({"format": "actas witness report v1", "witness": "W-0001", "photos": [], **report}),
            headers={"authorization": f"Bearer {web_day.tokens['W-0001']}", "content-type": "application/json"},
        )
        assert answer.status_code == 201, answer.text
    wait_for(lambda: httpx.get(observer.url + "/v1/reconciliation").json().get("stations"), timeout=60)
    yield official, observer
    official.stop()
    observer.stop()


def every_page(official: RunningServer, observer: RunningServer, day: Day) -> list[tuple[str, str, str]]:
    """(address, what shows it is drawn, a name) of every page of both boards, at every level."""
    election = load_election(day.election)
    station = next(iter(day.finals()))
    region = election.path(election.station_by_code[station])[0].code
    centre = election.station_by_code[station].unit
    return [
        (f"{official.url}/", "#children tbody tr", "results-national"),
        (f"{official.url}/results/{region}", "#children tbody tr", "results-region"),
        (f"{official.url}/results/{centre}", "#children tbody tr", "results-centre"),
        (f"{official.url}/mesa/{station}", "#mesa-status", "mesa-conflict"),
        (f"{official.url}/mesa/{election.stations[-1].code}", "#mesa-status", "mesa"),
        (f"{official.url}/search?q={election.units[0].name}", "#hits", "search"),
        (f"{official.url}/mesa/nowhere", "h1", "not-found"),
        (f"{observer.url}/coverage", "#coverage", "coverage"),
        (f"{observer.url}/incidents", "#incidents", "incidents"),
        (f"{observer.url}/reconciliation", "h1", "reconciliation"),
        (f"{observer.url}/witness", "#signin-form", "witness-signin"),
        (f"{observer.url}/mesa/{station}", "#mesa-status", "mesa-observer"),
        (f"{observer.url}/results/{centre}", "#children tbody tr", "results-observer"),
    ]


def measure(page: Any, url: str, ready: str, width: int, name: str) -> None:
    if page.url != url:
        page.goto(url)
    page.wait_for_selector(ready)
    wide = page.evaluate(WIDER_THAN_SCREEN)
    assert not wide, (url, width, wide)
    assert page.evaluate("document.documentElement.scrollWidth") <= width, (url, width)
    smallest = page.evaluate(SMALLEST_TEXT)
    assert smallest >= 11.99, (url, width, smallest)
    if width in (360, DESKTOP):
        shot(page, name)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_fits_a_phone_reads_at_12_pixels_and_passes_axe(
    browser: Any,  # noqa: F811
    boards: tuple[RunningServer, RunningServer],
    web_day: Day,
    kiosk_factory: Callable[..., RunningKiosk],
    language: str,
) -> None:
    """At 360 and 390 pixels (and a desktop's 1366 for axe and the docs' screenshots), in each language:
    no sideways scroll, chart text of 12 pixels or more, and no violation axe-core finds."""
    official, observer = boards
    election = load_election(web_day.election)
    pages = [(f"{url}{'&' if '?' in url else '?'}lang={language}", ready, f"{name}-{language}")
             for url, ready, name in every_page(official, observer, web_day)]  # fmt: skip
    if language == "en":  # the kiosk speaks the election's language
        kiosk = kiosk_factory(election.stations[-1].code, None)
        pages += [
            (kiosk.worker_url + "/", "#screen-signin:not([hidden])", "kiosk-signin"),
            (kiosk.worker_url + "/?signed-in", "#screen-console:not([hidden])", "kiosk-console"),
            (kiosk.url + "/", "#screen-ready:not([hidden])", "kiosk-voter"),
        ]
    found: dict[str, list[str]] = {}
    for width in (*WIDTHS, DESKTOP):
        phone = width < DESKTOP
        context = browser.new_context(
            viewport={"width": width, "height": 800},
            is_mobile=phone,
            has_touch=phone,
            bypass_csp=True,  # for axe
        )
        page = context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda exc, seen=problems: seen.append(str(exc)))
        for url, ready, name in pages:
            if url.endswith("?signed-in"):  # the console, once a poll worker has signed in
                page.fill("#signin-pin", PIN)
                page.press("#signin-pin", "Enter")
                url = url.removesuffix("?signed-in")
            measure(page, url, ready, width, f"{'phone' if phone else 'desktop'}-{name}")
            if width != WIDTHS[1]:
                found |= {f"{url} at {width}px": v for v in [violations(page)] if v}
        context.close()
        assert not problems, problems
    assert not found, "\n".join(f"{where}:\n  " + "\n  ".join(lines) for where, lines in found.items())


def test_the_chart_text_check_finds_text_drawn_too_small(
    browser: Any,  # noqa: F811
    boards: tuple[RunningServer, RunningServer],
) -> None:
    """The measurement can fail: the same chart squeezed into a third of its width is caught."""
    official, _ = boards
    page = browser.new_page(viewport={"width": 360, "height": 800})
    page.goto(official.url + "/")
    page.wait_for_selector("#children tbody tr")
    page.set_viewport_size({"width": 1200, "height": 800})  # drawn wide, then shown in a narrow box
    assert wait_for(lambda: page.evaluate("+document.querySelector('#shares-chart svg').getAttribute('width')") > 900)
    page.set_viewport_size({"width": 360, "height": 800})
    page.evaluate("document.querySelector('#shares-chart svg').style.width = '300px'")  # CSSOM: the CSP allows it
    assert page.evaluate(SMALLEST_TEXT) < 12
    page.close()


def test_the_encrypted_ballots_pages_fit_a_phone_in_both_languages_and_pass_axe(
    browser: Any,  # noqa: F811
    web_day: Day,
    kiosk_factory: Callable[..., RunningKiosk],
    tmp_path: Path,
) -> None:
    """A board with encrypted ballots, one challenged and one cast at a kiosk: a voter's ballot page (found,
    and a code that is not one), the mesa's page and the national page, at 360 and 390 pixels and on a
    desktop, in each language."""
    election = load_election(web_day.election)
    station = election.stations[4].code
    made = run_actas("trustees", "ceremony", "--election", web_day.election, "--out", tmp_path / "c",
                     "--trustees", 3, "--quorum", 2)  # fmt: skip
    assert made.code == 0, made.stderr
    ceremony = str(tmp_path / "c" / "ceremony.json")
    with start_server(web_day.election, web_day.registry, f"sqlite:///{tmp_path / 'b.sqlite'}", tmp_path / "b.key",
                      options=["--ceremony", ceremony]) as board:  # fmt: skip
        kiosk = kiosk_factory(
            station, board.url, "vm", "--board-key", board.board_key.to_text(), "--ceremony", ceremony
        )
        worker = kiosk.worker()
        assert worker.post("/session", json={"pin": PIN}).status_code == 200
        assert worker.post("/open", json={"pin": PIN}).status_code == 200
        assert worker.post("/ballot", json={}).status_code == 200
        card = {election.contests[0].id: election.contests[0].options[0].id}
        with kiosk.voter() as voter:
            spoiled = voter.post("/encrypt", json={"choices": card}).json()["code"]
            assert voter.post("/challenge", json={}).status_code == 200
            cast = voter.post("/encrypt", json={"choices": card}).json()["code"]
            assert voter.post("/cast", json={}).status_code == 200
        assert worker.post("/close", json={"pin": PIN}).status_code == 200
        assert wait_for(lambda: httpx.get(f"{board.url}/v1/ballot/{cast[:16]}").is_success)
        pages = [
            (f"{board.url}/ballot/{cast[:16]}", "#ballot-found", "ballot-cast"),
            (f"{board.url}/ballot/{spoiled[:16]}", "#ballot-found", "ballot-challenged"),
            (f"{board.url}/ballot?code=not-a-code", "#ballot-problem", "ballot-problem"),
            (f"{board.url}/mesa/{station}", "#ballots-status", "mesa-ballots"),
            (f"{board.url}/", "#ballots-figure", "results-ballots"),
        ]
        found: dict[str, list[str]] = {}
        for language in LANGUAGES:
            for width in (*WIDTHS, DESKTOP):
                context = browser.new_context(viewport={"width": width, "height": 800}, is_mobile=width < DESKTOP,
                                              has_touch=width < DESKTOP, bypass_csp=True)  # fmt: skip
                page = context.new_page()
                for url, ready, name in pages:
                    shown = f"{url}{'&' if '?' in url else '?'}lang={language}"
                    measure(page, shown, ready, width, f"{'phone' if width < DESKTOP else 'desktop'}-{name}-{language}")
                    if width != WIDTHS[1]:
                        found |= {f"{shown} at {width}px": v for v in [violations(page)] if v}
                context.close()
    assert not found, "\n".join(f"{where}:\n  " + "\n  ".join(lines) for where, lines in found.items())
