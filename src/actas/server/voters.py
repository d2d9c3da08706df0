"""Where a voter votes, by national id: the authority's voters' table (`actas serve --voters FILE`), as the
2024 opposition's site let every Venezuelan find their mesa.

The table is a CSV file with a header naming a `national_id` column and a `station` column (others are
ignored). It is read once, checked row by row (an id of letters and digits, a station of the election,
no id twice), and kept in an SQLite index beside the board's key, rebuilt only when the file changes. A
table with any bad row is refused whole, naming the row, and the index in use is left as it was.

An id is compared without case, dots, dashes or spaces: `V-12.345.678` and `v12345678` are one id.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

from actas.election import Election
from actas.errors import FormatError, InputError

MAX_LINE = 1_000
"""No row of a voters' table is longer; a longer one is refused as it is read."""
BATCH = 50_000
ID_RE = re.compile(r"[A-Z0-9]{1,20}")


def voter_key(text: str) -> str | None:
    """An id as the table keeps it (upper case, letters and digits only), or None if it cannot be one."""
    key = re.sub(r"[\s.\-]", "", text).upper()
    return key if ID_RE.fullmatch(key) else None


def _lines(path: Path) -> Iterator[str]:
    """The file's lines, each refused as soon as it is longer than any row is."""
    with path.open("rb") as raw:
        for number, line in enumerate(iter(lambda: raw.readline(MAX_LINE + 2), b""), start=1):
            if len(line.rstrip(b"\r\n")) > MAX_LINE:
                raise FormatError(f"voters' table {path.name}: line {number:,} is longer than {MAX_LINE:,} bytes")
            try:
                yield line.decode("utf-8")
            except UnicodeDecodeError:
                raise FormatError(f"voters' table {path.name}: line {number:,} is not UTF-8") from None


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as raw:
        for block in iter(lambda: raw.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class VoterTable:
    """The index of a voters' table: a national id's station."""

    def __init__(self, index: Path) -> None:
        self.index = index
        self._conn = sqlite3.connect(f"file:{index}?mode=ro", uri=True, check_same_thread=False)

    @classmethod
    def load(
        cls, source: Path, election: Election, index: Path, progress: Callable[[int], None] = lambda rows: None
    ) -> VoterTable:
        """The index of `source`, built (or rebuilt, when the file changed) at `index`."""
        if not source.is_file():
            raise InputError(f"--voters {source}: no such file")
        digest = _digest(source)
        if index.is_file():
            with sqlite3.connect(index) as conn:
                try:
                    kept = conn.execute("SELECT value FROM meta WHERE key = 'sha256'").fetchone()
                except sqlite3.DatabaseError:
                    kept = None
            if kept is not None and kept[0] == digest:
                return cls(index)
        building = index.with_name(index.name + ".building")
        building.unlink(missing_ok=True)
        try:
            _build(source, election, building, digest, progress)
            os.replace(building, index)
        finally:
            building.unlink(missing_ok=True)
        return cls(index)

    def station_of(self, national_id: str) -> str | None:
        key = voter_key(national_id)
        if key is None:
            return None
        found = self._conn.execute("SELECT station FROM voters WHERE id = ?", (key,)).fetchone()
        return None if found is None else str(found[0])

    def __len__(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM voters").fetchone()[0])


def _build(source: Path, election: Election, index: Path, digest: str, progress: Callable[[int], None]) -> None:
    lines = _lines(source)
    header = next(csv.reader(io.StringIO(next(lines, ""))), [])
    columns = [h.strip().lower() for h in header]
    if "national_id" not in columns or "station" not in columns:
        raise FormatError(
            f"voters' table {source.name}: the first line must name the columns national_id and station, found "
            f"{', '.join(columns[:6]) or 'nothing'}"
        )
    id_at, station_at = columns.index("national_id"), columns.index("station")
    stations = election.station_by_code
    with sqlite3.connect(index) as conn:
        conn.execute("PRAGMA journal_mode = MEMORY")  # a batch can be rolled back to find a repeated id
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("CREATE TABLE voters (id TEXT PRIMARY KEY, station TEXT NOT NULL) WITHOUT ROWID")
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        rows: list[tuple[str, str, int]] = []
        count = 0
        for number, row in enumerate(csv.reader(lines), start=2):
            if not row:
                continue
            if len(row) <= max(id_at, station_at):
                raise FormatError(f"voters' table {source.name}: line {number:,} has {len(row)} columns")
            key, station = voter_key(row[id_at]), row[station_at].strip()
            if key is None:
                raise FormatError(f"voters' table {source.name}: line {number:,}: {row[id_at][:24]!r} is not an id")
            if station not in stations:
                raise FormatError(
                    f"voters' table {source.name}: line {number:,}: no station {station[:40]!r} in this election"
                )
            rows.append((key, station, number))
            if len(rows) == BATCH:
                count += _insert(conn, rows, source)
                progress(count)
                rows = []
        count += _insert(conn, rows, source)
        progress(count)
        conn.execute("INSERT INTO meta VALUES ('sha256', ?)", (digest,))


def _insert(conn: sqlite3.Connection, rows: list[tuple[str, str, int]], source: Path) -> int:
    """Add a batch of rows (id, station, line); an id already there is refused naming its line."""
    conn.execute("SAVEPOINT batch")
    try:
        conn.executemany("INSERT INTO voters VALUES (?, ?)", ((key, station) for key, station, _ in rows))
    except sqlite3.IntegrityError:
        conn.execute("ROLLBACK TO batch")
        for key, station, line in rows:  # which row: one at a time, only on this error
            try:
                conn.execute("INSERT INTO voters VALUES (?, ?)", (key, station))
            except sqlite3.IntegrityError:
                raise FormatError(f"voters' table {source.name}: line {line:,}: the id {key} appears twice") from None
    conn.execute("RELEASE batch")
    return len(rows)
