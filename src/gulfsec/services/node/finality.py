"""Finality as this node knows it: the witnesses' cosignatures, fetched from the hub and each
verified against the node's own tree, never the hub's word (rule: :mod:`gulfsec.ledger.finality`).
"""

from __future__ import annotations

from typing import Any

from gulfsec.adapters.storage.node import NodeRepository
from gulfsec.domain.encoding import b64encode
from gulfsec.domain.keys import VerifierKey
from gulfsec.errors import CheckpointError
from gulfsec.ledger.answers import SignedAnswer
from gulfsec.ledger.note import Checkpoint, parse_note, verify_cosignature
from gulfsec.ledger.tree import MerkleTree
from gulfsec.services.node.core import NodeCore, SyncReport
from gulfsec.services.node.forgery import key_evidence

CURSOR = "cosignature_cursor"
"""Meta key: the hub's receipt time of the newest cosignature fetched (µs)."""
PAGE = 1000
KEPT = 10_000
"""Signed answers kept in memory for cosignatures not checked yet, at most."""


def check_cosignature(origin: str, size: int, party: str, line: str,
                      keys: dict[str, list[VerifierKey]], tree: MerkleTree) -> int:
    """Verify a cosignature line against ``tree``'s own root at ``size``; return its time."""
    checkpoint = Checkpoint(origin, size, tree.root(size))
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


class FinalityLearner:
    def __init__(self, core: NodeCore) -> None:
        self.core = core
        self.served: dict[tuple[Any, Any, Any], SignedAnswer] = {}
        """The hub's signed answer that served each cosignature not checked yet."""

    def learn(self, report: SyncReport) -> int:
        """Fetch the witnesses' cosignatures, verify each against the node's own tree, and
        extend what the node knows to be final. Returns how many entries became final."""
        core = self.core
        finality = core.copy.finality
        before = finality.final_size
        self._fetch()
        keys = core.witness_keys()
        with core.uow() as uow:
            pending = uow.repo.unverified_cosignatures(core.copy.tree.size)
            for size, party, line in pending:
                try:
                    when = check_cosignature(core.regime.log_origin, size, party, line, keys,
                                             core.copy.tree)
                except CheckpointError as exc:
                    core.alarm(uow.repo, "bad_cosignature",
                               f"the hub served a cosignature by {party} on size {size} that "
                               f"does not verify: {exc.message}",
                               self._evidence(uow.repo, size, party, line))
                    report.alarms.append(f"bad_cosignature: {party} on size {size}")
                    uow.repo.set_cosignature(size, party, None)
                    continue
                uow.repo.set_cosignature(size, party, when)
                self.served.pop((size, party, line), None)
                finality.add(party, size, when)
            uow.commit()
        return finality.final_size - before

    def _evidence(self, repo: NodeRepository, size: int, party: str,
                  line: str) -> dict[str, Any]:
        """The hub's signed answer that served the cosignature, the tree's root at its size
        (proven consistent with a signed checkpoint) and the keys ``party`` held."""
        core = self.core
        tree = core.copy.tree
        evidence: dict[str, Any] = {"size": size, "party": party, "line": line}
        answer = self.served.pop((size, party, line), None)
        latest = repo.latest_checkpoint()
        if answer is None or latest is None or not 0 < size <= latest.size <= tree.size:
            return evidence
        evidence.update(
            cosignatures_answer=answer.to_json(), checkpoint=latest.note,
            root=b64encode(tree.root(size)),
            consistency_proof=[b64encode(h) for h in tree.consistency_proof(size, latest.size)],
            keys=key_evidence(core, repo, party, latest.size, latest.size))
        return evidence

    def _fetch(self) -> None:
        """Store every cosignature the hub received since the cursor, unverified yet."""
        core = self.core
        with core.uow() as uow:
            cursor = int(uow.repo.get_meta(CURSOR) or 0)
        while True:
            served = core.client.cosignatures(since=cursor)
            answer = core.client.last_answer()
            fresh = [c for c in served if int(c.get("received_at", 0)) >= cursor]
            if answer is not None:
                for item in fresh:  # kept until checked: evidence, should one not verify
                    if len(self.served) < KEPT:
                        self.served[(item.get("size"), item.get("party"),
                                     item.get("line"))] = answer
            with core.uow() as uow:
                for item in fresh:
                    size, party, line = item.get("size"), item.get("party"), item.get("line")
                    if isinstance(size, int) and isinstance(party, str) and isinstance(line, str):
                        uow.repo.add_cosignature(size, party, line)
                newest = max((int(c.get("received_at", 0)) for c in fresh), default=cursor)
                uow.repo.set_meta(CURSOR, str(newest))
                uow.commit()
            if len(served) < PAGE or newest == cursor:
                return
            cursor = newest
