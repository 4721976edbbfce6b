"""What a node checks of a new checkpoint beyond its own tree: that the hub kept every receipt
it signed for this party's entries, and that the peers' nodes were shown the same log.

Each failure is an alarm holding the signed material a third party needs
(:mod:`gulfsec.ledger.evidence`): the signed receipt, the signed checkpoint or answer that
breaks it, an inclusion proof from the node's own tree, the hub's signed answer when asked for
a consistency proof.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from gulfsec.domain.encoding import b64decode, b64encode, format_time
from gulfsec.errors import (
    CheckpointError,
    GulfsecError,
    LogVerificationError,
    RemoteError,
    TransportError,
)
from gulfsec.ledger.answers import SignedAnswer
from gulfsec.ledger.note import Checkpoint, verify_checkpoint
from gulfsec.ledger.proofs import verify_consistency
from gulfsec.ledger.receipts import read_receipt
from gulfsec.ledger.tree import leaf_hash
from gulfsec.services.node.core import NodeCore, PeerFetcher, SyncReport, log


class Checks:
    def __init__(self, core: NodeCore, peers: Sequence[str] = (),
                 peer_fetcher: PeerFetcher | None = None) -> None:
        self.core = core
        self.peers = list(peers)
        self.peer_fetcher = peer_fetcher

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
                           answer: SignedAnswer | None) -> bool:
        """Every entry the hub gave this node a receipt for must be at its index once the tree
        passes it, and in a checkpoint published by the receipt's promise. False (the
        checkpoint is refused) when a signed tree holds another entry at that index."""
        core = self.core
        tree = core.copy.tree
        with core.uow() as uow:
            sent = [o for o in uow.repo.outbox_items() if o.sequenced_idx is not None]
        ok = True
        for item in sent:
            index = item.sequenced_idx
            assert index is not None
            receipt = None if item.receipt is None else json.loads(item.receipt)
            if index < tree.size:
                if tree.leaf_hash_at(index) == leaf_hash(item.entry_id):
                    continue
                size = checkpoint.size
                core.raise_alarm(
                    report, "dropped_entry",
                    f"entry {item.entry_id.hex()} (seq {item.seq}), which the hub's signed "
                    f"receipt puts at index {index}, is not there in its signed tree of size "
                    f"{size}: another entry is",
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
                        f"entry {item.entry_id.hex()} (seq {item.seq}): the hub promised, in "
                        f"its signed receipt, a checkpoint including index {index} by "
                        f"{format_time(promised)}, and at {format_time(answer.when)} it still "
                        f"answers a checkpoint of size {checkpoint.size}",
                        {"entry": item.raw.decode(), "index": index, "receipt": receipt,
                         "checkpoint_answer": answer.to_json()})
        return ok

    @staticmethod
    def _note_of(answer: SignedAnswer | None) -> str | None:
        return None if answer is None else answer.body.decode("utf-8", "replace")

    def peer_views(self, checkpoint: Checkpoint, note_text: str, report: SyncReport) -> bool:
        """Compare with what the peers' nodes were shown; False if a split view shows."""
        core = self.core
        if not self.peers or self.peer_fetcher is None:
            return True
        ok = True
        for peer in self.peers:
            try:
                other = self.peer_fetcher(peer)
            except GulfsecError as exc:
                log.info("%s: peer %s unreachable: %s", core.party, peer, exc.message)
                continue
            if not other:
                continue
            try:
                theirs, _ = verify_checkpoint(other, core.log_key)
            except CheckpointError as exc:
                log.warning("%s: peer %s sent a bad checkpoint: %s", core.party, peer,
                            exc.message)
                continue
            if theirs.size <= checkpoint.size:
                consistent = core.copy.tree.root(theirs.size) == theirs.root
            else:
                consistent = self._hub_proves(checkpoint, theirs)
            if not consistent:
                evidence: dict[str, Any] = {"checkpoint": note_text,
                                            "conflicting_checkpoint": other, "peer": peer}
                if theirs.size != checkpoint.size:
                    old, new = sorted((theirs.size, checkpoint.size))
                    evidence["consistency_answer"] = self.consistency_answer(old, new)
                core.raise_alarm(
                    report, "split_view",
                    f"peer {peer} was shown a checkpoint of size {theirs.size} that is not "
                    f"consistent with this node's view (size {checkpoint.size}); not cosigning",
                    evidence)
                ok = False
        return ok

    def _hub_proves(self, ours: Checkpoint, theirs: Checkpoint) -> bool:
        try:
            served = self.core.client.consistency(ours.size, theirs.size)
            proof = [b64decode(h, length=32) for h in served["proof"]]
            verify_consistency(ours.size, theirs.size, ours.root, theirs.root, proof)
        except (GulfsecError, KeyError, TypeError, ValueError):
            return False
        return True
