"""The live results page on a Brazil-sized board, and ingest while 50 clients poll it.

Builds a synthetic election of 472,000 mesas (Brazil's 2022 sections), runs every machine (a zero and a
final acta each), starts `actas serve` on a free loopback port and transmits the first half of the
actas with `actas transmit`'s client (8 threads, 100 actas a request, as the server issue measured) with
nobody watching: the floor, in the same run. The second half is sent while 50 simulated browsers poll the
live page exactly as its script does (the results every 2 s with the checkpoint's ETag, the progress
every 10 s), each on its own connection, from a process of their own. Then, on the full board, the
national page is timed: its HTML over HTTP, and in Debian's Chromium from navigation to the first render
of the totals (a `performance.mark` the page's script sets), beside the bare JSON of the same results.

With --budgets it measures instead the national page of the Venezuelan preset (30,026 mesas, ten
candidates, in Spanish) as a phone on a poor connection loads it: Chromium with its network throttled to
400 kbit/s each way and 400 ms of latency and its CPU slowed 4x (the Chrome DevTools Protocol's
Network.emulateNetworkConditions and Emulation.setCPUThrottlingRate), first with nothing cached, then
again with what the first load cached. Budgets: 60 KB transferred, the totals drawn within 2 s.

Usage: python bench/web.py [--stations 472000] [--db sqlite|postgresql] [--pollers 50]
       python bench/web.py --budgets [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import httpx

from actas.files import KeySet, save_election
from actas.outbox import Outbox
from actas.payload_sources import SourcePayload
from actas.server.process import start_server
from actas.sim.election_day import VoterModel, simulate
from actas.sim.generator import synthetic
from actas.transmit import transmit
from board_database import board_database


def browsers(url: str, pollers: int, stop: Event, out: Queue) -> None:  # type: ignore[type-arg]
    """Many open live pages, each polling as results.js does, in a process of their own."""

    async def one(client: httpx.AsyncClient, latencies: list[float], counts: dict[str, int]) -> None:
        etag, progress_at = None, 0.0
        await asyncio.sleep(2 * os.urandom(1)[0] / 255)  # pages opened at different moments
        while not stop.is_set():
            start = time.perf_counter()
            response = await client.get("/v1/results", headers={"if-none-match": etag} if etag else {})
            latencies.append(time.perf_counter() - start)
            counts[str(response.status_code)] = counts.get(str(response.status_code), 0) + 1
            etag = response.headers.get("etag", etag)
            if time.monotonic() - progress_at > 10:
                progress_at = time.monotonic()
                await client.get("/v1/progress")
            await asyncio.sleep(2)

    async def main() -> tuple[list[float], dict[str, int]]:
        latencies: list[float] = []
        counts: dict[str, int] = {}
        clients = [httpx.AsyncClient(base_url=url, timeout=60) for _ in range(pollers)]
        await asyncio.gather(*(one(c, latencies, counts) for c in clients))
        for c in clients:
            await c.aclose()
        return latencies, counts

    out.put(asyncio.run(main()))


def send(url: str, items: list[SourcePayload], outbox: Path) -> float:
    start = time.perf_counter()
    report = transmit(url, items, Outbox(outbox), workers=8, batch=100)
    assert not report.unsent and not report.refused, (len(report.unsent), report.refused[:3])
    return len(items) / (time.perf_counter() - start)


def percentile(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (None where it is not installed)."""
    path = shutil.which("chromium")
    if path is None:
        yield None
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def page_in_chromium(url: str, runs: int) -> list[float] | None:
    """Milliseconds from navigation to the totals' first render, in Debian's Chromium (None without it)."""
    times = []
    with chromium() as browser:
        if browser is None:
            return None
        for _ in range(runs):
            page = browser.new_page()
            page.goto(url)
            page.wait_for_function("performance.getEntriesByName('results-rendered').length > 0")
            times.append(page.evaluate("performance.getEntriesByName('results-rendered')[0].startTime"))
            page.close()
    return times


POOR = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}
"""400 kbit/s each way and 400 ms of round trip: a phone on a weak 3G signal, as DevTools' presets go."""
CPU_SLOWDOWN = 4
BUDGET_BYTES, BUDGET_MS = 60_000, 2_000


def poor_connection_loads(url: str, runs: int) -> list[tuple[str, int, float, float]] | None:
    """(cold or warm, bytes transferred, ms to the totals in the HTML painted, ms to the script's first
    render) of each load, in Chromium on a poor connection with a slow CPU (None without Chromium)."""
    loads = []
    with chromium() as browser:
        if browser is None:
            return None
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.emulateNetworkConditions", POOR)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
            received = {"bytes": 0}

            def finished(event: dict[str, float], tally: dict[str, int] = received) -> None:
                tally["bytes"] += int(event["encodedDataLength"])

            cdp.on("Network.loadingFinished", finished)
            for visit in ("cold", "warm"):
                received["bytes"] = 0
                page.goto(url, wait_until="load")
                page.wait_for_function("performance.getEntriesByName('results-rendered').length > 0")
                painted = page.evaluate(
                    "performance.getEntriesByType('paint').find(p => p.name === 'first-contentful-paint').startTime"
                )
                drawn = page.evaluate("performance.getEntriesByName('results-rendered')[0].startTime")
                page.wait_for_timeout(500)  # what loads after the page (nothing, if the budget holds) is counted
                loads.append((visit, received["bytes"], painted, drawn))
            context.close()
    return loads


