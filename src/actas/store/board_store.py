"""Every statement the bulletin board issues to its database, and nothing else: the board above speaks
of entries, checkpoints, actas, reports and refusals, never of SQL.

`Statements` are issued on one connection: a writer's (inside the writers' lock and one transaction,
`BoardStore.writing`) or a reader's (`BoardStore.reading`). The rest are reads on a connection of
their own."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import astuple, dataclass
from typing import Any

from sqlalchemy import Column, Connection, Table, func, insert, select

from actas.store.database import Database
from actas.store.schema import (
    actas,
    ballot_codes,
    ballot_records,
    checkpoints,
    entries,
    published,
    rejections,
    reports,
    tally_shares,
)

SYNC_PAGE = 10_000
_PUBLISHED = (
    published.c.size,
    published.c.note,
    published.c.cosignatures,
    published.c.quorum,
    published.c.published_at,
)
MAX_PARAMETERS = 30_000
"""Parameters in one statement: below SQLite's limit (32,766) and PostgreSQL's (65,535)."""


@dataclass(frozen=True)
class StoredEntry:
    index: int
    kind: str
    data: bytes
    leaf_hash: bytes
    received_at: str


@dataclass(frozen=True)
class PublishedRow:
    """A checkpoint as published with its cosignatures."""

    size: int
    note: str
    cosignatures: int
    quorum: int
    published_at: str


@dataclass(frozen=True)
class Rejection:
    """One row of the refusals recorded: a digest and reason, how often, and when first and last."""

    digest: str
    reason: str
    size: int
    station: str | None
    count: int
    first_at: str
    last_at: str


class Statements:
    """The statements of one connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def entries_from(self, start: int) -> Iterator[StoredEntry]:
        """Every entry from `start` on, in order, streamed a page at a time: a board may be gigabytes."""
        rows = self._conn.execute(
            select(entries.c.idx, entries.c.kind, entries.c.data, entries.c.leaf_hash, entries.c.received_at)
            .where(entries.c.idx >= start)
            .order_by(entries.c.idx)
            .execution_options(yield_per=SYNC_PAGE)
        )
        for idx, kind, data, leaf, received in rows:
            yield StoredEntry(int(idx), str(kind), bytes(data), bytes(leaf), str(received))

    def _insert(self, table: Table, rows: Sequence[tuple[Any, ...]]) -> None:
        """Rows into a table in as few statements as the database's limit on parameters allows: one execution
        per statement, each row's values passed to the driver as they are (the drivers let go of the
        interpreter lock at every execution, and SQLAlchemy's processing of each row's parameters costs more
        than the insert itself)."""
        if not rows:
            return
        columns = [c.name for c in table.columns if not (c.primary_key and c.autoincrement is True)]
        mark = "?" if self._conn.dialect.paramstyle == "qmark" else "%s"
        one = "(" + ", ".join([mark] * len(columns)) + ")"
        per_statement = MAX_PARAMETERS // len(columns)
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES " + ", ".join([one] * len(chunk))
            self._conn.exec_driver_sql(sql, tuple(value for row in chunk for value in row))

    def add_entries(self, added: Sequence[StoredEntry]) -> None:
        self._insert(entries, [(e.index, e.kind, e.data, e.leaf_hash, e.received_at) for e in added])

    def first_entries(self) -> dict[int, bytes]:
        """Entries 0, 1 and 2 (the definition, the registry, and where ballots are encrypted the trustees' key
        ceremony), as far as they exist."""
        rows = self._conn.execute(select(entries.c.idx, entries.c.data).where(entries.c.idx < 3)).all()
        return {int(i): bytes(d) for i, d in rows}

    def latest_of_kind(self, kind: str) -> bytes | None:
        found = self._conn.execute(
            select(entries.c.data).where(entries.c.kind == kind).order_by(entries.c.idx.desc()).limit(1)
        ).scalar()
        return None if found is None else bytes(found)

    def latest_checkpoint_note(self) -> str | None:
        note = self._conn.execute(select(checkpoints.c.note).order_by(checkpoints.c.size.desc()).limit(1)).scalar()
        return None if note is None else str(note)

    def last_checkpoint_size(self) -> int | None:
        size = self._conn.execute(select(func.max(checkpoints.c.size))).scalar()
        return None if size is None else int(size)

    def add_checkpoint(self, size: int, root: bytes, note: str, signed_at: str) -> None:
        self._conn.execute(insert(checkpoints).values(size=size, root=root, note=note, signed_at=signed_at))

    def acta_indexes(self, digests: Sequence[str]) -> dict[str, int]:
        """The board index of each acta already on it, by digest."""
        rows = self._conn.execute(select(actas.c.digest, actas.c.idx).where(actas.c.digest.in_(digests))).all()
        return {str(d): int(i) for d, i in rows}

    def actas_held(self, stations: set[str]) -> list[tuple[str, str, str]]:
        """(station, kind, digest) of every acta on the board of these stations."""
        rows = self._conn.execute(
            select(actas.c.station, actas.c.kind, actas.c.digest).where(actas.c.station.in_(stations))
        ).all()
        return [(str(s), str(k), str(d)) for s, k, d in rows]

    def add_actas(self, rows: Sequence[tuple[str, str, str, int]]) -> None:
        """Index acta entries: (digest, station, kind, idx) of each."""
        self._insert(actas, rows)

    def announcement_index(self, leaf: bytes) -> int | None:
        found = self._conn.execute(
            select(entries.c.idx).where(entries.c.kind == "announcement", entries.c.leaf_hash == leaf)
        ).scalar()
        return None if found is None else int(found)

    def report_index(self, digest: str) -> int | None:
        found = self._conn.execute(select(reports.c.idx).where(reports.c.digest == digest)).scalar()
        return None if found is None else int(found)

    def add_report(self, digest: str, station: str, witness: str, index: int) -> None:
        self._conn.execute(insert(reports).values(digest=digest, station=station, witness=witness, idx=index))

    def final_actas(self, station: str) -> list[bytes]:
        """The payload of every final acta of a station on the board."""
        rows = self._conn.execute(
            select(entries.c.data)
            .join(actas, actas.c.idx == entries.c.idx)
            .where(actas.c.station == station, actas.c.kind == "final")
        ).all()
        return [bytes(d) for (d,) in rows]

    def record_index(self, last_code: str) -> int | None:
        """The last part's entry of the record of encrypted ballots that ends with this code, if the board has it."""
        found = self._conn.execute(select(ballot_records.c.idx).where(ballot_records.c.last_code == last_code)).scalar()
        return None if found is None else int(found)

    def codes_held(self, codes: Sequence[str]) -> dict[str, int]:
        """Which of these confirmation codes the board holds already, each with its record's entry."""
        held: dict[str, int] = {}
        for start in range(0, len(codes), MAX_PARAMETERS):
            rows = self._conn.execute(
                select(ballot_codes.c.code, ballot_codes.c.idx).where(
                    ballot_codes.c.code.in_(codes[start : start + MAX_PARAMETERS])
                )
            ).all()
            held.update((str(c), int(i)) for c, i in rows)
        return held

    def add_record(
        self,
        station: str,
        record: str,
        parts: Sequence[tuple[int, str]],
        tally: bytes,
        codes: Sequence[tuple[str, int]],
    ) -> None:
        """Index a mesa's record: each part's (entry, last code), the record's tally with its last part, and
        each confirmation code with its part's entry, in the order of the record."""
        rows = [
            (index, station, record, last, tally if i == len(parts) - 1 else b"")
            for i, (index, last) in enumerate(parts)
        ]
        self._insert(ballot_records, rows)
        self._insert(ballot_codes, [(code, index, place) for place, (code, index) in enumerate(codes, start=1)])

    def record_tallies(self, station: str) -> list[bytes]:
        """The tally of each record of encrypted ballots of a station (one, unless its final actas conflict)."""
        rows = self._conn.execute(
            select(ballot_records.c.tally).where(ballot_records.c.station == station, ballot_records.c.tally != b"")
        ).all()
        return [bytes(t) for (t,) in rows]

    def share_index(self, station: str, trustee: int) -> int | None:
        found = self._conn.execute(
            select(tally_shares.c.idx).where(tally_shares.c.station == station, tally_shares.c.trustee == trustee)
        ).scalar()
        return None if found is None else int(found)

    def add_shares(self, rows: Sequence[tuple[int, str, int]]) -> None:
        """Index trustees' shares: (idx, station, trustee) of each."""
        self._insert(tally_shares, rows)

    def rejections_recorded(self) -> int:
        return int(self._conn.execute(select(func.count()).select_from(rejections)).scalar() or 0)

    def add_rejections(self, rows: Sequence[Rejection]) -> None:
        self._insert(rejections, [astuple(r) for r in rows])


