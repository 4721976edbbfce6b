"""The hotline messages a node's party sent and received.

Revision ID: n0009
Revises: n0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "n0009"
down_revision = "n0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "node_hotline",
        sa.Column("entry_id", sa.LargeBinary(32), primary_key=True),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("sender", sa.String(8), nullable=False),
        sa.Column("recipients", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=True),
        sa.Column("sent_at", sa.BigInteger, nullable=True),
        sa.Column("document", sa.Text, nullable=True),
        sa.Column("problem", sa.Text, nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("settled_at", sa.BigInteger, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("node_hotline")
