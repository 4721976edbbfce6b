"""The hub's signed receipt for each entry the node sent (its signed answer, as JSON).

Revision ID: n0005
Revises: n0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "n0005"
down_revision = "n0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("node_outbox") as batch:
        batch.add_column(sa.Column("receipt", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("node_outbox") as batch:
        batch.drop_column("receipt")
