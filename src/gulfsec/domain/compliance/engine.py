"""Running the rules: :func:`evaluate` from cold, :class:`ComplianceEngine` incrementally.

Both give the same findings for the same records, whatever order the records arrived in.

Which obligations exist: every obliged party's yearly reports
(:func:`gulfsec.domain.duties.obliged_parties`) due from the start of the log -- the earliest
sequencing time held, or 1 January of ``since_year`` when given -- up to the end of the year of
``now``; and every obligation the
records create (activities, entries to acknowledge) due from that start on. ``now`` decides
only two things: whether an unanswered deadline has passed (``pending`` becomes ``missing`` or
``breached``) and up to which year the yearly reports are owed.

Order: overdue findings first (``missing``, ``late``, ``breached``), then ``pending``, then
``met``; within each, obligations nothing answers before those something answers, then by
deadline (none last), party, rule, year and subject.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Hashable, Iterable, Sequence
from datetime import UTC, datetime
from operator import attrgetter

from gulfsec.domain.regime import Regime

from .model import Finding, LogRecord
from .rule import NEVER, Outcome, Rule, Window
from .rules import RULES
from .view import Rec, View

__all__ = ["ComplianceEngine", "evaluate"]

_CLASS = {"missing": 0, "late": 0, "breached": 0, "pending": 1, "met": 2}


def _window(view: View, now: datetime, since_year: int | None) -> Window:
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    if since_year is not None:
        since = datetime(since_year, 1, 1, tzinfo=UTC)
    elif view.start is not None:
        since = view.start
    else:
        since = datetime(now.year, 1, 1, tzinfo=UTC)
    return Window(since, now.year)


def _check_rules(rules: Sequence[Rule]) -> tuple[Rule, ...]:
    if not rules:
        raise ValueError("no compliance rules: an empty rule set would pass everything")
    names = [rule.name for rule in rules]
    if len(set(names)) != len(names):
        raise ValueError(f"two rules share a name: {names}")
    return tuple(rules)


def _select(findings: list[Finding], party: str | None, year: int | None) -> list[Finding]:
    if party is None and year is None:
        return findings
    return [
        f
        for f in findings
        if (party is None or f.party == party) and (year is None or f.year == year)
    ]


def evaluate(
    regime: Regime,
    records: Iterable[LogRecord],
    now: datetime,
    *,
    party: str | None = None,
    year: int | None = None,
    since_year: int | None = None,
    rules: Sequence[Rule] = RULES,
) -> list[Finding]:
    """Every finding on ``records`` at ``now``, computed from nothing; optionally only those
    of ``party`` and/or about ``year``."""
    rules = _check_rules(rules)
    view = _view(regime, rules)
    for record in records:
        view.add(record)
    window = _window(view, now, since_year)
    # (status class, answered) -> outcomes; an open outcome is answered by nothing.
    groups: dict[tuple[int, int], list[Outcome]] = {group: [] for group in _GROUPS}
    for rule in rules:
        for key in rule.keys(view, window):
            for outcome in rule.assess(view, key):
                if not window.shows(outcome):
                    continue
                if outcome.overdue is None:
                    groups[(_CLASS[outcome.finding.status], 1)].append(outcome)
                elif now > outcome.finding.due:  # type: ignore[operator]
                    groups[(0, 0)].append(outcome)
                else:
                    groups[(1, 0)].append(outcome)
    found: list[Finding] = []
    for group in _GROUPS:
        outcomes = groups[group]
        outcomes.sort(key=_ORDER)
        found.extend(map(_OVERDUE if group == (0, 0) else _FINDING, outcomes))
    return _select(found, party, year)


def _view(regime: Regime, rules: Sequence[Rule]) -> View:
    """A view with every index the rules read."""
    return View(regime, (index for rule in rules for index in rule.indexes))


_GROUPS = ((0, 0), (0, 1), (1, 0), (1, 1), (2, 1))
"""Overdue (open, then answered), pending (open, then answered), met."""
_ORDER = attrgetter("order")
_FINDING = attrgetter("finding")
_OVERDUE = attrgetter("overdue")


class _Block:
    """Outcomes kept sorted by their order, for insertion and removal in place, with their
    findings (as they stand before any deadline) alongside, ready to hand out."""

    __slots__ = ("keys", "items", "findings")

    def __init__(self, outcomes: Iterable[Outcome] = ()) -> None:
        self.items: list[Outcome] = sorted(outcomes, key=_ORDER)
        self.keys: list[tuple[object, ...]] = [o.order for o in self.items]
        self.findings: list[Finding] = [o.finding for o in self.items]

    def insert(self, outcome: Outcome) -> None:
        at = bisect_right(self.keys, outcome.order)
        self.keys.insert(at, outcome.order)
        self.items.insert(at, outcome)
        self.findings.insert(at, outcome.finding)

    def remove(self, outcome: Outcome) -> None:
        at = bisect_left(self.keys, outcome.order)
        while self.items[at] is not outcome:
            at += 1
        del self.keys[at]
        del self.items[at]
        del self.findings[at]


class ComplianceEngine:
    """Findings kept up to date as records come in and become final.

    ``add`` and ``update_finality`` mark the subjects the record touches; ``findings`` then
    reassesses only those and updates its sorted findings in place. A change of window (a new
    year, or an earlier record that moves the start of the log) rebuilds the lists from the
    kept outcomes, reassessing only the yearly subjects new to the window.
    """

    def __init__(
        self,
        regime: Regime,
        *,
        since_year: int | None = None,
        rules: Sequence[Rule] = RULES,
    ) -> None:
        self.regime = regime
        self.since_year = since_year
        self._rules = {rule.name: rule for rule in _check_rules(rules)}
        self._view = _view(regime, tuple(self._rules.values()))
        self._outcomes: dict[tuple[str, Hashable], list[Outcome]] = {}
        self._dirty: set[tuple[str, Hashable]] = set()
        self._window: Window | None = None
        # Outcomes shown in the window: open ones (ordered by deadline), then fixed ones by
        # status class.
        self._open = _Block()
        self._fixed = {0: _Block(), 1: _Block(), 2: _Block()}

    def __len__(self) -> int:
        return len(self._view.records)

    def add(self, record: LogRecord) -> None:
        """Take in one record. The same one again changes nothing (but a finality time it
        brings, see :meth:`.view.View.add`); another entry at the same index is an error."""
        rec = self._view.add(record)
        if rec is not None:
            self._touch(rec)

    def update_finality(self, index: int, final_at: datetime) -> None:
        """Record that the entry at log ``index`` became final at ``final_at``."""
        self._touch(self._view.set_final(index, final_at))

    def _touch(self, rec: Rec) -> None:
        for name, rule in self._rules.items():
            for key in rule.touched(self._view, rec):
                self._dirty.add((name, key))

    def findings(
        self, now: datetime, party: str | None = None, year: int | None = None
    ) -> list[Finding]:
        """The findings at ``now``, as :func:`evaluate` would give them."""
        window = _window(self._view, now, self.since_year)
        if window != self._window:
            self._enter(window)
        elif self._dirty:
            self._refresh()
        return _select(self._materialise(now), party, year)

    def _assess(self, name: str, key: Hashable) -> list[Outcome]:
        return self._rules[name].assess(self._view, key)

    def _enter(self, window: Window) -> None:
        """Switch to a new window: assess its new subjects, rebuild the shown lists."""
        for name, rule in self._rules.items():
            for key in rule.keys(self._view, window):
                if (name, key) not in self._outcomes:
                    self._dirty.add((name, key))
        for name, key in self._dirty:
            self._outcomes[(name, key)] = self._assess(name, key)
        self._dirty.clear()
        self._window = window
        shown: dict[int, list[Outcome]] = {-1: [], 0: [], 1: [], 2: []}
        for outcomes in self._outcomes.values():
            for outcome in outcomes:
                if window.shows(outcome):
                    shown[self._place(outcome)].append(outcome)
        self._open = _Block(shown[-1])
        self._fixed = {rank: _Block(shown[rank]) for rank in (0, 1, 2)}

    def _refresh(self) -> None:
        """Reassess the touched subjects and update the shown lists in place."""
        window = self._window
        assert window is not None
        for name, key in self._dirty:
            old = self._outcomes.get((name, key), [])
            new = self._assess(name, key)
            self._outcomes[(name, key)] = new
            for outcome in old:
                if window.shows(outcome):
                    self._block(outcome).remove(outcome)
            for outcome in new:
                if window.shows(outcome):
                    self._block(outcome).insert(outcome)
        self._dirty.clear()

    @staticmethod
    def _place(outcome: Outcome) -> int:
        """-1 for an open outcome, else its status class."""
        return -1 if outcome.overdue is not None else _CLASS[outcome.finding.status]

    def _block(self, outcome: Outcome) -> _Block:
        place = self._place(outcome)
        return self._open if place < 0 else self._fixed[place]

    def _materialise(self, now: datetime) -> list[Finding]:
        items = self._open.items
        # Open outcomes are ordered by deadline first: those past it form a prefix.
        cut = bisect_left(items, now, key=lambda o: o.finding.due or NEVER)
        out: list[Finding] = [o.overdue for o in items[:cut]]  # type: ignore[misc]
        out.extend(self._fixed[0].findings)
        out.extend(self._open.findings[cut:])
        out.extend(self._fixed[1].findings)
        out.extend(self._fixed[2].findings)
        return out
