"""Reading a board from static tiles served by nginx beside reading it from the server's API, and
readers of the results: the published JSON served by nginx beside `actas serve`'s `/v1/results`.

A board of `--stations` mesas (two actas each) is built in this process (every acta checked, committed
in batches, as the server does) and published as tiles with the results of every unit and the results
site (`actas serve --publish`'s code). Debian's nginx serves the published directory and `actas serve`
the board, both on loopback.
Then, in one run:
  - mirroring: `actas mirror`'s code from the API, then from the tiles (every bundle checked against its
    tile, every tile against the tree), each into a fresh directory; best of `--repeat`, in turns.
    Target: tiles at least 3 times faster. Beside each, the CPU time the serving side spent on that
    mirror (`actas serve`'s processes, or nginx's), read from /proc: what each reader costs the host.
  - readers: Debian's wrk for `--seconds` on the national results, from nginx (the published file) and
    from the server (`/v1/results`). Target: nginx at least 20 times the server's requests per second,
    p99 under 20 ms.

Usage: python bench/tiles.py [--stations N] [--repeat R] [--seconds S]
The issue's size is --stations 472000 (944,000 entries).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from actas.board import Board
from actas.board.outcome import Refused
from actas.files import KeySet, save_election, signer_at
from actas.mirror import mirror_board
from actas.publish import results_path
from actas.server.process import start_server
from actas.server.publishing import Publisher
from actas.server.workers import listen
from actas.sim.election_day import VoterModel, simulate
from actas.sim.generator import synthetic
from actas.store.database import Database

BATCH = 2000
NGINX = """daemon off;
worker_processes 2;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    types {{ application/json json; text/plain checkpoint; text/html html; text/css css; text/javascript js; }}
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location /tile/ {{ add_header Cache-Control "public, max-age=31536000, immutable"; }}
    }}
}}
"""


def build(work: Path, stations: int) -> Board:
    election = synthetic(stations, 11)
    keys = KeySet.generate(election, "bench-authority")
    save_election(election, work / "election")
    registry = keys.registry(election).sign(keys.authority)
    (work / "registry.note").write_text(registry)
    origin = f"actas/{election.id}/official"
    board = Board(Database(f"sqlite:///{work / 'board.sqlite'}"), election, registry,
        signer_at(work / "keys" / "board.key", origin.replace("/", ".")), origin)  # fmt: skip
    board.open()
    batch = []
    for station in simulate(election, keys.machines, VoterModel(seed=11)):
        for payload in (station.zero, station.final):
            checked = board.check(payload.encode())
            assert not isinstance(checked, Refused), checked
            batch.append(checked)
        if len(batch) >= BATCH:
            board.commit(batch)
            batch = []
    board.commit(batch)
    board.count_board()
    return board


def publish(board: Board, root: Path) -> int:
    """The board published as `actas serve --publish` does: tiles, every unit's results and the site."""
    publisher = Publisher(board, root, 1.0, results_interval=0.0)
    publisher.publish_site()
    done = publisher.publish()
    assert done is not None and publisher.publish_results() == done.size
    return done.size


def cpu_seconds(root: int) -> float:
    """User and system CPU time of a process and its children (read from /proc), in seconds."""
    pids, total = [root], 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == root:
                    pids.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    for pid in pids:
        try:
            fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def wrk(url: str, seconds: int) -> tuple[float, float]:
    """Requests per second and p99 latency (ms) of wrk on one URL."""
    done = subprocess.run(
        ["wrk", "-t2", "-c64", f"-d{seconds}s", "--latency", url], capture_output=True, text=True, check=True
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", done)[1])  # type: ignore[index]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", done).groups()  # type: ignore[union-attr]
    return rate, float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stations", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="actas-tiles-") as folder:
        work = Path(folder)
        work.chmod(0o755)  # nginx's workers (nobody) read the published directory; keys/ stays 0700
        started = time.perf_counter()
        board = build(work, args.stations)
        built = time.perf_counter() - started
        size = publish(board, work / "www")
        board.db.dispose()
        sock, port = listen("127.0.0.1", 0)
        sock.close()
        (work / "nginx.conf").write_text(NGINX.format(work=work, port=port, root=work / "www"))
        nginx = subprocess.Popen(["nginx", "-c", str(work / "nginx.conf"), "-p", str(work)])
        static = f"http://127.0.0.1:{port}"
        try:
            with start_server(work / "election", work / "registry.note", f"sqlite:///{work / 'board.sqlite'}",
                    work / "keys" / "board.key", options=["--workers", "2"]) as server:  # fmt: skip
                api_times: list[float] = []
                tile_times: list[float] = []
                served_cpu: dict[bool, list[float]] = {False: [], True: []}
                for _ in range(args.repeat):
                    for source, times, tiles in ((server.url, api_times, False), (static, tile_times, True)):
                        host = nginx.pid if tiles else server.process.pid
                        shutil.rmtree(work / "m", ignore_errors=True)
                        cpu, start = cpu_seconds(host), time.perf_counter()
                        mirror_board(source, work / "m", tiles=tiles)
                        times.append(time.perf_counter() - start)
                        served_cpu[tiles].append(cpu_seconds(host) - cpu)
                results = f"{static}/{results_path(board.results_view('').size, '')}"
                static_rate, static_p99 = wrk(results, args.seconds)
                api_rate, api_p99 = wrk(f"{server.url}/v1/results", args.seconds)
        finally:
            nginx.terminate()
            nginx.wait()
    day = time.strftime("%Y-%m-%d")
    print(f"# static tiles, {size:,} entries ({args.stations:,} mesas), built in {built:.0f} s, {day}")
    print(f"mirror from the API          {min(api_times):8.1f} s   ({size / min(api_times):,.0f} entries/s)")
    print(f"mirror from tiles (nginx)    {min(tile_times):8.1f} s   ({size / min(tile_times):,.0f} entries/s)")
    print(f"tiles against the API        {min(api_times) / min(tile_times):8.1f} ×   (target at least 3 ×)")
    api_cpu, tiles_cpu, tick = min(served_cpu[False]), min(served_cpu[True]), 1 / os.sysconf("SC_CLK_TCK")
    print(f"host CPU a mirror, server    {api_cpu:8.2f} s")
    if tiles_cpu >= tick:
        print(f"host CPU a mirror, nginx     {tiles_cpu:8.2f} s   (the server: {api_cpu / tiles_cpu:,.0f} × as much)")
    else:
        print(f"host CPU a mirror, nginx     under {tick:.2f} s (one tick; the server: over {api_cpu / tick:,.0f} ×)")
    print(f"national results, nginx      {static_rate:10,.0f} requests/s, p99 {static_p99:.1f} ms")
    print(f"national results, actas serve{api_rate:10,.0f} requests/s, p99 {api_p99:.1f} ms (2 workers)")
    print(f"static against the server    {static_rate / api_rate:8.1f} ×   (target at least 20 ×, p99 under 20 ms)")


if __name__ == "__main__":
    main()