class BoardStore:
    """The board's database, as the board uses it."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @contextmanager
    def writing(self) -> Iterator[Statements]:
        """The writers' lock and one transaction: committed when the block ends, rolled back if it raises."""
        with self.db.writer() as conn:
            yield Statements(conn)

    @contextmanager
    def reading(self) -> Iterator[Statements]:
        with self.db.reader() as conn:
            yield Statements(conn)

    @contextmanager
    def recording_refusals(self) -> Iterator[Statements]:
        """A transaction of its own for refusals, which are not entries and take no writers' lock."""
        with self.db.side_writer() as conn:
            yield Statements(conn)

    def latest_checkpoint_note(self) -> str | None:
        with self.reading() as statements:
            return statements.latest_checkpoint_note()

    def checkpoint_signed_at(self, size: int) -> str | None:
        """When the board signed its checkpoint of `size` entries (UTC, as stored), if it did."""
        with self.db.reader() as conn:
            found = conn.execute(select(checkpoints.c.signed_at).where(checkpoints.c.size == size)).scalar()
        return None if found is None else str(found)

    def checkpoint_note(self, size: int) -> str | None:
        with self.db.reader() as conn:
            note = conn.execute(select(checkpoints.c.note).where(checkpoints.c.size == size)).scalar()
        return None if note is None else str(note)

    def checkpoint_notes(self, start: int, limit: int) -> list[str]:
        """Every signed checkpoint of `start` entries or more, smallest first (at most `limit`)."""
        with self.db.reader() as conn:
            rows = conn.execute(
                select(checkpoints.c.note).where(checkpoints.c.size >= start).order_by(checkpoints.c.size).limit(limit)
            ).all()
        return [str(note) for (note,) in rows]

    def publish(self, row: PublishedRow) -> None:
        """Publish a checkpoint with its cosignatures: a transaction of its own, taking no writers' lock."""
        with self.db.side_writer() as conn:
            conn.execute(insert(published).values(**row.__dict__))

    def best_published(self) -> PublishedRow | None:
        """The latest checkpoint published, with the most cosignatures it was published with."""
        order = (published.c.size.desc(), published.c.cosignatures.desc(), published.c.id.desc())
        with self.db.reader() as conn:
            row = conn.execute(select(*_PUBLISHED).order_by(*order).limit(1)).first()
        return None if row is None else PublishedRow(int(row[0]), str(row[1]), int(row[2]), int(row[3]), str(row[4]))

    def entries(self, start: int, end: int) -> list[tuple[int, str, bytes]]:
        with self.db.reader() as conn:
            rows = conn.execute(
                select(entries.c.idx, entries.c.kind, entries.c.data)
                .where(entries.c.idx >= start, entries.c.idx < end)
                .order_by(entries.c.idx)
            ).all()
        return [(int(idx), str(kind), bytes(data)) for idx, kind, data in rows]

    def station_actas(self, station: str) -> list[tuple[int, str, bytes]]:
        """(index, kind, payload) of every acta of a station, in board order."""
        return self._station_entries(actas, actas.c.kind, station)

    def station_reports(self, station: str) -> list[tuple[int, str, bytes]]:
        """(index, witness, report) of every report on a mesa, in board order."""
        return self._station_entries(reports, reports.c.witness, station)

    def _station_entries(self, index: Table, label: Column[str], station: str) -> list[tuple[int, str, bytes]]:
        """The entries an index table lists for a station, each with one of the index's columns."""
        with self.db.reader() as conn:
            rows = conn.execute(
                select(entries.c.idx, label, entries.c.data)
                .join(entries, entries.c.idx == index.c.idx)
                .where(index.c.station == station)
                .order_by(entries.c.idx)
            ).all()
        return [(int(i), str(k), bytes(d)) for i, k, d in rows]

    def station_shares(self, station: str) -> list[tuple[int, str, bytes]]:
        """(index, trustee, shares) of every trustee's shares of a mesa's tally, in board order."""
        return self._station_entries(tally_shares, tally_shares.c.trustee, station)

    def record_parts(self, start: int, end: int) -> list[int]:
        """The entries from `start` to `end` (excluded) that are parts of mesas' records of encrypted ballots."""
        with self.db.reader() as conn:
            rows = conn.execute(
                select(ballot_records.c.idx)
                .where(ballot_records.c.idx >= start, ballot_records.c.idx < end)
                .order_by(ballot_records.c.idx)
            ).all()
        return [int(i) for (i,) in rows]

    def station_records(self, station: str) -> list[tuple[int, str, bytes]]:
        """(index, its record's last code, part) of every part of a record of encrypted ballots of a mesa, in
        board order."""
        return self._station_entries(ballot_records, ballot_records.c.record, station)

    def ballot_codes(self, prefix: str, limit: int) -> list[tuple[str, int, int]]:
        """(code, record's index, place) of the confirmation codes that start with `prefix` (lowercase
        hexadecimal), at most `limit` of them."""
        end = prefix + "g"  # after every code that starts with the prefix: "g" sorts after the hex digits
        with self.db.reader() as conn:
            rows = conn.execute(
                select(ballot_codes.c.code, ballot_codes.c.idx, ballot_codes.c.place)
                .where(ballot_codes.c.code >= prefix, ballot_codes.c.code < end)
                .order_by(ballot_codes.c.code)
                .limit(limit)
            ).all()
        return [(str(c), int(i), int(p)) for c, i, p in rows]

    def station_rejections(self, station: str, limit: int) -> list[dict[str, Any]]:
        """Refusals that named a station, a row per digest and reason: count, first and last time."""
        with self.db.reader() as conn:
            rows = conn.execute(
                select(
                    rejections.c.digest,
                    rejections.c.reason,
                    func.sum(rejections.c.count).label("count"),
                    func.min(rejections.c.first_at).label("first_at"),
                    func.max(rejections.c.last_at).label("last_at"),
                )
                .where(rejections.c.station == station)
                .group_by(rejections.c.digest, rejections.c.reason)
                .order_by(func.min(rejections.c.id))
                .limit(limit)
            ).mappings()
            return [dict(r) for r in rows]

    def rejections_after(self, start: int, limit: int) -> list[dict[str, Any]]:
        """Recorded refusals after row `start`, in order."""
        with self.db.reader() as conn:
            rows = conn.execute(
                select(rejections).where(rejections.c.id > start).order_by(rejections.c.id).limit(limit)
            ).mappings()
            return [dict(r) for r in rows]
