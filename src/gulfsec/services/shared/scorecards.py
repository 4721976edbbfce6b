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
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

from gulfsec.adapters.clock import Clock
from gulfsec.domain.compliance import OVERDUE, RULES, Finding, obliged_parties
from gulfsec.domain.compliance.rules.acknowledgement import NAME as ACKNOWLEDGEMENT_RULE
from gulfsec.domain.regime import Regime
from gulfsec.i18n import N_, gettext
from gulfsec.services.shared.cache import StateCache
from gulfsec.services.shared.records import Compliance

RULE_TITLES: Final[Mapping[str, str]] = {rule.name: rule.title for rule in RULES}
"""Each rule's title, from the rule's own module."""
STATUS_WORDS: Final[Mapping[str, str]] = {
    "missing": N_("missing"),
    "breached": N_("breached"),
    "late": N_("late"),
    "pending": N_("pending"),
    "met": N_("met"),
}
"""Each status in English words (translated where shown)."""


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
        return gettext(STATUS_WORDS.get(self.status, self.status))


@dataclass(frozen=True)
class Group:
    """How one party stands on one commitment: its findings counted by status."""

    party: str
    rule: str
    rule_title: str
    counts: Mapping[str, int]

    @property
    def overdue(self) -> int:
        return sum(n for status, n in self.counts.items() if status in OVERDUE)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Selection:
    """Which findings a scorecard lists: one party's or all, of one status, of one rule;
    ``summarised`` parties' acknowledgement findings are counted but not listed (parties that
    run no node owe an acknowledgement of nearly every entry: hundreds of rows that say one
    thing), unless the selection names the party."""

    party: str | None = None
    status: str | None = None
    rule: str | None = None
    summarised: frozenset[str] = frozenset()

    def lists(self, finding: Finding) -> bool:
        if self.party is not None and finding.party != self.party:
            return False
        if self.status is not None and finding.status != self.status:
            return False
        if self.rule is not None and finding.rule != self.rule:
            return False
        return not (self.party is None and finding.rule == ACKNOWLEDGEMENT_RULE
                    and finding.party in self.summarised)


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
    groups: tuple[Group, ...] = ()
    """Every finding of the party (or of all), counted by party and commitment."""
    listed: int = 0
    """How many findings the selection lists (the rows are the first of them)."""
    selection: Selection = Selection()

    @property
    def summarised(self) -> list[Group]:
        """The acknowledgement counts of the parties the selection summarises instead of
        listing their findings."""
        if self.selection.party is not None:
            return []
        return [g for g in self.groups
                if g.party in self.selection.summarised and g.rule == ACKNOWLEDGEMENT_RULE]


def no_node_parties(card: Scorecard) -> frozenset[str]:
    """Parties that owe acknowledgements and have never made one: they run no node, and
    their acknowledgement findings are summarised rather than listed one by one."""
    return frozenset(g.party for g in card.groups if g.rule == ACKNOWLEDGEMENT_RULE
                     and not g.counts.get("met") and not g.counts.get("late"))


def _title(rule: str) -> str:
    return RULE_TITLES.get(rule, rule.replace("-", " ").capitalize())


def _row(finding: Finding) -> FindingRow:
    title = _title(finding.rule)
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

    def scorecard(self, party: str | None = None, *, limit: int = SHOWN,
                  selection: Selection | None = None) -> Scorecard:
        """Findings at the clock's now, overdue first; ``party`` narrows them to one party
        (``selection`` narrows further: a status, a rule, parties summarised).

        The counts and groups cover every finding of the party (or of all); the rows only the
        first ``limit`` of those the selection lists (overdue ones come first, so they are
        never the ones cut).
        """
        chosen = Selection(party) if selection is None else replace(selection, party=party)
        if self.state is None:
            now = self.clock.now()
            return self._card(now, self.compliance.findings(now, party=party), chosen, limit)
        state = self.state()
        tick = int(self.clock.now().timestamp() // 60)
        return self._cards.get((chosen, limit), state,
                               lambda: self._kept_card(state, tick, chosen, limit), tick=tick)

    def summarising(self, party: str | None, status: str | None = None,
                    rule: str | None = None) -> Scorecard:
        """The secretariat's scorecard: ``party``'s findings (or all), of ``status`` and
        ``rule`` if given, with the acknowledgements of parties that run no node summarised
        (:func:`no_node_parties`)."""
        silent = no_node_parties(self.scorecard(party))
        return self.scorecard(party, selection=Selection(party, status, rule, silent))

    def _kept_card(self, state: Hashable, tick: int, chosen: Selection,
                   limit: int) -> Scorecard:
        def every() -> tuple[datetime, list[Finding]]:
            now = self.clock.now()
            return now, self.compliance.findings(now)

        now, findings = self._findings.get("every party", (state, tick), every)
        if chosen.party is not None:
            findings = [f for f in findings if f.party == chosen.party]
        return self._card(now, findings, chosen, limit)

    def _card(self, now: datetime, findings: list[Finding], chosen: Selection,
              limit: int) -> Scorecard:
        listed = [f for f in findings if chosen.lists(f)]
        rows = [_row(f) for f in listed[:limit]]
        counted: dict[tuple[str, str], Counter[str]] = {}
        for f in findings:
            counted.setdefault((f.party, f.rule), Counter())[f.status] += 1
        order = {code: i for i, code in enumerate(self.regime.participants)}
        groups = tuple(Group(party, rule, _title(rule), counts) for (party, rule), counts in
                       sorted(counted.items(), key=lambda kv: (order.get(kv[0][0], 1 << 30),
                                                               kv[0][0], kv[0][1])))
        return Scorecard(rows, chosen.party, obliged_parties(self.regime),
                         Counter(f.status for f in findings), now, len(findings), groups,
                         len(listed), chosen)
