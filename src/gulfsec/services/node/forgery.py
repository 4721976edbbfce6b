"""An entry the log holds whose signature does not verify: ``forged_entry``, and no cosignature.

The node finds it in the hub's tree, where it is (its leaf matches), yet its signature does not
verify under its sender's keys as the log stood: the hub sequenced a forgery. The node keeps it
aside, raises ``forged_entry`` with evidence a third party can check with the log key (the
entry, its inclusion in a signed tree, and every key entry of its sender and of the secretariat
before it, each with its inclusion: replayed, they give the keys the signature fails under),
and from then on cosigns no checkpoint whose tree holds it: the alarm stands.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from gulfsec.adapters.storage.node import NodeEntry, NodeRepository
from gulfsec.domain.encoding import b64encode
from gulfsec.domain.entry import SignedEntry
from gulfsec.services.node.core import NodeCore, SyncReport
from gulfsec.services.shared.time import micros

FORGED = "forged_indexes"
"""Meta key: the log indexes of entries proven forged."""


def forged_indexes(repo: NodeRepository) -> list[int]:
    return list(json.loads(repo.get_meta(FORGED) or "[]"))


def key_evidence(core: NodeCore, repo: NodeRepository, party: str, before: int, size: int,
                 pending: Sequence[NodeEntry] = ()) -> list[dict[str, Any]]:
    """Every key entry of ``party`` and of the secretariat before index ``before``, each with
    its inclusion in the tree of ``size``: replayed, they give the keys ``party`` held."""
    tree = core.copy.tree
    return [{"entry": item.raw.decode("utf-8"), "index": item.index,
             "inclusion_proof": [b64encode(h) for h in tree.inclusion_proof(item.index, size)]}
            for item in (*repo.iter_entries(), *pending)
            if item.form.startswith("key-") and item.index < before
            and item.sender in (party, core.regime.secretariat.code)]


def forged(core: NodeCore, repo: NodeRepository, report: SyncReport, signed: SignedEntry,
           index: int, reason: str, pending: Sequence[NodeEntry] = ()) -> None:
    """Record a forgery at ``index`` in ``repo``'s transaction, with its evidence
    (``pending``: entries verified in the same page, not stored yet)."""
    repo.quarantine(index, signed.id_hex, signed.raw, reason, micros(core.clock.now()))
    known = forged_indexes(repo)
    if index not in known:
        repo.set_meta(FORGED, json.dumps(sorted([*known, index])))
    tree = core.copy.tree
    latest = repo.latest_checkpoint()
    evidence: dict[str, Any] = {"entry": signed.raw.decode("utf-8"), "index": index}
    if latest is not None and index < latest.size <= tree.size:
        size = latest.size
        evidence.update(checkpoint=latest.note,
                        keys=key_evidence(core, repo, signed.entry.sender, index, size, pending),
                        inclusion_proof=[b64encode(h) for h in tree.inclusion_proof(index, size)])
    message = (f"the log holds at index {index} an entry signed in {signed.entry.sender}'s "
               f"name that does not verify ({reason}): this node cosigns no tree that holds it")
    core.alarm(repo, "forged_entry", message, evidence)
    report.quarantined += 1
    report.alarms.append(f"forged_entry: {message}")
