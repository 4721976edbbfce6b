"""Database engines: SQLite (the embedded default, WAL with full fsync) or PostgreSQL by URL.

A SQLite database file holds bilateral content and password hashes, so before SQLAlchemy opens
one, :func:`create_db_engine` creates its directory (mode 0700, if missing) and the file itself
(mode 0600, if missing) through :mod:`gulfsec.adapters.files`; SQLite gives the ``-wal``,
``-shm`` and ``-journal`` files it makes beside it the database file's mode. An existing
directory or file keeps its mode. In-memory and ``file:`` URI databases are left to SQLite.

Database exceptions are translated into :class:`gulfsec.errors.StorageError` at this edge
(:func:`translate_errors`), with no driver message beyond its first line.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from gulfsec.adapters.files import ensure_private_file, private_dir
from gulfsec.errors import FileError, StorageError


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _on_sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names; None for an in-memory or ``file:`` URI database."""
    parsed = sa.make_url(url)
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    if str(parsed.query.get("uri", "")).lower() in ("true", "1"):
        return None
    return Path(database)


def _prepare_sqlite_file(url: str) -> None:
    """Create the database's directory (0700) and file (0600) unless they exist."""
    path = sqlite_file(url)
    if path is None:
        return
    try:
        private_dir(path.absolute().parent)
        ensure_private_file(path)
    except FileError as exc:
        raise StorageError(f"cannot open database {redact(url)}: {exc.message}") from exc


def create_db_engine(url: str) -> Engine:
    """An engine for ``url`` with the settings gulfsec relies on (durability, isolation); a
    SQLite file is created private first (see the module's notes)."""
    try:
        if _is_sqlite(url):
            _prepare_sqlite_file(url)
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
