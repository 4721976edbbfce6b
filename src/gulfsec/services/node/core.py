"""What every part of a node shares: who it is, its ports, and its verified copy in memory.

The parts of a node (:mod:`.outbox`, :mod:`.sync`, :mod:`.intake`, :mod:`.witness`,
:mod:`.finality`, :mod:`.acknowledgements`, :mod:`.audit`) each hold the one :class:`NodeCore`
of their node. Its in-memory copy (:class:`Copy`: the Merkle tree, the keyring, each sender's
last sequence number, what the witnesses made final) is rebuilt from the node's own database by
:meth:`NodeCore.load` and kept up to date by the parts as they store what verified.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gulfsec.adapters.clock import Clock
from gulfsec.adapters.hubclient import HubClient
from gulfsec.adapters.storage.node import NodeRepository
from gulfsec.domain.entry import parse_signed_entry
from gulfsec.domain.keyring import Keyring
from gulfsec.domain.keys import SigningKey, VerifierKey
from gulfsec.domain.regime import Regime
from gulfsec.errors import EntryError, LogVerificationError
from gulfsec.ledger.finality import WitnessFinality
from gulfsec.ledger.tree import MerkleTree
from gulfsec.services.shared.time import micros
from gulfsec.services.shared.unit_of_work import AbstractUnitOfWork

log = logging.getLogger("gulfsec.node")

PeerFetcher = Callable[[str], str | None]
"""Given a peer node's URL, the checkpoint note it was last shown (or None if it has none)."""

SHOWN_CHECKPOINT = "shown_checkpoint"
"""Meta key: the largest checkpoint the hub showed this node, accepted or not."""

UnitOfWorkFactory = Callable[[], AbstractUnitOfWork[NodeRepository]]


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
class Copy:
    """The node's verified copy of the log, in memory."""

    tree: MerkleTree
    keyring: Keyring
    last_seq: dict[str, int]
    finality: WitnessFinality


class NodeCore:
    """One participant's node: its identity, ports and in-memory copy, shared by its parts."""

    def __init__(self, regime: Regime, uow: UnitOfWorkFactory, party: str, key: SigningKey,
                 client: HubClient, log_key: VerifierKey, clock: Clock) -> None:
        regime.participant(party)
        if key.name != party:
            raise EntryError(f"the key is {key.name}'s, not {party}'s")
        self.regime = regime
        self.uow = uow
        self.party = party
        self.key = key
        self.client = client
        self.log_key = log_key
        self.clock = clock
        self.lock = threading.RLock()
        """One sync or send at a time."""
        self.copy = Copy(MerkleTree(self.stored_leaves), Keyring(regime.secretariat.code), {},
                         WitnessFinality(regime.witness_quorum))
        self.on_load: list[Callable[[], None]] = []
        """Called after each :meth:`load`, for parts that keep derived state."""

    def load(self, *, check_tree: bool = True) -> None:
        """Rebuild the in-memory copy from the node's own database, checking it.

        ``check_tree=False`` loads a tree that does not match the latest checkpoint instead of
        refusing it: for the audit, which must still run and report each problem.
        """
        with self.lock, self.uow() as uow:
            # Another process (the serving node) may store a round meanwhile, and each
            # statement sees what is committed when it runs: the tree is read again until the
            # latest checkpoint is the same before and after it.
            for _ in range(5):
                latest = uow.repo.latest_checkpoint()
                tree = MerkleTree(self.stored_leaves)
                tree.extend_stored(uow.repo.all_leaves())
                again = uow.repo.latest_checkpoint()
                if (None if again is None else again.size) == (
                        None if latest is None else latest.size):
                    break
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
        tree.settle(tree.size)  # read from the database: keep only the tree's upper levels
        self.copy = Copy(tree, keyring, last_seq, finality)
        for hook in self.on_load:
            hook()

    def stored_leaves(self, start: int, end: int) -> list[bytes]:
        """The leaves (entry ids) the node's database holds at ``start`` ≤ index < ``end``:
        what its tree reads back of the blocks it let go (:meth:`MerkleTree.settle`)."""
        with self.uow() as uow:
            return uow.repo.leaves(start, end)

    def alarm(self, repo: NodeRepository, kind: str, message: str,
              evidence: dict[str, Any]) -> None:
        """Raise an alarm in ``repo``'s transaction (once per kind and message)."""
        if repo.has_alarm(kind, message):
            return
        log.error("%s ALARM %s: %s", self.party, kind, message)
        repo.add_alarm(kind, message, evidence, micros(self.clock.now()))

    def raise_alarm(self, report: SyncReport, kind: str, message: str,
                    evidence: dict[str, Any]) -> None:
        """Raise an alarm in a transaction of its own, and note it in ``report``."""
        with self.uow() as uow:
            self.alarm(uow.repo, kind, message, evidence)
            uow.commit()
        report.alarms.append(f"{kind}: {message}")

    def final_at(self, index: int) -> datetime | None:
        """When the entry at ``index`` became final (:mod:`gulfsec.ledger.finality`)."""
        when = self.copy.finality.final_at(index)
        return None if when is None else datetime.fromtimestamp(when, UTC)

    def witness_keys(self, keyring: Keyring | None = None) -> dict[str, list[VerifierKey]]:
        """Every key each witness party has held (a cosignature stays valid after rotation)."""
        keys: dict[str, list[VerifierKey]] = {}
        witnesses = set(self.regime.witnesses())
        for record in (keyring or self.copy.keyring).records():
            if record.party in witnesses:
                keys.setdefault(record.party, []).append(record.key)
        return keys

