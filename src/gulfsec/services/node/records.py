"""A node's own verified copy as compliance records."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from gulfsec.domain.compliance import LogRecord
from gulfsec.domain.entry import parse_signed_entry
from gulfsec.services.node.core import NodeCore
from gulfsec.services.node.withheld import withheld_ids
from gulfsec.services.shared.records import Compliance
from gulfsec.services.shared.scorecards import Scorecards
from gulfsec.services.shared.time import from_micros

if TYPE_CHECKING:
    from gulfsec.services.node.node import Node

_MAX_RAW = 1 << 22


class _HasCore(Protocol):
    @property
    def core(self) -> NodeCore: ...


class NodeRecords:
    """A node's own verified copy as records (of ``forms`` only, if given)."""

    def __init__(self, node: NodeCore | _HasCore, *,
                 forms: Collection[str] | None = None) -> None:
        self.core = node if isinstance(node, NodeCore) else node.core
        self.forms = forms

    def finality(self) -> Callable[[int], datetime | None]:
        return self.core.final_at

    def generation(self) -> int:
        return len(withheld_ids(self.core))

    def records_after(self, index: int) -> Iterator[LogRecord]:
        final = self.finality()
        with self.core.uow() as uow:
            rows = uow.repo.entries_from(index, forms=self.forms)
        for row in rows:  # a node holds what its party may read: thousands, not millions
            signed = parse_signed_entry(row.raw, max_bytes=_MAX_RAW)
            yield LogRecord(row.index, signed, final(row.index), from_micros(row.sequenced_at))


def node_scorecards(node: Node) -> Scorecards:
    """Findings from what the node holds: only the entries addressed to its party or to all."""
    return Scorecards(node.regime, Compliance(node.regime, NodeRecords(node)), node.clock)
