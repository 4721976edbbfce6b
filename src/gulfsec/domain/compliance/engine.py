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
from .rule import Outcome, Rule, Window, order_of
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
    view.extend(records)
    window = _window(view, now, since_year)
    # (status class, answered) -> outcomes; an open outcome is answered by nothing.
    groups: dict[tuple[int, int], list[Outcome]] = {group: [] for group in _GROUPS}
    answered = {status: groups[(rank, 1)].append for status, rank in _CLASS.items()}
    overdue, waiting = groups[(0, 0)].append, groups[(1, 0)].append
    shows = window.shows
    for rule in rules:
        for key in rule.keys(view, window):
            for outcome in rule.assess(view, key):
                if not shows(outcome):
                    continue
                finding = outcome.finding
                if outcome.overdue is None:
                    answered[finding.status](outcome)
                elif now > finding.due:  # type: ignore[operator]
                    overdue(outcome)
                else:
                    waiting(outcome)
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
_DUE = attrgetter("due")

Selection = tuple[str | None, int | None]
"""(party, year) a caller narrows findings to; None: any."""
_EVERYONE: Selection = (None, None)


def _selections(finding: Finding) -> tuple[Selection, ...]:
    """Every selection a finding belongs to: all findings, its party's, its year's, and its
    party's in its year."""
    party, year = finding.party, finding.year
    if year is None:
        return (_EVERYONE, (party, None))
    return (_EVERYONE, (party, None), (None, year), (party, year))


class _Shown:
    """The findings of one selection, in the order :func:`evaluate` lists them within each
    status class, kept sorted for insertion and removal in place.

    ``before`` holds the open outcomes' findings (ordered by deadline first, so those past
    ``now`` form a prefix) and ``after`` their findings once overdue, alongside; ``fixed``
    holds the other findings, by status class.
    """

    __slots__ = ("before", "after", "fixed")

    def __init__(
        self,
        before: list[Finding],
        after: list[Finding],
        fixed: tuple[list[Finding], list[Finding], list[Finding]],
    ) -> None:
        self.before = before
        self.after = after
        self.fixed = fixed

    @classmethod
    def of(cls, outcomes: list[Outcome]) -> _Shown:
        """The findings of ``outcomes``, which are sorted by their order."""
        before: list[Finding] = []
        after: list[Finding] = []
        fixed: tuple[list[Finding], list[Finding], list[Finding]] = ([], [], [])
        for finding, overdue, _, _ in outcomes:
            if overdue is None:
                fixed[_CLASS[finding.status]].append(finding)
            else:
                before.append(finding)
                after.append(overdue)
        return cls(before, after, fixed)

    def narrowed(self, party: str | None, year: int | None) -> _Shown:
        """The findings of this selection that are ``party``'s and about ``year``."""

        def keeps(f: Finding) -> bool:
            return (party is None or f.party == party) and (year is None or f.year == year)

        kept = [i for i, f in enumerate(self.before) if keeps(f)]
        overdue, pending, met = ([f for f in findings if keeps(f)] for findings in self.fixed)
        return _Shown([self.before[i] for i in kept], [self.after[i] for i in kept],
                      (overdue, pending, met))

    def insert(self, outcome: Outcome) -> None:
        if outcome.overdue is None:
            into = self.fixed[_CLASS[outcome.finding.status]]
            into.insert(bisect_right(into, outcome.order, key=order_of), outcome.finding)
        else:
            at = bisect_right(self.before, outcome.order, key=order_of)
            self.before.insert(at, outcome.finding)
            self.after.insert(at, outcome.overdue)

    def remove(self, outcome: Outcome) -> None:
        # Findings of equal order are equal but for a None the order reads as 0 or "": look
        # for the one itself among them.
        if outcome.overdue is None:
            among = self.fixed[_CLASS[outcome.finding.status]]
            at = bisect_left(among, outcome.order, key=order_of)
            while among[at] != outcome.finding:
                at += 1
            del among[at]
        else:
            at = bisect_left(self.before, outcome.order, key=order_of)
            while self.before[at] != outcome.finding or self.after[at] != outcome.overdue:
                at += 1
            del self.before[at]
            del self.after[at]

    def at(self, now: datetime) -> list[Finding]:
        """The findings as they stand at ``now``, in :func:`evaluate`'s order."""
        cut = bisect_left(self.before, now, key=_DUE)
        overdue, pending, met = self.fixed
        return [*self.after[:cut], *overdue, *self.before[cut:], *pending, *met]


