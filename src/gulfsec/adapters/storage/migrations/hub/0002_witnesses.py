"""Witnesses: their cosignatures on checkpoints (finality is computed from them).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cosignatures",
        sa.Column("size", sa.BigInteger, sa.ForeignKey("checkpoints.size"), primary_key=True),
        sa.Column("party", sa.String(8), primary_key=True),
        sa.Column("key_id", sa.String(8), nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("line", sa.Text, nullable=False),
        sa.Column("received_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_cosignatures_received", "cosignatures", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_cosignatures_received", "cosignatures")
    op.drop_table("cosignatures")
