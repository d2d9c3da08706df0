"""`actas verify`: a board mirrored from a real server and checked by someone who trusts nobody; each kind of
tampering is found and named."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from actas.acta.codec import parse_payload, sign_acta
from actas.demo.parallel import publish_tampered
from actas.errors import InputError
from actas.files import load_election, load_signer
from actas.ledger.checkpoint import Checkpoint
from actas.mirror import CHECKPOINTS, ENTRIES
from actas.server.process import RunningServer, start_server
from actas.signed_note import SignedNote, Signer
from actas.sim.scenarios import Tampering
from tests.conftest import DatabaseUrls, assert_clean_failure, behind_the_servers_back, run_actas, simulated_day

TEXT = {"content-type": "text/plain"}


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulated_day(tmp_path_factory.mktemp("verifyday"), 40, 13)


@pytest.fixture
def server(day: Path, database_url: str, tmp_path: Path) -> Iterator[RunningServer]:
    running = start_server(day / "e", day / "d" / "registry.note", database_url, tmp_path / "board.key")
    for line in (day / "d" / "actas.jsonl").read_text().splitlines()[:60]:
        answer = httpx.post(running.url + "/v1/actas", content=json.loads(line)["payload"], headers=TEXT)
        assert answer.status_code == 201
    yield running
    running.stop()


def verify(*args: str | Path) -> tuple[int, dict[str, object], str]:
    result = run_actas("verify", *args, "--json")
    assert "Traceback" not in result.stderr
    return result.code, json.loads(result.stdout) if result.stdout.strip() else {}, result.stderr


def key_text(server: RunningServer) -> str:
    return server.board_key.to_text()


def test_a_clean_board_verifies_from_the_server_and_from_its_mirror(server: RunningServer, tmp_path: Path) -> None:
    mirror = tmp_path / "m"
    code, report, _ = verify(server.url, "--mirror", mirror, "--board-key", key_text(server))
    assert code == 0 and report["ok"] is True and report["failed"] == 0, report
    assert report["size"] == 62 and all(c["passed"] for c in report["checks"])  # type: ignore[union-attr]
    national = httpx.get(server.url + "/v1/results").json()
    assert report["results"]["contests"] == national["contests"]  # type: ignore[index]
    assert report["results"]["stations"] == national["stations"]  # type: ignore[index]
    offline = run_actas("verify", mirror, "--board-key", key_text(server))
    assert offline.code == 0 and "ok   every acta against the key registry: 60 actas" in offline.stdout
    # more actas later: the mirror catches up, and every checkpoint seen before must still hold
    for line in (server_day(server) / "d" / "actas.jsonl").read_text().splitlines()[60:70]:
        httpx.post(server.url + "/v1/actas", content=json.loads(line)["payload"], headers=TEXT)
    code, report, _ = verify(server.url, "--mirror", mirror, "--board-key", key_text(server))
    assert code == 0 and report["size"] == 72


def server_day(server: RunningServer) -> Path:
    command = server.process.args
    assert isinstance(command, list)
    return Path(command[command.index("--election") + 1]).parent


def test_a_tampered_entry_is_found(server: RunningServer, tmp_path: Path) -> None:
    mirror = tmp_path / "m"
    assert run_actas("mirror", server.url, mirror).code == 0
    lines = (mirror / ENTRIES).read_text().splitlines()
    entry = json.loads(lines[10])
    entry["data"] = entry["data"].replace("voters ", "voters 1", 1)
    lines[10] = json.dumps(entry)
    (mirror / ENTRIES).write_text("\n".join(lines) + "\n")
    code, report, _ = verify(mirror, "--board-key", key_text(server))
    assert code == 1
    items = {f["item"] for f in report["failures"]}  # type: ignore[union-attr]
    assert "the latest checkpoint" in items and any(i.startswith("entry 10,") for i in items)


def test_a_rewritten_or_forked_history_is_found(server: RunningServer, day: Path, tmp_path: Path) -> None:
    """The board signs, at some point, a checkpoint of a history other than the one it now serves."""
    mirror = tmp_path / "m"
    assert run_actas("mirror", server.url, mirror).code == 0
    signer = load_signer(tmp_path / "board.key")
    notes = [json.loads(x) for x in (mirror / CHECKPOINTS).read_text().splitlines()]
    rewritten = Checkpoint(server.origin, 30, b"\x01" * 32).sign(signer)
    with (mirror / CHECKPOINTS).open("a") as f:
        f.write(json.dumps(rewritten) + "\n")
    code, report, _ = verify(mirror, "--board-key", key_text(server))
    assert code == 1
    problems = [f["problem"] for f in report["failures"]]  # type: ignore[union-attr]
    assert any("rewrote its history" in p or "forked" in p for p in problems), problems
    # a checkpoint by another key is no checkpoint of this board
    (mirror / CHECKPOINTS).write_text("".join(json.dumps(n) + "\n" for n in notes))
    stranger = Checkpoint(server.origin, 5, b"\x02" * 32).sign(Signer.generate("stranger"))
    with (mirror / CHECKPOINTS).open("a") as f:
        f.write(json.dumps(stranger) + "\n")
    code, report, _ = verify(mirror, "--board-key", key_text(server))
    assert code == 1 and any("signature" in f["problem"] for f in report["failures"])  # type: ignore[union-attr]


def test_an_acta_signed_by_a_key_not_in_the_registry_is_found(server: RunningServer, day: Path, tmp_path: Path) -> None:
    """The authority's own server publishes an acta of a station signed by a key the registry does not list."""
    records = [json.loads(x) for x in (day / "d" / "actas.jsonl").read_text().splitlines()]
    last = parse_payload(records[-1]["payload"])
    forger = Signer.generate(last.acta.machine)
    forged = sign_acta(dataclasses.replace(last.acta), forger)
    election = load_election(day / "e")
    registry = (day / "d" / "registry.note").read_text()
    publish_tampered(
        str(server_db(server)), tmp_path / "board.key", server.origin, election, registry,
        Tampering({last.acta.station: forged.payload}, frozenset()),
    )  # fmt: skip
    code, report, _ = verify(server.url, "--mirror", tmp_path / "m", "--board-key", key_text(server))
    assert code == 1 and report["failed"] == 1
    (failure,) = report["failures"]  # type: ignore[misc]
    assert last.acta.station in failure["item"] and "signature" in failure["problem"]


