"""The hub's log as compliance records: everything, or what one party may read."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator
from datetime import datetime
from typing import Generic, TypeVar

from gulfsec.domain.compliance import LogRecord
from gulfsec.domain.entry import parse_signed_entry
from gulfsec.services.hub.hub import Hub
from gulfsec.services.shared.consultations import CONSULTATION_FORMS, Consultations
from gulfsec.services.shared.decisions import DECISION_FORMS, DecisionRecords
from gulfsec.services.shared.records import Compliance
from gulfsec.services.shared.risk import RISK_FORMS, RiskRecords
from gulfsec.services.shared.scorecards import Scorecards
from gulfsec.services.shared.time import from_micros
from gulfsec.services.shared.unit_of_work import UnitOfWork

_MAX_RAW = 1 << 22
T = TypeVar("T")
_PAGE = 5_000


PUBLIC = "-"
"""The viewer who reads only what is addressed to all."""


class HubRecords:
    """The hub's log as records: everything, what one party may read, or (``PUBLIC``) what is
    addressed to all; of ``forms`` only, if given."""

    def __init__(self, hub: Hub, viewer: str | None = None, *,
                 forms: Collection[str] | None = None) -> None:
        self.hub = hub
        self.viewer = viewer
        self.forms = forms

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
                    rows = uow.repo.entries_after(after, _PAGE, forms=self.forms)
                elif self.viewer == PUBLIC:
                    rows = uow.repo.public_entries(after, _PAGE, forms=self.forms)
                else:
                    rows = uow.repo.visible_entries(self.viewer, after, _PAGE,
                                                    forms=self.forms)
            rows = [r for r in rows if r.index < size]
            if not rows:
                return
            for row in rows:
                signed = parse_signed_entry(row.raw, max_bytes=_MAX_RAW)
                yield LogRecord(row.index, signed, final(row.index),
                                from_micros(row.sequenced_at))
            after = rows[-1].index


class PerViewer(Generic[T]):
    """One view of the hub's log per viewer (None: the whole log; ``PUBLIC``: what is addressed
    to all), made on first use by ``make`` and shared by the API and the pages; thread-safe."""

    def __init__(self, hub: Hub, make: Callable[[Hub, str | None], T]) -> None:
        self.hub = hub
        self._make = make
        self._views: dict[str | None, T] = {}
        self._lock = threading.Lock()

    def for_viewer(self, viewer: str | None) -> T:
        with self._lock:
            found = self._views.get(viewer)
            if found is None:
                found = self._make(self.hub, viewer)
                self._views[viewer] = found
            return found


class ComplianceByViewer(PerViewer[Compliance]):
    """One incremental compliance engine per viewer of the hub's log."""

    def __init__(self, hub: Hub) -> None:
        super().__init__(hub, lambda h, v: Compliance(h.regime, HubRecords(h, v)))


class DecisionsByViewer(PerViewer[DecisionRecords]):
    """The decisions each viewer of the hub's log holds (``PUBLIC``: those addressed to all)."""

    def __init__(self, hub: Hub) -> None:
        super().__init__(hub, lambda h, v: DecisionRecords(
            h.regime, HubRecords(h, v, forms=DECISION_FORMS)))


class ConsultationsByViewer(PerViewer[Consultations]):
    """The threads, meetings and mediations each viewer of the hub's log takes part in (None:
    all of them, for the secretariat's calendar)."""

    def __init__(self, hub: Hub, decisions: DecisionsByViewer) -> None:
        super().__init__(hub, lambda h, v: Consultations(
            h.regime, HubRecords(h, v, forms=CONSULTATION_FORMS), decisions.for_viewer(v)))


class RiskByViewer(PerViewer[RiskRecords]):
    """The unusual-activity cases and incidents each viewer of the hub's log may read (None:
    all of them, for the secretariat; ``PUBLIC``: those addressed to all)."""

    def __init__(self, hub: Hub) -> None:
        super().__init__(hub, lambda h, v: RiskRecords(HubRecords(h, v, forms=RISK_FORMS)))


def hub_scorecards(hub: Hub, compliance: Compliance | None = None) -> Scorecards:
    """Findings from every entry in the hub's log (sharing ``compliance``, an engine over the
    whole log, when one is kept already)."""
    engine = compliance if compliance is not None else Compliance(hub.regime, HubRecords(hub))
    return Scorecards(hub.regime, engine, hub.clock)
