"""The tabulation server in a subprocess on a free loopback port, on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actas.acta.codec import parse_payload
from actas.ledger.checkpoint import Checkpoint, open_checkpoint
from actas.ledger.merkle import leaf_hash, verify_consistency, verify_inclusion
from actas.server.process import RunningServer, start_server
from actas.signed_note import Signer
from tests.conftest import ACTAS, assert_clean_failure, enroll_witnesses, run_actas, simulated_day, wait_for
from tests.web.test_kiosk import local_address, self_signed

ERROR_KEYS = {"code", "message"}
TEXT = {"content-type": "text/plain"}


def start(
    election: Path, registry: Path, db: str, key: Path, interval: float = 0.3, port: int = 0, workers: int = 1
) -> RunningServer:
    return start_server(election, registry, db, key, port=port, refresh_interval=interval, workers=workers)


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulated_day(tmp_path_factory.mktemp("serverday"), 120, 8)


@pytest.fixture
def server(day: Path, database_url: str, tmp_path: Path) -> Iterator[RunningServer]:
    running = start(day / "e", day / "d" / "registry.note", database_url, tmp_path / "board.key")
    yield running
    running.stop()


def payloads(day: Path, kind: str = "final") -> list[str]:
    records = [json.loads(x) for x in (day / "d" / "actas.jsonl").read_text().splitlines()]
    return [r["payload"] for r in records if r["kind"] == kind]


def post(url: str, body: bytes | str, content_type: str = "text/plain") -> httpx.Response:
    return httpx.post(url + "/v1/actas", content=body, headers={"content-type": content_type}, timeout=30)


def test_an_acta_is_acknowledged_with_a_receipt_anyone_can_check(server: RunningServer, day: Path) -> None:
    acta = payloads(day)[0]
    response = post(server.url, acta)
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert receipt["status"] == "accepted" and receipt["index"] == 2
    assert receipt["leaf_hash"] == leaf_hash(acta.encode()).hex()
    checkpoint = open_checkpoint(receipt["checkpoint"], server.board_key, server.origin)
    proof = [bytes.fromhex(p) for p in receipt["inclusion_proof"]]
    verify_inclusion(leaf_hash(acta.encode()), 2, checkpoint.size, proof, checkpoint.root)

    again = post(server.url, acta)
    assert again.status_code == 200 and again.json()["index"] == 2 and again.json()["status"] == "duplicate"


def test_a_second_different_acta_is_kept_and_flagged(server: RunningServer, day: Path) -> None:
    mine, theirs = payloads(day)[:2]
    assert post(server.url, mine).status_code == 201
    # a valid acta of another station, relabelled, fails its signature: refused
    station = mine.split("\nstation ")[1].split("\n")[0]
    other_station = theirs.split("\nstation ")[1].split("\n")[0]
    forged = theirs.replace(f"station {other_station}\n", f"station {station}\n")
    refused = post(server.url, forged)
    assert refused.status_code == 422 and set(refused.json()["error"]) == ERROR_KEYS
    status = httpx.get(f"{server.url}/v1/actas/{station}").json()
    assert status["status"] == "reported" and len(status["actas"]) == 1
    assert status["actas"][0]["payload"] == mine


def latest(server: RunningServer) -> Checkpoint:
    """The board's latest checkpoint, its signature checked."""
    return open_checkpoint(httpx.get(server.url + "/v1/board/checkpoint").text, server.board_key, server.origin)


