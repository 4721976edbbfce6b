"""Consultations, meetings and mediation as a viewer holds them.

:class:`Consultations` keeps the entries of these procedures from one record source (a node's
own copy, or the hub's log as one viewer may read it) and computes, with the domain's pure
rules (:mod:`gulfsec.domain.procedures.threads`, ``.meetings``, ``.mediation``), the threads,
the meetings (with their minutes, from the decisions) and the mediations the viewer can see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gulfsec.domain.forms.consultations import REPLY, THREAD
from gulfsec.domain.forms.mediation import FORMS_OF_MEDIATION
from gulfsec.domain.forms.meetings import MEETING
from gulfsec.domain.forms.meetings import STEP_FORMS as MEETING_STEPS
from gulfsec.domain.procedures import mediation as mediation_rules
from gulfsec.domain.procedures import meetings as meeting_rules
from gulfsec.domain.procedures import threads as thread_rules
from gulfsec.domain.procedures.decisions import Decision
from gulfsec.domain.regime import Regime
from gulfsec.errors import NotFound
from gulfsec.services.shared.decisions import DecisionRecords
from gulfsec.services.shared.records import HeldRecords, RecordSource

CONSULTATION_FORMS: frozenset[str] = frozenset({THREAD, REPLY, MEETING, *MEETING_STEPS,
                                                *FORMS_OF_MEDIATION})
"""The forms of consultations, meetings and mediation."""


@dataclass(frozen=True)
class MeetingView:
    """A meeting and its minutes (the latest draft of kind ``minutes`` naming it)."""

    meeting: meeting_rules.Meeting
    minutes: Decision | None

    @property
    def minutes_status(self) -> str:
        """``none``, ``circulated`` (open), or the draft's status once decided."""
        if self.minutes is None:
            return "none"
        return "circulated" if self.minutes.status == "open" else self.minutes.status

    def to_json(self) -> dict[str, Any]:
        out = self.meeting.to_json()
        out["minutes"] = {"status": self.minutes_status,
                          "draft": None if self.minutes is None else self.minutes.id,
                          "closes_at": None if self.minutes is None
                          else self.minutes.to_json()["closes_at"]}
        return out


class Consultations:
    """The threads, meetings and mediations of ``source``; thread-safe."""

    def __init__(self, regime: Regime, source: RecordSource,
                 decisions: DecisionRecords) -> None:
        self.regime = regime
        self.decisions = decisions
        self.held = HeldRecords(source, CONSULTATION_FORMS)

    def threads(self) -> list[thread_rules.Thread]:
        """Every thread the viewer is in, newest activity first."""
        return thread_rules.threads(self.held.records())

    def thread(self, thread_id: str) -> thread_rules.Thread:
        for found in self.threads():
            if found.id == thread_id:
                return found
        raise NotFound(f"no consultation thread {thread_id}")

    def meetings(self, now: datetime) -> list[MeetingView]:
        """Every meeting the viewer is invited to (or convened), the soonest first."""
        drafts = self.decisions.decisions(now)
        adopted = {d.id for d in drafts if d.status == "adopted"}
        minutes: dict[str, Decision] = {}
        for draft in sorted(drafts, key=lambda d: d.index):
            meeting_id = draft.content.get("meeting") if draft.kind == "minutes" else None
            if isinstance(meeting_id, str):
                minutes[meeting_id] = draft
        found = meeting_rules.meetings(self.regime, self.held.records(), now, adopted)
        return [MeetingView(m, _minutes_of(m, minutes.get(m.id))) for m in found]

    def meeting(self, meeting_id: str, now: datetime) -> MeetingView:
        for found in self.meetings(now):
            if found.meeting.id == meeting_id:
                return found
        raise NotFound(f"no meeting {meeting_id}")

    def mediations(self) -> list[mediation_rules.Mediation]:
        """Every mediation the viewer takes part in, the most recently moved first."""
        return mediation_rules.mediations(self.held.records())

    def mediation(self, mediation_id: str) -> mediation_rules.Mediation:
        for found in self.mediations():
            if found.id == mediation_id:
                return found
        raise NotFound(f"no mediation {mediation_id} that this party takes part in")


def _minutes_of(meeting: meeting_rules.Meeting, draft: Decision | None) -> Decision | None:
    """The draft minutes, if they are the convener's (or the chair's) for this meeting."""
    if draft is None:
        return None
    return draft if draft.proposer == meeting.convener else None
