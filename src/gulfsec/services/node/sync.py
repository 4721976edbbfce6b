"""One sync round of a node (:meth:`Sync.once`):

1. deliver the outbox (:mod:`.outbox`);
2. take the hub's latest checkpoint, measuring the node's clock by the hub's signed answer
   (:mod:`.clock`: ``clock_drift`` when it is beyond the regime's allowance); check the log
   key's signature and the hub's timestamp;
3. fetch the new leaves (entry ids, public) as tlog-tiles entry bundles, extend the node's own
   tree and require it to hash to the signed root — so the new checkpoint is consistent with
   every one the node accepted before, by construction;
4. require every entry the hub acknowledged to this node to be still at its index, and compare
   with what the peers' nodes were shown (split view); only a checkpoint that passes is stored,
   with its leaves, in one transaction (a refused one is kept only as an alarm's evidence, and
   as what this node was shown, for its peers);
5. fetch and verify the entries addressed to this party (:mod:`.intake`);
6. cosign the checkpoint as a witness (:mod:`.witness`);
7. learn which entries are final from the witnesses' cosignatures (:mod:`.finality`);
8. acknowledge what this party owes (:mod:`.acknowledgements`).

Nothing the hub says is stored before it verifies; nothing that fails is silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from gulfsec.adapters.storage.node import NodeCheckpoint
from gulfsec.domain.encoding import format_time
from gulfsec.errors import (
    CheckpointError,
    LogVerificationError,
    RemoteError,
    TransportError,
)
from gulfsec.i18n import N_
from gulfsec.ledger import tiles
from gulfsec.ledger.answers import SignedAnswer
from gulfsec.ledger.note import Checkpoint, SignedNote, hub_timestamp, parse_note, verify_checkpoint
from gulfsec.services.node.acknowledgements import Acknowledgements
from gulfsec.services.node.checks import Checks
from gulfsec.services.node.clock import ClockWatch
from gulfsec.services.node.core import SHOWN_CHECKPOINT, NodeCore, PeerFetcher, SyncReport, log
from gulfsec.services.node.finality import FinalityLearner
from gulfsec.services.node.impersonation import check_keys_in_my_name
from gulfsec.services.node.intake import Intake
from gulfsec.services.node.outbox import Outbox
from gulfsec.services.node.withheld import PeerReader, WithheldCheck
from gulfsec.services.node.witness import Witness
from gulfsec.services.shared.time import micros

TILES_IN_FLIGHT = 4
"""Entry bundles asked of the hub at once while the node catches up."""


class Sync:
    def __init__(self, core: NodeCore, outbox: Outbox, intake: Intake, witness: Witness,
                 finality: FinalityLearner, acknowledgements: Acknowledgements, *,
                 peers: Sequence[str] = (), peer_fetcher: PeerFetcher | None = None,
                 acknowledge: bool = True, cosign: bool = True) -> None:
        self.core = core
        self.outbox = outbox
        self.intake = intake
        self.witness = witness
        self.finality = finality
        self.acknowledgements = acknowledgements
        self.checks = Checks(core, peers, peer_fetcher)
        self.clock_watch = ClockWatch(core)
        """The node's clock against the hub's signed answers (:mod:`.clock`)."""
        self.withheld = WithheldCheck(
            core, intake, peers,
            peer_fetcher if isinstance(peer_fetcher, PeerReader) else None)
        self.acknowledge = acknowledge
        self.cosign = cosign
        self.last_sync: datetime | None = None
        self.last_error: str | None = None
        self.after_round: list[Callable[[SyncReport], None]] = []
        """Told at the end of each round that took in a checkpoint (derived checks)."""

    def once(self, *, wait_s: float = 0.0) -> SyncReport:
        """One round of syncing, verifying, witnessing and acknowledging."""
        core = self.core
        shown: tuple[str, SignedAnswer | None] | None = None
        if wait_s > 0:
            # Long-poll for a new checkpoint without holding the lock, so sending goes on.
            try:
                with core.uow() as uow:
                    held = uow.repo.latest_checkpoint()
                sent = core.clock.now()
                note = core.client.checkpoint(wait_after=0 if held is None else held.size,
                                              wait_s=wait_s)
                shown = note, core.client.last_answer()
                self.clock_watch.observe(shown[1], sent, core.clock.now())
            except TransportError:
                pass  # the round below reports it
        with core.lock:
            report = SyncReport()
            try:
                self._round(report, shown)
                self.last_error = None
            except (TransportError, CheckpointError) as exc:
                self.last_error = exc.message
                log.warning("%s: sync stopped: %s", core.party, exc.message)
            self.last_sync = core.clock.now()
            return report

    def _round(self, report: SyncReport,
               shown: tuple[str, SignedAnswer | None] | None = None) -> None:
        """``shown``: the checkpoint (and the signed answer it came in) that a long poll just
        fetched; taken instead of asking again, unless this round sends entries first."""
        core = self.core
        check_keys_in_my_name(core, report)
        if self.outbox.flush():
            shown = None  # the log holds more now: ask for the checkpoint that shows it
        with core.uow() as uow:
            held = uow.repo.latest_checkpoint()
        held_size = 0 if held is None else held.size
        if core.copy.tree.size != held_size:
            core.load()  # an earlier round stopped between extending the tree and storing it
        if shown is None:
            sent = core.clock.now()
            shown = core.client.checkpoint(), core.client.last_answer()
            self.clock_watch.observe(shown[1], sent, core.clock.now())
        # Before the checkpoint's time is judged: a clock that is off is named as the cause.
        self.clock_watch.judge(report)
        note_text, answer = shown
        accepted = self._accept_checkpoint(note_text, answer, held, report)
        if accepted is None:
            return
        checkpoint, signed_note, hub_time = accepted
        report.size = checkpoint.size
        start = core.copy.tree.size
        new_ids: list[bytes] = []
        if checkpoint.size > start:
            extended = self._extend_leaves(checkpoint, signed_note, report)
            if extended is None:
                return
            new_ids = extended
        if not (self.checks.own_entries(report, checkpoint, answer, start)
                and self.checks.peer_views(checkpoint, note_text, report, answer)):
            core.load()  # refused: forget its leaves; the node stands on what it held
            return
        self._store_checkpoint(checkpoint, note_text, hub_time, start, new_ids)
        report.new_leaves = len(new_ids)
        self.intake.fetch(checkpoint, report)
        # Stored, and the round's new entries checked against them: the tree may let go of
        # what it would otherwise read back for each of them.
        core.copy.tree.settle(checkpoint.size)
        report.new_entries += self.withheld.run(report)
        if self.cosign:
            report.cosigned = self.witness.cosign(checkpoint, note_text, hub_time)
        report.newly_final = self.finality.learn(report)
        for hook in self.after_round:
            hook(report)
        if self.acknowledge:
            report.acknowledged = self.acknowledgements.acknowledge()

    # -- the checkpoint ----------------------------------------------------------------------

    def _accept_checkpoint(self, note_text: str, answer: SignedAnswer | None,
                           held: NodeCheckpoint | None,
                           report: SyncReport) -> tuple[Checkpoint, SignedNote, int] | None:
        core = self.core
        checkpoint, signed = verify_checkpoint(note_text, core.log_key)
        hub_time = hub_timestamp(signed, checkpoint, core.log_key)
        self._remember_shown(checkpoint, note_text)
        now = core.clock.now()
        if hub_time > int(now.timestamp() + core.regime.limits.clock_skew.total_seconds()):
            if self.clock_watch.drifting and answer is not None and hub_time <= answer.time:
                # In this node's future only, not in the hub's (its signed answer is as late):
                # the node's clock is behind, and clock_drift said so. Refused all the same.
                log.warning("%s: checkpoint of size %d refused: dated after this node's "
                            "clock, which is off", core.party, checkpoint.size)
                return None
            core.raise_alarm(report, "future_checkpoint",
                             N_("checkpoint of size {size} is dated in the future").format(
                                 size=checkpoint.size),
                             {"checkpoint": note_text,
                              "checkpoint_answer": None if answer is None else answer.to_json()})
            return None
        if held is None:
            return checkpoint, signed, hub_time
        if checkpoint.size < held.size:
            if core.copy.tree.root(checkpoint.size) != checkpoint.root:
                self._split_view(report, note_text, held.note, checkpoint.size,
                                 self.checks.consistency_answer(checkpoint.size, held.size))
            else:
                # An older tree than this node holds: nothing to take in, but a peer holding a
                # newer one the hub signed long before shows the hub keeps this node behind.
                self.checks.peer_views(checkpoint, note_text, report, answer)
            return None
        if checkpoint.size == held.size:
            if checkpoint.root != held.root:
                self._split_view(report, note_text, held.note, checkpoint.size)
                return None
            return checkpoint, signed, hub_time
        if hub_time < held.hub_time // 1_000_000:
            core.raise_alarm(
                report, "backdated_checkpoint",
                N_("checkpoint of size {size} is dated {at}, before the checkpoint of size "
                   "{held} the node already holds").format(
                    size=checkpoint.size, at=format_time(datetime.fromtimestamp(hub_time, UTC)),
                    held=held.size),
                {"checkpoint": note_text, "earlier_checkpoint": held.note})
            return None
        return checkpoint, signed, hub_time

    def _remember_shown(self, checkpoint: Checkpoint, note_text: str) -> None:
        """Keep what the hub showed, even if refused: peers compare with it (the witness
        view), so that a node shown the other side of a split view learns of it too."""
        with self.core.uow() as uow:
            shown = uow.repo.get_meta(SHOWN_CHECKPOINT)
            if shown is not None and (shown == note_text or Checkpoint.parse_body(
                    parse_note(shown).text).size > checkpoint.size):
                return
            uow.repo.set_meta(SHOWN_CHECKPOINT, note_text)
            uow.commit()

    def _split_view(self, report: SyncReport, note: str, other: str, size: int,
                    consistency: dict[str, Any] | None = None) -> None:
        evidence: dict[str, Any] = {"checkpoint": note, "conflicting_checkpoint": other}
        if consistency is not None:
            evidence["consistency_answer"] = consistency
        self.core.raise_alarm(
            report, "split_view",
            N_("the hub signed two different trees (at size {size}); both checkpoints are "
               "kept as evidence").format(size=size), evidence)

    # -- the leaves --------------------------------------------------------------------------

    def _extend_leaves(self, checkpoint: Checkpoint, signed: SignedNote,
                       report: SyncReport) -> list[bytes] | None:
        """Extend the in-memory tree to ``checkpoint``; the new leaves, or None if they do not
        hash to its root. Nothing is stored until the checkpoint passes every check."""
        core = self.core
        tree = core.copy.tree
        start = tree.size
        first = start // tiles.TILE_WIDTH
        wanted = [(tile_index, tiles.tile_width(0, tile_index, checkpoint.size))
                  for tile_index in range(first, -(-checkpoint.size // tiles.TILE_WIDTH))]
        new_ids: list[bytes] = []
        for (tile_index, width), bundle in zip(wanted, self._entry_bundles(wanted),
                                               strict=True):
            if len(bundle) != width:
                raise LogVerificationError("the hub served an entry bundle of the wrong width")
            offset = max(start - tile_index * tiles.TILE_WIDTH, 0)
            new_ids.extend(bundle[offset:])
        new_ids = new_ids[: checkpoint.size - start]
        tree.extend(new_ids)
        if tree.root(checkpoint.size) != checkpoint.root:
            # What the hub served does not hash to what it signed: keep nothing of it.
            core.load()
            with core.uow() as uow:
                held = uow.repo.latest_checkpoint()
            evidence: dict[str, Any] = {
                "checkpoint": signed.encode(),
                "held_checkpoint": None if held is None else held.note}
            if held is not None:
                evidence["consistency_answer"] = self.checks.consistency_answer(held.size,
                                                                          checkpoint.size)
            core.raise_alarm(
                report, "inconsistent_log",
                N_("the entries the hub served do not hash to its checkpoint of size {size}; "
                   "if they extend a checkpoint the node holds, the hub rewrote history")
                .format(size=checkpoint.size), evidence)
            return None
        return new_ids

    def _entry_bundles(self, wanted: Sequence[tuple[int, int]]) -> Iterator[list[bytes]]:
        """The entry bundles ``wanted`` ((tile index, width) each), in order; a few asked of
        the hub at once, so that a long catch-up does not wait on one answer at a time."""
        if len(wanted) <= 1:
            yield from (self._entry_bundle(index, width) for index, width in wanted)
            return
        with ThreadPoolExecutor(max_workers=TILES_IN_FLIGHT,
                                thread_name_prefix="gulfsec-tiles") as pool:
            yield from pool.map(lambda want: self._entry_bundle(*want), wanted)

    def _entry_bundle(self, tile_index: int, width: int) -> list[bytes]:
        """The first ``width`` entry ids of the entry bundle ``tile_index``.

        The hub serves the rightmost (partial) bundle only at the log's current size; if the
        log grew since the checkpoint being checked, that width is gone. Then take the bundle
        at the hub's current size and keep its first ``width`` ids: the log only appends, and
        what is kept must hash to the checkpoint's root anyway.
        """
        client = self.core.client
        width_now = width
        for _attempt in range(3):
            try:
                bundle = tiles.parse_entry_bundle(
                    client.tile(tiles.entries_path(tile_index, width_now)))
            except RemoteError as exc:
                if exc.status != 404:
                    raise
                size = client.log_info().get("size")
                if not isinstance(size, int):
                    raise TransportError("the hub's log info has no size") from None
                width_now = tiles.tile_width(0, tile_index, size)
                if width_now < width:
                    raise
                continue
            return bundle[:width] if len(bundle) >= width else bundle
        raise TransportError(f"the hub did not serve entry bundle {tile_index} "
                             f"(the log grew at each try)")

    def _store_checkpoint(self, checkpoint: Checkpoint, note_text: str, hub_time: int,
                          start: int, new_ids: Sequence[bytes]) -> None:
        core = self.core
        with core.uow() as uow:
            # The leaves and the checkpoint they hash to, in one transaction: a crash between
            # two commits would leave leaves that no stored checkpoint covers, and a node that
            # refuses to load.
            uow.repo.add_leaves(start, new_ids)
            if uow.repo.checkpoint_at(checkpoint.size) is None:
                uow.repo.put_checkpoint(NodeCheckpoint(
                    checkpoint.size, checkpoint.root, parse_note(note_text).encode(),
                    hub_time * 1_000_000, micros(core.clock.now()), None, ()))
            uow.commit()
