"""E-mail notifications for a node's delegates: what each asked for, and the e-mails to send.

Revision ID: n0011
Revises: n0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "n0011"
down_revision = "n0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "node_notify_prefs",
        sa.Column("account_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("address", sa.String(254), nullable=False),
        sa.Column("entries", sa.Boolean, nullable=False),
        sa.Column("due", sa.Boolean, nullable=False),
        sa.Column("alarms", sa.Boolean, nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "node_notify_mails",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.Integer, nullable=False),
        sa.Column("event", sa.String(100), nullable=False),
        sa.Column("address", sa.String(254), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_try_at", sa.BigInteger, nullable=False),
        sa.Column("sent_at", sa.BigInteger, nullable=True),
        sa.Column("failed_at", sa.BigInteger, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.UniqueConstraint("account_id", "event", name="uq_node_notify_mails_event"),
    )
    op.create_index("ix_node_notify_mails_waiting", "node_notify_mails",
                    ["sent_at", "failed_at", "next_try_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_node_notify_mails_waiting", table_name="node_notify_mails")
    op.drop_table("node_notify_mails")
    op.drop_table("node_notify_prefs")
