"""Several hub front ends on one PostgreSQL database, exactly one of them sequencing.

Any number of ``gulfsec hub serve`` processes, on one machine or several, may share a
PostgreSQL database. Each answers reads and takes in submissions; one at a time — the one
holding the database's advisory lock for this log (:class:`Leadership`) — sequences them:

- The process holding the lock runs the :class:`~.sequencer.Sequencer` on what it takes in
  itself and, through :class:`Drain`, on what the others queued in ``hub_submissions``. What
  becomes of a queued entry (its receipt, or why it was refused) is written in the very
  transaction that sequences it, so nothing is answered that is not durable.
- The others check each entry as the sequencer's own process would (:meth:`Hub.prepare`),
  queue it (:class:`Relay`) and answer the submitter when its outcome is written — having first
  brought their copy of the log up to the checkpoint that covers it.
- Every process follows the database (:class:`Follow`): the entries, keys and checkpoints the
  sequencer committed (when it is not the sequencer) and every witness's cosignatures (any
  front end may receive one).

If the sequencing process dies, PostgreSQL ends its session and frees the lock; another process
takes it within :data:`LOCK_POLL_S` or so, brings its copy up to what was committed, and goes on
with the queue. An entry queued but not yet sequenced is sequenced by the next holder; one whose
submitter got no answer may be submitted again and is answered as a duplicate with its index.
Two processes never both commit the same place in the log: the database refuses a second entry
at an index, or a second checkpoint of a size, and the loser reloads what was committed.

SQLite serves one process: there this module is not used.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from gulfsec.domain.entry import SignedEntry, parse_signed_entry
from gulfsec.domain.keyring import KeyRecord, Keyring
from gulfsec.domain.keys import VerifierKey
from gulfsec.errors import GulfsecError, StorageError
from gulfsec.services.hub.state import Receipt, outcome_from_json, outcome_json
from gulfsec.services.shared.time import micros
from gulfsec.services.shared.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from gulfsec.services.hub.hub import Hub
    from gulfsec.services.hub.sequencer import Outcome, Sequencer

log = logging.getLogger("gulfsec.hub")

LOCK_POLL_S = 0.25
"""How often a front end that does not sequence tries the lock, and the sequencer checks it
still holds it (its session is alive)."""
FOLLOW_S = 0.05
"""How often every front end looks for what was committed or cosigned since."""
QUEUE_POLL_S = 0.01
"""How often the sequencer looks for queued entries, and a front end for their outcomes."""
KEEP_SETTLED_S = 600
"""How long a settled queued entry is kept (its submitter has long had its answer)."""
COSIGNATURE_OVERLAP_US = 10_000_000
"""Cosignatures are looked for again from a little before the last one seen: front ends'
clocks stamp them, and a slower clock's may land just behind the cursor."""


def lock_key(log_origin: str) -> int:
    """The advisory lock's key for a log: a signed 64-bit number from its origin."""
    return int.from_bytes(hashlib.sha256(b"gulfsec-sequencer\n" + log_origin.encode()
                                         ).digest()[:8], "big", signed=True)


class _Background:
    """A part that works in a thread of its own, from :meth:`start` until :meth:`stop`
    (which sets ``_stop``, wakes it and waits up to ``join_s``)."""

    thread_name = "gulfsec-background"
    join_s = 10.0

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self.join_s)
            self._thread = None

    def _run(self) -> None:
        raise NotImplementedError


