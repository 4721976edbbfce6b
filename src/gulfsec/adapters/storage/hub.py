"""The hub's store: its tables and the queries its services need.

SQLite (the embedded default) and PostgreSQL (chosen by URL) run the same code; engines come
from :mod:`.engine`, the schema from the Alembic history in ``migrations/hub`` (:mod:`.migrate`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from gulfsec.adapters.storage.streams import stream

metadata = sa.MetaData()

entries = sa.Table(
    "entries",
    metadata,
    sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("entry_id", sa.LargeBinary(32), nullable=False, unique=True),
    sa.Column("sender", sa.String(8), nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("form", sa.String(64), nullable=False),
    sa.Column("audience_all", sa.Boolean, nullable=False),
    sa.Column("claimed_time", sa.String(32), nullable=False),
    sa.Column("sequenced_at", sa.BigInteger, nullable=False),
    sa.Column("raw", sa.LargeBinary, nullable=False),
    sa.UniqueConstraint("sender", "seq", name="uq_entries_sender_seq"),
)

audience = sa.Table(
    "entry_audience",
    metadata,
    sa.Column("party", sa.String(8), primary_key=True),
    sa.Column("idx", sa.BigInteger, sa.ForeignKey("entries.idx"), primary_key=True),
)

checkpoints = sa.Table(
    "checkpoints",
    metadata,
    sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("root", sa.LargeBinary(32), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
)

cosignatures = sa.Table(
    "cosignatures",
    metadata,
    sa.Column("size", sa.BigInteger, sa.ForeignKey("checkpoints.size"), primary_key=True),
    sa.Column("party", sa.String(8), primary_key=True),
    sa.Column("key_id", sa.String(8), nullable=False),
    sa.Column("timestamp", sa.BigInteger, nullable=False),
    sa.Column("line", sa.Text, nullable=False),
    sa.Column("received_at", sa.BigInteger, nullable=False),
)

keys = sa.Table(
    "keys",
    metadata,
    sa.Column("party", sa.String(8), primary_key=True),
    sa.Column("key_id", sa.String(8), primary_key=True),
    sa.Column("vkey", sa.Text, nullable=False),
    sa.Column("registered_at", sa.BigInteger, nullable=False),
    sa.Column("revoked_at", sa.BigInteger, nullable=True),
)

blobs = sa.Table(
    "hub_blobs",
    metadata,
    sa.Column("sha256", sa.LargeBinary(32), primary_key=True),
    sa.Column("media_type", sa.String(100), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("uploaded_by", sa.String(8), nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
)
"""Files carried with entries, by SHA-256 (``uploaded_by``: the first party to upload it)."""

blob_uploads = sa.Table(
    "hub_blob_uploads",
    metadata,
    sa.Column("sha256", sa.LargeBinary(32), sa.ForeignKey("hub_blobs.sha256"),
              primary_key=True),
    sa.Column("party", sa.String(8), primary_key=True),
    sa.Column("created_at", sa.BigInteger, nullable=False),
)
"""Every party that uploaded a file: each may fetch it again."""

blob_refs = sa.Table(
    "hub_blob_refs",
    metadata,
    sa.Column("sha256", sa.LargeBinary(32), primary_key=True),
    sa.Column("entry_index", sa.BigInteger, sa.ForeignKey("entries.idx"), primary_key=True),
)
"""Which entries name which file: filled by the sequencer with the entries themselves."""

submissions = sa.Table(
    "hub_submissions",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("raw", sa.LargeBinary, nullable=False),
    sa.Column("received_at", sa.BigInteger, nullable=False),
    sa.Column("outcome", sa.Text, nullable=True),
    sa.Column("settled_at", sa.BigInteger, nullable=True),
)
"""Entries a hub front end took in while another process sequences (:mod:`gulfsec.services.hub
.shared`): checked, waiting for the sequencer, and what became of each (a receipt or a
refusal, as JSON), written in the sequencer's transaction with the entries themselves."""

