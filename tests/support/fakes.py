"""Fakes at our own ports, so a service test needs no database and no hub.

- :class:`FakeNodeRepository` keeps a node's store in plain Python structures, with the same
  methods as :class:`gulfsec.adapters.storage.node.NodeRepository`;
- :class:`FakeUnitOfWork` is :class:`gulfsec.services.shared.unit_of_work.AbstractUnitOfWork`
  over it: the work is done on a copy, and only :meth:`commit` makes it the store's (as a
  transaction would) — so a test sees what a crash before the commit would leave;
- :class:`FakeHub` answers a node's submissions as a hub would, or refuses, or is unreachable.

As cosmicpython's ``FakeUnitOfWork``: ``Node(..., uow=store.uow)`` runs the node's services
on it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from gulfsec.adapters.storage.node import (
    Alarm,
    NodeCheckpoint,
    NodeEntry,
    OutboxItem,
    WitnessState,
)
from gulfsec.domain.encoding import format_time
from gulfsec.domain.entry import parse_signed_entry
from gulfsec.domain.keys import SigningKey
from gulfsec.errors import RemoteError, TransportError
from gulfsec.ledger.answers import SignedAnswer, sign_answer
from gulfsec.ledger.note import Checkpoint, sign_checkpoint
from gulfsec.services.shared.unit_of_work import AbstractUnitOfWork


@dataclass
class NodeState:
    meta: dict[str, str] = field(default_factory=dict)
    leaves: list[bytes] = field(default_factory=list)
    entries: dict[int, NodeEntry] = field(default_factory=dict)
    checkpoints: dict[int, NodeCheckpoint] = field(default_factory=dict)
    cosignatures: dict[tuple[int, str], tuple[str, int | None]] = field(default_factory=dict)
    witness: WitnessState | None = None
    outbox: dict[int, tuple[OutboxItem, str | None]] = field(default_factory=dict)
    refused: list[tuple[OutboxItem, str | None, str, int]] = field(default_factory=list)
    alarms: list[Alarm] = field(default_factory=list)
    quarantine: list[dict[str, Any]] = field(default_factory=list)


class FakeNodeRepository:
    """A node's store in memory (the methods of the SQL repository, same answers)."""

    def __init__(self, state: NodeState) -> None:
        self.state = state

    # -- meta --------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        return self.state.meta.get(key)

    def set_meta(self, key: str, value: str) -> None:
        self.state.meta[key] = value

    # -- leaves and entries ------------------------------------------------------------------

    def leaf_count(self) -> int:
        return len(self.state.leaves)

    def add_leaves(self, start: int, ids: Sequence[bytes]) -> None:
        assert start == len(self.state.leaves), "leaves are added in order"
        self.state.leaves.extend(ids)

    def all_leaves(self) -> Iterator[bytes]:
        return iter(list(self.state.leaves))

    def add_entries(self, rows: Sequence[NodeEntry], claimed_times: Sequence[str]) -> None:
        for row in rows:
            assert row.index not in self.state.entries, "one entry per index"
            self.state.entries[row.index] = row

    def last_entry_index(self) -> int:
        return max(self.state.entries, default=-1)

    def entries_from(self, after: int = -1, limit: int | None = None) -> list[NodeEntry]:
        rows = [self.state.entries[i] for i in sorted(self.state.entries) if i > after]
        return rows if limit is None else rows[:limit]

    def iter_entries(self) -> Iterator[NodeEntry]:
        return iter(self.entries_from())

    def entry_by_id(self, entry_id: bytes) -> NodeEntry | None:
        return next((e for e in self.state.entries.values() if e.entry_id == entry_id), None)

    def entry_count(self) -> int:
        return len(self.state.entries)

    def last_seqs(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for entry in self.state.entries.values():
            out[entry.sender] = max(out.get(entry.sender, -1), entry.seq)
        return out

    # -- checkpoints and cosignatures --------------------------------------------------------

    def latest_checkpoint(self) -> NodeCheckpoint | None:
        return self.state.checkpoints[max(self.state.checkpoints)] if self.state.checkpoints \
            else None

    def checkpoint_at(self, size: int) -> NodeCheckpoint | None:
        return self.state.checkpoints.get(size)

    def all_checkpoints(self) -> list[NodeCheckpoint]:
        return [self.state.checkpoints[s] for s in sorted(self.state.checkpoints)]

    def put_checkpoint(self, cp: NodeCheckpoint) -> None:
        self.state.checkpoints[cp.size] = cp

    def add_cosignature(self, size: int, party: str, line: str) -> None:
        self.state.cosignatures.setdefault((size, party), (line, None))

    def unverified_cosignatures(self, max_size: int) -> list[tuple[int, str, str]]:
        return sorted((size, party, line) for (size, party), (line, when)
                      in self.state.cosignatures.items() if when is None and size <= max_size)

    def set_cosignature(self, size: int, party: str, timestamp: int | None) -> None:
        if timestamp is None:
            self.state.cosignatures.pop((size, party), None)
        else:
            line, _ = self.state.cosignatures[(size, party)]
            self.state.cosignatures[(size, party)] = (line, timestamp)

    def verified_cosignatures(self) -> list[tuple[str, int, int, str]]:
        return sorted(((party, size, when, line) for (size, party), (line, when)
                       in self.state.cosignatures.items() if when is not None),
                      key=lambda row: row[1])

    def witness_state(self, *, for_update: bool = False) -> WitnessState | None:
        return self.state.witness

    def put_witness_state(self, state: WitnessState) -> None:
        self.state.witness = state

    # -- outbox ------------------------------------------------------------------------------

    def add_outbox(self, seq: int, entry_id: bytes, raw: bytes, created_at: int,
                   confirmation: str | None = None) -> None:
        assert seq not in self.state.outbox, "one outbox entry per sequence number"
        assert confirmation is None or self.outbox_confirmed(confirmation) is None, \
            "one outbox entry per confirmation"
        self.state.outbox[seq] = (OutboxItem(seq, entry_id, raw, created_at, None, None),
                                  confirmation)

    def outbox_confirmed(self, confirmation: str) -> OutboxItem | None:
        return next((item for item, token in self.state.outbox.values()
                     if token == confirmation), None)

    def outbox_items(self, *, pending_only: bool = False) -> list[OutboxItem]:
        items = [self.state.outbox[s][0] for s in sorted(self.state.outbox)]
        return [i for i in items if i.sequenced_idx is None] if pending_only else items

    def max_outbox_seq(self) -> int | None:
        return max(self.state.outbox, default=None)

    def lock_outbox(self) -> None:
        """One process, one store: nothing to hold."""

    def refuse_outbox(self, seq: int, error: str, at: int) -> None:
        item, token = self.state.outbox.pop(seq)
        self.state.refused.append((item, token, error, at))

    def resequence_outbox(self, seq: int, new_seq: int, entry_id: bytes, raw: bytes) -> None:
        item, token = self.state.outbox.pop(seq)
        assert new_seq not in self.state.outbox, "one outbox entry per sequence number"
        self.state.outbox[new_seq] = (replace(item, seq=new_seq, entry_id=entry_id, raw=raw,
                                              last_error=None), token)

    def refused(self) -> list[tuple[bytes, str, int]]:
        return [(item.entry_id, error, at) for item, _token, error, at in self.state.refused]

    def refused_confirmed(self, confirmation: str) -> str | None:
        return next((error for _item, token, error, _at in self.state.refused
                     if token == confirmation), None)

    def mark_outbox(self, seq: int, *, index: int | None, error: str | None,
                    receipt: str | None = None) -> None:
        item, token = self.state.outbox[seq]
        self.state.outbox[seq] = (replace(item, sequenced_idx=index, last_error=error,
                                          receipt=receipt), token)

    # -- alarms ------------------------------------------------------------------------------

    def add_alarm(self, kind: str, message: str, evidence: dict[str, Any], at: int) -> None:
        self.state.alarms.append(Alarm(len(self.state.alarms) + 1, kind, message,
                                       copy.deepcopy(evidence), at))

    def alarms(self) -> list[Alarm]:
        return list(self.state.alarms)

    def has_alarm(self, kind: str, message: str) -> bool:
        return any(a.kind == kind and a.message == message for a in self.state.alarms)

    def quarantine(self, index: int | None, claimed_id: str | None, raw: bytes, reason: str,
                   at: int) -> None:
        self.state.quarantine.append({"idx": index, "claimed_id": claimed_id, "raw": raw,
                                      "reason": reason, "created_at": at})

    def quarantined(self) -> list[Any]:
        return list(self.state.quarantine)


class FakeUnitOfWork(AbstractUnitOfWork[FakeNodeRepository]):
    """A transaction over the fake store: work on a copy; :meth:`commit` makes it the
    store's."""

    def __init__(self, store: FakeNodeStore) -> None:
        self.store = store
        self.committed = False

    def __enter__(self) -> FakeUnitOfWork:
        self.repo = FakeNodeRepository(copy.deepcopy(self.store.state))
        self.committed = False
        return self

    def commit(self) -> None:
        self.store.state = copy.deepcopy(self.repo.state)
        self.store.commits += 1
        self.committed = True

    def rollback(self) -> None:
        pass  # the copy is dropped: nothing reached the store


@dataclass
class FakeNodeStore:
    """A node's whole store; ``uow`` is the unit-of-work factory a Node takes."""

    state: NodeState = field(default_factory=NodeState)
    commits: int = 0

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)


