"""The hub's use cases: accept signed entries, sequence them into the log, serve them and proofs.

Submission runs in two steps. :meth:`Hub.prepare` (any thread) parses the entry and checks
everything that does not depend on log order: shape, size, regime, form, time and signatures.
The :class:`Sequencer` (one thread) then takes entries in arrival order and, per batch, checks
what does depend on order (sequence numbers, duplicates, references, keys retired in the
meantime), writes the accepted entries, the key changes and one signed checkpoint in a single
transaction, and only then extends the in-memory tree and answers the submitters. A crash
before the commit loses nothing that was acknowledged; after it, the database holds the entries
and the checkpoint that covers them, together.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from gulfsec.adapters.clock import Clock
from gulfsec.adapters.db import NewEntry, StoredCheckpoint, StoredCosignature, StoredEntry
from gulfsec.domain.encoding import format_time
from gulfsec.domain.entry import ALL, Entry, SignedEntry, parse_signed_entry, sign_entry
from gulfsec.domain.forms import get_form
from gulfsec.domain.forms.keys import REGISTRATION
from gulfsec.domain.keyring import KeyRecord, Keyring
from gulfsec.domain.keys import SigningKey, VerifierKey
from gulfsec.domain.regime import Regime
from gulfsec.domain.request_auth import RequestCredentials
from gulfsec.domain.validate import check_entry
from gulfsec.errors import (
    AccessDenied,
    CheckpointSignatureError,
    EntryError,
    GulfsecError,
    LogVerificationError,
    MalformedEntry,
    NotFound,
    SequenceGap,
    SequenceReplay,
    StorageError,
    UnknownReference,
)
from gulfsec.ledger import tiles
from gulfsec.ledger.finality import WitnessFinality
from gulfsec.ledger.merkle import MerkleTree
from gulfsec.ledger.note import Checkpoint, sign_checkpoint
from gulfsec.services.audit import AuditResult, audit_entries
from gulfsec.services.unit_of_work import UnitOfWork

log = logging.getLogger("gulfsec.hub")


@dataclass(frozen=True)
class Receipt:
    """What a submitter gets back once its entry is durably sequenced."""

    entry_id: str
    index: int
    checkpoint_size: int
    duplicate: bool = False


@dataclass(frozen=True)
class ReadEntry:
    index: int
    entry_id: str
    raw: bytes
    sequenced_at: datetime
    final_at: datetime | None = None


def _micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def _from_micros(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1_000_000, UTC)


class HubState:
    """The hub's in-memory view of the committed log; rebuilt from the database at start."""

    def __init__(self, regime: Regime) -> None:
        self.regime = regime
        self.tree = MerkleTree()
        self.keyring = Keyring(regime.secretariat.code)
        self.next_seq: dict[str, int] = {}
        self.checkpoint: StoredCheckpoint | None = None
        self.finality = FinalityIndex(regime.witness_quorum)
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.listeners: list[Callable[[int], None]] = []

    def notify_new_checkpoint(self) -> None:
        with self.changed:
            self.changed.notify_all()
            size = self.size
        for listener in list(self.listeners):
            listener(size)

    def load(self, engine: Engine, log_key: VerifierKey) -> None:
        from gulfsec.ledger.note import verify_checkpoint

        with UnitOfWork(engine) as uow:
            tree = MerkleTree()
            tree.extend(uow.repo.entry_ids())
            latest = uow.repo.latest_checkpoint()
            keyring = Keyring(self.regime.secretariat.code, [
                KeyRecord(row.party, VerifierKey.parse(row.vkey), row.registered_at,
                          row.revoked_at)
                for row in uow.repo.all_keys()
            ])
            next_seq = uow.repo.next_seqs()
            cosigs = uow.repo.all_cosignatures()
        if latest is None:
            if tree.size:
                raise StorageError("the log holds entries but no checkpoint")
        else:
            checkpoint, _ = verify_checkpoint(latest.note, log_key)
            if checkpoint.size != tree.size or tree.root(tree.size) != checkpoint.root:
                raise StorageError(
                    f"stored tree (size {tree.size}) does not match the latest signed "
                    f"checkpoint (size {checkpoint.size}); refusing to start"
                )
        with self.lock:
            self.tree = tree
            self.checkpoint = latest
            self.keyring = keyring
            self.next_seq = next_seq
            self.finality = FinalityIndex(self.regime.witness_quorum, cosigs)

    @property
    def size(self) -> int:
        return 0 if self.checkpoint is None else self.checkpoint.size


