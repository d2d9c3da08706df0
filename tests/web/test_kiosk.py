"""The voting kiosk over real HTTP: the poll workers' console and its PIN, one ballot per voter, the secrecy
of the vote in everything the kiosk keeps, prints and answers, what it refuses, and the actas it transmits."""

from __future__ import annotations

import json
import re
import shutil
import socket
import ssl
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from actas.acta.codec import parse_payload
from actas.acta.model import ActaKind
from actas.files import load_election
from actas.server.process import RunningServer, start_server
from actas.store.journal import SLOT_BYTES
from tests.conftest import assert_clean_failure, run_actas, wait_for
from tests.web.conftest import PIN, Day, RunningKiosk

KioskFactory = Callable[..., RunningKiosk]


@pytest.fixture
def board(web_day: Day, tmp_path: Path) -> Iterator[RunningServer]:
    db = f"sqlite:///{tmp_path / 'board.sqlite'}"
    running = start_server(web_day.election, web_day.registry, db, tmp_path / "b.key", refresh_interval=0.3)
    yield running
    running.stop()


def signed_in(kiosk: RunningKiosk) -> httpx.Client:
    worker = kiosk.worker()
    assert worker.post("/session", json={"pin": PIN}).status_code == 200
    return worker


def vote(kiosk: RunningKiosk, worker: httpx.Client, choices: dict[str, str]) -> httpx.Response:
    """One voter: the poll worker enables a ballot, the voter casts it."""
    assert worker.post("/ballot", json={}).status_code == 200
    with kiosk.voter() as voter:
        return voter.post("/vote", json={"choices": choices})


def test_a_polling_day_at_the_kiosk_ends_with_its_acta_on_the_board(
    kiosk_factory: KioskFactory, board: RunningServer, web_day: Day
) -> None:
    election = load_election(web_day.election)
    station = election.stations[0].code
    contest = election.contests[0]
    kiosk = kiosk_factory(station, board.url, "vm", "--board-key", board.board_key.to_text())
    worker = signed_in(kiosk)
    assert worker.post("/open", json={"pin": "000000"}).status_code == 403
    opened = worker.post("/open", json={"pin": PIN})
    assert opened.status_code == 200 and opened.json()["state"] == "open"
    ballots = [contest.options[0].id, contest.options[0].id, contest.options[-1].id, "null"]
    for option in ballots:
        cast = vote(kiosk, worker, {contest.id: option})
        assert cast.status_code == 200 and cast.json() == {"recorded": True, "printed": True}
    printed = sorted(kiosk.box.iterdir())
    assert len(printed) == 1 + len(ballots) and all(p.read_bytes().startswith(b"%PDF") for p in printed)
    assert worker.get("/status").json()["voters"] == len(ballots)
    closed = worker.post("/close", json={"pin": PIN})
    assert (
        closed.status_code == 200
        and closed.json()["state"] == "closed"
        and closed.json()["printed"]
        == [
            "zero",
            "final",
        ]
    )
    final = parse_payload((kiosk.out / "final-acta.acta.txt").read_text())
    assert final.acta.kind is ActaKind.FINAL and final.acta.voters == len(ballots)
    votes = dict(zip(final.acta.contests[0].options, final.acta.contests[0].votes, strict=True))
    assert votes[contest.options[0].id] == 2 and votes[contest.options[-1].id] == 1 and final.acta.contests[0].null == 1
    assert wait_for(lambda: httpx.get(f"{board.url}/v1/actas/{station}").json()["status"] == "reported")
    served = httpx.get(f"{board.url}/v1/actas/{station}").json()["actas"]
    assert [a["kind"] for a in served] == ["zero", "final"] and served[1]["payload"] == final.payload
    assert wait_for(lambda: worker.get("/status").json()["transmission"].startswith("acknowledged"))
    outbox = [json.loads(line) for line in (kiosk.out / "sent.jsonl").read_text().splitlines()]
    assert [r["receipt"]["index"] for r in outbox] == [2, 3]  # the board's receipts, checked and kept
    assert worker.post("/reprint", json={"acta": "final"}).status_code == 200
    assert len(list(kiosk.box.iterdir())) == len(printed) + 2
    verified = run_actas("acta", "verify", kiosk.out / "final-acta.acta.txt", "--registry", web_day.registry)
    assert verified.code == 0, verified.stdout + verified.stderr


