"""A participant's node: it keeps its own verified copy, witnesses checkpoints, and raises alarms.

One sync round (:meth:`Node.sync_once`):

1. deliver the outbox: entries this party signed and stored before sending (so a crash loses
   nothing and never reuses a sequence number);
2. take the hub's latest checkpoint; check the log key's signature and the hub's timestamp;
3. fetch the new leaves (entry ids, public) as tlog-tiles entry bundles, extend the node's own
   tree and require it to hash to the signed root — so the new checkpoint is consistent with
   every one the node accepted before, by construction;
4. require every entry the hub acknowledged to this node to be still at its index, and compare
   with what the peers' nodes were shown (split view); only a checkpoint that passes is stored,
   with its leaves, in one transaction (a refused one is kept only as an alarm's evidence, and
   as what this node was shown, for its peers);
5. fetch the entries addressed to this party, check each one's id against the leaf at its index,
   its form, its signatures against the keys as the log stood, and its sequence number; store
   what verified, keep the rest aside as evidence and raise an alarm;
6. cosign the checkpoint as a witness (atomic check-and-store of the last cosigned checkpoint),
   and deliver the cosignature;
7. learn which checkpoints reached the witness quorum, to know which entries are final;
8. acknowledge, with signed entries, what was addressed to this party.

Nothing the hub says is stored before it verifies; nothing that fails is silently dropped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine

from gulfsec.adapters.clock import Clock
from gulfsec.adapters.hubclient import HubClient
from gulfsec.adapters.node_db import (
    NodeCheckpoint,
    NodeEntry,
    NodeRepository,
    WitnessState,
)
from gulfsec.domain.encoding import b64decode, format_time, parse_time
from gulfsec.domain.entry import ALL, Audience, SignedEntry, parse_signed_entry
from gulfsec.domain.forms import get_form
from gulfsec.domain.keyring import Keyring
from gulfsec.domain.keys import SigningKey, VerifierKey
from gulfsec.domain.regime import Regime
from gulfsec.errors import (
    CheckpointError,
    EntryError,
    GulfsecError,
    LogVerificationError,
    RemoteError,
    TransportError,
)
from gulfsec.ledger import tiles
from gulfsec.ledger.finality import WitnessFinality
from gulfsec.ledger.merkle import MerkleTree, leaf_hash, verify_consistency
from gulfsec.ledger.note import (
    Checkpoint,
    SignedNote,
    cosign,
    hub_timestamp,
    parse_note,
    verify_checkpoint,
    verify_cosignature,
)
from gulfsec.services.participant import compose
from gulfsec.services.unit_of_work import GenericUnitOfWork

log = logging.getLogger("gulfsec.node")

ACK_BATCH = 64
SHOWN_CHECKPOINT = "shown_checkpoint"
"""Meta key: the largest checkpoint the hub showed this node, accepted or not."""


def micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def from_micros(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1_000_000, UTC)


@dataclass
class SyncReport:
    size: int = 0
    new_leaves: int = 0
    new_entries: int = 0
    quarantined: int = 0
    alarms: list[str] = field(default_factory=list)
    cosigned: int | None = None
    acknowledged: int = 0
    newly_final: int = 0


@dataclass
class VerifyReport:
    entries: int = 0
    leaves: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)
    unacknowledged: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Unacknowledged:
    entry_id: str
    index: int
    party: str
    due: datetime | None
    overdue: bool


PeerFetcher = Callable[[str], str | None]
"""Given a peer node's URL, the checkpoint note it was last shown (or None if unreachable)."""


