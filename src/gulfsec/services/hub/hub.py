"""The hub's use cases: accept signed entries, sequence them into the log, serve them and proofs.

Submission runs in two steps. :meth:`Hub.prepare` (any thread) parses the entry and checks
everything that does not depend on log order: shape, size, regime, form, the right the form
needs, time and signatures. The :class:`~.sequencer.Sequencer` (one thread) then places it in
the log. The hub's parts: :mod:`.state` (the committed log in memory), :mod:`.sequencer`,
:mod:`.witnesses`, :mod:`.registrations`, :mod:`.blobs` (files carried with entries),
:mod:`.views` (its pages), :mod:`.setup`.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine

from gulfsec.adapters import cores
from gulfsec.adapters.clock import Clock
from gulfsec.adapters.storage.hub import StoredCheckpoint, StoredEntry
from gulfsec.domain.encoding import JSONError, canonical, parse_json, split_if_canonical
from gulfsec.domain.entry import (
    ALL,
    CheckedSignatures,
    Entry,
    SignedEntry,
    parse_canonical_signed_entry,
    parse_signed_entry,
    sign_entry,
)
from gulfsec.domain.forms.keys import REGISTRATION
from gulfsec.domain.keyring import KeyRecord
from gulfsec.domain.keys import SigningKey, VerifierKey
from gulfsec.domain.procedures.checks import check_submission
from gulfsec.domain.regime import Regime
from gulfsec.domain.request_auth import RequestCredentials
from gulfsec.domain.validate import check_entry
from gulfsec.errors import (
    AuthError,
    ConfigError,
    EntryError,
    GulfsecError,
    MalformedEntry,
    MissingRight,
    NotFound,
)
from gulfsec.ledger import tiles
from gulfsec.ledger.note import Checkpoint
from gulfsec.services.hub.blobs import Blobs
from gulfsec.services.hub.registrations import Registrations
from gulfsec.services.hub.sequencer import Sequencer
from gulfsec.services.hub.shared import Relay, SharedLog
from gulfsec.services.hub.state import HubState, ReadEntry, Receipt
from gulfsec.services.hub.witnesses import Witnesses
from gulfsec.services.shared.audit import AuditResult, audit_entries
from gulfsec.services.shared.replays import ReplayGuard
from gulfsec.services.shared.time import from_micros
from gulfsec.services.shared.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from gulfsec.services.hub.publish import Publisher

log = logging.getLogger("gulfsec.hub")

MAX_BATCH_ENTRIES = 256
"""The most entries one batch submission may carry."""

KEY_FORMS = "key-"
"""The prefix of the key forms' ids: what a party reads with a key it no longer holds."""


@dataclass(frozen=True)
class Reader:
    """Who is reading: a party, and whether with a key it no longer holds (``limited``)."""

    party: str
    limited: bool = False

    def __str__(self) -> str:
        return self.party

