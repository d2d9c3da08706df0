"""Shared fixtures: a small election with its keys, a simulated election day, both storage back ends,
and a runner for the real `actas` command.

Storage: each test gets its own empty database, a SQLite file or a PostgreSQL schema. PostgreSQL is
the real server on this machine (127.0.0.1:5432, database `test`; ACTAS_TEST_PG names another); if
it is not running, the tests that need it fail and say how to start it."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

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


PG = os.environ.get("ACTAS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
START_PG = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"


def postgres_schema_url() -> Iterator[str]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {PG} ({exc.orig}); start it with: {START_PG}")
    try:
        yield f"{PG}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'board.sqlite'}"
    else:
        yield from postgres_schema_url()


def simulated_day(root: Path, stations: int, seed: int) -> Path:
    """`actas election generate` and `actas simulate` into root/e and root/d, as a user runs them."""
    generated = run_actas(
        "election", "generate", "--preset", "synthetic", "--stations", stations, "--seed", seed, "--out", root / "e"
    )
    assert generated.code == 0, generated.stderr
    simulated = run_actas("simulate", "--election", root / "e", "--out", root / "d", "--seed", seed, "--workers", 2)
    assert simulated.code == 0, simulated.stderr
    return root
