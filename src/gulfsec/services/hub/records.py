"""The hub's log as compliance records: everything, or what one party may read."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime

from gulfsec.domain.compliance import LogRecord
from gulfsec.domain.entry import parse_signed_entry
from gulfsec.services.hub.hub import Hub
from gulfsec.services.shared.records import Compliance
from gulfsec.services.shared.scorecards import Scorecards
from gulfsec.services.shared.time import from_micros
from gulfsec.services.shared.unit_of_work import UnitOfWork

_MAX_RAW = 1 << 22
_PAGE = 5_000


class HubRecords:
    """The hub's log as records: everything, or what one party may read."""

    def __init__(self, hub: Hub, viewer: str | None = None) -> None:
        self.hub = hub
        self.viewer = viewer

    def finality(self) -> Callable[[int], datetime | None]:
        return self.hub.state.finality.final_at

    def generation(self) -> int:
        return 0  # the hub takes in its log in order: nothing lands behind

    def records_after(self, index: int) -> Iterator[LogRecord]:
        final = self.finality()
        size = self.hub.state.size
        after = index
        while True:
            with UnitOfWork(self.hub.engine) as uow:
                if self.viewer is None:
                    rows = uow.repo.entries_after(after, _PAGE)
                else:
                    rows = uow.repo.visible_entries(self.viewer, after, _PAGE)
            rows = [r for r in rows if r.index < size]
            if not rows:
                return
            for row in rows:
                signed = parse_signed_entry(row.raw, max_bytes=_MAX_RAW)
                yield LogRecord(row.index, signed, final(row.index),
                                from_micros(row.sequenced_at))
            after = rows[-1].index


class ComplianceByViewer:
    """One incremental compliance engine per viewer of the hub's log (None: the whole log),
    made on first use and shared by the API and the pages; thread-safe."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._engines: dict[str | None, Compliance] = {}
        self._lock = threading.Lock()

    def for_viewer(self, viewer: str | None) -> Compliance:
        with self._lock:
            found = self._engines.get(viewer)
            if found is None:
                found = Compliance(self.hub.regime, HubRecords(self.hub, viewer))
                self._engines[viewer] = found
            return found


def hub_scorecards(hub: Hub, compliance: Compliance | None = None) -> Scorecards:
    """Findings from every entry in the hub's log (sharing ``compliance``, an engine over the
    whole log, when one is kept already)."""
    engine = compliance if compliance is not None else Compliance(hub.regime, HubRecords(hub))
    return Scorecards(hub.regime, engine, hub.clock)
