"""Fixtures of the pages' tests: a simulated election day, its boards served over loopback, and a kiosk."""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from actas.acta.codec import parse_payload, sign_acta
from actas.acta.model import SignedActa
from actas.files import KeySet
from actas.server.process import RunningServer, start_server
from tests.conftest import enroll_witnesses, simulated_day

PIN = "246813"


@dataclass(frozen=True)
class Day:
    root: Path
    election: Path
    registry: Path
    witnesses: Path
    tokens: dict[str, str]

    def finals(self) -> dict[str, SignedActa]:
        records = [json.loads(x) for x in (self.root / "d" / "actas.jsonl").read_text().splitlines()]
        return {s.acta.station: s for s in (parse_payload(r["payload"]) for r in records if r["kind"] == "final")}

    def payloads(self) -> list[str]:
        return [json.loads(x)["payload"] for x in (self.root / "d" / "actas.jsonl").read_text().splitlines()]

    def second_final(self, station: str) -> SignedActa:
        """Another final acta of a station, signed by its own machine's key (a machine that printed two)."""
        signed = self.finals()[station]
        keys = KeySet.load(self.root / "d" / "keys")
        contest = signed.acta.contests[0]
        moved = (contest.votes[0] - 1, contest.votes[1] + 1, *contest.votes[2:])
        acta = dataclasses.replace(signed.acta, contests=(dataclasses.replace(contest, votes=moved),))
        return sign_acta(acta, keys.machines[station])


def publish(server: RunningServer, payloads: list[str]) -> list[dict[str, Any]]:
    """Send actas to a board as a relay does, in batches of at most 1,000; each one's answer."""
    answers = []
    for start in range(0, len(payloads), 1000):
        body = "".join(json.dumps({"payload": p}) + "\n" for p in payloads[start : start + 1000])
        response = httpx.post(
            server.url + "/v1/actas/batch", content=body, headers={"content-type": "application/x-ndjson"}, timeout=60
        )
        assert response.status_code == 200, response.text
        answers += response.json()["results"]
    return answers


@pytest.fixture(scope="module")
def full_board(web_day: Day, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """An official board on SQLite with every acta of the day on it, for a module's tests to read."""
    root = tmp_path_factory.mktemp("board")
    running = start_server(web_day.election, web_day.registry, f"sqlite:///{root / 'b.sqlite'}", root / "b.key")
    publish(running, web_day.payloads())
    yield running
    running.stop()


@pytest.fixture(scope="session")
def web_day(tmp_path_factory: pytest.TempPathFactory) -> Day:
    root = tmp_path_factory.mktemp("webday")
    simulated_day(root, 24, 21)
    tokens = enroll_witnesses(root, 4, root / "e")
    return Day(root, root / "e", root / "d" / "registry.note", root / "witnesses.txt", tokens)


BALLOT_BOX_PRINTER = (
    "import pathlib, secrets, sys; "
    "pathlib.Path(sys.argv[1], secrets.token_hex(8) + '.pdf').write_bytes(sys.stdin.buffer.read())"
)
"""A receipt printer for the tests: each PDF drops into a directory under a random name, as paper into a box."""


@dataclass
class RunningKiosk:
    url: str
    """The voter's screen."""
    worker_url: str
    """The poll workers' console."""
    out: Path
    box: Path
    """Where the printer drops what it prints (receipts and actas), outside the kiosk's own directory."""
    process: subprocess.Popen[str]
    log: list[str]
    """What the kiosk wrote on stderr."""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def worker(self) -> httpx.Client:
        """A poll worker's browser on the console: its own origin on every request, cookies kept."""
        return httpx.Client(base_url=self.worker_url, headers={"origin": self.worker_url}, timeout=60)

    def voter(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"origin": self.url}, timeout=60)


def start_kiosk(day: Day, station: str, out: Path, server: str | None, *extra: str) -> RunningKiosk:
    """`actas kiosk` in a subprocess on free loopback ports, as a polling station runs it."""
    pin = out.parent / f"{out.name}.pin"
    pin.write_text(PIN + "\n")
    pin.chmod(stat.S_IRUSR | stat.S_IWUSR)
    box = out.parent / f"{out.name}-box"
    box.mkdir(exist_ok=True)
    printer = shlex.join([sys.executable, "-c", BALLOT_BOX_PRINTER, str(box)])
    command = [
        str(Path(sys.executable).with_name("actas")), "kiosk", "--election", str(day.election), "--station", station,
        "--key", str(day.root / "d" / "keys" / "machines.keys"), "--pin-file", str(pin), "--out", str(out),
        "--printer", printer, "--port", "0", "--worker-port", "0", *extra,
    ]  # fmt: skip
    if server is not None:
        command += ["--server", server]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "1000"}
    )
    assert process.stdout is not None and process.stderr is not None
    lines = [process.stdout.readline() for _ in range(3)]
    if not lines[1].startswith("listening on"):
        process.wait(timeout=30)
        raise AssertionError(f"the kiosk did not start: {lines} {process.stderr.read()}")
    log: list[str] = []
    threading.Thread(target=lambda: [None for _ in process.stdout or ()], daemon=True).start()
    threading.Thread(target=lambda: log.extend(process.stderr or ()), daemon=True).start()
    return RunningKiosk(lines[1].split()[2], lines[2].split()[-1], out, box, process, log)


@pytest.fixture
def kiosk_factory(web_day: Day, tmp_path: Path) -> Iterator[object]:
    started: list[RunningKiosk] = []

    def make(station: str, server: str | None, name: str = "vm", *extra: str) -> RunningKiosk:
        running = start_kiosk(web_day, station, tmp_path / name, server, *extra)
        started.append(running)
        return running

    yield make
    for running in started:
        running.stop()
