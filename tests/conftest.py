"""Shared fixtures: a small election with its keys, and a runner for the real `actas` command."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from actas.election import Election
from actas.files import KeySet
from actas.registry import KeyRegistry
from actas.sim.generator import synthetic

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
ACTAS = Path(sys.executable).with_name("actas")


@dataclass(frozen=True)
class Setup:
    election: Election
    keys: KeySet
    registry: KeyRegistry


@pytest.fixture(scope="session")
def small() -> Setup:
    election = synthetic(12, seed=5)
    keys = KeySet.generate(election, "test-authority")
    return Setup(election, keys, keys.registry(election))


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


def run_actas(*args: str | Path, stdin: str | None = None, cwd: Path | None = None, timeout: float = 300) -> Run:
    """Run the installed `actas` command in a subprocess, as a user would."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["COLUMNS"] = "200"
    proc = subprocess.run(
        [str(ACTAS), *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def assert_clean_failure(result: Run, code: int) -> None:
    """A refusal: the expected exit code and one line on stderr, never a traceback."""
    assert result.code == code, (result.code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.startswith("actas: ") or "Usage:" in result.stderr, result.stderr
