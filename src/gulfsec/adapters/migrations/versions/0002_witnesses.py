"""Witnesses: the hub's timestamp on each checkpoint, cosignatures, and finality.

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
    with op.batch_alter_table("checkpoints") as batch:
        batch.add_column(sa.Column("final_at", sa.BigInteger, nullable=True))
        batch.add_column(sa.Column("quorum", sa.Text, nullable=True))
    op.create_table(
        "cosignatures",
        sa.Column("size", sa.BigInteger, sa.ForeignKey("checkpoints.size"), primary_key=True),
        sa.Column("party", sa.String(8), primary_key=True),
        sa.Column("key_id", sa.String(8), nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("line", sa.Text, nullable=False),
        sa.Column("received_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_checkpoints_final", "checkpoints", ["final_at"])


def downgrade() -> None:
    op.drop_index("ix_checkpoints_final", "checkpoints")
    op.drop_table("cosignatures")
    with op.batch_alter_table("checkpoints") as batch:
        batch.drop_column("quorum")
        batch.drop_column("final_at")
