"""What a node checks of a new checkpoint beyond its own tree: that the hub kept every receipt
it signed for this party's entries, and that the peers' nodes were shown the same log.

Each failure is an alarm holding the signed material a third party needs
(:mod:`gulfsec.ledger.evidence`): the signed receipt, the signed checkpoint or answer that
breaks it, an inclusion proof from the node's own tree, the hub's signed answer when asked for
a consistency proof.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gulfsec.domain.encoding import b64decode, b64encode, format_time
from gulfsec.errors import (
    CheckpointError,
    GulfsecError,
    LogVerificationError,
    RemoteError,
    TransportError,
)
from gulfsec.i18n import N_
from gulfsec.ledger.answers import SignedAnswer
from gulfsec.ledger.note import Checkpoint, SignedNote, hub_timestamp, verify_checkpoint
from gulfsec.ledger.proofs import verify_consistency
from gulfsec.ledger.receipts import read_receipt
from gulfsec.ledger.tree import leaf_hash
from gulfsec.services.node.core import NodeCore, PeerFetcher, SyncReport, log

PROVEN_FORKS = "proven_forks"
"""Meta key: fingerprints of the checkpoints proven to fork from this node's log."""


def _fingerprint(note: str) -> str:
    return hashlib.sha256(note.encode()).hexdigest()


@dataclass
class PeerSeen:
    """What this node knows of one peer's reachability."""

    peer: str
    last_ok: datetime | None = None
    last_size: int | None = None
    error: str | None = None
    error_at: datetime | None = None

    def answered(self, now: datetime, size: int | None) -> None:
        self.last_ok, self.last_size, self.error, self.error_at = now, size, None, None

    def failed(self, now: datetime, error: str) -> None:
        self.error, self.error_at = error, now

    def view(self) -> dict[str, Any]:
        return {"peer": self.peer, "reachable": self.error is None and self.last_ok is not None,
                "last_answer": None if self.last_ok is None else format_time(self.last_ok),
                "size": self.last_size, "error": self.error}


