"""Key registrations waiting for the secretariat's countersignature.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_registrations",
        sa.Column("entry_id", sa.LargeBinary(32), primary_key=True),
        sa.Column("party", sa.String(8), nullable=False),
        sa.Column("key_id", sa.String(8), nullable=False),
        sa.Column("raw", sa.LargeBinary, nullable=False),
        sa.Column("received_at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("pending_registrations")
