"""The compliance scorecard on the pages: the one adapter between them and the compliance engine.

A node computes findings from its own verified copy (what it holds, with the finality times it
learnt); the hub from every entry in its log. Both go through the compliance service
(:mod:`gulfsec.services.shared.records`, an incremental engine over a record source) and turn its
findings into rows for the pages: overdue first (as the engine orders them), each with its
evidence as entry ids to link to.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from gulfsec.adapters.clock import Clock
from gulfsec.domain.compliance import OVERDUE, RULES, Finding, obliged_parties
from gulfsec.domain.regime import Regime
from gulfsec.services.shared.cache import StateCache
from gulfsec.services.shared.records import Compliance

RULE_TITLES: Final[Mapping[str, str]] = {rule.name: rule.title for rule in RULES}
"""Each rule's title, from the rule's own module."""
STATUS_WORDS: Final[Mapping[str, str]] = {
    "missing": "missing",
    "breached": "breached",
    "late": "late",
    "pending": "pending",
    "met": "met",
}


SHOWN: Final = 200
"""Findings shown on a page; the CLI and the API give them all."""


@dataclass(frozen=True)
class FindingRow:
    party: str
    rule: str
    rule_title: str
    status: str
    due: datetime | None
    evidence: tuple[str, ...]
    detail: str
    year: int | None
    subject: str | None

    @property
    def overdue(self) -> bool:
        return self.status in OVERDUE

    @property
    def status_words(self) -> str:
        return STATUS_WORDS.get(self.status, self.status)


@dataclass(frozen=True)
class Scorecard:
    rows: list[FindingRow]
    party: str | None
    """The party the rows are about, or None for every party."""
    parties: tuple[str, ...]
    """The parties that owe reports, for the filter."""
    counts: Mapping[str, int]
    at: datetime
    total: int = 0
    """How many findings there are in all (the rows may show fewer)."""


def _row(finding: Finding) -> FindingRow:
    title = RULE_TITLES.get(finding.rule, finding.rule.replace("-", " ").capitalize())
    return FindingRow(finding.party, finding.rule, title, finding.status, finding.due,
                      tuple(finding.evidence), finding.detail, finding.year, finding.subject)


class Scorecards:
    """The scorecard of one node or hub, from an incremental compliance engine kept with it
    (:class:`gulfsec.services.shared.records.Compliance`): each page takes in only what is new.

    Given ``state`` (a cheap token of the log the engine reads: a node's
    :func:`gulfsec.services.node.views.log_state`, the hub's size), the findings are computed
    once per state and minute for every party at once, each party's scorecard once from them,
    and a request waits only for a state it is the first to ask for
    (:class:`~gulfsec.services.shared.cache.StateCache`); without it, each call computes.
    """

    def __init__(self, regime: Regime, compliance: Compliance, clock: Clock, *,
                 state: Callable[[], Hashable] | None = None) -> None:
        self.regime = regime
        self.clock = clock
        self.compliance = compliance
        self.state = state
        self._cards: StateCache[Scorecard] = StateCache()
        self._findings: StateCache[tuple[datetime, list[Finding]]] = StateCache(max_keys=1)

    def following(self, state: Callable[[], Hashable]) -> Scorecards:
        """These scorecards (the same engine), computed once per ``state``."""
        return Scorecards(self.regime, self.compliance, self.clock, state=state)

    def scorecard(self, party: str | None = None, *, limit: int = SHOWN) -> Scorecard:
        """Findings at the clock's now, overdue first; ``party`` narrows them to one party.

        The counts cover every finding; the rows only the first ``limit`` (overdue ones come
        first, so they are never the ones cut).
        """
        if self.state is None:
            now = self.clock.now()
            return self._card(now, self.compliance.findings(now, party=party), party, limit)
        state = self.state()
        tick = int(self.clock.now().timestamp() // 60)
        return self._cards.get((party, limit), state,
                               lambda: self._kept_card(state, tick, party, limit), tick=tick)

    def _kept_card(self, state: Hashable, tick: int, party: str | None,
                   limit: int) -> Scorecard:
        def every() -> tuple[datetime, list[Finding]]:
            now = self.clock.now()
            return now, self.compliance.findings(now)

        now, findings = self._findings.get("every party", (state, tick), every)
        if party is not None:
            findings = [f for f in findings if f.party == party]
        return self._card(now, findings, party, limit)

    def _card(self, now: datetime, findings: list[Finding], party: str | None,
              limit: int) -> Scorecard:
        rows = [_row(f) for f in findings[:limit]]
        return Scorecard(rows, party, obliged_parties(self.regime),
                         Counter(f.status for f in findings), now, len(findings))
