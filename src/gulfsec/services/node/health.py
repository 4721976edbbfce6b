"""How a node is doing, for its operator: one snapshot for ``/readyz`` and the metrics.

**Ready** means the node serves a verified, current view: its database answers, it holds a
verified copy of the log (a checkpoint it accepted), and it synced recently — its last round
ended without an error (the hub answered, its checkpoint verified) within ``stale_after``. A
node that never synced in this process is not ready. Alarms (evidence against the hub) do not
make a node unready — it goes on serving what it verified, and says so — they are counted for
the operator to be told (the metrics) instead.

The sync runs in the node's own process (:class:`~.loop.SyncLoop`), so only that process knows
how its rounds went: a page worker hands ``/readyz`` and ``/metrics`` to it.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from gulfsec.errors import GulfsecError
from gulfsec.ledger.note import Checkpoint, parse_note
from gulfsec.services.node.core import SHOWN_CHECKPOINT
from gulfsec.services.node.node import Node

log = logging.getLogger("gulfsec.node")


@dataclass(frozen=True)
class NodeHealth:
    """The node as its process sees it at ``at``."""

    at: datetime
    database: bool
    size: int
    """The size of the latest checkpoint the node verified and holds."""
    hub_size: int | None
    """The size of the largest checkpoint the hub showed it, accepted or not (None: none)."""
    final_size: int
    last_sync: datetime | None
    """When the last sync round of this process ended (None: none did)."""
    sync_failed: bool
    """The last round ended with an error (the hub did not answer, or its checkpoint was
    refused)."""
    stale_after: timedelta
    outbox_pending: int | None = None
    """Entries signed and waiting to be delivered (None: not read)."""
    alarms: Mapping[str, int] = field(default_factory=dict)
    """The alarms the node holds, by kind (empty: not read, or none)."""

    @property
    def lag(self) -> int | None:
        """How far the node's verified copy is behind what the hub showed it, in entries."""
        return None if self.hub_size is None else max(0, self.hub_size - self.size)

    @property
    def seconds_since_sync(self) -> float | None:
        return None if self.last_sync is None else (self.at - self.last_sync).total_seconds()

    @property
    def synced(self) -> bool:
        since = self.seconds_since_sync
        return (since is not None and not self.sync_failed
                and since <= self.stale_after.total_seconds())

    @property
    def checks(self) -> dict[str, bool]:
        return {"database": self.database, "log": self.database and self.size > 0,
                "synced": self.synced}

    @property
    def ready(self) -> bool:
        return all(self.checks.values())

    @property
    def failing(self) -> list[str]:
        return [name for name, ok in self.checks.items() if not ok]


def node_health(node: Node, stale_after: timedelta, *, detail: bool = False) -> NodeHealth:
    """The node's health now; with ``detail``, also its outbox and alarms (for the metrics).
    Never raises: a database that fails is a check that fails."""
    now = node.clock.now()
    last_sync = node.sync.last_sync
    failed = node.last_error is not None
    size, hub_size, pending, alarms = 0, None, None, {}
    try:
        with node.uow() as uow:
            latest = uow.repo.latest_checkpoint()
            shown = uow.repo.get_meta(SHOWN_CHECKPOINT)
            if detail:
                pending = len(uow.repo.outbox_items(pending_only=True))
                alarms = dict(Counter(alarm.kind for alarm in uow.repo.alarms()))
        database = True
    except Exception as exc:  # any failure to answer is what this check reports
        log.warning("readiness: the node's database does not answer (%s)",
                    exc.__class__.__name__)
        database, latest, shown = False, None, None
    if latest is not None:
        size = latest.size
    if shown is not None:
        hub_size = _size_of(shown)
    return NodeHealth(now, database, size, hub_size, node.final_size, last_sync, failed,
                      stale_after, pending, alarms)


def _size_of(note: str) -> int | None:
    try:
        return Checkpoint.parse_body(parse_note(note).text).size
    except GulfsecError:
        return None
