"""Ingest over HTTP: actas per second into a real server, and results latency while it ingests.

Starts `actas serve` on a free loopback port (SQLite or PostgreSQL), sends every zero and final
acta of a synthetic election with `actas transmit`'s client from many concurrent threads, and
meanwhile asks for national and regional results. Client and server share the machine's 2 cores.
Floor, in the same run: bare Ed25519 verification of the same actas on one core.

Usage: python bench/ingest.py [--stations N] [--db sqlite|postgresql] [--clients C] [--batch B]
The issue's full size is --stations 236000 (472,000 actas, a Brazil-sized board).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import tempfile
import time
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path

import httpx

from actas.acta.codec import parse_payload
from actas.election import Election
from actas.files import KeySet, save_election, write_bundle
from actas.outbox import Outbox
from actas.payload_sources import read_payloads
from actas.server.process import start_server
from actas.sim.election_day import VoterModel, simulate
from actas.sim.generator import synthetic
from actas.transmit import TransmitReport, transmit
from board_database import board_database


def poll_results(url: str, region: str, stop: Event, out: Queue) -> None:  # type: ignore[type-arg]
    """In a process of its own, so that its timings are the server's, not the sending threads'."""
    queries = {"national": "/v1/results", "region": f"/v1/results?level=region&code={region}"}
    latencies: dict[str, list[float]] = {name: [] for name in queries}
    clients = {name: httpx.Client(base_url=url, timeout=60) for name in queries}  # one connection each
    while not stop.is_set():
        for name, query in queries.items():
            start = time.perf_counter()
            try:
                clients[name].get(query).raise_for_status()
            except httpx.TransportError:
                continue
            latencies[name].append(time.perf_counter() - start)
        time.sleep(0.05)
    for client in clients.values():
        client.close()
    out.put(latencies)


def run(
    url: str, work: Path, clients: int, batch: int, region: str
) -> tuple[float, TransmitReport, dict[str, list[float]]]:
    """Send with `actas transmit`'s own client (threads), while another process asks for results."""
    context = multiprocessing.get_context("spawn")
    stop, out = context.Event(), context.Queue()
    poller = context.Process(target=poll_results, args=(url, region, stop, out))
    poller.start()
    start = time.perf_counter()
    report = transmit(url, read_payloads(str(work)), Outbox(work / "sent.jsonl"), workers=clients, batch=batch)
    seconds = time.perf_counter() - start
    stop.set()
    latencies: dict[str, list[float]] = out.get()
    poller.join()
    return seconds, report, latencies


def cpu_seconds(pid: int) -> float:
    """User and system CPU time so far of a process and its worker processes (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") + sum(cpu_seconds(int(c)) for c in children)


def percentile(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stations", type=int, default=5000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--batch", type=int, default=1, help="actas per request (>1: the relays' batch endpoint)")
    args = parser.parse_args()

    election = synthetic(args.stations, 11)
    keys = KeySet.generate(election, "bench-authority")
    with tempfile.TemporaryDirectory(prefix="actas-ingest-") as folder:
        measure(args, election, keys, Path(folder))


def measure(args: argparse.Namespace, election: Election, keys: KeySet, work: Path) -> None:
    registry = keys.registry(election)
    save_election(election, work / "election")
    (work / "registry.note").write_text(registry.sign(keys.authority))
    stations = list(simulate(election, keys.machines, VoterModel(seed=11)))
    payloads = [p for s in stations for p in (s.zero, s.final)]
    write_bundle(
        work / "actas.jsonl", ((s.station, k, p) for s in stations for k, p in (("zero", s.zero), ("final", s.final)))
    )

    signed = [parse_payload(p) for p in payloads]
    start = time.perf_counter()
    for s in signed:
        registry.stations[s.acta.station].verify_key.verify(s.note.text.encode(), s.note.signatures[0].signature)
    floor = len(signed) / (time.perf_counter() - start)

    with (
        board_database(args.db, work) as db,
        start_server(work / "election", work / "registry.note", db, work / "board.key", workers=args.workers) as server,
    ):
        region = election.units[0].code
        server_before, client_before = cpu_seconds(server.process.pid), time.process_time()
        seconds, report, latencies = run(server.url, work, args.clients, args.batch, region)
        server_cpu = cpu_seconds(server.process.pid) - server_before
        client_cpu = time.process_time() - client_before
        time.sleep(1.5)  # every worker has read the last checkpoint
        board_size = httpx.get(server.url + "/v1/results").json()["checkpoint"]["size"]

    rate = len(payloads) / seconds
    print(
        f"# ingest over HTTP, {args.db}, {len(payloads):,} actas ({args.stations:,} stations), "
        f"{args.clients} clients, {args.batch} a request, {args.workers} server processes, {time.strftime('%Y-%m-%d')}"
    )
    lost = len(payloads) - report.accepted
    print(f"actas per second          {rate:>10,.0f}   (target 5,000; {lost} not acknowledged with 201)")
    print(f"on the board              {board_size - 2:>10,}   actas at the last checkpoint ({len(payloads):,} sent)")
    print(f"bare verification floor   {floor:>10,.0f}   per second, one core, same actas ({100 * rate / floor:.0f}%)")
    print(
        f"CPU per acta              server {1e6 * server_cpu / len(payloads):.0f} µs, "
        f"client {1e6 * client_cpu / len(payloads):.0f} µs, floor {1e6 / floor:.0f} µs "
        f"(machine busy {100 * (server_cpu + client_cpu) / (seconds * (os.cpu_count() or 1)):.0f}%)"
    )
    for name, values in latencies.items():
        print(
            f"results latency {name:<9} p50 {percentile(values, 0.5):7.1f} ms   p99 {percentile(values, 0.99):7.1f} ms"
            f"   ({len(values)} queries; target p99 < 50 ms)"
        )
    print(f"median query {statistics.median(latencies['national']) * 1000 if latencies['national'] else 0:.1f} ms")


if __name__ == "__main__":
    main()