class FakeHub:
    """What a node's outbox talks to: ``submit`` answers a signed receipt with the next index
    (signed by ``log_key``, as the hub's answers are), or refuses with ``refuse`` (a
    RemoteError), or raises TransportError while ``down``. ``lie_index`` makes its receipts
    name that index instead; ``checkpoint`` answers a signed checkpoint of its size."""

    ORIGIN = "gulfsec.example/gulf-log"

    def __init__(self, log_key: SigningKey | None = None) -> None:
        self.log_key = log_key or SigningKey.generate(self.ORIGIN)
        self.received: list[bytes] = []
        self.down = False
        self.refuse: RemoteError | None = None
        self.lie_index: int | None = None
        self.size = 0
        self.now = 1_800_000_000
        self._last: SignedAnswer | None = None

    def _answer(self, method: str, target: str, status: int, body: bytes) -> None:
        self._last = sign_answer(self.log_key, self.log_key.name, method, target, "-", status,
                                 self.now, body)

    def last_answer(self) -> SignedAnswer | None:
        return self._last

    def submit(self, raw: bytes) -> dict[str, Any]:
        if self.down:
            raise TransportError("the hub is unreachable")
        if self.refuse is not None:
            raise self.refuse
        duplicate = raw in self.received
        if not duplicate:
            self.received.append(raw)
            self.size += 1
        index = self.received.index(raw) if self.lie_index is None else self.lie_index
        body = {"entry_id": parse_signed_entry(raw, max_bytes=1 << 22).id_hex, "index": index,
                "checkpoint_size": self.size, "duplicate": duplicate,
                "promised_by": format_time(datetime.fromtimestamp(self.now + 60, UTC))}
        self._answer("POST", "/v1/entries", 200 if duplicate else 201,
                     json.dumps(body).encode())
        return body

    def checkpoint(self, **_kw: Any) -> str:
        if self.down:
            raise TransportError("the hub is unreachable")
        note = sign_checkpoint(Checkpoint(self.log_key.name, self.size, bytes(32)),
                               self.log_key, timestamp=self.now)
        self._answer("GET", "/v1/checkpoint", 200, note.encode())
        return note

    def close(self) -> None:
        pass
