"""The commitments of a regime (DESIGN.md §6): deadlines, thresholds and quotas, as values.

Durations are held as ``timedelta`` (the file writes their unit in the key: ``notice_days``,
``reply_hours``); calendar months stay whole numbers (``within_months``); yearly due dates are
``MonthDay``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from .model import MonthDay

__all__ = [
    "Acknowledgement",
    "AnnualCalendar",
    "AnnualExchange",
    "ArmsTransfers",
    "Commitments",
    "ConstrainingProvision",
    "DefencePlanning",
    "HazardousIncident",
    "Hotline",
    "Inspections",
    "Meetings",
    "MilitaryExpenditure",
    "ObservationInvitation",
    "PriorNotification",
    "UnusualActivity",
]


@dataclass(frozen=True)
class AnnualExchange:
    """Annual exchange of military information: by ``due``, valid from ``valid_from`` next."""

    due: MonthDay
    valid_from: MonthDay


@dataclass(frozen=True)
class DefencePlanning:
    """Defence planning information within ``within_months`` calendar months of the budget."""

    within_months: int


@dataclass(frozen=True)
class AnnualCalendar:
    """The calendar of notifiable activities for the next year, by ``due``."""

    due: MonthDay


@dataclass(frozen=True)
class PriorNotification:
    """Notice ahead of an activity that reaches any one threshold.

    ``live_firing_nm`` is a distance: any live firing within that many nautical miles of another
    participant's territorial sea is notifiable. ``submarines = 1`` means any submarine.
    """

    notice: timedelta
    troops: int
    battle_tanks: int
    acv: int
    artillery: int
    major_surface_combatants: int
    submarines: int
    live_firing_nm: int
    sorties: int


@dataclass(frozen=True)
class ObservationInvitation:
    """Observers from the format ``audience`` are invited ``notice`` ahead of a large activity."""

    audience: str
    notice: timedelta
    troops: int
    battle_tanks: int
    major_surface_combatants: int


@dataclass(frozen=True)
class ConstrainingProvision:
    """Activities of at least ``troops`` must be in the annual calendar ``years_ahead`` ahead."""

    troops: int
    years_ahead: int


@dataclass(frozen=True)
class UnusualActivity:
    """Reply to a request within ``reply``; a bilateral meeting within ``bilateral_meeting``
    of the requester asking for it; a meeting of all participants within ``all_meeting``."""

    reply: timedelta
    bilateral_meeting: timedelta
    all_meeting: timedelta = timedelta(hours=48)


@dataclass(frozen=True)
class HazardousIncident:
    """Report within ``report``; the other party responds within ``response``."""

    report: timedelta
    response: timedelta


@dataclass(frozen=True)
class Acknowledgement:
    """Every entry addressed to a participant is acknowledged ``within`` this time."""

    within: timedelta


@dataclass(frozen=True)
class ArmsTransfers:
    """UN Register report for the previous year, by ``due``, in these ``categories``."""

    due: MonthDay
    nil_report_counts: bool
    categories: tuple[str, ...]


@dataclass(frozen=True)
class MilitaryExpenditure:
    """UN standardised military expenditure report for the previous year, by ``due``."""

    due: MonthDay


@dataclass(frozen=True)
class Hotline:
    """A test message every ``test_interval``; each receipt within ``receipt``; each
    encryption key valid for ``encryption_key`` from its registration (then rotated)."""

    test_interval: timedelta
    receipt: timedelta
    encryption_key: timedelta = timedelta(days=30)


@dataclass(frozen=True)
class Inspections:
    """Each participant accepts up to ``quota_per_year`` inspections a calendar year."""

    quota_per_year: int


@dataclass(frozen=True)
class Meetings:
    """Each invited party answers a meeting's invitation within ``reply`` of its finality."""

    reply: timedelta = timedelta(hours=48)


@dataclass(frozen=True)
class Commitments:
    annual_exchange: AnnualExchange
    defence_planning: DefencePlanning
    annual_calendar: AnnualCalendar
    prior_notification: PriorNotification
    observation: ObservationInvitation
    constraining: ConstrainingProvision
    unusual_activity: UnusualActivity
    hazardous_incident: HazardousIncident
    acknowledgement: Acknowledgement
    arms_transfers: ArmsTransfers
    military_expenditure: MilitaryExpenditure
    hotline: Hotline
    inspections: Inspections
    meetings: Meetings = Meetings()
