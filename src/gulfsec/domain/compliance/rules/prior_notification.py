"""Prior notification: an activity that reaches any ``prior_notification`` threshold is notified
(``activity-notification@1`` to all participating states) at least ``notice`` before it starts.

- A notified activity is judged from its own content (its latest notification): below every
  threshold, nothing is owed and there is no finding; otherwise ``met`` if a notification of
  it was final by ``start - notice``, else ``late`` (``pending`` while not final).
- An activity in the party's annual calendar (among the year's ``activities``) whose planned
  forces reach a threshold, and that nobody notified, is ``pending`` until ``start - notice``,
  then ``missing`` -- unless a later calendar for that year, final by then, dropped it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from gulfsec.domain.forms.annual_calendar import CALENDAR
from gulfsec.i18n import N_

from ..rule import Account, Outcome, Window, describe, fixed, judge, open_obligation, start_of_day
from ..view import Index, Rec, View
from ._activities import (
    INDEXES,
    Activities,
    ActivityKey,
    facts,
    notice_reasons,
    planned,
    subject,
    touched_activities,
)
from ._yearly import Reports

NAME = "prior-notification"

NOTIFIABLE = Account(
    N_("log #{index} sequenced {at}, not final yet; notifiable: {reasons}"),
    N_("log #{index} final {at}; notifiable: {reasons}"),
    N_("log #{index} final {at}, {late} after the deadline; notifiable: {reasons}"),
)


def _dropped(view: View, calendar: Rec, due: datetime) -> bool:
    """Whether a later calendar for the same year, final by ``due``, leaves the activity out."""
    return any(
        other.index > calendar.index and other.final_at is not None and other.final_at <= due
        for other in view.get(Reports).of(CALENDAR, calendar.sender, calendar.body.year)
    )


class PriorNotificationRule:
    name = NAME
    title = N_("Prior notification of an activity")
    indexes: tuple[type[Index], ...] = INDEXES

    def keys(self, view: View, window: Window) -> set[ActivityKey]:
        return view.get(Activities).keys()

    def touched(self, view: View, rec: Rec) -> Iterator[ActivityKey]:
        return touched_activities(view, rec)

    def assess(self, view: View, key: ActivityKey) -> list[Outcome]:
        party = key[0]
        notice = view.regime.commitments.prior_notification.notice
        notices = view.get(Activities).notifications.get(key)
        if notices:
            known = facts(view, key)
            assert known is not None
            reasons = notice_reasons(view.regime, known.forces, known.live_firing)
            if not reasons:
                return []
            due = start_of_day(known.start) - notice
            verdict = judge(due, notices)
            assert verdict is not None  # there are notices
            return [
                fixed(
                    party, NAME, verdict.status, due, (verdict.rec.id,),
                    describe(verdict, due, NOTIFIABLE, reasons=", ".join(reasons)),
                    year=known.start.year, subject=subject(key, known.name),
                )
            ]
        plan = planned(view, key)
        if plan is None:
            return []
        calendar, activity = plan
        reasons = notice_reasons(view.regime, activity.forces, ())
        if not reasons:
            return []
        due = start_of_day(activity.start) - notice
        if _dropped(view, calendar, due):
            return []
        return [
            open_obligation(
                party, NAME, due, (calendar.id,),
                N_("in the {year} calendar (log #{index}), not notified; notifiable: "
                   "{reasons}").format(year=calendar.body.year, index=calendar.index,
                                       reasons=", ".join(reasons)),
                year=activity.start.year, subject=subject(key, activity.name),
            )
        ]


RULE = PriorNotificationRule()
