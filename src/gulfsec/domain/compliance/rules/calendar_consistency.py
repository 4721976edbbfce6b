"""Consistency of the calendar with the notifications: a notified activity that reaches a
prior-notification threshold must be in the party's annual calendar (among a year's
``activities``, under the reference its notification gives as ``calendar_ref``).

``met`` once a calendar listing it is final (when it was filed is the annual-calendar rule's
concern); ``pending`` while that calendar is not final, or while the calendar for the activity's
year is not due yet; ``missing`` after that. The other way round -- an activity in the calendar
that was never notified -- is a ``missing`` prior notification.
"""

from __future__ import annotations

from collections.abc import Iterator

from gulfsec.i18n import N_

from ..rule import Outcome, Window, fixed, open_obligation
from ..view import Index, Rec, View
from ._activities import (
    INDEXES,
    Activities,
    ActivityKey,
    facts,
    notice_reasons,
    subject,
    touched_activities,
)
from .annual_calendar import calendar_due

NAME = "calendar-consistency"


class CalendarConsistencyRule:
    name = NAME
    title = N_("Notifications match the annual calendar")
    indexes: tuple[type[Index], ...] = INDEXES

    def keys(self, view: View, window: Window) -> list[ActivityKey]:
        return list(view.get(Activities).notifications)

    def touched(self, view: View, rec: Rec) -> Iterator[ActivityKey]:
        return touched_activities(view, rec)

    def assess(self, view: View, key: ActivityKey) -> list[Outcome]:
        activities = view.get(Activities)
        if not activities.notifications.get(key):
            return []
        known = facts(view, key)
        assert known is not None
        if not notice_reasons(view.regime, known.forces, known.live_firing):
            return []
        party, year = key[0], known.start.year
        name = subject(key, known.name)
        due = calendar_due(view.regime, year)
        calendars = [c for c, _, later in activities.listings.get(key, ()) if not later]
        final = [c for c in calendars if c.final_at is not None]
        if final:
            return [
                fixed(
                    party, NAME, "met", due, (known.source.id, final[0].id),
                    N_("in the {year} calendar (log #{index})").format(
                        year=final[0].body.year, index=final[0].index),
                    year=year, subject=name,
                )
            ]
        if calendars:
            return [
                fixed(
                    party, NAME, "pending", due, (known.source.id, calendars[0].id),
                    N_("in the calendar of log #{index}, not final yet").format(
                        index=calendars[0].index),
                    year=year, subject=name,
                )
            ]
        if key[1].startswith("#"):
            unlisted = N_("notified (log #{index}) but names no calendar reference in a {year} "
                          "calendar")
        else:
            unlisted = N_("notified (log #{index}) but is not listed in a {year} calendar")
        return [
            open_obligation(
                party, NAME, due, (known.source.id,),
                unlisted.format(index=known.source.index, year=year),
                year=year, subject=name,
            )
        ]


RULE = CalendarConsistencyRule()
