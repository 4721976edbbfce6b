"""The open news store: articles, their sentences, the events coded in them, explanations.

A store of its own, with its own Alembic history (``migrations/news``) and version table
(``alembic_version_news``), so it lives in its own database (SQLite ``news.db`` in the data
directory by default) or, by URL, in the hub's PostgreSQL database beside the hub's tables
(all of its tables are named ``news_*``). News is not part of the log: nothing here is
signed, and the store can be rebuilt by ingesting the same sources again.

An article is the same as one stored when it has the same ``(source, ident)`` or the same
hash of its normalised text (:func:`text_hash`); both are unique in the database, so two
ingests running at once cannot store it twice.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from gulfsec.adapters.storage.engine import translate_errors

metadata = sa.MetaData()

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")

articles = sa.Table(
    "news_articles", metadata,
    sa.Column("id", _ID, primary_key=True, autoincrement=True),
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

sentences = sa.Table(
    "news_sentences", metadata,
    sa.Column("article_id", sa.BigInteger, sa.ForeignKey("news_articles.id"), primary_key=True,
              autoincrement=False),
    sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("coded", sa.Boolean, nullable=False),
)

events = sa.Table(
    "news_events", metadata,
    sa.Column("id", _ID, primary_key=True, autoincrement=True),
    sa.Column("article_id", sa.BigInteger, sa.ForeignKey("news_articles.id"), nullable=False,
              index=True),
    sa.Column("sentence", sa.Integer, nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("target", sa.String(16), nullable=False),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("mode", sa.String(32), nullable=True),
)

explanations = sa.Table(
    "news_explanations", metadata,
    sa.Column("finding_id", sa.String(64), primary_key=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("explained_at", sa.BigInteger, nullable=False),
)


def text_hash(text: str) -> str:
    """SHA-256 (hex) of the text normalised: NFKC, case-folded, whitespace collapsed."""
    normal = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewArticle:
    source: str
    ident: str
    day: date | None
    title: str | None
    url: str | None
    language: str | None
    text: str


@dataclass(frozen=True)
class NewEvent:
    sentence: int
    source: str
    target: str
    type: str
    mode: str | None


@dataclass(frozen=True)
class StoredEvent:
    """An event as stored, with its article and sentence."""

    id: int
    day: date | None
    source: str
    target: str
    type: str
    mode: str | None
    article_source: str
    article_ident: str
    title: str | None
    url: str | None
    sentence: str


class NewsStore:
    """The news store over an engine migrated to the ``news`` history; each method is one
    transaction, and database errors come out as :class:`gulfsec.errors.StorageError`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def close(self) -> None:
        """Close the engine's connections."""
        self.engine.dispose()

    def add(self, article: NewArticle, split: Sequence[tuple[str, bool]],
            coded: Sequence[NewEvent], now: int) -> Literal["new", "duplicate"]:
        """Store ``article``, its sentences (text, whether coded) and its events, unless one
        with the same source and id, or the same normalised text, is stored already."""
        digest = text_hash(article.text)
        with translate_errors("storing an article"):
            try:
                with self.engine.begin() as conn:
                    if self._known(conn, article, digest):
                        return "duplicate"
                    row = conn.execute(articles.insert().values(
                        source=article.source, ident=article.ident, day=article.day,
                        title=article.title, url=article.url, language=article.language,
                        text=article.text, text_hash=digest, ingested_at=now,
                    ).returning(articles.c.id)).one()
                    if split:
                        conn.execute(sentences.insert(), [
                            {"article_id": row.id, "position": i, "text": text, "coded": ok}
                            for i, (text, ok) in enumerate(split)])
                    if coded:
                        conn.execute(events.insert(), [
                            {"article_id": row.id, "sentence": e.sentence, "source": e.source,
                             "target": e.target, "type": e.type, "mode": e.mode}
                            for e in coded])
            except IntegrityError:  # stored meanwhile by another ingest
                return "duplicate"
        return "new"

    @staticmethod
    def _known(conn: Connection, article: NewArticle, digest: str) -> bool:
        query = sa.select(articles.c.id).where(sa.or_(
            sa.and_(articles.c.source == article.source, articles.c.ident == article.ident),
            articles.c.text_hash == digest)).limit(1)
        return conn.execute(query).first() is not None

    def counts(self) -> dict[str, int]:
        """How many articles, sentences (and of those not coded) and events are stored."""
        with translate_errors("counting news"), self.engine.connect() as conn:
            def count(query: sa.Select[Any]) -> int:
                return int(conn.execute(query).scalar_one())

            return {
                "articles": count(sa.select(sa.func.count()).select_from(articles)),
                "sentences": count(sa.select(sa.func.count()).select_from(sentences)),
                "not_coded": count(sa.select(sa.func.count()).select_from(sentences)
                                   .where(sentences.c.coded.is_(False))),
                "events": count(sa.select(sa.func.count()).select_from(events)),
            }

    def events(self) -> list[StoredEvent]:
        """Every stored event of a dated article, oldest first, with its article and
        sentence."""
        query = (
            sa.select(events.c.id, articles.c.day, events.c.source, events.c.target,
                      events.c.type, events.c.mode, articles.c.source.label("article_source"),
                      articles.c.ident, articles.c.title, articles.c.url,
                      sentences.c.text.label("sentence"))
            .join(articles, articles.c.id == events.c.article_id)
            .join(sentences, sa.and_(sentences.c.article_id == events.c.article_id,
                                     sentences.c.position == events.c.sentence), isouter=True)
            .where(articles.c.day.is_not(None))
            .order_by(articles.c.day, events.c.id)
        )
        with translate_errors("reading news events"), self.engine.connect() as conn:
            return [StoredEvent(int(r.id), r.day, r.source, r.target, r.type, r.mode,
                                r.article_source, r.ident, r.title, r.url, r.sentence or "")
                    for r in conn.execute(query)]

    def last_day(self) -> date | None:
        with translate_errors("reading news"), self.engine.connect() as conn:
            value = conn.execute(sa.select(articles.c.day).where(articles.c.day.is_not(None))
                                 .order_by(articles.c.day.desc()).limit(1)).scalar()
        return value if isinstance(value, date) else None

    def explain(self, finding_id: str, reason: str, now: int) -> None:
        """Record why a finding is explained (replacing an earlier reason)."""
        with translate_errors("storing an explanation"), self.engine.begin() as conn:
            conn.execute(explanations.delete().where(explanations.c.finding_id == finding_id))
            conn.execute(explanations.insert().values(finding_id=finding_id, reason=reason,
                                                      explained_at=now))

    def explanations(self) -> dict[str, tuple[str, int]]:
        """finding id → (reason, when, in Unix seconds)."""
        with translate_errors("reading explanations"), self.engine.connect() as conn:
            return {r.finding_id: (r.reason, int(r.explained_at))
                    for r in conn.execute(sa.select(explanations))}
