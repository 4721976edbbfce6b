"""Failed sign-ins to the pages of the secretariat's staff: counted per account name and per
client address, so that every process throttles the same password guesses, across restarts.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hub_signin_failures",
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "subject"),
    )
    op.create_index("ix_hub_signin_failures_last_failure_at", "hub_signin_failures",
                    ["last_failure_at"])


def downgrade() -> None:
    op.drop_index("ix_hub_signin_failures_last_failure_at",
                  table_name="hub_signin_failures")
    op.drop_table("hub_signin_failures")
