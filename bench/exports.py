"""Exports under load: a submission's latency while 40 clients download the board's exports.

Starts `actas serve` (SQLite) on a free loopback port with a synthetic board of 2N entries (the zero
and final actas of N stations, a few kept back), then sends the kept-back actas one at a time,
first with the server idle (the floor: the same submission with nothing else to do), then while 40
threads download /v1/export/nist.json and /v1/export/mesas.csv again and again. Also prints how
long the first export at a checkpoint takes to make, and a download once it is made.

Usage: python bench/exports.py [--stations N] [--downloaders D]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx

from actas.files import KeySet, save_election, write_bundle
from actas.outbox import Outbox
from actas.payload_sources import read_payloads
from actas.server.process import start_server
from actas.sim.election_day import VoterModel, simulate
from actas.sim.generator import synthetic
from actas.transmit import transmit

KEPT_BACK = 40


def submit(url: str, payload: str) -> float:
    start = time.perf_counter()
    answer = httpx.post(url + "/v1/actas", content=payload, headers={"content-type": "text/plain"}, timeout=300)
    answer.raise_for_status()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stations", type=int, default=10_000)
    parser.add_argument("--downloaders", type=int, default=40)
    args = parser.parse_args()
    election = synthetic(args.stations, 5)
    keys = KeySet.generate(election, "bench-authority")
    with tempfile.TemporaryDirectory(prefix="actas-exports-") as folder:
        work = Path(folder)
        save_election(election, work / "election")
        (work / "registry.note").write_text(keys.registry(election).sign(keys.authority))
        stations = list(simulate(election, keys.machines, VoterModel(seed=5)))
        kept = [s.final for s in stations[-KEPT_BACK:]]
        records = [(s.station, k, p) for s in stations for k, p in (("zero", s.zero), ("final", s.final))]
        write_bundle(work / "actas.jsonl", (r for r in records if r[2] not in set(kept)))
        db = f"sqlite:///{work / 'board.sqlite'}"
        with start_server(work / "election", work / "registry.note", db, work / "board.key") as server:
            transmit(server.url, read_payloads(str(work)), Outbox(work / "sent.jsonl"), workers=16, batch=200)
            idle = [submit(server.url, p) for p in kept[: KEPT_BACK // 2]]
            start = time.perf_counter()
            httpx.get(server.url + "/v1/export/nist.json", timeout=300).raise_for_status()
            first = time.perf_counter() - start
            start = time.perf_counter()
            httpx.get(server.url + "/v1/export/nist.json", timeout=300).raise_for_status()
            cached = time.perf_counter() - start
            stop = threading.Event()
            downloads = [0]

            def download(kind: str) -> None:
                with httpx.Client(base_url=server.url, timeout=300) as client:
                    while not stop.is_set():
                        client.get(f"/v1/export/{kind}").raise_for_status()
                        downloads[0] += 1

            threads = [
                threading.Thread(target=download, args=(("nist.json", "mesas.csv")[n % 2],))
                for n in range(args.downloaders)
            ]
            for thread in threads:
                thread.start()
            time.sleep(1)
            loaded = [submit(server.url, p) for p in kept[KEPT_BACK // 2 :]]
            stop.set()
            for thread in threads:
                thread.join()
    print(f"# exports under load, sqlite, {2 * args.stations:,} entries, {time.strftime('%Y-%m-%d')}")
    print(f"first NIST export at a checkpoint  {first:7.2f} s   (made from the counts the server holds)")
    print(f"the same export again              {cached * 1000:7.1f} ms  (from memory)")
    median_idle, median_loaded = statistics.median(idle), statistics.median(loaded)
    print(f"submission, idle (the floor)       {median_idle * 1000:7.1f} ms  median of {len(idle)}")
    print(
        f"submission, {args.downloaders} downloading         {median_loaded * 1000:7.1f} ms  median of {len(loaded)}, "
        f"max {max(loaded) * 1000:.1f} ms, {downloads[0]:,} downloads meanwhile"
    )
    print(f"ratio                              {median_loaded / median_idle:7.1f} x  (target: within 5 x)")


if __name__ == "__main__":
    main()
