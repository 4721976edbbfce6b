"""Meetings: convened in a format or among named parties, answered, their agenda amended.

``meeting@1`` convenes a meeting (title, level, start in UTC with the time zone it is held in,
duration, place or ``online``, a draft agenda); its audience is every invited party. Each
invited party answers with ``meeting-reply@1`` (accept, decline, or propose another time); any
invited party proposes an agenda item with ``agenda-proposal@1``; the convener changes the time
or place, adopts the final agenda or cancels with ``meeting-update@1``. Every step is addressed
to the meeting's whole audience, so every invited party sees who accepted. Minutes are a
decision of kind ``minutes`` (:mod:`gulfsec.domain.procedures.kinds.minutes`), adopted by
silence.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, StringConstraints, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from gulfsec.domain.forms import FormSpec
from gulfsec.domain.forms._summary import Words, line
from gulfsec.domain.forms._types import Body, EntryIdHex, Level, MediumText, Moment, ShortText
from gulfsec.domain.forms.decisions import FormatName
from gulfsec.i18n import N_

MEETING = "meeting@1"
MEETING_REPLY = "meeting-reply@1"
AGENDA_PROPOSAL = "agenda-proposal@1"
MEETING_UPDATE = "meeting-update@1"
STEP_FORMS = frozenset({MEETING_REPLY, AGENDA_PROPOSAL, MEETING_UPDATE})

TimeZone = Annotated[str, StringConstraints(min_length=1, max_length=64)]
AgendaItem = Annotated[str, StringConstraints(min_length=1, max_length=300)]
Agenda = Annotated[list[AgendaItem], Field(min_length=1, max_length=50)]
Duration = Annotated[int, Field(ge=15, le=7 * 24 * 60)]


def _whole_second(value: datetime | None) -> datetime | None:
    if value is not None and value.microsecond:
        raise PydanticCustomError("whole_second", "a meeting's time is to the whole second, "
                                  "like 2027-01-31T12:00:00Z")
    return value


def _known_zone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise PydanticCustomError("time_zone", "unknown time zone {zone}: write an IANA name "
                                  "like Asia/Tehran or UTC", {"zone": value}) from None
    return value


class Meeting(Body):
    title: ShortText = Field(title="Title")
    format: FormatName | None = Field(default=None, title="Format",
                                      description="The format that meets (p5+1+iran, regional, "
                                                  "all, …); none for a named list.")
    level: Level = Field(title="Level")
    starts_at: Moment = Field(title="Starts at", description="UTC, like 2027-03-01T09:00:00Z.")
    timezone: TimeZone = Field(default="UTC", title="Time zone",
                               description="Where the meeting is held, as an IANA name "
                                           "(Asia/Tehran); pages show local time too.")
    duration_minutes: Duration = Field(default=120, title="Duration (minutes)")
    place: ShortText = Field(title="Place", description="A city and venue, or online.")
    agenda: Agenda = Field(title="Draft agenda")
    decision: EntryIdHex | None = Field(default=None, title="Decision",
                                        description="The adopted decision (kind convene) that "
                                                    "convenes a meeting of all participants.")
    case: EntryIdHex | None = Field(default=None, title="Case",
                                    description="The request on unusual military activity or "
                                                "the incident report the meeting is about.")

    _time = field_validator("starts_at")(classmethod(lambda cls, v: _whole_second(v)))
    _zone = field_validator("timezone")(classmethod(lambda cls, v: _known_zone(v)))


class MeetingReply(Body):
    meeting: EntryIdHex = Field(title="Meeting")
    reply: Literal["accept", "decline", "propose-time"] = Field(title="Reply")
    proposed_at: Moment | None = Field(default=None, validate_default=True,
                                       title="Proposed time",
                                       description="With propose-time: another start, UTC.")
    note: MediumText | None = Field(default=None, title="Note")

    @field_validator("proposed_at")
    @classmethod
    def _time_with_a_proposal(cls, value: datetime | None,
                              info: ValidationInfo) -> datetime | None:
        proposing = info.data.get("reply") == "propose-time"
        if proposing and value is None:
            raise PydanticCustomError("missing", "proposing another time needs the time")
        if not proposing and value is not None:
            raise PydanticCustomError("proposed_at", "a time goes only with propose-time")
        return _whole_second(value)


class AgendaProposal(Body):
    meeting: EntryIdHex = Field(title="Meeting")
    item: AgendaItem = Field(title="Proposed item")
    reason: MediumText | None = Field(default=None, title="Reason")


class MeetingUpdate(Body):
    meeting: EntryIdHex = Field(title="Meeting")
    cancelled: bool = Field(default=False, title="Cancelled")
    starts_at: Moment | None = Field(default=None, title="New start")
    timezone: TimeZone | None = Field(default=None, title="New time zone")
    duration_minutes: Duration | None = Field(default=None, title="New duration (minutes)")
    place: ShortText | None = Field(default=None, title="New place")
    agenda: Agenda | None = Field(default=None, title="Final agenda")
    note: MediumText | None = Field(default=None, title="Note")

    _time = field_validator("starts_at")(classmethod(lambda cls, v: _whole_second(v)))
    _zone = field_validator("timezone")(classmethod(lambda cls, v: _known_zone(v)))


_CHANGES = {"starts_at": N_("starts at"), "place": N_("place"), "agenda": N_("agenda"),
            "timezone": N_("timezone"), "duration_minutes": N_("duration minutes")}
"""What a change to a meeting may change, in the words its summary line names them with."""


def _update_summary(body: Any) -> str:
    if body.get("cancelled"):
        return N_("cancels the meeting")
    changed = tuple(word for name, word in _CHANGES.items() if body.get(name))
    if not changed:
        return N_("a note on the meeting")
    return line(N_("changes the meeting: {changes}"), changes=Words(changed))


_REPLIES = {"accept": N_("accepts the invitation"), "decline": N_("declines the invitation"),
            "propose-time": N_("proposes another time")}


FORMS = (
    FormSpec(MEETING, "Convening of a meeting", Meeting,
             "Convenes a meeting: format, level, time, place or online, draft agenda.",
             right="send", composed=False, refs=("decision", "case"),
             summary=lambda b: f"{b['title']}, {b['place']}, {b['starts_at']}"),
    FormSpec(MEETING_REPLY, "Reply to an invitation", MeetingReply,
             "Accepts, declines, or proposes another time for a meeting.",
             right="send", composed=False, refs=("meeting",), acknowledge=False,
             summary=lambda b: _REPLIES[str(b["reply"])]),
    FormSpec(AGENDA_PROPOSAL, "Proposed agenda item", AgendaProposal,
             "Proposes an item for a meeting's agenda; the convener adopts the final agenda.",
             right="send", composed=False, refs=("meeting",), acknowledge=False,
             summary=lambda b: N_("proposes: {item}").format(item=b["item"])),
    FormSpec(MEETING_UPDATE, "Change to a meeting", MeetingUpdate,
             "The convener changes the time or place, adopts the final agenda, or cancels.",
             right="send", composed=False, refs=("meeting",),
             summary=_update_summary),
)
