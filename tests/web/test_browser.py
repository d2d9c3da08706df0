"""The pages in a real Chromium (Debian's, driven by Playwright), under their Content-Security-Policy (no
script of the test's own runs in a page: the tests wait on selectors): the kiosk's whole day, the poll
workers' console on one screen and the voter's by keyboard on another, with the acta arriving on the
live results page, a witness's submission from a photo on a phone screen,
drill-down to a mesa whose QR is read back from the page's pixels, and a conflict shown.

With ACTAS_SCREENSHOTS=DIR each test also saves its pages there (`make screenshots` writes docs/images/web).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image

from actas.acta.codec import parse_payload
from actas.files import load_election
from actas.server.process import RunningServer, start_server
from actas.sim.scenarios import alter_counts
from tests.conftest import run_actas, wait_for
from tests.web.conftest import PIN, Day, RunningKiosk, publish
from tests.web.test_pages import photo_of

CHROMIUM = os.environ.get("ACTAS_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = Path(os.environ["ACTAS_SCREENSHOTS"]) if os.environ.get("ACTAS_SCREENSHOTS") else None
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("no Chromium here: install Debian's chromium (apt-get install chromium) or set ACTAS_CHROMIUM")
    playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright is installed by make (dev extra)")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda exc: problems.append(str(exc)))
    opened.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    yield opened
    context.close()
    assert not problems, problems  # no script on any page threw, and nothing broke the pages' CSP


def shot(page: Any, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def official(web_day: Day, tmp_path: Path) -> Iterator[RunningServer]:
    db = f"sqlite:///{tmp_path / 'board.sqlite'}"
    with start_server(web_day.election, web_day.registry, db, tmp_path / "b.key", refresh_interval=0.3) as running:
        yield running


def opened(browser: Any, kiosk: RunningKiosk) -> Any:
    """The poll workers' console, on a phone of its own, signed in with the PIN and the polls opened."""
    console = browser.new_page(viewport=PHONE)
    console.goto(kiosk.worker_url + "/")
    console.fill("#signin-pin", PIN)
    console.press("#signin-pin", "Enter")
    console.wait_for_selector("#screen-console:not([hidden])")
    console.fill("#open-pin", PIN)
    console.click("#open")
    console.wait_for_selector("#state:text-is('polls open')")
    return console


def test_a_day_at_the_kiosk_by_keyboard_reaches_the_live_results_without_a_reload(
    page: Any, browser: Any, official: RunningServer, web_day: Day, kiosk_factory: Callable[..., RunningKiosk]
) -> None:
    election = load_election(web_day.election)
    station = election.stations[0].code
    others = [p for p in web_day.payloads() if f"\nstation {station}\n" not in p]
    publish(official, others)
    results = browser.new_page(viewport={"width": 1200, "height": 900})
    results.goto(official.url + "/")
    results.wait_for_selector("#reported:text-matches('^23 of 24')")

    kiosk = kiosk_factory(station, official.url)
    console = opened(browser, kiosk)
    page.goto(kiosk.url + "/")
    page.wait_for_selector("#screen-waiting:not([hidden])")
    shot(page, "kiosk-waiting")
    cards = election.contests[0].options
    votes = [(1, cards[1].id), (3, cards[3].id), (0, cards[0].id)]
    for position, _ in votes:
        console.click("#enable")  # the voter was checked in the register
        page.wait_for_selector("#screen-ballot:not([hidden])")
        page.focus(".card >> nth=0")
        for _ in range(position):
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")  # presses the focused card
        if position == 3:
            shot(page, "kiosk-ballot")
        page.keyboard.press("Tab")
        while page.evaluate("document.activeElement.id") != "review":
            page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        page.wait_for_selector("#screen-confirm:not([hidden])")
        assert page.evaluate("document.activeElement.id") == "confirm-h"  # focus follows the screen
        page.focus("#confirm")
        page.keyboard.press("Enter")
        page.wait_for_selector("#screen-cast:not([hidden])")
        assert page.locator("a").count() == 0  # nothing on the screen leads to the receipt
        page.wait_for_selector("#screen-waiting:not([hidden])", timeout=20000)  # the screen forgets the vote
        assert page.locator(".card[aria-checked='true'], #chosen li").count() == 0
    shot(console, "kiosk-console")
    console.click(".close-polls summary")
    console.fill("#close-pin", PIN)
    console.click("#close")
    console.wait_for_selector("#state:text-is('polls closed')")
    page.wait_for_selector("#screen-closed:not([hidden])")
    console.wait_for_selector("#transmission:text-matches('^acknowledged')", timeout=30000)
    shot(page, "kiosk-closed")

    results.wait_for_selector("#reported:text-matches('^24 of 24')", timeout=30000)
    counted = httpx.get(f"{official.url}/v1/actas/{station}").json()
    assert counted["status"] == "reported"
    assert results.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload happened
    results.close()