class FinalityIndex:
    """For any log index, when it became final (DESIGN.md §4), from the witnesses' verified
    cosignatures; see :mod:`gulfsec.ledger.finality` for the rule."""

    def __init__(self, quorum: int, cosignatures: Sequence[tuple[str, int, int]] = ()) -> None:
        self._finality = WitnessFinality(quorum)
        for party, size, timestamp in cosignatures:
            self._finality.add(party, size, timestamp)

    def add(self, party: str, size: int, timestamp: int) -> None:
        self._finality.add(party, size, timestamp)

    @property
    def final_size(self) -> int:
        return self._finality.final_size

    def final_at(self, index: int) -> datetime | None:
        when = self._finality.final_at(index)
        return None if when is None else datetime.fromtimestamp(when, UTC)

    def vouchers(self, index: int) -> dict[str, int]:
        return self._finality.vouchers(index)


@dataclass
class _Pending:
    signed: SignedEntry
    future: Future[Receipt]


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

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            deadline = time.monotonic() + self._max_delay
            stop_after = False
            while len(batch) < self._max_batch:
                remaining = deadline - time.monotonic()
                try:
                    item = (self._queue.get(timeout=remaining) if remaining > 0
                            else self._queue.get_nowait())
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
                    if not p.future.done():
                        p.future.set_exception(err)
            if stop_after:
                break
        self._stopped.set()
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not None and not item.future.done():
                item.future.set_exception(StorageError("the hub stopped before sequencing"))

    def _process(self, batch: list[_Pending]) -> None:
        state = self._state
        with state.lock:
            keyring = state.keyring.copy()
            next_seq = dict(state.next_seq)
            base = state.tree.size
        accepted: list[tuple[_Pending, int]] = []
        duplicates: list[tuple[_Pending, int]] = []
        key_changes = False
        now = self._clock.now()
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
                    p.future.set_exception(exc)
                    continue
                index = base + len(accepted)
                accepted.append((p, index))
                in_batch[signed.id] = index
                next_seq[entry.sender] = entry.seq + 1
                if keyring.changed_by(signed):
                    keyring.apply(signed, index)
                    key_changes = True
            if not accepted:
                self._answer_duplicates(duplicates)
                return
            rows = [
                NewEntry(
                    index=index,
                    entry_id=p.signed.id,
                    sender=p.signed.entry.sender,
                    seq=p.signed.entry.seq,
                    form=p.signed.entry.form,
                    audience=None if p.signed.entry.audience == ALL else p.signed.entry.audience,
                    claimed_time=format_time(p.signed.entry.time),
                    sequenced_at=_micros(now),
                    raw=p.signed.raw,
                )
                for p, index in accepted
            ]
            with state.lock:
                tree = state.tree
                tree.extend(row.entry_id for row in rows)
                new_size = tree.size
                root = tree.root(new_size)
            try:
                note = sign_checkpoint(Checkpoint(self._state.regime.log_origin, new_size, root),
                                       self._log_key, timestamp=int(now.timestamp()))
                uow.repo.insert_entries(rows)
                if key_changes:
                    for record in keyring.records():
                        uow.repo.upsert_key(record.party, record.key.key_id_hex,
                                            record.key.encode(), record.registered_at,
                                            record.revoked_at)
                uow.repo.insert_checkpoint(StoredCheckpoint(new_size, root, note, _micros(now)))
                uow.commit()
            except BaseException:
                # The tree was extended in memory but nothing was committed: rebuild it.
                self._recover()
                raise
        with state.lock:
            state.checkpoint = StoredCheckpoint(new_size, root, note, _micros(now))
            state.next_seq = next_seq
            if key_changes:
                state.keyring = keyring
        for p, index in accepted:
            p.future.set_result(Receipt(p.signed.id_hex, index, new_size))
        self._answer_duplicates(duplicates)
        state.notify_new_checkpoint()

    def _answer_duplicates(self, duplicates: Sequence[tuple[_Pending, int]]) -> None:
        size = self._state.size
        for p, index in duplicates:
            p.future.set_result(Receipt(p.signed.id_hex, index, size, duplicate=True))

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


