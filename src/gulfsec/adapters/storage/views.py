"""Read-only queries behind the web pages, over a node's and the hub's tables.

The node's and the hub's repositories hold what syncing and sequencing need; the pages need a
few more ways to look (filtered, newest first, by sender, by checkpoint). They are kept here so
that the repositories stay as their services need them. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gulfsec.adapters.storage import hub as hub_db
from gulfsec.adapters.storage import node as node_db
from gulfsec.adapters.storage.node import NodeCheckpoint, NodeEntry, OutboxItem
from gulfsec.adapters.storage.streams import stream

# -- a node's tables ---------------------------------------------------------------------------


def _node_entry(row: Any) -> NodeEntry:
    audience = None if row.audience == "*" else tuple(p for p in row.audience.split(",") if p)
    return NodeEntry(int(row.idx), bytes(row.entry_id), row.sender, int(row.seq), row.form,
                     audience, int(row.sequenced_at), int(row.verified_at), bytes(row.raw))


def _node_checkpoint(row: Any) -> NodeCheckpoint:
    cosigners = tuple(p for p in (row.cosigners or "").split(",") if p)
    return NodeCheckpoint(int(row.size), bytes(row.root), row.note, int(row.hub_time),
                          int(row.received_at), None if row.final_at is None else
                          int(row.final_at), cosigners)


@dataclass(frozen=True)
class EntryQuery:
    """What the inbox asks for: every condition is optional; times are µs since the epoch."""

    sender: str | None = None
    not_sender: str | None = None
    form: str | None = None
    sequenced_from: int | None = None
    sequenced_before: int | None = None
    before_index: int | None = None
    not_form: str | None = None
    words: tuple[str, ...] = ()
    """Folded words (:func:`gulfsec.domain.search.query_words`) an entry's text must contain."""


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def node_entries(conn: Connection, query: EntryQuery, limit: int | None = None,
                 newest_first: bool = True) -> list[NodeEntry]:
    table = node_db.entries
    stmt = sa.select(table)
    if query.sender is not None:
        stmt = stmt.where(table.c.sender == query.sender)
    if query.not_sender is not None:
        stmt = stmt.where(table.c.sender != query.not_sender)
    if query.form is not None:
        stmt = stmt.where(table.c.form == query.form)
    if query.not_form is not None:
        stmt = stmt.where(table.c.form != query.not_form)
    if query.words:
        found = node_db.search
        matching = sa.select(found.c.idx).where(
            *(found.c.text.like(_like(word), escape="\\") for word in query.words))
        stmt = stmt.where(table.c.idx.in_(matching))
    if query.sequenced_from is not None:
        stmt = stmt.where(table.c.sequenced_at >= query.sequenced_from)
    if query.sequenced_before is not None:
        stmt = stmt.where(table.c.sequenced_at < query.sequenced_before)
    if query.before_index is not None:
        stmt = stmt.where(table.c.idx < query.before_index)
    if query.sender is not None:
        # One sender's entries are in the log in the order of their sequence numbers (the hub
        # takes each only as the sender's next): walking its (sender, seq) index reads a page,
        # not every entry of the sender. From an older page on, start below the sequence
        # number of the entry the page starts after.
        if query.before_index is not None:
            start = (sa.select(table.c.seq)
                     .where(table.c.idx == query.before_index, table.c.sender == query.sender)
                     .scalar_subquery())
            stmt = stmt.where(table.c.seq < sa.func.coalesce(start, _MAX_SEQ))
        stmt = stmt.order_by(table.c.seq.desc() if newest_first else table.c.seq)
    else:
        stmt = stmt.order_by(table.c.idx.desc() if newest_first else table.c.idx)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [_node_entry(r) for r in conn.execute(stmt)]


_MAX_SEQ = 1 << 62


@dataclass(frozen=True)
class NodeState:
    """Marks of what a node holds, each read from an index in one statement: together they
    change whenever something its pages show does (see :func:`node_state`)."""

    latest_index: int
    """The newest entry held (-1: none)."""
    checkpoint_size: int
    """The latest checkpoint's size (0: none)."""
    cosigned: tuple[int, int]
    """The largest size with a verified cosignature, and how many it has."""
    alarms: int
    """The alarms raised, but for a drifting clock's (which has a banner of its own)."""
    outbox: tuple[int, int]
    """The newest sequence number signed, and how many entries the hub refused for good (what
    waits to be sent is not counted: the outbox keeps every entry it sent, and telling which
    wait reads them all; the hub's sequencing one shows in the next checkpoint stored)."""
    meta: int
    """The length of the meta value named when reading (the withheld entries' list)."""