def budgets(runs: int) -> None:
    """The national page of a Venezuelan-sized board, as a phone on a poor connection loads it."""
    from actas.sim.generator import venezuela

    started = time.perf_counter()
    election = venezuela()
    keys = KeySet.generate(election, "bench-authority")
    items = [
        SourcePayload(s.station, payload)
        for s in simulate(election, keys.machines, VoterModel(seed=13))
        for payload in (s.zero, s.final)
    ]
    print(f"# {len(election.stations):,} mesas simulated in {time.perf_counter() - started:.0f} s")
    with tempfile.TemporaryDirectory(prefix="actas-web-") as folder:
        work = Path(folder)
        save_election(election, work / "election")
        (work / "registry.note").write_text(keys.registry(election).sign(keys.authority))
        with start_server(work / "election", work / "registry.note", f"sqlite:///{work / 'b.sqlite'}",
                          work / "board.key") as server:  # fmt: skip
            send(server.url, items, work / "sent.jsonl")
            time.sleep(1.5)
            loads = poor_connection_loads(server.url + "/", runs)
            html = httpx.get(server.url + "/", headers={"accept-encoding": "identity"}).content
    print(f"# national page on a poor connection, {time.strftime('%Y-%m-%d')}: 400 kbit/s, 400 ms, CPU 4x slower")
    print(f"national page HTML           {len(html):>8,} bytes before compression")
    if loads is None:
        print("in Chromium                (no chromium here: apt-get install chromium)")
        return
    for visit in ("cold", "warm"):
        mine = [load for load in loads if load[0] == visit]
        sent = statistics.median(b for _, b, _, _ in mine)
        painted = statistics.median(p for _, _, p, _ in mine)
        drawn = statistics.median(d for _, _, _, d in mine)
        print(
            f"{visit} load, {len(mine)} runs       {sent:>8,.0f} bytes  totals painted {painted:6.0f} ms  "
            f"script's first render {drawn:6.0f} ms  (budgets {BUDGET_BYTES:,} bytes, {BUDGET_MS:,} ms: "
            f"{'met' if sent <= BUDGET_BYTES and painted <= BUDGET_MS else 'NOT met'})"
        )


def timed_gets(url: str, path: str, runs: int) -> list[float]:
    with httpx.Client(base_url=url, timeout=60) as client:
        client.get(path).raise_for_status()
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            client.get(path).raise_for_status()
            times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stations", type=int, default=472_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pollers", type=int, default=50)
    parser.add_argument("--budgets", action="store_true", help="the page on a poor connection instead")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if args.budgets:
        budgets(args.runs)
        return

    started = time.perf_counter()
    election = synthetic(args.stations, 13)
    keys = KeySet.generate(election, "bench-authority")
    registry = keys.registry(election)
    items = [
        SourcePayload(s.station, payload)
        for s in simulate(election, keys.machines, VoterModel(seed=13))
        for payload in (s.zero, s.final)
    ]
    print(f"# {args.stations:,} mesas simulated ({len(items):,} actas) in {time.perf_counter() - started:.0f} s")
    half = len(items) // 2
    with tempfile.TemporaryDirectory(prefix="actas-web-") as folder:
        work = Path(folder)
        save_election(election, work / "election")
        (work / "registry.note").write_text(registry.sign(keys.authority))
        with (
            board_database(args.db, work) as db,
            start_server(work / "election", work / "registry.note", db, work / "board.key") as server,
        ):
            alone = send(server.url, items[:half], work / "sent-1.jsonl")
            context = multiprocessing.get_context("spawn")
            stop, out = context.Event(), context.Queue()
            watchers = context.Process(target=browsers, args=(server.url, args.pollers, stop, out))
            watchers.start()
            time.sleep(3)
            watched = send(server.url, items[half:], work / "sent-2.jsonl")
            stop.set()
            latencies, statuses = out.get()
            watchers.join()
            time.sleep(1.5)
            board = httpx.get(server.url + "/v1/results").json()
            html = timed_gets(server.url, "/", 30)
            json_only = timed_gets(server.url, "/v1/results", 30)
            unchanged = timed_gets(server.url, "/v1/board/key", 30)
            size = len(httpx.get(server.url + "/").content)
            rendered = page_in_chromium(server.url + "/", 10)

    print(f"# live results page, {args.db}, {time.strftime('%Y-%m-%d')}")
    print(
        f"ingest, nobody watching    {alone:>8,.0f} actas/s   (first {half:,} actas; floor of this run; "
        "server issue's figure 3,347)"
    )
    print(
        f"ingest, {args.pollers} live pages     {watched:>8,.0f} actas/s   ({100 * watched / alone:.0f}% of the floor; "
        f"{len(latencies):,} polls: {statuses}; poll p50 {percentile(latencies, 0.5):.1f} ms, "
        f"p99 {percentile(latencies, 0.99):.1f} ms)"
    )
    print(
        f"on the board               {board['stations']['reported']:>8,} of {board['stations']['expected']:,} mesas "
        f"counted, checkpoint {board['checkpoint']['size']:,}"
    )
    timings = (
        ("national page, HTML", html),
        ("same results as JSON", json_only),
        ("a constant answer (floor)", unchanged),
    )
    for name, values in timings:
        print(f"{name:<26} p50 {percentile(values, 0.5):6.1f} ms  p99 {percentile(values, 0.99):6.1f} ms")
    print(f"{'national page size':<26} {size:,} bytes")
    if rendered is None:
        print("in Chromium                (no chromium here: apt-get install chromium)")
    else:
        print(
            f"in Chromium, to totals     median {statistics.median(rendered):6.0f} ms  max {max(rendered):6.0f} ms "
            "(navigation to first render; target under 1,000 ms)"
        )


if __name__ == "__main__":
    main()
