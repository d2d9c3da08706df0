"""Connecting to the board's database, migrating it, and serializing its writers.

SQLite (a file, the default) runs in WAL mode with synchronous=FULL, so a commit is on disk when it
returns; writers take the database lock up front (BEGIN IMMEDIATE). PostgreSQL writers take a
transaction-scoped advisory lock, so that any number of `actas serve` processes append to one board
without gaps or races in its numbering. A submission is acknowledged only after its commit.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import ArgumentError, DatabaseError, InternalError, OperationalError, ProgrammingError

from actas.errors import InputError, StorageError
from actas.store.schema import metadata

WRITER_LOCK = 0x61637461  # "acta": the advisory lock every PostgreSQL writer takes
MIGRATIONS = str(Path(__file__).parent / "migrations")


def _sqlite(url: str, immediate: bool) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # transactions are begun below, by us
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


FULL = ("database or disk is full", "could not extend file", "no space left", "disk full")
"""How SQLite and PostgreSQL say their disk is full (PostgreSQL's SQLSTATE 53100 is named below too)."""


@contextmanager
def _storage_errors() -> Iterator[None]:
    """A database error that is the storage's, not the statement's, as a StorageError."""
    try:
        yield
    except (OperationalError, InternalError) as exc:
        said = str(exc.orig).lower()
        code = getattr(exc.orig, "sqlstate", None) or ""
        full = code.startswith("53") or any(words in said for words in FULL)
        raise StorageError(f"the board's database cannot take the write: {str(exc.orig)[:200]}", full=full) from None


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        try:
            if url.startswith("sqlite"):
                self.engine = _sqlite(url, immediate=False)
                self._writer = _sqlite(url, immediate=True)
            elif url.startswith("postgresql"):
                url = url.replace("postgresql://", "postgresql+psycopg://", 1)
                self.engine = create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
                self._writer = self.engine
            else:
                raise InputError(f"database URL must start with sqlite:// or postgresql://, found {url[:30]!r}")
        except ArgumentError as exc:
            raise InputError(f"database URL is not valid: {exc}") from None
        self.dialect = self.engine.dialect.name
        for engine in (self.engine, self._writer):
            # Many rows in one INSERT statement rather than one execution per row: the drivers let go of
            # the interpreter lock on each execution, and taking it back behind the threads that check
            # signatures costs up to a switch interval (5 ms) a row.
            engine.dialect.use_insertmanyvalues_wo_returning = True

    def check_integrity(self) -> None:
        """On SQLite, `PRAGMA quick_check` (every page and index read, O(N)): a damaged file is refused with a
        clear message, before anything is served from it. PostgreSQL checks its own pages as it reads them."""
        if self.dialect != "sqlite":
            return
        try:
            with self.engine.connect() as conn:
                found = [str(row[0]) for row in conn.exec_driver_sql("PRAGMA quick_check").fetchmany(5)]
        except DatabaseError as exc:
            raise InputError(f"the board's database {self.url[:80]} cannot be read: {exc.orig}") from None
        if found != ["ok"]:
            raise InputError(f"the board's database {self.url[:80]} is damaged: {'; '.join(found)[:300]}")

    def migrate(self) -> None:
        """Bring the schema to the latest migration (run on every start; does nothing when current). On
        PostgreSQL only the tables' owner can, with `actas db migrate`: the server's role owns nothing."""
        config = Config()
        config.set_main_option("script_location", MIGRATIONS)
        try:
            with self._writer.begin() as conn:
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
        except OperationalError as exc:
            raise InputError(f"cannot open the database {self.url[:60]}: {exc.orig}") from None
        except ProgrammingError as exc:
            raise InputError(
                f"cannot bring the board's tables up to date as this database role ({exc.orig}): run "
                "`actas db migrate --db OWNER_URL --grant ROLE` as the tables' owner, then serve as ROLE"
            ) from None

    def grant(self, role: str) -> None:
        """Let `role` read the board's tables and add rows to them, and nothing else (PostgreSQL): it cannot
        update, delete, truncate, alter them or turn their triggers off, which only their owner can."""
        if self.dialect != "postgresql":
            raise InputError("--grant is for PostgreSQL; a SQLite board is protected by its file's permissions")
        quote = self._writer.dialect.identifier_preparer.quote
        with self._writer.begin() as conn:
            if conn.execute(text("SELECT current_user")).scalar() == role:
                raise InputError(f"role {role} owns the board's tables: grant a role that owns nothing")
            schema = quote(str(conn.execute(text("SELECT current_schema()")).scalar()))
            conn.execute(text(f"GRANT USAGE ON SCHEMA {schema} TO {quote(role)}"))
            for table in [*(t.name for t in metadata.sorted_tables), "alembic_version"]:
                conn.execute(text(f"REVOKE ALL ON {schema}.{quote(table)} FROM {quote(role)}"))
                conn.execute(text(f"GRANT SELECT, INSERT ON {schema}.{quote(table)} TO {quote(role)}"))
            for table in ("rejections", "published_checkpoints"):  # the tables whose rows are numbered
                sequence = conn.execute(text(f"SELECT pg_get_serial_sequence('{table}', 'id')")).scalar()
                conn.execute(text(f"GRANT USAGE ON SEQUENCE {sequence} TO {quote(role)}"))

    def refuse_owner_role(self) -> None:
        """On PostgreSQL, refuse to serve as a role that could alter or empty the board's tables (their
        owner, a member of the owner's role, or a superuser), or before the owner has created them."""
        if self.dialect != "postgresql":
            return
        try:
            with self.engine.connect() as conn:
                user, superuser, owner = conn.execute(
                    text(
                        "SELECT current_user, r.rolsuper, pg_has_role(current_user, c.relowner, 'MEMBER') "
                        "FROM pg_roles r LEFT JOIN pg_class c ON c.oid = to_regclass('board_entries') "
                        "WHERE r.rolname = current_user"
                    )
                ).one()
        except OperationalError as exc:
            raise InputError(f"cannot open the database {self.url[:60]}: {exc.orig}") from None
        if superuser or owner:
            raise InputError(
                f"the server connects to PostgreSQL as {user}, which could alter or empty the board's tables "
                f"({'a superuser' if superuser else 'their owner'}): serve as a role that owns nothing, set up with "
                "`actas db migrate --db OWNER_URL --grant ROLE` (docs/deployment.md)"
            )
        if owner is None:
            raise InputError(
                "the board's tables do not exist yet: create them as their owner with "
                f"`actas db migrate --db OWNER_URL --grant {user}`, then serve as {user}"
            )

    @contextmanager
    def writer(self) -> Iterator[Connection]:
        """A transaction that is the only writer of the board until it commits. A database that cannot take
        the write (a full disk, a lost connection) raises StorageError: nothing was committed."""
        with _storage_errors(), self._file_lock(), self._writer.begin() as conn:
            if self.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITER_LOCK})
            yield conn

    @contextmanager
    def side_writer(self) -> Iterator[Connection]:
        """A write to tables beside the board (refusals): no writers' lock, only the database's own."""
        with _storage_errors(), self._writer.begin() as conn:
            yield conn

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        """Between processes on one SQLite file, writers queue on a lock file: the next one starts the
        moment the lock is free, where SQLite's own busy wait would sleep and poll."""
        database = self.engine.url.database
        if self.dialect != "sqlite" or not database or database == ":memory:":
            yield
            return
        with open(database + ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    @contextmanager
    def reader(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()
        self._writer.dispose()
