"""An empty database for a benchmark's board: a SQLite file in the work folder, or a PostgreSQL schema
of its own on this machine's server, dropped afterwards. On PostgreSQL the board's tables are made by
their owner and the server connects as a role that owns nothing, as `actas serve` requires."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from actas.store.database import Database

PG = "postgresql://postgres@127.0.0.1:5432/test"
SERVER_ROLE = "actas_bench_server"


@contextlib.contextmanager
def board_database(kind: str, work: Path) -> Iterator[str]:
    """The URL of an empty board database of `kind` (sqlite or postgresql)."""
    if kind == "sqlite":
        for stale in work.glob("board.sqlite*"):  # empty, even in a folder kept from an earlier run
            stale.unlink()
        yield f"sqlite:///{work / 'board.sqlite'}"
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(PG.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": SERVER_ROLE}).scalar():
            conn.execute(text(f"CREATE ROLE {SERVER_ROLE} LOGIN"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    owner = f"{PG}?options=-csearch_path%3D{schema}"
    database = Database(owner)
    database.migrate()
    database.grant(SERVER_ROLE)
    database.dispose()
    try:
        yield make_url(owner).set(username=SERVER_ROLE).render_as_string(False)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()
