"""Risk reduction (Vienna Document, chapter III): unusual military activity and hazardous
incidents of a military nature.

**Unusual military activity.** A participant concerned about an unusual, unscheduled military
activity of another sends ``unusual-activity@1`` (the activity, where — an area or a named
place —, when, what causes concern) to all participants; the addressee answers with
``unusual-activity-reply@1``; the requester may then ask for a bilateral meeting or a meeting of
all participants with ``unusual-activity-meeting@1``. Meetings are ``meeting@1`` naming the case.

**Hazardous incidents.** A party involved reports with ``incident-report@1`` — time, position,
units (ships by name and hull number, aircraft by type), closest point of approach, what
happened (the incidents-at-sea practice's events), signals exchanged, damage and casualties —
to the other party involved (and to whom it chooses besides); the other party answers with
``incident-response@1``, its own account, which may dispute the first. Both stand side by side.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from gulfsec.domain.forms import FormSpec
from gulfsec.domain.forms._military import Area, Int, Point
from gulfsec.domain.forms._summary import Words, line
from gulfsec.domain.forms._types import (
    Body,
    EntryIdHex,
    LongText,
    MediumText,
    Moment,
    PartyCode,
    ShortText,
)
from gulfsec.i18n import N_

UNUSUAL = "unusual-activity@1"
UNUSUAL_REPLY = "unusual-activity-reply@1"
UNUSUAL_MEETING = "unusual-activity-meeting@1"
INCIDENT = "incident-report@1"
INCIDENT_RESPONSE = "incident-response@1"

ActivityType = Literal["land", "naval", "air", "missile", "other"]
Event = Literal["simulated-attack", "weapons-aimed", "fire-control-radar", "laser-illumination",
                "unsafe-manoeuvre", "objects-dropped-or-launched", "seizure-or-boarding",
                "collision", "shoot-down", "other"]
EVENT_WORDS = {"simulated-attack": N_("simulated attack"), "weapons-aimed": N_("weapons aimed"),
               "fire-control-radar": N_("fire-control radar"),
               "laser-illumination": N_("laser illumination"),
               "unsafe-manoeuvre": N_("unsafe manoeuvre"),
               "objects-dropped-or-launched": N_("objects dropped or launched"),
               "seizure-or-boarding": N_("seizure or boarding"), "collision": N_("collision"),
               "shoot-down": N_("shoot-down"), "other": N_("other")}
"""An incident's events in words (marked for the catalogs: the pages translate them)."""
UnitKind = Literal["ship", "submarine", "boat", "aircraft", "drone", "other"]


def _after(later: datetime | None, info: ValidationInfo, field: str) -> datetime | None:
    earlier = info.data.get(field)
    if later is not None and isinstance(earlier, datetime) and later < earlier:
        raise PydanticCustomError("order", "ends before it starts")
    return later


