"""The unit of work: one transaction over a store that rolls back unless committed.

:class:`AbstractUnitOfWork` is the port the services use: ``with uow: ...; uow.commit()``, with
``uow.repo`` the store's repository. :class:`SqlUnitOfWork` runs it on a SQLAlchemy engine (the
hub's database or a node's); tests of services that need no SQL use an in-memory fake of the
same shape (``tests/support/fakes.py``), as cosmicpython's ``FakeUnitOfWork`` does.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from types import TracebackType
from typing import Generic, TypeVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from gulfsec.adapters.storage.hub import HubRepository
from gulfsec.errors import StorageError

R = TypeVar("R")


class AbstractUnitOfWork(abc.ABC, Generic[R]):
    """``with uow: ...; uow.commit()`` — whatever is not committed is rolled back."""

    repo: R

    def __enter__(self) -> AbstractUnitOfWork[R]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    @abc.abstractmethod
    def commit(self) -> None: ...

    @abc.abstractmethod
    def rollback(self) -> None: ...


class SqlUnitOfWork(AbstractUnitOfWork[R]):
    """A unit of work on one connection of ``engine``; database errors become StorageError."""

    def __init__(self, engine: Engine, repository: Callable[[Connection], R]) -> None:
        self._engine = engine
        self._make_repo = repository
        self._conn: Connection | None = None

    def __enter__(self) -> SqlUnitOfWork[R]:
        try:
            self._conn = self._engine.connect()
            self._conn.begin()
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot reach the database: {exc.__class__.__name__}") from exc
        self.repo = self._make_repo(self._conn)
        return self

    def commit(self) -> None:
        assert self._conn is not None
        try:
            self._conn.commit()
        except SQLAlchemyError as exc:
            raise StorageError(f"commit failed: {exc.__class__.__name__}: "
                               f"{str(exc).splitlines()[0]}") from exc

    def rollback(self) -> None:
        if self._conn is not None:
            self._conn.rollback()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._conn is not None
        try:
            self._conn.rollback()
            self._conn.close()
        except SQLAlchemyError:
            pass
        if isinstance(exc, SQLAlchemyError):
            raise StorageError(f"database error: {exc.__class__.__name__}: "
                               f"{str(exc).splitlines()[0]}") from exc


class UnitOfWork(SqlUnitOfWork[HubRepository]):
    """A unit of work over the hub's database."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine, HubRepository)

    def __enter__(self) -> UnitOfWork:
        super().__enter__()
        return self