def _changes(old: list[Outcome], new: list[Outcome]) -> tuple[list[Outcome], list[Outcome]]:
    """What reassessing a subject removed and added (as multisets: equal outcomes are
    interchangeable)."""
    if old == new:
        return [], []
    count: dict[Outcome, int] = {}
    for outcome in old:
        count[outcome] = count.get(outcome, 0) + 1
    added = []
    for outcome in new:
        if count.get(outcome, 0) > 0:
            count[outcome] -= 1
        else:
            added.append(outcome)
    removed = [outcome for outcome, n in count.items() for _ in range(n)]
    return removed, added


class ComplianceEngine:
    """Findings kept up to date as records come in and become final.

    The first :meth:`findings` assesses every subject, as :func:`evaluate` does. After it,
    ``add`` and ``update_finality`` mark the subjects the record touches, and ``findings``
    reassesses only those and updates the sorted findings in place: a subject's outcomes that
    did not change are left where they are. A narrowed selection (a party's findings, a
    year's, a party's in a year) is made from all the findings the first time it is asked for
    and then kept up to date the same way, so that reading it costs what it holds, not what
    the log holds. A new year of ``now`` assesses the subjects new to it and shows or hides
    only the yearly findings it brings in or out; an earlier record that moves the start of
    the log rebuilds the findings from the kept outcomes.
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
        self._yearly: set[tuple[str, Hashable]] = set()
        """The subjects with a yearly outcome: the only ones a new year shows or hides."""
        self._dirty: set[tuple[str, Hashable]] = set()
        self._window: Window | None = None
        self._shown: dict[Selection, _Shown] = {}

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
        if self._window is None:
            return  # nothing assessed yet: the first findings assess every subject
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
        selection = (party, year)
        shown = self._shown.get(selection)
        if shown is None:
            shown = self._shown[selection] = self._shown[_EVERYONE].narrowed(party, year)
        return shown.at(now)

    def _assess(self, name: str, key: Hashable) -> list[Outcome]:
        return self._rules[name].assess(self._view, key)

    def _keep(self, subject: tuple[str, Hashable], outcomes: list[Outcome]) -> None:
        self._outcomes[subject] = outcomes
        if any(outcome.yearly for outcome in outcomes):
            self._yearly.add(subject)
        else:
            self._yearly.discard(subject)

    def _enter(self, window: Window) -> None:
        """Switch to a new window and assess its new subjects. When only the year of ``now``
        changed, only yearly findings come or go: move those; else rebuild the findings."""
        for name, rule in self._rules.items():
            for key in rule.keys(self._view, window):
                if (name, key) not in self._outcomes:
                    self._dirty.add((name, key))
        old, self._window = self._window, window
        if old is not None and old.since == window.since:
            for subject in self._yearly:
                for outcome in self._outcomes[subject]:
                    shown = window.shows(outcome)
                    if shown and not old.shows(outcome):
                        self._show(outcome)
                    elif not shown and old.shows(outcome):
                        self._hide(outcome)
            self._refresh()
            return
        for subject in self._dirty:
            self._keep(subject, self._assess(*subject))
        self._dirty.clear()
        shows = window.shows
        every = [o for outcomes in self._outcomes.values() for o in outcomes if shows(o)]
        every.sort(key=_ORDER)
        self._shown = {_EVERYONE: _Shown.of(every)}

    def _refresh(self) -> None:
        """Reassess the touched subjects and update the kept selections in place."""
        window = self._window
        assert window is not None
        for subject in self._dirty:
            new = self._assess(*subject)
            removed, added = _changes(self._outcomes.get(subject, []), new)
            self._keep(subject, new)
            for outcome in removed:
                if window.shows(outcome):
                    self._hide(outcome)
            for outcome in added:
                if window.shows(outcome):
                    self._show(outcome)
        self._dirty.clear()

    def _show(self, outcome: Outcome) -> None:
        for selection in _selections(outcome.finding):
            shown = self._shown.get(selection)
            if shown is not None:
                shown.insert(outcome)

    def _hide(self, outcome: Outcome) -> None:
        for selection in _selections(outcome.finding):
            shown = self._shown.get(selection)
            if shown is not None:
                shown.remove(outcome)