def test_refusals_are_clear_and_change_nothing(server: RunningServer, day: Path) -> None:
    before = Checkpoint.from_text(httpx.get(server.url + "/v1/board/checkpoint").text.split("\n\n")[0] + "\n")
    cases = [
        (post(server.url, "hello"), 400, "malformed"),
        (post(server.url, payloads(day)[0], "application/json"), 415, "unsupported_media_type"),
        (post(server.url, "x" * 100_000), 413, "too_large"),
        (post(server.url, iter([b"actas acta v1\n"] + [b"9" * 8192] * 8)), 413, "too_large"),  # chunked, no length
        (post(server.url, payloads(day)[0].replace("voters ", "voters 9", 1)), 422, "invalid"),
        (httpx.get(server.url + "/v1/actas/NOWHERE"), 404, "not_found"),
        (httpx.get(server.url + "/v1/board/proof/inclusion?index=99&size=100"), 404, "not_found"),
        (httpx.get(server.url + "/v1/board/proof/inclusion?index=-1&size=2"), 400, "bad_request"),
        (httpx.get(server.url + "/v1/board/entries?start=x"), 400, "bad_request"),
        (httpx.get(server.url + "/v1/results?code=ZZ"), 404, "not_found"),
        (httpx.delete(server.url + "/v1/actas"), 405, "method_not_allowed"),
    ]
    for response, status, code in cases:
        assert response.status_code == status, (response.status_code, response.text)
        assert response.json() == {"error": {"code": code, "message": response.json()["error"]["message"]}}
    recorded = wait_for(lambda: httpx.get(server.url + "/v1/rejections").json()["rejections"])
    after = Checkpoint.from_text(httpx.get(server.url + "/v1/board/checkpoint").text.split("\n\n")[0] + "\n")
    assert after == before
    assert {r["reason"][:20] for r in recorded} and all("payload" not in r for r in recorded)


def test_the_board_can_be_mirrored_and_checked(server: RunningServer, day: Path) -> None:
    result = run_actas("transmit", day / "d", "--server", server.url, "--outbox", day / f"out-{time.time()}.jsonl")
    assert result.code == 0, result.stdout + result.stderr
    checkpoint = wait_for(lambda: latest(server) if latest(server).size == 2 + 240 else None)
    assert checkpoint is not None and checkpoint.size == 2 + 240
    lines = httpx.get(server.url + "/v1/board/entries.jsonl").text.splitlines()
    from actas.ledger.merkle import MerkleTree

    mirror = MerkleTree(leaf_hash(json.loads(x)["data"].encode()) for x in lines)
    assert mirror.size == checkpoint.size and mirror.root() == checkpoint.root
    page = httpx.get(server.url + "/v1/board/entries?start=2&end=4").json()["entries"]
    assert [e["index"] for e in page] == [2, 3]
    proof = httpx.get(f"{server.url}/v1/board/proof/consistency?from=10&to={checkpoint.size}").json()["proof"]
    verify_consistency(10, checkpoint.size, [bytes.fromhex(p) for p in proof], mirror.root(10), checkpoint.root)

    results = httpx.get(server.url + "/v1/results").json()
    assert results["checkpoint"]["size"] == checkpoint.size
    assert results["stations"] == {"expected": 120, "reported": 120, "conflicts": 0}
    region = results["children"][0]["code"]
    regional = httpx.get(f"{server.url}/v1/results?level=region&code={region}").json()
    assert regional["level"] == "region" and regional["stations"]["reported"] == regional["stations"]["expected"]
    assert "/v1/actas" in httpx.get(server.url + "/openapi.json").json()["paths"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=3000) | st.text(max_size=3000).map(str.encode))
def test_fuzzed_submissions_never_cause_a_500_or_a_new_entry(server: RunningServer, body: bytes) -> None:
    response = post(server.url, body)
    assert response.status_code in (400, 413, 422), response.text
    assert set(response.json()["error"]) == ERROR_KEYS


