"""Indexes of the encrypted ballots' entries: each part of a mesa's record, its record's tally with the last
part, each confirmation code, each trustee's shares of a mesa's tally; append-only like the entries.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from actas.store.append_only import protect

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.create_table(
        "ballot_records",
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("station", sa.String(64), nullable=False, index=True),
        sa.Column("record", sa.String(64), nullable=False, index=True),
        sa.Column("last_code", sa.String(64), nullable=False, unique=True),
        sa.Column("tally", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "ballot_codes",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("idx", sa.BigInteger, nullable=False),
        sa.Column("place", sa.Integer, nullable=False),
    )
    op.create_table(
        "tally_shares",
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("station", sa.String(64), nullable=False),
        sa.Column("trustee", sa.Integer, nullable=False),
        sa.UniqueConstraint("station", "trustee"),
    )
    for table in ("ballot_records", "ballot_codes", "tally_shares"):
        protect(table)


def downgrade() -> None:
    raise RuntimeError("the bulletin board is never downgraded")
