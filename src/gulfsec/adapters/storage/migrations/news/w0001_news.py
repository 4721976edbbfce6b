"""Open news: articles, their sentences, the events coded in them, and explained findings.

Revision ID: w0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "w0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "news_articles",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("ident", sa.String(500), nullable=False),
        sa.Column("day", sa.Date, nullable=True),
        sa.Column("title", sa.Text, nullable=True),
        sa.Column("url", sa.Text, nullable=True),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("text_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("ingested_at", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("source", "ident", name="uq_news_articles_source_ident"),
    )
    op.create_table(
        "news_sentences",
        sa.Column("article_id", sa.BigInteger, sa.ForeignKey("news_articles.id"),
                  primary_key=True, autoincrement=False),
        sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("coded", sa.Boolean, nullable=False),
    )
    op.create_table(
        "news_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("article_id", sa.BigInteger, sa.ForeignKey("news_articles.id"),
                  nullable=False, index=True),
        sa.Column("sentence", sa.Integer, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("mode", sa.String(32), nullable=True),
    )
    op.create_table(
        "news_explanations",
        sa.Column("finding_id", sa.String(64), primary_key=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("explained_at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("news_explanations")
    op.drop_table("news_events")
    op.drop_table("news_sentences")
    op.drop_table("news_articles")
