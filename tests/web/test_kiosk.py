"""The voting kiosk over real HTTP: the poll worker's PIN, each voter's ballot and receipt, the actas it
prints and transmits, and what it refuses."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from actas.acta.codec import parse_payload
from actas.acta.model import ActaKind
from actas.files import load_election
from actas.server.process import RunningServer, start_server
from tests.conftest import run_actas
from tests.web.conftest import PIN, Day, RunningKiosk

KioskFactory = Callable[..., RunningKiosk]


@pytest.fixture
def board(web_day: Day, tmp_path: Path) -> Iterator[RunningServer]:
    db = f"sqlite:///{tmp_path / 'board.sqlite'}"
    running = start_server(web_day.election, web_day.registry, db, tmp_path / "b.key", refresh_interval=0.3)
    yield running
    running.stop()


def act(kiosk: RunningKiosk, path: str, body: Any) -> httpx.Response:
    return httpx.post(
        kiosk.url + path, content=json.dumps(body), headers={"content-type": "application/json"}, timeout=60
    )


def wait_for(check: Callable[[], Any], timeout: float = 40) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()) and time.monotonic() < deadline:
        time.sleep(0.25)
    return value


def test_a_polling_day_at_the_kiosk_ends_with_its_acta_on_the_board(
    kiosk_factory: KioskFactory, board: RunningServer, web_day: Day
) -> None:
    election = load_election(web_day.election)
    station = election.stations[0].code
    kiosk = kiosk_factory(station, board.url)
    contest = election.contests[0]
    assert act(kiosk, "/vote", {"choices": {contest.id: contest.options[0].id}}).status_code == 409  # not open yet
    assert act(kiosk, "/open", {"pin": "0000"}).status_code == 403
    opened = act(kiosk, "/open", {"pin": PIN})
    assert opened.status_code == 200 and opened.json()["state"] == "open"
    assert (kiosk.out / "zero-acta.pdf").read_bytes().startswith(b"%PDF")
    ballots = [contest.options[0].id, contest.options[0].id, contest.options[-1].id, None]
    for n, option in enumerate(ballots, start=1):
        cast = act(kiosk, "/vote", {"choices": {contest.id: option}})
        assert cast.status_code == 200 and cast.json()["voters"] == n
        receipt = httpx.get(kiosk.url + cast.json()["receipt"])
        assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")
    refused = [
        (act(kiosk, "/vote", {"choices": {contest.id: "NOT-A-CARD"}}), 422),
        (act(kiosk, "/vote", {"choices": "everything"}), 400),
        (act(kiosk, "/vote", [1, 2]), 400),
        (httpx.post(kiosk.url + "/vote", content=b"{" * 10_000), 413),
        (httpx.post(kiosk.url + "/vote", content=b"\xff\xfe"), 400),
        (act(kiosk, "/open", {"pin": PIN}), 409),
        (act(kiosk, "/close", {"pin": 2468}), 403),
        (httpx.get(kiosk.url + "/printed/..%2Fmachine.journal"), 404),
        (httpx.get(kiosk.url + "/printed/machine.journal"), 404),
    ]
    for response, status in refused:
        assert response.status_code == status, response.text
        assert set(response.json()["error"]) == {"code", "message"}
    assert httpx.get(kiosk.url + "/status").json()["voters"] == len(ballots)  # nothing refused was counted
    closed = act(kiosk, "/close", {"pin": PIN})
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    final = parse_payload((kiosk.out / "final-acta.acta.txt").read_text())
    assert final.acta.kind is ActaKind.FINAL and final.acta.voters == len(ballots)
    votes = dict(zip(final.acta.contests[0].options, final.acta.contests[0].votes, strict=True))
    assert votes[contest.options[0].id] == 2 and votes[contest.options[-1].id] == 1 and final.acta.contests[0].null == 1
    on_board = wait_for(lambda: httpx.get(f"{board.url}/v1/actas/{station}").json()["status"] == "reported")
    assert on_board
    served = httpx.get(f"{board.url}/v1/actas/{station}").json()["actas"]
    assert [a["kind"] for a in served] == ["zero", "final"] and served[1]["payload"] == final.payload
    assert wait_for(lambda: httpx.get(kiosk.url + "/status").json()["transmission"].startswith("acknowledged"))
    verified = run_actas("acta", "verify", kiosk.out / "final-acta.acta.txt", "--registry", web_day.registry)
    assert verified.code == 0, verified.stdout + verified.stderr


def test_the_pin_locks_after_repeated_wrong_tries(kiosk_factory: KioskFactory, web_day: Day) -> None:
    station = load_election(web_day.election).stations[1].code
    kiosk = kiosk_factory(station, None)
    for _ in range(5):
        assert act(kiosk, "/open", {"pin": "1111"}).json()["error"]["message"] == "wrong PIN"
    locked = act(kiosk, "/open", {"pin": PIN})
    assert locked.status_code == 403 and "too many wrong PINs" in locked.json()["error"]["message"]
    assert httpx.get(kiosk.url + "/status").json()["state"] == "ready" and not (kiosk.out / "zero-acta.pdf").exists()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_kiosk_restarted_resumes_and_sends_its_actas_once_the_server_is_up(
    kiosk_factory: KioskFactory, web_day: Day, tmp_path: Path
) -> None:
    election = load_election(web_day.election)
    station, contest = election.stations[2].code, election.contests[0]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    kiosk = kiosk_factory(station, url)
    assert act(kiosk, "/open", {"pin": PIN}).status_code == 200
    assert act(kiosk, "/vote", {"choices": {contest.id: contest.options[1].id}}).status_code == 200
    kiosk.stop()  # a power cut
    kiosk = kiosk_factory(station, url)
    status = httpx.get(kiosk.url + "/status").json()
    assert status["state"] == "open" and status["voters"] == 1
    assert act(kiosk, "/close", {"pin": PIN}).status_code == 200
    assert wait_for(lambda: "not delivered" in httpx.get(kiosk.url + "/status").json()["transmission"])
    with start_server(
        web_day.election, web_day.registry, f"sqlite:///{tmp_path / 'late.sqlite'}", tmp_path / "late.key", port=port
    ) as late:
        arrived = wait_for(lambda: httpx.get(f"{late.url}/v1/actas/{station}").json()["status"] == "reported", 60)
        assert arrived, httpx.get(kiosk.url + "/status").json()
        assert len(httpx.get(f"{late.url}/v1/actas/{station}").json()["actas"]) == 2