def test_a_witness_on_a_phone_reports_from_a_photo_and_a_failed_send_is_retried(
    browser: Any, web_day: Day, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'obs.sqlite'}"
    observer = start_server(
        web_day.election, web_day.registry, db, tmp_path / "o.key", refresh_interval=0.3, witnesses=web_day.witnesses
    )
    # without its service worker: this phone's requests go to the network, where the test can cut them
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, service_workers="block")
    phone = context.new_page()
    with observer:
        station, signed = next(iter(web_day.finals().items()))
        photo = tmp_path / "acta.jpg"
        photo.write_bytes(photo_of(signed, web_day.election, seed=8))
        phone.goto(observer.url + "/witness")
        phone.fill("#witness-id", "W-0004")
        phone.fill("#witness-token", "not-the-token")
        phone.click("#signin-form button")
        phone.wait_for_selector("#signin-error:text-matches('.')")
        phone.fill("#witness-token", web_day.tokens["W-0004"])
        phone.click("#signin-form button")
        phone.wait_for_selector("#report:not([hidden])")
        stored = phone.evaluate("[localStorage.getItem('actas.witness'), sessionStorage.getItem('actas.witness')]")
        assert stored[0] is None and web_day.tokens["W-0004"] in stored[1]  # forgotten with the tab unless asked
        # a phone whose browser cannot run the QR reader sends the photo to be read by the server
        phone.route("**/zxing_reader.*.wasm", lambda route: route.abort())
        large = tmp_path / "acta-large.png"  # as a phone's camera keeps it: large, and not a JPEG
        Image.open(photo).resize((3000, 4000)).save(large)
        with phone.expect_response(lambda r: r.url.endswith("/scan"), timeout=120_000) as answered:
            phone.set_input_files("#photo", str(large))
        scan = answered.value.json()
        phone.wait_for_selector("#scan-result:not([hidden])")
        # what went up is the phone's smaller JPEG of it, and it still reads
        assert scan["photo_sha256"] != hashlib.sha256(large.read_bytes()).hexdigest()
        assert 0 < scan["photo_bytes"] < large.stat().st_size / 5
        assert phone.text_content("#scan-verdict") == "verified"
        assert phone.input_value("#station") == station
        shown = [int(n.replace(",", "")) for n in phone.locator("#scan-counts td").all_text_contents()]
        assert sum(shown) == signed.acta.voters
        phone.check("#hand-counted")
        counted = dict(zip(signed.acta.contests[0].options, signed.acta.contests[0].votes, strict=True))
        first = next(iter(counted))
        phone.fill(f".hand[data-option='{first}']", str(counted[first] + 2))  # a miscount, marked before sending
        phone.wait_for_selector(f"label.differs:has(.hand[data-option='{first}'])")
        assert "+2" in phone.text_content(f"label:has(.hand[data-option='{first}']) .difference")
        assert phone.text_content("#hand-summary").startswith("The hand count differs from the acta on 1 line")
        for option, votes in counted.items():
            phone.fill(f".hand[data-option='{option}']", str(votes))
        assert phone.locator("label.differs").count() == 0 and phone.text_content("#hand-summary") == ""
        phone.fill("#receipts", str(sum(counted.values())))
        phone.check(".incident[value='count-not-public']")
        phone.fill("#incident-note", "the count started behind a closed door")
        wide = phone.evaluate(
            f"[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > {PHONE['width']})"
            ".map(e => e.tagName + '#' + e.id + '.' + e.className)"
        )
        assert not wide  # nothing is wider than the phone's screen
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shot(phone, "witness-app")

        phone.route("**/v1/witness/reports", lambda route: route.abort("internetdisconnected"))
        phone.click("#report-form button[type=submit]")
        phone.wait_for_selector("#sent-list li.waiting")
        assert httpx.get(f"{observer.url}/v1/witness/mesas/{station}").json()["status"] == "missing"
        phone.unroute("**/v1/witness/reports")
        phone.wait_for_selector("#sent-list li.sent", timeout=30000)
        assert "accepted" in phone.text_content("#sent-list li.sent")
        shot(phone, "witness-sent")
    record = None
    context.close()
    with start_server(
        web_day.election, web_day.registry, db, tmp_path / "o.key", witnesses=web_day.witnesses
    ) as again:  # the report was durably filed: a restarted server still has it
        record = httpx.get(f"{again.url}/v1/witness/mesas/{station}").json()
    assert record["status"] == "complete" and record["incidents"] is True
    report = record["reports"][0]["report"]
    assert report["hand"] == counted and report["incidents"][0]["kind"] == "count-not-public"
    assert report["acta"] == signed.payload and re.fullmatch(r"[0-9a-f]{64}", report["photos"][0])


