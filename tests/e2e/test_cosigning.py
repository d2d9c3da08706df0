"""An official board with three cosigners, every process real: the server asks them after each checkpoint,
publishes what they cosigned with its mark against the quorum, keeps going when they are down, and
refuses to start from a database older than what they cosigned."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from actas.board import Board
from actas.board.outcome import Refused
from actas.files import load_election, signer_at, write_private
from actas.ledger.checkpoint import open_checkpoint
from actas.ledger.cosignature import Cosigner, CosignerPolicy, PolicyCosigner
from actas.server.cosigning import Cosigning, CosignPace
from actas.server.process import RunningServer, start_server
from actas.signed_note import SignedNote
from actas.store.database import Database
from tests.conftest import (
    Cosigners,
    assert_clean_failure,
    enroll_witnesses,
    origin_of,
    run_actas,
    running_cosigners,
    simulated_day,
    wait_for,
)


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulated_day(tmp_path_factory.mktemp("cosignday"), 40, 5)


@pytest.fixture
def cosigners(day: Path, tmp_path: Path) -> Iterator[Cosigners]:
    with running_cosigners(day, tmp_path) as running:
        yield running


def serve(day: Path, db: str, cosigners: Cosigners, *options: str) -> RunningServer:
    return start_server(
        day / "e", day / "d" / "registry.note", db, cosigners.board_key,
        options=["--cosigners", str(cosigners.policy_file), "--cosign-timeout", "2", *options],
    )  # fmt: skip


def finals(day: Path) -> list[str]:
    records = [json.loads(x) for x in (day / "d" / "actas.jsonl").read_text().splitlines()]
    return [r["payload"] for r in records if r["kind"] == "final"]


def submit(server: RunningServer, payload: str) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/actas", content=payload, headers={"content-type": "text/plain"}, timeout=60)


def test_receipts_and_the_checkpoint_carry_a_quorum_of_cosignatures_and_readers_require_it(
    day: Path, database_url: str, cosigners: Cosigners, tmp_path: Path
) -> None:
    server = serve(day, database_url, cosigners)
    try:
        answer = submit(server, finals(day)[0])
        assert answer.status_code == 201, answer.text
        note = SignedNote.from_text(answer.json()["checkpoint"])
        assert cosigners.board.verifier.verifies(note)
        check = cosigners.policy.check(note)
        assert check.met and len(check.signed) == 3
        served = httpx.get(f"{server.url}/v1/board/checkpoint", timeout=30)
        assert served.headers["actas-cosignatures"] == "3/2"
        assert open_checkpoint(served.text, cosigners.board.verifier).size >= 3
        view = httpx.get(f"{server.url}/v1/board/cosigners", timeout=30).json()
        assert view["met"] and [c["signed"] for c in view["cosigners"]] == [True, True, True]
        station = json.loads((day / "e" / "election.json").read_text())["stations"][0]["code"]
        page = " ".join(httpx.get(f"{server.url}/mesa/{station}", timeout=30).text.split())
        assert "cosigned by cosigner0.test, cosigner1.test, cosigner2.test (3 valid cosignatures, 2 required" in page
        key = ("--board-key", cosigners.board.verifier.to_text())
        policy = ("--cosigners", str(cosigners.policy_file))
        verified = run_actas("verify", server.url, "--mirror", tmp_path / "m", *key, *policy)
        assert verified.code == 0, verified.stdout + verified.stderr
        assert "ok   the latest checkpoint's cosignatures: 3 valid cosignatures where 2 are required" in verified.stdout
        (tmp_path / "one.acta").write_text(finals(day)[2])
        sent = run_actas("transmit", tmp_path / "one.acta", "--server", server.url, *key, *policy)
        assert sent.code == 0, sent.stdout + sent.stderr

        cosigners.running[0].stop()
        cosigners.running[1].stop()
        late = submit(server, finals(day)[1])  # two cosigners down: ingest goes on, past the timeout
        assert late.status_code == 201, late.text
        short = cosigners.policy.check(SignedNote.from_text(late.json()["checkpoint"]))
        assert not short.met and short.missing == ("cosigner0.test", "cosigner1.test")
        served = httpx.get(f"{server.url}/v1/board/checkpoint", timeout=30)
        assert served.headers["actas-cosignatures"] == "1/2"
        view = httpx.get(f"{server.url}/v1/board/cosigners", timeout=30).json()
        assert not view["met"] and view["cosigners"][0]["problem"]
        page = " ".join(httpx.get(f"{server.url}/mesa/{station}", timeout=30).text.split())
        assert "NOT ENOUGH, missing cosigner0.test, cosigner1.test" in page
        assert "its inclusion is not verified: the checkpoint has 1 valid cosignatures where 2 are required" in page

        (tmp_path / "two.acta").write_text(finals(day)[3])
        refused = run_actas("transmit", tmp_path / "two.acta", "--server", server.url, *key, *policy)
        assert refused.code == 1 and "missing or invalid: cosigner0.test, cosigner1.test" in refused.stdout
        mirrored = run_actas("mirror", server.url, tmp_path / "m2", *policy)
        assert_clean_failure(mirrored, 1)
        assert "1 valid cosignatures where 2 are required" in mirrored.stderr
        failed = run_actas("verify", server.url, "--mirror", tmp_path / "m", *key, *policy)
        assert failed.code == 1 and "FAIL the latest checkpoint's cosignatures" in failed.stdout
    finally:
        server.stop()


def test_rounds_of_requests_to_the_cosigners_are_paced_and_each_covers_every_acta_before_it(
    day: Path, cosigners: Cosigners, tmp_path: Path
) -> None:
    registry = (day / "d" / "registry.note").read_text()
    signer = signer_at(cosigners.board_key, "unused")
    board = Board(
        Database(f"sqlite:///{tmp_path / 'paced.sqlite'}"), load_election(day / "e"), registry, signer, origin_of(day)
    )
    board.use_cosigners(cosigners.policy)
    board.open()
    payloads = finals(day)[:6]

    def commit(payload: str) -> None:
        checked = board.check(payload.encode())
        assert not isinstance(checked, Refused), checked
        board.commit([checked])

    async def run() -> tuple[list[float], list[int]]:
        cosigning = Cosigning(board, CosignPace(timeout=5, every=0.5))
        starts, sizes = [], []
        try:
            for payload in payloads[:3]:
                commit(payload)
                published = await cosigning.publish()
                assert published is not None and published.met
                starts.append(cosigning.round_started)
            for payload in payloads[3:]:
                commit(payload)  # three actas committed while a round is due: one round covers them all
            together = await asyncio.gather(*(cosigning.publish() for _ in range(3)))
            starts.append(cosigning.round_started)
            sizes = [p.checkpoint.size for p in together if p is not None]
        finally:
            await cosigning.close()
        return starts, sizes

    starts, sizes = asyncio.run(run())
    assert all(later - earlier >= 0.5 for earlier, later in zip(starts, starts[1:], strict=False))
    latest = board.latest_checkpoint()
    assert latest is not None and sizes == [latest[0].size] * 3 == [2 + 6] * 3  # definition, registry, six actas


def test_a_board_restored_from_an_older_database_is_caught_by_its_cosigners(
    day: Path, tmp_path: Path, cosigners: Cosigners
) -> None:
    db = tmp_path / "board.sqlite"
    server = serve(day, f"sqlite:///{db}", cosigners)
    try:
        assert submit(server, finals(day)[0]).status_code == 201
    finally:
        server.stop()
    (tmp_path / "backup").mkdir()
    for part in tmp_path.glob("board.sqlite*"):  # the database with its write-ahead log
        shutil.copy(part, tmp_path / "backup" / part.name)
    server = serve(day, f"sqlite:///{db}", cosigners)
    try:
        for payload in finals(day)[1:4]:
            assert submit(server, payload).status_code == 201
    finally:
        server.stop()
    for part in tmp_path.glob("board.sqlite*"):  # the authority restores the old database...
        part.unlink()
    for part in (tmp_path / "backup").iterdir():
        shutil.copy(part, tmp_path / part.name)
    (tmp_path / "board.checkpoint").unlink()  # ...and the checkpoint kept beside its key
    refused = run_actas(
        "serve", "--election", day / "e", "--registry", day / "d" / "registry.note", "--db", f"sqlite:///{db}",
        "--board-key", cosigners.board_key, "--port", "0", "--cosigners", cosigners.policy_file,
        "--cosign-timeout", "5", timeout=120,
    )  # fmt: skip
    assert_clean_failure(refused, 1)
    assert "rolled back" in refused.stderr and "cosigner" in refused.stderr


def test_the_policy_published_in_the_registry_is_the_default(day: Path, tmp_path: Path, cosigners: Cosigners) -> None:
    shutil.copytree(day / "e", tmp_path / "e")
    generated = run_actas(
        "keys", "generate", "--election", tmp_path / "e", "--out", tmp_path / "k",
        "--cosigners", cosigners.policy_file, "--quorum", "3",
    )  # fmt: skip
    assert generated.code == 0, generated.stderr
    registry = (tmp_path / "k" / "registry.note").read_text()
    assert "\nquorum 3\ncosigner cosigner0.test+" in registry
    db = f"sqlite:///{tmp_path / 'board.sqlite'}"
    server = start_server(tmp_path / "e", tmp_path / "k" / "registry.note", db, cosigners.board_key)
    try:
        assert wait_for(
            lambda: (
                httpx.get(f"{server.url}/v1/board/checkpoint", timeout=30).headers.get("actas-cosignatures") == "3/3"
            )
        )
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("scenario", "refusal", "proof"),
    [
        ("split-view", "which does not extend it", "the public's verifier: refused, and the proof named"),
        ("rollback", "the board signed 30 entries and now shows", "a fresh mirror's verifier: refused"),
    ],
)
def test_the_demo_catches_a_split_view_and_a_rollback(tmp_path: Path, scenario: str, refusal: str, proof: str) -> None:
    result = run_actas("demo", "--stations", 14, "--out", tmp_path / "demo", "--scenario", scenario, timeout=240)
    assert result.code == 0, result.stdout + result.stderr
    said = " ".join(result.stdout.split())
    assert "the server did not start" in said and "cosigned: it was rolled back" in said  # its own server refuses
    assert "the authority publishes it anyway" in said
    assert refusal in said and proof in said
    assert "every attempt was caught" in said


def test_an_observers_server_is_one_of_the_official_boards_cosigners(
    day: Path, tmp_path: Path, cosigners: Cosigners
) -> None:
    enroll_witnesses(tmp_path, 1, day / "e")
    key = Cosigner.generate("observers.test")
    write_private(tmp_path / "observer-cosigner.key", key.to_text() + "\n")
    observer = start_server(
        day / "e", day / "d" / "registry.note", f"sqlite:///{tmp_path / 'observer.sqlite'}", tmp_path / "observer.key",
        witnesses=tmp_path / "witnesses.txt",
        options=["--cosign-key", str(tmp_path / "observer-cosigner.key"),
            "--official-key", cosigners.board.verifier.to_text()],
    )  # fmt: skip
    try:
        mine = PolicyCosigner(key.key, f"{observer.url}/cosigner")
        policy = CosignerPolicy((mine, PolicyCosigner(cosigners.running[0].key, cosigners.running[0].url)), 2)
        (tmp_path / "both.policy").write_text(policy.to_text())
        official = start_server(
            day / "e", day / "d" / "registry.note", f"sqlite:///{tmp_path / 'official.sqlite'}", cosigners.board_key,
            options=["--cosigners", str(tmp_path / "both.policy")],
        )  # fmt: skip
        try:
            answer = submit(official, finals(day)[0])
            assert answer.status_code == 201, answer.text
            check = policy.check(SignedNote.from_text(answer.json()["checkpoint"]))
            assert check.met and [name for name, _ in check.signed] == ["observers.test", "cosigner0.test"]
            held = httpx.get(f"{observer.url}/cosigner/latest/{origin_of(day)}", timeout=30)
            assert held.status_code == 200 and key.key.find(SignedNote.from_text(held.text)) is not None
        finally:
            official.stop()
    finally:
        observer.stop()
    alone = run_actas("serve", "--election", day / "e", "--registry", day / "d" / "registry.note",
        "--cosign-key", tmp_path / "observer-cosigner.key", "--port", "0", cwd=tmp_path)  # fmt: skip
    assert_clean_failure(alone, 2)
