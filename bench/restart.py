"""Restarting a server that holds a national board: seconds until it listens, and until it answers correct
results.

Builds a board of the zero and final actas of N stations (the issue's size is --stations 472000: a
board of 944,002 entries) straight into the database, the way the server's own writer appends them
(in batches, each with its checkpoint), then starts `actas serve` on it and times, from the moment
the process starts: until it listens (the tree rebuilt from every entry and checked against its
own latest checkpoint and its checkpoint file; on SQLite, PRAGMA quick_check first), when it takes
actas again, and until /v1/results answers with every station counted (it answers 503 while it
counts the board in the background). Floor, in the same run: reading every entry's bytes
from the database and hashing its leaf, with nothing else.

Usage: python bench/restart.py [--stations N] [--db sqlite|postgresql] [--work DIR]
A simulated election is kept in --work (default: a temporary folder) and used again when present.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import select

from actas.acta.codec import parse_payload
from actas.board import Board
from actas.files import KeySet, load_election, read_bundle, save_election, signer_at, write_bundle
from actas.sim.election_day import VoterModel, simulate
from actas.sim.generator import synthetic
from actas.store.checkpoint_file import checkpoint_file_for
from actas.store.database import Database
from actas.store.schema import entries
from board_database import board_database

BATCH = 5000


def simulated(work: Path, stations: int) -> None:
    if (work / "actas.jsonl").exists():
        return
    election = synthetic(stations, 3)
    keys = KeySet.generate(election, "bench-authority")
    save_election(election, work / "election")
    (work / "registry.note").write_text(keys.registry(election).sign(keys.authority))
    records = simulate(election, keys.machines, VoterModel(seed=3))
    write_bundle(
        work / "actas.jsonl", ((s.station, k, p) for s in records for k, p in (("zero", s.zero), ("final", s.final)))
    )


def build(db: str, work: Path, key: Path) -> int:
    """The board, appended in batches as the server's writer appends them; returns its size."""
    election = load_election(work / "election")
    origin = f"actas/{election.id}/official"
    signer = signer_at(key, origin.replace("/", "."))
    registry = (work / "registry.note").read_text()
    board = Board(Database(db), election, registry, signer, origin, checkpoint_file=checkpoint_file_for(key))
    board.open()
    batch = []
    for _, payload in read_bundle(work / "actas.jsonl"):
        assert isinstance(payload, str)
        batch.append(parse_payload(payload))
        if len(batch) == BATCH:
            board.commit(batch)
            batch = []
    board.commit(batch)
    board.db.dispose()
    return board.tree.size


def floor(db: str) -> float:
    """Seconds to read every entry's bytes and hash its leaf."""
    database = Database(db)
    start = time.perf_counter()
    with database.reader() as conn:
        for (data,) in conn.execute(select(entries.c.data).execution_options(yield_per=10_000)):
            hashlib.sha256(b"\0" + bytes(data)).digest()
    database.dispose()
    return time.perf_counter() - start


def restart(db: str, work: Path, key: Path, stations: int) -> tuple[float, float, int]:
    """(seconds until it listens, seconds until every station is counted, peak memory in bytes)."""
    command = [
        sys.executable, "-m", "actas", "serve", "--election", str(work / "election"),
        "--registry", str(work / "registry.note"), "--db", db, "--board-key", str(key), "--port", "0",
    ]  # fmt: skip
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    process.stdout.readline()
    line = process.stdout.readline()
    listening = time.perf_counter() - start
    if not line.startswith("listening on"):
        raise SystemExit(f"the server did not start: {process.stderr.read() if process.stderr else ''}")
    url = line.split()[2]
    while True:  # 503 while the board is being counted
        answer = httpx.get(url + "/v1/results", timeout=600)
        if answer.status_code == 200 and answer.json()["stations"]["reported"] == stations:
            break
        time.sleep(0.1)
    counted = time.perf_counter() - start
    status = Path(f"/proc/{process.pid}/status").read_text()
    peak = int(status.split("VmHWM:")[1].split()[0]) * 1024
    process.terminate()
    process.wait(timeout=60)
    return listening, counted, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stations", type=int, default=20_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="actas-restart-") as scratch:
        work = args.work or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        simulated(work, args.stations)
        simulated_in = time.perf_counter() - started
        with board_database(args.db, work) as db:
            key = work / f"board-{args.db}-{os.getpid()}.key"
            started = time.perf_counter()
            size = build(db, work, key)
            built_in = time.perf_counter() - started
            floor_seconds = floor(db)
            listening, counted, peak = restart(db, work, key, args.stations)
            for path in (key, checkpoint_file_for(key)):
                path.unlink(missing_ok=True)
    print(f"# restart of a server holding {size:,} entries ({args.stations:,} stations), {args.db}, "
          f"{time.strftime('%Y-%m-%d')}")  # fmt: skip
    print(f"(simulated in {simulated_in:.0f} s, board built in {built_in:.0f} s)")
    print(f"until it listens                 {listening:7.1f} s   (tree rebuilt and checked)")
    print(f"until every station is counted   {counted:7.1f} s   (peak memory {peak / 2**20:,.0f} MiB)")
    print(f"floor: read and hash every entry {floor_seconds:7.1f} s")


if __name__ == "__main__":
    main()