def test_nothing_the_kiosk_keeps_serves_or_logs_links_a_vote_to_its_order_or_time(
    kiosk_factory: KioskFactory, web_day: Day
) -> None:
    election = load_election(web_day.election)
    contest = election.contests[0]
    kiosk = kiosk_factory(election.stations[3].code, None)
    worker = signed_in(kiosk)
    assert worker.post("/open", json={"pin": PIN}).status_code == 200
    answers = [vote(kiosk, worker, {contest.id: o.id}) for o in contest.options[:3]]
    assert all(a.json() == {"recorded": True, "printed": True} for a in answers)  # no number, time or choice
    with kiosk.voter() as voter:
        assert voter.get("/status").json() == {"state": "open", "ballot": False, "encrypts": False}
        for path in ["/printed/receipt-00001.pdf", "/printed/zero-acta.pdf", "/receipt", "/journal"]:
            assert voter.get(path).status_code == 404 and worker.get(path).status_code == 404
    assert kiosk.out.stat().st_mode & 0o077 == 0
    kept = {p.name: p.read_bytes() for p in kiosk.out.iterdir()}
    assert set(kept) == {"machine.journal", "zero-acta.acta.txt", "zero-acta.pdf"}
    assert all(p.stat().st_mode & 0o077 == 0 for p in kiosk.out.iterdir())
    journal = kept["machine.journal"]
    assert journal[:SLOT_BYTES] == journal[SLOT_BYTES:]  # one record, no earlier state beside it
    record = json.loads(journal.partition(b"\t")[0])
    assert set(record) == {"setup", "zero", "counts", "voters", "code", "final"} and record["voters"] == 3
    for content in kept.values():
        assert not re.search(rb"\nseq \d|actas receipt|receipt-\d", content)
    logged = "".join(kiosk.log)
    assert not any(o.id in logged for o in contest.options) and "vote" not in logged.lower()
    receipts = sorted(kiosk.box.iterdir(), key=lambda p: p.stat().st_size)[:3]
    for receipt in receipts:
        data = receipt.read_bytes()
        assert b"CreationDate" not in data and b"ModDate" not in data and b"Producer" not in data


def test_one_ballot_per_voter_enabled_by_a_poll_worker(kiosk_factory: KioskFactory, web_day: Day) -> None:
    election = load_election(web_day.election)
    contest = election.contests[0]
    kiosk = kiosk_factory(election.stations[4].code, None)
    worker = signed_in(kiosk)
    voter = kiosk.voter()
    choice = {"choices": {contest.id: contest.options[1].id}}
    assert voter.post("/vote", json=choice).status_code == 409  # the polls are not open
    assert worker.post("/open", json={"pin": PIN}).status_code == 200
    refused = voter.post("/vote", json=choice)
    assert refused.status_code == 403 and "poll worker" in refused.json()["error"]["message"]
    assert worker.post("/ballot", json={}).status_code == 200
    assert worker.post("/ballot", json={}).status_code == 409  # one enabled ballot at a time
    for empty in [{}, {contest.id: None}, {contest.id: ""}, {contest.id: "NOT-A-CARD"}, {"other": "null"}]:
        answer = voter.post("/vote", json={"choices": empty})
        assert answer.status_code == 400, (empty, answer.text)
    assert worker.get("/status").json()["ballot"] is True  # a refused choice leaves the ballot enabled

    def cast(_: int) -> int:
        with kiosk.voter() as client:
            return client.post("/vote", json=choice).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(cast, range(8)))
    assert statuses.count(200) == 1 and statuses.count(403) == 7
    status = worker.get("/status").json()
    assert status["voters"] == 1 and status["ballot"] is False
    assert worker.post("/ballot", json={}).status_code == 200
    assert worker.post("/ballot/cancel", json={}).status_code == 200  # the voter left
    assert voter.post("/vote", json=choice).status_code == 403
    assert vote(kiosk, worker, {contest.id: "null"}).status_code == 200  # a null vote only when chosen
    assert worker.get("/status").json()["voters"] == 2
    assert voter.post("/open", json={"pin": PIN}).status_code in (404, 405)  # no act of a poll worker here
    assert voter.post("/ballot", json={}).status_code in (404, 405)


