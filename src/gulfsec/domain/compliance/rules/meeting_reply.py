"""Meeting replies: each party invited to a meeting (``meeting@1``) answers the invitation —
accepts, declines, or proposes another time, with ``meeting-reply@1`` addressed to everyone in
the meeting — within ``meetings.reply`` of the invitation's finality.

Who owes a reply is who owes its acknowledgement (the obliged states invited that had joined
the log before it). A meeting the convener cancelled before the reply was due is owed nothing.
Deadlines run from finality, as everywhere: while the invitation is not final, the reply is
``pending`` with no deadline yet.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from gulfsec.domain.forms.keys import REGISTRATION
from gulfsec.domain.forms.meetings import MEETING, MEETING_REPLY, MEETING_UPDATE
from gulfsec.domain.procedures.meetings import step_audience
from gulfsec.i18n import N_

from ..rule import Outcome, Window, fixed, judge, open_obligation, span
from ..view import Index, Parser, Rec, View, by_index, put
from ._risk import dict_body

NAME = "meeting-reply"


def _meeting_of(body: Any) -> Any:
    """What the rule needs of a step's body: the meeting it is on, and whether it cancels."""
    if type(body) is dict and isinstance(body.get("meeting"), str):
        return (body["meeting"], body.get("cancelled") is True)
    return None


class Meetings:
    """The meetings, and the replies and changes on each, in log order."""

    forms: ClassVar[frozenset[str] | None] = frozenset({MEETING, MEETING_REPLY, MEETING_UPDATE})
    parsers: ClassVar[Mapping[str, Parser]] = {MEETING: dict_body,
                                               MEETING_REPLY: _meeting_of,
                                               MEETING_UPDATE: _meeting_of}

    def __init__(self, view: View) -> None:
        self.view = view
        self.meetings: dict[str, Rec] = {}
        self.in_order: list[Rec] = []
        """The meetings, in log order."""
        self.steps: dict[str, list[Rec]] = {}
        """Meeting id -> the replies and changes naming it, in log order."""

    def add(self, rec: Rec) -> None:
        if rec.body is None:
            return
        if rec.form == MEETING:
            self.meetings[rec.id] = rec
            put(self.in_order, rec)
        else:
            put(self.steps.setdefault(rec.body[0], []), rec)


class MeetingReplyRule:
    name = NAME
    title = N_("Reply to a meeting's invitation")
    indexes: tuple[type[Index], ...] = (Meetings,)

    def keys(self, view: View, window: Window) -> Iterator[str]:
        return iter(view.get(Meetings).meetings)

    def touched(self, view: View, rec: Rec) -> Iterator[str]:
        index = view.get(Meetings)
        if rec.form == MEETING:
            yield rec.id
        elif rec.form in (MEETING_REPLY, MEETING_UPDATE) and rec.body is not None:
            yield rec.body[0]
        elif rec.form == REGISTRATION and view.joined.get(rec.sender) == rec.index:
            after = index.in_order[bisect_right(index.in_order, rec.index, key=by_index):]
            yield from (meeting.id for meeting in after)

    def assess(self, view: View, key: str) -> list[Outcome]:
        index = view.get(Meetings)
        meeting = index.meetings.get(key)
        if meeting is None:
            return []
        owing = view.owed_acknowledgement(meeting)
        if not owing:
            return []
        steps = [s for s in index.steps.get(key, ())
                 if s.audience == step_audience(meeting.signed, s.sender)]
        cancelled = next((s for s in steps if s.form == MEETING_UPDATE and s.body[1]
                          and s.sender == meeting.sender), None)
        year = meeting.sequenced_at.year
        subject = N_("#{index} meeting").format(index=meeting.index)
        if meeting.final_at is None:
            if cancelled is not None:
                return []
            return [fixed(party, NAME, "pending", None, (key,), N_("invitation not final yet"),
                          year=year, subject=subject) for party in owing]
        due = meeting.final_at + view.regime.commitments.meetings.reply
        if cancelled is not None and cancelled.sequenced_at <= due:
            return []
        out = []
        for party in owing:
            replies = [s for s in steps if s.form == MEETING_REPLY and s.sender == party]
            verdict = judge(due, replies)
            if verdict is None:
                out.append(open_obligation(party, NAME, due, (key,), N_("no reply"),
                                           year=year, subject=subject))
                continue
            reply = verdict.rec
            if verdict.status == "met":
                detail = N_("answered by log #{index}").format(index=reply.index)
            elif verdict.status == "late":
                assert reply.final_at is not None
                detail = N_("answered by log #{index}, {late} late").format(
                    index=reply.index, late=span(reply.final_at - due))
            else:
                detail = N_("reply log #{index} not final yet").format(index=reply.index)
            out.append(fixed(party, NAME, verdict.status, due, (key, reply.id), detail,
                             year=year, subject=subject))
        return out


RULE = MeetingReplyRule()
