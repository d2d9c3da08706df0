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
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from actas.acta.codec import parse_payload
from actas.files import KeySet, save_election, write_bundle
from actas.payload_sources import read_payloads
from actas.server.process import start_server
from actas.sim.generator import synthetic
from actas.sim.simulate import VoterModel, simulate
from actas.transmit import Outbox, TransmitReport, transmit

PG = "postgresql://postgres@127.0.0.1:5432/test"


def poll_results(url: str, region: str, stop: threading.Event, latencies: dict[str, list[float]]) -> None:
    queries = {"national": "/v1/results", "region": f"/v1/results?level=region&code={region}"}
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


def run(
    url: str, work: Path, clients: int, batch: int, region: str
) -> tuple[float, TransmitReport, dict[str, list[float]]]:
    """Send with `actas transmit`'s own client (threads), while another thread asks for results."""
    latencies: dict[str, list[float]] = {"national": [], "region": []}
    stop = threading.Event()
    poller = threading.Thread(target=poll_results, args=(url, region, stop, latencies))
    poller.start()
    start = time.perf_counter()
    report = transmit(url, read_payloads(str(work)), Outbox(work / "sent.jsonl"), workers=clients, batch=batch)
    seconds = time.perf_counter() - start
    stop.set()
    poller.join()
    return seconds, report, latencies


def percentile(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stations", type=int, default=5000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--batch", type=int, default=1, help="actas per request (>1: the relays' batch endpoint)")
    args = parser.parse_args()

    election = synthetic(args.stations, 11)
    keys = KeySet.generate(election, "bench-authority")
    registry = keys.registry(election)
    work = Path(tempfile.mkdtemp(prefix="actas-ingest-"))
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

    schema = None
    if args.db == "sqlite":
        db = f"sqlite:///{work / 'board.sqlite'}"
    else:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with create_engine(PG.replace("postgresql://", "postgresql+psycopg://")).begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        db = f"{PG}?options=-csearch_path%3D{schema}"
    try:
        with start_server(work / "election", work / "registry.note", db, work / "board.key") as server:
            region = election.units[0].code
            seconds, report, latencies = run(server.url, work, args.clients, args.batch, region)
    finally:
        if schema:
            with create_engine(PG.replace("postgresql://", "postgresql+psycopg://")).begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))

    rate = len(payloads) / seconds
    print(
        f"# ingest over HTTP, {args.db}, {len(payloads):,} actas ({args.stations:,} stations), "
        f"{args.clients} clients, {args.batch} a request, {time.strftime('%Y-%m-%d')}"
    )
    lost = len(payloads) - report.accepted
    print(f"actas per second          {rate:>10,.0f}   (target 5,000; {lost} not acknowledged with 201)")
    print(f"bare verification floor   {floor:>10,.0f}   per second, one core, same actas ({100 * rate / floor:.0f}%)")
    for name, values in latencies.items():
        print(
            f"results latency {name:<9} p50 {percentile(values, 0.5):7.1f} ms   p99 {percentile(values, 0.99):7.1f} ms"
            f"   ({len(values)} queries; target p99 < 50 ms)"
        )
    print(f"median query {statistics.median(latencies['national']) * 1000 if latencies['national'] else 0:.1f} ms")


if __name__ == "__main__":
    main()
