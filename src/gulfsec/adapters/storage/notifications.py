"""A node's e-mail notifications in its database: what each delegate asked for, and the mails.

Tables (declared in :mod:`.node`, revision ``n0011``):

- ``node_notify_prefs``: one row per delegate's account: the address, which notifications
  (``entries`` arrived, ``due`` soon, ``alarms`` and hotline messages) and the language;
- ``node_notify_mails``: each e-mail to send, written (subject and body) when the event was
  noticed, one per account and event (``entry:<id>``, ``due:<id>`` for an acknowledgement
  owed, ``owed:<rule>:<year or digest>`` for a report or reply owed, ``closing:<draft id>`` for a
  draft decision closing without the party's position, ``alarm:<n>``, ``hotline:<id>``): the
  unique key means an event is never queued twice. A mail stays until
  the SMTP server took it (``sent_at``) or refused it for good (``failed_at``).

Where the noticing has got to (the last entry, alarm and hotline message looked at) is kept in
``node_meta`` under :data:`CURSORS`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from gulfsec.adapters.storage.accounts import NODE_TABLES
from gulfsec.adapters.storage.node import alarms, hotline, notify_mails, notify_prefs

__all__ = ["CURSORS", "Mail", "NotificationRepository", "Preferences"]

CURSORS: Final = {"entries": "notify:entries", "alarms": "notify:alarms",
                  "hotline": "notify:hotline"}
"""The ``node_meta`` keys of the notification cursors."""


@dataclass(frozen=True)
class Preferences:
    """What one delegate asked to be told, and where."""

    account_id: int
    address: str
    entries: bool
    due: bool
    alarms: bool
    language: str

    @property
    def wants_any(self) -> bool:
        return self.entries or self.due or self.alarms


@dataclass(frozen=True)
class Mail:
    id: int
    account_id: int
    event: str
    address: str
    subject: str
    body: str
    attempts: int
    sent_at: int | None
    failed_at: int | None
    last_error: str | None


def _prefs(row: Any) -> Preferences:
    return Preferences(int(row.account_id), str(row.address), bool(row.entries), bool(row.due),
                       bool(row.alarms), str(row.language))


def _mail(row: Any) -> Mail:
    return Mail(int(row.id), int(row.account_id), str(row.event), str(row.address),
                str(row.subject), str(row.body), int(row.attempts), row.sent_at, row.failed_at,
                row.last_error)


class NotificationRepository:
    """Queries over one connection; the caller owns the transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _insert(self) -> Any:
        return postgresql.insert if self.conn.dialect.name == "postgresql" else sqlite.insert

    # -- preferences -----------------------------------------------------------------------

    def preferences(self, account_id: int) -> Preferences | None:
        row = self.conn.execute(sa.select(notify_prefs)
                                .where(notify_prefs.c.account_id == account_id)).first()
        return None if row is None else _prefs(row)

    def put_preferences(self, prefs: Preferences, at: int) -> None:
        values = {"address": prefs.address, "entries": prefs.entries, "due": prefs.due,
                  "alarms": prefs.alarms, "language": prefs.language, "updated_at": at}
        statement = self._insert()(notify_prefs).values(account_id=prefs.account_id, **values)
        self.conn.execute(statement.on_conflict_do_update(
            index_elements=[notify_prefs.c.account_id], set_=values))

    def subscribers(self) -> list[Preferences]:
        """The preferences of every enabled account that asked for something."""
        accounts = NODE_TABLES.accounts
        query = (sa.select(notify_prefs)
                 .join(accounts, accounts.c.id == notify_prefs.c.account_id)
                 .where(accounts.c.disabled.is_(False),
                        notify_prefs.c.entries | notify_prefs.c.due | notify_prefs.c.alarms)
                 .order_by(notify_prefs.c.account_id))
        return [_prefs(r) for r in self.conn.execute(query)]

    # -- what is new -----------------------------------------------------------------------

    def last_alarm_id(self) -> int:
        value = self.conn.execute(sa.select(sa.func.max(alarms.c.id))).scalar_one()
        return 0 if value is None else int(value)

    def alarms_after(self, after: int) -> list[tuple[int, str, int]]:
        """(id, kind, raised at) of each alarm after ``after``, oldest first."""
        rows = self.conn.execute(sa.select(alarms.c.id, alarms.c.kind, alarms.c.created_at)
                                 .where(alarms.c.id > after).order_by(alarms.c.id))
        return [(int(r.id), str(r.kind), int(r.created_at)) for r in rows]

    def last_hotline_at(self) -> int:
        value = self.conn.execute(sa.select(sa.func.max(hotline.c.created_at))).scalar_one()
        return 0 if value is None else int(value)

    def hotline_received_since(self, since: int) -> list[tuple[bytes, str, str | None, int]]:
        """(entry id, sender, kind, kept at) of each hotline message received and kept at or
        after ``since`` (µs), oldest first: the same moment again, as messages kept in one
        round share it; the mails' unique events keep them from being told twice."""
        rows = self.conn.execute(
            sa.select(hotline.c.entry_id, hotline.c.sender, hotline.c.kind,
                      hotline.c.created_at)
            .where(hotline.c.direction == "received", hotline.c.created_at >= since)
            .order_by(hotline.c.created_at, hotline.c.entry_id))
        return [(bytes(r.entry_id), str(r.sender), r.kind, int(r.created_at)) for r in rows]

    # -- the mails -------------------------------------------------------------------------

    def queue(self, account_id: int, event: str, address: str, subject: str, body: str,
              at: int) -> bool:
        """Keep a mail to send, unless one for this account and event is kept already;
        whether it was kept now."""
        result = self.conn.execute(self._insert()(notify_mails).values(
            account_id=account_id, event=event, address=address, subject=subject, body=body,
            created_at=at, attempts=0, next_try_at=at, sent_at=None, failed_at=None,
            last_error=None).on_conflict_do_nothing().returning(notify_mails.c.id))
        return result.first() is not None  # (a driver's rowcount may be -1 here)

    def queued_events(self, account_id: int, events: Iterable[str]) -> set[str]:
        """Which of ``events`` have a mail for this account already (sent or not)."""
        wanted = sorted(set(events))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            rows = self.conn.execute(sa.select(notify_mails.c.event).where(
                notify_mails.c.account_id == account_id,
                notify_mails.c.event.in_(wanted[start : start + 500])))
            found.update(str(r.event) for r in rows)
        return found

    def waiting(self, now: int, limit: int = 100) -> list[Mail]:
        """Mails not sent yet whose next try is due, oldest first."""
        rows = self.conn.execute(
            sa.select(notify_mails)
            .where(notify_mails.c.sent_at.is_(None), notify_mails.c.failed_at.is_(None),
                   notify_mails.c.next_try_at <= now)
            .order_by(notify_mails.c.id).limit(limit))
        return [_mail(r) for r in rows]

    def mails(self, account_id: int | None = None) -> list[Mail]:
        """Every mail kept (one account's), oldest first."""
        query = sa.select(notify_mails).order_by(notify_mails.c.id)
        if account_id is not None:
            query = query.where(notify_mails.c.account_id == account_id)
        return [_mail(r) for r in self.conn.execute(query)]

    def recent_mails(self, account_id: int, limit: int) -> list[Mail]:
        """The ``limit`` latest mails for one account, newest first."""
        rows = self.conn.execute(sa.select(notify_mails)
                                 .where(notify_mails.c.account_id == account_id)
                                 .order_by(notify_mails.c.id.desc()).limit(limit))
        return [_mail(r) for r in rows]

    def mark_sent(self, mail_id: int, at: int) -> None:
        self.conn.execute(notify_mails.update().where(notify_mails.c.id == mail_id).values(
            sent_at=at, attempts=notify_mails.c.attempts + 1, last_error=None))

    def mark_retry(self, mail_id: int, error: str, next_try_at: int) -> None:
        self.conn.execute(notify_mails.update().where(notify_mails.c.id == mail_id).values(
            attempts=notify_mails.c.attempts + 1, last_error=error[:1000],
            next_try_at=next_try_at))

    def mark_failed(self, mail_id: int, error: str, at: int) -> None:
        self.conn.execute(notify_mails.update().where(notify_mails.c.id == mail_id).values(
            attempts=notify_mails.c.attempts + 1, last_error=error[:1000], failed_at=at))
