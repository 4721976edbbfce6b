"""Files carried with entries: those the party attached and those it fetched from the hub.

Revision ID: n0008
Revises: n0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "n0008"
down_revision = "n0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "node_blobs",
        sa.Column("sha256", sa.LargeBinary(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("uploaded_at", sa.BigInteger, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("node_blobs")
