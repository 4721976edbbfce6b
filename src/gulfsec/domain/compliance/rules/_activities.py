"""What the activity rules share: which activity a record concerns, what is known of it, and
which thresholds it reaches.

An activity is keyed by (party, reference): the reference its annual calendar gives it, which
its notifications repeat as ``calendar_ref``; a notification that names no calendar reference
is an activity of its own, ``#<entry id>``. Several notifications of one activity (a correction)
count together: the latest (by log index) says what the activity now is; any of them can be
the notice that meets the deadline.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import ClassVar, NamedTuple

from gulfsec.domain.forms._military import Forces, LiveFiring
from gulfsec.domain.forms.activity_notification import NOTIFICATION, ActivityNotification
from gulfsec.domain.forms.annual_calendar import CALENDAR, AnnualCalendar, PlannedActivity
from gulfsec.domain.forms.observation import INVITATION
from gulfsec.domain.regime import Regime
from gulfsec.i18n import N_

from ..view import Index, Parser, Rec, View, put
from ._yearly import Reports

ActivityKey = tuple[str, str]
"""(notifying party, activity reference): the calendar reference, or ``#<entry id>`` for a
notification that names none."""


def activity_key(party: str, entry_id: str, body: ActivityNotification) -> ActivityKey:
    return (party, body.calendar_ref if body.calendar_ref is not None else f"#{entry_id}")


def _listing_index(item: tuple[Rec, PlannedActivity, bool]) -> int:
    return item[0].index


class Activities:
    """What is notified, planned and invited to, by activity."""

    forms: ClassVar[frozenset[str] | None] = frozenset({NOTIFICATION, CALENDAR, INVITATION})
    parsers: ClassVar[Mapping[str, Parser]] = {}

    def __init__(self, view: View) -> None:
        self.view = view
        self.notifications: dict[ActivityKey, list[Rec]] = {}
        self.activity_of: dict[str, ActivityKey] = {}
        """Notification entry id -> the activity it notifies."""
        self.listings: dict[ActivityKey, list[tuple[Rec, PlannedActivity, bool]]] = {}
        """(party, ref) -> (calendar, the planned activity, listed among later_activities)."""
        self.invitations: dict[str, list[Rec]] = {}
        """Notification entry id -> observation invitations naming it."""

    def add(self, rec: Rec) -> None:
        if rec.sender not in self.view.obliged_set:
            return
        if rec.form == INVITATION:
            put(self.invitations.setdefault(rec.body.notification, []), rec)
        elif not self.view.to_all(rec):
            return
        elif rec.form == NOTIFICATION:
            key = activity_key(rec.sender, rec.id, rec.body)
            self.activity_of[rec.id] = key
            put(self.notifications.setdefault(key, []), rec)
        else:
            body: AnnualCalendar = rec.body
            for later, activities in ((False, body.activities), (True, body.later_activities)):
                for activity in activities:
                    listings = self.listings.setdefault((rec.sender, activity.ref), [])
                    insort(listings, (rec, activity, later), key=_listing_index)

    def keys(self) -> set[ActivityKey]:
        """Every activity notified or planned in a calendar."""
        return {*self.notifications, *self.listings}


INDEXES: tuple[type[Index], ...] = (Reports, Activities)
"""What the activity rules look up."""


def calendar_refs(view: View, party: str, year: int) -> Iterator[str]:
    """Every activity reference listed in any of ``party``'s calendars for ``year``."""
    for calendar in view.get(Reports).of(CALENDAR, party, year):
        body: AnnualCalendar = calendar.body
        for activity in (*body.activities, *body.later_activities):
            yield activity.ref


