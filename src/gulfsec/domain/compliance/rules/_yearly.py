"""Yearly reports: the index of them, and the rule shape several commitments share (a report
owed by every obliged party each year).

A yearly report is an entry of a form that names the year it is for (``FormSpec.year``), from
an obliged party, addressed to every obliged party.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from gulfsec.domain.forms import registry
from gulfsec.domain.regime import Regime
from gulfsec.i18n import N_

from ..rule import Outcome, Window, describe, fixed, judge, open_obligation
from ..view import Index, Parser, Rec, View, put

YEAR_FIELDS: Mapping[str, str] = {
    form_id: spec.year for form_id, spec in registry().items() if spec.year is not None
}
"""Yearly report forms, and the body field naming the year each is for."""


def report_year(rec: Rec) -> int | None:
    """The year a yearly report is for; None for anything else or an unreadable body."""
    field = YEAR_FIELDS.get(rec.form)
    if field is None or rec.body is None:
        return None
    year: int = getattr(rec.body, field)
    return year


class Reports:
    """Each obliged party's yearly reports addressed to all, by form and year."""

    forms: ClassVar[frozenset[str] | None] = frozenset(YEAR_FIELDS)
    parsers: ClassVar[Mapping[str, Parser]] = {}

    def __init__(self, view: View) -> None:
        self.view = view
        self.reports: dict[tuple[str, str, int], list[Rec]] = {}
        """(form, sender, year) -> that party's reports for that year, addressed to all."""
        self.years: dict[str, set[int]] = {}
        """Form -> every year someone reported on."""

    def add(self, rec: Rec) -> None:
        if rec.sender not in self.view.obliged_set or not self.view.to_all(rec):
            return
        year = report_year(rec)
        if year is not None:
            put(self.reports.setdefault((rec.form, rec.sender, year), []), rec)
            self.years.setdefault(rec.form, set()).add(year)

    def of(self, form: str, party: str, year: int) -> list[Rec]:
        """``party``'s reports of ``form`` for ``year``, in log order."""
        return self.reports.get((form, party, year), [])

YearKey = tuple[str, int]
"""(party, the year the report is for)."""


def _always(regime: Regime, rec: Rec) -> bool:
    return True


def yearly_keys(view: View, window: Window, form: str, margin: int = 0) -> Iterator[YearKey]:
    """Every obliged party for every year the window may show (``margin`` more years back),
    and every (party, year) someone filed ``form`` for."""
    keys = {
        (party, year)
        for party in view.obliged
        for year in range(window.years().start - margin, window.years().stop)
    }
    keys.update((sender, year) for kind, sender, year in view.get(Reports).reports
                if kind == form)
    return iter(sorted(keys))


@dataclass(frozen=True)
class YearlyReport:
    """Each obliged party files ``form`` for each year, by ``due_of(regime, year)``.

    The report for a year is the party's ``form`` entry naming that year and addressed to
    every participating state; ``counts`` can refuse some (a nil report, if the regime says it
    does not count). The earliest final one decides: ``met`` if final by the deadline, else
    ``late``; nothing filed is ``pending`` until the deadline, ``missing`` after it.
    """

    name: str
    title: str
    """For people, marked for the catalogs."""
    form: str
    noun: str
    """What the report is called, marked for the catalogs (a value in a finding's detail)."""
    due_of: Callable[[Regime, int], datetime]
    counts: Callable[[Regime, Rec], bool] = _always
    indexes: tuple[type[Index], ...] = (Reports,)

    def keys(self, view: View, window: Window) -> Iterator[YearKey]:
        return yearly_keys(view, window, self.form)

    def touched(self, view: View, rec: Rec) -> Iterator[YearKey]:
        if rec.form == self.form:
            year = report_year(rec)
            if year is not None:
                yield (rec.sender, year)

    def assess(self, view: View, key: YearKey) -> list[Outcome]:
        party, year = key
        if party not in view.obliged_set:
            return []
        due = self.due_of(view.regime, year)
        candidates = [
            rec for rec in view.get(Reports).of(self.form, party, year)
            if self.counts(view.regime, rec)
        ]
        verdict = judge(due, candidates)
        if verdict is None:
            return [
                open_obligation(
                    party, self.name, due, (),
                    N_("no {report} for {year} addressed to all participating states").format(
                        report=self.noun, year=year),
                    year=year, yearly=True,
                )
            ]
        return [
            fixed(
                party, self.name, verdict.status, due, (verdict.rec.id,),
                describe(verdict, due), year=year, yearly=True,
            )
        ]