__all__ = ["Hub", "ReadEntry", "Reader", "Receipt"]


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
        self._batching = (batch, delay)
        self.sequencer = Sequencer(engine, self.state, log_key, clock, batch, delay)
        self.shared: SharedLog | None = None
        """On PostgreSQL: the coordination with other front ends on the same database."""
        self.witnesses = Witnesses(regime, engine, self.state, clock)
        self.replays = ReplayGuard(regime.limits.clock_skew)
        self.registrations = Registrations(regime, engine, self.state, clock)
        self.blobs = Blobs(engine, self.state, clock)

    # -- life cycle ------------------------------------------------------------------------

    publisher: Publisher | None = None
    """Publishes the log to an object store while the hub runs (:mod:`.publish`); set by
    :func:`gulfsec.bootstrap.open_hub` when the settings name a bucket."""

    def start(self) -> None:
        self.state.load(self.engine, self.log_key.verifier)
        if self.engine.dialect.name == "postgresql":
            # Any number of processes may serve one PostgreSQL database: one sequences.
            self.shared = SharedLog(self)
            self.shared.start()
        else:
            self.sequencer.start()
        if self.publisher is not None:
            self.publisher.start()
        log.info("hub started: log %s at size %d%s", self.regime.log_origin, self.state.size,
                 "" if self.leading else " (another process sequences)")

    def stop(self) -> None:
        if self.shared is not None:
            self.shared.stop()
            self.shared = None
        else:
            self.sequencer.stop()
        if self.publisher is not None:
            self.publisher.stop()

    @property
    def leading(self) -> bool:
        """Whether this process sequences the log (always, unless several processes share a
        PostgreSQL database and another one does)."""
        return self.shared is None or self.shared.leading

    def new_sequencer(self) -> Sequencer:
        """A fresh sequencer (this process takes over sequencing)."""
        batch, delay = self._batching
        self.sequencer = Sequencer(self.engine, self.state, self.log_key, self.clock, batch,
                                   delay)
        return self.sequencer

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
        return self.submit_signed(self.prepare(sign_entry(entry, secretariat_key).raw,
                                               genesis=True))

    # -- submission ------------------------------------------------------------------------

    def prepare(self, raw: bytes, *, genesis: bool = False) -> SignedEntry:
        """Parse and check an entry up to (not including) its place in the log.

        Only :meth:`bootstrap` (``genesis``) may put the secretariat's key in the log: never an
        entry from the network, and nothing at all before the genesis entry is there — else a
        half-initialised hub would let anyone make themselves the secretariat.
        """
        return self.check(self._parse(raw), genesis=genesis)

    def _parse(self, raw: bytes) -> SignedEntry:
        try:
            return parse_signed_entry(raw, max_bytes=self.regime.limits.max_entry_bytes)
        except RecursionError:
            # JSON nested just shallow enough to parse can still be too deep to canonicalise.
            raise MalformedEntry("malformed entry: nested too deeply") from None

    def check(self, signed: SignedEntry, *, genesis: bool = False,
              checked: CheckedSignatures | None = None) -> SignedEntry:
        """Check a parsed entry as :meth:`prepare` does (all but its place in the log).
        Signatures in ``checked`` were verified already, in bulk."""
        if not genesis:
            self._refuse_a_secretariat_from_outside(signed)
        try:
            now = self.clock.now()
            check_entry(signed, self.regime, now)
            with self.state.lock:
                keyring, joined = self.state.keyring, self.state.joined
            keyring.verify(signed, checked)
            check_submission(signed, self.regime, now, self._logged, joined)
            self.blobs.check_entry(signed)
        except (EntryError, MissingRight) as exc:
            # Re-submitting an entry already in the log is harmless (DESIGN.md §4), even once
            # it would no longer pass: its claimed time is past the skew, or its key was rotated
            # out since. The sequencer answers it as a duplicate with its index.
            if self._in_log(signed.id):
                return signed
            if exc.entry_id is None:
                exc.entry_id = signed.id_hex
            raise
        return signed

    def prepare_batch(self, body: bytes) -> list[SignedEntry | GulfsecError]:
        """Parse a batch (a JSON array of up to :data:`MAX_BATCH_ENTRIES` signed entries) and
        check each entry as :meth:`prepare` does, in chunks on every core; one result per
        entry, in order: the entry, or why it was refused. A body that is not such an array
        raises :class:`MalformedEntry`.

        A batch written as gulfsec clients write it (canonical entries joined by commas) is
        parsed once; any other valid JSON is parsed strictly and each entry canonicalised.
        """
        max_bytes = self.regime.limits.max_entry_bytes
        fast = split_if_canonical(body)
        items: list[tuple[Any, bytes | None]]
        if fast is not None:
            items = [(obj, raw) for obj, raw in fast]
        else:
            try:
                array = parse_json(body)
            except ValueError as exc:
                raise MalformedEntry(f"batch: {exc}") from None
            if not isinstance(array, list):
                raise MalformedEntry(
                    f"batch must be a JSON array of 1 to {MAX_BATCH_ENTRIES} entries")
            items = [(obj, None) for obj in array]
        if not 1 <= len(items) <= MAX_BATCH_ENTRIES:
            raise MalformedEntry(f"batch must be a JSON array of 1 to {MAX_BATCH_ENTRIES} entries")

        parsed: list[SignedEntry | GulfsecError] = []
        for obj, raw in items:
            try:
                parsed.append(parse_canonical_signed_entry(obj, raw, max_bytes=max_bytes)
                              if raw is not None else self._parse(canonical(obj)))
            except JSONError as exc:
                parsed.append(MalformedEntry(f"malformed entry: {exc}"))
            except GulfsecError as exc:
                parsed.append(exc)
        checked = self._verify_in_bulk([s for s in parsed if isinstance(s, SignedEntry)])
        out: list[SignedEntry | GulfsecError] = []
        for item in parsed:
            try:
                out.append(item if isinstance(item, GulfsecError)
                           else self.check(item, checked=checked))
            except GulfsecError as exc:
                out.append(exc)
        return out

    def _verify_in_bulk(self, entries: Sequence[SignedEntry]) -> CheckedSignatures:
        """The senders' signatures on ``entries``, verified on every core at once.

        The Python work around it runs on this thread before and after, never at the same time
        as the checks: a thread waiting for the GIL between two checks would wait for the
        interpreter's switch interval, each time. Keys that are not active, or that an entry
        itself brings (registrations, rotations), are left to :meth:`check`.
        """
        with self.state.lock:
            keyring = self.state.keyring
        todo: list[tuple[bytes, bytes, bytes]] = []
        keys: list[VerifierKey] = []
        for signed in entries:
            key = keyring.key_if_active(signed.entry.sender, signed.entry.key)
            if key is not None:
                todo.append((key.public, signed.signing_bytes, signed.signatures[0].sig))
                keys.append(key)

        def verify(part: Sequence[tuple[VerifierKey, tuple[bytes, bytes, bytes]]]
                   ) -> list[bool]:
            return [key.verify(message, sig) for key, (_, message, sig) in part]

        results = cores.map_chunks(verify, list(zip(keys, todo, strict=True)), chunk=16)
        return dict(zip(todo, results, strict=True))


    def _refuse_a_secretariat_from_outside(self, signed: SignedEntry) -> None:
        entry, sec = signed.entry, self.regime.secretariat.code
        if self.state.size == 0:
            raise EntryError("the log has not begun: the hub's init did not finish (run "
                             "`gulfsec hub init` again on the hub)", entry_id=signed.id_hex)
        if entry.form == REGISTRATION and (entry.sender == sec or entry.body.get("party") == sec):
            raise EntryError("the secretariat's key is set up by `gulfsec hub init`, never "
                             "over the network", entry_id=signed.id_hex)

    def require_genesis(self) -> None:
        """Refuse to serve a log that has not begun (ConfigError)."""
        if self.state.size == 0:
            raise ConfigError("the hub's log has no genesis entry: its init did not finish; "
                              "run `gulfsec hub init` again")

    def _logged(self, entry_id: str) -> tuple[int, SignedEntry] | None:
        """The entry with id ``entry_id``, and its index, if the log holds it."""
        try:
            key = bytes.fromhex(entry_id)
        except ValueError:
            return None
        with UnitOfWork(self.engine) as uow:
            row = uow.repo.entry_by_id(key)
        if row is None or row.index >= self.state.size:
            return None
        return row.index, parse_signed_entry(row.raw,
                                             max_bytes=self.regime.limits.max_entry_bytes)

    def _in_log(self, entry_id: bytes) -> bool:
        with UnitOfWork(self.engine) as uow:
            found = uow.repo.find_by_ids([entry_id])
        return bool(found) and found[entry_id] < self.state.size

    def _intake(self) -> Sequencer | Relay:
        shared = self.shared
        return self.sequencer if shared is None else shared.intake()

    def enqueue(self, signed: SignedEntry) -> Future[Receipt]:
        return self._intake().submit(signed)

    def enqueue_many(self, prepared: Sequence[SignedEntry | GulfsecError]
                     ) -> Future[list[Receipt | GulfsecError]]:
        """Hand prepared entries to the sequencer in order, passing refusals through; one
        future for the outcome of each, in order (one wake-up for a waiting request, not one
        per entry)."""
        entries = [item for item in prepared if isinstance(item, SignedEntry)]
        sequenced = self._intake().submit_many(entries)
        if len(entries) == len(prepared):
            return sequenced
        merged: Future[list[Receipt | GulfsecError]] = Future()

        def merge(done: Future[list[Receipt | GulfsecError]]) -> None:
            outcomes = iter(done.result())
            merged.set_result([item if isinstance(item, GulfsecError) else next(outcomes)
                               for item in prepared])

        sequenced.add_done_callback(merge)
        return merged

    def submit_signed(self, signed: SignedEntry, timeout: float = 60.0) -> Receipt:
        return self.enqueue(signed).result(timeout=timeout)

    def submit(self, raw: bytes, timeout: float = 60.0) -> Receipt:
        return self.submit_signed(self.prepare(raw), timeout)

    # -- who is asking ---------------------------------------------------------------------

    def authenticate(self, creds: RequestCredentials, method: str, target: str,
                     body: bytes) -> Reader:
        """Check a signed request; the party it speaks for. A key the party no longer holds
        (rotated out, or revoked — by itself or by the secretariat) still reads, but only what
        concerns the party's own keys and entries (:attr:`Reader.limited`): a party must always
        be able to see what was done in its name, and a stolen key reads nothing else."""
        try:
            with self.state.lock:
                key, active = self.state.keyring.resolve_ever(creds.party, creds.key_id)
        except EntryError as exc:
            raise AuthError(f"request key: {exc.message}") from None
        now = self.clock.now()
        creds.check(key, method, target, body, now, self.regime.limits.clock_skew)
        self.replays.check(creds.party, creds.nonce, creds.time, now)
        return Reader(creds.party, limited=not active)

    # -- reading ---------------------------------------------------------------------------

    def checkpoint(self) -> StoredCheckpoint:
        cp = self.state.checkpoint
        if cp is None:
            raise NotFound("the log is empty: no checkpoint yet")
        return cp

    def _visible(self, stored: StoredEntry | None, reader: Reader,
                 audience: list[str] | None, what: str) -> ReadEntry:
        # An outsider learns nothing: not even whether the entry exists.
        party = reader.party
        if reader.limited:
            visible = stored is not None and (party == stored.sender
                                              or stored.form.startswith(KEY_FORMS))
        else:
            visible = stored is not None and (
                audience is None or party == stored.sender or party in audience)
        if stored is None or not visible:
            raise NotFound(f"no entry {what} visible to {party}")
        return ReadEntry(stored.index, stored.entry_id.hex(), stored.raw,
                         from_micros(stored.sequenced_at),
                         self.state.finality.final_at(stored.index))

    def read_entry(self, reader: str | Reader, entry_id: str) -> ReadEntry:
        """One entry ``reader`` (a party, or a :class:`Reader`) may read; NotFound else."""
        reader = reader if isinstance(reader, Reader) else Reader(reader)
        party = reader.party
        try:
            eid = bytes.fromhex(entry_id)
        except ValueError:
            raise NotFound(f"no entry {entry_id!r}") from None
        with UnitOfWork(self.engine) as uow:
            stored = uow.repo.entry_by_id(eid)
            if stored is None or stored.index >= self.state.size:
                raise NotFound(f"no entry {entry_id} visible to {party}")
            aud = uow.repo.audience_of(stored.index)
        return self._visible(stored, reader, aud, entry_id)

    def list_entries(self, reader: str | Reader, after: int, limit: int) -> list[ReadEntry]:
        """Entries ``reader`` may read after index ``after``, oldest first."""
        reader = reader if isinstance(reader, Reader) else Reader(reader)
        limit = max(1, min(limit, 1000))
        size = self.state.size
        if after >= size - 1:
            return []  # also keeps indexes beyond any database integer out of the query
        with UnitOfWork(self.engine) as uow:
            rows = uow.repo.visible_entries(reader.party, after, limit,
                                            limited=reader.limited)
        return [
            ReadEntry(r.index, r.entry_id.hex(), r.raw, from_micros(r.sequenced_at),
                      self.state.finality.final_at(r.index))
            for r in rows
            if r.index < size
        ]

    def covering_checkpoints(self, indexes: list[int]) -> dict[int, tuple[int, str]]:
        """For each index, the checkpoint that first covered it: (size, signed note). Its
        signed time is when the entry was sequenced — the only time of sequencing a node may
        rely on, since the hub signed it."""
        if not indexes:
            return {}
        with UnitOfWork(self.engine) as uow:
            found = uow.repo.checkpoints_covering(min(indexes), max(indexes))
        sizes = [size for size, _ in found]
        out: dict[int, tuple[int, str]] = {}
        for index in indexes:
            at = bisect_right(sizes, index)
            if at < len(found):
                out[index] = found[at]
        return out

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

    # -- witnesses and registrations (see .witnesses and .registrations) -------------------

    def add_cosignature(self, size: int, line: str) -> bool:
        return self.witnesses.add_cosignature(size, line)

    def cosignatures_since(self, since: int, limit: int = 1000) -> list[dict[str, object]]:
        return self.witnesses.cosignatures_since(since, limit)

    def add_registration(self, raw: bytes) -> bool:
        return self.registrations.add(raw)

    def pending_registrations(self) -> list[dict[str, object]]:
        return self.registrations.pending()

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
