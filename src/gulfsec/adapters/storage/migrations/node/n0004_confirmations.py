"""The confirmation a delegate gave on the pages, kept with the entry it made.

A page send is signed once per confirmation: the token is stored in the outbox row in the same
transaction as the signed entry, so a form posted again after a crash finds the entry already
signed instead of signing it again under the next sequence number.

Revision ID: n0004
Revises: n0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "n0004"
down_revision = "n0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("node_outbox") as batch:
        batch.add_column(sa.Column("confirmation", sa.String(100), nullable=True))
        batch.create_unique_constraint("uq_node_outbox_confirmation", ["confirmation"])


def downgrade() -> None:
    with op.batch_alter_table("node_outbox") as batch:
        batch.drop_constraint("uq_node_outbox_confirmation", type_="unique")
        batch.drop_column("confirmation")
