"""Datasets on disk: one SQLite file, readable by actas and by anyone with `sqlite3` (docs/dataset-format.md).

Written in one transaction to a temporary file that is then renamed, so a dataset file is always
whole; read with one query per table.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from dataclasses import asdict
from pathlib import Path

from actas.dataset.model import Dataset, Declared, Option, Provenance, Signature, StationRow
from actas.errors import FormatError, InputError

APPLICATION_ID = 0x61637461  # "acta"
FORMAT_VERSION = 2
"""2: each station's signature is valid, invalid or unsigned (1 had only 'verified', true or false)."""
SEPARATOR = "\t"
"""Between the codes of a station's geography path (codes never hold tabs or line breaks)."""

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sources (idx INTEGER PRIMARY KEY, description TEXT NOT NULL);
CREATE TABLE options (
    position INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    candidate TEXT NOT NULL, candidate_name TEXT NOT NULL
);
CREATE TABLE units (path TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE stations (
    code TEXT PRIMARY KEY, path TEXT NOT NULL, registered INTEGER, voters INTEGER,
    votes TEXT NOT NULL, null_votes INTEGER, blank_votes INTEGER,
    source INTEGER NOT NULL REFERENCES sources(idx), line INTEGER NOT NULL, signature TEXT NOT NULL
);
"""


def content_digest(dataset: Dataset) -> str:
    """SHA-256 over everything the dataset holds, in a fixed order: stored beside it, checked on reading,
    so a file altered after it was written is refused rather than read."""
    digest = hashlib.sha256()
    declared = list(asdict(dataset.declared).values())
    head = [dataset.name, dataset.contest, list(dataset.levels), dataset.sources, declared]
    digest.update(json.dumps(head, ensure_ascii=False).encode())
    for o in dataset.options:
        digest.update(f"\n{o.id}\t{o.name}\t{o.candidate}\t{o.candidate_name}".encode())
    for place, name in sorted(dataset.unit_names.items()):
        digest.update(f"\n{SEPARATOR.join(place)}\t{name}".encode())
    for r in dataset.rows:
        p = r.provenance
        digest.update(
            f"\n{r.code}\t{SEPARATOR.join(r.path)}\t{r.registered}\t{r.voters}\t{r.votes}\t{r.null}\t{r.blank}"
            f"\t{p.source}\t{p.line}\t{p.signature.value}".encode()
        )
    return digest.hexdigest()


def write_dataset(dataset: Dataset, path: Path) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        with sqlite3.connect(partial) as db:
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {FORMAT_VERSION}")
            db.executescript(SCHEMA)
            meta = {
                "name": dataset.name,
                "contest": dataset.contest,
                "levels": json.dumps(list(dataset.levels), ensure_ascii=False),
                "declared_stations": json.dumps(dataset.declared.stations),
                "declared_registered": json.dumps(dataset.declared.registered),
                "sha256": content_digest(dataset),
            }
            db.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
            db.executemany("INSERT INTO sources VALUES (?, ?)", enumerate(dataset.sources))
            db.executemany(
                "INSERT INTO options VALUES (?, ?, ?, ?, ?)",
                ((i, o.id, o.name, o.candidate, o.candidate_name) for i, o in enumerate(dataset.options)),
            )
            db.executemany(
                "INSERT INTO units VALUES (?, ?)", ((SEPARATOR.join(p), n) for p, n in dataset.unit_names.items())
            )
            db.executemany(
                "INSERT INTO stations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        r.code,
                        SEPARATOR.join(r.path),
                        r.registered,
                        r.voters,
                        ",".join(map(str, r.votes)),
                        r.null,
                        r.blank,
                        r.provenance.source,
                        r.provenance.line,
                        r.provenance.signature.value,
                    )
                    for r in dataset.rows
                ),
            )
        db.close()
        os.replace(partial, path)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise InputError(f"cannot write the dataset {path}: {exc}") from None


def read_dataset(path: Path) -> Dataset:
    if not path.is_file():
        raise InputError(f"no dataset at {path}")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return _read(db, path)
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise FormatError(f"{path} is not an actas dataset: {exc}") from None


def _read(db: sqlite3.Connection, path: Path) -> Dataset:
    (application,) = db.execute("PRAGMA application_id").fetchone()
    (version,) = db.execute("PRAGMA user_version").fetchone()
    if application != APPLICATION_ID:
        raise FormatError(f"{path} is an SQLite file but not an actas dataset")
    if version != FORMAT_VERSION:
        raise FormatError(f"{path} is a dataset of format {version}; this actas reads format {FORMAT_VERSION}")
    meta = dict(db.execute("SELECT key, value FROM meta"))
    options = tuple(
        Option(*row) for row in db.execute("SELECT id, name, candidate, candidate_name FROM options ORDER BY position")
    )
    dataset = Dataset(
        name=meta["name"],
        contest=meta["contest"],
        options=options,
        levels=tuple(json.loads(meta["levels"])),
        sources=[d for (d,) in db.execute("SELECT description FROM sources ORDER BY idx")],
        declared=Declared(json.loads(meta["declared_stations"]), json.loads(meta["declared_registered"])),
        unit_names={tuple(p.split(SEPARATOR)): n for p, n in db.execute("SELECT path, name FROM units")},
    )
    width, depth = len(options), len(dataset.levels)
    rows = dataset.rows
    query = (
        "SELECT code, path, registered, voters, votes, null_votes, blank_votes, source, line, signature "
        "FROM stations ORDER BY rowid"
    )
    signatures = {s.value: s for s in Signature}
    for code, where, registered, voters, votes, null, blank, source, line, signed in db.execute(query):
        try:
            counts = tuple(map(int, votes.split(",")))
        except (ValueError, AttributeError):
            raise FormatError(f"{path}: station {code}: the counts are not integers") from None
        if signed not in signatures:
            raise FormatError(
                f"{path}: station {code}: its signature is {str(signed)[:20]!r}, not one of {sorted(signatures)}"
            )
        if ",".join(map(str, counts)) != votes:
            raise FormatError(f"{path}: station {code}: the counts are not written as actas writes them")
        place = tuple(where.split(SEPARATOR)) if depth else ()
        if len(counts) != width or len(place) != depth:
            raise FormatError(f"{path}: station {code} has {len(counts)} counts and {len(place)} geography codes")
        rows.append(
            StationRow(
                code, place, registered, voters, counts, null, blank, Provenance(source, line, signatures[signed])
            )
        )
    if content_digest(dataset) != meta.get("sha256"):
        raise FormatError(f"{path} was altered after it was written: its content does not match its SHA-256")
    return dataset
