"""Defence planning: due within the regime's months of the approval date the report declares."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from compliance_history import MINUTE, SECOND, History, end_of, planning, utc, with_commitment

RULE = "defence-planning"


@pytest.mark.parametrize(
    ("final_offset", "status"),
    [(-SECOND, "met"), (timedelta(0), "met"), (SECOND, "late")],
    ids=["second-before", "at-deadline", "second-after"],
)
def test_the_deadline_runs_from_the_declared_approval_date(
    history: History, final_offset: timedelta, status: str
) -> None:
    due = end_of(date(2027, 4, 20))  # approved 20 January, three months
    history.file("IRN", "defence-planning@1", planning(2027, date(2027, 1, 20)),
                 at=due - MINUTE, final=due + final_offset)
    finding = history.one(utc(2027, 6, 1), rule=RULE, party="IRN", year=2027)
    assert finding.status == status
    assert finding.due == due
    assert "budget approved 2027-01-20" in finding.detail


@pytest.mark.parametrize(
    ("offset", "status"),
    [(-SECOND, "pending"), (timedelta(0), "pending"), (SECOND, "missing")],
    ids=["second-before", "at-deadline", "second-after"],
)
def test_with_nothing_filed_the_budget_is_assumed_approved_on_1_january(
    history: History, offset: timedelta, status: str
) -> None:
    due = end_of(date(2027, 4, 1))
    finding = history.one(due + offset, rule=RULE, party="SAU", year=2027)
    assert finding.status == status
    assert finding.due == due
    assert "assumed 1 January" in finding.detail


def test_a_report_after_the_assumed_date_is_judged_by_the_date_it_declares(
    history: History,
) -> None:
    history.file("IRN", "defence-planning@1", planning(2027, date(2027, 6, 1)),
                 at=utc(2027, 7, 1))
    finding = history.one(utc(2027, 7, 2), rule=RULE, party="IRN", year=2027)
    assert finding.status == "met"
    assert finding.due == end_of(date(2027, 9, 1))


def test_the_earliest_declared_approval_date_counts(history: History) -> None:
    history.file("IRN", "defence-planning@1", planning(2027, date(2027, 1, 10)),
                 at=utc(2027, 5, 1))
    history.file("IRN", "defence-planning@1", planning(2027, date(2027, 3, 1)),
                 at=utc(2027, 5, 2))
    finding = history.one(utc(2027, 6, 1), rule=RULE, party="IRN", year=2027)
    assert finding.status == "late"
    assert finding.due == end_of(date(2027, 4, 10))


def test_months_are_calendar_months_ending_on_the_last_day_of_a_shorter_month(
    history: History,
) -> None:
    history.file("IRN", "defence-planning@1", planning(2027, date(2026, 11, 30)),
                 at=utc(2027, 2, 28, 12))
    finding = history.one(utc(2027, 3, 5), rule=RULE, party="IRN", year=2027)
    assert finding.due == end_of(date(2027, 2, 28))
    assert finding.status == "met"


def test_a_regime_allowing_fewer_months_makes_the_same_report_late(history: History) -> None:
    history.file("IRN", "defence-planning@1", planning(2027, date(2027, 1, 20)),
                 at=utc(2027, 3, 1))
    assert history.one(utc(2027, 5, 1), rule=RULE, party="IRN", year=2027).status == "met"
    strict = with_commitment(history.regime, "defence_planning", within_months=1)
    finding = history.one(utc(2027, 5, 1), rule=RULE, party="IRN", year=2027, regime=strict)
    assert finding.status == "late"
    assert finding.due == end_of(date(2027, 2, 20))
