"""What cosigning costs: ingest over HTTP with three cosigners beside the same ingest without, in one run,
and the time from a new checkpoint to its quorum.

Three `actas cosigner serve` processes on loopback follow the board; the server asks them after every
checkpoint (`--cosigners`). The same actas are sent to a fresh board without cosigners and to one with
them, in turns, best of `--repeat`. Then, in this process, a board takes one acta at a time and the
time from each checkpoint to its publication with 3 cosignatures is measured. Target: cosigning costs
at most 10% of ingest.

Usage: python bench/cosigning.py [--stations N] [--clients C] [--batch B] [--repeat R] [--every S]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from actas.board import Board
from actas.board.outcome import Refused
from actas.election import Election
from actas.files import KeySet, save_election, signer_at, write_bundle, write_private
from actas.ledger.cosignature import Cosigner, CosignerPolicy, PolicyCosigner
from actas.outbox import Outbox
from actas.payload_sources import read_payloads
from actas.server.cosigning import Cosigning, CosignPace
from actas.server.process import RunningCosigner, start_cosigner, start_server
from actas.signed_note import Verifier
from actas.sim.election_day import VoterModel, simulate
from actas.sim.generator import synthetic
from actas.store.database import Database
from actas.transmit import transmit

COSIGNERS = 3


def ingest(work: Path, name: str, clients: int, batch: int, options: list[str]) -> float:
    """Actas per second into a fresh board (SQLite), with `options` given to `actas serve`."""
    db = work / f"{name}.sqlite"
    for stale in work.glob(f"{name}.sqlite*"):
        stale.unlink()
    (work / f"{name}.sent.jsonl").unlink(missing_ok=True)
    (work / "board.checkpoint").unlink(missing_ok=True)
    url = f"sqlite:///{db}"
    with start_server(work / "election", work / "registry.note", url, work / "board.key", options=options) as server:
        items = list(read_payloads(str(work / "actas.jsonl")))
        start = time.perf_counter()
        report = transmit(server.url, iter(items), Outbox(work / f"{name}.sent.jsonl"), workers=clients, batch=batch)
        seconds = time.perf_counter() - start
    if report.accepted != len(items):
        raise SystemExit(f"{name}: {len(items) - report.accepted} actas not accepted")
    return len(items) / seconds


def time_to_quorum(work: Path, election: Election, policy: CosignerPolicy, count: int) -> list[float]:
    """Seconds from each new checkpoint (one acta each) to its publication with every cosignature."""
    for stale in work.glob("latency.sqlite*"):
        stale.unlink()
    board = Board(
        Database(f"sqlite:///{work / 'latency.sqlite'}"),
        election,
        (work / "registry.note").read_text(),
        signer_at(work / "board.key", "unused"),
        origin_of(work),
    )
    board.use_cosigners(policy)
    board.open()
    payloads = [r.payload for r in read_payloads(str(work / "actas.jsonl")) if isinstance(r.payload, str)][:count]
    times: list[float] = []

    async def run() -> None:
        cosigning = Cosigning(board, CosignPace(every=0))  # each round's own time, with no pacing
        await cosigning.publish(again=True)
        for payload in payloads:
            checked = board.check(payload.encode())
            assert not isinstance(checked, Refused), checked
            board.commit([checked])
            start = time.perf_counter()
            published = await cosigning.publish()
            times.append(time.perf_counter() - start)
            assert published is not None and published.cosignatures == COSIGNERS
        await cosigning.close()

    asyncio.run(run())
    return times


def origin_of(work: Path) -> str:
    return (work / "origin").read_text()


def fresh(running: list[RunningCosigner], work: Path, origin: str, board: Verifier) -> list[RunningCosigner]:
    """The cosigners restarted on their ports with nothing cosigned: a new board starts from size 0."""
    for c in running:
        c.stop()
    for stale in work.glob("c*.sqlite*"):
        stale.unlink()
    return [
        start_cosigner(work / f"c{i}.key", {origin: board}, work / f"c{i}.sqlite", port=int(c.url.rsplit(":", 1)[1]))
        for i, c in enumerate(running)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stations", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--batch", type=int, default=100, help="actas per request (a relay's batch)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--every", type=float, default=0.1, help="actas serve --cosign-every")
    args = parser.parse_args()
    election = synthetic(args.stations, 11)
    keys = KeySet.generate(election, "bench-authority")
    with tempfile.TemporaryDirectory(prefix="actas-cosigning-") as folder:
        work = Path(folder)
        origin = f"actas/{election.id}/official"
        (work / "origin").write_text(origin)
        board = signer_at(work / "board.key", origin.replace("/", "."))
        running: list[RunningCosigner] = []
        for i in range(COSIGNERS):
            write_private(work / f"c{i}.key", Cosigner.generate(f"cosigner{i}.bench").to_text() + "\n")
            running.append(start_cosigner(work / f"c{i}.key", {origin: board.verifier}, work / f"c{i}.sqlite"))
        policy = CosignerPolicy(tuple(PolicyCosigner(c.key, c.url) for c in running), 2)
        policy_file = work / "cosigners.policy"
        policy_file.write_text(policy.to_text())
        save_election(election, work / "election")
        (work / "registry.note").write_text(keys.registry(election).sign(keys.authority))
        stations = list(simulate(election, keys.machines, VoterModel(seed=11)))
        write_bundle(
            work / "actas.jsonl",
            ((s.station, k, p) for s in stations for k, p in (("zero", s.zero), ("final", s.final))),
        )
        off, on = [], []
        try:
            for round_ in range(args.repeat):
                off.append(ingest(work, "plain", args.clients, args.batch, []))
                running = fresh(running, work, origin, board.verifier)
                on.append(
                    ingest(
                        work,
                        f"cosigned{round_}",
                        args.clients,
                        args.batch,
                        ["--cosigners", str(policy_file), "--cosign-every", str(args.every)],
                    )
                )
            running = fresh(running, work, origin, board.verifier)
            latency = time_to_quorum(work, election, policy, 300)
        finally:
            for c in running:
                c.stop()
    actas = 2 * args.stations
    print(
        f"# cosigning, {actas:,} actas over HTTP, {args.clients} clients, {args.batch} a request, SQLite, "
        f"{COSIGNERS} cosigners on loopback, a round at most every {args.every:g} s, "
        f"{time.strftime('%Y-%m-%d')}"
    )
    print(f"ingest without cosigners   {max(off):>8,.0f} actas/s  (runs: {', '.join(f'{r:,.0f}' for r in off)})")
    print(f"ingest with 3 cosigners    {max(on):>8,.0f} actas/s  (runs: {', '.join(f'{r:,.0f}' for r in on)})")
    print(
        f"cost of cosigning          {100 * (1 - max(on) / max(off)):>8.1f} %        (target at most 10%; "
        f"medians: {100 * (1 - statistics.median(on) / statistics.median(off)):.1f} %)"
    )
    ms = sorted(1000 * t for t in latency)
    print(
        f"checkpoint to quorum       p50 {statistics.median(ms):.1f} ms, p99 {ms[int(0.99 * (len(ms) - 1))]:.1f} ms"
        f"  ({len(ms)} checkpoints, all {COSIGNERS} cosignatures each)"
    )


if __name__ == "__main__":
    main()