def test_the_kiosk_answers_only_its_own_pages(kiosk_factory: KioskFactory, web_day: Day) -> None:
    kiosk = kiosk_factory(load_election(web_day.election).stations[5].code, None)
    for base, path, body in [(kiosk.url, "/vote", {"choices": {}}), (kiosk.worker_url, "/session", {"pin": PIN})]:
        own = base.removeprefix("http://")
        attacks = [
            {"origin": "http://evil.example", "content-type": "application/json"},
            {"origin": "null", "content-type": "application/json"},
            {"origin": base, "content-type": "application/json", "host": f"evil.example:{own.split(':')[1]}"},
            {"origin": base, "content-type": "application/x-www-form-urlencoded"},
            {"origin": "http://evil.example", "content-type": "application/x-www-form-urlencoded"},
            {"content-type": "application/json"},
            {"origin": base, "content-type": "text/plain"},
        ]
        for headers in attacks:
            answer = httpx.post(base + path, content=json.dumps(body), headers=headers)
            assert answer.status_code == 403, (path, headers, answer.text)
            assert set(answer.json()["error"]) == {"code", "message"}
        rebound = httpx.get(base + "/", headers={"host": "evil.example"})  # DNS rebinding: refused, even a read
        assert rebound.status_code == 403
        page = httpx.get(base + "/")
        assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY" and page.headers["x-content-type-options"] == "nosniff"
    with kiosk.worker() as worker:
        assert worker.get("/status").status_code == 401
        assert worker.post("/ballot", json={}).status_code == 401
        answer = worker.post("/session", json={"pin": PIN})
        cookie = answer.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert worker.post("/session/end", json={}).status_code == 200
        assert worker.get("/status").status_code == 401
    too_big = kiosk.voter().post("/vote", content=b"{" * 10_000, headers={"content-type": "application/json"})
    assert too_big.status_code == 413


def test_the_pin_locks_and_stays_locked_across_a_restart(
    kiosk_factory: KioskFactory, web_day: Day, tmp_path: Path
) -> None:
    station = load_election(web_day.election).stations[1].code
    kiosk = kiosk_factory(station, None)
    with kiosk.worker() as worker:
        for _ in range(5):
            assert worker.post("/session", json={"pin": "111111"}).json()["error"]["message"] == "wrong PIN"
        locked = worker.post("/session", json={"pin": PIN})
        assert locked.status_code == 403 and "locked" in locked.json()["error"]["message"]
    assert wait_for(lambda: "PIN locked for 1 minutes" in "".join(kiosk.log), 10)
    assert (kiosk.out / "pin.lockout").stat().st_mode & 0o077 == 0
    kiosk.stop()
    again = kiosk_factory(station, None)
    with again.worker() as worker:
        assert "locked" in worker.post("/session", json={"pin": PIN}).json()["error"]["message"]
    assert not (again.out / "zero-acta.pdf").exists()


