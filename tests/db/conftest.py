"""Both storage back ends, each test on its own empty database: a SQLite file, or a PostgreSQL schema.

PostgreSQL is the real server on this machine (127.0.0.1:5432, database `test`); set ACTAS_TEST_PG
to use another. If it is not running, these tests fail and say how to start it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

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
