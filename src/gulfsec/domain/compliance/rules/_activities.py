"""What the activity rules share: which activity a record concerns, what is known of it, and
which thresholds it reaches.

An activity is keyed by (party, reference): the reference its annual calendar gives it, which
its notifications repeat as ``calendar_ref``; a notification that names no calendar reference
is an activity of its own, ``#<entry id>``. Several notifications of one activity (a correction)
count together: the latest (by log index) says what the activity now is; any of them can be
the notice that meets the deadline.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from gulfsec.domain.forms._military import Forces, LiveFiring
from gulfsec.domain.forms.annual_calendar import AnnualCalendar, PlannedActivity
from gulfsec.domain.forms.observation import INVITATION
from gulfsec.domain.regime import Regime

from ..view import CALENDAR, NOTIFICATION, ActivityKey, Rec, View


def touched_activities(view: View, rec: Rec) -> Iterator[ActivityKey]:
    """The activities a notification, a calendar or an invitation can change."""
    if rec.body is None:
        return
    if rec.form == NOTIFICATION:
        key = view.activity_of.get(rec.id)
        if key is not None:
            yield key
    elif rec.form == CALENDAR:
        body: AnnualCalendar = rec.body
        # Every activity in the party's calendars for that year: a new calendar can also drop
        # one an earlier calendar listed.
        for ref in set(view.calendar_refs(rec.sender, body.year)):
            yield (rec.sender, ref)
    elif rec.form == INVITATION:
        key = view.activity_of.get(rec.body.notification)
        if key is not None:
            yield key


@dataclass(frozen=True, slots=True)
class Facts:
    """What is known of an activity: from its latest notification, else from its plan."""

    name: str
    start: date
    forces: Forces
    live_firing: Sequence[LiveFiring]
    source: Rec
    notified: bool


def latest_notice(view: View, key: ActivityKey) -> Rec | None:
    notices = view.notifications.get(key)
    return notices[-1] if notices else None


def planned(
    view: View, key: ActivityKey, *, later: bool = False
) -> tuple[Rec, PlannedActivity] | None:
    """The latest calendar listing of the activity among a year's ``activities`` (or, with
    ``later``, among any list)."""
    for calendar, activity, is_later in reversed(view.listings.get(key, ())):
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
            ("troops", forces.troops, t.troops),
            ("battle tanks", forces.battle_tanks, t.battle_tanks),
            ("ACVs", forces.acv, t.acv),
            ("artillery", forces.artillery, t.artillery),
            ("major surface combatants", forces.major_surface_combatants,
             t.major_surface_combatants),
            ("submarines", forces.submarines, t.submarines),
            ("sorties", forces.aircraft_sorties, t.sorties),
        ),
    )
    near = [f.distance_to_territorial_sea_nm for f in firing]
    if near and min(near) <= t.live_firing_nm:
        reasons.append(f"live firing {min(near):g} nm from a territorial sea <= {t.live_firing_nm}")
    return reasons


def observation_reasons(regime: Regime, forces: Forces) -> list[str]:
    """The observation thresholds the activity reaches (none: no invitation is owed)."""
    t = regime.commitments.observation
    return _counts(
        forces,
        (
            ("troops", forces.troops, t.troops),
            ("battle tanks", forces.battle_tanks, t.battle_tanks),
            ("major surface combatants", forces.major_surface_combatants,
             t.major_surface_combatants),
        ),
    )


def _counts(forces: Forces, rows: Sequence[tuple[str, int, int]]) -> list[str]:
    return [f"{what} {count:,} >= {limit:,}" for what, count, limit in rows if count >= limit]
