"""The shape every compliance rule has, and the deadline arithmetic they share.

A rule is a small object with a ``name``, a ``title`` (for people), the ``indexes`` it looks
records up in (:class:`~.view.Index` classes, kept in its module or beside the rules sharing
them), and three methods over a :class:`~.view.View`:

- ``keys(view, window)``: every subject it judges (a party and a year, an activity, an entry);
- ``touched(view, rec)``: the subjects a record (or a change in its finality) can change;
- ``assess(view, key)``: the outcomes for one subject.

Outcomes do not depend on ``now``: an obligation nothing answers yet is *open*, ``pending``
until its deadline and ``missing`` (or ``breached``) once ``now`` is past it. That is what lets
the engine keep outcomes between calls and recompute only the subjects a new record touches.

Times: yearly due dates (``MonthDay``) fall at the end of that day, 23:59:59 UTC; an activity
starts at 00:00 UTC on its first day. A deadline is met when the answering entry's finality
time is at or before it.
"""

from __future__ import annotations

import calendar
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple, Protocol

from gulfsec.domain.encoding import format_time
from gulfsec.domain.regime import MonthDay
from gulfsec.i18n import N_

from .model import Finding, Status
from .view import Index, Rec, View

NEVER = datetime.max.replace(tzinfo=UTC)
"""Sorts after every deadline: where a finding has none."""


@dataclass(frozen=True)
class Window:
    """Which obligations exist: those due at or after ``since`` (the log's start), or due
    earlier but with something in the log about them (a notification filed late, a report of a
    past year — what is filed is judged); and, for yearly obligations, due in a year up to
    ``until_year`` (the year of ``now``)."""

    since: datetime
    until_year: int

    def years(self) -> range:
        """Years a yearly report may be for, with a margin: each rule's due date falls some
        years before or after the year the report is for; outcomes outside the window are
        dropped by :meth:`shows`."""
        return range(self.since.year - 2, self.until_year + 3)

    def shows(self, outcome: Outcome) -> bool:
        due = outcome.finding.due
        if due is None:
            return True
        if due < self.since and not outcome.finding.evidence:
            return False
        return not outcome.yearly or due.year <= self.until_year


class Outcome(NamedTuple):
    """A rule's verdict on one obligation, independent of ``now``.

    ``finding`` is how it stands before its deadline; for an *open* obligation (nothing answers
    it yet) ``overdue`` is how it stands once ``now`` is past ``finding.due``. ``yearly`` marks
    the yearly reports, owed only once their due year has come. ``order`` sorts findings of one
    status class.
    """

    finding: Finding
    overdue: Finding | None
    yearly: bool
    order: tuple[object, ...]


def order_of(f: Finding) -> tuple[object, ...]:
    """The :attr:`Outcome.order` of an outcome whose finding (before any deadline) is ``f``."""
    return (
        f.due or NEVER,
        f.party,
        f.rule,
        f.year or 0,
        f.subject or "",
        f.status,
        f.evidence,
        f.detail,
    )


# Outcomes and findings are made by the hundred thousand on a long log: ``_make(cls, values)``
# builds a named tuple from a tuple of its fields without calling its Python-level ``__new__``.
_make = tuple.__new__


def fixed(
    party: str,
    rule: str,
    status: Status,
    due: datetime | None,
    evidence: Sequence[str],
    detail: str,
    *,
    year: int | None = None,
    subject: str | None = None,
    yearly: bool = False,
) -> Outcome:
    """An outcome that stands whatever ``now`` is."""
    evidence = tuple(evidence)
    finding = _make(Finding, (party, rule, status, due, evidence, detail, year, subject))
    order = (due or NEVER, party, rule, year or 0, subject or "", status, evidence, detail)
    return _make(Outcome, (finding, None, yearly, order))


