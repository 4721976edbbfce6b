"""Meetings as iCalendar: one event per meeting, updated in place when the convener changes it.

The file is read back with the same maintained library a calendar would use.
"""

from __future__ import annotations

from datetime import timedelta

from decision_log import DecisionLog, utc
from icalendar import Calendar

from gulfsec.domain.procedures.meetings import meetings, step_audience
from gulfsec.services.shared.calendar import calendar
from gulfsec.services.shared.consultations import MeetingView

T0 = utc(2027, 2, 1, 9)
P5_IRAN = ("CHN", "DEU", "FRA", "GBR", "IRN", "RUS", "USA")


def read(log: DecisionLog) -> Calendar:
    views = [MeetingView(m, None) for m in meetings(log.regime, log.records, T0)]
    return Calendar.from_ical(calendar(views, T0))


def test_a_meeting_is_one_event_in_its_time_zone_and_a_change_updates_it() -> None:
    log = DecisionLog(joined=P5_IRAN)
    meeting = log.file("SEC", "meeting@1", {
        "title": "P5+1 and Iran", "format": "p5+1+iran", "level": "minister",
        "starts_at": "2027-02-10T09:00:00Z", "timezone": "Asia/Tehran",
        "duration_minutes": 90, "place": "online", "agenda": ["Opening", "The Concept"]},
        at=T0, audience=P5_IRAN)
    event, = read(log).walk("VEVENT")
    assert str(event["uid"]) == f"{meeting.entry.id_hex}@gulfsec.invalid"
    start = event.decoded("dtstart")
    assert str(start.tzinfo) == "Asia/Tehran" and start == utc(2027, 2, 10, 9)
    assert event.decoded("dtend") - start == timedelta(minutes=90)
    assert (int(event["sequence"]), str(event["status"])) == (0, "CONFIRMED")
    assert "1. Opening" in str(event["description"]) and str(event["location"]) == "Online"
    assert read(log).walk("VTIMEZONE")  # the zone travels with the file

    log.file("SEC", "meeting-update@1", {"meeting": meeting.entry.id_hex,
                                         "starts_at": "2027-02-11T09:00:00Z"},
             at=T0 + timedelta(hours=1), refs=[meeting.entry.id_hex],
             audience=step_audience(meeting.entry, "SEC"))
    moved, = read(log).walk("VEVENT")
    assert int(moved["sequence"]) == 1 and moved.decoded("dtstart") == utc(2027, 2, 11, 9)
    log.file("SEC", "meeting-update@1", {"meeting": meeting.entry.id_hex, "cancelled": True},
             at=T0 + timedelta(hours=2), refs=[meeting.entry.id_hex],
             audience=step_audience(meeting.entry, "SEC"))
    cal = read(log)
    cancelled, = cal.walk("VEVENT")
    assert (str(cal["method"]), str(cancelled["status"]), int(cancelled["sequence"])) == (
        "CANCEL", "CANCELLED", 2)
