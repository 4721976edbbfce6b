"""The activity rules: prior notification, consistency with the calendar, observation
invitation and the constraining provision.

IRN notifies an activity starting on 1 March 2027 (the notice deadline, 42 days before, is
18 January 2027 at 00:00 UTC) unless a test says otherwise.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from compliance_history import (
    MINUTE,
    SECOND,
    History,
    calendar,
    end_of,
    invitation,
    midnight,
    notification,
    planned,
    utc,
    with_commitment,
)

START = date(2027, 3, 1)
NOTICE_DUE = midnight(START) - timedelta(days=42)
LATER = utc(2027, 6, 1)


def notify(history: History, *, final: Any = True, at: Any = None, **body: Any) -> Any:
    at = at or NOTICE_DUE - timedelta(days=1)
    return history.file("IRN", "activity-notification@1", notification(START, **body),
                        at=at, final=final)


# --- prior notification --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("final_offset", "status"),
    [(-SECOND, "met"), (timedelta(0), "met"), (SECOND, "late")],
    ids=["second-before", "at-deadline", "second-after"],
)
def test_a_notifiable_activity_is_notified_by_its_start_less_the_notice(
    history: History, final_offset: timedelta, status: str
) -> None:
    notice = notify(history, troops=9000, at=NOTICE_DUE - MINUTE, final=NOTICE_DUE + final_offset)
    finding = history.one(LATER, rule="prior-notification", party="IRN")
    assert finding.status == status
    assert finding.due == NOTICE_DUE
    assert finding.year == 2027
    assert finding.subject == "Velayat"
    assert finding.evidence == (notice.entry.id_hex,)
    assert "troops 9,000 >= 9,000" in finding.detail


def test_the_time_a_notification_claims_does_not_count(history: History) -> None:
    history.file("IRN", "activity-notification@1", notification(START, troops=9000),
                 at=NOTICE_DUE + SECOND, claimed=NOTICE_DUE - timedelta(days=10))
    assert history.one(LATER, rule="prior-notification", party="IRN").status == "late"


def test_a_notification_not_yet_final_is_pending(history: History) -> None:
    notify(history, troops=9000, final=None)
    assert history.one(LATER, rule="prior-notification", party="IRN").status == "pending"


@pytest.mark.parametrize(
    ("category", "threshold"),
    [("troops", 9000), ("battle_tanks", 250), ("acv", 500), ("artillery", 250),
     ("major_surface_combatants", 5), ("submarines", 1), ("aircraft_sorties", 200)],
)
def test_each_threshold_makes_an_activity_notifiable_at_exactly_its_value(
    history: History, category: str, threshold: int
) -> None:
    notify(history, name="at", **{category: threshold})
    history.file("IRN", "activity-notification@1",
                 notification(START, name="below", **{category: threshold - 1}),
                 at=NOTICE_DUE + timedelta(days=5))
    findings = history.judge(LATER, rule="prior-notification", party="IRN")
    assert [(f.subject, f.status) for f in findings] == [("at", "met")]


@pytest.mark.parametrize(("distance", "notifiable"), [(12, True), (12.5, False), (0, True)])
def test_live_firing_near_another_participants_sea_makes_an_activity_notifiable(
    history: History, distance: float, notifiable: bool
) -> None:
    notify(history, troops=100, firing_nm=distance, at=NOTICE_DUE + SECOND)
    findings = history.judge(LATER, rule="prior-notification", party="IRN")
    assert [f.status for f in findings] == (["late"] if notifiable else [])


def test_changed_thresholds_change_the_verdict(history: History) -> None:
    notify(history, troops=9000, at=NOTICE_DUE + timedelta(days=2))
    assert history.one(LATER, rule="prior-notification", party="IRN").status == "late"
    higher = with_commitment(history.regime, "prior_notification", troops=10_000)
    assert history.judge(LATER, rule="prior-notification", regime=higher) == []
    shorter = with_commitment(history.regime, "prior_notification", notice=timedelta(days=30))
    finding = history.one(LATER, rule="prior-notification", party="IRN", regime=shorter)
    assert finding.status == "met"
    assert finding.due == midnight(START) - timedelta(days=30)


@pytest.mark.parametrize(
    ("offset", "status"),
    [(-SECOND, "pending"), (timedelta(0), "pending"), (SECOND, "missing")],
    ids=["second-before", "at-deadline", "second-after"],
)
def test_an_activity_in_the_calendar_never_notified_is_missing_after_its_deadline(
    history: History, offset: timedelta, status: str
) -> None:
    plan = history.file("IRN", "annual-calendar@1",
                        calendar(2027, planned("IRN-27-1", START, troops=9500)),
                        at=utc(2026, 11, 1))
    finding = history.one(NOTICE_DUE + offset, rule="prior-notification", party="IRN")
    assert finding.status == status
    assert finding.subject == "IRN-27-1"
    assert finding.due == NOTICE_DUE
    assert finding.evidence == (plan.entry.id_hex,)


def test_a_notified_calendar_activity_has_one_finding_for_its_notification(
    history: History,
) -> None:
    history.file("IRN", "annual-calendar@1", calendar(2027, planned("IRN-27-1", START)),
                 at=utc(2026, 11, 1))
    notify(history, troops=9000, ref="IRN-27-1")
    finding = history.one(LATER, rule="prior-notification", party="IRN")
    assert (finding.subject, finding.status) == ("IRN-27-1", "met")


def test_a_calendar_activity_below_every_threshold_is_owed_no_notification(
    history: History,
) -> None:
    history.file("IRN", "annual-calendar@1",
                 calendar(2027, planned("IRN-27-1", START, troops=3000)), at=utc(2026, 11, 1))
    assert history.judge(LATER, rule="prior-notification") == []


def test_an_activity_dropped_from_the_calendar_in_time_is_owed_nothing(history: History) -> None:
    history.file("IRN", "annual-calendar@1", calendar(2027, planned("IRN-27-1", START)),
                 at=utc(2026, 11, 1))
    history.file("IRN", "annual-calendar@1", calendar(2027), at=NOTICE_DUE - MINUTE,
                 final=NOTICE_DUE)
    assert history.judge(LATER, rule="prior-notification") == []


def test_dropping_an_activity_after_its_deadline_does_not_excuse_the_missing_notice(
    history: History,
) -> None:
    history.file("IRN", "annual-calendar@1", calendar(2027, planned("IRN-27-1", START)),
                 at=utc(2026, 11, 1))
    history.file("IRN", "annual-calendar@1", calendar(2027), at=NOTICE_DUE,
                 final=NOTICE_DUE + SECOND)
    assert history.one(LATER, rule="prior-notification", party="IRN").status == "missing"


def test_a_correction_of_a_notification_counts_with_it(history: History) -> None:
    notify(history, troops=9000, ref="IRN-27-1", at=NOTICE_DUE - timedelta(days=5))
    history.file("IRN", "activity-notification@1",
                 notification(START, ref="IRN-27-1", troops=9800), at=NOTICE_DUE + timedelta(1))
    finding = history.one(LATER, rule="prior-notification", party="IRN")
    assert finding.status == "met"
    assert "9,800" in finding.detail  # the latest notification says what the activity is


def test_a_notification_to_some_states_only_does_not_count(history: History) -> None:
    history.file("IRN", "annual-calendar@1", calendar(2027, planned("IRN-27-1", START)),
                 at=utc(2026, 11, 1))
    history.file("IRN", "activity-notification@1",
                 notification(START, ref="IRN-27-1", troops=9000),
                 at=NOTICE_DUE - timedelta(days=3), audience=("RUS",))
    assert history.one(LATER, rule="prior-notification", party="IRN").status == "missing"


# --- calendar consistency ------------------------------------------------------------------


def test_a_notified_activity_listed_in_a_final_calendar_is_consistent(history: History) -> None:
    plan = history.file("IRN", "annual-calendar@1", calendar(2027, planned("IRN-27-1", START)),
                        at=utc(2026, 11, 1))
    notice = notify(history, troops=9000, ref="IRN-27-1")
    finding = history.one(LATER, rule="calendar-consistency", party="IRN")
    assert finding.status == "met"
    assert finding.evidence == (notice.entry.id_hex, plan.entry.id_hex)


@pytest.mark.parametrize(
    ("offset", "status"),
    [(-SECOND, "pending"), (timedelta(0), "pending"), (SECOND, "missing")],
    ids=["second-before", "at-deadline", "second-after"],
)
def test_a_notified_activity_not_in_the_calendar_is_missing_once_the_calendar_is_due(
    history: History, offset: timedelta, status: str
) -> None:
    calendar_due = end_of(date(2026, 11, 15))
    history.file("IRN", "annual-calendar@1", calendar(2027, planned("IRN-27-9", START)),
                 at=utc(2026, 11, 1))
    history.file("IRN", "activity-notification@1",
                 notification(date(2027, 1, 10), ref="IRN-27-1", troops=9000),
                 at=utc(2026, 11, 10))
    finding = history.one(calendar_due + offset, rule="calendar-consistency", party="IRN")
    assert finding.status == status
    assert finding.due == calendar_due
    assert "is not listed" in finding.detail


def test_a_notified_activity_with_no_calendar_reference_is_inconsistent(history: History) -> None:
    notify(history, troops=9000)
    finding = history.one(LATER, rule="calendar-consistency", party="IRN")
    assert finding.status == "missing"
    assert "names no calendar reference" in finding.detail


def test_a_listing_in_a_calendar_not_yet_final_is_pending(history: History) -> None:
    history.file("IRN", "annual-calendar@1", calendar(2027, planned("IRN-27-1", START)),
                 at=utc(2026, 11, 1), final=None)
    notify(history, troops=9000, ref="IRN-27-1")
    assert history.one(LATER, rule="calendar-consistency", party="IRN").status == "pending"


def test_an_activity_below_every_threshold_need_not_be_in_the_calendar(history: History) -> None:
    notify(history, troops=3000)
    assert history.judge(LATER, rule="calendar-consistency") == []


# --- observation invitation ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("final_offset", "status"),
    [(-SECOND, "met"), (timedelta(0), "met"), (SECOND, "late")],
    ids=["second-before", "at-deadline", "second-after"],
)
def test_observers_are_invited_to_a_large_activity_by_its_start_less_the_notice(
    history: History, final_offset: timedelta, status: str
) -> None:
    notice = notify(history, troops=13_000, at=NOTICE_DUE - timedelta(days=2))
    sent = history.file("IRN", "observation-invitation@1", invitation(notice, START),
                        at=NOTICE_DUE - MINUTE, final=NOTICE_DUE + final_offset)
    finding = history.one(LATER, rule="observation-invitation", party="IRN")
    assert finding.status == status
    assert finding.due == NOTICE_DUE
    assert finding.evidence == (notice.entry.id_hex, sent.entry.id_hex)


@pytest.mark.parametrize(
    ("offset", "status"),
    [(-SECOND, "pending"), (timedelta(0), "pending"), (SECOND, "missing")],
    ids=["second-before", "at-deadline", "second-after"],
)
def test_no_invitation_is_pending_until_the_deadline_then_missing(
    history: History, offset: timedelta, status: str
) -> None:
    notify(history, troops=13_000, at=NOTICE_DUE - timedelta(days=2))
    finding = history.one(NOTICE_DUE + offset, rule="observation-invitation", party="IRN")
    assert finding.status == status


@pytest.mark.parametrize(
    ("forces", "owed"),
    [({"troops": 13_000}, True), ({"troops": 12_999}, False), ({"battle_tanks": 300}, True),
     ({"battle_tanks": 299}, False), ({"major_surface_combatants": 10}, True),
     ({"major_surface_combatants": 9}, False)],
)
def test_an_invitation_is_owed_at_each_observation_threshold(
    history: History, forces: dict[str, int], owed: bool
) -> None:
    notify(history, **forces)
    findings = history.judge(LATER, rule="observation-invitation")
    assert [f.status for f in findings] == (["missing"] if owed else [])


def test_an_invitation_to_some_states_only_or_to_another_activity_does_not_count(
    history: History,
) -> None:
    notice = notify(history, troops=13_000, at=NOTICE_DUE - timedelta(days=3))
    other = notify(history, troops=100, at=NOTICE_DUE - timedelta(days=3))
    history.file("IRN", "observation-invitation@1", invitation(notice, START),
                 at=NOTICE_DUE - timedelta(days=2), audience=("RUS", "SAU"))
    history.file("IRN", "observation-invitation@1", invitation(other, START),
                 at=NOTICE_DUE - timedelta(days=2))
    history.file("SAU", "observation-invitation@1", invitation(notice, START),
                 at=NOTICE_DUE - timedelta(days=2))
    assert history.one(LATER, rule="observation-invitation", party="IRN").status == "missing"


def test_a_higher_observation_threshold_owes_no_invitation(history: History) -> None:
    notify(history, troops=13_000)
    higher = with_commitment(history.regime, "observation", troops=20_000)
    assert history.judge(LATER, rule="observation-invitation", regime=higher) == []


# --- constraining provision ----------------------------------------------------------------

BIG_START = date(2029, 3, 1)
TWO_YEARS_AHEAD = end_of(date(2027, 11, 15))


def big(ref: str = "IRN-29-1", troops: int = 40_000) -> dict[str, Any]:
    return planned(ref, BIG_START, troops=troops)


@pytest.mark.parametrize(
    ("final_offset", "status"),
    [(-SECOND, "met"), (timedelta(0), "met"), (SECOND, "breached")],
    ids=["second-before", "at-deadline", "second-after"],
)
def test_a_large_activity_must_be_in_the_calendar_two_years_ahead(
    history: History, final_offset: timedelta, status: str
) -> None:
    history.file("IRN", "annual-calendar@1", calendar(2028, later=[big()]),
                 at=TWO_YEARS_AHEAD - MINUTE, final=TWO_YEARS_AHEAD + final_offset)
    history.file("IRN", "annual-calendar@1", calendar(2029, big()), at=utc(2028, 11, 1))
    history.file("IRN", "activity-notification@1",
                 notification(BIG_START, ref="IRN-29-1", troops=40_000), at=utc(2029, 1, 2))
    finding = history.one(utc(2029, 6, 1), rule="constraining-provision", party="IRN")
    assert finding.status == status
    assert finding.due == TWO_YEARS_AHEAD
    assert finding.subject == "IRN-29-1"


@pytest.mark.parametrize(
    ("offset", "status"),
    [(-SECOND, "pending"), (timedelta(0), "pending"), (SECOND, "breached")],
    ids=["second-before", "at-deadline", "second-after"],
)
def test_a_large_activity_never_announced_two_years_ahead_is_a_breach(
    history: History, offset: timedelta, status: str
) -> None:
    history.file("IRN", "activity-notification@1",
                 notification(BIG_START, troops=45_000), at=utc(2027, 6, 1))
    finding = history.one(TWO_YEARS_AHEAD + offset, rule="constraining-provision", party="IRN")
    assert finding.status == status


def test_an_activity_below_the_constraining_threshold_is_not_constrained(
    history: History,
) -> None:
    history.file("IRN", "annual-calendar@1", calendar(2029, big(troops=39_999)),
                 at=utc(2028, 11, 1))
    assert history.judge(utc(2029, 6, 1), rule="constraining-provision") == []


def test_a_regime_asking_one_year_ahead_accepts_the_activitys_own_calendar(
    history: History,
) -> None:
    history.file("IRN", "annual-calendar@1", calendar(2029, big()), at=utc(2028, 11, 1))
    assert history.one(utc(2029, 6, 1), rule="constraining-provision",
                       party="IRN").status == "breached"
    one_year = with_commitment(history.regime, "constraining", years_ahead=1)
    finding = history.one(utc(2029, 6, 1), rule="constraining-provision", party="IRN",
                          regime=one_year)
    assert finding.status == "met"
    assert finding.due == end_of(date(2028, 11, 15))
