"""``minutes``: the chair circulates a meeting's draft minutes after it; they are adopted by
silence procedure, with interpretative statements attached to the positions taken."""

from __future__ import annotations

from pydantic import Field

from gulfsec.domain.forms._types import Body, EntryIdHex
from gulfsec.domain.procedures.kinds import DecisionKind
from gulfsec.i18n import N_


class Minutes(Body):
    meeting: EntryIdHex = Field(title="Meeting", description="The meeting these minutes are of.")


KINDS = (DecisionKind("minutes", N_("Minutes of a meeting"), Minutes,
                      N_("The record of a meeting, adopted by silence unless a member "
                         "objects."),
                      summary=lambda c: f"minutes of meeting {str(c['meeting'])[:12]}",
                      procedures=("silence",)),)
