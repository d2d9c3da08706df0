"""The board's tables (SQLAlchemy Core). Changes go through a migration in migrations/versions."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, LargeBinary, MetaData, String, Table, Text, UniqueConstraint

metadata = MetaData()

entries = Table(
    "board_entries",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    Column("received_at", String(20), nullable=False),
)
"""Every accepted artifact, in board order: the leaves of the Merkle tree. Never updated or deleted."""

actas = Table(
    "actas",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("station", String(64), nullable=False, index=True),
    Column("kind", String(8), nullable=False),
    Column("idx", BigInteger, nullable=False, unique=True),
)
"""An index of the acta entries: which station, and where on the board."""

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("signed_at", String(20), nullable=False),
)

rejections = Table(
    "rejections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("digest", String(64), nullable=False),
    Column("reason", String(300), nullable=False),
    Column("size", Integer, nullable=False),
    Column("station", String(64), index=True),
    Column("count", Integer, nullable=False),
    Column("first_at", String(20), nullable=False),
    Column("last_at", String(20), nullable=False),
)
"""Refused submissions: a digest, the reason and a count, never the refused bytes themselves. A row per
(digest, reason) per batch of refusals written, never updated: the same refusal in several batches is
several rows, whose counts add up."""

reports = Table(
    "reports",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("station", String(64), nullable=False, index=True),
    Column("witness", String(64), nullable=False),
    Column("idx", BigInteger, nullable=False, unique=True),
)
"""An index of the witness-report entries of an observer's board: which mesa, which witness, where."""

published = Table(
    "published_checkpoints",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("size", BigInteger, nullable=False, index=True),
    Column("note", Text, nullable=False),
    Column("cosignatures", Integer, nullable=False),
    Column("quorum", Integer, nullable=False),
    Column("published_at", String(20), nullable=False),
)
"""Checkpoints as published with their cosigners' cosignatures (a board with a cosigner policy). A
checkpoint asked again later, with more cosignatures, is another row; readers take the best."""

ballot_records = Table(
    "ballot_records",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("station", String(64), nullable=False, index=True),
    Column("record", String(64), nullable=False, index=True),
    Column("last_code", String(64), nullable=False, unique=True),
    Column("tally", LargeBinary, nullable=False),
)
"""An index of the parts of the mesas' records of encrypted ballots (an entry each): which mesa, the record's
last code (the one its final acta carries), the part's own, and with the last part the record's tally, the
sum of its cast ballots (per option α then β, 32 bytes each), which the trustees' shares must decrypt (empty
with the other parts)."""

ballot_codes = Table(
    "ballot_codes",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("idx", BigInteger, nullable=False),
    Column("place", Integer, nullable=False),
)
"""Every confirmation code on the board: the part of a record that holds its ballot, and the ballot's place
in its mesa's record."""

tally_shares = Table(
    "tally_shares",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("station", String(64), nullable=False),
    Column("trustee", Integer, nullable=False),
    UniqueConstraint("station", "trustee"),
)
"""An index of the trustees' shares of each mesa's tally: one entry per mesa and trustee."""
