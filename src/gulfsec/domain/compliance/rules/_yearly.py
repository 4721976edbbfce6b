"""A yearly report owed by every obliged party: one rule shape, several commitments."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from gulfsec.domain.regime import Regime

from ..rule import Outcome, Window, describe, fixed, judge, open_obligation
from ..view import Rec, View

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
    keys.update((sender, year) for kind, sender, year in view.reports if kind == form)
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
    form: str
    noun: str
    due_of: Callable[[Regime, int], datetime]
    counts: Callable[[Regime, Rec], bool] = _always

    def keys(self, view: View, window: Window) -> Iterator[YearKey]:
        return yearly_keys(view, window, self.form)

    def touched(self, view: View, rec: Rec) -> Iterator[YearKey]:
        if rec.form == self.form:
            year = view.report_year(rec)
            if year is not None:
                yield (rec.sender, year)

    def assess(self, view: View, key: YearKey) -> list[Outcome]:
        party, year = key
        if party not in view.obliged_set:
            return []
        due = self.due_of(view.regime, year)
        candidates = [
            rec for rec in view.reports_of(self.form, party, year)
            if self.counts(view.regime, rec)
        ]
        verdict = judge(due, candidates)
        if verdict is None:
            return [
                open_obligation(
                    party, self.name, due, (),
                    f"no {self.noun} for {year} addressed to all participating states",
                    year=year, yearly=True,
                )
            ]
        return [
            fixed(
                party, self.name, verdict.status, due, (verdict.rec.id,),
                describe(verdict, due), year=year, yearly=True,
            )
        ]
