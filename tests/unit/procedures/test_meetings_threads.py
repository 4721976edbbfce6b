"""Meetings and consultation threads from signed entries: who is in, who answered, what counts.

Personas: the secretariat (SEC) convenes the P5+1 and Iran; IRN proposes an agenda item; RUS
opens a thread with IRN and CHN; OMN is an outsider.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from decision_log import MINUTE, SECOND, DecisionLog, utc

from gulfsec.domain.compliance import LogRecord
from gulfsec.domain.entry import ALL
from gulfsec.domain.procedures.checks import check_submission
from gulfsec.domain.procedures.meetings import meetings, step_audience
from gulfsec.domain.procedures.threads import reply_audience, threads
from gulfsec.errors import InvalidFormBody, ProcedureError

P5_IRAN = ("CHN", "DEU", "FRA", "GBR", "IRN", "RUS", "USA")
T0 = utc(2027, 2, 1, 9)
STARTS = utc(2027, 2, 10, 9)
AFTER = STARTS + timedelta(hours=3)


@pytest.fixture
def log() -> DecisionLog:
    return DecisionLog(joined=(*P5_IRAN, "OMN", "SAU"))


def convene(log: DecisionLog, sender: str = "SEC", audience: Any = P5_IRAN,
            **body: Any) -> LogRecord:
    fields = {"title": "P5+1 and Iran", "format": "p5+1+iran", "level": "minister",
              "starts_at": "2027-02-10T09:00:00Z", "timezone": "Asia/Tehran",
              "duration_minutes": 120, "place": "online",
              "agenda": ["Opening", "The Concept"], **body}
    fields = {k: v for k, v in fields.items() if v is not None}
    return log.file(sender, "meeting@1", fields, at=T0, audience=audience)


def on(log: DecisionLog, meeting: LogRecord, sender: str, form: str, minutes: int = 1,
       audience: Any = None, **body: Any) -> LogRecord:
    return log.file(sender, form, {"meeting": meeting.entry.id_hex, **body},
                    at=T0 + timedelta(minutes=minutes), refs=[meeting.entry.id_hex],
                    audience=audience or step_audience(meeting.entry, sender))


def test_a_meeting_with_its_replies_agenda_and_status(log: DecisionLog) -> None:
    meeting = convene(log)
    on(log, meeting, "IRN", "meeting-reply@1", reply="accept")
    on(log, meeting, "RUS", "meeting-reply@1", reply="propose-time",
       proposed_at="2027-02-11T09:00:00Z")
    on(log, meeting, "RUS", "meeting-reply@1", reply="accept")  # the last reply stands
    on(log, meeting, "USA", "meeting-reply@1", reply="decline", note="Not at this level.")
    on(log, meeting, "OMN", "meeting-reply@1", reply="accept", audience=("SEC",))  # outsider
    on(log, meeting, "IRN", "agenda-proposal@1", item="Maritime security in the Strait")
    found, = meetings(log.regime, log.records, T0)
    assert found.status == "convened" and found.convener == "SEC"
    assert found.acceptances() == {"CHN": None, "DEU": None, "FRA": None, "GBR": None,
                                   "IRN": "accept", "RUS": "accept", "USA": "decline"}
    assert [p.item for p in found.proposals] == ["Maritime security in the Strait"]
    on(log, meeting, "IRN", "meeting-update@1", agenda=["Opening"])  # not the convener
    on(log, meeting, "SEC", "meeting-update@1",
       agenda=["Opening", "The Concept", "Maritime security in the Strait"])
    found, = meetings(log.regime, log.records, AFTER)
    assert found.status == "held" and found.agenda_final and len(found.agenda) == 3
    assert found.sequence == 1


def test_a_change_of_time_moves_the_meeting_and_a_cancellation_ends_it(
        log: DecisionLog) -> None:
    meeting = convene(log)
    on(log, meeting, "SEC", "meeting-update@1", starts_at="2027-02-12T09:00:00Z")
    found, = meetings(log.regime, log.records, AFTER)
    assert found.status == "convened" and found.starts_at == utc(2027, 2, 12, 9)
    on(log, meeting, "SEC", "meeting-update@1", cancelled=True, note="Postponed")
    on(log, meeting, "IRN", "meeting-reply@1", reply="accept")  # after the cancellation
    found, = meetings(log.regime, log.records, AFTER)
    assert (found.status, found.sequence, found.replies) == ("cancelled", 2, {})


def test_a_meeting_of_all_needs_an_adopted_convening_decision(log: DecisionLog) -> None:
    draft = log.draft("SEC", at=T0 - timedelta(days=3), closes_at=T0 - timedelta(days=1),
                      fmt="all", kind="convene",
                      content={"starts_at": "2027-02-10T09:00:00Z", "place": "online",
                               "agenda": ["Opening"]})
    meeting = convene(log, audience=ALL, format="all", decision=draft.entry.id_hex)
    found, = meetings(log.regime, log.records, T0)
    assert found.status == "cancelled" and "not adopted" in (found.cancelled_note or "")
    found, = meetings(log.regime, log.records, T0, adopted={draft.entry.id_hex})
    assert found.status == "convened" and "OMN" in found.invited
    lookup = {r.entry.id_hex: (r.index, r.entry) for r in log.records}.get
    check_submission(meeting.entry, log.regime, T0, lookup, {})


def test_the_hub_refuses_a_meeting_step_that_would_not_count(log: DecisionLog) -> None:
    meeting = convene(log)
    lookup = {r.entry.id_hex: (r.index, r.entry) for r in log.records}.get
    cases = [
        (convene(log, sender="IRN"), "the secretariat convenes the others"),
        (convene(log, audience=("IRN", "RUS")), "invites its members"),
        (convene(log, audience=ALL, format="all"), "convened by decision"),
        (convene(log, starts_at="2027-01-01T09:00:00Z"), "not in the future"),
        (on(log, meeting, "OMN", "meeting-reply@1", reply="accept", audience=("SEC",)),
         "not invited"),
        (on(log, meeting, "IRN", "meeting-update@1", cancelled=True), "only the convener"),
        (on(log, meeting, "IRN", "meeting-reply@1", reply="accept", audience=("SEC",)),
         "addressed to everyone in it"),
    ]
    for record, message in cases:
        with pytest.raises(ProcedureError, match=message):
            check_submission(record.entry, log.regime, T0, lookup, {})
    bilateral = convene(log, sender="IRN", audience=("OMN",), format=None)
    check_submission(bilateral.entry, log.regime, T0, lookup, {})


def test_a_thread_gathers_its_replies_to_every_party_and_nothing_else(
        log: DecisionLog) -> None:
    opened = log.file("RUS", "thread@1", {"subject": "Maritime security", "level": "expert",
                                          "text": "Shall we meet?"}, at=T0,
                      audience=("CHN", "IRN"))
    assert reply_audience(opened.entry, "IRN") == ("CHN", "RUS")

    def reply(sender: str, text: str, audience: Any = None) -> LogRecord:
        return log.file(sender, "reply@1", {"thread": opened.entry.id_hex, "text": text},
                        at=T0 + timedelta(minutes=len(log.records)), refs=[opened.entry.id_hex],
                        audience=audience or reply_audience(opened.entry, sender))

    reply("IRN", "Yes, at expert level.")
    reply("CHN", "Agreed.", audience=("IRN",))  # leaves RUS out: does not count
    reply("OMN", "May I?", audience=("CHN", "IRN", "RUS"))  # not a party
    found, = threads(log.records)
    assert found.parties == ("CHN", "IRN", "RUS")
    assert [m.sender for m in found.messages] == ["RUS", "IRN"]
    lookup = {r.entry.id_hex: (r.index, r.entry) for r in log.records}.get
    with pytest.raises(ProcedureError, match="not a party to this thread"):
        check_submission(log.records[-1].entry, log.regime, T0, lookup, {})
    with pytest.raises(ProcedureError, match="every party of the thread"):
        check_submission(log.records[-2].entry, log.regime, T0, lookup, {})
    wrong = log.file("RUS", "thread@1", {"subject": "GCC", "text": "x", "format": "gcc"},
                     at=T0, audience=("SAU",))
    with pytest.raises(ProcedureError, match="addressed to its members"):
        check_submission(wrong.entry, log.regime, T0, lookup, {})


@pytest.mark.parametrize(("final_offset", "status"),
                         [(-SECOND, "not-adopted"), (SECOND, "adopted")],
                         ids=["objection-final-a-second-before", "final-a-second-after"])
def test_minutes_are_adopted_at_expiry_unless_an_objection_became_final_before_it(
        log: DecisionLog, final_offset: timedelta, status: str) -> None:
    meeting = convene(log)
    expiry = STARTS + timedelta(days=2)
    minutes = log.draft("SEC", at=AFTER, closes_at=expiry, fmt="p5+1+iran", kind="minutes",
                        content={"meeting": meeting.entry.id_hex})
    log.position("IRN", minutes, "object", at=expiry - MINUTE, final=expiry + final_offset,
                 reason="The minutes omit our statement on the Strait.")
    assert log.judge(minutes, expiry + timedelta(hours=1)).status == status


def test_minutes_are_decided_by_silence_only(log: DecisionLog) -> None:
    meeting = convene(log)
    with pytest.raises(InvalidFormBody, match="decided by silence only"):
        log.draft("SEC", at=AFTER, closes_at=AFTER + timedelta(days=1), fmt="p5+1+iran",
                  kind="minutes", procedure="consensus",
                  content={"meeting": meeting.entry.id_hex})
