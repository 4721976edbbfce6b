"""Witnesses on the hub: their cosignatures, checked and stored, and what became final."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from gulfsec.adapters.clock import Clock
from gulfsec.adapters.storage.hub import StoredCosignature
from gulfsec.domain.regime import Regime
from gulfsec.errors import (
    AccessDenied,
    CheckpointSignatureError,
    LogVerificationError,
    NotFound,
)
from gulfsec.ledger.note import Checkpoint, parse_note, verify_cosignature
from gulfsec.services.hub.health import report_cosignature
from gulfsec.services.hub.state import HubState
from gulfsec.services.shared.time import micros
from gulfsec.services.shared.unit_of_work import UnitOfWork


class Witnesses:
    def __init__(self, regime: Regime, engine: Engine, state: HubState, clock: Clock) -> None:
        self.regime = regime
        self.engine = engine
        self.state = state
        self.clock = clock

    def wait_for_size(self, after: int, timeout: float) -> int:
        """Block until the log is larger than ``after`` or ``timeout`` passes; the size."""
        with self.state.changed:
            self.state.changed.wait_for(lambda: self.state.size > after, timeout=timeout)
            return self.state.size

    def add_cosignature(self, size: int, line: str) -> bool:
        """Store a witness's tlog-cosignature line on the checkpoint of ``size``.

        The witness must hold the regime's witness right; the line must verify under its active
        key. When the regime's quorum of witnesses has cosigned, the checkpoint is final, at
        the quorum-th earliest cosignature time. Returns False for a repeat.
        """
        with UnitOfWork(self.engine) as uow:
            stored = uow.repo.checkpoint_at(size)
        if stored is None:
            raise NotFound(f"no checkpoint of size {size}")
        checkpoint = Checkpoint(self.regime.log_origin, size, stored.root)
        try:
            sig = parse_note(checkpoint.body() + "\n" + line.rstrip("\n") + "\n").signatures[0]
        except LogVerificationError as exc:
            raise CheckpointSignatureError(f"cosignature: {exc.message}") from None
        if not self.regime.has_right(sig.name, "witness"):
            raise AccessDenied(f"{sig.name} is not a witness under regime {self.regime.id}")
        with self.state.lock:
            record = self.state.keyring.active_key(sig.name)
        if record is None:
            raise AccessDenied(f"{sig.name} has no registered key")
        cosig = verify_cosignature(checkpoint, sig, record.key)
        now = self.clock.now()
        with UnitOfWork(self.engine) as uow:
            added = uow.repo.add_cosignature(
                StoredCosignature(size, sig.name, record.key.key_id_hex, cosig.timestamp,
                                  sig.line()), micros(now))
            uow.commit()
        if added:
            with self.state.lock:
                self.state.finality.add(sig.name, size, cosig.timestamp)
            report_cosignature(self.state, sig.name)
        return added

    def cosignatures_since(self, since: int, limit: int = 1000) -> list[dict[str, object]]:
        """Cosignatures received at or after ``since`` (µs), oldest first, for nodes to verify
        themselves; ``received_at`` is the cursor for the next call."""
        with UnitOfWork(self.engine) as uow:
            rows = uow.repo.cosignatures_since(since, limit)
        return [{"size": size, "party": party, "line": line, "received_at": received}
                for size, party, line, received in rows]
