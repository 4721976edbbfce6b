"""Meetings as iCalendar (RFC 5545), for a delegate's calendar.

Each meeting is one ``VEVENT`` whose ``UID`` is the meeting's entry id, so that a calendar that
imports the file again updates the event instead of adding another: ``SEQUENCE`` counts the
convener's changes, a change of time moves ``DTSTART``, and a cancellation sends ``STATUS:
CANCELLED`` (``METHOD:CANCEL`` when the file holds one cancelled meeting). Times are written in
the meeting's time zone, which the file carries (``VTIMEZONE``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from gulfsec import __version__
from gulfsec.services.shared.consultations import MeetingView

PRODID = f"-//gulfsec//gulfsec {__version__}//EN"
UID_DOMAIN = "gulfsec.invalid"


def meeting_event(view: MeetingView, stamp: datetime) -> Event:
    meeting = view.meeting
    zone = ZoneInfo(meeting.timezone)
    event = Event()
    event.add("uid", f"{meeting.id}@{UID_DOMAIN}")
    event.add("dtstamp", stamp)
    event.add("sequence", meeting.sequence)
    event.add("summary", meeting.title)
    event.add("dtstart", meeting.starts_at.astimezone(zone))
    event.add("dtend", meeting.ends_at.astimezone(zone))
    event.add("location", "Online" if meeting.online else meeting.place)
    lines = [f"Level: {meeting.level}",
             f"Convened by {meeting.convener}"
             + (f" in the format {meeting.format}" if meeting.format else ""),
             "Agenda" + (" (final):" if meeting.agenda_final else " (draft):"),
             *(f"{n}. {item}" for n, item in enumerate(meeting.agenda, 1)),
             f"Minutes: {view.minutes_status}",
             f"gulfsec meeting {meeting.id}"]
    event.add("description", "\n".join(lines))
    event.add("status", "CANCELLED" if meeting.status == "cancelled" else "CONFIRMED")
    event.add("categories", [meeting.level])
    return event


def calendar(views: Iterable[MeetingView], stamp: datetime) -> bytes:
    """An iCalendar file with each meeting of ``views``."""
    found = list(views)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cancelling = len(found) == 1 and found[0].meeting.status == "cancelled"
    cal.add("method", "CANCEL" if cancelling else "PUBLISH")
    for view in found:
        cal.add_component(meeting_event(view, stamp))
    cal.add_missing_timezones()
    return bytes(cal.to_ical())