class UnusualActivity(Body):
    addressee: PartyCode = Field(title="Participant asked",
                                 description="Whose activity causes concern.")
    activity_type: ActivityType = Field(title="Activity", description="land, naval, air, "
                                        "missile or other.")
    description: MediumText = Field(title="What was observed")
    area: Area | None = Field(default=None, title="Area",
                              description="A circle or a polygon; or name the area.")
    area_name: ShortText | None = Field(default=None, title="Named area")
    observed_from: Moment = Field(title="Observed from (UTC)")
    observed_until: Moment | None = Field(default=None, title="Observed until (UTC)")
    concern: MediumText = Field(title="What causes concern")

    @field_validator("observed_until")
    @classmethod
    def _until_after_from(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        return _after(value, info, "observed_from")

    @model_validator(mode="after")
    def _somewhere(self) -> UnusualActivity:
        if self.area is None and self.area_name is None:
            raise PydanticCustomError("missing", "give the area, or name it (area_name)")
        return self


class UnusualReply(Body):
    request: EntryIdHex = Field(title="Request")
    explanation: LongText = Field(title="Explanation")


class UnusualMeeting(Body):
    request: EntryIdHex = Field(title="Request")
    meeting: Literal["bilateral", "all"] = Field(
        title="Meeting", description="bilateral (with the participant asked), or all "
                                     "participants.")
    reason: MediumText | None = Field(default=None, title="Why")


class Unit(Body):
    party: PartyCode = Field(title="Party")
    kind: UnitKind = Field(title="Kind")
    name: ShortText | None = Field(default=None, title="Name",
                                   description="A ship's name, an aircraft's call sign.")
    hull_number: Annotated[str, StringConstraints(min_length=1, max_length=20)] | None = Field(
        default=None, title="Hull number")
    aircraft_type: ShortText | None = Field(default=None, title="Aircraft type")


class IncidentReport(Body):
    occurred_at: Moment = Field(title="When (UTC)")
    position: Point = Field(title="Position")
    area_name: ShortText | None = Field(default=None, title="Named area")
    other_party: PartyCode = Field(title="Other party involved",
                                   json_schema_extra={"x-other-than-sender": True})
    units: list[Unit] = Field(min_length=1, max_length=50, title="Units involved")
    cpa_metres: Int | None = Field(default=None, ge=0, le=1_000_000,
                                   title="Closest point of approach (m)")
    events: list[Event] = Field(min_length=1, max_length=10, title="What happened")
    signals: MediumText | None = Field(default=None, title="Signals exchanged")
    damage: MediumText | None = Field(default=None, title="Damage")
    casualties: Int = Field(default=0, ge=0, le=100_000, title="Casualties")
    account: LongText = Field(title="Account")

    @field_validator("events")
    @classmethod
    def _distinct(cls, events: list[str]) -> list[str]:
        if len(set(events)) != len(events):
            raise PydanticCustomError("events", "each event is named once")
        return events


class IncidentResponse(Body):
    report: EntryIdHex = Field(title="Report")
    account: LongText = Field(title="Account")
    disputed: MediumText | None = Field(default=None, title="What is disputed")
    position: Point | None = Field(default=None, title="Position, as this party saw it")
    units: list[Unit] | None = Field(default=None, max_length=50, title="Units involved")
    cpa_metres: Int | None = Field(default=None, ge=0, le=1_000_000,
                                   title="Closest point of approach (m)")
    events: list[Event] | None = Field(default=None, max_length=10, title="What happened")
    signals: MediumText | None = Field(default=None, title="Signals exchanged")
    damage: MediumText | None = Field(default=None, title="Damage")
    casualties: Int | None = Field(default=None, ge=0, le=100_000, title="Casualties")


def _incident_summary(body: Any) -> str:
    events = Words(tuple(EVENT_WORDS.get(str(e), str(e)) for e in body["events"]))
    return line(N_("incident with {other_party}: {events}"), other_party=body["other_party"],
                events=events)



FORMS = (
    FormSpec(UNUSUAL, "Request for explanation of unusual military activity", UnusualActivity,
             "Asks a participant to explain an unusual, unscheduled military activity; sent "
             "to all participants.", right="send", composed=False,
             summary=lambda b: line(N_("asks {addressee} to explain unusual {activity_type} "
                                       "activity"), addressee=b["addressee"],
                                    activity_type=Words((str(b["activity_type"]),)))),
    FormSpec(UNUSUAL_REPLY, "Reply on unusual military activity", UnusualReply,
             "The participant asked explains the activity.", right="send", composed=False,
             refs=("request",), summary=lambda b: N_("explains the activity")),
    FormSpec(UNUSUAL_MEETING, "Request for a meeting on unusual military activity",
             UnusualMeeting, "The requester asks for a bilateral meeting or a meeting of all "
             "participants.", right="send", composed=False,
             refs=("request",),
             summary=lambda b: (N_("asks for a bilateral meeting") if b["meeting"] == "bilateral"
                                else N_("asks for a meeting of all participants"))),
    FormSpec(INCIDENT, "Hazardous incident report", IncidentReport,
             "A party involved reports a hazardous incident of a military nature.",
             right="send", composed=False, summary=_incident_summary),
    FormSpec(INCIDENT_RESPONSE, "Response to a hazardous incident report", IncidentResponse,
             "The other party's account of the incident, which may dispute the report.",
             right="send", composed=False, refs=("report",),
             summary=lambda b: N_("gives its account of the incident")),
)
