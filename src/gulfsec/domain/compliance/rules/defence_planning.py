"""Defence planning: ``defence-planning@1`` for each budget year, within the regime's
``defence_planning.within_months`` of the budget's approval.

The deadline runs from the approval date the report declares; where several reports for the
same budget year declare different dates, the earliest counts (a later report cannot move the
deadline back). With nothing on record the engine cannot know the approval date, so it assumes
the budget was approved by the first day of its budget year: nothing filed within that many
months of 1 January is ``missing`` until a report comes, and that report is then judged against
the date it declares.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from gulfsec.domain.forms.defence_planning import PLANNING
from gulfsec.i18n import N_

from ..rule import (
    Account,
    Outcome,
    Window,
    add_months,
    describe,
    end_of_day,
    fixed,
    judge,
    open_obligation,
)
from ..view import Index, Rec, View
from ._yearly import Reports, YearKey, report_year, yearly_keys

NAME = "defence-planning"

APPROVED = Account(
    N_("log #{index} sequenced {at}, not final yet; budget approved {date}"),
    N_("log #{index} final {at}; budget approved {date}"),
    N_("log #{index} final {at}, {late} after the deadline; budget approved {date}"),
)
UNKNOWN = Account(
    N_("log #{index} sequenced {at}, not final yet; approval date unknown: assumed 1 January"),
    N_("log #{index} final {at}; approval date unknown: assumed 1 January"),
    N_("log #{index} final {at}, {late} after the deadline; approval date unknown: assumed "
       "1 January"),
)


class DefencePlanningRule:
    name = NAME
    title = N_("Defence planning")
    indexes: tuple[type[Index], ...] = (Reports,)

    def keys(self, view: View, window: Window) -> Iterator[YearKey]:
        # With nothing filed the deadline is `within_months` after the budget year begins.
        margin = view.regime.commitments.defence_planning.within_months // 12
        return yearly_keys(view, window, PLANNING, margin)

    def touched(self, view: View, rec: Rec) -> Iterator[YearKey]:
        if rec.form == PLANNING:
            year = report_year(rec)
            if year is not None:
                yield (rec.sender, year)

    def assess(self, view: View, key: YearKey) -> list[Outcome]:
        party, year = key
        if party not in view.obliged_set:
            return []
        months = view.regime.commitments.defence_planning.within_months
        reports = view.get(Reports).of(PLANNING, party, year)
        if reports:
            approved = min(rec.body.budget_approval_date for rec in reports)
            account = APPROVED
            none = N_("no defence planning for budget year {year} (budget approved {date})")
        else:
            approved = date(year, 1, 1)
            account = UNKNOWN
            none = N_("no defence planning for budget year {year} (approval date unknown: "
                      "assumed 1 January)")
        due = end_of_day(add_months(approved, months))
        verdict = judge(due, reports)
        if verdict is None:
            return [
                open_obligation(
                    party, NAME, due, (),
                    none.format(year=year, date=approved.isoformat()),
                    year=year, yearly=True,
                )
            ]
        return [
            fixed(
                party, NAME, verdict.status, due, (verdict.rec.id,),
                describe(verdict, due, account, date=approved.isoformat()),
                year=year, yearly=True,
            )
        ]


RULE = DefencePlanningRule()
