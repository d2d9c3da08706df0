"""Refused submissions are recorded append-only, a batch at a time: a row per (digest, reason) per batch.

Revision ID: 0003
Revises: 0002

The first version kept one row per refused digest and reason and updated its count in place, so the
rejections were the one table that could be changed. Now each batch of refusals adds rows and
nothing is ever updated; readers add the counts up.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from actas.store.append_only import protect

revision = "0003"
down_revision = "0002"

COLUMNS = "digest, reason, size, station, count, first_at, last_at"


def upgrade() -> None:
    op.rename_table("rejections", "rejections_0002")
    op.create_table(
        "rejections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("station", sa.String(64), index=True),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("first_at", sa.String(20), nullable=False),
        sa.Column("last_at", sa.String(20), nullable=False),
    )
    op.execute(f"INSERT INTO rejections ({COLUMNS}) SELECT {COLUMNS} FROM rejections_0002 ORDER BY id")
    op.drop_table("rejections_0002")
    protect("rejections")


def downgrade() -> None:
    raise RuntimeError("the bulletin board is never downgraded")
