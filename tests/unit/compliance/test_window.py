"""Which obligations a young log judges: nothing is owed from before it began, unless it was
filed there — what is filed is judged."""

from __future__ import annotations

from datetime import date, timedelta

from compliance_history import History, arms, circle, utc

START_OF_LOG = utc(2026, 11, 20)
NOW = utc(2026, 11, 23)


def test_an_activity_notified_after_its_deadline_is_late_even_if_the_deadline_predates_the_log(
        history: History) -> None:
    start = date(2026, 12, 10)  # notice was due 42 days before: 2026-10-29, before the log
    history.file("SAU", "activity-notification@1", {
        "kind": "land", "name": "Northern Shield", "purpose": "Exercise.",
        "start": start.isoformat(), "end": (start + timedelta(days=3)).isoformat(),
        "area": circle(), "forces": {"troops": 12000},
    }, at=START_OF_LOG)
    finding = history.one(NOW, rule="prior-notification", party="SAU", since_year=None)
    assert finding.status == "late"


def test_a_yearly_report_due_before_the_log_began_is_not_owed_if_never_filed(
        history: History) -> None:
    history.file("IRN", "message@1", {"subject": "s", "text": "t"}, at=START_OF_LOG)
    found = history.judge(NOW, rule="arms-transfers", party="QAT", year=2025, since_year=None)
    assert found == []


def test_reports_of_a_past_year_filed_in_the_log_are_mirror_checked(history: History) -> None:
    history.file("USA", "arms-transfers@1", arms(2025, exports=[("SAU", "I", 50)]),
                 at=START_OF_LOG)
    history.file("SAU", "arms-transfers@1", arms(2025, imports=[("USA", "I", 45)]),
                 at=START_OF_LOG)
    mirror = history.judge(NOW, rule="arms-transfers-mirror", since_year=None)
    assert {f.status for f in mirror} == {"breached"}
    assert all(len(f.evidence) == 2 for f in mirror)
