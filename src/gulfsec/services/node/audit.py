"""``gulfsec verify``: re-check everything a node holds from scratch, trusting no earlier check.

Every stored entry against its id, its leaf, its signatures (with the keys as the log stood) and
its sender's sequence; every cosignature against the node's own tree; every checkpoint against
the pinned log key and the one before it; and the party's own sequence numbers for gaps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gulfsec.adapters.storage.node import NodeCheckpoint
from gulfsec.domain.entry import parse_signed_entry
from gulfsec.domain.keyring import Keyring
from gulfsec.errors import GulfsecError, LogVerificationError
from gulfsec.ledger.finality import WitnessFinality
from gulfsec.ledger.note import Checkpoint, verify_checkpoint
from gulfsec.ledger.proofs import verify_consistency
from gulfsec.ledger.tree import MerkleTree, leaf_hash
from gulfsec.services.node.acknowledgements import Acknowledgements
from gulfsec.services.node.core import NodeCore
from gulfsec.services.node.finality import check_cosignature


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


def verify_all(core: NodeCore, acknowledgements: Acknowledgements) -> VerifyReport:
    """Re-check everything the node holds; each problem is reported, none raised."""
    report = VerifyReport()
    with core.uow() as uow:
        leaves = list(uow.repo.all_leaves())
        checkpoints = uow.repo.all_checkpoints()
        held = list(uow.repo.iter_entries())
        outbox = uow.repo.outbox_items()
        cosigned = uow.repo.verified_cosignatures()
    tree = MerkleTree()
    tree.extend(leaves)
    report.leaves = tree.size
    keyring = Keyring(core.regime.secretariat.code)
    last_seq: dict[str, int] = {}
    for item in held:
        report.entries += 1
        try:
            signed = parse_signed_entry(item.raw, max_bytes=core.regime.limits.max_entry_bytes)
            if signed.id != item.entry_id:
                raise LogVerificationError("stored id does not match the content")
            if item.index >= tree.size or tree.leaf_hash_at(item.index) != leaf_hash(signed.id):
                raise LogVerificationError("not at its index in the log")
            keyring.verify(signed)
            last = last_seq.get(signed.entry.sender)
            if last is not None and signed.entry.seq <= last:
                raise LogVerificationError(f"sequence {signed.entry.seq} after {last}")
            if signed.entry.sender == core.party and signed.entry.seq != (
                    -1 if last is None else last) + 1:
                raise LogVerificationError(f"own sequence gap: {signed.entry.seq} after {last}")
            last_seq[signed.entry.sender] = signed.entry.seq
            keyring.apply(signed, item.index)
        except GulfsecError as exc:
            report.problems.append(f"entry {item.index} ({item.entry_id.hex()[:16]}…): "
                                   f"{exc.message}")
    keys = core.witness_keys(keyring)
    finality = WitnessFinality(core.regime.witness_quorum)
    for party, size, timestamp, line in cosigned:
        try:
            if size > tree.size:
                raise LogVerificationError("on a size beyond the stored leaves")
            if check_cosignature(core.regime.log_origin, size, party, line, keys,
                                 tree) != timestamp:
                raise LogVerificationError("its stored time does not match its signature")
            finality.add(party, size, timestamp)
        except GulfsecError as exc:
            report.problems.append(f"cosignature by {party} on size {size}: {exc.message}")
    known = core.copy.finality.final_size
    if finality.final_size != known:
        report.problems.append(f"the node says entries below {known} are final, its "
                               f"cosignatures say {finality.final_size}")
    report.checkpoints = len(checkpoints)
    report.problems.extend(_check_checkpoints(core, checkpoints, tree))
    own = sorted(o.seq for o in outbox if o.sequenced_idx is not None)
    if own and own != list(range(own[0], own[0] + len(own))):
        report.problems.append(f"this party's sequence numbers have gaps: {own}")
    report.unacknowledged = [
        f"{u.entry_id[:16]}… at index {u.index} not acknowledged by {u.party}"
        + (" (overdue)" if u.overdue else "")
        for u in acknowledgements.unacknowledged()
    ]
    return report


def _check_checkpoints(core: NodeCore, checkpoints: list[NodeCheckpoint],
                       tree: MerkleTree) -> list[str]:
    problems: list[str] = []
    previous: Checkpoint | None = None
    for cp in checkpoints:
        try:
            checkpoint, _ = verify_checkpoint(cp.note, core.log_key)
            if checkpoint.size > tree.size or tree.root(checkpoint.size) != checkpoint.root:
                raise LogVerificationError("does not match the stored leaves")
            if previous is not None and previous.size <= checkpoint.size:
                verify_consistency(previous.size, checkpoint.size, previous.root,
                                   checkpoint.root,
                                   tree.consistency_proof(previous.size, checkpoint.size))
            previous = checkpoint
        except GulfsecError as exc:
            problems.append(f"checkpoint {cp.size}: {exc.message}")
    if checkpoints and checkpoints[-1].size != tree.size:
        problems.append(f"the node holds {tree.size} leaves but its latest checkpoint has "
                        f"{checkpoints[-1].size}")
    return problems
