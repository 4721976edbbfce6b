"""Constraining provision: an activity of at least ``constraining.troops`` must have been in
the party's annual calendar ``constraining.years_ahead`` years ahead: listed (in a calendar's
``activities`` or ``later_activities``) in a calendar entry final by the calendar due date of
year ``start year - years_ahead`` (15 November two years before).

Judged from the activity's latest notification, or else from its latest calendar listing. A
listing final by then is ``met``; anything else is ``breached`` once that date has passed
(``pending`` before it, or while a listing sequenced in time is not final yet).
"""

from __future__ import annotations

from collections.abc import Iterator

from gulfsec.i18n import N_

from ..rule import Account, Outcome, Window, describe, fixed, judge, open_obligation, yearly_due
from ..view import Index, Rec, View
from ._activities import INDEXES, Activities, ActivityKey, facts, subject, touched_activities

NAME = "constraining-provision"

AHEAD = Account(
    N_("log #{index} sequenced {at}, not final yet; troops {troops} >= {limit}, calendar "
       "{years} years ahead"),
    N_("log #{index} final {at}; troops {troops} >= {limit}, calendar {years} years ahead"),
    N_("log #{index} final {at}, {late} after the deadline; troops {troops} >= {limit}, "
       "calendar {years} years ahead"),
)


class ConstrainingRule:
    name = NAME
    title = N_("Constraining provision (large activities in the calendar)")
    indexes: tuple[type[Index], ...] = INDEXES

    def keys(self, view: View, window: Window) -> set[ActivityKey]:
        return view.get(Activities).keys()

    def touched(self, view: View, rec: Rec) -> Iterator[ActivityKey]:
        return touched_activities(view, rec)

    def assess(self, view: View, key: ActivityKey) -> list[Outcome]:
        known = facts(view, key, later=True)
        if known is None:
            return []
        terms = view.regime.commitments.constraining
        troops = known.forces.troops
        if troops < terms.troops:
            return []
        party, year = key[0], known.start.year
        due = yearly_due(view.regime.commitments.annual_calendar.due, year - terms.years_ahead)
        values = {"troops": f"{troops:,}", "limit": f"{terms.troops:,}",
                  "years": terms.years_ahead}
        listings = [calendar for calendar, _, _ in view.get(Activities).listings.get(key, ())]
        verdict = judge(due, listings)
        name = subject(key, known.name)
        if verdict is None:
            return [
                open_obligation(
                    party, NAME, due, (known.source.id,),
                    N_("never announced in time; troops {troops} >= {limit}, calendar {years} "
                       "years ahead").format(**values),
                    year=year, subject=name, overdue="breached",
                )
            ]
        status = "breached" if verdict.status == "late" else verdict.status
        evidence = tuple(dict.fromkeys((known.source.id, verdict.rec.id)))
        return [
            fixed(
                party, NAME, status, due, evidence, describe(verdict, due, AHEAD, **values),
                year=year, subject=name,
            )
        ]


RULE = ConstrainingRule()