sa.Index("ix_entries_sender", entries.c.sender, entries.c.idx)
sa.Index("ix_entries_all", entries.c.audience_all, entries.c.idx)
sa.Index("ix_cosignatures_received", cosignatures.c.received_at)
sa.Index("ix_hub_submissions_settled_at", submissions.c.settled_at)


@dataclass(frozen=True)
class StoredEntry:
    index: int
    entry_id: bytes
    sender: str
    seq: int
    form: str
    sequenced_at: int
    raw: bytes


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    root: bytes
    note: str
    created_at: int


pending_registrations = sa.Table(
    "pending_registrations",
    metadata,
    sa.Column("entry_id", sa.LargeBinary(32), primary_key=True),
    sa.Column("party", sa.String(8), nullable=False),
    sa.Column("key_id", sa.String(8), nullable=False),
    sa.Column("raw", sa.LargeBinary, nullable=False),
    sa.Column("received_at", sa.BigInteger, nullable=False),
)


@dataclass(frozen=True)
class StoredCosignature:
    size: int
    party: str
    key_id: str
    timestamp: int
    line: str


@dataclass(frozen=True)
class StoredBlob:
    sha256: bytes
    media_type: str
    size: int
    data: bytes


@dataclass(frozen=True)
class NewEntry:
    index: int
    entry_id: bytes
    sender: str
    seq: int
    form: str
    audience: Sequence[str] | None
    """None for an entry to all."""
    claimed_time: str
    sequenced_at: int
    raw: bytes


def _stored(row: Any) -> StoredEntry:
    return StoredEntry(row.idx, bytes(row.entry_id), row.sender, row.seq, row.form,
                       row.sequenced_at, bytes(row.raw))


_ENTRY_COLUMNS = (entries.c.idx, entries.c.entry_id, entries.c.sender, entries.c.seq,
                  entries.c.form, entries.c.sequenced_at, entries.c.raw)