def server_db(server: RunningServer) -> str:
    command = server.process.args
    assert isinstance(command, list)
    return str(command[command.index("--db") + 1])


def test_an_announcement_that_the_actas_do_not_add_up_to_is_found(
    server: RunningServer, day: Path, tmp_path: Path
) -> None:
    national = httpx.get(server.url + "/v1/results").json()
    contest = national["contests"][0]
    true = ",".join(f"{c['id']}={c['votes']}" for c in contest["candidates"])
    leader = max(contest["candidates"], key=lambda c: c["votes"])
    false = ",".join(f"{c['id']}={c['votes'] + (500 if c is leader else 0)}" for c in contest["candidates"])
    region = national["children"][0]["code"]
    regional = httpx.get(server.url + "/v1/results", params={"code": region}).json()["contests"][0]["candidates"]
    in_region = ",".join(f"{c['id']}={c['votes']}" for c in regional)  # true of the region, not of the nation
    for votes, title, unit in ((true, "First bulletin", ""), (false, "Second bulletin", ""),
            (in_region, "Regional bulletin", region)):  # fmt: skip
        announced = run_actas(
            "announce", "--server", server.url, "--election", day / "e", "--key", day / "d" / "keys" / "authority.key",
            "--title", title, "--votes", f"{contest['id']}:{votes}", *(("--unit", unit) if unit else ()),
        )  # fmt: skip
        assert announced.code == 0, announced.stderr
    code, report, _ = verify(server.url, "--mirror", tmp_path / "m", "--board-key", key_text(server))
    assert code == 1 and report["failed"] == 1
    (failure,) = report["failures"]  # type: ignore[misc]
    assert failure["item"] == "entry 63 (announcement)"
    assert (
        failure["problem"]
        == f"{leader['id']}: announced {leader['votes'] + 500:,}, the actas before it say {leader['votes']:,}"
    )
    checks = {c["check"]: c for c in report["checks"]}  # type: ignore[union-attr]
    assert checks["the announcements against the actas before them"]["detail"] == "2 of 3 announcements agree"


def test_what_cannot_be_verified_is_refused_clearly(tmp_path: Path) -> None:
    assert_clean_failure(run_actas("verify", tmp_path), 2)
    assert_clean_failure(run_actas("verify", "http://127.0.0.1:9", "--mirror", tmp_path / "m"), 2)
    assert_clean_failure(run_actas("verify", tmp_path, "--board-key", "not-a-key"), 2)


def test_a_board_rolled_back_behind_the_servers_back_is_caught(
    day: Path, databases: DatabaseUrls, tmp_path: Path
) -> None:
    """The database's owner deletes the last 20 acknowledged entries with their checkpoints. The server
    refuses to start on what is left while it keeps its checkpoint file; an owner who deletes that too gets
    a server that starts, and a board that verifies on its own, but not against the machines' receipts or a
    checkpoint someone saved."""
    key = tmp_path / "board.key"
    with start_server(day / "e", day / "d" / "registry.note", databases.server, key) as server:
        outbox = tmp_path / "sent.jsonl"
        sent = run_actas(
            "transmit", day / "d", "--server", server.url, "--board-key", key_text(server), "--outbox", outbox
        )
        assert sent.code == 0, sent.stdout + sent.stderr
        saved = tmp_path / "newspaper.note"
        saved.write_text(httpx.get(server.url + "/v1/board/checkpoint").text)
        board_key = key_text(server)
    size = len((day / "d" / "actas.jsonl").read_text().splitlines()) + 2
    assert Checkpoint.from_text(SignedNote.from_text(saved.read_text()).text).size == size
    behind_the_servers_back(
        databases.owner,
        ("DELETE FROM actas WHERE idx >= :n", {"n": size - 20}),
        ("DELETE FROM board_entries WHERE idx >= :n", {"n": size - 20}),
        ("DELETE FROM checkpoints WHERE size > :n", {"n": size - 20}),
    )
    with pytest.raises(InputError, match=f"holds {size - 20:,} entries, fewer than the {size:,}"):
        start_server(day / "e", day / "d" / "registry.note", databases.server, key)
    (tmp_path / "board.checkpoint").unlink()
    with start_server(day / "e", day / "d" / "registry.note", databases.server, key) as server:
        alone, report, _ = verify(server.url, "--mirror", tmp_path / "m1", "--board-key", board_key)
        assert alone == 0 and report["size"] == size - 20  # consistent with itself: a first mirror sees nothing
        code, report, _ = verify(
            server.url, "--mirror", tmp_path / "m2", "--board-key", board_key, "--receipts", outbox
        )
        assert code == 1
        dropped = [f for f in report["failures"] if "rolled back" in f["problem"]]  # type: ignore[union-attr]
        assert len(dropped) >= 20 and all(f["item"].startswith("receipt of acta") for f in dropped)
        code, report, _ = verify(tmp_path / "m2", "--board-key", board_key, "--checkpoint", saved)
        assert code == 1 and any(
            f["item"] == f"checkpoint {saved}"
            and f"signed {size:,} entries and now shows {size - 20:,}" in f["problem"]
            for f in report["failures"]  # type: ignore[union-attr]
        )
