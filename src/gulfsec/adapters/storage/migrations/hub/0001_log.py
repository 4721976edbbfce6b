"""The log: entries, their audiences, checkpoints and keys.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "entries",
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("entry_id", sa.LargeBinary(32), nullable=False),
        sa.Column("sender", sa.String(8), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("form", sa.String(64), nullable=False),
        sa.Column("audience_all", sa.Boolean, nullable=False),
        sa.Column("claimed_time", sa.String(32), nullable=False),
        sa.Column("sequenced_at", sa.BigInteger, nullable=False),
        sa.Column("raw", sa.LargeBinary, nullable=False),
        sa.UniqueConstraint("entry_id", name="uq_entries_entry_id"),
        sa.UniqueConstraint("sender", "seq", name="uq_entries_sender_seq"),
    )
    op.create_index("ix_entries_sender", "entries", ["sender", "idx"])
    op.create_index("ix_entries_all", "entries", ["audience_all", "idx"])
    op.create_table(
        "entry_audience",
        sa.Column("party", sa.String(8), primary_key=True),
        sa.Column("idx", sa.BigInteger, sa.ForeignKey("entries.idx"), primary_key=True),
    )
    op.create_table(
        "checkpoints",
        sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "keys",
        sa.Column("party", sa.String(8), primary_key=True),
        sa.Column("key_id", sa.String(8), primary_key=True),
        sa.Column("vkey", sa.Text, nullable=False),
        sa.Column("registered_at", sa.BigInteger, nullable=False),
        sa.Column("revoked_at", sa.BigInteger, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("keys")
    op.drop_table("checkpoints")
    op.drop_table("entry_audience")
    op.drop_index("ix_entries_all", "entries")
    op.drop_index("ix_entries_sender", "entries")
    op.drop_table("entries")
