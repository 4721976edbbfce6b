"""The drafts queue: entries prepared by a delegate for an officer of the node to sign.

Revision ID: n0012
Revises: n0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "n0012"
down_revision = "n0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "node_drafts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("form", sa.String(64), nullable=False),
        sa.Column("draft", sa.Text, nullable=False),
        sa.Column("prepared_by", sa.String(64), nullable=False),
        sa.Column("prepared_at", sa.BigInteger, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("settled_by", sa.String(64), nullable=True),
        sa.Column("settled_at", sa.BigInteger, nullable=True),
        sa.Column("entry_id", sa.LargeBinary(32), nullable=True),
    )
    op.create_index("ix_node_drafts_state", "node_drafts", ["state", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_node_drafts_state", table_name="node_drafts")
    op.drop_table("node_drafts")
