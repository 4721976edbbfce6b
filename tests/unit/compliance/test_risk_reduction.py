"""Risk reduction's deadlines, judged by finality at the boundaries (one second before, at,
after): the reply to a request on unusual military activity (48 h), the meetings the requester
asks for (bilateral 48 h; of all participants 48 h, by the secretariat), the report of a
hazardous incident (24 h from when it occurred) and the other party's response (48 h).

Personas: SAU asks IRN to explain an unusual air activity; the USA and IRN are in an incident
at sea.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from compliance_history import MINUTE, SECOND, History, utc

from gulfsec.domain.compliance import LogRecord
from gulfsec.domain.entry import ALL
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import default_regime

SENT = utc(2027, 2, 1, 9)
FINAL = SENT + MINUTE
HOURS_48 = timedelta(hours=48)
BOUNDARIES = pytest.mark.parametrize(
    ("offset", "status"), [(-SECOND, "met"), (timedelta(0), "met"), (SECOND, "late")],
    ids=["second-before", "at-deadline", "second-after"])


@pytest.fixture
def history(state_keys: dict[str, SigningKey], party_keys: dict[str, SigningKey]) -> History:
    joined = History(default_regime(), {**state_keys, "SEC": party_keys["SEC"]})
    joined.join(at=utc(2026, 6, 1))
    return joined


def request(history: History) -> LogRecord:
    return history.file("SAU", "unusual-activity@1", {
        "addressee": "IRN", "activity_type": "air",
        "description": "Forty fighter sorties over the Gulf at night, unannounced.",
        "area": {"kind": "circle", "centre": {"lat": 26.9, "lon": 51.6}, "radius_km": 80},
        "observed_from": "2027-01-31T20:00:00Z", "concern": "No activity was notified."},
        at=SENT)


def on(history: History, case: LogRecord, sender: str, form: str, *, at: Any,
       final: Any = True, **body: Any) -> LogRecord:
    return history.file(sender, form, {"request": case.entry.id_hex, **body}, at=at,
                        final=final, refs=[case.entry.id_hex])


def meeting(history: History, case: LogRecord, sender: str, audience: Any, *, at: Any,
            final: Any = True) -> LogRecord:
    return history.file(sender, "meeting@1", {
        "title": "On the air activity", "level": "senior-official",
        "starts_at": "2027-02-10T09:00:00Z", "place": "online", "agenda": ["Explanation"],
        "case": case.entry.id_hex}, at=at, final=final, audience=audience,
        refs=[case.entry.id_hex])


@BOUNDARIES
def test_the_participant_asked_replies_within_48_hours(history: History, offset: timedelta,
                                                       status: str) -> None:
    case = request(history)
    due = FINAL + HOURS_48
    reply = on(history, case, "IRN", "unusual-activity-reply@1", at=due - MINUTE,
               final=due + offset, explanation="A scheduled readiness exercise.")
    finding = history.one(due + timedelta(days=1), rule="unusual-activity-reply", party="IRN")
    assert (finding.status, finding.due) == (status, due)
    assert finding.evidence == (case.entry.id_hex, reply.entry.id_hex)


def test_no_reply_is_missing_after_48_hours_and_a_reply_by_another_does_not_count(
        history: History) -> None:
    case = request(history)
    due = FINAL + HOURS_48
    on(history, case, "QAT", "unusual-activity-reply@1", at=SENT + MINUTE,
       explanation="Not ours to explain.")
    assert history.one(due, rule="unusual-activity-reply", party="IRN").status == "pending"
    assert history.one(due + SECOND, rule="unusual-activity-reply",
                       party="IRN").status == "missing"


@BOUNDARIES
def test_a_bilateral_meeting_is_convened_within_48_hours_of_the_request_for_it(
        history: History, offset: timedelta, status: str) -> None:
    case = request(history)
    asked = on(history, case, "SAU", "unusual-activity-meeting@1", at=SENT + MINUTE,
               meeting="bilateral")
    due = asked.final_at + HOURS_48  # type: ignore[operator]
    meeting(history, case, "IRN", ("SAU",), at=due - MINUTE, final=due + offset)
    finding = history.one(due + timedelta(days=1), rule="unusual-activity-meeting",
                          party="IRN")
    assert (finding.status, finding.due) == (status, due)


@BOUNDARIES
def test_a_meeting_of_all_is_convened_by_the_secretariat_within_48_hours(
        history: History, offset: timedelta, status: str) -> None:
    case = request(history)
    asked = on(history, case, "SAU", "unusual-activity-meeting@1", at=SENT + MINUTE,
               meeting="all")
    due = asked.final_at + HOURS_48  # type: ignore[operator]
    meeting(history, case, "IRN", ALL, at=due - 2 * MINUTE)  # not the secretariat's
    meeting(history, case, "SEC", ALL, at=due - MINUTE, final=due + offset)
    finding = history.one(due + timedelta(days=1), rule="unusual-activity-meeting",
                          party="SEC")
    assert (finding.status, finding.due) == (status, due)


def incident(history: History, *, at: Any, final: Any = True) -> LogRecord:
    return history.file("USA", "incident-report@1", {
        "occurred_at": "2027-02-01T06:00:00Z", "position": {"lat": 26.6, "lon": 56.3},
        "area_name": "Strait of Hormuz", "other_party": "IRN",
        "units": [{"party": "USA", "kind": "ship", "name": "USS Example", "hull_number": "DDG-0"},
                  {"party": "IRN", "kind": "boat"}],
        "cpa_metres": 150, "events": ["unsafe-manoeuvre", "weapons-aimed"],
        "account": "Fast boats crossed the destroyer's bow at 150 m."},
        at=at, final=final, audience=("IRN",))


@BOUNDARIES
def test_a_party_involved_reports_within_24_hours_of_the_incident(
        history: History, offset: timedelta, status: str) -> None:
    due = utc(2027, 2, 2, 6)
    incident(history, at=due - MINUTE, final=due + offset)
    finding = history.one(due + timedelta(days=1), rule="incident-report", party="USA")
    assert (finding.status, finding.due) == (status, due)


@BOUNDARIES
def test_the_other_party_responds_within_48_hours_of_the_reports_finality(
        history: History, offset: timedelta, status: str) -> None:
    report = incident(history, at=SENT)
    due = FINAL + HOURS_48
    history.file("IRN", "incident-response@1", {
        "report": report.entry.id_hex, "account": "The boats kept a safe distance.",
        "disputed": "The closest point of approach was 900 m, not 150 m.", "cpa_metres": 900},
        at=due - MINUTE, final=due + offset, audience=("USA",), refs=[report.entry.id_hex])
    finding = history.one(due + timedelta(days=1), rule="incident-response", party="IRN")
    assert (finding.status, finding.due) == (status, due)


def test_a_response_not_addressed_to_the_reporter_does_not_answer(history: History) -> None:
    report = incident(history, at=SENT)
    history.file("IRN", "incident-response@1", {
        "report": report.entry.id_hex, "account": "Ours."}, at=SENT + MINUTE,
        audience=("QAT",), refs=[report.entry.id_hex])
    due = FINAL + HOURS_48
    assert history.one(due + SECOND, rule="incident-response", party="IRN").status == "missing"
