"""A node's drafts queue in its database: entries prepared by a delegate for an officer to sign.

Table ``node_drafts`` (declared in :mod:`.node`, revision ``n0012``): one row per draft, with
its form, the draft itself as canonical JSON (the audience as the delegate chose it — kind,
format, parties —, the references and the body), who prepared it and when, and its state:
``waiting``, then ``signed`` (with the entry's id) or ``discarded``, by whom and when. A row
only ever leaves ``waiting`` by a conditional update (:meth:`DraftRepository.settle`), so that
two officers cannot both settle the same draft.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gulfsec.adapters.storage.node import drafts

__all__ = ["DISCARDED", "SIGNED", "STATES", "WAITING", "DraftRepository", "DraftRow"]

WAITING: Final = "waiting"
SIGNED: Final = "signed"
DISCARDED: Final = "discarded"
STATES: Final = (WAITING, SIGNED, DISCARDED)


@dataclass(frozen=True)
class DraftRow:
    id: int
    form: str
    draft: str
    """Canonical JSON: ``{"audience": {"kind", "format", "parties"}, "body", "refs"}``."""
    prepared_by: str
    prepared_at: int
    state: str
    settled_by: str | None
    settled_at: int | None
    entry_id: bytes | None


def _row(row: Any) -> DraftRow:
    return DraftRow(int(row.id), str(row.form), str(row.draft), str(row.prepared_by),
                    int(row.prepared_at), str(row.state), row.settled_by,
                    None if row.settled_at is None else int(row.settled_at),
                    None if row.entry_id is None else bytes(row.entry_id))


class DraftRepository:
    """Queries over one connection; the caller owns the transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, form: str, draft: str, prepared_by: str, at: int) -> int:
        result = self.conn.execute(drafts.insert().values(
            form=form, draft=draft, prepared_by=prepared_by, prepared_at=at, state=WAITING,
            settled_by=None, settled_at=None, entry_id=None))
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def get(self, draft_id: int) -> DraftRow | None:
        row = self.conn.execute(sa.select(drafts).where(drafts.c.id == draft_id)).first()
        return None if row is None else _row(row)

    def waiting(self) -> list[DraftRow]:
        """The drafts waiting for an officer, newest first."""
        query = sa.select(drafts).where(drafts.c.state == WAITING).order_by(drafts.c.id.desc())
        return [_row(r) for r in self.conn.execute(query)]

    def settled(self, limit: int) -> list[DraftRow]:
        """The ``limit`` drafts signed or discarded last, latest first."""
        query = (sa.select(drafts).where(drafts.c.state != WAITING)
                 .order_by(drafts.c.settled_at.desc(), drafts.c.id.desc()).limit(limit))
        return [_row(r) for r in self.conn.execute(query)]

    def count_waiting(self) -> int:
        query = sa.select(sa.func.count()).select_from(drafts).where(drafts.c.state == WAITING)
        return int(self.conn.execute(query).scalar_one())

    def settle(self, draft_id: int, state: str, by: str, at: int,
               entry_id: bytes | None = None) -> bool:
        """Mark waiting draft ``draft_id`` ``state`` (signed or discarded); False, changing
        nothing, when it is no longer waiting (or does not exist)."""
        if state not in (SIGNED, DISCARDED):
            raise ValueError(f"a draft is settled as signed or discarded, not {state!r}")
        result = self.conn.execute(
            drafts.update().where(drafts.c.id == draft_id, drafts.c.state == WAITING)
            .values(state=state, settled_by=by, settled_at=at, entry_id=entry_id))
        return result.rowcount == 1
