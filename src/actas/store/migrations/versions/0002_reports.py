"""The index of witness reports on an observer organization's board; append-only like the entries.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from actas.store.append_only import protect

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("station", sa.String(64), nullable=False, index=True),
        sa.Column("witness", sa.String(64), nullable=False),
        sa.Column("idx", sa.BigInteger, nullable=False, unique=True),
    )
    protect("reports")


def downgrade() -> None:
    raise RuntimeError("the bulletin board is never downgraded")