def _node_state_query() -> sa.Select[Any]:
    entries, checkpoints = node_db.entries, node_db.checkpoints
    cosignatures, outbox = node_db.cosignatures, node_db.outbox
    cosigned = (sa.select(cosignatures.c.size).where(cosignatures.c.timestamp.is_not(None))
                .order_by(cosignatures.c.size.desc()).limit(1).scalar_subquery())
    return sa.select(
        sa.select(sa.func.max(entries.c.idx)).scalar_subquery(),
        sa.select(sa.func.max(checkpoints.c.size)).scalar_subquery(),
        cosigned,
        sa.select(sa.func.count()).select_from(cosignatures)
        .where(cosignatures.c.size == cosigned, cosignatures.c.timestamp.is_not(None))
        .scalar_subquery(),
        # A drifting clock has a banner of its own (it is this machine's fault, not evidence
        # against the hub): the alarms' banner counts the others.
        sa.select(sa.func.count()).select_from(node_db.alarms)
        .where(node_db.alarms.c.kind != "clock_drift").scalar_subquery(),
        sa.select(sa.func.max(outbox.c.seq)).scalar_subquery(),
        sa.select(sa.func.count()).select_from(node_db.outbox_refused).scalar_subquery(),
        sa.select(sa.func.length(node_db.meta.c.value))
        .where(node_db.meta.c.key == sa.bindparam("meta_key")).scalar_subquery(),
    )


_NODE_STATE = _node_state_query()
"""Built once: the pages read it on every request."""


def node_state(conn: Connection, meta_key: str) -> NodeState:
    row = conn.execute(_NODE_STATE, {"meta_key": meta_key}).one()
    values = [-1 if v is None else int(v) for v in row]
    return NodeState(values[0], max(values[1], 0), (values[2], values[3]), values[4],
                     (values[5], values[6]), max(values[7], 0))


def node_leaves_from(conn: Connection, start: int, end: int) -> list[bytes]:
    """The leaves (entry ids) at ``start`` ≤ index < ``end``, in order."""
    table = node_db.leaves
    rows = conn.execute(sa.select(table.c.entry_id)
                        .where(table.c.idx >= start, table.c.idx < end).order_by(table.c.idx))
    return [bytes(r.entry_id) for r in rows]


def node_senders_after(conn: Connection, after: int) -> list[tuple[str, int]]:
    """(sender, sequence number) of each entry held at an index above ``after``."""
    table = node_db.entries
    rows = conn.execute(sa.select(table.c.sender, table.c.seq).where(table.c.idx > after))
    return [(r.sender, int(r.seq)) for r in rows]


def node_entries_by_form(conn: Connection, form: str) -> list[NodeEntry]:
    table = node_db.entries
    rows = conn.execute(sa.select(table).where(table.c.form == form).order_by(table.c.idx))
    return [_node_entry(r) for r in rows]


def node_entry(conn: Connection, entry_id: bytes) -> NodeEntry | None:
    table = node_db.entries
    row = conn.execute(sa.select(table).where(table.c.entry_id == entry_id)).first()
    return None if row is None else _node_entry(row)


def node_entries_by_ids(conn: Connection, entry_ids: list[bytes]) -> dict[bytes, NodeEntry]:
    if not entry_ids:
        return {}
    table = node_db.entries
    rows = conn.execute(sa.select(table).where(table.c.entry_id.in_(entry_ids)))
    return {bytes(r.entry_id): _node_entry(r) for r in rows}


def node_iter_raw(conn: Connection) -> Iterator[tuple[int, bytes, int, int]]:
    """(index, raw, sequenced_at, verified_at) of every held entry, in log order."""
    table = node_db.entries
    query = sa.select(table.c.idx, table.c.raw, table.c.sequenced_at,
                      table.c.verified_at).order_by(table.c.idx)
    result = stream(conn, query, 5_000)
    for row in result:
        yield int(row.idx), bytes(row.raw), int(row.sequenced_at), int(row.verified_at)


def node_latest_entry_index(conn: Connection) -> int:
    value = conn.execute(sa.select(sa.func.max(node_db.entries.c.idx))).scalar_one()
    return -1 if value is None else int(value)


def node_alarm_count(conn: Connection) -> int:
    return int(conn.execute(
        sa.select(sa.func.count()).select_from(node_db.alarms)).scalar_one())


def node_leaf_at(conn: Connection, index: int) -> bytes | None:
    table = node_db.leaves
    row = conn.execute(sa.select(table.c.entry_id).where(table.c.idx == index)).first()
    return None if row is None else bytes(row.entry_id)


def node_leaf_indexes(conn: Connection, entry_ids: list[bytes]) -> dict[bytes, int]:
    """Where in the log (as this node holds its leaves) each of ``entry_ids`` is."""
    if not entry_ids:
        return {}
    table = node_db.leaves
    rows = conn.execute(sa.select(table.c.entry_id, table.c.idx)
                        .where(table.c.entry_id.in_(entry_ids)))
    return {bytes(r.entry_id): int(r.idx) for r in rows}


