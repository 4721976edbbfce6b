"""Unusual military activity, the meetings: when the requester asks for a bilateral meeting
(``unusual-activity-meeting@1``), the participant asked sees that one is convened — a
``meeting@1`` naming the case whose company is exactly the two — within
``unusual_activity.bilateral_meeting`` of the request's finality; when it asks for a meeting of
all participants, the secretariat convenes one (addressed to all, naming the case) within
``unusual_activity.all_meeting``. A meeting counts by its own finality, whoever convened a
bilateral one."""

from __future__ import annotations

from collections.abc import Iterator

from gulfsec.domain.entry import ALL
from gulfsec.domain.forms.meetings import MEETING
from gulfsec.domain.forms.risk import UNUSUAL, UNUSUAL_MEETING
from gulfsec.domain.procedures.meetings import company
from gulfsec.i18n import N_

from ..rule import Outcome, Window, fixed
from ..view import Index, Rec, View
from ._risk import BILATERAL_MEETING, MEETING_OF_ALL, RiskCases, answered, named

NAME = "unusual-activity-meeting"


class UnusualMeetingRule:
    name = NAME
    title = N_("Meeting on unusual military activity")
    indexes: tuple[type[Index], ...] = (RiskCases,)

    def keys(self, view: View, window: Window) -> Iterator[str]:
        index = view.get(RiskCases)
        for case, steps in index.steps.items():
            for step in steps:
                if step.form == UNUSUAL_MEETING:
                    yield f"{case}:{step.id}"

    def touched(self, view: View, rec: Rec) -> Iterator[str]:
        index = view.get(RiskCases)
        case: str | None = None
        if rec.form == UNUSUAL:
            case = rec.id
        elif rec.form == UNUSUAL_MEETING and rec.body is not None:
            case = str(rec.body.request)
        elif rec.form == MEETING and rec.body is not None:
            case = rec.body.get("case")
        if isinstance(case, str):
            for step in index.steps.get(case, ()):
                if step.form == UNUSUAL_MEETING:
                    yield f"{case}:{step.id}"

    def assess(self, view: View, key: str) -> list[Outcome]:
        index = view.get(RiskCases)
        case, _, asked_id = key.partition(":")
        request = index.cases.get(case)
        asked = next((s for s in named(index, case, UNUSUAL_MEETING) if s.id == asked_id), None)
        if request is None or asked is None or request.form != UNUSUAL:
            return []
        if asked.sender != request.sender or asked.audience != ALL:
            return []
        rules = view.regime.commitments.unusual_activity
        addressee = request.body.addressee
        if asked.body.meeting == "bilateral":
            party, within, words = addressee, rules.bilateral_meeting, BILATERAL_MEETING
            asking = N_("request for a bilateral meeting not final yet")
            pair = tuple(sorted({request.sender, addressee}))
            meetings = [m for m in named(index, case, MEETING)
                        if company(m.signed) == pair]
        else:
            party, within, words = view.regime.secretariat.code, rules.all_meeting, MEETING_OF_ALL
            asking = N_("request for a meeting of all participants not final yet")
            meetings = [m for m in named(index, case, MEETING)
                        if m.audience == ALL and m.sender == party]
        year = asked.sequenced_at.year
        subject = N_("#{index} unusual activity").format(index=request.index)
        if asked.final_at is None:
            return [fixed(party, NAME, "pending", None, (case, asked.id),
                          asking, year=year, subject=subject)]
        return [answered(party, NAME, asked.final_at + within, (case, asked.id), meetings,
                         words=words, year=year, subject=subject)]


RULE = UnusualMeetingRule()
