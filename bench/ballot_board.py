"""Encrypted ballots into a real board: mesas' records taken per second by `actas serve --ceremony`, beside
the floor of checking the same records in this process's own pool, on the same cores, in the same run.

A synthetic election of N mesas is simulated with every machine encrypting its ballots (7 cards and
null); the server is started on a free loopback port with the trustees' ceremony and W workers, the
actas transmitted, then every mesa's record sent by `actas ballot publish`'s client, C at a time. The
board checks every ballot's proofs and chain before it splits the record in parts and appends them.
Floor: `check_mesa` of the same records on a process a core, with nothing else.

Usage: python bench/ballot_board.py [--stations N] [--workers W] [--clients C]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from actas.e2e.hashing import Context
from actas.e2e.mesa import MesaRecord, check_mesa
from actas.election import Contest
from actas.files import load_election, read_ceremony
from actas.outbox import Outbox
from actas.payload_sources import read_payloads
from actas.send_ballots import send_records
from actas.server.process import start_server
from actas.transmit import transmit

_context: Context | None = None
_contest: Contest | None = None
"""What the floor's processes check against (they are forked after these are set)."""


def actas(*args: str | Path) -> None:
    subprocess.run([sys.executable, "-m", "actas", *map(str, args)], check=True, capture_output=True)


def _check(path: Path) -> int:
    assert _context is not None and _contest is not None
    record = MesaRecord.from_lines(path.read_text().splitlines(keepends=True))
    assert not check_mesa(_context, _contest, record).problems
    return len(record.ballots)


def main() -> None:
    global _context, _contest
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stations", type=int, default=12)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        actas("election", "generate", "--preset", "synthetic", "--stations", args.stations, "--out", root / "e")
        actas("trustees", "ceremony", "--election", root / "e", "--out", root / "c", "--trustees", 3, "--quorum", 2)
        actas("simulate", "--election", root / "e", "--out", root / "d", "--encrypt", root / "c" / "ceremony.json")
        election = load_election(root / "e")
        _context = Context.of(election.fingerprint, read_ceremony(root / "c" / "ceremony.json").joint_key())
        _contest = election.contests[0]
        files = [(s.code, root / "d" / "ballots" / f"{s.code}.jsonl") for s in election.stations]
        started = time.perf_counter()
        cores = os.cpu_count() or 1
        with ProcessPoolExecutor(cores, mp_context=multiprocessing.get_context("fork")) as pool:
            ballots = sum(pool.map(_check, [path for _, path in files]))
        floor = time.perf_counter() - started
        db = f"sqlite:///{root / 'board.sqlite'}"
        options = ["--ceremony", str(root / "c" / "ceremony.json")]
        with start_server(root / "e", root / "d" / "registry.note", db, root / "board.key", workers=args.workers,
                          options=options) as server:  # fmt: skip
            sent = transmit(server.url, read_payloads(str(root / "d")), Outbox(root / "sent.jsonl"), workers=8)
            assert not sent.refused and not sent.unsent, sent
            started = time.perf_counter()
            report = send_records(server.url, files, board_key=server.board_key, workers=args.clients)
            board = time.perf_counter() - started
        assert report.accepted == len(files) and not report.refused, report
    print(f"{len(files)} mesas, {ballots:,} encrypted ballots (7 cards and null), {args.workers} server workers, "
          f"{args.clients} clients, on {os.cpu_count()} cores")  # fmt: skip
    print(f"{'':34}{'ballots/s':>12}{'s':>9}")
    print(f"{'board: checked, split, appended':34}{ballots / board:>12,.0f}{board:>9.1f}")
    print(f"{'floor: check_mesa, a process a core':34}{ballots / floor:>12,.0f}{floor:>9.1f}")
    print(f"the board takes {100 * floor / board:.0f}% of the floor's rate")


if __name__ == "__main__":
    main()
