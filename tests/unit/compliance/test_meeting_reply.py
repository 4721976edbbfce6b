"""Meeting replies: each invited party answers within 48 hours of the invitation's finality.

Personas: IRN convenes a bilateral meeting with SAU; SAU answers (or not).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from compliance_history import MINUTE, SECOND, History, utc

from gulfsec.domain.compliance import LogRecord
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import default_regime

RULE = "meeting-reply"
SENT = utc(2027, 2, 1, 9)
FINAL = SENT + MINUTE
DUE = FINAL + timedelta(hours=48)


@pytest.fixture
def history(state_keys: dict[str, SigningKey]) -> History:
    joined = History(default_regime(), state_keys)
    joined.join(at=utc(2026, 6, 1))
    return joined


def convene(history: History) -> LogRecord:
    return history.file("IRN", "meeting@1", {
        "title": "Maritime security", "level": "senior-official",
        "starts_at": "2027-03-01T09:00:00Z", "timezone": "Asia/Dubai", "place": "Muscat",
        "agenda": ["Incidents at sea"]}, at=SENT, audience=("SAU",))


def step(history: History, meeting: LogRecord, sender: str, form: str, *, at: Any,
         final: Any = True, audience: Any = None, **body: Any) -> LogRecord:
    return history.file(sender, form, {"meeting": meeting.entry.id_hex, **body}, at=at,
                        final=final, refs=[meeting.entry.id_hex],
                        audience=audience or ("IRN" if sender == "SAU" else "SAU",))


@pytest.mark.parametrize(("final_offset", "status"),
                         [(-SECOND, "met"), (timedelta(0), "met"), (SECOND, "late")],
                         ids=["second-before", "at-deadline", "second-after"])
def test_a_reply_final_within_48_hours_of_the_invitations_finality_is_met(
        history: History, final_offset: timedelta, status: str) -> None:
    meeting = convene(history)
    reply = step(history, meeting, "SAU", "meeting-reply@1", reply="decline",
                 at=DUE - MINUTE, final=DUE + final_offset)
    finding = history.one(DUE + timedelta(days=1), rule=RULE, party="SAU")
    assert (finding.status, finding.due) == (status, DUE)
    assert finding.evidence == (meeting.entry.id_hex, reply.entry.id_hex)


@pytest.mark.parametrize(("offset", "status"),
                         [(-SECOND, "pending"), (timedelta(0), "pending"), (SECOND, "missing")],
                         ids=["second-before", "at-deadline", "second-after"])
def test_no_reply_is_missing_48_hours_after_the_invitations_finality(
        history: History, offset: timedelta, status: str) -> None:
    convene(history)
    assert history.one(DUE + offset, rule=RULE, party="SAU").status == status
    assert history.judge(DUE + offset, rule=RULE, party="IRN") == []  # the convener owes none


def test_a_reply_to_the_wrong_audience_does_not_answer(history: History) -> None:
    meeting = convene(history)
    step(history, meeting, "SAU", "meeting-reply@1", reply="accept", at=SENT + MINUTE,
         audience=("IRN", "QAT"))
    assert history.one(DUE + SECOND, rule=RULE, party="SAU").status == "missing"


def test_a_meeting_cancelled_before_the_reply_was_due_is_owed_nothing(
        history: History) -> None:
    meeting = convene(history)
    step(history, meeting, "IRN", "meeting-update@1", cancelled=True, at=SENT + MINUTE)
    assert history.judge(DUE + timedelta(days=3), rule=RULE) == []


def test_a_meeting_not_final_yet_is_pending_with_no_deadline(history: History) -> None:
    history.file("IRN", "meeting@1", {
        "title": "Maritime security", "level": "expert", "starts_at": "2027-03-01T09:00:00Z",
        "place": "online", "agenda": ["Incidents"]}, at=SENT, final=None, audience=("SAU",))
    finding = history.one(DUE + timedelta(days=3), rule=RULE, party="SAU")
    assert (finding.status, finding.due) == ("pending", None)