class Checks:
    def __init__(self, core: NodeCore, peers: Sequence[str] = (),
                 peer_fetcher: PeerFetcher | None = None) -> None:
        self.core = core
        self.peers = list(peers)
        self.peer_fetcher = peer_fetcher
        self.seen: dict[str, PeerSeen] = {}
        self.started = core.clock.now()
        self.own_checked_seq = 0
        """Every entry this node sent up to this sequence number is in place in a stored tree
        (:meth:`own_entries` reads only those after it)."""
        self.kept_behind: set[tuple[str, int]] = set()
        """(peer, size) of the newer trees already alarmed as kept from this node: one alarm
        for each, not one for every round the hub goes on keeping it."""

    def consistency_answer(self, old: int, new: int) -> dict[str, Any] | None:
        """The hub's signed answer when asked to prove the tree of ``new`` extends the tree
        of ``old``, whatever it is (a proof, or a refusal): evidence when they do not."""
        client = self.core.client
        try:
            client.consistency(old, new)
        except RemoteError:
            pass  # a refusal is signed too
        except (TransportError, LogVerificationError):
            return None
        answer = client.last_answer()
        return None if answer is None else answer.to_json()

    def own_entries(self, report: SyncReport, checkpoint: Checkpoint,
                    answer: SignedAnswer | None, held: int) -> bool:
        """Every entry the hub gave this node a receipt for must be at its index once the tree
        passes it, and in a checkpoint published by the receipt's promise. False (the
        checkpoint is refused) when a signed tree holds another entry at that index.

        ``held``: the size of the tree the node had stored before this round. An entry found
        in place below it is done with (the tree only grows, consistently), so a round reads
        only what was sent since the oldest entry not yet found in a stored tree: never every
        entry the node ever sent.
        """
        core = self.core
        tree = core.copy.tree
        with core.uow() as uow:
            since = uow.repo.outbox_items(after_seq=self.own_checked_seq)
        ok = True
        done = True  # every entry so far is in place in a stored tree
        for item in since:
            index = item.sequenced_idx
            if index is None:
                done = False
                continue
            receipt = None if item.receipt is None else json.loads(item.receipt)
            if index >= held:
                done = False  # not yet in a stored tree: checked again next round
            if index < tree.size:
                if tree.leaf_hash_at(index) == leaf_hash(item.entry_id):
                    if done:
                        self.own_checked_seq = item.seq
                    continue
                done = False
                size = checkpoint.size
                core.raise_alarm(
                    report, "dropped_entry",
                    N_("entry {entry} (seq {seq}), which the hub's signed receipt puts at "
                       "index {index}, is not there in its signed tree of size {size}: another "
                       "entry is").format(entry=item.entry_id.hex(), seq=item.seq, index=index,
                                          size=size),
                    {"entry": item.raw.decode(), "index": index, "receipt": receipt,
                     "checkpoint": self._note_of(answer),
                     "leaf_hash": b64encode(tree.leaf_hash_at(index)),
                     "inclusion_proof": [b64encode(h)
                                         for h in tree.inclusion_proof(index, size)]})
                ok = False
            elif receipt is not None and answer is not None:
                promised = read_receipt(SignedAnswer.from_json(receipt)).promised_by
                if answer.when > promised and checkpoint.size <= index:
                    core.raise_alarm(
                        report, "dropped_entry",
                        N_("entry {entry} (seq {seq}): the hub promised, in its signed "
                           "receipt, a checkpoint including index {index} by {promised}, and "
                           "at {at} it still answers a checkpoint of size {size}").format(
                            entry=item.entry_id.hex(), seq=item.seq, index=index,
                            promised=format_time(promised), at=format_time(answer.when),
                            size=checkpoint.size),
                        {"entry": item.raw.decode(), "index": index, "receipt": receipt,
                         "checkpoint_answer": answer.to_json()})
        return ok

    @staticmethod
    def _note_of(answer: SignedAnswer | None) -> str | None:
        return None if answer is None else answer.body.decode("utf-8", "replace")

    def peer_views(self, checkpoint: Checkpoint, note_text: str, report: SyncReport,
                   answer: SignedAnswer | None = None) -> bool:
        """Compare with what the peers' nodes were shown. False (do not cosign) if a peer was
        shown a fork not yet proven; a fork proven before stands as an alarm and no longer
        stops this node (it follows its own branch). A peer that holds a newer consistent
        tree the hub has kept from this node too long is ``stale_view``; no peer answering for
        too long is ``peers_silent``."""
        core = self.core
        if not self.peers or self.peer_fetcher is None:
            return True
        now = core.clock.now()
        proven = self._proven_forks()
        ok = True
        for peer in self.peers:
            seen = self.seen.setdefault(peer, PeerSeen(peer))
            try:
                other = self.peer_fetcher(peer)
            except GulfsecError as exc:
                seen.failed(now, exc.message)
                log.info("%s: peer %s unreachable: %s", core.party, peer, exc.message)
                continue
            if not other:
                seen.answered(now, None)
                continue
            try:
                theirs, signed = verify_checkpoint(other, core.log_key)
            except CheckpointError as exc:
                seen.failed(now, f"a bad checkpoint: {exc.message}")
                log.warning("%s: peer %s sent a bad checkpoint: %s", core.party, peer,
                            exc.message)
                continue
            seen.answered(now, theirs.size)
            if _fingerprint(other) in proven:
                continue  # a fork proven before: the alarm stands, this node goes on
            if theirs.size <= checkpoint.size:
                consistent: bool | None = core.copy.tree.root(theirs.size) == theirs.root
            else:
                consistent = self._hub_proves(checkpoint, theirs)
            if consistent is None:
                continue  # the hub could not be reached to prove it: no verdict this round
            if consistent:
                if theirs.size > checkpoint.size and answer is not None:
                    self._stale(report, peer, other, theirs, signed, checkpoint, answer)
                continue
            evidence: dict[str, Any] = {"checkpoint": note_text,
                                        "conflicting_checkpoint": other, "peer": peer}
            if theirs.size != checkpoint.size:
                old, new = sorted((theirs.size, checkpoint.size))
                evidence["consistency_answer"] = self.consistency_answer(old, new)
            core.raise_alarm(
                report, "split_view",
                N_("peer {peer} was shown a checkpoint of size {theirs} that is not "
                   "consistent with this node's view (size {ours}); not cosigning it").format(
                    peer=peer, theirs=theirs.size, ours=checkpoint.size),
                evidence)
            self._prove_fork(other)
            ok = False
        self._silence(report, now)
        return ok

    def _stale(self, report: SyncReport, peer: str, other: str, theirs: Checkpoint,
               signed: SignedNote, ours: Checkpoint, answer: SignedAnswer) -> None:
        """A peer holds a newer tree the hub signed long before it answered this node an
        older one: the hub is keeping this node behind."""
        core = self.core
        signed_at = hub_timestamp(signed, theirs, core.log_key)
        late = answer.time - signed_at
        if late <= core.regime.limits.stale_view.total_seconds():
            return
        if (peer, theirs.size) in self.kept_behind:
            return
        self.kept_behind.add((peer, theirs.size))
        core.raise_alarm(
            report, "stale_view",
            N_("the hub signed a tree of {theirs} entries (held by peer {peer}) {late} s "
               "before it answered this node a tree of only {ours}: it keeps this node behind")
            .format(theirs=theirs.size, peer=peer, late=late, ours=ours.size),
            {"peer_checkpoint": other, "checkpoint_answer": answer.to_json(), "peer": peer})

    def _silence(self, report: SyncReport, now: datetime) -> None:
        last = max((p.last_ok for p in self.seen.values() if p.last_ok is not None),
                   default=self.started)
        quiet = now - last
        if quiet > self.core.regime.limits.peer_silence:
            reasons = "; ".join(f"{p.peer}: {p.error}" for p in self.seen.values() if p.error)
            self.core.raise_alarm(
                report, "peers_silent",
                N_("no peer node has answered since {since}: this node's view cannot be "
                   "compared with anyone's ({reasons})").format(
                    since=format_time(last), reasons=reasons or "no answer"),
                {"since": format_time(last), "peers": [p.view() for p in self.seen.values()]})

    def peer_status(self) -> list[dict[str, Any]]:
        """Each peer's reachability, for the node's status."""
        return [self.seen.get(peer, PeerSeen(peer)).view() for peer in self.peers]

    def _proven_forks(self) -> set[str]:
        with self.core.uow() as uow:
            return set(json.loads(uow.repo.get_meta(PROVEN_FORKS) or "[]"))

    def _prove_fork(self, note: str) -> None:
        """Remember a checkpoint proven to fork from this node's log (its alarm holds the
        evidence): later rounds no longer stop on it."""
        with self.core.uow() as uow:
            known = set(json.loads(uow.repo.get_meta(PROVEN_FORKS) or "[]"))
            known.add(_fingerprint(note))
            uow.repo.set_meta(PROVEN_FORKS, json.dumps(sorted(known)))
            uow.commit()

    def _hub_proves(self, ours: Checkpoint, theirs: Checkpoint) -> bool | None:
        """Whether the hub proves ``theirs`` extends ``ours``: False when it refuses or its
        proof fails; None when it could not be reached (a timeout, a dropped connection, a
        server error), which proves nothing either way and is asked again next round."""
        try:
            served = self.core.client.consistency(ours.size, theirs.size)
        except RemoteError as exc:
            if exc.status >= 500:
                log.info("%s: the hub failed to prove consistency: %s", self.core.party,
                         exc.message)
                return None
            return False
        except TransportError as exc:
            log.info("%s: cannot ask the hub for a consistency proof: %s", self.core.party,
                     exc.message)
            return None
        try:
            proof = [b64decode(h, length=32) for h in served["proof"]]
            verify_consistency(ours.size, theirs.size, ours.root, theirs.root, proof)
        except (GulfsecError, KeyError, TypeError, ValueError):
            return False
        return True