def touched_activities(view: View, rec: Rec) -> Iterator[ActivityKey]:
    """The activities a notification, a calendar or an invitation can change."""
    if rec.body is None:
        return
    activities = view.get(Activities)
    if rec.form == NOTIFICATION:
        key = activities.activity_of.get(rec.id)
        if key is not None:
            yield key
    elif rec.form == CALENDAR:
        body: AnnualCalendar = rec.body
        # Every activity in the party's calendars for that year: a new calendar can also drop
        # one an earlier calendar listed.
        for ref in set(calendar_refs(view, rec.sender, body.year)):
            yield (rec.sender, ref)
    elif rec.form == INVITATION:
        key = activities.activity_of.get(rec.body.notification)
        if key is not None:
            yield key


class Facts(NamedTuple):
    """What is known of an activity: from its latest notification, else from its plan."""

    name: str
    start: date
    forces: Forces
    live_firing: Sequence[LiveFiring]
    source: Rec
    notified: bool


def latest_notice(view: View, key: ActivityKey) -> Rec | None:
    notices = view.get(Activities).notifications.get(key)
    return notices[-1] if notices else None


def planned(
    view: View, key: ActivityKey, *, later: bool = False
) -> tuple[Rec, PlannedActivity] | None:
    """The latest calendar listing of the activity among a year's ``activities`` (or, with
    ``later``, among any list)."""
    for calendar, activity, is_later in reversed(view.get(Activities).listings.get(key, ())):
        if later or not is_later:
            return calendar, activity
    return None


def facts(view: View, key: ActivityKey, *, later: bool = False) -> Facts | None:
    notice = latest_notice(view, key)
    if notice is not None:
        body = notice.body
        return Facts(body.name, body.start, body.forces, body.live_firing, notice, True)
    plan = planned(view, key, later=later)
    if plan is not None:
        calendar, activity = plan
        return Facts(activity.name, activity.start, activity.forces, (), calendar, False)
    return None


def subject(key: ActivityKey, name: str) -> str:
    """The calendar reference, or the activity's name when it has none."""
    ref = key[1]
    return name if ref.startswith("#") else ref


def notice_reasons(regime: Regime, forces: Forces, firing: Sequence[LiveFiring]) -> list[str]:
    """The prior-notification thresholds the activity reaches (none: it is not notifiable)."""
    t = regime.commitments.prior_notification
    reasons = _counts(
        forces,
        (
            (N_("troops {count} >= {limit}"), forces.troops, t.troops),
            (N_("battle tanks {count} >= {limit}"), forces.battle_tanks, t.battle_tanks),
            (N_("ACVs {count} >= {limit}"), forces.acv, t.acv),
            (N_("artillery {count} >= {limit}"), forces.artillery, t.artillery),
            (N_("major surface combatants {count} >= {limit}"), forces.major_surface_combatants,
             t.major_surface_combatants),
            (N_("submarines {count} >= {limit}"), forces.submarines, t.submarines),
            (N_("sorties {count} >= {limit}"), forces.aircraft_sorties, t.sorties),
        ),
    )
    near = [f.distance_to_territorial_sea_nm for f in firing]
    if near and min(near) <= t.live_firing_nm:
        reasons.append(N_("live firing {distance} nm from a territorial sea <= {limit}").format(
            distance=f"{min(near):g}", limit=f"{t.live_firing_nm}"))
    return reasons


def observation_reasons(regime: Regime, forces: Forces) -> list[str]:
    """The observation thresholds the activity reaches (none: no invitation is owed)."""
    t = regime.commitments.observation
    return _counts(
        forces,
        (
            (N_("troops {count} >= {limit}"), forces.troops, t.troops),
            (N_("battle tanks {count} >= {limit}"), forces.battle_tanks, t.battle_tanks),
            (N_("major surface combatants {count} >= {limit}"), forces.major_surface_combatants,
             t.major_surface_combatants),
        ),
    )


def _counts(forces: Forces, rows: Sequence[tuple[str, int, int]]) -> list[str]:
    """``rows``: (the message saying a threshold is reached, the count, the threshold)."""
    return [message.format(count=f"{count:,}", limit=f"{limit:,}")
            for message, count, limit in rows if count >= limit]