def node_first_checkpoint_covering(conn: Connection, index: int) -> NodeCheckpoint | None:
    """The smallest checkpoint the node holds that includes ``index``."""
    table = node_db.checkpoints
    stmt = sa.select(table).where(table.c.size > index)
    row = conn.execute(stmt.order_by(table.c.size).limit(1)).first()
    return None if row is None else _node_checkpoint(row)


def node_outbox_item(conn: Connection, entry_id: bytes) -> OutboxItem | None:
    table = node_db.outbox
    row = conn.execute(sa.select(table).where(table.c.entry_id == entry_id)).first()
    if row is None:
        return None
    return OutboxItem(int(row.seq), bytes(row.entry_id), bytes(row.raw), int(row.created_at),
                      None if row.sequenced_idx is None else int(row.sequenced_idx),
                      row.last_error)


# -- the hub's tables --------------------------------------------------------------------------


@dataclass(frozen=True)
class HubEntryRow:
    index: int
    entry_id: bytes
    sender: str
    form: str
    audience_all: bool
    sequenced_at: int
    raw: bytes


def _hub_entry(row: Any) -> HubEntryRow:
    return HubEntryRow(int(row.idx), bytes(row.entry_id), row.sender, row.form,
                       bool(row.audience_all), int(row.sequenced_at), bytes(row.raw))


def hub_public_entries(conn: Connection, size: int, *, before_index: int | None = None,
                       form: str | None = None, limit: int = 50) -> list[HubEntryRow]:
    """Entries addressed to all, inside the tree of ``size``, newest first."""
    table = hub_db.entries
    stmt = sa.select(table).where(table.c.audience_all.is_(True), table.c.idx < size)
    if before_index is not None:
        stmt = stmt.where(table.c.idx < before_index)
    if form is not None:
        stmt = stmt.where(table.c.form == form)
    stmt = stmt.order_by(table.c.idx.desc()).limit(limit)
    return [_hub_entry(r) for r in conn.execute(stmt)]


def hub_entry(conn: Connection, entry_id: bytes) -> HubEntryRow | None:
    table = hub_db.entries
    row = conn.execute(sa.select(table).where(table.c.entry_id == entry_id)).first()
    return None if row is None else _hub_entry(row)


def hub_iter_entries(conn: Connection, size: int) -> Iterator[HubEntryRow]:
    """Every entry inside the tree of ``size``, in log order, streamed."""
    table = hub_db.entries
    query = sa.select(table).where(table.c.idx < size).order_by(table.c.idx)
    result = stream(conn, query, 5_000)
    for row in result:
        yield _hub_entry(row)


def hub_last_entries(conn: Connection) -> dict[str, tuple[int, int]]:
    """Each sender's latest entry: sender -> (index, sequenced_at µs)."""
    table = hub_db.entries
    latest = (sa.select(table.c.sender, sa.func.max(table.c.idx).label("idx"))
              .group_by(table.c.sender).subquery())
    rows = conn.execute(sa.select(table.c.sender, table.c.idx, table.c.sequenced_at)
                        .join(latest, table.c.idx == latest.c.idx))
    return {r.sender: (int(r.idx), int(r.sequenced_at)) for r in rows}


def hub_last_cosignatures(conn: Connection) -> dict[str, tuple[int, int, int]]:
    """Each witness's latest cosignature: party -> (size, its timestamp s, received_at µs)."""
    table = hub_db.cosignatures
    latest = (sa.select(table.c.party, sa.func.max(table.c.size).label("size"))
              .group_by(table.c.party).subquery())
    rows = conn.execute(
        sa.select(table.c.party, table.c.size, table.c.timestamp, table.c.received_at)
        .join(latest, sa.and_(table.c.party == latest.c.party, table.c.size == latest.c.size)))
    return {r.party: (int(r.size), int(r.timestamp), int(r.received_at)) for r in rows}


@dataclass(frozen=True)
class HubCheckpointRow:
    size: int
    note: str
    created_at: int


def hub_checkpoint_at_most(conn: Connection, size: int) -> HubCheckpointRow | None:
    """The largest checkpoint of at most ``size`` entries."""
    table = hub_db.checkpoints
    row = conn.execute(sa.select(table).where(table.c.size <= size, table.c.size > 0)
                       .order_by(table.c.size.desc()).limit(1)).first()
    return None if row is None else HubCheckpointRow(int(row.size), row.note,
                                                     int(row.created_at))


def hub_pending_registration_parties(conn: Connection) -> set[str]:
    table = hub_db.pending_registrations
    return {r.party for r in conn.execute(sa.select(table.c.party))}


def hub_public_ids(conn: Connection, entry_ids: list[bytes], size: int) -> set[bytes]:
    """Which of ``entry_ids`` are entries addressed to all, inside the tree of ``size``."""
    if not entry_ids:
        return set()
    table = hub_db.entries
    rows = conn.execute(sa.select(table.c.entry_id).where(
        table.c.entry_id.in_(entry_ids), table.c.audience_all.is_(True), table.c.idx < size))
    return {bytes(r.entry_id) for r in rows}
