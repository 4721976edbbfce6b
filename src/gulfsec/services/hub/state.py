"""The hub's in-memory view of the committed log, rebuilt from its database at start: the tree,
the keyring, each sender's next sequence number, the latest checkpoint and what is final."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine

from gulfsec.adapters.storage.hub import StoredCheckpoint
from gulfsec.domain.keyring import KeyRecord, Keyring
from gulfsec.domain.keys import VerifierKey
from gulfsec.domain.regime import Regime
from gulfsec.errors import EntryError, GulfsecError, StorageError
from gulfsec.ledger.finality import WitnessFinality
from gulfsec.ledger.note import verify_checkpoint
from gulfsec.ledger.tree import MerkleTree
from gulfsec.services.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Receipt:
    """What a submitter gets back once its entry is durably sequenced: where it is, and the
    promise that a checkpoint including it is published by ``promised_by`` (the regime's
    maximum merge delay after the answer). The API signs it with the log key."""

    entry_id: str
    index: int
    checkpoint_size: int
    promised_by: datetime
    duplicate: bool = False


@dataclass(frozen=True)
class ReadEntry:
    index: int
    entry_id: str
    raw: bytes
    sequenced_at: datetime
    final_at: datetime | None = None



def outcome_json(outcome: Receipt | GulfsecError) -> str:
    """What became of a queued entry (:mod:`.shared`), as the sequencer writes it down."""
    if isinstance(outcome, Receipt):
        return json.dumps({"receipt": {
            "entry_id": outcome.entry_id, "index": outcome.index,
            "checkpoint_size": outcome.checkpoint_size,
            "promised_by": outcome.promised_by.isoformat(), "duplicate": outcome.duplicate}})
    return json.dumps({"error": outcome.to_dict()})


def outcome_from_json(text: str) -> Receipt | GulfsecError:
    """The receipt or the refusal that :func:`outcome_json` wrote down (a refusal of the class
    it had, with its details, so the API answers it as if it were sequenced here)."""
    data = json.loads(text)
    if "receipt" in data:
        r = data["receipt"]
        return Receipt(str(r["entry_id"]), int(r["index"]), int(r["checkpoint_size"]),
                       datetime.fromisoformat(r["promised_by"]), bool(r["duplicate"]))
    said: dict[str, Any] = dict(data["error"])
    cls = _error_classes().get(str(said.pop("error", "")), StorageError)
    exc = cls.__new__(cls)
    message = str(said.pop("message", "refused"))
    Exception.__init__(exc, message)
    exc.message = message
    if isinstance(exc, EntryError):
        exc.entry_id = None
    for name, value in said.items():
        setattr(exc, name, value)
    return exc


def _error_classes() -> dict[str, type[GulfsecError]]:
    found: dict[str, type[GulfsecError]] = {}
    todo: list[type[GulfsecError]] = [GulfsecError]
    while todo:
        cls = todo.pop()
        found.setdefault(cls.code, cls)
        todo.extend(cls.__subclasses__())
    return found


class HubState:
    """The hub's in-memory view of the committed log; rebuilt from the database at start."""

    def __init__(self, regime: Regime) -> None:
        self.regime = regime
        self.tree = MerkleTree()
        self._keyring = Keyring(regime.secretariat.code)
        self.joined: dict[str, int] = {}
        self.next_seq: dict[str, int] = {}
        self.checkpoint: StoredCheckpoint | None = None
        self.finality = FinalityIndex(regime.witness_quorum)
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.listeners: list[Callable[[int], None]] = []

    def notify_new_checkpoint(self) -> None:
        with self.changed:
            self.changed.notify_all()
            size = self.size
        for listener in list(self.listeners):
            listener(size)

    def load(self, engine: Engine, log_key: VerifierKey) -> None:
        def stored(start: int, end: int) -> list[bytes]:
            with UnitOfWork(engine) as uow:
                return uow.repo.entry_ids_range(start, end)

        with UnitOfWork(engine) as uow:
            tree = MerkleTree(stored)
            tree.extend_stored(uow.repo.entry_ids())
            latest = uow.repo.latest_checkpoint()
            keyring = Keyring(self.regime.secretariat.code, [
                KeyRecord(row.party, VerifierKey.parse(row.vkey), row.registered_at,
                          row.revoked_at)
                for row in uow.repo.all_keys()
            ])
            next_seq = uow.repo.next_seqs()
            cosigs = uow.repo.all_cosignatures()
        if latest is None:
            if tree.size:
                raise StorageError("the log holds entries but no checkpoint")
        else:
            checkpoint, _ = verify_checkpoint(latest.note, log_key)
            if checkpoint.size != tree.size or tree.root(tree.size) != checkpoint.root:
                raise StorageError(
                    f"stored tree (size {tree.size}) does not match the latest signed "
                    f"checkpoint (size {checkpoint.size}); refusing to start"
                )
        tree.settle(tree.size)  # what was read is stored: keep only the tree's upper levels
        with self.lock:
            self.tree = tree
            self.checkpoint = latest
            self.keyring = keyring
            self.next_seq = next_seq
            self.finality = FinalityIndex(self.regime.witness_quorum, cosigs)

    @property
    def size(self) -> int:
        return 0 if self.checkpoint is None else self.checkpoint.size

    @property
    def keyring(self) -> Keyring:
        """The keys as the committed log stands (replaced whole, never changed in place)."""
        return self._keyring

    @keyring.setter
    def keyring(self, keyring: Keyring) -> None:
        self._keyring = keyring
        self.joined = keyring.joined()


class FinalityIndex:
    """For any log index, when it became final (DESIGN.md §4), from the witnesses' verified
    cosignatures; see :mod:`gulfsec.ledger.finality` for the rule."""

    def __init__(self, quorum: int, cosignatures: Sequence[tuple[str, int, int]] = ()) -> None:
        self._finality = WitnessFinality(quorum)
        for party, size, timestamp in cosignatures:
            self._finality.add(party, size, timestamp)

    def add(self, party: str, size: int, timestamp: int) -> None:
        self._finality.add(party, size, timestamp)

    @property
    def final_size(self) -> int:
        return self._finality.final_size

    def final_at(self, index: int) -> datetime | None:
        when = self._finality.final_at(index)
        return None if when is None else datetime.fromtimestamp(when, UTC)

    def vouchers(self, index: int) -> dict[str, int]:
        return self._finality.vouchers(index)