@pytest.mark.parametrize(
    ("pin", "mode", "message"),
    [("2468", 0o600, "6 to 64 digits"), ("abcdefgh", 0o600, "6 to 64 digits"), ("246813", 0o644, "chmod 600")],
)
def test_a_short_or_readable_pin_is_refused_at_start(
    web_day: Day, tmp_path: Path, pin: str, mode: int, message: str
) -> None:
    pin_file = tmp_path / "pin"
    pin_file.write_text(pin + "\n")
    pin_file.chmod(mode)
    station = load_election(web_day.election).stations[0].code
    keys = web_day.root / "d" / "keys" / "machines.keys"
    result = run_actas(
        "kiosk", "--election", web_day.election, "--station", station, "--key", keys, "--pin-file", pin_file,
        "--out", tmp_path / "k", "--port", "0", "--worker-port", "0",
    )  # fmt: skip
    assert_clean_failure(result, 2)
    assert message in result.stderr


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
    worker = signed_in(kiosk)
    assert worker.post("/open", json={"pin": PIN}).status_code == 200
    assert vote(kiosk, worker, {contest.id: contest.options[1].id}).status_code == 200
    kiosk.stop()  # a power cut
    kiosk = kiosk_factory(station, url)
    worker = signed_in(kiosk)  # a session does not outlive the process
    status = worker.get("/status").json()
    assert status["state"] == "open" and status["voters"] == 1 and status["ballot"] is False
    assert worker.post("/close", json={"pin": PIN}).status_code == 200
    assert wait_for(lambda: "not delivered" in worker.get("/status").json()["transmission"])
    with start_server(
        web_day.election, web_day.registry, f"sqlite:///{tmp_path / 'late.sqlite'}", tmp_path / "late.key", port=port
    ) as late:
        arrived = wait_for(lambda: httpx.get(f"{late.url}/v1/actas/{station}").json()["status"] == "reported", 60)
        assert arrived, worker.get("/status").json()
        assert len(httpx.get(f"{late.url}/v1/actas/{station}").json()["actas"]) == 2


def test_a_printer_that_fails_is_reported_and_the_vote_still_counts(kiosk_factory: KioskFactory, web_day: Day) -> None:
    election = load_election(web_day.election)
    kiosk = kiosk_factory(election.stations[6].code, None)
    worker = signed_in(kiosk)
    assert worker.post("/open", json={"pin": PIN}).status_code == 200
    shutil.rmtree(kiosk.box)  # the paper runs out
    cast = vote(kiosk, worker, {election.contests[0].id: "null"})
    assert cast.status_code == 200 and cast.json()["printed"] is False and "poll worker" in cast.json()["message"]
    status = worker.get("/status").json()
    assert status["voters"] == 1 and status["printer_ok"] is False and "did not print" in status["printer"]
    # the printer's own complaint names the missing directory: it goes to the log, never to a screen
    assert str(kiosk.box) not in status["printer"] and "/" not in status["printer"].replace("(exit", "")
    assert str(kiosk.box) not in cast.text


