"""Unit of work: one database transaction that rolls back unless committed."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Generic, TypeVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from gulfsec.adapters.db import HubRepository
from gulfsec.errors import StorageError

R = TypeVar("R")


class GenericUnitOfWork(Generic[R]):
    """``with GenericUnitOfWork(engine, Repo) as uow: ...; uow.commit()`` — else rolls back."""

    def __init__(self, engine: Engine, repository: Callable[[Connection], R]) -> None:
        self._engine = engine
        self._make_repo = repository
        self._conn: Connection | None = None
        self.repo: R

    def __enter__(self) -> GenericUnitOfWork[R]:
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
            raise StorageError(f"commit failed: {exc.__class__.__name__}: {exc}") from exc

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


class UnitOfWork(GenericUnitOfWork[HubRepository]):
    """A unit of work over the hub's database."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine, HubRepository)

    def __enter__(self) -> UnitOfWork:
        super().__enter__()
        return self
