"""Files carried with entries: stored by SHA-256 apart from the log, who uploaded each, and
which entries name which file (so the hub gives a file only to those entries' parties).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hub_blobs",
        sa.Column("sha256", sa.LargeBinary(32), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_table(
        "hub_blob_uploads",
        sa.Column("sha256", sa.LargeBinary(32), nullable=False),
        sa.Column("party", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["sha256"], ["hub_blobs.sha256"]),
        sa.PrimaryKeyConstraint("sha256", "party"),
    )
    # No entry names a file yet: the forms that carry files come with this revision.
    op.create_table(
        "hub_blob_refs",
        sa.Column("sha256", sa.LargeBinary(32), nullable=False),
        sa.Column("entry_index", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["entry_index"], ["entries.idx"]),
        sa.PrimaryKeyConstraint("sha256", "entry_index"),
    )


def downgrade() -> None:
    op.drop_table("hub_blob_refs")
    op.drop_table("hub_blob_uploads")
    op.drop_table("hub_blobs")
