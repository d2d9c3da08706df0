"""Shared fixtures: a small election with its keys, a simulated election day, both storage back ends,
and a runner for the real `actas` command.

Storage: each test gets its own empty database, a SQLite file or a PostgreSQL schema. PostgreSQL is
the real server on this machine (127.0.0.1:5432, database `test`; ACTAS_TEST_PG names another); if
it is not running, the tests that need it fail and say how to start it. A PostgreSQL board is set
up as in production: its tables are created by their owner (`actas db migrate --grant`), and the
tests connect as APP_ROLE, which may only read and add rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from actas.election import Election
from actas.files import KeySet, write_private
from actas.ledger.cosignature import Cosigner, CosignerPolicy, PolicyCosigner
from actas.registry import KeyRegistry
from actas.server.process import RunningCosigner, start_cosigner
from actas.signed_note import Signer
from actas.sim.generator import synthetic
from actas.store.database import Database

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
ACTAS = Path(sys.executable).with_name("actas")


T = TypeVar("T")


def wait_for(check: Callable[[], T], timeout: float = 60, every: float = 0.05) -> T | None:
    """Ask `check` until it gives something true, and return that; at the timeout, return what it gave
    last (false: the caller's assert fails). A server that does not answer yet counts as not yet. Tests
    wait for a condition this way, never for a fixed time: on a loaded machine anything may be slow."""
    deadline = time.monotonic() + timeout
    while True:
        value: T | None = None
        try:
            value = check()
        except httpx.HTTPError:
            pass
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


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


def run_actas(
    *args: str | Path, stdin: str | None = None, cwd: Path | None = None, timeout: float = 300, columns: int = 200
) -> Run:
    """Run the installed `actas` command in a subprocess, as a user would, on a terminal `columns` wide."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["COLUMNS"] = str(columns)
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
APP_ROLE = "actas_test_server"
"""The role the tests' servers connect as: it owns nothing."""


@dataclass(frozen=True)
class DatabaseUrls:
    server: str
    """What the server connects as: APP_ROLE on PostgreSQL."""
    owner: str
    """The tables' owner (the same file for SQLite): who can still turn triggers off."""


def postgres_schema_url() -> Iterator[DatabaseUrls]:
    """A new schema with the board's tables, created by their owner, and who connects to it."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with admin.begin() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": APP_ROLE}).scalar():
                conn.execute(text(f"CREATE ROLE {APP_ROLE} LOGIN"))
    except OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {PG} ({exc.orig}); start it with: {START_PG}")
    except DBAPIError:  # another test process created the role at the same moment
        pass
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    owner_url = f"{PG}?options=-csearch_path%3D{schema}"
    database = Database(owner_url)
    database.migrate()
    database.grant(APP_ROLE)
    database.dispose()
    try:
        yield DatabaseUrls(make_url(owner_url).set(username=APP_ROLE).render_as_string(False), owner_url)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DatabaseUrls]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'board.sqlite'}"
        yield DatabaseUrls(url, url)
    else:
        yield from postgres_schema_url()


@pytest.fixture
def database_url(databases: DatabaseUrls) -> str:
    """The database a test's server uses, as the server connects to it."""
    return databases.server


def behind_the_servers_back(owner_url: str, *statements: tuple[str, dict[str, Any]]) -> None:
    """What the database's owner can still do: turn the triggers off, change rows, turn them on again."""
    tables = ("board_entries", "actas", "checkpoints")
    with Database(owner_url).engine.begin() as conn:
        postgres = conn.dialect.name == "postgresql"
        for table in tables:
            if postgres:
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only"))
            else:
                conn.execute(text(f"DROP TRIGGER {table}_no_update"))
                conn.execute(text(f"DROP TRIGGER {table}_no_delete"))
        for statement, values in statements:
            conn.execute(text(statement), values)
        if postgres:
            for table in tables:
                conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only"))


def simulated_day(root: Path, stations: int, seed: int) -> Path:
    """`actas election generate` and `actas simulate` into root/e and root/d, as a user runs them."""
    generated = run_actas(
        "election", "generate", "--preset", "synthetic", "--stations", stations, "--seed", seed, "--out", root / "e"
    )
    assert generated.code == 0, generated.stderr
    simulated = run_actas("simulate", "--election", root / "e", "--out", root / "d", "--seed", seed, "--workers", 2)
    assert simulated.code == 0, simulated.stderr
    return root


def enroll_witnesses(root: Path, count: int, election: Path, *extra: str | Path) -> dict[str, str]:
    """`actas witness enroll` of `count` witnesses, each assigned to every mesa of the election (the
    organization's key in root/organization.key); returns each witness's token."""
    definition = json.loads((election / "election.json").read_text())
    mesas = [arg for station in definition["stations"] for arg in ("--mesa", station["code"])]
    enrolled = run_actas(
        "witness", "enroll", "--count", count, *mesas, "--org-key", root / "organization.key",
        "--list", root / "witnesses.txt", "--tokens", root / "w.tokens", *extra,
    )  # fmt: skip
    assert enrolled.code == 0, enrolled.stderr
    return dict(line.split(" ") for line in (root / "w.tokens").read_text().splitlines())


@dataclass
class Cosigners:
    running: list[RunningCosigner]
    policy: CosignerPolicy
    policy_file: Path
    board_key: Path
    board: Signer


def origin_of(day: Path) -> str:
    """The origin of the official board of a simulated day's election."""
    election_id = json.loads((day / "e" / "election.json").read_text())["id"]
    return f"actas/{election_id}/official"


@contextmanager
def running_cosigners(day: Path, tmp_path: Path) -> Iterator[Cosigners]:
    """Three cosigners of the official board of a simulated day's election, two of them required, and the
    board's key in tmp_path."""
    origin = origin_of(day)
    board = Signer.generate(origin.replace("/", "."))
    write_private(tmp_path / "board.key", board.to_text() + "\n")
    running = []
    try:
        for i in range(3):
            key = Cosigner.generate(f"cosigner{i}.test")
            write_private(tmp_path / f"c{i}.key", key.to_text() + "\n")
            running.append(start_cosigner(tmp_path / f"c{i}.key", {origin: board.verifier}, tmp_path / f"c{i}.sqlite"))
        policy = CosignerPolicy(tuple(PolicyCosigner(c.key, c.url) for c in running), 2)
        (tmp_path / "cosigners.policy").write_text(policy.to_text())
        yield Cosigners(running, policy, tmp_path / "cosigners.policy", tmp_path / "board.key", board)
    finally:
        for cosigner in running:
            cosigner.stop()


def children_of(pid: int) -> list[int]:
    """The processes whose parent is `pid`, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
