"""``activity-notification@1``: prior notification of a military activity.

A state notifies an activity that reaches any threshold of the regime's ``prior_notification``
at least ``notice_days`` before it starts (Vienna Document 2011 chapter V, extended to naval and
air activity for the Gulf). Live firing is declared with its distance to the nearest territorial
sea of another participant, as the notifying state declares it. An activity listed in the
state's annual calendar repeats its reference as ``calendar_ref``.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from gulfsec.domain.forms import FormSpec
from gulfsec.domain.forms._military import (
    ACTIVITY_KIND_WORDS,
    ActivityKind,
    Area,
    Day,
    Forces,
    LiveFiring,
    MediumText,
    RefId,
    not_before,
    unique,
)
from gulfsec.domain.forms._summary import Words, line
from gulfsec.domain.forms._types import Body, PartyCode, ShortText
from gulfsec.i18n import N_


class ActivityNotification(Body):
    kind: ActivityKind = Field(
        title="Type of activity", description="Land, naval, air, amphibious or airborne."
    )
    name: ShortText = Field(title="Name", description="The activity's name or designation.")
    purpose: MediumText = Field(title="Purpose", description="The purpose of the activity.")
    start: Day = Field(title="Start", description="First day of the activity (YYYY-MM-DD, UTC).")
    end: Day = Field(title="End", description="Last day of the activity, not before its start.")
    area: Area = Field(
        title="Area", description="Where the activity takes place: a circle or a closed polygon."
    )
    forces: Forces = Field(title="Forces", description="Forces taking part, by category.")
    live_firing: list[LiveFiring] = Field(
        default_factory=list,
        max_length=50,
        title="Live firing",
        description="Areas of live firing, each with its distance to another participant's sea.",
    )
    participating_states: list[PartyCode] = Field(
        default_factory=list,
        max_length=30,
        title="Participating states",
        description="Other states whose forces take part.",
        json_schema_extra={"x-other-than-sender": True},
    )
    calendar_ref: RefId | None = Field(
        default=None,
        title="Calendar reference",
        description="The activity's reference in the notifying state's annual calendar.",
    )

    _end_not_before_start = field_validator("end")(not_before("start"))

    @field_validator("participating_states")
    @classmethod
    def _no_repeats(cls, states: list[str]) -> list[str]:
        unique(states, "state")
        return states


NOTIFICATION = "activity-notification@1"

FORMS = (
    FormSpec(
        NOTIFICATION,
        "Prior notification of a military activity",
        ActivityNotification,
        "Notice of a land, naval, air, amphibious or airborne activity: when, where, which "
        "forces, and any live firing.",
        right="send",
        summary=lambda body: line(
            N_("{name} ({kind}, {start} to {end})"), name=body["name"],
            kind=Words((ACTIVITY_KIND_WORDS.get(str(body["kind"]), str(body["kind"])),)),
            start=body["start"], end=body["end"]),
    ),
)
