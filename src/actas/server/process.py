"""Running `actas serve` (and `actas cosigner serve`) in a subprocess on a free loopback port: for the demo
and the tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from actas.errors import InputError
from actas.ledger.cosignature import CosignerKey
from actas.signed_note import Verifier

STOP_WAIT = 30.0
"""Seconds a server or cosigner is given to stop before it is killed."""


@dataclass
class RunningServer:
    url: str
    board_key: Verifier
    origin: str
    process: subprocess.Popen[str]

    def stop(self, sig: int = signal.SIGTERM) -> None:
        stop_process(self.process, sig)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_server(
    election: Path,
    registry: Path,
    db: str,
    board_key: Path,
    *,
    port: int = 0,
    refresh_interval: float = 0.5,
    workers: int = 1,
    witnesses: Path | None = None,
    official: str | None = None,
    roving: bool = False,
    wrapper: Sequence[str] = (),
    options: Sequence[str] = (),
) -> RunningServer:
    """Start a server (the observer role when given a witness list, compared with the `official` board when
    given its URL) and wait until it listens; its first line names the board and its key. `wrapper` is a
    command the server runs under (`prlimit --fsize=...` to give it a small disk, say); `options` go to
    `actas serve` as they are."""
    command = [*wrapper,
        sys.executable, "-m", "actas", "serve", "--election", str(election), "--registry", str(registry),
        "--db", db, "--board-key", str(board_key), "--port", str(port),
        "--refresh-interval", str(refresh_interval), "--workers", str(workers), *options,
    ]  # fmt: skip
    if witnesses is not None:
        command += ["--role", "observer", "--witnesses", str(witnesses)] + (["--roving"] if roving else [])
    if official is not None:
        command += ["--official", official, "--official-interval", "2"]
    process, first, url = launch(command, "server")
    return RunningServer(url, Verifier.from_text(first[-1]), first[1].rstrip(","), process)


def launch(command: Sequence[str], what: str) -> tuple[subprocess.Popen[str], list[str], str]:
    """Start an actas command that prints what it is on its first line and `listening on URL` on its second,
    and wait for both: the process, the first line's words and the URL."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "1000"}
    )
    assert process.stdout is not None
    first = process.stdout.readline().split()
    second = process.stdout.readline().split()
    if len(first) < 2 or second[:2] != ["listening", "on"]:
        process.wait(timeout=30)
        problem = process.stderr.read().strip() if process.stderr else ""
        raise InputError(f"the {what} did not start: {problem or ' '.join(first)}")
    for stream in (process.stdout, process.stderr):  # keep reading, so a chatty process never blocks on a full pipe
        threading.Thread(target=_drain, args=(stream,), daemon=True).start()
    return process, first, second[2]


def _drain(stream: IO[str] | None) -> None:
    if stream is not None:
        for _ in stream:
            pass


@dataclass
class RunningCosigner:
    url: str
    key: CosignerKey
    process: subprocess.Popen[str]

    def stop(self, sig: int = signal.SIGTERM) -> None:
        stop_process(self.process, sig)


def stop_process(process: subprocess.Popen[str], sig: int = signal.SIGTERM, timeout: float = STOP_WAIT) -> None:
    """Ask a server to stop (`sig`), and kill it if it has not within `timeout` seconds: it answers what
    is in flight and stops in 15 s, so one that is still running is stuck, and waiting longer helps no one."""
    if process.poll() is None:
        process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def start_cosigner(key: Path, logs: dict[str, Verifier], db: Path, port: int = 0) -> RunningCosigner:
    """Start `actas cosigner serve` following `logs` (origin: the key that signs its checkpoints)."""
    command = [sys.executable, "-m", "actas", "cosigner", "serve", "--key", str(key), "--db", str(db),
        "--port", str(port), *(f"--log={origin}={verifier.to_text()}" for origin, verifier in logs.items()),
    ]  # fmt: skip
    process, first, url = launch(command, "cosigner")
    return RunningCosigner(url, CosignerKey.from_text(first[-1]), process)
