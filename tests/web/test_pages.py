"""The server's pages and the API they read, over real HTTP, on SQLite and on PostgreSQL."""

from __future__ import annotations

import base64
import html
import json
import os
import re
import signal
import socket
import subprocess
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from actas.files import load_election
from actas.paper.phone_photo import Distortion, phone_photo
from actas.paper.render import render_acta
from actas.server.process import RunningServer, start_server
from actas.sim.scenarios import alter_counts
from tests.conftest import ACTAS, alive, assert_clean_failure, children_of, run_actas, wait_for
from tests.web.conftest import Day, publish
from tests.witness.test_scan import peak_rss, png_bomb, reset_peak_rss


@pytest.fixture
def on_both(web_day: Day, database_url: str, tmp_path: Path) -> Iterator[RunningServer]:
    """An official board on SQLite and on PostgreSQL, for the pages whose data the back end keeps."""
    running = start_server(web_day.election, web_day.registry, database_url, tmp_path / "b.key", refresh_interval=0.3)
    yield running
    running.stop()


@pytest.fixture
def official(web_day: Day, tmp_path: Path) -> Iterator[RunningServer]:
    """An official board on SQLite: the pages are a shell over the board, whose storage tests/db and
    tests/e2e hold to both back ends."""
    db = f"sqlite:///{tmp_path / 'board.sqlite'}"
    running = start_server(web_day.election, web_day.registry, db, tmp_path / "b.key", refresh_interval=0.3)
    yield running
    running.stop()


@pytest.fixture
def observer(web_day: Day, tmp_path: Path) -> Iterator[RunningServer]:
    running = start_server(
        web_day.election, web_day.registry, f"sqlite:///{tmp_path / 'obs.sqlite'}", tmp_path / "o.key",
        refresh_interval=0.3, witnesses=web_day.witnesses,
    )  # fmt: skip
    yield running
    running.stop()


def embedded(page: str) -> Any:
    """The JSON a results page carries for its script."""
    found = re.search(r'<script id="initial" type="application/json">(.*?)</script>', page, re.S)
    assert found is not None
    return json.loads(found[1])


