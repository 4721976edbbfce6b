"""Witness cosignatures the node fetched from the hub, verified against its own tree.

Revision ID: n0003
Revises: n0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "n0003"
down_revision = "n0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "node_cosignatures",
        sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("party", sa.String(8), primary_key=True),
        sa.Column("line", sa.Text, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("node_cosignatures")
