"""How the hub is doing, for its operator: one snapshot for ``/readyz``, the metrics and the
secretariat's page, and what the sequencer and the witnesses report as they work.

**Ready** means the hub can do its job now: its database answers, its log is loaded (it holds
the signed checkpoint it serves), and it can take entries — it sequences them with a running
sequencer, or, another front end on the same PostgreSQL database sequencing, it queues them for
that one (:mod:`.shared`). Silent witnesses do not make a hub unready (it still takes entries):
they show as finality lag, the entries logged but not yet final.

**Watchers.** The sequencer and the witnesses tell the watchers of the hub's state
(:func:`watch`) what they did: a batch committed, with how long each of its entries waited; a
witness's cosignature stored. The metrics (:mod:`gulfsec.adapters.metrics`) count them. A
watcher hangs on the state, not on the sequencer, because a front end that takes over
sequencing builds a new sequencer over the same state (:meth:`Hub.new_sequencer`). A watcher
that fails is logged and never disturbs the work it watches.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final, Protocol
from weakref import WeakKeyDictionary

from gulfsec.i18n import N_, gettext
from gulfsec.services.hub.state import HubState
from gulfsec.services.shared.time import micros
from gulfsec.services.shared.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from gulfsec.services.hub.hub import Hub

log = logging.getLogger("gulfsec.hub")

RECENT: Final = timedelta(minutes=15)
"""A cosignature received within this is recent (as a witness is silent after it on the
secretariat's page)."""

CHECK_WORDS: Final[Mapping[str, str]] = {
    "database": N_("the database does not answer"),
    "log": N_("the log is not loaded"),
    "intake": N_("it cannot take entries (no sequencer runs)"),
}
"""What each failing readiness check means, in words."""


@dataclass(frozen=True)
class HubHealth:
    """The hub as one process sees it at ``at``."""

    at: datetime
    database: bool
    """The database answered a query."""
    loaded: bool
    """The log is loaded: the process holds the signed checkpoint it serves."""
    sequencing: bool
    """This process sequences the log (``Hub.leading``)."""
    accepting: bool
    """It can take entries: it sequences them, or queues them for the process that does."""
    size: int
    final_size: int
    cosigned_recently: bool | None
    """A witness's cosignature was received within :data:`RECENT` (None: the database did not
    answer)."""

    @property
    def finality_lag(self) -> int:
        """Entries logged but not yet final."""
        return max(0, self.size - self.final_size)

    @property
    def checks(self) -> dict[str, bool]:
        return {"database": self.database, "log": self.loaded, "intake": self.accepting}

    @property
    def ready(self) -> bool:
        return all(self.checks.values())

    @property
    def failing(self) -> list[str]:
        return [name for name, ok in self.checks.items() if not ok]

    @property
    def failing_words(self) -> list[str]:
        return [gettext(CHECK_WORDS[name]) for name in self.failing]

    @property
    def recent_minutes(self) -> int:
        return int(RECENT.total_seconds() // 60)


def hub_health(hub: Hub) -> HubHealth:
    """The hub's health now: two small queries (is there a checkpoint; any cosignature
    lately), the rest from memory. Never raises: a database that fails is a check that fails."""
    now = hub.clock.now()
    state = hub.state
    with state.lock:
        size = state.size
        loaded = state.checkpoint is not None
        final_size = state.finality.final_size
    recent: bool | None
    try:
        with UnitOfWork(hub.engine) as uow:
            uow.repo.latest_checkpoint()
            recent = bool(uow.repo.cosignatures_since(micros(now - RECENT), 1))
        database = True
    except Exception as exc:  # any failure to answer is what this check reports
        log.warning("readiness: the database does not answer (%s)", exc.__class__.__name__)
        database, recent = False, None
    return HubHealth(now, database, loaded, hub.leading, _accepting(hub), size, final_size,
                     recent)


def _accepting(hub: Hub) -> bool:
    if hub.leading:
        return hub.sequencer.running
    return hub.shared is not None  # it queues entries for the process that sequences


# -- watchers ------------------------------------------------------------------------------------


class HubWatcher(Protocol):
    def batch_sequenced(self, entries: int, waits: Iterable[float]) -> None:
        """A batch of ``entries`` handed in together was settled; ``waits``: for each entry
        it logged, the seconds from its arrival at the sequencer to the commit."""

    def cosignature_received(self, witness: str) -> None:
        """``witness``'s cosignature on a checkpoint was checked and stored."""


_watchers: WeakKeyDictionary[HubState, tuple[HubWatcher, ...]] = WeakKeyDictionary()
_lock = threading.Lock()


def watch(state: HubState, watcher: HubWatcher) -> None:
    """Tell ``watcher`` what the sequencer and the witnesses of ``state``'s hub do."""
    with _lock:
        _watchers[state] = (*_watchers.get(state, ()), watcher)


def unwatch(state: HubState, watcher: HubWatcher) -> None:
    with _lock:
        left = tuple(w for w in _watchers.get(state, ()) if w is not watcher)
        if left:
            _watchers[state] = left
        else:
            _watchers.pop(state, None)


def report_batch(state: HubState, entries: int, arrivals: Iterable[float]) -> None:
    """A batch of ``entries`` was settled now; ``arrivals``: when each entry it logged reached
    the sequencer (``time.monotonic``)."""
    watchers = _watchers.get(state, ())
    if watchers:
        done = time.monotonic()
        waits = [done - arrived for arrived in arrivals]
        _tell(watchers, lambda w: w.batch_sequenced(entries, waits))


def report_cosignature(state: HubState, witness: str) -> None:
    watchers = _watchers.get(state, ())
    if watchers:
        _tell(watchers, lambda w: w.cosignature_received(witness))


def _tell(watchers: tuple[HubWatcher, ...], event: Callable[[HubWatcher], None]) -> None:
    for watcher in watchers:
        try:
            event(watcher)
        except Exception:  # a watcher must never disturb what it watches
            log.exception("a watcher of the hub failed")
