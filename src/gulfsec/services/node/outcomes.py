"""The chair's outcomes, recomputed: ``bad_outcome`` when the chair's signed outcome of a draft
decision contradicts what the positions in the node's own copy make of it.

Each round, after the finality times are learnt, the node judges every draft it holds with the
same pure rules as everyone (:mod:`gulfsec.domain.procedures.decisions`); a chair's
``decision-outcome@1`` that disagrees — or that was signed before the draft closed — raises
the alarm once, with the signed entries it rests on (the draft, every step on it, the chair's
outcome) and the finality time of each as this node knows it, so anyone can recompute it.
"""

from __future__ import annotations

from typing import Any

from gulfsec.domain.encoding import format_time
from gulfsec.domain.procedures.decisions import Decision
from gulfsec.i18n import N_
from gulfsec.services.node.core import NodeCore, SyncReport
from gulfsec.services.shared.decisions import DecisionRecords


class OutcomeCheck:
    def __init__(self, core: NodeCore, decisions: DecisionRecords) -> None:
        self.core = core
        self.decisions = decisions

    def run(self, report: SyncReport) -> None:
        for decision in self.decisions.decisions(self.core.clock.now()):
            if decision.contradiction is None:
                continue
            message = N_("the chair's outcome of draft {draft} ({title}) contradicts the "
                         "positions: {why}").format(draft=decision.id, title=repr(decision.title),
                                                    why=decision.contradiction)
            self.core.raise_alarm(report, "bad_outcome", message, self._evidence(decision))

    def _evidence(self, decision: Decision) -> dict[str, Any]:
        wanted = {decision.index, *(s.index for s in decision.steps)}
        with self.core.uow() as uow:
            held = [e for e in uow.repo.entries_from(min(wanted) - 1) if e.index in wanted]
        return {
            "draft": decision.id, "computed": decision.status, "why": decision.why,
            "contradiction": decision.contradiction,
            "entries": [{"index": e.index, "entry": e.raw.decode("utf-8"),
                         "final_at": None if (f := self.core.final_at(e.index)) is None
                         else format_time(f)} for e in held]}