class Leadership(_Background):
    """Holds, or waits for, the log's advisory lock on a session of its own. ``lead`` is called
    when this process takes the lock, ``follow`` when it loses it (its session ended)."""

    thread_name = "gulfsec-leadership"

    def __init__(self, engine: Engine, key: int, lead: Callable[[], None],
                 follow: Callable[[], None]) -> None:
        super().__init__()
        self._engine = engine
        self._key = key
        self._lead = lead
        self._follow = follow
        self._conn: Connection | None = None
        self.leading = False

    def try_once(self) -> bool:
        """Try to take the lock now (at start, before serving); whether this process leads."""
        if not self.leading and self._take():
            self.leading = True
            self._lead()
        return self.leading

    def stop(self) -> None:
        super().stop()
        if self.leading:
            self.leading = False
            self._follow()
        self._release()

    def _take(self) -> bool:
        try:
            if self._conn is None:
                self._conn = self._engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT")
            got = self._conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"),
                                     {"k": self._key}).scalar()
        except sa.exc.SQLAlchemyError as exc:
            log.warning("cannot try the sequencer's lock: %s", exc.__class__.__name__)
            self._drop()
            return False
        return bool(got)

    def _alive(self) -> bool:
        try:
            assert self._conn is not None
            self._conn.execute(sa.text("SELECT 1"))
        except (sa.exc.SQLAlchemyError, AssertionError) as exc:
            log.error("the sequencer's session ended (%s): this process stops sequencing",
                      exc.__class__.__name__)
            self._drop()
            return False
        return True

    def _run(self) -> None:
        while not self._stop.wait(LOCK_POLL_S):
            if self.leading:
                if not self._alive():
                    self.leading = False
                    self._follow()
            elif self._take():
                self.leading = True
                log.info("this process now sequences the log")
                try:
                    self._lead()
                except Exception:  # cannot lead: let another process try
                    log.exception("cannot take over sequencing")
                    self.leading = False
                    self._follow()
                    self._release()

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.invalidate()
                self._conn.close()
            except sa.exc.SQLAlchemyError:
                pass
            self._conn = None

    def _release(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute(sa.text("SELECT pg_advisory_unlock_all()"))
        except sa.exc.SQLAlchemyError:
            pass
        self._drop()


class Follow(_Background):
    """Brings this process's copy of the log up to what the database holds: committed entries
    and checkpoints (unless this process sequences them itself) and cosignatures (always)."""

    thread_name = "gulfsec-follow"

    def __init__(self, hub: Hub) -> None:
        super().__init__()
        self.hub = hub
        self.entries = True
        """Whether to follow entries (off while this process sequences)."""
        self._lock = threading.Lock()
        self._cosigned_since = 0

    def _run(self) -> None:
        while not self._stop.wait(FOLLOW_S):
            try:
                self.catch_up()
            except Exception:  # the next round may succeed; the error is logged
                log.exception("following the log failed")

    def catch_up(self) -> None:
        """One round: take in what was committed and cosigned since the last one."""
        with self._lock:
            grew = False
            if self.entries:
                try:
                    grew = self._entries()
                except StorageError as exc:
                    log.error("%s", exc.message)
                    self.hub.state.load(self.hub.engine, self.hub.log_key.verifier)
                    grew = True
            self._cosignatures()
        if grew:
            self.hub.state.notify_new_checkpoint()

    def hand_over(self) -> None:
        """Take in everything committed, then stop following entries: this process is about
        to sequence them itself."""
        self.catch_up()
        with self._lock:
            self.entries = False

    def take_back(self) -> None:
        """Follow entries again: another process sequences them now."""
        with self._lock:
            self.entries = True

    def _entries(self) -> bool:
        hub = self.hub
        state = hub.state
        with UnitOfWork(hub.engine) as uow:
            size = uow.repo.latest_size()
            if size <= state.size:
                return False
            checkpoint = uow.repo.checkpoint_at(size)
            heads = uow.repo.entry_heads(state.tree.size, size)
            keys = (uow.repo.all_keys()
                    if any(form.startswith("key-") for *_, form in heads) else None)
        if checkpoint is None or len(heads) != size - state.tree.size:
            return False  # caught between two commits: next round
        with state.lock:
            tree = state.tree
            base = tree.size
            tree.extend(entry_id for _, entry_id, _, _, _ in heads)
            if tree.root(size) != checkpoint.root:
                raise StorageError(f"the stored entries do not hash to the checkpoint of size "
                                   f"{size}; reloading the log")
            tree.settle(size)
            next_seq = dict(state.next_seq)
            for _, _, sender, seq, _ in heads:
                next_seq[sender] = seq + 1
            state.next_seq = next_seq
            if keys is not None:
                state.keyring = Keyring(hub.regime.secretariat.code, [
                    KeyRecord(row.party, VerifierKey.parse(row.vkey), row.registered_at,
                              row.revoked_at) for row in keys])
            state.checkpoint = checkpoint
        log.debug("followed the log from %d to %d", base, size)
        return True

    def _cosignatures(self) -> None:
        hub = self.hub
        while True:
            since = max(0, self._cosigned_since - COSIGNATURE_OVERLAP_US)
            with UnitOfWork(hub.engine) as uow:
                rows = uow.repo.cosignature_times_since(since, 1000)
            with hub.state.lock:
                for party, size, timestamp, _ in rows:
                    hub.state.finality.add(party, size, timestamp)
            newest = max((received for *_, received in rows), default=self._cosigned_since)
            if len(rows) < 1000 or newest <= self._cosigned_since:
                self._cosigned_since = max(self._cosigned_since, newest)
                return
            self._cosigned_since = newest


class Relay(_Background):
    """How a front end that does not sequence hands entries in: queued in the database, each
    answered with what the sequencer wrote down for it. The same interface as the
    :class:`~.sequencer.Sequencer`'s ``submit`` and ``submit_many``, and as quick to call from
    an event loop: a thread of its own writes the queue (what arrived together, in one
    transaction) and reads the outcomes."""

    thread_name = "gulfsec-relay"

    def __init__(self, hub: Hub, follow: Follow) -> None:
        super().__init__()
        self.hub = hub
        self.follow = follow
        self._incoming: list[tuple[SignedEntry, Callable[[Outcome], None]]] = []
        self._waiting: dict[int, Callable[[Outcome], None]] = {}
        self._lock = threading.Lock()

    def stop(self) -> None:
        super().stop()
        with self._lock:
            settles = [settle for _, settle in self._incoming] + list(self._waiting.values())
            self._incoming, self._waiting = [], {}
        for settle in settles:
            settle(StorageError("the hub stopped before the entry was sequenced"))

    def submit(self, signed: SignedEntry) -> Future[Receipt]:
        future: Future[Receipt] = Future()

        def settle(outcome: Outcome) -> None:
            if isinstance(outcome, Receipt):
                future.set_result(outcome)
            else:
                future.set_exception(outcome)

        self._take([(signed, settle)])
        return future

    def submit_many(self, entries: Sequence[SignedEntry]) -> Future[list[Outcome]]:
        future: Future[list[Outcome]] = Future()
        if not entries:
            future.set_result([])
            return future
        outcomes: list[Outcome | None] = [None] * len(entries)
        left = [len(entries)]
        lock = threading.Lock()

        def slot(at: int) -> Callable[[Outcome], None]:
            def settle(outcome: Outcome) -> None:
                outcomes[at] = outcome
                with lock:
                    left[0] -= 1
                    last = left[0] == 0
                if last:
                    future.set_result([o for o in outcomes if o is not None])
            return settle

        self._take([(signed, slot(at)) for at, signed in enumerate(entries)])
        return future

    def _take(self, items: list[tuple[SignedEntry, Callable[[Outcome], None]]]) -> None:
        if self._stop.is_set():
            for _, settle in items:
                settle(StorageError("the hub is not accepting entries (stopped)"))
            return
        with self._lock:
            self._incoming.extend(items)
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                incoming, self._incoming = self._incoming, []
            if incoming:
                self._queue(incoming)
            with self._lock:
                ids = list(self._waiting)
            if ids:
                try:
                    self._answer(ids)
                except Exception:  # the next round may succeed; the error is logged
                    log.exception("reading what became of queued entries failed")
            self._wake.wait(QUEUE_POLL_S if ids else 1.0)
            self._wake.clear()

    def _queue(self, items: list[tuple[SignedEntry, Callable[[Outcome], None]]]) -> None:
        try:
            with UnitOfWork(self.hub.engine) as uow:
                ids = uow.repo.add_submissions([signed.raw for signed, _ in items],
                                               micros(self.hub.clock.now()))
                uow.commit()
        except Exception as exc:  # nothing was queued: each submitter is told
            log.exception("queueing entries for the sequencer failed")
            for _, settle in items:
                settle(StorageError(f"the hub could not queue the entry: "
                                    f"{exc.__class__.__name__}"))
            return
        with self._lock:
            self._waiting.update(zip(ids, (settle for _, settle in items), strict=True))

    def _answer(self, ids: list[int]) -> None:
        done: dict[int, str] = {}
        for at in range(0, len(ids), 1000):
            with UnitOfWork(self.hub.engine) as uow:
                done.update(uow.repo.submission_outcomes(ids[at:at + 1000]))
        if not done:
            return
        outcomes = {sid: outcome_from_json(text) for sid, text in done.items()}
        needed = max((o.checkpoint_size for o in outcomes.values() if isinstance(o, Receipt)),
                     default=0)
        if needed > self.hub.state.size:
            self.follow.catch_up()  # answer with a copy that holds the entry
        with self._lock:
            settles = [(self._waiting.pop(sid), outcome) for sid, outcome in outcomes.items()
                       if sid in self._waiting]
        for settle, outcome in settles:
            settle(outcome)


class Drain(_Background):
    """The sequencing process's side of the queue: hands what other front ends queued to the
    sequencer, a batch at a time, and forgets what was settled long ago."""

    thread_name = "gulfsec-drain"
    join_s = 30.0

    def __init__(self, hub: Hub) -> None:
        super().__init__()
        self.hub = hub
        self._forgot_at = 0.0

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.once()
            except Exception:  # the next round may succeed; the error is logged
                log.exception("taking queued entries failed")
                busy = False
            if not busy:
                self._stop.wait(QUEUE_POLL_S)

    def once(self) -> bool:
        """Hand the queued entries to the sequencer and wait until they are settled; whether
        there were any."""
        hub = self.hub
        with UnitOfWork(hub.engine) as uow:
            rows = uow.repo.pending_submissions(hub.sequencer.max_batch)
            if time.monotonic() - self._forgot_at > 60:
                self._forgot_at = time.monotonic()
                uow.repo.forget_submissions(micros(hub.clock.now()) - KEEP_SETTLED_S * 1_000_000)
                uow.commit()
        if not rows:
            return False
        entries: list[SignedEntry] = []
        ids: list[int] = []
        unreadable: list[tuple[int, str]] = []
        for sid, raw in rows:
            try:
                entries.append(parse_signed_entry(raw,
                                                  max_bytes=hub.regime.limits.max_entry_bytes))
                ids.append(sid)
            except GulfsecError as exc:  # checked by the front end that took it: not expected
                unreadable.append((sid, outcome_json(exc)))
        if unreadable:
            with UnitOfWork(hub.engine) as uow:
                uow.repo.settle_submissions(unreadable, micros(hub.clock.now()))
                uow.commit()
        if entries:
            hub.sequencer.submit_many(entries, rows=ids).result(timeout=120)
        return True


class SharedLog:
    """The parts above, put together for one hub process (:meth:`Hub.start` on PostgreSQL)."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.follow = Follow(hub)
        self.relay = Relay(hub, self.follow)
        self.drain = Drain(hub)
        self.leadership = Leadership(hub.engine, lock_key(hub.regime.log_origin),
                                     self._lead, self._unlead)
        self._sequencing = False

    @property
    def leading(self) -> bool:
        """Whether this process sequences the log now."""
        return self._sequencing

    def intake(self) -> Sequencer | Relay:
        """Where an entry this process took in goes: its own sequencer, or the queue."""
        return self.hub.sequencer if self._sequencing else self.relay

    def start(self) -> None:
        self.relay.start()
        self.leadership.try_once()
        self.follow.start()
        self.leadership.start()

    def stop(self) -> None:
        self.leadership.stop()
        self.follow.stop()
        self.relay.stop()

    def _lead(self) -> None:
        self.follow.hand_over()
        self.hub.new_sequencer().start()
        self._sequencing = True
        self.drain.start()
        log.info("sequencing the log from size %d", self.hub.state.size)
        self.hub.state.notify_new_checkpoint()  # what runs only where the log is sequenced

    def _unlead(self) -> None:
        self._sequencing = False
        self.drain.stop()
        self.hub.sequencer.stop()
        self.follow.take_back()