def local_address() -> str | None:
    """An address of this machine that is not loopback (None if it has none)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the route's own address
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") else address


def self_signed(directory: Path, address: str) -> tuple[Path, Path]:
    cert, key = directory / "tls.crt", directory / "tls.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
         "-subj", "/CN=kiosk", "-addext", f"subjectAltName=IP:{address},IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    key.chmod(0o600)
    return cert, key


def test_the_pin_crosses_the_network_only_under_tls(kiosk_factory: KioskFactory, web_day: Day, tmp_path: Path) -> None:
    address = local_address()
    if address is None:
        pytest.skip("this machine has no address but loopback to reach the console from")
    station = load_election(web_day.election).stations[7].code
    plain = kiosk_factory(station, None, "plain", "--worker-host", address)
    assert plain.worker_url.startswith(f"http://{address}:")
    with plain.worker() as worker:
        refused = worker.post("/session", json={"pin": PIN})
        assert refused.status_code == 403 and "HTTPS" in refused.json()["error"]["message"]
    plain.stop()
    cert, key = self_signed(tmp_path, address)
    tls = kiosk_factory(station, None, "tls", "--worker-host", address, "--tls-cert", str(cert), "--tls-key", str(key))
    assert tls.worker_url.startswith("https://")
    trusted = ssl.create_default_context(cafile=str(cert))
    with httpx.Client(base_url=tls.worker_url, headers={"origin": tls.worker_url}, verify=trusted) as worker:
        answer = worker.post("/session", json={"pin": PIN})
        assert answer.status_code == 200 and "secure" in answer.headers["set-cookie"].lower()
    tls.stop()
    loose = kiosk_factory(station, None, "loose", "--worker-host", address, "--insecure-http")
    with loose.worker() as worker:
        assert worker.post("/session", json={"pin": PIN}).status_code == 200


def test_a_kiosk_that_encrypts_shows_the_code_takes_a_challenge_and_publishes_the_ballots(
    kiosk_factory: KioskFactory, web_day: Day, tmp_path: Path
) -> None:
    """The voter confirms, sees the code, challenges once (the machine says what it encrypted, nothing
    counts, the ballot stays enabled), votes again and casts; a voter who leaves leaves nothing. After the
    final acta the mesa's encrypted ballots reach the board, which finds each by its code."""
    election = load_election(web_day.election)
    station, contest = election.stations[1].code, election.contests[0]
    made = run_actas("trustees", "ceremony", "--election", web_day.election, "--out", tmp_path / "c",
                     "--trustees", 3, "--quorum", 2)  # fmt: skip
    assert made.code == 0, made.stderr
    ceremony = tmp_path / "c" / "ceremony.json"
    db = f"sqlite:///{tmp_path / 'board.sqlite'}"
    with start_server(web_day.election, web_day.registry, db, tmp_path / "b.key", refresh_interval=0.3,
                      options=["--ceremony", str(ceremony)]) as board:  # fmt: skip
        key = board.board_key.to_text()
        kiosk = kiosk_factory(station, board.url, "vm", "--board-key", key, "--ceremony", str(ceremony))
        worker = signed_in(kiosk)
        assert worker.post("/open", json={"pin": PIN}).status_code == 200
        first, second = contest.options[0].id, contest.options[1].id
        assert worker.post("/ballot", json={}).status_code == 200
        with kiosk.voter() as voter:
            assert voter.get("/status").json() == {"state": "open", "ballot": True, "encrypts": True}
            assert voter.post("/vote", json={"choices": {contest.id: first}}).status_code == 409
            assert voter.post("/cast", json={}).json()["error"]["code"] == "wrong_state"  # nothing encrypted yet
            shown = voter.post("/encrypt", json={"choices": {contest.id: first}}).json()["code"]
            challenged = voter.post("/challenge", json={}).json()
            assert challenged == {"choice": first, "code": shown, "printed": True}
            assert worker.get("/status").json()["ballot"] is True and worker.get("/status").json()["voters"] == 0
            code = voter.post("/encrypt", json={"choices": {contest.id: second}}).json()["code"]
            assert voter.post("/cast", json={}).json() == {"recorded": True, "printed": True}
        assert len(list(kiosk.box.iterdir())) == 1 + 3  # the zero acta, two slips, one receipt for the ballot box
        assert worker.post("/ballot", json={}).status_code == 200
        with kiosk.voter() as voter:
            voter.post("/encrypt", json={"choices": {contest.id: first}})
            assert worker.post("/ballot/cancel", json={}).status_code == 200  # the voter left
            assert voter.post("/cast", json={}).status_code == 409
        assert worker.post("/close", json={"pin": PIN}).status_code == 200
        final = parse_payload((kiosk.out / "final-acta.acta.txt").read_text()).acta
        assert final.voters == 1 and final.ballots == code
        record = (kiosk.out / "machine.journal.ballots").read_text().splitlines()
        assert [json.loads(line)["code"] for line in record[1:]] == [shown, code]
        answer = wait_for(
            lambda: found if (found := httpx.get(f"{board.url}/v1/ballot/{code[:16]}")).is_success else None
        )
        assert answer is not None, worker.get("/status").json()["transmission"]
        found = answer.json()
        assert (found["station"], found["state"], found["place"]) == (station, "cast", 2)
        spoiled = httpx.get(f"{board.url}/v1/ballot/{shown[:16]}").json()
        assert spoiled["state"] == "spoiled" and spoiled["spoiled"] == {"choice": first}
    assert code not in " ".join(kiosk.log) and shown not in " ".join(kiosk.log)  # the log holds no code