def test_drill_down_to_a_mesa_whose_qr_reads_back_from_the_page(
    page: Any, official: RunningServer, web_day: Day
) -> None:
    publish(official, web_day.payloads())
    page.goto(official.url + "/")
    page.wait_for_selector("#children a")
    page.wait_for_selector(".live.on")  # green once the script runs and polls
    assert (
        page.text_content("#headline") == httpx.get(official.url + "/v1/results").json()["headline"]["sentences"]["en"]
    )
    shot(page, "results-national")
    # the map: a square per first-level unit, linked, saying in text who leads it and by what share
    nation = httpx.get(official.url + "/v1/results").json()
    tiles = page.locator("#tile-map a.tile")
    assert tiles.count() == len(nation["children"])
    names = {c["name"] for c in nation["contests"][0]["candidates"]}
    assert all(any(n in t for n in names) and "%" in t for t in tiles.all_text_contents())
    # the table sorts by any column, and says which way
    page.click("#children thead th:nth-child(4) button")  # turnout, highest first
    assert page.get_attribute("#children thead th:nth-child(4)", "aria-sort") == "descending"
    shares = [
        float(c.replace("%", "").replace(",", ""))
        for c in page.locator("#children tbody td:nth-child(4)").all_text_contents()
    ]
    assert shares == sorted(shares, reverse=True)
    page.click("#children thead th:nth-child(4) button")
    assert page.get_attribute("#children thead th:nth-child(4)", "aria-sort") == "ascending"
    while page.locator("#children a[href^='/results/']").count():
        page.click("#children a[href^='/results/'] >> nth=0")
        page.wait_for_selector("#children a")
    shot(page, "results-unit")
    # the lowest level charts and lists its mesas with their own votes, not "nothing counted here"
    assert page.locator("#shares-chart svg rect").count() > 0 and "No actas counted" not in page.text_content("main")
    first_row = page.locator("#children tbody tr >> nth=0")
    station = first_row.locator("th a").text_content()
    signed = web_day.finals()[station].acta
    cells = [c.strip() for c in first_row.locator("td").all_text_contents()]
    assert cells[0] == "reported" and cells[2] == f"{signed.voters:,}"
    assert sum(int(c.replace(",", "")) for c in cells[4:]) == sum(signed.contests[0].votes)
    station = page.text_content("#children a[href^='/mesa/'] >> nth=0")
    page.click("#children a[href^='/mesa/'] >> nth=0")
    page.wait_for_selector("#mesa-status")
    assert page.text_content("#mesa-status") == "reported"
    assert page.locator(".signature.valid").count() == 2
    shot(page, "mesa")
    image = Image.open(io.BytesIO(page.locator("article[data-kind='final'] .qr").screenshot()))
    texts = sorted(r.text for r in zxingcpp.read_barcodes(image))
    final = web_day.finals()[station].payload
    assert texts and (texts == [final] or all(t.startswith("actas-qr ") for t in texts))
    from actas.acta.qr import join_parts

    assert join_parts(texts) == [final]


def test_a_conflict_is_shown_on_the_mesa_and_in_the_totals(page: Any, official: RunningServer, web_day: Day) -> None:
    publish(official, web_day.payloads())
    station = next(iter(web_day.finals()))
    publish(official, [web_day.second_final(station).payload])
    page.goto(official.url + "/")
    page.wait_for_selector("#conflicts:text-is('1')")
    assert "alarm" in (page.get_attribute("#conflicts-figure", "class") or "")
    page.click(f"#conflict-links a:text-is('{station}')")  # the conflict links to its mesa
    page.wait_for_selector("#mesa-status")
    assert page.text_content("#mesa-status") == "conflict"
    assert page.locator("article[data-kind='final']").count() == 2
    shot(page, "mesa-conflict")


