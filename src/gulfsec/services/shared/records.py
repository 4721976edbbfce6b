"""Compliance findings, computed where the data is: on the hub over its log, on a node over its
own verified copy (DESIGN.md §7).

Both feed the same incremental :class:`~gulfsec.domain.compliance.ComplianceEngine` from a
*record source*: the entries a viewer holds, in log order, with the finality time each has
(:class:`gulfsec.services.hub.records.HubRecords`, :class:`gulfsec.services.node.records.
NodeRecords`). The hub can compute for any viewer (a participant sees only what it may read),
so the hub's answer to a participant and that participant's own node agree on the same data.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from gulfsec.domain.compliance import ComplianceEngine, Finding, LogRecord
from gulfsec.domain.regime import Regime


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while the engine takes in many records.

    Taking in a log makes a few small objects per record and per finding, none of them cyclic
    garbage; left running, the collector rescans the growing heap over and over (more than a
    third of the time of a full evaluation). The pause is process-wide, so it is this service's
    decision, not the pure engine's: it lasts one intake and is undone after it, if the
    collector was on.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class RecordSource(Protocol):
    def records_after(self, index: int) -> Iterator[LogRecord]:
        """Records with a larger log index, in log order (with their finality so far)."""
        ...

    def finality(self) -> Callable[[int], datetime | None]:
        """A lookup: log index → the entry's finality time, or None while not final."""
        ...

    def generation(self) -> int:
        """Changes when a record was added behind the last one taken in (an entry the hub
        withheld, had later from its sender's node): the engine then starts over."""
        ...


class HeldRecords:
    """The records of ``forms`` that ``source`` gives, kept up to date (new records, finality
    learnt since, a start over when one landed behind) on each :meth:`records`; thread-safe."""

    def __init__(self, source: RecordSource, forms: Collection[str]) -> None:
        self.source = source
        self.forms = frozenset(forms)
        self._records: dict[int, LogRecord] = {}
        self._not_final: set[int] = set()
        self._last = -1
        self._generation = source.generation()
        self._lock = threading.Lock()

    def records(self) -> list[LogRecord]:
        """Every record held so far, in log order."""
        with self._lock:
            generation = self.source.generation()
            if generation != self._generation:  # an entry landed behind: start over
                self._records.clear()
                self._not_final.clear()
                self._last = -1
                self._generation = generation
            final = self.source.finality()
            for index in sorted(self._not_final):
                when = final(index)
                if when is not None:
                    self._records[index] = replace(self._records[index], final_at=when)
                    self._not_final.discard(index)
            for record in self.source.records_after(self._last):
                self._last = max(self._last, record.index)
                if record.entry.entry.form not in self.forms:
                    continue
                self._records[record.index] = record
                if record.final_at is None:
                    self._not_final.add(record.index)
            return [self._records[i] for i in sorted(self._records)]


class Compliance:
    """An incremental engine kept up to date from a record source; thread-safe."""

    def __init__(self, regime: Regime, source: RecordSource, *,
                 since_year: int | None = None) -> None:
        self.regime = regime
        self.since_year = since_year
        self.engine = ComplianceEngine(regime, since_year=since_year)
        self.source = source
        self._last = -1
        self._not_final: set[int] = set()
        self._generation = source.generation()
        self._lock = threading.Lock()

    def refresh(self) -> None:
        """Take in new records and finality times learnt since the last call."""
        with self._lock, collector_paused():
            generation = self.source.generation()
            if generation != self._generation:
                self.engine = ComplianceEngine(self.regime, since_year=self.since_year)
                self._last = -1
                self._not_final.clear()
                self._generation = generation
            final = self.source.finality()
            for index in sorted(self._not_final):
                when = final(index)
                if when is not None:
                    self.engine.update_finality(index, when)
                    self._not_final.discard(index)
            for record in self.source.records_after(self._last):
                self.engine.add(record)
                if record.final_at is None:
                    self._not_final.add(record.index)
                self._last = record.index

    def findings(self, now: datetime, party: str | None = None,
                 year: int | None = None) -> list[Finding]:
        self.refresh()
        with self._lock, collector_paused():
            return self.engine.findings(now, party=party, year=year)
