"""The yearly reports: annual exchange, annual calendar, arms transfers, military expenditure.

Each is owed by every obliged state for each year, by a fixed day; the report's finality time
decides, never the time its sender claims. Boundaries are tested one second either side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from compliance_history import (
    MINUTE,
    SECOND,
    History,
    arms,
    calendar,
    end_of,
    exchange,
    expenditure,
    utc,
    with_commitment,
)

from gulfsec.domain.compliance import ComplianceEngine, Finding
from gulfsec.domain.regime import MonthDay


@dataclass(frozen=True)
class Yearly:
    rule: str
    form: str
    body: Callable[[int], dict[str, Any]]
    year: int
    due: datetime

    def __str__(self) -> str:
        return self.rule


YEARLY = [
    Yearly("annual-exchange", "annual-exchange@1", exchange, 2027, end_of(date(2026, 12, 15))),
    Yearly("annual-calendar", "annual-calendar@1", calendar, 2027, end_of(date(2026, 11, 15))),
    Yearly("arms-transfers", "arms-transfers@1", arms, 2026, end_of(date(2027, 5, 31))),
    Yearly("military-expenditure", "military-expenditure@1", expenditure, 2026,
           end_of(date(2027, 4, 30))),
]
each_report = pytest.mark.parametrize("report", YEARLY, ids=str)


def file_report(history: History, report: Yearly, *, at: datetime, final: Any = True,
                sender: str = "IRN", **kw: Any) -> Any:
    return history.file(sender, report.form, report.body(report.year), at=at, final=final, **kw)


def irn(history: History, report: Yearly, now: datetime) -> Finding:
    """IRN's finding on ``report`` for its year."""
    return history.one(now, rule=report.rule, party="IRN", year=report.year)


@each_report
@pytest.mark.parametrize("margin", [SECOND, timedelta(0)], ids=["second-before", "at-deadline"])
def test_a_report_final_by_the_deadline_is_met(
    history: History, report: Yearly, margin: timedelta
) -> None:
    filed = file_report(history, report, at=report.due - MINUTE, final=report.due - margin)
    finding = irn(history, report, report.due + timedelta(days=30))
    assert finding.status == "met"
    assert finding.due == report.due
    assert finding.year == report.year
    assert finding.evidence == (filed.entry.id_hex,)


@each_report
def test_a_report_final_one_second_after_the_deadline_is_late_whatever_time_it_claims(
    history: History, report: Yearly
) -> None:
    file_report(history, report, at=report.due - MINUTE, final=report.due + SECOND,
                claimed=report.due - timedelta(days=3))
    finding = irn(history, report, report.due + timedelta(days=30))
    assert finding.status == "late"
    assert "1 s after the deadline" in finding.detail


@each_report
@pytest.mark.parametrize(
    ("offset", "status"),
    [(-SECOND, "pending"), (timedelta(0), "pending"), (SECOND, "missing")],
    ids=["second-before", "at-deadline", "second-after"],
)
def test_nothing_filed_is_pending_until_the_deadline_then_missing(
    history: History, report: Yearly, offset: timedelta, status: str
) -> None:
    finding = history.one(report.due + offset, rule=report.rule, party="SAU",
                          year=report.year, since_year=report.due.year)
    assert finding.status == status
    assert finding.due == report.due
    assert finding.evidence == ()
    assert finding.year == report.year


@each_report
def test_a_report_sequenced_in_time_but_not_final_is_pending_until_its_finality_is_known(
    history: History, report: Yearly
) -> None:
    filed = file_report(history, report, at=report.due - MINUTE, final=None)
    later = report.due + timedelta(days=2)
    judged = {"rule": report.rule, "party": "IRN", "year": report.year}
    assert history.one(later, **judged).status == "pending"

    def status() -> list[str]:
        findings = engine.findings(later, party="IRN", year=report.year)
        return [f.status for f in findings if f.rule == report.rule]

    engine = ComplianceEngine(history.regime, since_year=2026)
    engine.add(filed)
    assert status() == ["pending"]
    engine.update_finality(filed.index, report.due)
    assert status() == ["met"]
    engine.update_finality(filed.index, report.due + SECOND)
    assert status() == ["late"]


@each_report
def test_a_report_filed_after_the_deadline_is_pending_until_final_then_late(
    history: History, report: Yearly
) -> None:
    file_report(history, report, at=report.due + SECOND, final=None)
    now = report.due + timedelta(days=1)
    assert irn(history, report, now).status == "pending"
    history.records.clear()
    history.seq.clear()
    file_report(history, report, at=report.due + SECOND, final=report.due + MINUTE)
    assert irn(history, report, now).status == "late"