def test_the_witness_app_installs_and_opens_with_no_network_once_visited(
    browser: Any, web_day: Day, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'obs.sqlite'}"
    with start_server(
        web_day.election, web_day.registry, db, tmp_path / "o.key", witnesses=web_day.witnesses
    ) as observer:
        manifest = httpx.get(observer.url + "/witness.webmanifest").json()
        assert manifest["start_url"] == "/witness" and manifest["display"] == "standalone"
        assert httpx.get(observer.url + manifest["icons"][0]["src"]).status_code == 200
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        phone = context.new_page()
        # enrolment by the link on the witness's card: nothing to type, and the token leaves the address bar
        token = web_day.tokens["W-0003"]
        phone.goto(f"{observer.url}/witness#witness=W-0003&token={token}")
        phone.wait_for_selector("#report:not([hidden])")
        assert phone.text_content("#signed-in-as") == "W-0003" and token not in phone.url
        phone.evaluate("navigator.serviceWorker.ready.then(() => true)")
        phone.reload()  # now under the service worker's control
        assert wait_for(lambda: phone.evaluate("navigator.serviceWorker.controller !== null"))
        context.set_offline(True)
        phone.reload()
        phone.wait_for_selector("#report:not([hidden])")  # the app, from what the phone kept
        # the acta in hand, read and checked in the phone with no network: and an altered one refused
        station, signed = next(iter(web_day.finals().items()))
        for name, acta, verdict, said in (
            ("acta.jpg", signed, "verified", "(checked in this phone)"),
            ("altered.jpg", parse_payload(alter_counts(signed.payload)), "rejected", "signature does not match"),
        ):
            photo = tmp_path / name
            photo.write_bytes(photo_of(acta, web_day.election, seed=3))
            phone.set_input_files("#photo", str(photo))
            phone.wait_for_selector(f"#scan-verdict.{verdict}", timeout=30000)
            assert said in phone.text_content("#scan-reason"), phone.text_content("#scan-reason")
        assert phone.input_value("#station") == station
        phone.fill("#station", election_station(web_day))
        phone.click("#report-form button[type=submit]")
        phone.wait_for_selector("#sent-list li.waiting")  # kept until the network returns
        context.set_offline(False)
        phone.wait_for_selector("#sent-list li.sent", timeout=30000)
        context.close()


def election_station(day: Day) -> str:
    return load_election(day.election).stations[2].code


def test_a_voter_sees_the_code_challenges_and_casts_at_a_kiosk_that_encrypts(
    page: Any, browser: Any, web_day: Day, kiosk_factory: Callable[..., RunningKiosk], tmp_path: Path
) -> None:
    election = load_election(web_day.election)
    made = run_actas("trustees", "ceremony", "--election", web_day.election, "--out", tmp_path / "c",
                     "--trustees", 3, "--quorum", 2)  # fmt: skip
    assert made.code == 0, made.stderr
    kiosk = kiosk_factory(election.stations[2].code, None, "vm", "--ceremony", str(tmp_path / "c" / "ceremony.json"))
    console = opened(browser, kiosk)
    page.goto(kiosk.url + "/")
    console.click("#enable")
    cards = election.contests[0].options
    for position, then in ((1, "#challenge"), (2, "#cast")):
        page.wait_for_selector("#screen-ballot:not([hidden])")
        page.click(f".card >> nth={position}")
        page.click("#review")
        page.click("#confirm")
        page.wait_for_selector("#screen-encrypted:not([hidden])")
        code = page.inner_text("#ballot-code")
        assert re.fullmatch(r"[0-9a-f]{4}( [0-9a-f]{4}){3}", code), code
        if then == "#challenge":
            shot(page, "kiosk-encrypted")
        page.click(then)
        if then == "#challenge":
            page.wait_for_selector("#screen-challenged:not([hidden])")
            assert page.inner_text("#challenged-choice").startswith(cards[1].name)  # what the machine encrypted
            shot(page, "kiosk-challenged")
            page.click("#again")
    page.wait_for_selector("#screen-cast:not([hidden])")
    assert "keep the slip with your confirmation code" in page.inner_text("#cast-note")
    record = (kiosk.out / "machine.journal.ballots").read_text().splitlines()
    spoiled, cast = (json.loads(line) for line in record[1:])
    assert spoiled["spoiled"]["choice"] == cards[1].id and "spoiled" not in cast
    assert cast["code"].startswith(code.replace(" ", ""))  # the code the screen showed is the one cast
    assert console.wait_for_selector("#voters:text-matches('^1 of ')")  # one vote counted, the challenge not