def open_obligation(
    party: str,
    rule: str,
    due: datetime,
    evidence: Sequence[str],
    detail: str,
    *,
    year: int | None = None,
    subject: str | None = None,
    overdue: Status = "missing",
    yearly: bool = False,
) -> Outcome:
    """An obligation nothing answers yet: ``pending`` until ``due``, then ``overdue``."""
    evidence = tuple(evidence)
    before = _make(Finding, (party, rule, "pending", due, evidence, detail, year, subject))
    after = _make(Finding, (party, rule, overdue, due, evidence, detail, year, subject))
    order = (due, party, rule, year or 0, subject or "", "pending", evidence, detail)
    return _make(Outcome, (before, after, yearly, order))


class Rule(Protocol):
    """One compliance rule (see the module docstring)."""

    @property
    def name(self) -> str:
        """The rule's name in its findings; unique in a rule set."""
        ...

    @property
    def title(self) -> str:
        """What the rule checks, in a few words for people."""
        ...

    @property
    def indexes(self) -> tuple[type[Index], ...]:
        """The indexes of the view the rule reads."""
        ...

    def keys(self, view: View, window: Window) -> Iterable[Hashable]: ...

    def touched(self, view: View, rec: Rec) -> Iterable[Hashable]: ...

    def assess(self, view: View, key: Any) -> list[Outcome]: ...


# --- deadlines -----------------------------------------------------------------------------


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), UTC)


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), UTC)


def yearly_due(due: MonthDay, year: int) -> datetime:
    """``due`` in ``year``, at the end of the day (UTC)."""
    return end_of_day(due.in_year(year))


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later, or the month's last day if it is shorter."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class Verdict(NamedTuple):
    status: Status
    rec: Rec


def judge(due: datetime, candidates: Iterable[Rec]) -> Verdict | None:
    """How the entries that could answer an obligation due at ``due`` stand.

    - ``met``: one became final at or before ``due`` (the earliest final one is the evidence);
    - ``pending``: none is met, but one sequenced by ``due`` is not final yet (it still may be),
      or the only ones are filed after ``due`` and not final yet;
    - ``late``: the earliest final one became final after ``due``;
    - None: nothing answers it (the obligation is open).
    """
    best: Rec | None = None
    best_at = NEVER
    waiting: Rec | None = None
    after: Rec | None = None
    for rec in candidates:
        final = rec.final_at
        if final is not None:
            if best is None or (final, rec.index) < (best_at, best.index):
                best, best_at = rec, final
        elif rec.sequenced_at <= due:
            if waiting is None or rec.index < waiting.index:
                waiting = rec
        elif after is None or rec.index < after.index:
            after = rec
    if best is not None and best_at <= due:
        return Verdict("met", best)
    if waiting is not None:
        return Verdict("pending", waiting)
    if best is not None:
        return Verdict("late", best)
    if after is not None:
        return Verdict("pending", after)
    return None


class Account(NamedTuple):
    """How :func:`describe` words a verdict: a message (marked for the catalogs) for each way
    the answering entry stands, with ``{index}`` (its log index), ``{at}`` (when it was
    sequenced, or became final) and ``{late}`` (how long after the deadline), and whatever
    else the rule says after it (``{reasons}``...). Whole messages, not an account with words
    added to it, so that a finding's detail matches back to one message
    (:func:`gulfsec.i18n.translate_problem`)."""

    waiting: str
    final: str
    late: str


PLAIN = Account(
    N_("log #{index} sequenced {at}, not final yet"),
    N_("log #{index} final {at}"),
    N_("log #{index} final {at}, {late} after the deadline"),
)


def describe(verdict: Verdict, due: datetime | None, account: Account = PLAIN,
             **values: object) -> str:
    """A short account of a verdict for a finding's ``detail``, in the words of ``account``
    (``values``: its other placeholders)."""
    rec = verdict.rec
    if rec.final_at is None:
        return account.waiting.format(index=rec.index, at=format_time(rec.sequenced_at),
                                      **values)
    if due is not None and rec.final_at > due:
        return account.late.format(index=rec.index, at=format_time(rec.final_at),
                                   late=span(rec.final_at - due), **values)
    return account.final.format(index=rec.index, at=format_time(rec.final_at), **values)


def span(delta: timedelta) -> str:
    """``3 d 4 h``, ``5 h 10 min``, ``1 s``: a duration as a person reads it."""
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return f"{seconds} s"