def test_results_drill_down_from_the_nation_to_each_mesa_and_its_checked_acta(
    on_both: RunningServer, web_day: Day
) -> None:
    official = on_both
    publish(official, web_day.payloads())
    national = httpx.get(official.url + "/")
    assert national.status_code == 200 and national.headers["content-type"].startswith("text/html")
    view = embedded(national.text)["view"]
    assert view == httpx.get(official.url + "/v1/results").json()
    assert view["stations"] == {"expected": 24, "reported": 24, "conflicts": 0}
    finals = web_day.finals()
    assert view["voters"] == sum(s.acta.voters for s in finals.values())
    # without its script the page already says it: the headline and the figures are in the HTML served
    served = " ".join(re.sub(r"<script.*?</script>", "", national.text, flags=re.S).split())
    ranked = sorted(view["contests"][0]["candidates"], key=lambda c: -c["votes"])
    margin = ranked[0]["votes"] - ranked[1]["votes"]
    assert view["headline"]["margin"] == margin and view["headline"]["leader"] == ranked[0]["name"]
    assert html.escape(view["headline"]["sentences"]["en"]) in served
    assert f"{html.escape(ranked[0]['name'])} leads {html.escape(ranked[1]['name'])} by {margin:,} votes" in served
    assert 'id="reported">24 of 24</span>' in served and f'id="voters">{view["voters"]:,}</span>' in served
    assert "Live" not in served  # said only once the script runs and polls
    code, depth = "", 0
    while view["children"]:  # down the first branch of the geography
        child = view["children"][0]
        assert sum(c["reported"] for c in view["children"]) == view["stations"]["reported"]
        assert child["contests"][0]["valid"] == sum(child["contests"][0]["candidates"].values())
        code, depth = child["code"], depth + 1
        page = httpx.get(f"{official.url}/results/{code}")
        assert page.status_code == 200 and html.escape(child["name"]) in page.text
        view = embedded(page.text)["view"]
    election = load_election(web_day.election)
    assert depth == len(election.levels)
    assert [s["code"] for s in view["station_list"]] == [s.code for s in election.stations if s.unit == code]
    assert {s["status"] for s in view["station_list"]} == {"reported"}
    owner = {o.id: o.candidate for o in election.contests[0].options}
    for line in view["station_list"]:  # each mesa with the votes of its own final acta
        acta = finals[line["code"]].acta
        by_candidate: dict[str, int] = {}
        for option, votes in zip(election.contests[0].option_ids, acta.contests[0].votes, strict=True):
            by_candidate[owner[option]] = by_candidate.get(owner[option], 0) + votes
        assert line["voters"] == acta.voters and line["contests"][0]["candidates"] == by_candidate
    station = view["station_list"][0]["code"]
    mesa = httpx.get(f"{official.url}/mesa/{station}")
    assert mesa.status_code == 200
    text = " ".join(mesa.text.split())
    assert 'id="mesa-status">reported' in text and text.count("valid: signed by machine") == 2
    assert text.count("verified here: entry") == 2  # the zero and the final acta, each proved in the checkpoint
    signed = finals[station]
    assert html.escape(signed.payload.strip()) in mesa.text and signed.digest in mesa.text
    svgs = re.findall(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', mesa.text)
    assert len(svgs) >= 2 and all(base64.b64decode(s).startswith(b"<svg") for s in svgs)


def test_a_conflict_and_refusals_show_on_the_mesa_page_and_in_the_totals(official: RunningServer, web_day: Day) -> None:
    publish(official, web_day.payloads())
    station, signed = next(iter(web_day.finals().items()))
    second = web_day.second_final(station)
    assert publish(official, [second.payload])[0]["http_status"] == 409
    assert publish(official, [alter_counts(signed.payload)])[0]["http_status"] == 422
    results = wait_for(lambda: (r := httpx.get(official.url + "/v1/results").json())["stations"]["conflicts"] and r)
    assert results["stations"]["reported"] == 23

    # refusals are recorded beside the answer: wait until the page names them
    def refusals_shown() -> str | None:
        page = httpx.get(f"{official.url}/mesa/{station}").text
        return page if "Refused submissions" in page else None

    page = wait_for(refusals_shown)
    text = " ".join(page.split())
    assert 'id="mesa-status">conflict' in text and "neither is counted" in text
    assert text.count('data-kind="final"') == 2 and second.digest in text
    assert "Refused submissions naming this" in text and "signature" in text
    # the two finals side by side, and the counts on which they differ marked in both, subtotals included
    assert '<div class="finals pair">' in text
    first_counts = dict(zip(signed.acta.contests[0].options, signed.acta.contests[0].votes, strict=True))
    second_counts = dict(zip(second.acta.contests[0].options, second.acta.contests[0].votes, strict=True))
    contest = signed.acta.contests[0].contest
    differing = {f"{contest}/{o}" for o in first_counts if first_counts[o] != second_counts[o]}
    marked = set(re.findall(r'<tr class="(?:option|candidate) differs" data-key="([^"]+)"', text))
    assert differing and marked == differing
    assert text.index('data-kind="final"') < text.index("zero-actas")  # the final actas first, the zero folded


def test_results_are_answered_304_while_the_checkpoint_is_unchanged(
    on_both: RunningServer, web_day: Day, database_url: str, tmp_path: Path
) -> None:
    official = on_both
    first = httpx.get(official.url + "/v1/results")
    tag = first.headers["etag"]
    assert httpx.get(official.url + "/v1/results", headers={"if-none-match": tag}).status_code == 304
    publish(official, web_day.payloads()[:4])
    changed = wait_for(
        lambda: httpx.get(official.url + "/v1/results", headers={"if-none-match": tag}).status_code == 200
    )
    assert changed
    progress = httpx.get(official.url + "/v1/progress").json()["final_actas_by_minute"]
    assert sum(n for _, n in progress) == 2 and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", m) for m, _ in progress)
    election = load_election(web_day.election)
    finals = [p for p in web_day.payloads()[:4] if "\nkind final\n" in p]
    stations = [election.station_by_code[p.split("\nstation ", 1)[1].split("\n", 1)[0]] for p in finals]
    region = election.path(stations[0])[0].code

    def unit_progress(url: str, code: str) -> list[list[Any]]:
        answer = httpx.get(url + "/v1/progress", params={"code": code})
        assert answer.status_code == 200, answer.text
        rows: list[list[Any]] = answer.json()["final_actas_by_minute"]
        return rows

    for unit in election.units:  # each unit counts the final actas of its own mesas, and only those
        expected = sum(unit.code in {u.code for u in election.path(s)} for s in stations)
        assert sum(n for _, n in unit_progress(official.url, unit.code)) == expected
    assert httpx.get(official.url + "/v1/progress", params={"code": "NOWHERE"}).status_code == 404
    # another server process on the same board counts the same progress from the entries themselves
    with start_server(web_day.election, web_day.registry, database_url, tmp_path / "b.key") as other:
        assert httpx.get(other.url + "/v1/progress").json()["final_actas_by_minute"] == progress
        assert unit_progress(other.url, region) == unit_progress(official.url, region)


def test_announcements_are_read_and_shown_beside_the_actas(official: RunningServer, web_day: Day) -> None:
    publish(official, web_day.payloads())
    election = load_election(web_day.election)
    first, second = election.contests[0].candidate_ids[:2]
    announced = run_actas(
        "announce", "--server", official.url, "--election", web_day.election,
        "--key", web_day.root / "d" / "keys" / "authority.key", "--title", "First bulletin",
        "--votes", f"president:{first}=5150,{second}=4445,others=462", "--voters", 10100,
    )  # fmt: skip
    assert announced.code == 0, announced.stderr
    items = httpx.get(official.url + "/v1/announcements").json()["announcements"]
    assert items[0]["title"] == "First bulletin" and items[0]["contests"][0]["votes"][first] == 5150
    assert items[0]["note"].startswith("actas announcement")
    shown = embedded(httpx.get(official.url + "/").text)["announcements"]
    assert shown[0]["title"] == "First bulletin" and shown[0]["voters"] == 10100 and "note" not in shown[0]

    region = election.units[0].code
    scoped = ("--key", web_day.root / "d" / "keys" / "authority.key", "--votes", f"president:{first}=51,others=4")
    regional = run_actas("announce", "--server", official.url, "--election", web_day.election, "--title",
        "Regional bulletin", "--unit", region, *scoped)  # fmt: skip
    assert regional.code == 0, regional.stderr
    assert httpx.get(official.url + "/v1/announcements").json()["announcements"][1]["unit"] == region
    national = embedded(httpx.get(official.url + "/").text)["announcements"]
    on_region = embedded(httpx.get(f"{official.url}/results/{region}").text)["announcements"]
    assert [a["title"] for a in national] == ["First bulletin"]  # each page holds only what is of its unit
    assert [a["title"] for a in on_region] == ["Regional bulletin"]
    nowhere = run_actas("announce", "--server", official.url, "--election", web_day.election, "--title", "x",
        "--unit", "NOWHERE", *scoped)  # fmt: skip
    assert_clean_failure(nowhere, 2)
    assert "no unit 'NOWHERE'" in nowhere.stderr


@pytest.mark.parametrize(
    "path",
    [
        "/results/NOWHERE",
        "/results/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "/mesa/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
        "/mesa/" + "9" * 5000,
        "/static/..%2F..%2Fboard.py",
        "/coverage",
    ],
)
def test_hostile_and_unknown_page_requests_are_refused_without_echoing_markup(
    official: RunningServer, path: str
) -> None:
    response = httpx.get(official.url + path)
    assert response.status_code == 404
    assert "<script>alert" not in response.text and "<img src=x" not in response.text
    assert "9" * 100 not in response.text


def photo_of(signed: Any, election_dir: Path, seed: int) -> bytes:
    """A phone photo of the printed acta, taken with a steady hand (tests/witness tests the scanner's limits)."""
    figure = render_acta(signed, load_election(election_dir))
    buffer = BytesIO()
    figure.savefig(buffer, format="png", dpi=200, facecolor="white")
    steady = Distortion(rotate=6.0, tilt=0.02, shade=0.25, blur=0.6, crop=0.0, min_quality=70)
    return phone_photo(Image.open(BytesIO(buffer.getvalue())), seed, steady)


def raw_request(url: str, line: str, headers: dict[str, str], length: int) -> bytes:
    """A request that declares a body of `length` bytes and sends none: what a client cannot be made to send."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        conn.sendall(f"{line} HTTP/1.1\r\nhost: {host}\r\n{head}content-length: {length}\r\n\r\n".encode())
        answer = b""
        while b'"error"' not in answer and (chunk := conn.recv(65536)):
            answer += chunk
        return answer


def test_a_witness_reads_an_acta_from_a_photo_through_the_server(observer: RunningServer, web_day: Day) -> None:
    station, signed = next(iter(web_day.finals().items()))
    token = web_day.tokens["W-0001"]
    auth = {"authorization": f"Bearer {token}"}
    me = httpx.get(observer.url + "/v1/witness/me", headers=auth)
    assert me.json() == {"witness": "W-0001"}
    photo = photo_of(signed, web_day.election, seed=3)
    scan = httpx.post(observer.url + "/v1/witness/scan", content=photo, headers={**auth, "content-type": "image/jpeg"})
    assert scan.status_code == 200, scan.text
    read = scan.json()
    assert read["status"] == "verified" and read["station"] == station and read["payload"] == signed.payload
    assert sum(read["votes"].values()) + read["null"] == signed.acta.voters
    refusals = [
        (httpx.get(observer.url + "/v1/witness/me"), 401),
        (httpx.get(observer.url + "/v1/witness/me", headers={"authorization": "Bearer nope"}), 401),
        (httpx.post(observer.url + "/v1/witness/scan", content=photo, headers={"content-type": "image/jpeg"}), 401),
        (
            httpx.post(observer.url + "/v1/witness/scan", content=b"x", headers={**auth, "content-type": "text/plain"}),
            415,
        ),
    ]
    for response, status in refusals:
        assert response.status_code == status, response.text
        assert set(response.json()["error"]) == {"code", "message"}
    declared = raw_request(observer.url, "POST /v1/witness/scan", {**auth, "content-type": "image/jpeg"}, 10**9)
    assert declared.startswith(b"HTTP/1.1 413") and b'"too_large"' in declared
    garbage = httpx.post(
        observer.url + "/v1/witness/scan", content=b"\x89PNG not really", headers={**auth, "content-type": "image/png"}
    )
    assert garbage.status_code == 200 and garbage.json()["status"] == "rejected"
    before = reset_peak_rss(observer.process.pid)
    bomb = httpx.post(
        observer.url + "/v1/witness/scan",
        content=png_bomb(10_000, 10_000),
        headers={**auth, "content-type": "image/png"},
    )
    assert (
        bomb.status_code == 413 and bomb.json()["status"] == "rejected" and "10,000 x 10,000" in bomb.json()["reason"]
    )
    assert peak_rss(observer.process.pid) - before < 100 * 2**20  # its 100 megapixels were never decoded
    assert httpx.get(observer.url + "/v1/board/checkpoint").text.split("\n")[1] == "3"  # nothing was filed


def test_observer_pages_show_coverage_incidents_and_each_mesas_reports(observer: RunningServer, web_day: Day) -> None:
    finals = web_day.finals()
    (first, a), (second, b) = list(finals.items())[:2]
    reports = [
        {"station": first, "acta": a.payload, "acta_status": "verified", "incidents": []},
        {
            "station": second,
            "acta": None,
            "acta_status": "none",
            "incidents": [{"kind": "witness-forced-to-leave", "note": "<b>sent out</b> at 18:10"}],
        },
    ]
    for item in reports:
        body = {"format": "actas witness report v1", "witness": "W-0002", "hand_counted": False, "hand": {},
                "receipts": None, "photos": [], **item}  # fmt: skip
        answer = httpx.post(
            observer.url + "/v1/witness/reports",
            content=json.dumps(body),
            headers={"authorization": f"Bearer {web_day.tokens['W-0002']}", "content-type": "application/json"},
        )
        assert answer.status_code == 201, answer.text
    coverage = " ".join(httpx.get(observer.url + "/coverage").text.split())
    assert re.search(r'id="complete">1</span><span class="sub">of 24 mesas', coverage)
    incidents = httpx.get(observer.url + "/incidents").text
    assert "witness forced to leave" in incidents and "&lt;b&gt;sent out&lt;/b&gt;" in incidents
    assert "1 incident in the witnesses" in incidents  # one, in the singular
    spanish = httpx.get(observer.url + "/incidents?lang=es_VE").text
    assert "testigo obligado a salir" in spanish and "1 incidencia en los reportes" in spanish
    assert httpx.get(observer.url + "/v1/incidents").json()["incidents"][0]["station"] == second
    mesa = " ".join(httpx.get(f"{observer.url}/mesa/{second}").text.split())
    assert 'id="mesa-status">partial' in mesa and "Report of witness W-0002" in mesa
    unit = load_election(web_day.election).station_by_code[first].unit
    listed = httpx.get(f"{observer.url}/coverage/{unit}").text
    assert re.search(
        rf'data-station="{re.escape(first)}"><th scope="row"><a href="/mesa/[^"]+">[^<]+</a></th>'
        r'<td class="num">1</td><td colspan="6"><span class="status complete">',
        listed,
    )
    witness_app = httpx.get(observer.url + "/witness").text
    assert 'id="photo"' in witness_app and 'capture="environment"' in witness_app
    assert httpx.get(observer.url + "/v1/reconciliation").status_code == 404  # no official board configured


def test_an_observers_board_reconciles_itself_with_the_official_board(
    web_day: Day, database_url: str, tmp_path: Path
) -> None:
    """The official board on both back ends, mirrored by an observer's board on SQLite."""
    finals = web_day.finals()
    stations = list(finals)
    withheld, miscounted = stations[0], stations[1]
    official = start_server(web_day.election, web_day.registry, database_url, tmp_path / "b.key")
    with official:
        publish(official, [p for p in web_day.payloads() if f"\nstation {withheld}\n" not in p])
        observer = start_server(
            web_day.election, web_day.registry, f"sqlite:///{tmp_path / 'obs.sqlite'}", tmp_path / "o.key",
            witnesses=web_day.witnesses, official=official.url,
        )  # fmt: skip
        with observer:
            for station in (withheld, miscounted):
                signed = finals[station]
                hand = {o: n for c in signed.acta.contests for o, n in zip(c.options, c.votes, strict=True)}
                if station == miscounted:
                    first_option = next(iter(hand))
                    hand[first_option] += 3
                body = {
                    "format": "actas witness report v1", "station": station, "witness": "W-0003",
                    "acta": signed.payload, "acta_status": "verified", "hand_counted": True, "hand": hand,
                    "receipts": sum(hand.values()), "incidents": [], "photos": [],
                }  # fmt: skip
                answer = httpx.post(
                    observer.url + "/v1/witness/reports",
                    content=json.dumps(body),
                    headers={"authorization": f"Bearer {web_day.tokens['W-0003']}", "content-type": "application/json"},
                )
                assert answer.status_code == 201, answer.text

            def compared() -> Any:
                response = httpx.get(observer.url + "/v1/reconciliation")
                done = response.status_code == 200 and response.json().get("observer_size", 0) >= 5
                return response.json() if done else None

            result = wait_for(compared, timeout=30)
            assert result is not None, httpx.get(observer.url + "/v1/reconciliation").text
            assert result["counts"]["only-observer"] == 1 and result["counts"]["paper-differs"] == 1
            assert result["counts"]["identical"] == 1 and result["counts"]["only-official"] == 22
            listed = {s["station"]: s for s in result["stations"]}
            paper = listed[miscounted]["paper"][0]
            assert set(listed) == {withheld, miscounted} and paper["observer"] - paper["official"] == 3
            assert result["signatures"] == {"official": "23 signature valid", "observer": "2 signature valid"}
            page = httpx.get(observer.url + "/reconciliation").text
            assert "Official board: 23 signature valid. Witnesses' board: 2 signature valid." in page
            for station in (withheld, miscounted):
                assert f'href="{official.url}/mesa/{station}"' in page and f'href="/mesa/{station}"' in page
            mesa = httpx.get(f"{observer.url}/mesa/{withheld}").text
            assert "Against the official board: only on the witnesses&#39; board" in mesa


def test_the_demo_ends_serving_its_pages_until_interrupted(tmp_path: Path) -> None:
    command = [str(ACTAS), "demo", "--stations", "12", "--out", str(tmp_path / "demo")]
    errors = (tmp_path / "stderr").open("w")
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=errors, text=True, env={**os.environ, "COLUMNS": "300"},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as from a terminal, even where the
    )  # tests run in the background, whose shell starts them with Ctrl-C ignored  # fmt: skip
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("Serving until interrupted"):
            break
    said = "".join(lines)
    live = re.search(r"Live results: (http://127\.0\.0\.1:\d+)/", said)
    observers = re.search(r"The witnesses' board: (http://127\.0\.0\.1:\d+)/", said)
    assert live and observers, said[-2000:]
    page = httpx.get(live[1] + "/")
    assert page.status_code == 200 and embedded(page.text)["view"]["stations"]["reported"] == 12
    compared = wait_for(lambda: httpx.get(observers[1] + "/v1/reconciliation").status_code == 200, timeout=30)
    assert compared and httpx.get(observers[1] + "/v1/reconciliation").json()["counts"]["different"] == 0
    servers = children_of(process.pid)
    assert len(servers) == 2 and all(alive(p) for p in servers)
    process.send_signal(signal.SIGINT)  # SIGTERM: tests/e2e/test_cli.py
    try:
        code = process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        running = {
            pid: (Path("/proc") / str(pid) / "wchan").read_text() for pid in [process.pid, *servers] if alive(pid)
        }
        for pid in [*servers, process.pid]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        pytest.fail(f"the demo did not stop within 60 s of Ctrl-C; still running (pid: kernel wait): {running}")
    assert code == 0
    assert not any(alive(p) for p in servers)
    with pytest.raises(httpx.TransportError):
        httpx.get(live[1] + "/", timeout=5)
