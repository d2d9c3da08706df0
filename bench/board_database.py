"""An empty database for a benchmark's board: a SQLite file in the work folder, or a PostgreSQL schema
of its own on this machine's server, dropped afterwards."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text

PG = "postgresql://postgres@127.0.0.1:5432/test"


@contextlib.contextmanager
def board_database(kind: str, work: Path) -> Iterator[str]:
    """The URL of an empty board database of `kind` (sqlite or postgresql)."""
    if kind == "sqlite":
        yield f"sqlite:///{work / 'board.sqlite'}"
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(PG.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{PG}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()
