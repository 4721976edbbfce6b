"""Accounts and sessions for the web pages: tables and queries, in a node's or the hub's database.

A node's delegates and the hub's secretariat staff sign in to the pages with a name and a
password. The tables are the same shape in both databases, under different names so that a node
and the hub could even share one PostgreSQL database: ``node_accounts``/``node_sessions`` in a
node's, ``hub_accounts``/``hub_sessions`` in the hub's. Each has its own Alembic revision
(``n0002`` for the node, ``0004`` for the hub); the migration environments list
:data:`node_metadata` and :data:`hub_metadata` beside their own.

A session row keys on the SHA-256 of the session token: the token itself lives only in the
browser's cookie, so reading the database does not give anyone a live session.

``node_signin_failures``/``hub_signin_failures`` (revisions ``n0006`` and ``0005``) count
recent failed sign-ins per account name and per client address, so that every process of a
node or the hub throttles the same guesses and a restart forgets none. A row is keyed by its
scope (``account`` or ``address``) and subject (the name as typed, trimmed and lower-cased,
whether or not such an account exists; or the address); the rule that turns a count into a
wait lives in :mod:`gulfsec.services.shared.accounts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

node_metadata = sa.MetaData()
hub_metadata = sa.MetaData()


def _account_table(name: str, metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        name, metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("password_changed_at", sa.BigInteger, nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    )


def _session_table(name: str, accounts: str, metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        name, metadata,
        sa.Column("token_hash", sa.LargeBinary(32), primary_key=True),
        sa.Column("account_id", sa.Integer,
                  sa.ForeignKey(f"{accounts}.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("last_seen_at", sa.BigInteger, nullable=False),
    )


SUBJECT_MAX: Final = 128
"""The longest subject (account name as typed, client address) a failure row keeps."""


def _failure_table(name: str, metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        name, metadata,
        sa.Column("scope", sa.String(8), primary_key=True),
        sa.Column("subject", sa.String(SUBJECT_MAX), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure_at", sa.BigInteger, nullable=False, index=True),
    )


@dataclass(frozen=True)
class AccountTables:
    """The tables one kind of database keeps accounts, sessions and sign-in failures in."""

    accounts: sa.Table
    sessions: sa.Table
    failures: sa.Table


NODE_TABLES = AccountTables(
    _account_table("node_accounts", node_metadata),
    _session_table("node_sessions", "node_accounts", node_metadata),
    _failure_table("node_signin_failures", node_metadata),
)
HUB_TABLES = AccountTables(
    _account_table("hub_accounts", hub_metadata),
    _session_table("hub_sessions", "hub_accounts", hub_metadata),
    _failure_table("hub_signin_failures", hub_metadata),
)


@dataclass(frozen=True)
class AccountRow:
    id: int
    name: str
    role: str
    password_hash: str
    created_at: int
    password_changed_at: int
    disabled: bool


@dataclass(frozen=True)
class FailureRow:
    """Failed sign-ins counted for one subject, and when the last one was counted (µs)."""

    failures: int
    last_failure_at: int


@dataclass(frozen=True)
class SessionRow:
    token_hash: bytes
    account_id: int
    csrf_token: str
    created_at: int
    last_seen_at: int


def _account(row: Any) -> AccountRow:
    return AccountRow(int(row.id), str(row.name), str(row.role), str(row.password_hash),
                      int(row.created_at), int(row.password_changed_at), bool(row.disabled))


class AccountRepository:
    """Queries over one connection; the caller owns the transaction."""

    def __init__(self, conn: Connection, tables: AccountTables) -> None:
        self.conn = conn
        self.accounts = tables.accounts
        self.sessions = tables.sessions
        self.failures = tables.failures

    # -- accounts --------------------------------------------------------------------------

    def account_by_name(self, name: str) -> AccountRow | None:
        row = self.conn.execute(
            sa.select(self.accounts).where(self.accounts.c.name == name)).first()
        return None if row is None else _account(row)

    def account_by_id(self, account_id: int) -> AccountRow | None:
        row = self.conn.execute(
            sa.select(self.accounts).where(self.accounts.c.id == account_id)).first()
        return None if row is None else _account(row)

    def all_accounts(self) -> list[AccountRow]:
        rows = self.conn.execute(sa.select(self.accounts).order_by(self.accounts.c.name))
        return [_account(r) for r in rows]

    def add_account(self, name: str, role: str, password_hash: str, at: int) -> int:
        result = self.conn.execute(self.accounts.insert().values(
            name=name, role=role, password_hash=password_hash, created_at=at,
            password_changed_at=at, disabled=False))
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def set_password(self, account_id: int, password_hash: str, at: int) -> None:
        self.conn.execute(self.accounts.update().where(self.accounts.c.id == account_id)
                          .values(password_hash=password_hash, password_changed_at=at))

    def set_disabled(self, account_id: int, disabled: bool) -> None:
        self.conn.execute(self.accounts.update().where(self.accounts.c.id == account_id)
                          .values(disabled=disabled))

    # -- sessions --------------------------------------------------------------------------

    def add_session(self, token_hash: bytes, account_id: int, csrf_token: str, at: int) -> None:
        self.conn.execute(self.sessions.insert().values(
            token_hash=token_hash, account_id=account_id, csrf_token=csrf_token,
            created_at=at, last_seen_at=at))

    def session(self, token_hash: bytes) -> SessionRow | None:
        row = self.conn.execute(
            sa.select(self.sessions).where(self.sessions.c.token_hash == token_hash)).first()
        if row is None:
            return None
        return SessionRow(bytes(row.token_hash), int(row.account_id), str(row.csrf_token),
                          int(row.created_at), int(row.last_seen_at))

    def touch_session(self, token_hash: bytes, at: int) -> None:
        self.conn.execute(self.sessions.update().where(self.sessions.c.token_hash == token_hash)
                          .values(last_seen_at=at))

    def delete_session(self, token_hash: bytes) -> None:
        self.conn.execute(self.sessions.delete().where(self.sessions.c.token_hash == token_hash))

    def delete_sessions_of(self, account_id: int) -> None:
        self.conn.execute(self.sessions.delete().where(self.sessions.c.account_id == account_id))

    def delete_expired_sessions(self, created_before: int, seen_before: int) -> int:
        result = self.conn.execute(self.sessions.delete().where(sa.or_(
            self.sessions.c.created_at < created_before,
            self.sessions.c.last_seen_at < seen_before)))
        return int(result.rowcount or 0)

    # -- failed sign-ins -------------------------------------------------------------------

    def lock_failures(self, scope: str, subject: str) -> FailureRow:
        """The failure row of ``(scope, subject)``, created empty if missing, locked until the
        transaction ends: a write first, so that concurrent sign-ins (several processes of one
        node) count one after the other, on SQLite (the database's write lock) as on
        PostgreSQL (the row's lock)."""
        table = self.failures
        values = {"scope": scope, "subject": subject, "failures": 0, "last_failure_at": 0}
        insert: Any
        if self.conn.dialect.name == "postgresql":
            insert = postgresql.insert(table).values(**values).on_conflict_do_nothing()
        elif self.conn.dialect.name == "sqlite":
            insert = sqlite.insert(table).values(**values).on_conflict_do_nothing()
        else:  # pragma: no cover - settings accept SQLite and PostgreSQL only
            raise ValueError(f"unsupported database {self.conn.dialect.name!r}")
        self.conn.execute(insert)
        row = self.conn.execute(
            sa.select(table.c.failures, table.c.last_failure_at)
            .where(table.c.scope == scope, table.c.subject == subject)
            .with_for_update()).one()
        return FailureRow(int(row.failures), int(row.last_failure_at))

    def set_failures(self, scope: str, subject: str, failures: int, last_failure_at: int) -> None:
        self.conn.execute(self.failures.update()
                          .where(self.failures.c.scope == scope,
                                 self.failures.c.subject == subject)
                          .values(failures=failures, last_failure_at=last_failure_at))

    def forget_one_failure(self, scope: str, subject: str) -> None:
        """Take back one failure counted in advance for an attempt that succeeded."""
        table = self.failures
        self.conn.execute(table.update()
                          .where(table.c.scope == scope, table.c.subject == subject,
                                 table.c.failures > 0)
                          .values(failures=table.c.failures - 1))

    def clear_failures(self, scope: str, subject: str) -> None:
        self.conn.execute(self.failures.delete().where(self.failures.c.scope == scope,
                                                       self.failures.c.subject == subject))

    def delete_failures_before(self, before: int, limit: int = 500) -> int:
        """Forget up to ``limit`` rows whose last failure is older than ``before`` (µs).

        Rows another transaction holds are skipped (PostgreSQL's ``SKIP LOCKED``), so that this
        housekeeping never waits on, nor deadlocks with, a sign-in being counted.
        """
        table = self.failures
        stale = (sa.select(table.c.scope, table.c.subject)
                 .where(table.c.last_failure_at < before)
                 .limit(limit)
                 .with_for_update(skip_locked=True))
        result = self.conn.execute(
            table.delete().where(sa.tuple_(table.c.scope, table.c.subject).in_(stale)))
        return int(result.rowcount or 0)
