"""A participant node's own database: its verified copy of what it may see, and its evidence.

The node keeps every leaf of the log (entry ids only, public) so it can recompute the tree
itself, the entries addressed to its party that verified, the checkpoints it accepted and their
cosignatures, its own outbox, the witness state it cosigned last, alarms with evidence, the
files carried with entries that its party attached or that it fetched, and the hotline messages
its party sent and opened. Same engines as the hub
(SQLite by default, PostgreSQL by URL); its own Alembic history (``migrations/node``, run by
:mod:`.migrate`).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from gulfsec.adapters.storage.streams import stream
from gulfsec.domain.search import entry_text

metadata = sa.MetaData()

OUTBOX_LOCK = "outbox_lock"
"""The meta row a transaction that numbers the party's entries locks first."""

meta = sa.Table(
    "node_meta", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

leaves = sa.Table(
    "node_leaves", metadata,
    sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("entry_id", sa.LargeBinary(32), nullable=False),
)

entries = sa.Table(
    "node_entries", metadata,
    sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("entry_id", sa.LargeBinary(32), nullable=False, unique=True),
    sa.Column("sender", sa.String(8), nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("form", sa.String(64), nullable=False),
    sa.Column("audience", sa.Text, nullable=False),
    sa.Column("claimed_time", sa.String(32), nullable=False),
    sa.Column("sequenced_at", sa.BigInteger, nullable=False),
    sa.Column("verified_at", sa.BigInteger, nullable=False),
    sa.Column("raw", sa.LargeBinary, nullable=False),
)

search = sa.Table(
    "node_search", metadata,
    sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("text", sa.Text, nullable=False),
)
"""Each held entry's words, folded (:func:`gulfsec.domain.search.entry_text`), for the inbox's
text search: written with the entry, in the same transaction."""

checkpoints = sa.Table(
    "node_checkpoints", metadata,
    sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("root", sa.LargeBinary(32), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("hub_time", sa.BigInteger, nullable=False),
    sa.Column("received_at", sa.BigInteger, nullable=False),
    sa.Column("final_at", sa.BigInteger, nullable=True),
    sa.Column("cosigners", sa.Text, nullable=False, server_default=""),
)

witness = sa.Table(
    "node_witness", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("root", sa.LargeBinary(32), nullable=False),
    sa.Column("hub_time", sa.BigInteger, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("cosignature", sa.Text, nullable=False),
    sa.Column("delivered", sa.Boolean, nullable=False),
)

outbox = sa.Table(
    "node_outbox", metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("entry_id", sa.LargeBinary(32), nullable=False),
    sa.Column("raw", sa.LargeBinary, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("sequenced_idx", sa.BigInteger, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("confirmation", sa.String(100), nullable=True),
    sa.Column("receipt", sa.Text, nullable=True),
    sa.UniqueConstraint("confirmation", name="uq_node_outbox_confirmation"),
)

outbox_refused = sa.Table(
    "node_outbox_refused", metadata,
    sa.Column("entry_id", sa.LargeBinary(32), primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("raw", sa.LargeBinary, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("refused_at", sa.BigInteger, nullable=False),
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("confirmation", sa.String(100), nullable=True, unique=True),
)

alarms = sa.Table(
    "node_alarms", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("evidence", sa.Text, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
)

quarantine = sa.Table(
    "node_quarantine", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("idx", sa.BigInteger, nullable=True),
    sa.Column("claimed_id", sa.String(64), nullable=True),
    sa.Column("raw", sa.LargeBinary, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
)

cosignatures = sa.Table(
    "node_cosignatures", metadata,
    sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("party", sa.String(8), primary_key=True),
    sa.Column("line", sa.Text, nullable=False),
    sa.Column("timestamp", sa.BigInteger, nullable=True),
)
"""``timestamp`` is set once the cosignature verified against the node's own tree."""

blobs = sa.Table(
    "node_blobs", metadata,
    sa.Column("sha256", sa.LargeBinary(32), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("media_type", sa.String(100), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("uploaded_at", sa.BigInteger, nullable=True),
)
"""Files carried with entries: those the party attached (``uploaded_at`` once the hub has
it) and those it fetched from the hub for entries it holds."""

hotline = sa.Table(
    "node_hotline", metadata,
    sa.Column("entry_id", sa.LargeBinary(32), primary_key=True),
    sa.Column("direction", sa.String(8), nullable=False),
    sa.Column("sender", sa.String(8), nullable=False),
    sa.Column("recipients", sa.Text, nullable=False),
    sa.Column("kind", sa.String(16), nullable=True),
    sa.Column("sent_at", sa.BigInteger, nullable=True),
    sa.Column("document", sa.Text, nullable=True),
    sa.Column("problem", sa.Text, nullable=True),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("settled_at", sa.BigInteger, nullable=True),
)
"""The hotline messages this party sent (what it sealed: it cannot open its own ciphertext)
and those it received, opened (the signed document) or not (``problem`` says why). A message
sent is ``settled`` once its receipts are judged for good (all in time, or the alarm raised)."""

sa.Index("ix_node_entries_sender", entries.c.sender, entries.c.seq)

notify_prefs = sa.Table(
    "node_notify_prefs", metadata,
    sa.Column("account_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("address", sa.String(254), nullable=False),
    sa.Column("entries", sa.Boolean, nullable=False),
    sa.Column("due", sa.Boolean, nullable=False),
    sa.Column("alarms", sa.Boolean, nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
)
"""What each delegate (``node_accounts.id``) asked to be told by e-mail, and where
(:mod:`gulfsec.adapters.storage.notifications`, revision ``n0011``)."""

notify_mails = sa.Table(
    "node_notify_mails", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("account_id", sa.Integer, nullable=False),
    sa.Column("event", sa.String(100), nullable=False),
    sa.Column("address", sa.String(254), nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_try_at", sa.BigInteger, nullable=False),
    sa.Column("sent_at", sa.BigInteger, nullable=True),
    sa.Column("failed_at", sa.BigInteger, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.UniqueConstraint("account_id", "event", name="uq_node_notify_mails_event"),
)
"""The e-mails to send and sent: one per account and event (so none is queued twice), kept
until the SMTP server took it (``sent_at``) or refused it for good (``failed_at``)."""

sa.Index("ix_node_notify_mails_waiting", notify_mails.c.sent_at, notify_mails.c.failed_at,
         notify_mails.c.next_try_at)

drafts = sa.Table(
    "node_drafts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("form", sa.String(64), nullable=False),
    sa.Column("draft", sa.Text, nullable=False),
    sa.Column("prepared_by", sa.String(64), nullable=False),
    sa.Column("prepared_at", sa.BigInteger, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("settled_by", sa.String(64), nullable=True),
    sa.Column("settled_at", sa.BigInteger, nullable=True),
    sa.Column("entry_id", sa.LargeBinary(32), nullable=True),
)
"""Entries prepared by a delegate for an officer of this node to sign: the draft (audience as
chosen, references and body, canonical JSON), who prepared it, and whether it waits, was signed
(as ``entry_id``) or discarded, by whom and when (:mod:`gulfsec.adapters.storage.drafts`,
revision ``n0012``). Never sent anywhere: only this node's delegates read it."""

sa.Index("ix_node_drafts_state", drafts.c.state, drafts.c.id)


@dataclass(frozen=True)
class NodeEntry:
    index: int
    entry_id: bytes
    sender: str
    seq: int
    form: str
    audience: tuple[str, ...] | None
    sequenced_at: int
    verified_at: int
    raw: bytes


@dataclass(frozen=True)
class NodeCheckpoint:
    size: int
    root: bytes
    note: str
    hub_time: int
    received_at: int
    final_at: int | None
    cosigners: tuple[str, ...]


@dataclass(frozen=True)
class WitnessState:
    size: int
    root: bytes
    hub_time: int
    note: str
    cosignature: str
    delivered: bool


@dataclass(frozen=True)
class OutboxItem:
    seq: int
    entry_id: bytes
    raw: bytes
    created_at: int
    sequenced_idx: int | None
    last_error: str | None
    receipt: str | None = None
    """The hub's signed receipt (a signed answer, as JSON), once it sequenced the entry."""


@dataclass(frozen=True)
class NodeBlob:
    sha256: bytes
    name: str
    media_type: str
    data: bytes
    uploaded_at: int | None


@dataclass(frozen=True)
class HotlineRow:
    entry_id: bytes
    direction: str
    """``sent`` or ``received``."""
    sender: str
    recipients: tuple[str, ...]
    kind: str | None
    sent_at: int | None
    document: str | None
    problem: str | None
    created_at: int
    settled_at: int | None = None


@dataclass(frozen=True)
class Alarm:
    id: int
    kind: str
    message: str
    evidence: dict[str, Any]
    created_at: int


def _audience_text(audience: Sequence[str] | None) -> str:
    return "*" if audience is None else ",".join(audience)


def _audience(text: str) -> tuple[str, ...] | None:
    return None if text == "*" else tuple(p for p in text.split(",") if p)


def _entry(row: Any) -> NodeEntry:
    return NodeEntry(row.idx, bytes(row.entry_id), row.sender, row.seq, row.form,
                     _audience(row.audience), row.sequenced_at, row.verified_at, bytes(row.raw))


def _outbox_item(row: Any) -> OutboxItem:
    return OutboxItem(row.seq, bytes(row.entry_id), bytes(row.raw), row.created_at,
                      row.sequenced_idx, row.last_error, row.receipt)


def _checkpoint(row: Any) -> NodeCheckpoint:
    cosigners = tuple(p for p in row.cosigners.split(",") if p)
    return NodeCheckpoint(row.size, bytes(row.root), row.note, row.hub_time, row.received_at,
                          row.final_at, cosigners)


class NodeRepository:
    """Queries over one connection; the caller owns the transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- meta ------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute(sa.select(meta.c.value).where(meta.c.key == key)).first()
        return None if row is None else str(row.value)

    def set_meta(self, key: str, value: str) -> None:
        if self.get_meta(key) is None:
            self.conn.execute(meta.insert(), {"key": key, "value": value})
        else:
            self.conn.execute(meta.update().where(meta.c.key == key).values(value=value))

    # -- leaves ----------------------------------------------------------------------------

    def leaf_count(self) -> int:
        return int(self.conn.execute(sa.select(sa.func.count()).select_from(leaves)).scalar_one())

    def add_leaves(self, start: int, ids: Sequence[bytes]) -> None:
        if ids:
            mark = "?" if self.conn.dialect.paramstyle == "qmark" else "%s"
            self.conn.exec_driver_sql(
                f"INSERT INTO node_leaves (idx, entry_id) VALUES ({mark}, {mark})",
                [(start + i, eid) for i, eid in enumerate(ids)],
            )

    def leaves(self, start: int, end: int) -> list[bytes]:
        """The leaves (entry ids) at ``start`` ≤ index < ``end``, in order."""
        rows = self.conn.execute(sa.select(leaves.c.entry_id)
                                 .where(leaves.c.idx >= start, leaves.c.idx < end)
                                 .order_by(leaves.c.idx))
        return [bytes(row.entry_id) for row in rows]

    def all_leaves(self) -> Iterator[bytes]:
        query = sa.select(leaves.c.entry_id).order_by(leaves.c.idx)
        result = stream(self.conn, query, 20_000)
        for row in result:
            yield bytes(row.entry_id)

    # -- entries ---------------------------------------------------------------------------

    def add_entries(self, rows: Sequence[NodeEntry], claimed_times: Sequence[str]) -> None:
        if not rows:
            return
        mark = "?" if self.conn.dialect.paramstyle == "qmark" else "%s"
        self.conn.exec_driver_sql(
            "INSERT INTO node_entries (idx, entry_id, sender, seq, form, audience, claimed_time, "
            f"sequenced_at, verified_at, raw) VALUES ({', '.join([mark] * 10)})",
            [
                (r.index, r.entry_id, r.sender, r.seq, r.form, _audience_text(r.audience), claimed,
                 r.sequenced_at, r.verified_at, r.raw)
                for r, claimed in zip(rows, claimed_times, strict=True)
            ],
        )
        self.conn.exec_driver_sql(
            f"INSERT INTO node_search (idx, text) VALUES ({mark}, {mark})",
            [(r.index, entry_text(r.raw)) for r in rows],
        )

    def last_entry_index(self) -> int:
        value = self.conn.execute(sa.select(sa.func.max(entries.c.idx))).scalar_one()
        return -1 if value is None else int(value)

    def entries_from(self, after: int = -1, limit: int | None = None, *,
                     forms: Collection[str] | None = None) -> list[NodeEntry]:
        """Held entries with index > ``after``, oldest first (of ``forms`` only, if given)."""
        query = sa.select(entries).where(entries.c.idx > after).order_by(entries.c.idx)
        if forms is not None:
            query = query.where(entries.c.form.in_(sorted(forms)))
        if limit is not None:
            query = query.limit(limit)
        return [_entry(r) for r in self.conn.execute(query)]

    def iter_entries(self) -> Iterator[NodeEntry]:
        query = sa.select(entries).order_by(entries.c.idx)
        result = stream(self.conn, query, 5_000)
        for row in result:
            yield _entry(row)

    def entry_by_id(self, entry_id: bytes) -> NodeEntry | None:
        row = self.conn.execute(sa.select(entries).where(entries.c.entry_id == entry_id)).first()
        return None if row is None else _entry(row)

    def entry_count(self) -> int:
        return int(self.conn.execute(sa.select(sa.func.count()).select_from(entries)).scalar_one())

    def last_seqs(self) -> dict[str, int]:
        rows = self.conn.execute(
            sa.select(entries.c.sender, sa.func.max(entries.c.seq)).group_by(entries.c.sender))
        return {sender: int(seq) for sender, seq in rows}

    # -- checkpoints -----------------------------------------------------------------------

    def latest_checkpoint(self) -> NodeCheckpoint | None:
        row = self.conn.execute(
            sa.select(checkpoints).order_by(checkpoints.c.size.desc()).limit(1)).first()
        return None if row is None else _checkpoint(row)

    def checkpoint_at(self, size: int) -> NodeCheckpoint | None:
        row = self.conn.execute(sa.select(checkpoints).where(checkpoints.c.size == size)).first()
        return None if row is None else _checkpoint(row)

    def all_checkpoints(self) -> list[NodeCheckpoint]:
        return [_checkpoint(r) for r in
                self.conn.execute(sa.select(checkpoints).order_by(checkpoints.c.size))]

    def put_checkpoint(self, cp: NodeCheckpoint) -> None:
        values = {"root": cp.root, "note": cp.note, "hub_time": cp.hub_time,
                  "received_at": cp.received_at, "final_at": cp.final_at,
                  "cosigners": ",".join(cp.cosigners)}
        if self.checkpoint_at(cp.size) is None:
            self.conn.execute(checkpoints.insert(), {"size": cp.size, **values})
        else:
            self.conn.execute(checkpoints.update().where(checkpoints.c.size == cp.size)
                              .values(**values))

    # -- cosignatures ----------------------------------------------------------------------

    def add_cosignature(self, size: int, party: str, line: str) -> bool:
        """Keep a cosignature, unverified yet; False if one by ``party`` on ``size`` is kept
        already (it stays as it is)."""
        exists = self.conn.execute(sa.select(cosignatures.c.party).where(
            cosignatures.c.size == size, cosignatures.c.party == party)).first()
        if exists is None:
            self.conn.execute(cosignatures.insert(), {"size": size, "party": party,
                                                      "line": line, "timestamp": None})
        return exists is None

    def add_cosignatures(self, rows: Sequence[tuple[int, str, str]]
                         ) -> list[tuple[int, str, str]]:
        """Keep each cosignature (size, party, line) not kept yet, unverified; the ones kept
        now, in order (one by the same party on the same size, kept before or earlier in
        ``rows``, is left as it is). One query for those kept already, one insert."""
        if not rows:
            return []
        held: set[tuple[int, str]] = set()
        sizes = sorted({size for size, _party, _line in rows})
        for start in range(0, len(sizes), 500):
            found = self.conn.execute(
                sa.select(cosignatures.c.size, cosignatures.c.party)
                .where(cosignatures.c.size.in_(sizes[start : start + 500])))
            held.update((int(size), str(party)) for size, party in found)
        new: list[tuple[int, str, str]] = []
        for size, party, line in rows:
            if (size, party) not in held:
                held.add((size, party))
                new.append((size, party, line))
        if new:
            mark = "?" if self.conn.dialect.paramstyle == "qmark" else "%s"
            self.conn.exec_driver_sql(
                f"INSERT INTO node_cosignatures (size, party, line, timestamp) "
                f"VALUES ({mark}, {mark}, {mark}, NULL)", new)
        return new

    def verify_cosignatures(self, verified: Sequence[tuple[int, str, int]]) -> None:
        """Mark cosignatures (size, party, timestamp) verified, with their times."""
        if verified:
            mark = "?" if self.conn.dialect.paramstyle == "qmark" else "%s"
            self.conn.exec_driver_sql(
                f"UPDATE node_cosignatures SET timestamp = {mark} "
                f"WHERE size = {mark} AND party = {mark}",
                [(when, size, party) for size, party, when in verified])

    def unverified_cosignatures(self, max_size: int, *,
                                above: int = -1) -> list[tuple[int, str, str]]:
        """The cosignatures not verified yet on sizes in ``above < size <= max_size``
        (a range of the primary key: no more rows read than that range holds)."""
        rows = self.conn.execute(
            sa.select(cosignatures.c.size, cosignatures.c.party, cosignatures.c.line)
            .where(cosignatures.c.size > above, cosignatures.c.size <= max_size,
                   cosignatures.c.timestamp.is_(None))
            .order_by(cosignatures.c.size))
        return [(int(r.size), r.party, r.line) for r in rows]

    def set_cosignature(self, size: int, party: str, timestamp: int | None) -> None:
        """Mark a cosignature verified (with its time), or drop it (``None``)."""
        where = (cosignatures.c.size == size) & (cosignatures.c.party == party)
        if timestamp is None:
            self.conn.execute(cosignatures.delete().where(where))
        else:
            self.conn.execute(cosignatures.update().where(where).values(timestamp=timestamp))

    def verified_cosignatures(self) -> list[tuple[str, int, int, str]]:
        """(party, size, timestamp, line) of every verified cosignature."""
        rows = self.conn.execute(
            sa.select(cosignatures).where(cosignatures.c.timestamp.is_not(None))
            .order_by(cosignatures.c.size))
        return [(r.party, int(r.size), int(r.timestamp), r.line) for r in rows]

    # -- witness ---------------------------------------------------------------------------

    def witness_state(self, *, for_update: bool = False) -> WitnessState | None:
        query = sa.select(witness).where(witness.c.id == 1)
        if for_update and self.conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = self.conn.execute(query).first()
        if row is None:
            return None
        return WitnessState(row.size, bytes(row.root), row.hub_time, row.note, row.cosignature,
                            row.delivered)

    def put_witness_state(self, state: WitnessState) -> None:
        values = {"size": state.size, "root": state.root, "hub_time": state.hub_time,
                  "note": state.note, "cosignature": state.cosignature,
                  "delivered": state.delivered}
        if self.witness_state() is None:
            self.conn.execute(witness.insert(), {"id": 1, **values})
        else:
            self.conn.execute(witness.update().where(witness.c.id == 1).values(**values))

    # -- outbox ----------------------------------------------------------------------------

    def lock_outbox(self) -> None:
        """Hold the outbox until the transaction ends, against the other processes on this
        database (``gulfsec node send`` beside the serving node): a write first — SQLite's
        write lock, a PostgreSQL row lock — so that each reads the party's next sequence
        number only once the one before was stored, never the same number as another."""
        insert = postgresql.insert if self.conn.dialect.name == "postgresql" else sqlite.insert
        self.conn.execute(insert(meta).values(key=OUTBOX_LOCK, value="")
                          .on_conflict_do_update(index_elements=[meta.c.key],
                                                 set_={"value": ""}))

    def add_outbox(self, seq: int, entry_id: bytes, raw: bytes, created_at: int,
                   confirmation: str | None = None) -> None:
        self.conn.execute(outbox.insert(), {"seq": seq, "entry_id": entry_id, "raw": raw,
                                            "created_at": created_at, "sequenced_idx": None,
                                            "last_error": None, "confirmation": confirmation})

    def outbox_confirmed(self, confirmation: str) -> OutboxItem | None:
        """The outbox entry signed on ``confirmation``, if there is one."""
        row = self.conn.execute(
            sa.select(outbox).where(outbox.c.confirmation == confirmation)).first()
        return None if row is None else _outbox_item(row)

    def outbox_items(self, *, pending_only: bool = False,
                     after_seq: int | None = None) -> list[OutboxItem]:
        query = sa.select(outbox).order_by(outbox.c.seq)
        if pending_only:
            query = query.where(outbox.c.sequenced_idx.is_(None))
        if after_seq is not None:
            query = query.where(outbox.c.seq > after_seq)
        return [_outbox_item(r) for r in self.conn.execute(query)]

    def max_outbox_seq(self) -> int | None:
        value = self.conn.execute(sa.select(sa.func.max(outbox.c.seq))).scalar_one()
        return None if value is None else int(value)

    def refuse_outbox(self, seq: int, error: str, at: int) -> None:
        """Move outbox entry ``seq``, refused for good, out of the outbox."""
        row = self.conn.execute(sa.select(outbox).where(outbox.c.seq == seq)).one()
        self.conn.execute(outbox_refused.insert(), {
            "entry_id": row.entry_id, "seq": seq, "raw": row.raw, "created_at": row.created_at,
            "refused_at": at, "error": error, "confirmation": row.confirmation})
        self.conn.execute(outbox.delete().where(outbox.c.seq == seq))

    def resequence_outbox(self, seq: int, new_seq: int, entry_id: bytes, raw: bytes) -> None:
        """Give pending outbox entry ``seq`` another sequence number and its re-signed bytes."""
        self.conn.execute(outbox.update().where(outbox.c.seq == seq).values(
            seq=new_seq, entry_id=entry_id, raw=raw, last_error=None))

    def refused(self) -> list[tuple[bytes, str, int]]:
        """(entry id, why, when) of each entry the hub refused for good, oldest first."""
        rows = self.conn.execute(sa.select(outbox_refused).order_by(outbox_refused.c.refused_at))
        return [(bytes(r.entry_id), str(r.error), int(r.refused_at)) for r in rows]

    def refused_confirmed(self, confirmation: str) -> str | None:
        """Why the hub refused the entry signed on ``confirmation``, if it did."""
        row = self.conn.execute(sa.select(outbox_refused.c.error).where(
            outbox_refused.c.confirmation == confirmation)).first()
        return None if row is None else str(row.error)

    def mark_outbox(self, seq: int, *, index: int | None, error: str | None,
                    receipt: str | None = None) -> None:
        self.conn.execute(outbox.update().where(outbox.c.seq == seq)
                          .values(sequenced_idx=index, last_error=error, receipt=receipt))

    # -- alarms and quarantine -------------------------------------------------------------

    def add_alarm(self, kind: str, message: str, evidence: dict[str, Any], at: int) -> None:
        self.conn.execute(alarms.insert(), {"kind": kind, "message": message,
                                            "evidence": json.dumps(evidence, sort_keys=True),
                                            "created_at": at})

    def alarms(self) -> list[Alarm]:
        return [Alarm(r.id, r.kind, r.message, json.loads(r.evidence), r.created_at)
                for r in self.conn.execute(sa.select(alarms).order_by(alarms.c.id))]

    def has_alarm(self, kind: str, message: str) -> bool:
        row = self.conn.execute(sa.select(alarms.c.id).where(
            alarms.c.kind == kind, alarms.c.message == message)).first()
        return row is not None

    def quarantine(self, index: int | None, claimed_id: str | None, raw: bytes, reason: str,
                   at: int) -> None:
        self.conn.execute(quarantine.insert(), {"idx": index, "claimed_id": claimed_id,
                                                "raw": raw, "reason": reason, "created_at": at})

    def quarantined(self) -> list[Any]:
        return list(self.conn.execute(sa.select(quarantine).order_by(quarantine.c.id)))

    # -- files carried with entries ----------------------------------------------------------

    def put_blob(self, sha256: bytes, name: str, media_type: str, data: bytes, at: int) -> None:
        """Keep a file (once: its SHA-256 names it; a file kept already keeps its name)."""
        insert = postgresql.insert if self.conn.dialect.name == "postgresql" else sqlite.insert
        self.conn.execute(insert(blobs).values(
            sha256=sha256, name=name, media_type=media_type, size=len(data), data=data,
            created_at=at, uploaded_at=None).on_conflict_do_nothing())

    def blob(self, sha256: bytes) -> NodeBlob | None:
        row = self.conn.execute(sa.select(blobs).where(blobs.c.sha256 == sha256)).first()
        if row is None:
            return None
        return NodeBlob(bytes(row.sha256), row.name, row.media_type, bytes(row.data),
                        row.uploaded_at)

    def mark_blob_uploaded(self, sha256: bytes, at: int) -> None:
        self.conn.execute(blobs.update().where(blobs.c.sha256 == sha256)
                          .values(uploaded_at=at))

    # -- the hotline -----------------------------------------------------------------------

    def add_hotline(self, row: HotlineRow) -> None:
        """Keep a hotline message (once: a message kept already stays as it is)."""
        insert = postgresql.insert if self.conn.dialect.name == "postgresql" else sqlite.insert
        self.conn.execute(insert(hotline).values(
            entry_id=row.entry_id, direction=row.direction, sender=row.sender,
            recipients=",".join(row.recipients), kind=row.kind, sent_at=row.sent_at,
            document=row.document, problem=row.problem, created_at=row.created_at,
            settled_at=row.settled_at,
        ).on_conflict_do_nothing())

    def hotline_rows(self, *, limit: int | None = None,
                     unsettled_sent: bool = False) -> list[HotlineRow]:
        """The hotline messages kept, newest first (the ``limit`` newest; only the messages
        sent whose receipts are not judged yet, with ``unsettled_sent``)."""
        query = sa.select(hotline).order_by(hotline.c.created_at.desc(),
                                            hotline.c.entry_id.desc())
        if unsettled_sent:
            query = query.where(hotline.c.direction == "sent", hotline.c.settled_at.is_(None))
        if limit is not None:
            query = query.limit(limit)
        return [HotlineRow(bytes(r.entry_id), r.direction, r.sender,
                           tuple(p for p in r.recipients.split(",") if p), r.kind, r.sent_at,
                           r.document, r.problem, r.created_at, r.settled_at)
                for r in self.conn.execute(query)]

    def hotline_ids(self) -> set[bytes]:
        return {bytes(r.entry_id) for r in self.conn.execute(sa.select(hotline.c.entry_id))}

    def settle_hotline(self, entry_id: bytes, at: int) -> None:
        self.conn.execute(hotline.update().where(hotline.c.entry_id == entry_id)
                          .values(settled_at=at))

    def rename_hotline(self, entry_id: bytes, new_id: bytes) -> None:
        """A message sent under another entry id (its outbox entry was signed again)."""
        self.conn.execute(hotline.update().where(hotline.c.entry_id == entry_id)
                          .values(entry_id=new_id))

    def entry_ids_of(self, forms: Collection[str]) -> list[tuple[int, bytes, str]]:
        """(index, entry id, sender) of each held entry of ``forms``, oldest first."""
        query = (sa.select(entries.c.idx, entries.c.entry_id, entries.c.sender)
                 .where(entries.c.form.in_(sorted(forms))).order_by(entries.c.idx))
        return [(int(r.idx), bytes(r.entry_id), str(r.sender)) for r in self.conn.execute(query)]
