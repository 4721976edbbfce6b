"""Finality as this node knows it: the witnesses' cosignatures, fetched from the hub and each
verified against the node's own tree, never the hub's word (rule: :mod:`gulfsec.ledger.finality`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gulfsec.adapters.cores import map_chunks
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
CHUNK = 32
"""Cosignatures one core checks at a time."""


def check_cosignature(origin: str, size: int, party: str, line: str,
                      keys: dict[str, list[VerifierKey]], tree: MerkleTree) -> int:
    """Verify a cosignature line against ``tree``'s own root at ``size``; return its time."""
    return cosignature_time(Checkpoint(origin, size, tree.root(size)), party, line, keys)


def cosignature_time(checkpoint: Checkpoint, party: str, line: str,
                     keys: dict[str, list[VerifierKey]]) -> int:
    """Verify a cosignature line by ``party`` on ``checkpoint``; return its time."""
    size = checkpoint.size
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
        self.checked_up_to = -1
        """Every cosignature kept on a size up to this one is checked (verified, or dropped
        with an alarm): what is left to check lies above it, or was kept since."""

    def learn(self, report: SyncReport) -> int:
        """Fetch the witnesses' cosignatures, verify each against the node's own tree, and
        extend what the node knows to be final. Returns how many entries became final.

        What is fetched is kept and checked in one transaction; the checks run in bulk on
        every core, and read only the cosignatures not checked yet (never the whole history).
        """
        core = self.core
        finality = core.copy.finality
        before = finality.final_size
        fetched, cursor = self._fetch()
        keys = core.witness_keys()
        tree = core.copy.tree
        floor = min(self.checked_up_to, tree.size)
        with core.uow() as uow:
            kept = uow.repo.add_cosignatures(fetched)
            if fetched:
                uow.repo.set_meta(CURSOR, str(cursor))
            pending = sorted([*uow.repo.unverified_cosignatures(tree.size, above=floor),
                              *(c for c in kept if c[0] <= floor)], key=lambda c: c[0])
            roots = {size: tree.root(size) for size in {c[0] for c in pending}}
            origin = core.regime.log_origin

            def check(part: Sequence[tuple[int, str, str]]) -> list[int | CheckpointError]:
                return [_checked(Checkpoint(origin, size, roots[size]), party, line, keys)
                        for size, party, line in part]

            verified: list[tuple[int, str, int]] = []
            for (size, party, line), when in zip(pending, map_chunks(check, pending, CHUNK),
                                                 strict=True):
                if isinstance(when, CheckpointError):
                    core.alarm(uow.repo, "bad_cosignature",
                               f"the hub served a cosignature by {party} on size {size} that "
                               f"does not verify: {when.message}",
                               self._evidence(uow.repo, size, party, line))
                    report.alarms.append(f"bad_cosignature: {party} on size {size}")
                    uow.repo.set_cosignature(size, party, None)
                    continue
                verified.append((size, party, when))
                self.served.pop((size, party, line), None)
                finality.add(party, size, when)
            uow.repo.verify_cosignatures(verified)
            uow.commit()
        self.checked_up_to = max(floor, tree.size)
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

    def _fetch(self) -> tuple[list[tuple[int, str, str]], int]:
        """Every cosignature the hub received since the cursor, oldest first, and the cursor
        to keep once they are: (size, party, line) each."""
        core = self.core
        with core.uow() as uow:
            cursor = int(uow.repo.get_meta(CURSOR) or 0)
        out: list[tuple[int, str, str]] = []
        while True:
            served = core.client.cosignatures(since=cursor)
            answer = core.client.last_answer()
            fresh = [c for c in served if int(c.get("received_at", 0)) >= cursor]
            if answer is not None:
                for item in fresh:  # kept until checked: evidence, should one not verify
                    if len(self.served) < KEPT:
                        self.served[(item.get("size"), item.get("party"),
                                     item.get("line"))] = answer
            for item in fresh:
                size, party, line = item.get("size"), item.get("party"), item.get("line")
                if isinstance(size, int) and isinstance(party, str) and isinstance(line, str):
                    out.append((size, party, line))
            newest = max((int(c.get("received_at", 0)) for c in fresh), default=cursor)
            if len(served) < PAGE or newest == cursor:
                return out, newest
            cursor = newest


def _checked(checkpoint: Checkpoint, party: str, line: str,
             keys: dict[str, list[VerifierKey]]) -> int | CheckpointError:
    """A cosignature's time, or why it does not verify on the node's own ``checkpoint``."""
    try:
        return cosignature_time(checkpoint, party, line, keys)
    except CheckpointError as exc:
        return exc
