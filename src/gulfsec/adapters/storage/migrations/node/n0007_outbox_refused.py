"""Entries the hub refused for good, moved out of the outbox so that they hold up nothing.

Revision ID: n0007
Revises: n0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "n0007"
down_revision = "n0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "node_outbox_refused",
        sa.Column("entry_id", sa.LargeBinary(32), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("raw", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("refused_at", sa.BigInteger, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("confirmation", sa.String(100), nullable=True, unique=True),
    )


def downgrade() -> None:
    op.drop_table("node_outbox_refused")
