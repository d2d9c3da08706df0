"""The bulletin board: entries, the acta index, checkpoints and rejections; entries are append-only.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from actas.store.append_only import protect

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "board_entries",
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("received_at", sa.String(20), nullable=False),
    )
    op.create_table(
        "actas",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("station", sa.String(64), nullable=False, index=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("idx", sa.BigInteger, nullable=False, unique=True),
    )
    op.create_table(
        "checkpoints",
        sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("signed_at", sa.String(20), nullable=False),
    )
    op.create_table(
        "rejections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("station", sa.String(64)),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("first_at", sa.String(20), nullable=False),
        sa.Column("last_at", sa.String(20), nullable=False),
        sa.UniqueConstraint("digest", "reason"),
    )
    for table in ("board_entries", "actas", "checkpoints"):
        protect(table)


def downgrade() -> None:
    raise RuntimeError("the bulletin board is never downgraded")
