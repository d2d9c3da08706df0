"""`actas cosigner serve` over real HTTP: tlog-witness's add-checkpoint, its statuses for every hostile
request, its state surviving a SIGKILL, and no two inconsistent checkpoints ever cosigned, whatever
arrives at once."""

from __future__ import annotations

import concurrent.futures
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from actas.files import write_private
from actas.ledger.add_checkpoint import SIZE_CONTENT_TYPE, AddCheckpoint, read_cosignatures
from actas.ledger.checkpoint import Checkpoint
from actas.ledger.cosignature import Cosigner
from actas.ledger.merkle import MerkleTree, verify_consistency
from actas.server.process import RunningCosigner, start_cosigner
from actas.signed_note import SignedNote, Signer
from tests.conftest import assert_clean_failure, run_actas

ORIGIN = "actas/test/official"


class Log:
    """A board's log as the test drives it: a tree, its key, and add-checkpoint requests over it."""

    def __init__(self, signer: Signer, leaves: list[bytes]) -> None:
        self.signer = signer
        self.tree = MerkleTree()
        for leaf in leaves:
            self.tree.append(leaf)

    def note(self, size: int) -> str:
        return Checkpoint(ORIGIN, size, self.tree.root(size)).sign(self.signer)

    def request(self, old: int, size: int) -> bytes:
        proof = tuple(self.tree.consistency_proof(old, size)) if 0 < old < size else ()
        return AddCheckpoint(old, proof, self.note(size)).to_bytes()


@pytest.fixture
def cosigner(tmp_path: Path) -> Iterator[tuple[RunningCosigner, Cosigner, Signer, Path]]:
    key = Cosigner.generate("cosigner.test")
    write_private(tmp_path / "cosigner.key", key.to_text() + "\n")
    board = Signer.generate("actas.test.official")
    running = start_cosigner(tmp_path / "cosigner.key", {ORIGIN: board.verifier}, tmp_path / "cosigner.sqlite")
    yield running, key, board, tmp_path
    running.stop()


def post(url: str, body: bytes, **headers: str) -> httpx.Response:
    return httpx.post(f"{url}/add-checkpoint", content=body, headers=headers, timeout=30)


def test_cosigns_a_growing_board_and_answers_the_spec_statuses(
    cosigner: tuple[RunningCosigner, Cosigner, Signer, Path],
) -> None:
    running, key, board, _ = cosigner
    log = Log(board, [f"entry {i}".encode() for i in range(40)])
    first = post(running.url, log.request(0, 10))
    assert first.status_code == 200, first.text
    (line,) = read_cosignatures(first.text)
    assert key.key.timestamp(SignedNote.from_text(log.note(10)).text, line) is not None

    stale = post(running.url, log.request(0, 20))
    assert stale.status_code == 409 and stale.text == "10\n"
    assert stale.headers["content-type"].startswith(SIZE_CONTENT_TYPE)
    assert post(running.url, log.request(10, 20)).status_code == 200
    assert post(running.url, log.request(20, 20)).status_code == 200  # the same checkpoint again

    bad_proof = AddCheckpoint(20, tuple(log.tree.consistency_proof(10, 30)), log.note(30)).to_bytes()
    assert post(running.url, bad_proof).status_code == 422
    larger_old = AddCheckpoint(31, (), log.note(30)).to_bytes()
    assert post(running.url, larger_old).status_code == 400
    other_key = Log(Signer.generate("actas.test.official"), [f"entry {i}".encode() for i in range(40)])
    assert post(running.url, other_key.request(20, 30)).status_code == 403
    unknown = AddCheckpoint(0, (), Checkpoint("another/board", 3, log.tree.root(3)).sign(board)).to_bytes()
    assert post(running.url, unknown).status_code == 404
    assert post(running.url, b"old 20\nnot a hash\n\n" + log.note(30).encode()).status_code == 400
    assert post(running.url, b"x" * 1_000_000).status_code == 413
    assert post(running.url, log.request(20, 30), origin="https://evil.example").status_code == 403

    latest = httpx.get(f"{running.url}/latest/{ORIGIN}", timeout=30)
    assert latest.status_code == 200 and latest.text.startswith(log.note(20).split("\n\n")[0])
    assert key.key.find(SignedNote.from_text(latest.text)) is not None
    assert httpx.get(f"{running.url}/latest/another/board", timeout=30).status_code == 404


def test_a_fork_is_refused_and_kept_as_evidence_and_the_state_survives_a_sigkill(
    cosigner: tuple[RunningCosigner, Cosigner, Signer, Path],
) -> None:
    running, key, board, tmp_path = cosigner
    honest = Log(board, [f"entry {i}".encode() for i in range(20)])
    forked = Log(board, [f"entry {i}".encode() for i in range(10)] + [f"other {i}".encode() for i in range(10)])
    assert post(running.url, honest.request(0, 15)).status_code == 200
    assert post(running.url, forked.request(15, 15)).status_code == 409  # same size, another root
    assert post(running.url, forked.request(15, 20)).status_code == 422  # does not extend what was cosigned
    running.stop(signal.SIGKILL)
    again = start_cosigner(tmp_path / "cosigner.key", {ORIGIN: board.verifier}, tmp_path / "cosigner.sqlite")
    try:
        answer = post(again.url, honest.request(0, 20))
        assert answer.status_code == 409 and answer.text == "15\n"
        assert post(again.url, honest.request(15, 20)).status_code == 200
    finally:
        again.stop()


def test_concurrent_conflicting_requests_never_get_two_inconsistent_cosignatures(
    cosigner: tuple[RunningCosigner, Cosigner, Signer, Path],
) -> None:
    running, _, board, _ = cosigner
    base = [f"entry {i}".encode() for i in range(8)]
    forks = [Log(board, base + [f"fork {f} entry {i}".encode() for i in range(24)]) for f in range(2)]
    assert post(running.url, forks[0].request(0, 8)).status_code == 200
    requests = [(fork, size) for size in range(9, 33) for fork in forks]
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda r: (r, post(running.url, r[0].request(8, r[1]))), requests))
    cosigned = [(fork, size) for (fork, size), answer in answers if answer.status_code == 200]
    assert cosigned, "one of the first requests from size 8 is cosigned"
    assert all(a.status_code in (200, 409, 422) for _, a in answers)
    for fork_a, size_a in cosigned:  # every pair cosigned is consistent: one tree extends the other
        for fork_b, size_b in cosigned:
            (small_fork, small), (large_fork, large) = sorted([(fork_a, size_a), (fork_b, size_b)], key=lambda x: x[1])
            proof = large_fork.tree.consistency_proof(small, large) if small < large else []
            verify_consistency(small, large, proof, small_fork.tree.root(small), large_fork.tree.root(large))


def test_the_cli_makes_a_private_key_and_refuses_to_replace_it(tmp_path: Path) -> None:
    made = run_actas("cosigner", "key", "--name", "c.example", "--out", str(tmp_path / "c.key"))
    assert made.code == 0 and made.stdout.startswith("c.example+")
    assert (tmp_path / "c.key").stat().st_mode & 0o777 == 0o600
    assert "PRIVATE" not in made.stdout
    assert_clean_failure(run_actas("cosigner", "key", "--name", "c.example", "--out", str(tmp_path / "c.key")), 2)