@each_report
def test_a_report_addressed_to_some_states_only_does_not_count(
    history: History, report: Yearly
) -> None:
    file_report(history, report, at=report.due - MINUTE, audience=("RUS", "SAU"))
    finding = irn(history, report, report.due + SECOND)
    assert finding.status == "missing"
    assert "addressed to all participating states" in finding.detail


@each_report
def test_a_report_listing_every_other_state_counts_as_addressed_to_all(
    history: History, report: Yearly
) -> None:
    others = [p for p in history.regime.participants
              if history.regime.participants[p].kind == "state" and p != "IRN"]
    file_report(history, report, at=report.due - MINUTE, audience=others)
    assert irn(history, report, report.due + SECOND).status == "met"


@each_report
def test_the_earliest_final_report_decides(history: History, report: Yearly) -> None:
    file_report(history, report, at=report.due - timedelta(days=2), final=report.due + SECOND)
    second = file_report(history, report, at=report.due - timedelta(days=1),
                         final=report.due - SECOND)
    finding = irn(history, report, report.due + timedelta(days=1))
    assert finding.status == "met"
    assert finding.evidence == (second.entry.id_hex,)


@each_report
def test_a_report_for_another_year_does_not_answer_this_one(
    history: History, report: Yearly
) -> None:
    history.file("IRN", report.form, report.body(report.year + 1), at=report.due - MINUTE)
    findings = history.judge(report.due + SECOND, rule=report.rule, party="IRN", year=report.year)
    assert [(f.year, f.status) for f in findings if f.year == report.year] == [
        (report.year, "missing")
    ]


@each_report
def test_organisations_owe_no_reports(history: History, report: Yearly) -> None:
    assert history.judge(report.due + SECOND, rule=report.rule, party="UNSC") == []
    owing = {f.party for f in history.judge(report.due + SECOND, rule=report.rule)}
    assert owing == {
        code for code, p in history.regime.participants.items() if p.kind == "state"
    }


def test_yearly_reports_are_owed_only_once_their_due_year_has_come(history: History) -> None:
    findings = history.judge(utc(2027, 3, 1), rule="annual-exchange", party="IRN")
    # 2027's was due in December 2026, 2028's is due in December 2027; 2029's is not owed yet.
    assert [(f.year, f.status) for f in findings] == [(2027, "missing"), (2028, "pending")]


def test_nothing_is_owed_that_fell_due_before_the_log_began(history: History) -> None:
    history.file("IRN", "message@1", {"subject": "s", "text": "t"}, at=utc(2026, 12, 1))
    findings = history.judge(utc(2027, 1, 10), party="IRN", since_year=None)
    assert {f.rule for f in findings} == {
        "annual-exchange", "defence-planning", "annual-calendar", "arms-transfers",
        "military-expenditure",
    }
    # Due after 1 December 2026 only: the exchange for 2027 (15 December), not the calendar
    # for 2027 (15 November 2026) nor the reports on 2025.
    assert not [f for f in findings if f.due is not None and f.due < utc(2026, 12, 1)]
    assert [f.year for f in findings if f.rule == "annual-exchange"] == [2027, 2028]


def test_a_nil_arms_report_counts_unless_the_regime_says_it_does_not(history: History) -> None:
    due = end_of(date(2027, 5, 31))
    history.file("IRN", "arms-transfers@1", arms(2026), at=due - MINUTE)
    assert history.one(due + SECOND, rule="arms-transfers", party="IRN", year=2026).status == "met"
    strict = with_commitment(history.regime, "arms_transfers", nil_report_counts=False)
    finding = history.one(due + SECOND, rule="arms-transfers", party="IRN", year=2026,
                          regime=strict)
    assert finding.status == "missing"


def test_a_regime_with_a_later_due_date_turns_a_late_report_into_a_met_one(
    history: History,
) -> None:
    due = end_of(date(2026, 12, 15))
    history.file("IRN", "annual-exchange@1", exchange(2027), at=due, final=due + timedelta(days=5))
    judged = {"rule": "annual-exchange", "party": "IRN", "year": 2027}
    assert history.one(utc(2027, 2, 1), **judged).status == "late"
    lenient = with_commitment(history.regime, "annual_exchange", due=MonthDay(12, 31))
    finding = history.one(utc(2027, 2, 1), regime=lenient, **judged)
    assert finding.status == "met"
    assert finding.due == end_of(date(2026, 12, 31))