@pytest.mark.parametrize("workers", [1, 2], ids=["one-process", "two-processes"])
def test_killed_mid_stream_the_server_loses_no_acknowledged_acta(
    day: Path, database_url: str, tmp_path: Path, workers: int
) -> None:
    """With two server processes, both append to one board; killing the server kills both (the restart
    on the same port would fail if either were left listening)."""
    key, outbox = tmp_path / "board.key", tmp_path / "sent.jsonl"
    server = start(day / "e", day / "d" / "registry.note", database_url, key, interval=0.2, workers=workers)
    sender = subprocess.Popen(
        [str(ACTAS), "transmit", str(day / "d"), "--server", server.url, "--outbox", str(outbox), "--workers", "16"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seen: list[Checkpoint] = []

    def sixty_acknowledged() -> bool:
        """Every checkpoint seen on the way is kept, to hold the restarted board to them."""
        response = httpx.get(server.url + "/v1/board/checkpoint")
        if response.status_code == 200:
            seen.append(open_checkpoint(response.text, server.board_key, server.origin))
        return outbox.exists() and len(outbox.read_text().splitlines()) >= 60

    wait_for(sixty_acknowledged, timeout=120)
    server.stop(signal.SIGKILL)  # the power goes out mid-stream
    acknowledged = [json.loads(x) for x in outbox.read_text().splitlines()]
    assert len(acknowledged) >= 60 and sender.poll() is None

    port = int(server.url.rsplit(":", 1)[1])  # back on the same address: the sender's retries find it
    server = start(day / "e", day / "d" / "registry.note", database_url, key, interval=0.2, port=port, workers=workers)
    try:
        assert sender.wait(timeout=180) == 0
        finish = run_actas("transmit", day / "d", "--server", server.url, "--outbox", outbox)
        assert finish.code == 0 and "240 skipped" in finish.stdout, finish.stdout + finish.stderr
        wait_for(lambda: latest(server).size == 2 + 240)
        lines = httpx.get(server.url + "/v1/board/entries.jsonl").text.splitlines()
        datas = [json.loads(x)["data"] for x in lines]
        assert len(datas) == len(set(datas)) == 2 + 240  # everything once, nothing twice
        on_board = {leaf_hash(d.encode()) for d in datas}
        digests = {hashlib.sha256(d.encode()).hexdigest() for d in datas}
        assert all(a["sha256"] in digests for a in acknowledged)  # every acknowledged acta survived
        assert len(on_board) == len(datas)
        final = open_checkpoint(httpx.get(server.url + "/v1/board/checkpoint").text, server.board_key, server.origin)
        for _ in range(8):  # a new connection each: with two processes, both answer, and both have caught up
            results = httpx.get(server.url + "/v1/results").json()
            assert results["stations"]["reported"] == 120 and results["checkpoint"]["size"] == final.size
        for earlier in seen:
            proof = httpx.get(f"{server.url}/v1/board/proof/consistency?from={earlier.size}&to={final.size}").json()
            verify_consistency(
                earlier.size, final.size, [bytes.fromhex(p) for p in proof["proof"]], earlier.root, final.root
            )
    finally:
        server.stop()


NIST_SCHEMA = (
    Path(__file__).parents[2].parent
    / "shared"
    / "specs"
    / "nist-1500-100-v2"
    / "NIST_V2_election_results_reporting.json"
)


def test_exports_at_a_checkpoint_validate_and_add_up(server: RunningServer, day: Path) -> None:
    import csv
    import io

    import jsonschema

    finals = payloads(day)
    for acta in finals[:30]:
        assert post(server.url, acta).status_code == 201
    first = open_checkpoint(httpx.get(server.url + "/v1/board/checkpoint").text, server.board_key, server.origin)
    for acta in finals[30:40]:
        assert post(server.url, acta).status_code == 201
    if not NIST_SCHEMA.exists():
        pytest.skip(f"the NIST schema is not at {NIST_SCHEMA} (../shared/specs is absent)")
    schema = json.loads(NIST_SCHEMA.read_text())
    report = httpx.get(f"{server.url}/v1/export/nist.json?size={first.size}").json()
    jsonschema.validate(report, schema)
    assert report["Status"] == "unofficial-partial" and first.size > 2
    contest = report["Election"][0]["Contest"][0]
    counted = {v["GpUnitId"] for sel in contest["ContestSelection"] for v in sel["VoteCounts"]}
    assert len(counted) == contest["SubUnitsReported"] == first.size - 2

    latest = httpx.get(server.url + "/v1/export/mesas.csv").text
    rows = list(csv.DictReader(io.StringIO(latest)))
    assert len(rows) == 120 and sum(r["status"] == "counted" for r in rows) >= 40 - 1
    totals = httpx.get(server.url + "/v1/results").json()
    if totals["checkpoint"]["size"] == 42:
        assert sum(int(r["voters"]) for r in rows if r["status"] == "counted") == totals["voters"]
    assert httpx.get(f"{server.url}/v1/export/nist.json?size=7777").status_code == 404


def test_many_exports_at_once_are_made_once_and_leave_ingest_going(server: RunningServer, day: Path) -> None:
    """40 downloads of each export while actas arrive: every download of one checkpoint is the same bytes
    (made once, shared), an unchanged board answers 304, and the actas sent meanwhile are all acknowledged.
    How long a submission waits meanwhile is measured by bench/exports.py, not asserted here."""
    finals = payloads(day)
    for acta in finals[:60]:
        assert post(server.url, acta).status_code == 201
    with ThreadPoolExecutor(48) as pool:
        downloads = [
            pool.submit(httpx.get, f"{server.url}/v1/export/{kind}", timeout=120)
            for kind in ("nist.json", "mesas.csv")
            for _ in range(40)
        ]
        sent = [pool.submit(post, server.url, acta) for acta in finals[60:70]]
        answers = [d.result() for d in downloads]
        assert [s.result().status_code for s in sent] == [201] * 10
    for kind, group in (("nist.json", answers[:40]), ("mesas.csv", answers[40:])):
        assert {a.status_code for a in group} == {200}
        by_tag: dict[str, set[bytes]] = {}
        for answer in group:
            by_tag.setdefault(answer.headers["etag"], set()).add(answer.content)
        assert all(len(bodies) == 1 for bodies in by_tag.values())  # one checkpoint, one export
        latest = httpx.get(f"{server.url}/v1/export/{kind}")
        again = httpx.get(f"{server.url}/v1/export/{kind}", headers={"if-none-match": latest.headers["etag"]})
        assert again.status_code == 304 and again.content == b""


def announce(server: RunningServer, day: Path, key: Path, votes: str) -> Any:
    return run_actas(
        "announce", "--server", server.url, "--election", day / "e", "--key", key,
        "--title", "First bulletin, 10% of actas", "--votes", votes, "--voters", "10057",
    )  # fmt: skip


def test_the_authority_announces_from_the_command_line(server: RunningServer, day: Path) -> None:
    keys = day / "d" / "keys"
    result = announce(server, day, keys / "authority.key", "president:ALVAREZ=5150,BARROS=4445,others=462")
    assert result.code == 0 and "accepted: announcement 2" in result.stdout, result.stdout + result.stderr
    listed = httpx.get(server.url + "/v1/announcements").json()["announcements"]
    assert len(listed) == 1 and "contest president ALVAREZ=5150 BARROS=4445 others=462" in listed[0]["note"]
    not_a_key = announce(server, day, keys / "machines.keys", "president:ALVAREZ=1")
    assert not_a_key.code == 2 and "Traceback" not in not_a_key.stderr
    unknown = announce(server, day, keys / "authority.key", "president:NOBODY=1")
    assert unknown.code == 1 and "not on the ballot" in unknown.stderr


def test_a_relay_submits_actas_in_batches(server: RunningServer, day: Path) -> None:
    finals = payloads(day)
    lines = [
        json.dumps({"payload": finals[0]}),
        json.dumps({"payload": finals[0]}),
        "not json",
        json.dumps({"x": 1}),
        json.dumps({"payload": finals[1].replace("voters ", "voters 7", 1)}),
        json.dumps({"payload": finals[2]}),
        "[" * 100_000,  # nested deeper than any parser's stack
        '{"payload": ' + "[" * 100_000 + "]" * 100_000 + "}",
    ]
    response = httpx.post(
        server.url + "/v1/actas/batch",
        content="\n".join(lines),
        headers={"content-type": "application/x-ndjson"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["http_status"] for r in results] == [201, 200, 400, 400, 422, 201, 400, 400]
    checkpoint = open_checkpoint(results[5]["checkpoint"], server.board_key, server.origin)
    proof = [bytes.fromhex(p) for p in results[5]["inclusion_proof"]]
    verify_inclusion(leaf_hash(finals[2].encode()), results[5]["index"], checkpoint.size, proof, checkpoint.root)
    too_many = "\n".join(['{"payload": "x"}'] * 1001)
    refused = httpx.post(
        server.url + "/v1/actas/batch", content=too_many, headers={"content-type": "application/x-ndjson"}
    )
    assert refused.status_code == 413 and set(refused.json()["error"]) == ERROR_KEYS
    assert (
        httpx.post(server.url + "/v1/actas/batch", content="{}", headers={"content-type": "text/plain"}).status_code
        == 415
    )

    outbox = day / f"batch-{time.time()}.jsonl"
    sent = run_actas("transmit", day / "d", "--server", server.url, "--batch", 50, "--outbox", outbox)
    assert sent.code == 0 and "238 accepted, 2 already on the board" in " ".join(sent.stdout.split()), sent.stdout
    again = run_actas("transmit", day / "d", "--server", server.url, "--batch", 50, "--outbox", outbox)
    assert again.code == 0 and "240 skipped" in " ".join(again.stdout.split())


def test_schemathesis_finds_no_server_error_in_the_openapi_description(server: RunningServer) -> None:
    """Every operation, fuzzed from its own OpenAPI description (the NDJSON batch endpoint, which
    schemathesis cannot generate bodies for, is fuzzed above with hypothesis)."""
    assert_no_server_error(server.url)


def assert_no_server_error(url: str) -> None:
    """schemathesis over the server's own OpenAPI description finds no 500."""
    schemathesis = Path(sys.executable).with_name("st")
    result = subprocess.run(
        [str(schemathesis), "run", f"{url}/openapi.json", "--checks", "not_a_server_error",
         "--max-examples", "25", "--seed", "1", "--exclude-path", "/v1/actas/batch", "--exclude-path",
         "/v1/ballots", "--exclude-path", "/v1/shares"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    assert "passed" in result.stdout and "Server error" not in result.stdout


def test_the_results_command_reads_a_server(server: RunningServer, day: Path) -> None:
    finals = payloads(day)[:10]
    for acta in finals:
        assert post(server.url, acta).status_code == 201
    national = httpx.get(server.url + "/v1/results").json()
    level = httpx.get(server.url + "/v1/results", params={"code": national["children"][0]["code"]}).json()["level"]
    shown = run_actas("results", server.url, "--level", level, "--json")
    assert shown.code == 0, shown.stderr
    summary = json.loads(shown.stdout)
    assert summary["national"]["stations"] == 10 and summary["declared"]["stations"] == 120
    assert sum(u["stations"] for u in summary["units"]) == 10
    assert summary["national"]["voters"] == national["voters"]
    assert_clean_failure(run_actas("results", "http://127.0.0.1:9"), 2)


def test_a_nist_export_imports_back_to_the_same_results(server: RunningServer, day: Path, tmp_path: Path) -> None:
    for acta in payloads(day)[:25]:
        assert post(server.url, acta).status_code == 201
    export = tmp_path / "results.json"
    export.write_bytes(httpx.get(server.url + "/v1/export/nist.json").content)
    imported = run_actas("import", "nist", export, "--out", tmp_path / "board.dataset")
    assert imported.code == 0, imported.stderr
    from_dataset = json.loads(run_actas("results", tmp_path / "board.dataset", "--json").stdout)["national"]
    from_server = json.loads(run_actas("results", server.url, "--json").stdout)["national"]
    for key in ("stations", "registered", "voters", "null", "valid", "votes"):
        assert from_dataset[key] == from_server[key], key
    export.write_text(re.sub(r'"Count":\s*', '"Count": -', export.read_text(), count=1))
    assert_clean_failure(run_actas("import", "nist", export, "--out", tmp_path / "bad.dataset"), 2)
    export.write_text("{not json")
    assert_clean_failure(run_actas("import", "nist", export, "--out", tmp_path / "bad.dataset"), 2)
    export.write_text('{"@type": "ElectionResults.ElectionReport"}')
    assert_clean_failure(run_actas("import", "nist", export, "--out", tmp_path / "bad.dataset"), 2)


def test_reconcile_a_server_against_an_observer_dataset(server: RunningServer, day: Path, tmp_path: Path) -> None:
    finals = payloads(day)
    for acta in finals[:15]:
        assert post(server.url, acta).status_code == 201
    export = tmp_path / "observer.json"
    export.write_text(httpx.get(server.url + "/v1/export/nist.json").text)
    assert run_actas("import", "nist", export, "--out", tmp_path / "same.dataset").code == 0
    same = run_actas("reconcile", server.url, tmp_path / "same.dataset")
    assert same.code == 0 and "15 identical" in same.stdout, same.stdout + same.stderr
    altered = re.sub(r'"Count":\s*(\d+)', lambda m: f'"Count": {int(m[1]) + 7}', export.read_text(), count=1)
    export.write_text(altered)
    assert run_actas("import", "nist", export, "--out", tmp_path / "altered.dataset").code == 0
    assert post(server.url, finals[15]).status_code == 201  # one more mesa the observer has not seen
    found = run_actas("reconcile", server.url, tmp_path / "altered.dataset", "--json")
    assert found.code == 1
    stations = json.loads(found.stdout)["stations"]
    assert stations == {"identical": 14, "different": 1, "only-official": 1, "only-observer": 0, "paper-differs": 0}


def test_a_full_disk_is_answered_507_or_503_and_nothing_acknowledged_is_lost(day: Path, tmp_path: Path) -> None:
    """The server's files may not grow past a few hundred kilobytes (RLIMIT_FSIZE, as a full disk): valid
    actas get 507 or 503 once the database cannot grow, garbage still gets 400, nothing gets a 500; started
    again with room, the board holds every acta it acknowledged."""
    db = f"sqlite:///{tmp_path / 'board.sqlite'}"
    common = (day / "e", day / "d" / "registry.note", db, tmp_path / "board.key")
    answers: dict[str, int] = {}
    with start_server(*common, wrapper=["prlimit", f"--fsize={400 * 1024}"]) as cramped:
        for payload in payloads(day):
            answer = httpx.post(cramped.url + "/v1/actas", content=payload, headers=TEXT, timeout=60)
            answers[payload] = answer.status_code
            assert answer.status_code in (201, 503, 507), answer.text
            if answer.status_code != 201:
                assert set(answer.json()["error"]) == ERROR_KEYS and answer.headers["retry-after"]
                break
        assert set(answers.values()) & {503, 507}, "the disk never filled: raise the acta count or lower the limit"
        garbage = httpx.post(cramped.url + "/v1/actas", content=b"garbage", headers=TEXT)
        assert garbage.status_code == 400
        assert httpx.get(cramped.url + "/v1/results").status_code == 200
    with start_server(*common) as roomy:
        for payload, status in answers.items():
            station = parse_payload(payload).acta.station
            held = httpx.get(f"{roomy.url}/v1/actas/{station}").json()["actas"]
            if status == 201:
                assert [a["payload"] for a in held] == [payload]
        refused = next(p for p, s in answers.items() if s != 201)
        assert httpx.post(roomy.url + "/v1/actas", content=refused, headers=TEXT).status_code == 201


def slow_clients(url: str, count: int) -> list[socket.socket]:
    """Connections that start a request and never finish its headers (slowloris)."""
    host, port = url.removeprefix("http://").split(":")
    held = []
    for _ in range(count):
        conn = socket.create_connection((host, int(port)), timeout=30)
        conn.sendall(b"GET /v1/results HTTP/1.1\r\nhost: slow\r\nx-slow: 1")
        held.append(conn)
    return held


def closed_by_server(conn: socket.socket, timeout: float) -> bool:
    conn.settimeout(timeout)
    try:
        return conn.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_slow_clients_cannot_hold_the_server(day: Path, tmp_path: Path) -> None:
    common = (day / "e", day / "d" / "registry.note", f"sqlite:///{tmp_path / 'b.sqlite'}", tmp_path / "b.key")
    with start_server(*common, options=["--read-timeout", "2", "--max-connections", "1000"]) as server:
        held = slow_clients(server.url, 800)
        served = httpx.get(server.url + "/v1/results", timeout=30)  # while 800 clients trickle their headers
        assert served.status_code == 200
        assert all(closed_by_server(conn, 60) for conn in held)  # each dropped once its time is up
        for conn in held:
            conn.close()
    with start_server(*common, options=["--read-timeout", "60", "--max-connections", "100"]) as server:
        crowd = slow_clients(server.url, 150)
        assert all(closed_by_server(conn, 10) for conn in crowd[100:])  # past the cap, closed at once
        assert not any(closed_by_server(conn, 0.01) for conn in crowd[:100])
        for conn in crowd:
            conn.close()
        assert wait_for(lambda: httpx.get(server.url + "/v1/results", timeout=30).status_code == 200)


def test_every_answer_carries_the_security_headers_and_writes_from_other_origins_are_refused(
    server: RunningServer, day: Path
) -> None:
    for path in ["/", "/v1/results", "/v1/board/checkpoint", "/static/actas.css", "/no/such/page", "/openapi.json"]:
        headers = httpx.get(server.url + path).headers
        assert "script-src 'self'" in headers["content-security-policy"], path
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "'unsafe-eval'" not in headers["content-security-policy"]  # WebAssembly only: 'wasm-unsafe-eval'
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert (headers["x-frame-options"], headers["x-content-type-options"]) == ("DENY", "nosniff"), path
        assert headers["referrer-policy"] == "no-referrer"
    acta = payloads(day)[3]
    for origin in ("http://evil.example", "null", server.url.replace("127.0.0.1", "localhost")):
        answer = httpx.post(server.url + "/v1/actas", content=acta, headers={**TEXT, "origin": origin})
        assert answer.status_code == 403 and set(answer.json()["error"]) == ERROR_KEYS, origin
    assert httpx.get(f"{server.url}/v1/actas/{parse_payload(acta).acta.station}").json()["actas"] == []
    assert post(server.url, acta).status_code == 201  # a machine sends no Origin
    own = httpx.post(server.url + "/v1/actas", content=acta, headers={**TEXT, "origin": server.url})
    assert own.status_code == 200  # the board's own pages may write


def test_witness_tokens_cross_the_network_only_under_tls(day: Path, tmp_path: Path) -> None:
    address = local_address()
    if address is None:
        pytest.skip("this machine has no address but loopback to reach the server from")
    tokens = enroll_witnesses(tmp_path, 1, day / "e")
    common = (day / "e", day / "d" / "registry.note", f"sqlite:///{tmp_path / 'o.sqlite'}", tmp_path / "o.key")
    me = {"authorization": f"Bearer {tokens['W-0001']}"}
    with start_server(*common, witnesses=tmp_path / "witnesses.txt", options=["--host", address]) as plain:
        assert plain.url.startswith(f"http://{address}:")
        refused = httpx.get(plain.url + "/v1/witness/me", headers=me)
        assert refused.status_code == 403 and "HTTPS" in refused.json()["error"]["message"]
        assert httpx.get(plain.url + "/v1/results").status_code == 200  # what is public stays public
    cert, key = self_signed(tmp_path, address)
    tls = ["--host", address, "--tls-cert", str(cert), "--tls-key", str(key)]
    with start_server(*common, witnesses=tmp_path / "witnesses.txt", options=tls) as secure:
        assert secure.url.startswith("https://")
        trusted = ssl.create_default_context(cafile=str(cert))
        assert httpx.get(secure.url + "/v1/witness/me", headers=me, verify=trusted).json() == {"witness": "W-0001"}
    loose = ["--host", address, "--insecure-http"]
    with start_server(*common, witnesses=tmp_path / "witnesses.txt", options=loose) as insecure:
        assert httpx.get(insecure.url + "/v1/witness/me", headers=me).status_code == 200


def test_transmit_checks_every_receipt_and_keeps_only_those_that_hold(
    server: RunningServer, day: Path, tmp_path: Path
) -> None:
    acta = tmp_path / "acta.txt"
    acta.write_text(payloads(day)[5])
    outbox = tmp_path / "sent.jsonl"
    stranger = Signer.generate("not.this.board").verifier.to_text()
    wrong = run_actas("transmit", acta, "--server", server.url, "--board-key", stranger, "--outbox", outbox)
    assert wrong.code == 1 and "does not prove the acta is on its board" in " ".join(wrong.stdout.split())
    assert not outbox.exists() or outbox.read_text() == ""  # a receipt that does not hold is not kept
    right = run_actas(
        "transmit", acta, "--server", server.url, "--board-key", server.board_key.to_text(), "--outbox", outbox
    )
    assert right.code == 0 and "1 already on the board" in " ".join(right.stdout.split())
    (kept,) = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert kept["receipt"]["index"] >= 2 and kept["origin"] == str(acta) and outbox.stat().st_mode & 0o077 == 0
    unpinned = run_actas("transmit", acta, "--server", server.url, "--outbox", tmp_path / "other.jsonl")
    assert unpinned.code == 0 and "pin it with --board-key" in unpinned.stderr


def test_transmission_retries_for_a_time_not_a_number_of_attempts(day: Path, database_url: str, tmp_path: Path) -> None:
    """With nobody at the address and a short --retry-for, a machine gives up (exit 2) and keeps nothing as
    sent. With the default, it keeps trying until its server comes: here the server starts only once the
    machine's first try has reached the address (a listener that hangs up on it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        nobody = f"http://127.0.0.1:{probe.getsockname()[1]}"
    outbox = tmp_path / "sent.jsonl"
    args = ["--outbox", outbox, "--workers", 4]
    gave_up = run_actas("transmit", day / "d", "--server", nobody, *args, "--retry-for", "2s")
    assert gave_up.code == 2 and "240 not delivered" in gave_up.stdout, gave_up.stdout + gave_up.stderr
    assert not outbox.exists() or outbox.read_text() == ""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    sender = subprocess.Popen(
        [str(ACTAS), "transmit", str(day / "d"), "--server", f"http://127.0.0.1:{port}", "--outbox", str(outbox)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        listener.settimeout(120)
        first, _ = listener.accept()  # the machine has tried: hang up, and go
        first.close()
        listener.close()
        server = start(day / "e", day / "d" / "registry.note", database_url, tmp_path / "board.key", port=port)
        try:
            assert sender.wait(timeout=300) == 0
            assert len(outbox.read_text().splitlines()) == 240
        finally:
            server.stop()
    finally:
        sender.kill()
        listener.close()
    for bad in ("ten minutes", "-5s", "2d", "nan", ""):
        assert_clean_failure(run_actas("transmit", day / "d", "--server", nobody, "--retry-for", bad), 2)