class Hub:
    """The hub service: one per process, started and stopped by the app factory or CLI."""

    def __init__(self, regime: Regime, engine: Engine, log_key: SigningKey, clock: Clock,
                 *, max_batch: int | None = None, max_delay_ms: int | None = None) -> None:
        if log_key.name != regime.log_origin:
            raise EntryError(
                f"log key is named {log_key.name!r}, but the regime's log origin is "
                f"{regime.log_origin!r}"
            )
        self.regime = regime
        self.engine = engine
        self.log_key = log_key
        self.clock = clock
        self.state = HubState(regime)
        batch = max_batch if max_batch is not None else regime.batching.max_batch
        delay = (max_delay_ms / 1000 if max_delay_ms is not None
                 else regime.batching.max_delay.total_seconds())
        self.sequencer = Sequencer(engine, self.state, log_key, clock, batch, delay)

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> None:
        self.state.load(self.engine, self.log_key.verifier)
        self.sequencer.start()
        log.info("hub started: log %s at size %d", self.regime.log_origin, self.state.size)

    def stop(self) -> None:
        self.sequencer.stop()

    def bootstrap(self, secretariat_key: SigningKey) -> Receipt | None:
        """Sequence the secretariat's key registration as entry 0 of an empty log."""
        if self.state.size:
            return None
        sec = self.regime.secretariat.code
        entry = Entry(
            form=REGISTRATION, sender=sec, key=secretariat_key.key_id_hex, seq=0,
            time=self.clock.now().replace(microsecond=0), audience=ALL,
            body={"party": sec, "vkey": secretariat_key.verifier.encode()},
        )
        return self.submit_signed(self.prepare(sign_entry(entry, secretariat_key).raw))

    # -- submission ------------------------------------------------------------------------

    def prepare(self, raw: bytes) -> SignedEntry:
        """Parse and check an entry up to (not including) its place in the log."""
        try:
            signed = parse_signed_entry(raw, max_bytes=self.regime.limits.max_entry_bytes)
        except RecursionError:
            # JSON nested just shallow enough to parse can still be too deep to canonicalise.
            raise MalformedEntry("malformed entry: nested too deeply") from None
        try:
            check_entry(signed, self.regime, self.clock.now())
            with self.state.lock:
                keyring = self.state.keyring
            keyring.verify(signed)
        except EntryError as exc:
            # Re-submitting an entry already in the log is harmless (DESIGN.md §4), even once
            # it would no longer pass: its claimed time is past the skew, or its key was rotated
            # out since. The sequencer answers it as a duplicate with its index.
            if self._in_log(signed.id):
                return signed
            if exc.entry_id is None:
                exc.entry_id = signed.id_hex
            raise
        return signed

    def _in_log(self, entry_id: bytes) -> bool:
        with UnitOfWork(self.engine) as uow:
            found = uow.repo.find_by_ids([entry_id])
        return bool(found) and found[entry_id] < self.state.size

    def enqueue(self, signed: SignedEntry) -> Future[Receipt]:
        return self.sequencer.submit(signed)

    def submit_signed(self, signed: SignedEntry, timeout: float = 60.0) -> Receipt:
        return self.enqueue(signed).result(timeout=timeout)

    def submit(self, raw: bytes, timeout: float = 60.0) -> Receipt:
        return self.submit_signed(self.prepare(raw), timeout)

    # -- who is asking ---------------------------------------------------------------------

    def authenticate(self, creds: RequestCredentials, method: str, target: str,
                     body: bytes) -> str:
        """Check a signed request; return the party it speaks for."""
        from gulfsec.errors import AuthError

        try:
            with self.state.lock:
                key = self.state.keyring.resolve(creds.party, creds.key_id)
        except EntryError as exc:
            raise AuthError(f"request key: {exc.message}") from None
        creds.check(key, method, target, body, self.clock.now(), self.regime.limits.clock_skew)
        return creds.party

    # -- reading ---------------------------------------------------------------------------

    def checkpoint(self) -> StoredCheckpoint:
        cp = self.state.checkpoint
        if cp is None:
            raise NotFound("the log is empty: no checkpoint yet")
        return cp

    def _visible(self, stored: StoredEntry | None, party: str, audience: list[str] | None,
                 what: str) -> ReadEntry:
        # An outsider learns nothing: not even whether the entry exists.
        if stored is None or not (
            audience is None or party == stored.sender or party in audience
        ):
            raise NotFound(f"no entry {what} visible to {party}")
        return ReadEntry(stored.index, stored.entry_id.hex(), stored.raw,
                         _from_micros(stored.sequenced_at),
                         self.state.finality.final_at(stored.index))

    def read_entry(self, party: str, entry_id: str) -> ReadEntry:
        try:
            eid = bytes.fromhex(entry_id)
        except ValueError:
            raise NotFound(f"no entry {entry_id!r}") from None
        with UnitOfWork(self.engine) as uow:
            stored = uow.repo.entry_by_id(eid)
            if stored is None or stored.index >= self.state.size:
                raise NotFound(f"no entry {entry_id} visible to {party}")
            aud = uow.repo.audience_of(stored.index)
        return self._visible(stored, party, aud, entry_id)

    def list_entries(self, party: str, after: int, limit: int) -> list[ReadEntry]:
        limit = max(1, min(limit, 1000))
        size = self.state.size
        if after >= size - 1:
            return []  # also keeps indexes beyond any database integer out of the query
        with UnitOfWork(self.engine) as uow:
            rows = uow.repo.visible_entries(party, after, limit)
        return [
            ReadEntry(r.index, r.entry_id.hex(), r.raw, _from_micros(r.sequenced_at),
                      self.state.finality.final_at(r.index))
            for r in rows
            if r.index < size
        ]

    def _check_size(self, size: int | None) -> int:
        current = self.state.size
        if size is None:
            return current
        if size < 0 or size > current:
            raise NotFound(f"the log has no checkpoint of size {size} (size is {current})")
        return size

    def inclusion_proof(self, index: int, size: int | None = None) -> tuple[int, list[bytes]]:
        size = self._check_size(size)
        if not 0 <= index < size:
            raise NotFound(f"index {index} is not in the tree of size {size}")
        with self.state.lock:
            return size, self.state.tree.inclusion_proof(index, size)

    def consistency_proof(self, old: int, new: int | None = None) -> tuple[int, list[bytes]]:
        new = self._check_size(new)
        if not 0 <= old <= new:
            raise NotFound(f"no consistency proof from size {old} to size {new}")
        with self.state.lock:
            return new, self.state.tree.consistency_proof(old, new)

    def checkpoint_note(self, size: int | None = None) -> str:
        if size is None:
            return self.checkpoint().note
        if not 0 < size <= self.state.size:
            raise NotFound(f"no checkpoint of size {size}")
        with UnitOfWork(self.engine) as uow:
            cp = uow.repo.checkpoint_at(size)
        if cp is None:
            raise NotFound(f"no checkpoint of size {size}")
        return cp.note

    # -- witnesses and finality ------------------------------------------------------------

    def wait_for_size(self, after: int, timeout: float) -> int:
        """Block until the log is larger than ``after`` or ``timeout`` passes; the size."""
        with self.state.changed:
            self.state.changed.wait_for(lambda: self.state.size > after, timeout=timeout)
            return self.state.size

    def add_cosignature(self, size: int, line: str) -> bool:
        """Store a witness's tlog-cosignature line on the checkpoint of ``size``.

        The witness must hold the regime's witness right; the line must verify under its active
        key. When the regime's quorum of witnesses has cosigned, the checkpoint is final, at
        the quorum-th earliest cosignature time. Returns False for a repeat.
        """
        from gulfsec.ledger.note import parse_note, verify_cosignature

        with UnitOfWork(self.engine) as uow:
            stored = uow.repo.checkpoint_at(size)
        if stored is None:
            raise NotFound(f"no checkpoint of size {size}")
        checkpoint = Checkpoint(self.regime.log_origin, size, stored.root)
        try:
            sig = parse_note(checkpoint.body() + "\n" + line.rstrip("\n") + "\n").signatures[0]
        except LogVerificationError as exc:
            raise CheckpointSignatureError(f"cosignature: {exc.message}") from None
        if not self.regime.has_right(sig.name, "witness"):
            raise AccessDenied(f"{sig.name} is not a witness under regime {self.regime.id}")
        with self.state.lock:
            record = self.state.keyring.active_key(sig.name)
        if record is None:
            raise AccessDenied(f"{sig.name} has no registered key")
        cosig = verify_cosignature(checkpoint, sig, record.key)
        now = self.clock.now()
        with UnitOfWork(self.engine) as uow:
            added = uow.repo.add_cosignature(
                StoredCosignature(size, sig.name, record.key.key_id_hex, cosig.timestamp,
                                  sig.line()), _micros(now))
            uow.commit()
        if added:
            with self.state.lock:
                self.state.finality.add(sig.name, size, cosig.timestamp)
        return added

    def cosignatures_since(self, since: int, limit: int = 1000) -> list[dict[str, object]]:
        """Cosignatures received at or after ``since`` (µs), oldest first, for nodes to verify
        themselves; ``received_at`` is the cursor for the next call."""
        with UnitOfWork(self.engine) as uow:
            rows = uow.repo.cosignatures_since(since, limit)
        return [{"size": size, "party": party, "line": line, "received_at": received}
                for size, party, line, received in rows]

    # -- registrations waiting for the secretariat ----------------------------------------

    def add_registration(self, raw: bytes) -> bool:
        """Hold a party's self-signed key registration until the secretariat countersigns it.

        It must be a well-formed ``key-registration@1`` by a participant that holds no active
        key, signed by the key it registers (proof of possession).
        """
        from gulfsec.domain.entry import check_signatures
        from gulfsec.domain.forms.keys import KeyRegistration
        from gulfsec.domain.keys import KeyFormatError

        signed = parse_signed_entry(raw, max_bytes=self.regime.limits.max_entry_bytes)
        entry = signed.entry
        if entry.form != REGISTRATION:
            raise EntryError(f"expected a key-registration@1 entry, got {entry.form}",
                             entry_id=signed.id_hex)
        check_entry(signed, self.regime, self.clock.now())
        reg = get_form(REGISTRATION).parse(entry.body)
        assert isinstance(reg, KeyRegistration)
        if reg.party != entry.sender or not self.regime.is_participant(entry.sender):
            raise EntryError("a participant registers only its own key", entry_id=signed.id_hex)
        with self.state.lock:
            if self.state.keyring.active_key(entry.sender) is not None:
                raise EntryError(f"{entry.sender} already holds an active key",
                                 entry_id=signed.id_hex)
        try:
            new = VerifierKey.parse(reg.vkey)
        except KeyFormatError as exc:
            raise EntryError(f"vkey: {exc}", entry_id=signed.id_hex) from None
        if new.name != entry.sender or new.key_id_hex != entry.key:
            raise EntryError("the entry must be signed by the key it registers",
                             entry_id=signed.id_hex)
        if len(signed.signatures) != 1:
            raise EntryError("a registration request carries only the party's signature",
                             entry_id=signed.id_hex)
        check_signatures(signed, [(entry.sender, entry.key)], lambda _p, _k: new)
        with UnitOfWork(self.engine) as uow:
            added = uow.repo.add_pending_registration(signed.id, entry.sender, entry.key,
                                                      signed.raw, _micros(self.clock.now()))
            uow.commit()
        return added

    def pending_registrations(self) -> list[dict[str, object]]:
        """Registrations waiting for the secretariat, with the fingerprints to compare."""
        from gulfsec.domain.forms.keys import KeyRegistration

        with UnitOfWork(self.engine) as uow:
            rows = uow.repo.pending_registrations()
        out: list[dict[str, object]] = []
        for party, key_id, raw, received in rows:
            with self.state.lock:
                if self.state.keyring.active_key(party) is not None:
                    continue
            signed = parse_signed_entry(raw, max_bytes=self.regime.limits.max_entry_bytes)
            reg = get_form(REGISTRATION).parse(signed.entry.body)
            assert isinstance(reg, KeyRegistration)
            out.append({"party": party, "key_id": key_id, "vkey": reg.vkey,
                        "fingerprint": VerifierKey.parse(reg.vkey).fingerprint,
                        "received_at": format_time(_from_micros(received)),
                        "entry": signed.to_json()})
        return out

    def cosigned_note(self, size: int | None = None) -> str:
        """A checkpoint's note with every cosignature collected for it."""
        note = self.checkpoint_note(size)
        target = self.state.size if size is None else size
        with UnitOfWork(self.engine) as uow:
            lines = [c.line for c in uow.repo.cosignatures_for(target)]
        return note + "".join(lines)

    def tile(self, path: str) -> bytes:
        """A tlog-tiles hash tile or entry bundle of the tree at the latest checkpoint."""
        ref = tiles.parse_tile_path(path)
        size = self.state.size
        # A partial tile of an older, smaller tree is a prefix of today's: serve any width up
        # to what the tree now has there, as tlog-tiles clients holding older checkpoints ask.
        level = 0 if ref.level == tiles.ENTRIES else ref.level
        available = tiles.tile_width(level, ref.index, size)
        if ref.width > available:
            raise NotFound(f"tile {path} is not complete yet (it has {available} of "
                           f"{ref.width} entries)")
        start = ref.index * tiles.TILE_WIDTH
        if ref.level == tiles.ENTRIES:
            with UnitOfWork(self.engine) as uow:
                ids = uow.repo.entry_ids_range(start, start + ref.width)
            return tiles.entry_bundle(ids)
        with self.state.lock:
            return self.state.tree.hashes_at(tiles.TILE_HEIGHT * ref.level, start, ref.width)

    def audit(self) -> AuditResult:
        """Re-check the whole stored log from scratch against the latest checkpoint."""
        cp = self.state.checkpoint
        checkpoint = None if cp is None else Checkpoint(self.regime.log_origin, cp.size, cp.root)
        with UnitOfWork(self.engine) as uow:
            return audit_entries(self.regime, uow.repo.raw_entries(), checkpoint)

    def keys(self) -> list[KeyRecord]:
        with self.state.lock:
            return self.state.keyring.records()

    def party_status(self, party: str) -> dict[str, object]:
        """What a party needs to write its next entry: its next sequence number and key."""
        with self.state.lock:
            active = self.state.keyring.active_key(party)
            next_seq = self.state.next_seq.get(party, 0)
        return {
            "party": party,
            "next_seq": next_seq,
            "key_id": None if active is None else active.key.key_id_hex,
            "size": self.state.size,
        }