class Node:
    """One participant's node. Not thread-safe: one sync at a time (a lock guards it)."""

    def __init__(self, regime: Regime, engine: Engine, party: str, key: SigningKey,
                 client: HubClient, log_key: VerifierKey, clock: Clock, *,
                 peers: Sequence[str] = (), peer_fetcher: PeerFetcher | None = None,
                 acknowledge: bool = True, witness: bool | None = None) -> None:
        regime.participant(party)
        if key.name != party:
            raise EntryError(f"the key is {key.name}'s, not {party}'s")
        self.regime = regime
        self.engine = engine
        self.party = party
        self.key = key
        self.client = client
        self.log_key = log_key
        self.clock = clock
        self.peers = list(peers)
        self.peer_fetcher = peer_fetcher
        self.acknowledge = acknowledge
        self.witness = regime.has_right(party, "witness") if witness is None else witness
        self.lock = threading.RLock()
        self.tree = MerkleTree()
        self.keyring = Keyring(regime.secretariat.code)
        self.last_seq: dict[str, int] = {}
        self.finality = WitnessFinality(regime.witness_quorum)
        self._unacked: dict[str, str] | None = None
        self.last_sync: datetime | None = None
        self.last_error: str | None = None

    # -- life cycle ------------------------------------------------------------------------

    def close(self) -> None:
        """Close the hub client and the database's pooled connections."""
        self.client.close()
        self.engine.dispose()

    def uow(self) -> GenericUnitOfWork[NodeRepository]:
        return GenericUnitOfWork(self.engine, NodeRepository)

    def load(self, *, check_tree: bool = True) -> None:
        """Rebuild the in-memory tree and keyring from the node's own database, checking it.

        ``check_tree=False`` loads a tree that does not match the latest checkpoint instead of
        refusing it: for :meth:`verify_all`, which must still run and report each problem.
        """
        with self.lock, self.uow() as uow:
            tree = MerkleTree()
            tree.extend(uow.repo.all_leaves())
            latest = uow.repo.latest_checkpoint()
            keyring = Keyring(self.regime.secretariat.code)
            for item in uow.repo.iter_entries():
                if item.form.startswith("key-"):
                    keyring.apply(parse_signed_entry(item.raw, max_bytes=1 << 20), item.index)
            last_seq = uow.repo.last_seqs()
            verified = uow.repo.verified_cosignatures()
        finality = WitnessFinality(self.regime.witness_quorum)
        for party, size, timestamp, _line in verified:
            finality.add(party, size, timestamp)
        if check_tree and latest is not None and (latest.size != tree.size
                                                  or tree.root() != latest.root):
            raise LogVerificationError(
                f"the node's stored leaves ({tree.size}) do not match its latest checkpoint "
                f"(size {latest.size}); run `gulfsec verify`")
        self.tree, self.keyring, self.last_seq = tree, keyring, last_seq
        self.finality = finality
        self._unacked = None

    # -- sending ---------------------------------------------------------------------------

    def next_seq(self, repo: NodeRepository) -> int:
        """The party's next sequence number: after what the log holds, what waits in the
        outbox, and its key registration (entry 0), even before the first sync."""
        outbox_max = repo.max_outbox_seq()
        seen = self.last_seq.get(self.party, -1)
        registered = int(repo.get_meta("registration_seq") or -1)
        return max(seen, registered, -1 if outbox_max is None else outbox_max) + 1

    def send(self, form: str, audience: Audience, body: dict[str, Any],
             refs: Sequence[str] = ()) -> SignedEntry:
        """Sign an entry as this party's next, store it in the outbox, then try to deliver it."""
        with self.lock:
            with self.uow() as uow:
                seq = self.next_seq(uow.repo)
                signed = compose(self.key, self.party, form=form, audience=audience, body=body,
                                 seq=seq, now=self.clock.now(), refs=refs)
                uow.repo.add_outbox(seq, signed.id, signed.raw, micros(self.clock.now()))
                uow.commit()
            self.flush_outbox()
            return signed

    def flush_outbox(self) -> int:
        """Deliver pending outbox entries in sequence order; returns how many were sequenced."""
        delivered = 0
        with self.uow() as uow:
            pending = uow.repo.outbox_items(pending_only=True)
        for item in pending:
            try:
                receipt = self.client.submit(item.raw)
            except RemoteError as exc:
                with self.uow() as uow:
                    uow.repo.mark_outbox(item.seq, index=None, error=exc.message)
                    uow.commit()
                log.warning("%s: hub refused outbox entry %d: %s", self.party, item.seq,
                            exc.message)
                break
            except TransportError as exc:
                log.info("%s: hub unreachable, outbox kept: %s", self.party, exc.message)
                break
            with self.uow() as uow:
                uow.repo.mark_outbox(item.seq, index=int(receipt["index"]), error=None)
                uow.commit()
            delivered += 1
        return delivered

    # -- syncing ---------------------------------------------------------------------------

    def alarm(self, repo: NodeRepository, kind: str, message: str,
              evidence: dict[str, Any]) -> None:
        if repo.has_alarm(kind, message):
            return
        log.error("%s ALARM %s: %s", self.party, kind, message)
        repo.add_alarm(kind, message, evidence, micros(self.clock.now()))

    def _raise_alarm(self, report: SyncReport, kind: str, message: str,
                     evidence: dict[str, Any]) -> None:
        with self.uow() as uow:
            self.alarm(uow.repo, kind, message, evidence)
            uow.commit()
        report.alarms.append(f"{kind}: {message}")

    def sync_once(self, *, wait_s: float = 0.0) -> SyncReport:
        """One round of syncing, verifying, witnessing and acknowledging."""
        if wait_s > 0:
            # Long-poll for a new checkpoint without holding the lock, so sending goes on.
            try:
                with self.uow() as uow:
                    held = uow.repo.latest_checkpoint()
                self.client.checkpoint(wait_after=0 if held is None else held.size,
                                       wait_s=wait_s)
            except TransportError:
                pass  # the round below reports it
        with self.lock:
            report = SyncReport()
            try:
                self._sync(report, 0.0)
                self.last_error = None
            except (TransportError, CheckpointError) as exc:
                self.last_error = exc.message
                log.warning("%s: sync stopped: %s", self.party, exc.message)
            self.last_sync = self.clock.now()
            return report

    def _sync(self, report: SyncReport, wait_s: float) -> None:
        self.flush_outbox()
        with self.uow() as uow:
            held = uow.repo.latest_checkpoint()
        held_size = 0 if held is None else held.size
        if self.tree.size != held_size:
            self.load()  # an earlier round stopped between extending the tree and storing it
        note_text = self.client.checkpoint(wait_after=held_size if wait_s else None,
                                           wait_s=wait_s)
        accepted = self._accept_checkpoint(note_text, held, report)
        if accepted is None:
            return
        checkpoint, signed_note, hub_time = accepted
        report.size = checkpoint.size
        start = self.tree.size
        new_ids: list[bytes] = []
        if checkpoint.size > start:
            extended = self._extend_leaves(checkpoint, signed_note, report)
            if extended is None:
                return
            new_ids = extended
        if not (self._check_own_entries(report)
                and self._check_peers(checkpoint, note_text, report)):
            self.load()  # refused: forget its leaves; the node stands on what it held
            return
        self._store_checkpoint(checkpoint, note_text, hub_time, start, new_ids)
        report.new_leaves = len(new_ids)
        self._fetch_entries(checkpoint, report)
        if self.witness:
            report.cosigned = self._cosign(checkpoint, note_text, hub_time, report)
        report.newly_final = self._learn_finality(report)
        if self.acknowledge:
            report.acknowledged = self._acknowledge()

    def _accept_checkpoint(self, note_text: str, held: NodeCheckpoint | None,
                           report: SyncReport) -> tuple[Checkpoint, SignedNote, int] | None:
        checkpoint, signed = verify_checkpoint(note_text, self.log_key)
        hub_time = hub_timestamp(signed, checkpoint, self.log_key)
        self._remember_shown(checkpoint, note_text)
        now = self.clock.now()
        if hub_time > int(now.timestamp() + self.regime.limits.clock_skew.total_seconds()):
            self._raise_alarm(report, "future_checkpoint",
                              f"checkpoint of size {checkpoint.size} is dated in the future",
                              {"checkpoint": note_text})
            return None
        if held is None:
            return checkpoint, signed, hub_time
        if checkpoint.size < held.size:
            if self.tree.root(checkpoint.size) != checkpoint.root:
                self._split_view(report, note_text, held.note, checkpoint.size)
            return None
        if checkpoint.size == held.size:
            if checkpoint.root != held.root:
                self._split_view(report, note_text, held.note, checkpoint.size)
                return None
            return checkpoint, signed, hub_time
        if hub_time < held.hub_time // 1_000_000:
            self._raise_alarm(
                report, "backdated_checkpoint",
                f"checkpoint of size {checkpoint.size} is dated "
                f"{format_time(datetime.fromtimestamp(hub_time, UTC))}, before the checkpoint "
                f"of size {held.size} the node already holds",
                {"checkpoint": note_text, "earlier_checkpoint": held.note})
            return None
        return checkpoint, signed, hub_time

    def _remember_shown(self, checkpoint: Checkpoint, note_text: str) -> None:
        """Keep what the hub showed, even if refused: peers compare with it (:meth:`witness_view`),
        so that a node shown the other side of a split view learns of it too."""
        with self.uow() as uow:
            shown = uow.repo.get_meta(SHOWN_CHECKPOINT)
            if shown is not None and (shown == note_text or Checkpoint.parse_body(
                    parse_note(shown).text).size > checkpoint.size):
                return
            uow.repo.set_meta(SHOWN_CHECKPOINT, note_text)
            uow.commit()

    def _split_view(self, report: SyncReport, note: str, other: str, size: int) -> None:
        self._raise_alarm(
            report, "split_view",
            f"the hub signed two different trees (at size {size}); both checkpoints are kept "
            "as evidence", {"checkpoint": note, "conflicting_checkpoint": other})

    def _extend_leaves(self, checkpoint: Checkpoint, signed: SignedNote,
                       report: SyncReport) -> list[bytes] | None:
        """Extend the in-memory tree to ``checkpoint``; the new leaves, or None if they do not
        hash to its root. Nothing is stored until the checkpoint passes every check."""
        start = self.tree.size
        new_ids: list[bytes] = []
        index = start
        while index < checkpoint.size:
            tile_index = index // tiles.TILE_WIDTH
            width = tiles.tile_width(0, tile_index, checkpoint.size)
            bundle = self._entry_bundle(tile_index, width)
            if len(bundle) != width:
                raise LogVerificationError("the hub served an entry bundle of the wrong width")
            offset = index - tile_index * tiles.TILE_WIDTH
            new_ids.extend(bundle[offset:])
            index = (tile_index + 1) * tiles.TILE_WIDTH
        new_ids = new_ids[: checkpoint.size - start]
        self.tree.extend(new_ids)
        if self.tree.root(checkpoint.size) != checkpoint.root:
            # What the hub served does not hash to what it signed: keep nothing of it.
            self.load()
            with self.uow() as uow:
                held = uow.repo.latest_checkpoint()
            self._raise_alarm(
                report, "inconsistent_log",
                f"the entries the hub served do not hash to its checkpoint of size "
                f"{checkpoint.size}; if they extend a checkpoint the node holds, the hub "
                "rewrote history",
                {"checkpoint": signed.encode(),
                 "held_checkpoint": None if held is None else held.note})
            return None
        return new_ids

    def _entry_bundle(self, tile_index: int, width: int) -> list[bytes]:
        """The first ``width`` entry ids of the entry bundle ``tile_index``.

        The hub serves the rightmost (partial) bundle only at the log's current size; if the
        log grew since the checkpoint being checked, that width is gone. Then take the bundle
        at the hub's current size and keep its first ``width`` ids: the log only appends, and
        what is kept must hash to the checkpoint's root anyway.
        """
        width_now = width
        for _attempt in range(3):
            try:
                bundle = tiles.parse_entry_bundle(
                    self.client.tile(tiles.entries_path(tile_index, width_now)))
            except RemoteError as exc:
                if exc.status != 404:
                    raise
                size = self.client.log_info().get("size")
                if not isinstance(size, int):
                    raise TransportError("the hub's log info has no size") from None
                width_now = tiles.tile_width(0, tile_index, size)
                if width_now < width:
                    raise
                continue
            return bundle[:width] if len(bundle) >= width else bundle
        raise TransportError(f"the hub did not serve entry bundle {tile_index} "
                             f"(the log grew at each try)")

    def _check_peers(self, checkpoint: Checkpoint, note_text: str, report: SyncReport) -> bool:
        """Compare with what the peers' nodes were shown; False if a split view shows."""
        if not self.peers or self.peer_fetcher is None:
            return True
        ok = True
        for peer in self.peers:
            try:
                other = self.peer_fetcher(peer)
            except GulfsecError as exc:
                log.info("%s: peer %s unreachable: %s", self.party, peer, exc.message)
                continue
            if not other:
                continue
            try:
                theirs, _ = verify_checkpoint(other, self.log_key)
            except CheckpointError as exc:
                log.warning("%s: peer %s sent a bad checkpoint: %s", self.party, peer,
                            exc.message)
                continue
            if theirs.size <= checkpoint.size:
                consistent = self.tree.root(theirs.size) == theirs.root
            else:
                consistent = self._hub_proves(checkpoint, theirs)
            if not consistent:
                self._raise_alarm(
                    report, "split_view",
                    f"peer {peer} was shown a checkpoint of size {theirs.size} that is not "
                    f"consistent with this node's view (size {checkpoint.size}); not cosigning",
                    {"checkpoint": note_text, "conflicting_checkpoint": other, "peer": peer})
                ok = False
        return ok

    def _hub_proves(self, ours: Checkpoint, theirs: Checkpoint) -> bool:
        try:
            served = self.client.consistency(ours.size, theirs.size)
            proof = [b64decode(h, length=32) for h in served["proof"]]
            verify_consistency(ours.size, theirs.size, ours.root, theirs.root, proof)
        except (GulfsecError, KeyError, TypeError, ValueError):
            return False
        return True

    def _store_checkpoint(self, checkpoint: Checkpoint, note_text: str, hub_time: int,
                          start: int, new_ids: Sequence[bytes]) -> None:
        with self.uow() as uow:
            # The leaves and the checkpoint they hash to, in one transaction: a crash between
            # two commits would leave leaves that no stored checkpoint covers, and a node that
            # refuses to load.
            uow.repo.add_leaves(start, new_ids)
            if uow.repo.checkpoint_at(checkpoint.size) is None:
                uow.repo.put_checkpoint(NodeCheckpoint(
                    checkpoint.size, checkpoint.root, parse_note(note_text).encode(),
                    hub_time * 1_000_000, micros(self.clock.now()), None, ()))
            uow.commit()

    def _fetch_entries(self, checkpoint: Checkpoint, report: SyncReport) -> None:
        """Fetch, verify and store the entries this party may read, up to ``checkpoint``.

        Pages come as the entries' canonical bytes; the next page is fetched while this one is
        verified, so the node does not sit idle while the hub answers.
        """
        with self.uow() as uow:
            after = uow.repo.last_entry_index()

        def fetch(start: int) -> list[dict[str, Any]]:
            page = self.client.entries(after=start, limit=500, raw=True)
            return [i for i in page.get("entries", []) if isinstance(i, dict)]

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="gulfsec-fetch") as pool:
            upcoming = pool.submit(fetch, after)
            while True:
                items = upcoming.result()
                if not items:
                    return
                indexes = [i["index"] for i in items if isinstance(i.get("index"), int)]
                last = max(indexes, default=after)
                more = after < last < checkpoint.size - 1
                if more:
                    upcoming = pool.submit(fetch, last)
                page_after = after
                after = self._store_page(items, checkpoint, report, after)
                if not more or after <= page_after:
                    if more:
                        upcoming.cancel()
                    return

    def _store_page(self, items: list[dict[str, Any]], checkpoint: Checkpoint,
                    report: SyncReport, after: int) -> int:
        """Verify one page and store what verified; returns the last index looked at."""
        good: list[NodeEntry] = []
        claimed: list[str] = []
        try:
            return self._store_verified(items, checkpoint, report, after, good, claimed)
        except BaseException:
            self._unacked = None  # rebuilt from the database on next use
            raise

    def _store_verified(self, items: list[dict[str, Any]], checkpoint: Checkpoint,
                        report: SyncReport, after: int, good: list[NodeEntry],
                        claimed: list[str]) -> int:
        with self.uow() as uow:
            for item in items:
                index = item.get("index")
                if isinstance(index, int) and index >= checkpoint.size:
                    break  # sequenced after this checkpoint: next round
                if isinstance(index, int):
                    after = max(after, index)
                verified = self._verify_item(uow.repo, item, checkpoint, report)
                if verified is None:
                    continue
                signed, stored = verified
                good.append(stored)
                claimed.append(format_time(signed.entry.time))
                if self.keyring.changed_by(signed):
                    self.keyring.apply(signed, stored.index)
                self.last_seq[signed.entry.sender] = signed.entry.seq
                self._note_stored(signed)
            uow.repo.add_entries(good, claimed)
            uow.commit()
        report.new_entries += len(good)
        return after

    def _verify_item(self, repo: NodeRepository, item: dict[str, Any], checkpoint: Checkpoint,
                     report: SyncReport) -> tuple[SignedEntry, NodeEntry] | None:
        index = item.get("index")
        claimed_id = item.get("entry_id")
        try:
            signed = _signed_of(item, self.regime.limits.max_entry_bytes)
        except GulfsecError as exc:
            self._quarantine(repo, report, index, claimed_id, _evidence_bytes(item), exc.message)
            return None
        raw = signed.raw
        try:
            if not isinstance(index, int) or not 0 <= index < checkpoint.size:
                raise LogVerificationError(f"index {index!r} is not in the checkpoint")
            if signed.id_hex != claimed_id:
                raise LogVerificationError("the entry's id does not match its content")
            if self.tree.leaf_hash_at(index) != leaf_hash(signed.id):
                raise LogVerificationError(
                    f"the log's leaf at index {index} is another entry: the hub served an entry "
                    "that is not where it says in the log")
            entry = signed.entry
            if not entry.can_read(self.party):
                raise LogVerificationError(
                    f"the hub sent an entry not addressed to {self.party}")
            get_form(entry.form).validate(entry.body)
            self.keyring.verify(signed)
            last = self.last_seq.get(entry.sender)
            if last is not None and entry.seq <= last:
                raise LogVerificationError(
                    f"{entry.sender} sequence {entry.seq} does not follow {last}")
            if entry.sender == self.party and entry.seq != (last if last is not None else -1) + 1:
                raise LogVerificationError(
                    f"this party's own sequence jumps from {last} to {entry.seq}")
            sequenced = item.get("sequenced_at")
            seq_at = micros(parse_time(sequenced)) if isinstance(sequenced, str) else 0
        except (GulfsecError, ValueError) as exc:
            message = exc.message if isinstance(exc, GulfsecError) else str(exc)
            self._quarantine(repo, report, index, claimed_id, raw, message)
            return None
        stored = NodeEntry(index, signed.id, entry.sender, entry.seq, entry.form,
                           None if entry.audience == ALL else tuple(entry.audience), seq_at,
                           micros(self.clock.now()), signed.raw)
        return signed, stored

    def _quarantine(self, repo: NodeRepository, report: SyncReport, index: Any,
                    claimed_id: Any, raw: bytes, reason: str) -> None:
        idx = index if isinstance(index, int) else None
        cid = claimed_id if isinstance(claimed_id, str) else None
        repo.quarantine(idx, cid, raw, reason, micros(self.clock.now()))
        message = f"entry at index {idx} failed verification: {reason}"
        self.alarm(repo, "bad_entry", message, {"index": idx, "entry_id": cid,
                                                "raw": raw.decode("utf-8", "replace")})
        report.quarantined += 1
        report.alarms.append(f"bad_entry: {message}")

    def _check_own_entries(self, report: SyncReport) -> bool:
        """Every entry the hub acknowledged to this node must still be at its index."""
        with self.uow() as uow:
            sent = [o for o in uow.repo.outbox_items() if o.sequenced_idx is not None]
        ok = True
        for item in sent:
            assert item.sequenced_idx is not None
            if item.sequenced_idx >= self.tree.size:
                continue
            if self.tree.leaf_hash_at(item.sequenced_idx) != leaf_hash(item.entry_id):
                self._raise_alarm(
                    report, "dropped_entry",
                    f"entry {item.entry_id.hex()} (seq {item.seq}), acknowledged by the hub at "
                    f"index {item.sequenced_idx}, is not there in the log",
                    {"entry": item.raw.decode(), "index": item.sequenced_idx})
                ok = False
        return ok

    # -- witnessing ------------------------------------------------------------------------

    def _cosign(self, checkpoint: Checkpoint, note_text: str, hub_time: int,
                report: SyncReport) -> int | None:
        """Cosign ``checkpoint`` if it is consistent with the last one this node cosigned."""
        timestamp = int(self.clock.now().timestamp())
        with self.uow() as uow:
            state = uow.repo.witness_state(for_update=True)
            if state is not None:
                if checkpoint.size < state.size:
                    return None
                if self.tree.root(state.size) != state.root:
                    self.alarm(uow.repo, "split_view",
                               f"checkpoint of size {checkpoint.size} is not consistent with "
                               f"the one this node cosigned at size {state.size}",
                               {"checkpoint": note_text, "cosigned_checkpoint": state.note})
                    uow.commit()
                    return None
                if checkpoint.size == state.size and state.delivered:
                    return None
                if hub_time * 1_000_000 < state.hub_time:
                    return None
            if state is not None and checkpoint.size == state.size:
                line = state.cosignature
            else:
                line = cosign(checkpoint, self.key, timestamp).to_note_signature().line()
                uow.repo.put_witness_state(WitnessState(
                    checkpoint.size, checkpoint.root, hub_time * 1_000_000,
                    parse_note(note_text).encode(), line, False))
            uow.commit()
        try:
            self.client.post_cosignature(checkpoint.size, line)
        except TransportError as exc:
            log.warning("%s: cosignature for size %d not delivered: %s", self.party,
                        checkpoint.size, exc.message)
            return None
        with self.uow() as uow:
            state = uow.repo.witness_state(for_update=True)
            if state is not None and state.size == checkpoint.size:
                uow.repo.put_witness_state(WitnessState(
                    state.size, state.root, state.hub_time, state.note, state.cosignature, True))
                uow.commit()
        return checkpoint.size

    def witness_view(self) -> dict[str, Any]:
        """What this node was shown and what it cosigned: for peers to compare."""
        with self.uow() as uow:
            latest = uow.repo.latest_checkpoint()
            shown = uow.repo.get_meta(SHOWN_CHECKPOINT)
            state = uow.repo.witness_state()
        return {
            "party": self.party,
            "checkpoint": shown if shown is not None else None if latest is None else latest.note,
            "cosigned": None if state is None else state.note,
            "cosignature": None if state is None else state.cosignature,
        }

    # -- finality --------------------------------------------------------------------------

    def _witness_keys(self, keyring: Keyring | None = None) -> dict[str, list[VerifierKey]]:
        """Every key each witness party has held (a cosignature stays valid after rotation)."""
        keys: dict[str, list[VerifierKey]] = {}
        witnesses = set(self.regime.witnesses())
        for record in (keyring or self.keyring).records():
            if record.party in witnesses:
                keys.setdefault(record.party, []).append(record.key)
        return keys

    def _check_cosignature(self, size: int, party: str, line: str,
                           keys: dict[str, list[VerifierKey]], tree: MerkleTree) -> int:
        """Verify a cosignature line against this node's own root at ``size``: its time."""
        checkpoint = Checkpoint(self.regime.log_origin, size, tree.root(size))
        signature = parse_note(checkpoint.body() + "\n" + line.rstrip("\n") + "\n").signatures[0]
        if signature.name != party:
            raise CheckpointError(f"cosignature line names {signature.name}, not {party}")
        for key in keys.get(party, []):
            try:
                return verify_cosignature(checkpoint, signature, key).timestamp
            except CheckpointError:
                continue
        raise CheckpointError(f"cosignature by {party} on size {size} does not verify "
                              "against this node's own tree")

    def _learn_finality(self, report: SyncReport) -> int:
        """Fetch the witnesses' cosignatures, verify each against the node's own tree (not the
        hub's word), and extend what the node knows to be final. Returns how many entries
        became final."""
        before = self.finality.final_size
        with self.uow() as uow:
            cursor = int(uow.repo.get_meta("cosignature_cursor") or 0)
        while True:
            served = self.client.cosignatures(since=cursor)
            fresh = [c for c in served if int(c.get("received_at", 0)) >= cursor]
            with self.uow() as uow:
                for item in fresh:
                    size, party, line = item.get("size"), item.get("party"), item.get("line")
                    if isinstance(size, int) and isinstance(party, str) and isinstance(line, str):
                        uow.repo.add_cosignature(size, party, line)
                newest = max((int(c.get("received_at", 0)) for c in fresh), default=cursor)
                uow.repo.set_meta("cosignature_cursor", str(newest))
                uow.commit()
            if len(served) < 1000 or newest == cursor:
                break
            cursor = newest
        keys = self._witness_keys()
        with self.uow() as uow:
            pending = uow.repo.unverified_cosignatures(self.tree.size)
            for size, party, line in pending:
                try:
                    when = self._check_cosignature(size, party, line, keys, self.tree)
                except CheckpointError as exc:
                    self.alarm(uow.repo, "bad_cosignature",
                               f"the hub served a cosignature by {party} on size {size} that "
                               f"does not verify: {exc.message}",
                               {"size": size, "party": party, "line": line})
                    report.alarms.append(f"bad_cosignature: {party} on size {size}")
                    uow.repo.set_cosignature(size, party, None)
                    continue
                uow.repo.set_cosignature(size, party, when)
                self.finality.add(party, size, when)
            uow.commit()
        return self.finality.final_size - before

    def final_at(self, index: int) -> datetime | None:
        """When the entry at ``index`` became final (ledger.finality: the quorum-th earliest
        time at which a witness had cosigned a checkpoint covering it)."""
        when = self.finality.final_at(index)
        return None if when is None else datetime.fromtimestamp(when, UTC)

    def finality_table(self) -> Callable[[int], datetime | None]:
        """A function index → final time."""
        return self.final_at

    # -- acknowledging ---------------------------------------------------------------------

    def _owed_acknowledgements(self) -> dict[str, str]:
        """Entries addressed to this party that it has not acknowledged yet (id → sender),
        read once from the database and then kept up to date as entries are stored."""
        if self._unacked is not None:
            return self._unacked
        acked: set[str] = set()
        owed: dict[str, str] = {}
        with self.uow() as uow:
            for item in uow.repo.iter_entries():
                if item.sender == self.party and item.form == "acknowledgement@1":
                    body = parse_signed_entry(item.raw, max_bytes=1 << 20).entry.body
                    acked.update(body.get("entries", []))
                elif item.sender != self.party and get_form(item.form).acknowledge:
                    owed[item.entry_id.hex()] = item.sender
            for pending in uow.repo.outbox_items(pending_only=True):
                signed = parse_signed_entry(pending.raw, max_bytes=1 << 20)
                if signed.entry.form == "acknowledgement@1":
                    acked.update(signed.entry.body.get("entries", []))
        self._unacked = {eid: sender for eid, sender in owed.items() if eid not in acked}
        return self._unacked

    def _note_stored(self, signed: SignedEntry) -> None:
        """Keep the owed acknowledgements up to date with an entry just stored."""
        owed = self._unacked
        if owed is None:
            return
        entry = signed.entry
        if entry.sender == self.party:
            if entry.form == "acknowledgement@1":
                for eid in entry.body.get("entries", []):
                    owed.pop(eid, None)
        elif get_form(entry.form).acknowledge:
            owed[signed.id_hex] = entry.sender

    def _acknowledge(self) -> int:
        """Acknowledge, with signed entries, everything addressed to this party not yet
        acknowledged (grouped by sender, up to 64 entries an acknowledgement)."""
        owed = self._owed_acknowledgements()
        by_sender: dict[str, list[str]] = {}
        for eid, sender in owed.items():
            by_sender.setdefault(sender, []).append(eid)
        count = 0
        for sender, ids in by_sender.items():
            for start in range(0, len(ids), ACK_BATCH):
                chunk = ids[start : start + ACK_BATCH]
                self.send("acknowledgement@1", (sender,), {"entries": chunk}, refs=chunk)
                for eid in chunk:
                    owed.pop(eid, None)
                count += len(chunk)
        return count

    def unacknowledged(self) -> list[Unacknowledged]:
        """Entries this party sent that an addressee has not acknowledged (overdue first)."""
        with self.uow() as uow:
            held = list(uow.repo.iter_entries())
        final = self.finality_table()
        acks: dict[str, set[str]] = {}
        for item in held:
            if item.form == "acknowledgement@1":
                body = parse_signed_entry(item.raw, max_bytes=1 << 20).entry.body
                for eid in body.get("entries", []):
                    acks.setdefault(eid, set()).add(item.sender)
        within = self.regime.commitments.acknowledgement.within
        now = self.clock.now()
        out: list[Unacknowledged] = []
        for item in held:
            if item.sender != self.party or not get_form(item.form).acknowledge:
                continue
            # An entry to all is owed an acknowledgement by every participant connected to the
            # log (holding a registered key); one not yet connected cannot acknowledge.
            audience = (tuple(p for p in self.regime.participants
                              if p != self.party and self.keyring.active_key(p) is not None)
                        if item.audience is None else item.audience)
            done = acks.get(item.entry_id.hex(), set())
            final_at = final(item.index)
            due = None if final_at is None else final_at + within
            for party in audience:
                if party not in done and party != self.party:
                    out.append(Unacknowledged(item.entry_id.hex(), item.index, party, due,
                                              due is not None and now > due))
        out.sort(key=lambda u: (not u.overdue, u.index, u.party))
        return out

    # -- verify everything again -----------------------------------------------------------

    def verify_all(self) -> VerifyReport:
        """Re-check everything the node holds from scratch, without trusting earlier checks."""
        report = VerifyReport()
        with self.uow() as uow:
            leaves = list(uow.repo.all_leaves())
            checkpoints = uow.repo.all_checkpoints()
            held = list(uow.repo.iter_entries())
            outbox = uow.repo.outbox_items()
            cosigned = uow.repo.verified_cosignatures()
        tree = MerkleTree()
        tree.extend(leaves)
        report.leaves = tree.size
        keyring = Keyring(self.regime.secretariat.code)
        last_seq: dict[str, int] = {}
        for item in held:
            report.entries += 1
            try:
                signed = parse_signed_entry(item.raw, max_bytes=self.regime.limits.max_entry_bytes)
                if signed.id != item.entry_id:
                    raise LogVerificationError("stored id does not match the content")
                if item.index >= tree.size or tree.leaf_hash_at(item.index) != leaf_hash(
                        signed.id):
                    raise LogVerificationError("not at its index in the log")
                keyring.verify(signed)
                last = last_seq.get(signed.entry.sender)
                if last is not None and signed.entry.seq <= last:
                    raise LogVerificationError(f"sequence {signed.entry.seq} after {last}")
                if signed.entry.sender == self.party and signed.entry.seq != (
                        -1 if last is None else last) + 1:
                    raise LogVerificationError(
                        f"own sequence gap: {signed.entry.seq} after {last}")
                last_seq[signed.entry.sender] = signed.entry.seq
                keyring.apply(signed, item.index)
            except GulfsecError as exc:
                report.problems.append(f"entry {item.index} ({item.entry_id.hex()[:16]}…): "
                                       f"{exc.message}")
        keys = self._witness_keys(keyring)
        finality = WitnessFinality(self.regime.witness_quorum)
        for party, size, timestamp, line in cosigned:
            try:
                if size > tree.size:
                    raise LogVerificationError("on a size beyond the stored leaves")
                if self._check_cosignature(size, party, line, keys, tree) != timestamp:
                    raise LogVerificationError("its stored time does not match its signature")
                finality.add(party, size, timestamp)
            except GulfsecError as exc:
                report.problems.append(f"cosignature by {party} on size {size}: {exc.message}")
        if finality.final_size != self.finality.final_size:
            report.problems.append(
                f"the node says entries below {self.finality.final_size} are final, its "
                f"cosignatures say {finality.final_size}")
        previous: Checkpoint | None = None
        for cp in checkpoints:
            report.checkpoints += 1
            try:
                checkpoint, _ = verify_checkpoint(cp.note, self.log_key)
                if checkpoint.size > tree.size or tree.root(checkpoint.size) != checkpoint.root:
                    raise LogVerificationError("does not match the stored leaves")
                if previous is not None and previous.size <= checkpoint.size:
                    verify_consistency(previous.size, checkpoint.size, previous.root,
                                       checkpoint.root,
                                       tree.consistency_proof(previous.size, checkpoint.size))
                previous = checkpoint
            except GulfsecError as exc:
                report.problems.append(f"checkpoint {cp.size}: {exc.message}")
        if checkpoints and checkpoints[-1].size != tree.size:
            report.problems.append(
                f"the node holds {tree.size} leaves but its latest checkpoint has "
                f"{checkpoints[-1].size}")
        own = sorted(o.seq for o in outbox if o.sequenced_idx is not None)
        if own and own != list(range(own[0], own[0] + len(own))):
            report.problems.append(f"this party's sequence numbers have gaps: {own}")
        report.unacknowledged = [
            f"{u.entry_id[:16]}… at index {u.index} not acknowledged by {u.party}"
            + (" (overdue)" if u.overdue else "")
            for u in self.unacknowledged()
        ]
        return report

    # -- reading ---------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        with self.uow() as uow:
            latest = uow.repo.latest_checkpoint()
            alarms = uow.repo.alarms()
            entries = uow.repo.entry_count()
            pending = len(uow.repo.outbox_items(pending_only=True))
        return {
            "party": self.party,
            "size": 0 if latest is None else latest.size,
            "final_size": self.finality.final_size,
            "entries": entries,
            "outbox_pending": pending,
            "alarms": len(alarms),
            "last_sync": None if self.last_sync is None else format_time(self.last_sync),
            "last_error": self.last_error,
        }


def _signed_of(item: dict[str, Any], max_bytes: int) -> SignedEntry:
    """The signed entry in an item the hub served: its canonical bytes (``raw``, base64) or
    its JSON (``entry``); shape, size and canonical form checked either way."""
    from gulfsec.domain.entry import signed_entry_from_json
    from gulfsec.errors import EntryTooLarge, MalformedEntry

    raw = item.get("raw")
    if isinstance(raw, str):
        try:
            data = b64decode(raw)
        except ValueError:
            raise MalformedEntry("the hub sent an entry that is not base64") from None
        return parse_signed_entry(data, max_bytes=max_bytes)
    entry = item.get("entry")
    if not isinstance(entry, dict):
        raise MalformedEntry("the hub sent an item without an entry")
    signed = signed_entry_from_json(entry)
    if len(signed.raw) > max_bytes:
        raise EntryTooLarge(len(signed.raw), max_bytes)
    return signed


def _evidence_bytes(item: dict[str, Any]) -> bytes:
    import json

    if isinstance(item.get("raw"), str):
        return str(item["raw"]).encode()
    try:
        return json.dumps(item.get("entry"), sort_keys=True, ensure_ascii=False).encode()
    except (TypeError, ValueError):
        return repr(item.get("entry")).encode()