class HubRepository:
    """Queries over one connection; the caller owns the transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _placeholders(self, count: int) -> str:
        mark = "?" if self.conn.dialect.paramstyle == "qmark" else "%s"
        return ", ".join([mark] * count)

    def insert_entries(self, rows: Sequence[NewEntry]) -> None:
        """Insert a batch of entries and their audiences.

        This is the sequencer's hot path, so it goes straight to the driver's executemany
        with tuples; the columns are the ``entries`` and ``entry_audience`` tables above.
        """
        if not rows:
            return
        self.conn.exec_driver_sql(
            "INSERT INTO entries (idx, entry_id, sender, seq, form, audience_all, claimed_time,"
            f" sequenced_at, raw) VALUES ({self._placeholders(9)})",
            [
                (r.index, r.entry_id, r.sender, r.seq, r.form, r.audience is None,
                 r.claimed_time, r.sequenced_at, r.raw)
                for r in rows
            ],
        )
        members = [
            (party, r.index) for r in rows if r.audience is not None for party in r.audience
        ]
        if members:
            self.conn.exec_driver_sql(
                f"INSERT INTO entry_audience (party, idx) VALUES ({self._placeholders(2)})",
                members,
            )

    def insert_blob_refs(self, refs: Sequence[tuple[bytes, int]]) -> None:
        """Note that the entry at each index names the file with each SHA-256 (in the
        sequencer's transaction, with the entries)."""
        if refs:
            self.conn.exec_driver_sql(
                f"INSERT INTO hub_blob_refs (sha256, entry_index) VALUES ({self._placeholders(2)})",
                list(refs),
            )

    def insert_checkpoint(self, cp: StoredCheckpoint) -> None:
        self.conn.execute(
            checkpoints.insert(),
            {"size": cp.size, "root": cp.root, "note": cp.note, "created_at": cp.created_at},
        )

    def upsert_key(self, party: str, key_id: str, vkey: str, registered_at: int,
                   revoked_at: int | None) -> None:
        existing = self.conn.execute(
            sa.select(keys.c.party).where(keys.c.party == party, keys.c.key_id == key_id)
        ).first()
        if existing is None:
            self.conn.execute(keys.insert(), {"party": party, "key_id": key_id, "vkey": vkey,
                                              "registered_at": registered_at,
                                              "revoked_at": revoked_at})
        else:
            self.conn.execute(
                keys.update()
                .where(keys.c.party == party, keys.c.key_id == key_id)
                .values(revoked_at=revoked_at)
            )

    def all_keys(self) -> list[Any]:
        return list(self.conn.execute(sa.select(keys).order_by(keys.c.registered_at)))

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        row = self.conn.execute(
            sa.select(checkpoints).order_by(checkpoints.c.size.desc()).limit(1)
        ).first()
        if row is None:
            return None
        return StoredCheckpoint(row.size, bytes(row.root), row.note, row.created_at)

    def checkpoint_at(self, size: int) -> StoredCheckpoint | None:
        row = self.conn.execute(sa.select(checkpoints).where(checkpoints.c.size == size)).first()
        if row is None:
            return None
        return StoredCheckpoint(row.size, bytes(row.root), row.note, row.created_at)

    def checkpoints_covering(self, low: int, high: int) -> list[tuple[int, str]]:
        """(size, note) of the checkpoints that first cover some index in ``low..high``: the
        sizes above ``low``, up to the first one above ``high``, in order."""
        upper = sa.select(sa.func.min(checkpoints.c.size)).where(
            checkpoints.c.size > high).scalar_subquery()
        rows = self.conn.execute(
            sa.select(checkpoints.c.size, checkpoints.c.note)
            .where(checkpoints.c.size > low, checkpoints.c.size <= upper)
            .order_by(checkpoints.c.size))
        return [(int(r.size), r.note) for r in rows]

    def first_checkpoint_covering(self, index: int) -> StoredCheckpoint | None:
        row = self.conn.execute(
            sa.select(checkpoints).where(checkpoints.c.size > index)
            .order_by(checkpoints.c.size).limit(1)
        ).first()
        if row is None:
            return None
        return StoredCheckpoint(row.size, bytes(row.root), row.note, row.created_at)

    def entry_ids(self, start: int = 0) -> Iterator[bytes]:
        query = sa.select(entries.c.entry_id).where(entries.c.idx >= start).order_by(entries.c.idx)
        result = stream(self.conn, query, 10_000)
        for row in result:
            yield bytes(row.entry_id)

    def count(self) -> int:
        return int(self.conn.execute(sa.select(sa.func.count()).select_from(entries)).scalar_one())

    def next_seqs(self) -> dict[str, int]:
        rows = self.conn.execute(
            sa.select(entries.c.sender, sa.func.max(entries.c.seq)).group_by(entries.c.sender)
        )
        return {sender: int(seq) + 1 for sender, seq in rows}

    def find_by_ids(self, ids: Iterable[bytes]) -> dict[bytes, int]:
        # The sequencer asks this for every batch: straight to the driver, in chunks that keep
        # within any database's limit on parameters.
        wanted = list(ids)
        found: dict[bytes, int] = {}
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            rows = self.conn.exec_driver_sql(
                f"SELECT entry_id, idx FROM entries WHERE entry_id IN "
                f"({self._placeholders(len(part))})", tuple(part))
            found.update((bytes(eid), int(idx)) for eid, idx in rows)
        return found

    def entry_by_id(self, entry_id: bytes) -> StoredEntry | None:
        row = self.conn.execute(
            sa.select(*_ENTRY_COLUMNS).where(entries.c.entry_id == entry_id)
        ).first()
        return None if row is None else _stored(row)

    def entry_by_index(self, index: int) -> StoredEntry | None:
        row = self.conn.execute(sa.select(*_ENTRY_COLUMNS).where(entries.c.idx == index)).first()
        return None if row is None else _stored(row)

    def audience_of(self, index: int) -> list[str] | None:
        row = self.conn.execute(
            sa.select(entries.c.audience_all).where(entries.c.idx == index)
        ).first()
        if row is None or row.audience_all:
            return None
        rows = self.conn.execute(sa.select(audience.c.party).where(audience.c.idx == index))
        return sorted(r.party for r in rows)

    def visible_entries(self, party: str, after: int, limit: int, *,
                        limited: bool = False,
                        forms: Collection[str] | None = None) -> list[StoredEntry]:
        """Entries ``party`` may read with index > ``after``, oldest first (of ``forms`` only,
        if given). ``limited``: only its own entries and the key entries (what a key it no
        longer holds may read)."""
        if limited:
            visible = sa.or_(entries.c.sender == party, entries.c.form.startswith("key-"))
        else:
            # EXISTS, not ``idx IN (SELECT …)``: SQLite plans the IN as a multi-index OR over
            # every later row, so a page would cost what follows it in the log.
            addressed = sa.exists().where(audience.c.party == party,
                                          audience.c.idx == entries.c.idx)
            visible = sa.or_(entries.c.audience_all.is_(True), entries.c.sender == party,
                             addressed)
        return self._entries_where(after, limit, forms, visible)

    def public_entries(self, after: int, limit: int, *,
                       forms: Collection[str] | None = None) -> list[StoredEntry]:
        """Entries addressed to all with index > ``after``, oldest first."""
        return self._entries_where(after, limit, forms, entries.c.audience_all.is_(True))

    def _entries_where(self, after: int, limit: int, forms: Collection[str] | None,
                       *where: Any) -> list[StoredEntry]:
        query = sa.select(*_ENTRY_COLUMNS).where(entries.c.idx > after, *where)
        if forms is not None:
            query = query.where(entries.c.form.in_(sorted(forms)))
        return [_stored(row) for row in
                self.conn.execute(query.order_by(entries.c.idx).limit(limit))]

    def entry_ids_range(self, start: int, end: int) -> list[bytes]:
        rows = self.conn.execute(
            sa.select(entries.c.entry_id)
            .where(entries.c.idx >= start, entries.c.idx < end)
            .order_by(entries.c.idx)
        )
        return [bytes(r.entry_id) for r in rows]

    def raw_entries(self) -> Iterator[bytes]:
        """Every stored entry's canonical bytes, in log order, streamed."""
        query = sa.select(entries.c.raw).order_by(entries.c.idx)
        result = stream(self.conn, query, 5_000)
        for row in result:
            yield bytes(row.raw)

    # -- cosignatures and finality ----------------------------------------------------------

    def add_cosignature(self, cosig: StoredCosignature, received_at: int) -> bool:
        """Store a cosignature; False if this party already cosigned this size."""
        exists = self.conn.execute(
            sa.select(cosignatures.c.party).where(cosignatures.c.size == cosig.size,
                                                  cosignatures.c.party == cosig.party)
        ).first()
        if exists is not None:
            return False
        self.conn.execute(cosignatures.insert(), {
            "size": cosig.size, "party": cosig.party, "key_id": cosig.key_id,
            "timestamp": cosig.timestamp, "line": cosig.line, "received_at": received_at,
        })
        return True

    def cosignatures_for(self, size: int) -> list[StoredCosignature]:
        rows = self.conn.execute(
            sa.select(cosignatures).where(cosignatures.c.size == size)
            .order_by(cosignatures.c.received_at, cosignatures.c.party)
        )
        return [StoredCosignature(r.size, r.party, r.key_id, r.timestamp, r.line) for r in rows]

    def all_cosignatures(self) -> list[tuple[str, int, int]]:
        """(party, size, timestamp) of every stored cosignature."""
        rows = self.conn.execute(
            sa.select(cosignatures.c.party, cosignatures.c.size, cosignatures.c.timestamp))
        return [(r.party, int(r.size), int(r.timestamp)) for r in rows]

    def cosignatures_since(self, since: int, limit: int) -> list[tuple[int, str, str, int]]:
        """(size, party, line, received_at) received at or after ``since``, oldest first."""
        rows = self.conn.execute(
            sa.select(cosignatures.c.size, cosignatures.c.party, cosignatures.c.line,
                      cosignatures.c.received_at)
            .where(cosignatures.c.received_at >= since)
            .order_by(cosignatures.c.received_at, cosignatures.c.size, cosignatures.c.party)
            .limit(limit)
        )
        return [(int(r.size), r.party, r.line, int(r.received_at)) for r in rows]

    # -- registrations waiting for the secretariat ------------------------------------------

    def add_pending_registration(self, entry_id: bytes, party: str, key_id: str, raw: bytes,
                                 received_at: int) -> bool:
        exists = self.conn.execute(
            sa.select(pending_registrations.c.party)
            .where(pending_registrations.c.entry_id == entry_id)
        ).first()
        if exists is not None:
            return False
        self.conn.execute(pending_registrations.insert(), {
            "entry_id": entry_id, "party": party, "key_id": key_id, "raw": raw,
            "received_at": received_at,
        })
        return True

    def pending_registrations(self) -> list[tuple[str, str, bytes, int]]:
        rows = self.conn.execute(
            sa.select(pending_registrations).order_by(pending_registrations.c.received_at)
        )
        return [(r.party, r.key_id, bytes(r.raw), int(r.received_at)) for r in rows]

    def entries_after(self, after: int, limit: int, *,
                      forms: Collection[str] | None = None) -> list[StoredEntry]:
        """Every entry with index > ``after``, oldest first (of ``forms`` only, if given)."""
        return self._entries_where(after, limit, forms)

    # -- several front ends, one sequencer (services.hub.shared) ----------------------------

    def latest_size(self) -> int:
        """The size of the latest stored checkpoint (0 if none)."""
        size = self.conn.execute(sa.select(sa.func.max(checkpoints.c.size))).scalar()
        return 0 if size is None else int(size)

    def entry_heads(self, start: int, end: int) -> list[tuple[int, bytes, str, int, str]]:
        """(index, entry id, sender, seq, form) of the entries with ``start <= index < end``,
        in log order: what a front end that does not sequence needs to follow the log."""
        rows = self.conn.execute(
            sa.select(entries.c.idx, entries.c.entry_id, entries.c.sender, entries.c.seq,
                      entries.c.form)
            .where(entries.c.idx >= start, entries.c.idx < end).order_by(entries.c.idx))
        return [(int(r.idx), bytes(r.entry_id), r.sender, int(r.seq), r.form) for r in rows]

    def cosignature_times_since(self, since: int,
                                limit: int) -> list[tuple[str, int, int, int]]:
        """(party, size, timestamp, received_at) of the cosignatures received at or after
        ``since`` (µs), oldest first: what makes entries final, for a front end to follow."""
        rows = self.conn.execute(
            sa.select(cosignatures.c.party, cosignatures.c.size, cosignatures.c.timestamp,
                      cosignatures.c.received_at)
            .where(cosignatures.c.received_at >= since)
            .order_by(cosignatures.c.received_at, cosignatures.c.size, cosignatures.c.party)
            .limit(limit))
        return [(r.party, int(r.size), int(r.timestamp), int(r.received_at)) for r in rows]

    def add_submissions(self, raws: Sequence[bytes], received_at: int) -> list[int]:
        """Queue checked entries for the sequencer; their ids, in order."""
        if not raws:
            return []
        result = self.conn.execute(
            submissions.insert().returning(submissions.c.id, sort_by_parameter_order=True),
            [{"raw": raw, "received_at": received_at} for raw in raws])
        return [int(row[0]) for row in result]

    def pending_submissions(self, limit: int) -> list[tuple[int, bytes]]:
        """(id, raw) of the queued entries nothing became of yet, oldest first."""
        rows = self.conn.execute(
            sa.select(submissions.c.id, submissions.c.raw)
            .where(submissions.c.settled_at.is_(None)).order_by(submissions.c.id).limit(limit))
        return [(int(r.id), bytes(r.raw)) for r in rows]

    def settle_submissions(self, outcomes: Sequence[tuple[int, str]], settled_at: int) -> None:
        """Record what became of queued entries (in the sequencer's transaction)."""
        if outcomes:
            self.conn.execute(
                submissions.update()
                .where(submissions.c.id == sa.bindparam("sid"),
                       submissions.c.settled_at.is_(None))
                .values(outcome=sa.bindparam("what"), settled_at=settled_at),
                [{"sid": sid, "what": what} for sid, what in outcomes])

    def submission_outcomes(self, ids: Collection[int]) -> dict[int, str]:
        """What became of those of the queued entries ``ids`` that are settled."""
        if not ids:
            return {}
        rows = self.conn.execute(
            sa.select(submissions.c.id, submissions.c.outcome)
            .where(submissions.c.id.in_(list(ids)), submissions.c.settled_at.is_not(None)))
        return {int(r.id): str(r.outcome) for r in rows}

    def forget_submissions(self, settled_before: int) -> int:
        """Drop the queued entries settled before a time (their senders have their answer)."""
        result = self.conn.execute(
            submissions.delete().where(submissions.c.settled_at < settled_before))
        return int(result.rowcount or 0)

    # -- files carried with entries -----------------------------------------------------------

    def _insert_new(self, table: sa.Table, values: dict[str, Any]) -> bool:
        """Insert a row unless one with its primary key is there (also against a concurrent
        insert); whether it was inserted."""
        insert = postgresql.insert if self.conn.dialect.name == "postgresql" else sqlite.insert
        key = next(iter(table.primary_key.columns))
        result = self.conn.execute(
            insert(table).values(**values).on_conflict_do_nothing().returning(key))
        return result.first() is not None

    def put_blob(self, sha256: bytes, media_type: str, data: bytes, party: str,
                 at: int) -> bool:
        """Store a file (once: its SHA-256 names it) and note that ``party`` uploaded it;
        whether ``party`` had not uploaded it before."""
        self._insert_new(blobs, {"sha256": sha256, "media_type": media_type,
                                 "size": len(data), "data": data, "uploaded_by": party,
                                 "created_at": at})
        return self._insert_new(blob_uploads, {"sha256": sha256, "party": party,
                                               "created_at": at})

    def blob(self, sha256: bytes) -> StoredBlob | None:
        row = self.conn.execute(
            sa.select(blobs.c.sha256, blobs.c.media_type, blobs.c.size, blobs.c.data)
            .where(blobs.c.sha256 == sha256)).first()
        if row is None:
            return None
        return StoredBlob(bytes(row.sha256), row.media_type, int(row.size), bytes(row.data))

    def blob_types(self, hashes: Collection[bytes]) -> dict[bytes, tuple[str, int]]:
        """(media type, size) of each of these files the hub holds (without their bytes)."""
        if not hashes:
            return {}
        rows = self.conn.execute(
            sa.select(blobs.c.sha256, blobs.c.media_type, blobs.c.size)
            .where(blobs.c.sha256.in_(sorted(hashes))))
        return {bytes(r.sha256): (r.media_type, int(r.size)) for r in rows}

    def may_read_blob(self, sha256: bytes, party: str, size: int) -> bool:
        """Whether ``party`` uploaded the file, or sent or is addressed by (directly or as one
        of all) an entry below ``size`` that names it."""
        uploaded = self.conn.execute(
            sa.select(blob_uploads.c.party)
            .where(blob_uploads.c.sha256 == sha256, blob_uploads.c.party == party)).first()
        if uploaded is not None:
            return True
        addressed = sa.exists().where(audience.c.party == party,
                                      audience.c.idx == blob_refs.c.entry_index)
        row = self.conn.execute(
            sa.select(blob_refs.c.entry_index)
            .join(entries, entries.c.idx == blob_refs.c.entry_index)
            .where(blob_refs.c.sha256 == sha256, blob_refs.c.entry_index < size,
                   sa.or_(entries.c.audience_all.is_(True), entries.c.sender == party,
                          addressed))
            .limit(1)).first()
        return row is not None
