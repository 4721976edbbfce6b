"""Fresh databases for the tests: the one way to make one, on SQLite or PostgreSQL.

PostgreSQL databases are made on the test server named by ``GULFSEC_TEST_PG_URL`` (default the
local server's ``test`` database, used only to create and drop others): :func:`new_pg_database`
creates an empty database of a unique name and :meth:`Database.drop` drops it, connections and
all. The ``database_url`` fixture (``tests/conftest.py``), the process networks
(:mod:`support.processes`) and the in-process node networks (:mod:`support.inprocess`) all make
their databases here. :class:`Databases` keeps the several databases of one test or network
and drops them together: SQLite files in a directory, or PostgreSQL databases.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest
import sqlalchemy as sa

from gulfsec.adapters.storage.engine import create_db_engine

PG_URL = os.environ.get(
    "GULFSEC_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
Kind = Literal["sqlite", "postgres"]


@dataclass(frozen=True)
class Database:
    """One database: its URL, and for PostgreSQL the name to drop it by."""

    url: str
    pg_name: str | None = None

    @property
    def kind(self) -> Kind:
        return "sqlite" if self.pg_name is None else "postgres"

    def engine(self) -> sa.Engine:
        """A new engine on it (the caller disposes of it)."""
        return create_db_engine(self.url)

    def drop(self) -> None:
        """Drop a PostgreSQL database, closing whatever connections are left (a SQLite file
        goes with the test's temporary directory)."""
        if self.pg_name is None:
            return
        admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)'))
        finally:
            admin.dispose()


def new_pg_database() -> Database:
    """A new, empty PostgreSQL database on the test server; the test fails, saying how to fix
    it, if the server cannot be reached."""
    name = f"gulfsec_t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {PG_URL}: {exc.__class__.__name__} "
                    "(start it, or set GULFSEC_TEST_PG_URL)")
    finally:
        admin.dispose()
    url = sa.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    return Database(url, name)


def new_database(kind: Kind, directory: Path, name: str) -> Database:
    """A new, empty database: the SQLite file ``directory/name.db``, or a PostgreSQL one."""
    if kind == "postgres":
        return new_pg_database()
    directory.mkdir(parents=True, exist_ok=True)
    return Database(f"sqlite:///{directory / f'{name}.db'}")


def kind_of(url: str) -> Kind:
    """Which kind of database ``url`` names (for more databases of the same kind)."""
    return "sqlite" if url.startswith("sqlite") else "postgres"


@dataclass
class Databases:
    """The databases of one test or network, of one kind, dropped together by :meth:`drop`."""

    kind: Kind
    directory: Path
    created: list[Database] = field(default_factory=list)

    @classmethod
    def like(cls, url: str, directory: Path) -> Databases:
        """More databases of the kind ``url`` names (SQLite files go in ``directory``)."""
        return cls(kind_of(url), directory)

    def new(self, name: str) -> str:
        """The URL of a new, empty database (``name`` names the SQLite file)."""
        return self.add(name).url

    def add(self, name: str) -> Database:
        database = new_database(self.kind, self.directory, name)
        self.created.append(database)
        return database

    def drop(self) -> None:
        while self.created:
            self.created.pop().drop()
