"""Entries taken in by a hub front end that does not sequence, waiting for the one that does
(several ``gulfsec hub serve`` processes on one PostgreSQL database), with what became of each.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hub_submissions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=True, nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("settled_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_hub_submissions_settled_at", "hub_submissions", ["settled_at"])


def downgrade() -> None:
    op.drop_index("ix_hub_submissions_settled_at", table_name="hub_submissions")
    op.drop_table("hub_submissions")
