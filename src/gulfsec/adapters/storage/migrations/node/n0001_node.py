"""A node's verified copy: leaves, entries, checkpoints, witness state, outbox, alarms.

Revision ID: n0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "n0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('node_alarms',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('node_checkpoints',
    sa.Column('size', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('root', sa.LargeBinary(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('hub_time', sa.BigInteger(), nullable=False),
    sa.Column('received_at', sa.BigInteger(), nullable=False),
    sa.Column('final_at', sa.BigInteger(), nullable=True),
    sa.Column('cosigners', sa.Text(), server_default='', nullable=False),
    sa.PrimaryKeyConstraint('size')
    )
    op.create_table('node_entries',
    sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('entry_id', sa.LargeBinary(length=32), nullable=False),
    sa.Column('sender', sa.String(length=8), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('form', sa.String(length=64), nullable=False),
    sa.Column('audience', sa.Text(), nullable=False),
    sa.Column('claimed_time', sa.String(length=32), nullable=False),
    sa.Column('sequenced_at', sa.BigInteger(), nullable=False),
    sa.Column('verified_at', sa.BigInteger(), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('idx'),
    sa.UniqueConstraint('entry_id')
    )
    op.create_index('ix_node_entries_sender', 'node_entries', ['sender', 'seq'], unique=False)
    op.create_table('node_leaves',
    sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('entry_id', sa.LargeBinary(length=32), nullable=False),
    sa.PrimaryKeyConstraint('idx')
    )
    op.create_table('node_meta',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('node_outbox',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('entry_id', sa.LargeBinary(length=32), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('sequenced_idx', sa.BigInteger(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('seq')
    )
    op.create_table('node_quarantine',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('idx', sa.BigInteger(), nullable=True),
    sa.Column('claimed_id', sa.String(length=64), nullable=True),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('node_witness',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('root', sa.LargeBinary(length=32), nullable=False),
    sa.Column('hub_time', sa.BigInteger(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('cosignature', sa.Text(), nullable=False),
    sa.Column('delivered', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('node_witness')
    op.drop_table('node_quarantine')
    op.drop_table('node_outbox')
    op.drop_table('node_meta')
    op.drop_table('node_leaves')
    op.drop_index('ix_node_entries_sender', table_name='node_entries')
    op.drop_table('node_entries')
    op.drop_table('node_checkpoints')
    op.drop_table('node_alarms')
