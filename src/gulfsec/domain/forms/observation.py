"""Observation of notified activities: the invitation and the reply.

- ``observation-invitation@1``: the notifying state invites observers from the regime's
  observation audience to an activity it notified (``notification`` names that entry). Due
  ``observation.notice_days`` before the activity starts if it reaches an observation threshold.
- ``observation-reply@1``: an invited state accepts, naming its observers, or declines.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from gulfsec.domain.forms import FormSpec
from gulfsec.domain.forms._military import Day, Int, MediumText, not_before
from gulfsec.domain.forms._types import Body, EntryIdHex, ShortText
from gulfsec.i18n import N_

MAX_OBSERVERS = 10


class ObservationInvitation(Body):
    notification: EntryIdHex = Field(
        title="Notification",
        description="The entry id of the activity notification observers are invited to.",
    )
    programme: MediumText = Field(
        title="Programme", description="What the observers will see and do, day by day."
    )
    arrival: Day = Field(title="Arrival", description="Day the observers arrive (YYYY-MM-DD).")
    arrival_point: ShortText = Field(
        title="Arrival point", description="Where the observers are met."
    )
    departure: Day = Field(
        title="Departure", description="Day the observers leave, not before their arrival."
    )
    observers_per_state: Int = Field(
        ge=1,
        le=MAX_OBSERVERS,
        title="Observers per state",
        description=f"How many observers each invited state may send (1 to {MAX_OBSERVERS}).",
    )
    reply_by: Day = Field(
        title="Reply by", description="Last day for a reply, not after the arrival day."
    )

    _departure_not_before_arrival = field_validator("departure")(not_before("arrival"))

    @field_validator("reply_by")
    @classmethod
    def _reply_before_arrival(cls, value: date, info: ValidationInfo) -> date:
        arrival = info.data.get("arrival")
        if isinstance(arrival, date) and value > arrival:
            raise PydanticCustomError(
                "date_order",
                "{value} is after arrival ({arrival})",
                {"value": value.isoformat(), "arrival": arrival.isoformat()},
            )
        return value


class Observer(Body):
    name: ShortText = Field(title="Name", description="The observer's full name.")
    rank: ShortText | None = Field(default=None, title="Rank", description="Rank or title, if any.")


class ObservationReply(Body):
    invitation: EntryIdHex = Field(
        title="Invitation", description="The entry id of the invitation answered."
    )
    decision: Literal["accept", "decline"] = Field(
        title="Decision", description="Whether the invitation is accepted or declined."
    )
    observers: list[Observer] = Field(
        default_factory=list,
        max_length=MAX_OBSERVERS,
        title="Observers",
        description="The observers sent: at least one when accepting, none when declining.",
    )
    note: MediumText | None = Field(default=None, title="Note", description="Anything to add.")

    @field_validator("observers")
    @classmethod
    def _observers_match_decision(
        cls, observers: list[Observer], info: ValidationInfo
    ) -> list[Observer]:
        decision = info.data.get("decision")
        if decision == "accept" and not observers:
            raise PydanticCustomError("observers", "an acceptance names at least one observer")
        if decision == "decline" and observers:
            raise PydanticCustomError("observers", "a refusal names no observers")
        return observers



def _reply_summary(body: Mapping[str, Any]) -> str:
    if body["decision"] == "decline":
        return N_("declines the invitation to observe")
    count = len(body["observers"])
    if count == 1:
        return N_("accepts the invitation to observe, sending {count} observer").format(
            count=count)
    return N_("accepts the invitation to observe, sending {count} observers").format(
        count=count)


INVITATION = "observation-invitation@1"
REPLY = "observation-reply@1"

FORMS = (
    FormSpec(
        INVITATION,
        "Invitation to observe an activity",
        ObservationInvitation,
        "Invites observers to a notified activity: programme, dates, place, observers.",
        right="send",
        summary=lambda body: N_("invites observers, arriving {arrival} at {arrival_point}").format(
            arrival=body["arrival"], arrival_point=body["arrival_point"]),
    ),
    FormSpec(
        REPLY,
        "Reply to an invitation to observe",
        ObservationReply,
        "Accepts an invitation to observe, naming the observers, or declines it.",
        right="send",
        summary=_reply_summary,
    ),
)
