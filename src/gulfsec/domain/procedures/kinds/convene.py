"""``convene``: convening a meeting of a format is itself a decision (the agenda, the time, the
place); once adopted, the meeting is convened."""

from __future__ import annotations

from pydantic import Field

from gulfsec.domain.forms._types import Body, Moment, ShortText
from gulfsec.domain.procedures.kinds import DecisionKind
from gulfsec.i18n import N_


class Convening(Body):
    starts_at: Moment = Field(title="Starts at", description="UTC, like 2027-03-01T09:00:00Z.")
    place: ShortText = Field(title="Place", description="A city, or 'video conference'.")
    agenda: list[ShortText] = Field(min_length=1, max_length=50, title="Agenda")

KINDS = (DecisionKind("convene", N_("Convening of a meeting"), Convening,
                      N_("Convenes a meeting of the format: time, place and agenda."),
                      summary=lambda c: f"convenes a meeting at {c['place']}"),)
