"""What the consultation pages of a node and of the hub share: a meeting, a message of a thread
and a mediation as a page shows them.

A node computes its threads, meetings and mediations from its own verified copy
(``node.consultations``), the hub from its log as one viewer may read it
(``HubSite.consultations``); both give the domain's values
(:mod:`gulfsec.domain.procedures.threads`, ``.meetings``, ``.mediation``). The functions here
turn them into what the templates need — the words for a status and each step, local times,
who has answered and who has not — and read what a delegate types into a form: a local time in
a time zone of the region (:func:`local_start`), the type of an uploaded file
(:func:`upload_type`). Nothing here decides anything: the rules are the domain's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from gulfsec.domain.attachments import DOCX, JPEG, PDF, PNG, TEXT
from gulfsec.domain.forms._types import MEDIA_TYPES
from gulfsec.domain.procedures.mediation import Mediation
from gulfsec.domain.procedures.meetings import Meeting, Reply
from gulfsec.domain.procedures.threads import Said
from gulfsec.i18n import N_, _, format_local, format_minute, format_moment, ngettext
from gulfsec.services.shared.consultations import MeetingView

MEETING_STATUS_WORDS: Final[Mapping[str, str]] = {
    "convened": N_("convened"),
    "held": N_("held"),
    "cancelled": N_("cancelled"),
}
MEETING_BADGES: Final[Mapping[str, str]] = {
    "convened": "state-final",
    "held": "health-unregistered",
    "cancelled": "state-overdue",
}
"""The badge class of each status (the pages' existing colours: green, grey, red)."""
REPLY_WORDS: Final[Mapping[str, str]] = {
    "accept": N_("accepted"),
    "decline": N_("declined"),
    "propose-time": N_("proposed another time"),
}
MINUTES_WORDS: Final[Mapping[str, str]] = {
    "none": N_("no minutes circulated yet"),
    "circulated": N_("draft minutes circulated: adopted by silence unless a member objects"),
    "adopted": N_("minutes adopted"),
    "not-adopted": N_("minutes not adopted: silence was broken"),
    "withdrawn": N_("draft minutes withdrawn"),
    "replaced": N_("draft minutes replaced"),
}
MEDIATION_STATUS_WORDS: Final[Mapping[str, str]] = {
    "requested": N_("requested"),
    "active": N_("active"),
    "ended": N_("ended"),
    "declined": N_("declined"),
}
MEDIATION_BADGES: Final[Mapping[str, str]] = {
    "requested": "state-pending",
    "active": "state-final",
    "ended": "health-unregistered",
    "declined": "state-overdue",
}
EVENT_WORDS: Final[Mapping[str, str]] = {
    "request": N_("asks for mediation"),
    "withdraw": N_("withdraws its request"),
    "accept": N_("accepts to mediate"),
    "decline": N_("declines to mediate"),
}
RESPONSE_WORDS: Final[Mapping[str, str]] = {"accept": N_("accepts"), "reject": N_("rejects")}


def local_time(moment: datetime, zone: str) -> str:
    """``moment`` as the clocks of ``zone`` show it, in the reader's language."""
    return format_local(moment, zone)


MEETING_ZONES: Final[tuple[str, ...]] = (
    "UTC", "Asia/Baghdad", "Asia/Bahrain", "Asia/Dubai", "Asia/Kuwait", "Asia/Muscat",
    "Asia/Qatar", "Asia/Riyadh", "Asia/Tehran",
)
"""The time zones a delegate convenes a meeting in from the pages: the region's, and UTC."""
_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")


def local_start(day: str, clock: str, zone: str) -> tuple[datetime | None, dict[str, str]]:
    """The moment in UTC of the wall-clock time ``day`` (YYYY-MM-DD) ``clock`` (HH:MM) in the
    time zone ``zone`` (one of :data:`MEETING_ZONES`), or None with what is wrong, by field
    (``date``, ``time``, ``timezone``). A time the clocks skip in that zone is refused."""
    errors: dict[str, str] = {}
    if zone not in MEETING_ZONES:
        errors["timezone"] = (_("unknown time zone %(zone)s: choose one from the list")
                              % {"zone": repr(zone)}
                              if zone else _("choose the time zone the meeting is held in"))
    found_day = _DAY.fullmatch(day.strip())
    found_clock = _CLOCK.fullmatch(clock.strip())
    if found_day is None:
        errors["date"] = _("write the date as YYYY-MM-DD, like 2027-03-01")
    if found_clock is None:
        errors["time"] = _("write the time as HH:MM, like 09:30")
    if errors or found_day is None or found_clock is None:
        return None, errors
    try:
        wall = datetime(int(found_day[1]), int(found_day[2]), int(found_day[3]),
                        int(found_clock[1]), int(found_clock[2]), int(found_clock[3] or 0))
    except ValueError:
        return None, {"date": _("there is no such date and time as %(day)s %(clock)s")
                      % {"day": day.strip(), "clock": clock.strip()}}
    place = ZoneInfo(zone)
    moment = wall.replace(tzinfo=place).astimezone(UTC)
    if moment.astimezone(place).replace(tzinfo=None) != wall:
        return None, {"time": _("%(time)s does not exist in %(zone)s: the clocks skip it")
                      % {"time": wall.strftime("%Y-%m-%d %H:%M"), "zone": zone}}
    return moment, {}


EXTENSION_TYPES: Final[Mapping[str, str]] = {
    ".pdf": PDF, ".txt": TEXT, ".png": PNG, ".jpg": JPEG, ".jpeg": JPEG, ".docx": DOCX,
}
"""The type a file is taken to be by its name, when its upload declares none we accept."""
assert set(EXTENSION_TYPES.values()) == set(MEDIA_TYPES)


def upload_type(name: str, content_type: str) -> str | None:
    """The media type an uploaded file declares: the upload's content type if it is one an
    attachment may be, else the one its extension names; None when neither is accepted.
    Whether the bytes are of that type is checked when the file is attached."""
    declared = content_type.split(";", 1)[0].strip().lower()
    if declared in MEDIA_TYPES:
        return declared
    dot = name.rfind(".")
    return EXTENSION_TYPES.get(name[dot:].lower()) if dot >= 0 else None


def size_words(size: int) -> str:
    """A file's size for people: ``812 bytes``, ``14.2 KiB``, ``3.1 MiB``."""
    if size < 1024:
        return ngettext("%(n)s byte", "%(n)s bytes", size) % {"n": size}
    if size < 1024 * 1024:
        return _("%(n)s KiB") % {"n": f"{size / 1024:.1f}"}
    return _("%(n)s MiB") % {"n": f"{size / (1024 * 1024):.1f}"}


def duration_words(duration: timedelta) -> str:
    minutes = int(duration.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    parts = ([ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": hours}] if hours else []) + (
        [ngettext("%(n)s minute", "%(n)s minutes", rest) % {"n": rest}] if rest else [])
    return " ".join(parts) or _("0 minutes")


# -- meetings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One invited party and its standing reply (None: not answered)."""

    party: str
    reply: Reply | None
    words: str


@dataclass(frozen=True)
class MeetingShown:
    """A meeting as a page shows it."""

    view: MeetingView
    status_words: str
    badge: str
    starts_local: str
    ends_local: str
    duration: str
    answers: list[Answer]
    minutes_words: str

    @property
    def meeting(self) -> Meeting:
        return self.view.meeting

    def count(self, reply: str | None) -> int:
        """How many invited parties answered ``reply`` (None: not yet)."""
        return sum(1 for a in self.answers if (a.reply.reply if a.reply else None) == reply)

    @property
    def not_answered(self) -> list[str]:
        return [a.party for a in self.answers if a.reply is None]


def meeting_shown(view: MeetingView) -> MeetingShown:
    m = view.meeting
    answers = []
    for party in m.invited:
        reply = m.replies.get(party)
        if reply is None:
            words = _("no answer yet")
        elif reply.reply == "propose-time" and reply.proposed_at is not None:
            words = _("proposed another time: %(at)s (%(local)s)") % {
                "at": format_minute(reply.proposed_at),
                "local": local_time(reply.proposed_at, m.timezone)}
        else:
            words = _(REPLY_WORDS.get(reply.reply, reply.reply))
        answers.append(Answer(party, reply, words))
    return MeetingShown(view, _(MEETING_STATUS_WORDS.get(m.status, m.status)),
                        MEETING_BADGES.get(m.status, "state-pending"),
                        local_time(m.starts_at, m.timezone), local_time(m.ends_at, m.timezone),
                        duration_words(m.duration), answers,
                        _(MINUTES_WORDS.get(view.minutes_status, view.minutes_status)))


@dataclass(frozen=True)
class Calendar:
    """Meetings as the calendar pages list them: upcoming (convened) the soonest first, then
    those held the most recent first, then those cancelled."""

    upcoming: list[MeetingShown]
    held: list[MeetingShown]
    cancelled: list[MeetingShown]

    @property
    def empty(self) -> bool:
        return not (self.upcoming or self.held or self.cancelled)


def calendar_of(views: Iterable[MeetingView]) -> Calendar:
    shown = [meeting_shown(v) for v in views]

    def key(s: MeetingShown) -> tuple[datetime, int]:
        return s.meeting.starts_at, s.meeting.index

    return Calendar(sorted((s for s in shown if s.meeting.status == "convened"), key=key),
                    sorted((s for s in shown if s.meeting.status == "held"), key=key,
                           reverse=True),
                    sorted((s for s in shown if s.meeting.status == "cancelled"), key=key,
                           reverse=True))


# -- threads -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageShown:
    """One message of a thread with its state in words, as the entry pages say it."""

    said: Said
    state: str
    state_words: str
    verification: str


def message_shown(said: Said) -> MessageShown:
    sequenced = format_moment(said.sequenced_at)
    if said.final_at is not None:
        final = format_moment(said.final_at)
        state, words, tail = "final", _("final"), _("final at %(at)s") % {"at": final}
    else:
        state, words, tail = "sequenced", _("sequenced, not yet final"), _("not final yet")
    return MessageShown(said, state, words,
                        _("Signature verified by this node against %(sender)s's key in the log; "
                          "sequenced at index %(index)s on %(at)s; %(tail)s.")
                        % {"sender": said.sender, "index": said.index, "at": sequenced,
                           "tail": tail})


# -- mediation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MediationShown:
    """A mediation as a page shows it: its status in words, who has asked and who not yet."""

    mediation: Mediation
    status_words: str
    badge: str
    summary: str
    asked: list[str]
    not_asked: list[str]
    answer_words: str


def mediation_shown(m: Mediation) -> MediationShown:
    asked = [p for p in m.parties if p in m.requested_by]
    waiting = [p for p in m.parties if p not in m.requested_by]
    answer = (_("accepted to mediate") if m.answer == "accept" else _("declined to mediate")
              if m.answer == "decline" else _("has not answered yet"))
    if m.status == "active":
        summary = (_("Active: every party asked for mediation and %(mediator)s accepted to "
                     "mediate.") % {"mediator": m.mediator})
    elif m.status == "declined":
        summary = _("Declined: %(mediator)s declined to mediate.") % {"mediator": m.mediator}
    elif m.status == "ended":
        summary = (_("Ended: no request for mediation stands; a new round needs every party to "
                     "ask again and the mediator to accept.") if not asked else
                   _("Ended: %(mediator)s no longer mediates; a new round needs every party to "
                     "ask again and the mediator to accept.") % {"mediator": m.mediator})
    else:
        summary = (_("Requested by %(asked)s; not yet by %(waiting)s.")
                   % {"asked": ", ".join(asked), "waiting": ", ".join(waiting)}
                   if waiting else _("Every party has asked.")) + " "
        summary += _("%(mediator)s %(answer)s.") % {"mediator": m.mediator, "answer": answer}
    return MediationShown(m, _(MEDIATION_STATUS_WORDS.get(m.status, m.status)),
                          MEDIATION_BADGES.get(m.status, "state-pending"), summary, asked,
                          waiting, answer)
