"""The inbox's text search: each held entry's folded words, filled in for what is held.

Revision ID: n0010
Revises: n0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gulfsec.domain.search import entry_text

revision = "n0010"
down_revision = "n0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    search = op.create_table(
        "node_search",
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    conn = op.get_bind()
    entries = sa.table("node_entries", sa.column("idx", sa.BigInteger),
                       sa.column("raw", sa.LargeBinary))
    after = -1
    while True:
        rows = conn.execute(sa.select(entries.c.idx, entries.c.raw)
                            .where(entries.c.idx > after).order_by(entries.c.idx)
                            .limit(5000)).all()
        if not rows:
            break
        conn.execute(sa.insert(search),
                     [{"idx": r.idx, "text": entry_text(bytes(r.raw))} for r in rows])
        after = rows[-1].idx


def downgrade() -> None:
    op.drop_table("node_search")
