"""Database engines: SQLite (the embedded default, WAL with full fsync) or PostgreSQL by URL.

Database exceptions are translated into :class:`gulfsec.errors.StorageError` at this edge
(:func:`translate_errors`), with no driver message beyond its first line.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from gulfsec.errors import StorageError


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _on_sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def create_db_engine(url: str) -> Engine:
    """An engine for ``url`` with the settings gulfsec relies on (durability, isolation)."""
    try:
        if _is_sqlite(url):
            engine = sa.create_engine(url, connect_args={"check_same_thread": False})
            sa.event.listen(engine, "connect", _on_sqlite_connect)
        else:
            engine = sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise StorageError(f"cannot open database {redact(url)}: {exc}") from exc
    return engine


def redact(url: str) -> str:
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except SQLAlchemyError:
        return "<unparseable url>"


@contextlib.contextmanager
def translate_errors(what: str) -> Iterator[None]:
    """Turn SQLAlchemy errors into StorageError naming what was being done."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise StorageError(f"database error while {what}: {exc.__class__.__name__}: "
                           f"{str(exc).splitlines()[0]}") from exc
