"""The sequencer: the hub's single writer.

It takes prepared entries in arrival order and, per batch, checks what depends on log order
(sequence numbers, duplicates, references, keys retired in the meantime), writes the accepted
entries (with which files each names), the key changes and one signed checkpoint in a single
transaction, and only then extends the in-memory tree and answers the submitters. A crash
before the commit loses nothing that was acknowledged; after it, the database holds the entries
and the checkpoint that covers them, together.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine

from gulfsec.adapters.clock import Clock
from gulfsec.adapters.storage.hub import NewEntry, StoredCheckpoint
from gulfsec.domain.attachments import is_sha256
from gulfsec.domain.encoding import format_time
from gulfsec.domain.entry import ALL, SignedEntry
from gulfsec.domain.forms._types import attachment_hashes
from gulfsec.domain.keyring import Keyring
from gulfsec.domain.keys import SigningKey
from gulfsec.errors import (
    GulfsecError,
    SequenceGap,
    SequenceReplay,
    StorageError,
    UnknownReference,
)
from gulfsec.ledger.note import Checkpoint, sign_checkpoint
from gulfsec.services.hub.health import report_batch
from gulfsec.services.hub.state import HubState, Receipt, outcome_json
from gulfsec.services.shared.time import micros
from gulfsec.services.shared.unit_of_work import UnitOfWork

log = logging.getLogger("gulfsec.hub")


Outcome = Receipt | GulfsecError
"""What became of one entry handed in with others: its receipt, or why it was refused."""


class _Group:
    """Entries handed in together: one future for all of them, done when the last one is
    answered (a Future per entry would cost more than sequencing the entry)."""

    def __init__(self, size: int) -> None:
        self.outcomes: list[Outcome | None] = [None] * size
        self.future: Future[list[Outcome]] = Future()
        self._left = size
        self._lock = threading.Lock()

    def settle(self, slot: int, outcome: Outcome) -> None:
        self.outcomes[slot] = outcome
        with self._lock:
            self._left -= 1
            last = self._left == 0
        if last:
            self.future.set_result([o for o in self.outcomes if o is not None])


@dataclass
class _Pending:
    signed: SignedEntry
    future: Future[Receipt] | None = None
    group: _Group | None = None
    slot: int = 0
    answered: bool = False
    row: int | None = None
    """Its id in the queue of entries another front end took in (``hub_submissions``): what
    becomes of it is written there too, in the transaction that sequences it."""
    arrived: float = field(default_factory=time.monotonic)
    """When it reached the sequencer (for the sequencing latency its watchers see)."""

    def answer(self, receipt: Receipt) -> None:
        self.answered = True
        if self.group is not None:
            self.group.settle(self.slot, receipt)
        elif self.future is not None:
            self.future.set_result(receipt)

    def refuse(self, exc: BaseException) -> None:
        if self.answered:
            return
        self.answered = True
        if self.group is not None:
            self.group.settle(self.slot, exc if isinstance(exc, GulfsecError) else StorageError(
                f"sequencing failed: {exc.__class__.__name__}"))
        elif self.future is not None:
            self.future.set_exception(exc)


class Sequencer:
    """The single writer: batches submissions into transactions and checkpoints."""

    def __init__(self, engine: Engine, state: HubState, log_key: SigningKey, clock: Clock,
                 max_batch: int, max_delay_s: float) -> None:
        self._engine = engine
        self._state = state
        self._log_key = log_key
        self._clock = clock
        self._max_batch = max_batch
        self._max_delay = max_delay_s
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()

    @property
    def max_batch(self) -> int:
        return self._max_batch

    @property
    def running(self) -> bool:
        """Whether it takes entries: started, and not stopped (by :meth:`stop` or a failure)."""
        return self._thread is not None and not self._stopped.is_set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="gulfsec-sequencer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join(timeout=30)
        self._thread = None

    def submit(self, signed: SignedEntry) -> Future[Receipt]:
        future: Future[Receipt] = Future()
        if self._stopped.is_set() or self._thread is None:
            future.set_exception(StorageError("the hub is not accepting entries (stopped)"))
            return future
        self._queue.put(_Pending(signed, future))
        return future

    def submit_many(self, entries: Sequence[SignedEntry],
                    rows: Sequence[int] | None = None) -> Future[list[Outcome]]:
        """Hand in several entries, in order; one future for the outcome of each. ``rows``:
        their ids in the queue of entries other front ends took in, where the outcome of each
        is also written, in the transaction that sequences it."""
        group = _Group(len(entries))
        if not entries:
            group.future.set_result([])
            return group.future
        if self._stopped.is_set() or self._thread is None:
            for slot in range(len(entries)):
                group.settle(slot, StorageError("the hub is not accepting entries (stopped)"))
            return group.future
        for slot, signed in enumerate(entries):
            self._queue.put(_Pending(signed, group=group, slot=slot,
                                     row=None if rows is None else rows[slot]))
        return group.future

    def _run(self) -> None:
        # Group commit: a batch is whatever has arrived by the time the writer is free, cut at
        # ``max_batch`` entries or ``max_delay`` of taking them in. An entry never waits for a
        # window to fill: alone, it is sequenced at once; under load, entries gather while the
        # previous batch commits, so one fsync and one signed checkpoint serve many.
        while True:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            stop_after = False
            deadline = time.monotonic() + self._max_delay
            while len(batch) < self._max_batch and time.monotonic() < deadline:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop_after = True
                    break
                batch.append(item)
            try:
                self._process(batch)
            except BaseException as exc:  # the writer must answer everyone, whatever happened
                log.exception("sequencing batch failed")
                err = exc if isinstance(exc, GulfsecError) else StorageError(
                    f"sequencing failed: {exc.__class__.__name__}")
                for p in batch:
                    p.refuse(err)
            if stop_after:
                break
        self._stopped.set()
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                item.refuse(StorageError("the hub stopped before sequencing"))

    def _process(self, batch: list[_Pending]) -> None:
        state = self._state
        with state.lock:
            keyring = state.keyring.copy()
            next_seq = dict(state.next_seq)
            base = state.tree.size
        accepted: list[tuple[_Pending, int]] = []
        duplicates: list[tuple[_Pending, int]] = []
        refused: list[tuple[_Pending, GulfsecError]] = []
        key_changes = False
        now = self._clock.now()
        promise = now + state.regime.limits.max_merge
        with UnitOfWork(self._engine) as uow:
            wanted = {p.signed.id for p in batch}
            for p in batch:
                wanted.update(bytes.fromhex(r) for r in p.signed.entry.refs)
            known = uow.repo.find_by_ids(wanted)
            in_batch: dict[bytes, int] = {}
            for p in batch:
                signed = p.signed
                entry = signed.entry
                existing = known.get(signed.id, in_batch.get(signed.id))
                if existing is not None:
                    duplicates.append((p, existing))
                    continue
                try:
                    self._check_order(signed, next_seq, keyring, known, in_batch)
                except GulfsecError as exc:
                    refused.append((p, exc))
                    continue
                index = base + len(accepted)
                accepted.append((p, index))
                in_batch[signed.id] = index
                next_seq[entry.sender] = entry.seq + 1
                if keyring.changed_by(signed):
                    keyring.apply(signed, index)
                    key_changes = True
            if not accepted:
                if any(p.row is not None for p, _ in [*duplicates, *refused]):
                    uow.repo.settle_submissions(
                        self._outcomes(duplicates, refused, [], base, promise), micros(now))
                    uow.commit()
                for p, why in refused:
                    p.refuse(why)
                self._answer_duplicates(duplicates)
                report_batch(state, len(batch), ())
                return
            # the time of the checkpoint that covers them, to the second: signed
            sequenced_at = int(now.timestamp()) * 1_000_000
            claimed: dict[object, str] = {}  # a batch's entries share few claimed times
            rows = []
            for p, index in accepted:
                entry = p.signed.entry
                when = claimed.get(entry.time)
                if when is None:
                    when = claimed[entry.time] = format_time(entry.time)
                rows.append(NewEntry(
                    index=index, entry_id=p.signed.id, sender=entry.sender, seq=entry.seq,
                    form=entry.form, audience=None if entry.audience == ALL else entry.audience,
                    claimed_time=when, sequenced_at=sequenced_at, raw=p.signed.raw,
                ))
            with state.lock:
                tree = state.tree
                tree.extend(row.entry_id for row in rows)
                new_size = tree.size
                root = tree.root(new_size)
            try:
                note = sign_checkpoint(Checkpoint(self._state.regime.log_origin, new_size, root),
                                       self._log_key, timestamp=int(now.timestamp()))
                uow.repo.insert_entries(rows)
                uow.repo.insert_blob_refs([
                    (bytes.fromhex(sha), index) for p, index in accepted
                    for sha in dict.fromkeys(attachment_hashes(p.signed.entry.body))
                    if is_sha256(sha)
                ])
                if key_changes:
                    for record in keyring.records():
                        uow.repo.upsert_key(record.party, record.key.key_id_hex,
                                            record.key.encode(), record.registered_at,
                                            record.revoked_at)
                uow.repo.insert_checkpoint(StoredCheckpoint(new_size, root, note, micros(now)))
                uow.repo.settle_submissions(
                    self._outcomes(duplicates, refused, accepted, new_size, promise),
                    micros(now))
                uow.commit()
            except BaseException:
                # The tree was extended in memory but nothing was committed: rebuild it.
                self._recover()
                raise
        with state.lock:
            state.tree.settle(new_size)  # committed: the tree may read these leaves back
            state.checkpoint = StoredCheckpoint(new_size, root, note, micros(now))
            state.next_seq = next_seq
            if key_changes:
                state.keyring = keyring
        for p, index in accepted:
            p.answer(Receipt(p.signed.id_hex, index, new_size, promise))
        for p, why in refused:
            p.refuse(why)
        self._answer_duplicates(duplicates)
        state.notify_new_checkpoint()
        report_batch(state, len(batch), (p.arrived for p, _ in accepted))

    @staticmethod
    def _outcomes(duplicates: Sequence[tuple[_Pending, int]],
                  refused: Sequence[tuple[_Pending, GulfsecError]],
                  accepted: Sequence[tuple[_Pending, int]], size: int,
                  promise: datetime) -> list[tuple[int, str]]:
        """What becomes of the queued entries of a batch, to write with it."""
        out = [(p.row, outcome_json(Receipt(p.signed.id_hex, index, size, promise)))
               for p, index in accepted if p.row is not None]
        out += [(p.row, outcome_json(Receipt(p.signed.id_hex, index, size, promise,
                                             duplicate=True)))
                for p, index in duplicates if p.row is not None]
        out += [(p.row, outcome_json(exc)) for p, exc in refused if p.row is not None]
        return out

    def _answer_duplicates(self, duplicates: Sequence[tuple[_Pending, int]]) -> None:
        size = self._state.size
        promise = self._clock.now() + self._state.regime.limits.max_merge
        for p, index in duplicates:
            p.answer(Receipt(p.signed.id_hex, index, size, promise, duplicate=True))

    def _recover(self) -> None:
        log.warning("reloading the log from the database after a failed commit")
        try:
            self._state.load(self._engine, self._log_key.verifier)
        except GulfsecError:
            log.exception("cannot reload the log; the hub stops sequencing")
            self._stopped.set()

    @staticmethod
    def _check_order(signed: SignedEntry, next_seq: dict[str, int], keyring: Keyring,
                     known: dict[bytes, int], in_batch: dict[bytes, int]) -> None:
        entry = signed.entry
        expected = next_seq.get(entry.sender, 0)
        if entry.seq < expected:
            raise SequenceReplay(
                f"{entry.sender} already used sequence number {entry.seq} for another entry "
                f"(next is {expected})",
                sender=entry.sender, expected=expected, got=entry.seq,
            )
        if entry.seq > expected:
            raise SequenceGap(
                f"{entry.sender} sequence number {entry.seq} skips ahead (next is {expected})",
                sender=entry.sender, expected=expected, got=entry.seq,
            )
        for ref in entry.refs:
            rid = bytes.fromhex(ref)
            if rid not in known and rid not in in_batch:
                raise UnknownReference(f"referenced entry {ref} is not in the log",
                                       entry_id=signed.id_hex)
        if keyring.changed_by(signed):
            keyring.verify(signed)
        else:
            keyring.resolve(entry.sender, entry.key)
