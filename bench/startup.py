"""How long the `actas` command takes to start, and how much memory it takes, beside the floors measured
in the same run: the interpreter doing nothing, and the interpreter loading PyNaCl (which every command
that checks a signature needs).

Each command runs N times in turns (so that all see the same load on a shared machine); the median
wall time and the median peak resident memory (GNU time's %M) are printed.

Usage: python bench/startup.py [--runs N] [--acta FILE --registry FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = sys.executable
ACTAS = str(Path(PYTHON).with_name("actas"))
TIME = "/usr/bin/time"


def measure(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of one run of `command`, its memory as GNU time reports it (the
    child of a small C program, so that none of this interpreter's memory is counted)."""
    started = time.perf_counter()
    run = subprocess.run([TIME, "-f", "%M", *command], capture_output=True, text=True)
    wall = time.perf_counter() - started
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {run.stderr[-300:]}")
    return wall, int(run.stderr.strip().splitlines()[-1]) / 1024


def an_acta(folder: Path) -> tuple[Path, Path]:
    """A final acta and its registry, made by the command line itself."""
    run = [ACTAS, "election", "generate", "--preset", "synthetic", "--stations", "40", "--out", str(folder / "e")]
    subprocess.run(run, check=True, capture_output=True)
    run = [ACTAS, "simulate", "--election", str(folder / "e"), "--out", str(folder / "d"), "--workers", "1"]
    subprocess.run(run, check=True, capture_output=True)
    return folder / "d" / "actas.jsonl", folder / "d" / "registry.note"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        bundle, registry = an_acta(Path(folder))
        first = bundle.read_text(encoding="utf-8").splitlines()[1]  # the first station's final acta
        payload = Path(folder) / "final.txt"
        payload.write_text(json.loads(first)["payload"], encoding="utf-8")
        commands = {
            "python -c pass": [PYTHON, "-c", "pass"],
            'python -c "import nacl.signing"': [PYTHON, "-c", "import nacl.signing"],
            "actas --help": [ACTAS, "--help"],
            "actas acta verify FILE": [ACTAS, "acta", "verify", str(payload), "--registry", str(registry)],
            "actas acta verify BUNDLE (80 actas)": [ACTAS, "acta", "verify", str(bundle), "--registry", str(registry)],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        memory: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                wall, mib = measure(command)
                times[name].append(wall)
                memory[name].append(mib)
    print(f"{'command':<38} {'median wall':>12} {'peak memory':>12}")
    for name in commands:
        wall, mib = statistics.median(times[name]), statistics.median(memory[name])
        print(f"{name:<38} {wall:>10.3f} s {mib:>8.1f} MiB")
    print(f"({args.runs} runs each, in turns, on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
