"""Checkpoints are published with the cosignatures they got from the board's cosigners.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from actas.store.append_only import protect

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_table(
        "published_checkpoints",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("size", sa.BigInteger, nullable=False, index=True),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("cosignatures", sa.Integer, nullable=False),
        sa.Column("quorum", sa.Integer, nullable=False),
        sa.Column("published_at", sa.String(20), nullable=False),
    )
    protect("published_checkpoints")


def downgrade() -> None:
    raise RuntimeError("the bulletin board is never downgraded")
