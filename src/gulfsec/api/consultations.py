"""Consulting, meeting and mediating over HTTP: threads, meetings (and their calendar), mediation.

The reading routes are served two ways, each over one view
(:class:`~gulfsec.services.shared.consultations.Consultations`):

- on the hub, to a signed reader: the threads, meetings and mediations that party takes part
  in (``/v1/threads``, ``/v1/meetings``, ``/v1/meetings.ics``, ``/v1/mediation``); the
  secretariat sees the meetings it convened, and reads the calendar of every meeting
  (``/v1/secretariat/meetings.ics``);
- on a node, to its API token or a delegate's session: the node's own verified copy.

A node also acts (an officer, or the API token): it opens a thread or replies in one, convenes
a meeting, answers an invitation, proposes an agenda item, changes or cancels a meeting it
convened and circulates its minutes, asks for mediation, withdraws the request, answers as the
mediator, tables a proposal or responds to one. Each route works out the entry's audience
itself (:func:`~gulfsec.domain.procedures.threads.reply_audience`,
:func:`~gulfsec.domain.procedures.meetings.step_audience`,
:func:`~gulfsec.domain.procedures.mediation.audience_of`), so a caller cannot address a step to
the wrong parties, and checks the entry as the hub would before it is signed
(:func:`~gulfsec.api.decisions.send_checked`): a step the procedure does not allow is a 422
(error ``procedure``) and nothing is signed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import JSONResponse

from gulfsec.api.decisions import propose, send_checked
from gulfsec.api.deps import CurrentParty, HubDep
from gulfsec.api.node_auth import OfficerDep, ReaderDep, get_node
from gulfsec.api.sending import body_doc, send_from, sent_responses
from gulfsec.domain.entry import ALL, Audience, SignedEntry
from gulfsec.domain.forms import get_form
from gulfsec.domain.forms.consultations import REPLY, THREAD
from gulfsec.domain.forms.decisions import DRAFT
from gulfsec.domain.forms.mediation import ANSWER, PROPOSAL, REQUEST, RESPONSE, WITHDRAWAL
from gulfsec.domain.forms.meetings import (
    AGENDA_PROPOSAL,
    MEETING,
    MEETING_REPLY,
    MEETING_UPDATE,
)
from gulfsec.domain.procedures.mediation import Mediation, audience_of
from gulfsec.domain.procedures.meetings import step_audience
from gulfsec.domain.procedures.threads import Thread, reply_audience
from gulfsec.domain.regime import Regime
from gulfsec.errors import AccessDenied, InvalidFormBody, NotFound, ProcedureError
from gulfsec.services.hub.records import ConsultationsByViewer
from gulfsec.services.node import Node
from gulfsec.services.shared.calendar import calendar
from gulfsec.services.shared.consultations import Consultations, MeetingView

CALENDAR_TYPE = "text/calendar"
"""Served as ``text/calendar; charset=utf-8``."""

# -- what the routes answer (also what the CLI prints as JSON) -------------------------------


def threads_json(found: Sequence[Thread]) -> dict[str, Any]:
    """The threads, newest activity first, each with every message."""
    return {"total": len(found), "threads": [t.to_json() for t in found]}


def meetings_json(found: Sequence[MeetingView]) -> dict[str, Any]:
    """The meetings, the soonest first, each with its replies, agenda and minutes."""
    return {"total": len(found), "meetings": [m.to_json() for m in found]}


def mediations_json(found: Sequence[Mediation]) -> dict[str, Any]:
    """The mediations, the most recently moved first, each with its steps and proposals."""
    return {"total": len(found), "mediations": [m.to_json() for m in found]}


def calendar_response(views: Iterable[MeetingView], now: datetime, name: str) -> Response:
    return Response(calendar(views, now), media_type=CALENDAR_TYPE,
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


# -- acting from a node ----------------------------------------------------------------------


def _present(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields given a value (an optional field sent as null is left out of the body)."""
    return {k: v for k, v in fields.items() if v is not None}


def _refuse_path_fields(form: str, fields: Mapping[str, Any], names: Collection[str],
                        what: str) -> None:
    given = [name for name in names if name in fields]
    if given:
        raise InvalidFormBody(form, [(name, f"the {what} is the one named in the path")
                                     for name in given])


def named_audience(regime: Regime, sender: str, form: str, fmt: Any,
                   parties: Any) -> Audience:
    """Whom a thread or a meeting is addressed to: the members of its format ``fmt`` (every
    participant for ``all``) or the named ``parties`` — one of the two — less the sender."""
    if (fmt is None) == (parties is None):
        raise InvalidFormBody(form, [("parties", "name the parties, or give the format, "
                                                 "one of the two")])
    if fmt is not None:
        if fmt == ALL:
            return ALL
        members = regime.format_members(str(fmt))
        return tuple(sorted(set(members) - {sender}))
    if not isinstance(parties, list) or not all(isinstance(p, str) for p in parties):
        raise InvalidFormBody(form, [("parties", "a list of party codes, like [\"IRN\"]")])
    others = tuple(sorted(set(parties) - {sender}))
    if not others:
        raise InvalidFormBody(form, [("parties", f"name at least one party other than "
                                                 f"{sender}")])
    return others


def _held_entry(consultations: Consultations, entry_id: str, form: str) -> SignedEntry | None:
    for record in consultations.held.records():
        if record.entry.id_hex == entry_id and record.entry.entry.form == form:
            return record.entry
    return None


def _held(node: Node, entry_id: str, form: str, what: str) -> SignedEntry:
    found = _held_entry(node.consultations, entry_id, form)
    if found is None:
        raise NotFound(f"{node.party}'s node holds no {what} {entry_id[:70]}")
    return found


def open_thread(node: Node, fields: Mapping[str, Any]) -> SignedEntry:
    """Open a consultation thread (a ``thread@1`` body, with ``parties`` or ``format``
    saying whom it is between)."""
    body = _present(fields)
    parties = body.pop("parties", None)
    spec = get_form(THREAD)
    spec.validate(body)
    audience = named_audience(node.regime, node.party, THREAD, body.get("format"), parties)
    return send_checked(node, THREAD, audience, body, spec.referenced(body))


def reply_to_thread(node: Node, thread_id: str, fields: Mapping[str, Any]) -> SignedEntry:
    """Reply in a thread the node holds, to every other party of the thread."""
    _refuse_path_fields(REPLY, fields, ("thread",), "thread")
    thread = _held(node, thread_id, THREAD, "consultation thread")
    body = {"thread": thread_id, **_present(fields)}
    return send_checked(node, REPLY, reply_audience(thread, node.party), body, [thread_id])


def convene(node: Node, fields: Mapping[str, Any]) -> SignedEntry:
    """Convene a meeting (a ``meeting@1`` body, with ``parties`` or ``format`` saying who is
    invited): a participant convenes a bilateral meeting, the secretariat any other."""
    body = _present(fields)
    parties = body.pop("parties", None)
    spec = get_form(MEETING)
    spec.validate(body)
    audience = named_audience(node.regime, node.party, MEETING, body.get("format"), parties)
    return send_checked(node, MEETING, audience, body, spec.referenced(body))


def act_on_meeting(node: Node, form: str, meeting_id: str,
                   fields: Mapping[str, Any]) -> SignedEntry:
    """Take a step of ``form`` (a reply, an agenda item, a change) on a meeting the node
    holds, addressed to everyone in the meeting but this party."""
    _refuse_path_fields(form, fields, ("meeting",), "meeting")
    meeting = _held(node, meeting_id, MEETING, "meeting")
    body = {"meeting": meeting_id, **_present(fields)}
    return send_checked(node, form, step_audience(meeting, node.party), body, [meeting_id])


MINUTES_FIELDS = ("title", "text", "closes_at")


def minutes_draft(meeting: SignedEntry, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The draft decision of kind ``minutes`` for ``meeting``: ``text``, ``closes_at`` (the
    expiry of the silence procedure) and optionally ``title`` from ``fields``; decided by the
    meeting's format. ProcedureError if the meeting has none (a meeting among named parties
    has nobody to decide its minutes)."""
    extra = sorted(set(fields) - set(MINUTES_FIELDS))
    if extra:
        raise InvalidFormBody(DRAFT, [(name, "draft minutes take a title, a text and a "
                                             "closing time only") for name in extra])
    fmt = meeting.entry.body.get("format")
    if fmt is None:
        raise ProcedureError(f"meeting {meeting.id_hex} has no format: minutes are adopted by "
                             "silence in a format, and this meeting was among named parties")
    title = fields.get("title")
    if title is None:
        title = f"Minutes: {meeting.entry.body['title']}"[:200]
    return {"kind": "minutes", "title": title,
            "text": fields.get("text"), "format": fmt, "procedure": "silence",
            "closes_at": fields.get("closes_at"), "content": {"meeting": meeting.id_hex}}


def circulate_minutes(node: Node, meeting_id: str, fields: Mapping[str, Any]) -> SignedEntry:
    """As the convener of a meeting the node holds, circulate its draft minutes, adopted by
    silence in the meeting's format unless a member objects by ``closes_at``."""
    meeting = _held(node, meeting_id, MEETING, "meeting")
    if meeting.entry.sender != node.party:
        raise ProcedureError(f"only the convener, {meeting.entry.sender}, circulates the "
                             "minutes of this meeting")
    return propose(node, minutes_draft(meeting, _present(fields)))


def request_mediation(node: Node, fields: Mapping[str, Any]) -> SignedEntry:
    """Ask the mediator to mediate the dispute (a ``mediation-request@1`` body), addressed
    to the dispute's other parties and the mediator, and nobody else."""
    body = _present(fields)
    get_form(REQUEST).validate(body)
    audience = audience_of(body["parties"], body["mediator"], node.party)
    return send_checked(node, REQUEST, audience, body, [])


def act_on_mediation(node: Node, form: str, mediation_id: str,
                     fields: Mapping[str, Any]) -> SignedEntry:
    """Take a step of ``form`` (a withdrawal, the mediator's answer or proposal) on a
    mediation this party takes part in."""
    _refuse_path_fields(form, fields, ("parties", "mediator"), "dispute")
    found = node.consultations.mediation(mediation_id)
    body = {"parties": list(found.parties), "mediator": found.mediator, **_present(fields)}
    return send_checked(node, form, audience_of(found.parties, found.mediator, node.party),
                        body, [])


def respond_to_proposal(node: Node, proposal_id: str, fields: Mapping[str, Any]) -> SignedEntry:
    """As a party to the dispute, accept or reject a proposal the mediator tabled."""
    _refuse_path_fields(RESPONSE, fields, ("proposal",), "proposal")
    for found in node.consultations.mediations():
        if any(p.entry_id == proposal_id for p in found.proposals):
            body = {"proposal": proposal_id, **_present(fields)}
            return send_checked(node, RESPONSE,
                                audience_of(found.parties, found.mediator, node.party), body,
                                [proposal_id])
    raise NotFound(f"{node.party}'s node holds no mediator's proposal {proposal_id[:70]}")


# -- the reading routes, for each view -------------------------------------------------------


@dataclass(frozen=True)
class Viewing:
    """One view of the consultations, and the server's time to judge meetings at."""

    consultations: Consultations
    now: datetime


def _by_viewer(request: Request) -> ConsultationsByViewer:
    found = request.app.state.consultations
    assert isinstance(found, ConsultationsByViewer)
    return found


def _hub_reader_view(request: Request, hub: HubDep, party: CurrentParty) -> Viewing:
    return Viewing(_by_viewer(request).for_viewer(party), hub.clock.now())


def _node_view(request: Request) -> Viewing:
    node = get_node(request)
    return Viewing(node.consultations, node.clock.now())


ReaderView = Annotated[Viewing, Depends(_hub_reader_view)]
NodeView = Annotated[Viewing, Depends(_node_view)]

EntryId = Annotated[str, Path(min_length=1, max_length=128,
                              description="The entry's id (64 hex digits).")]
MediationId = Annotated[str, Path(min_length=3, max_length=300,
                                  description="The mediation: its parties in order, then its "
                                              "mediator, like ARE+BHR+QAT+SAU/KWT (the slash "
                                              "as is, or as %2F).")]
CALENDAR_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/calendar": {}}, "description": "iCalendar (RFC 5545), one event "
          "per meeting, its UID the meeting's entry id"}}


def _threads(v: Viewing) -> dict[str, Any]:
    return threads_json(v.consultations.threads())


def _thread(v: Viewing, thread_id: str) -> dict[str, Any]:
    return v.consultations.thread(thread_id).to_json()


def _meetings(v: Viewing) -> dict[str, Any]:
    return meetings_json(v.consultations.meetings(v.now))


def _meeting(v: Viewing, meeting_id: str) -> dict[str, Any]:
    return v.consultations.meeting(meeting_id, v.now).to_json()


def _meetings_ics(v: Viewing) -> Response:
    return calendar_response(v.consultations.meetings(v.now), v.now, "meetings.ics")


def _meeting_ics(v: Viewing, meeting_id: str) -> Response:
    found = v.consultations.meeting(meeting_id, v.now)
    return calendar_response([found], v.now, f"meeting-{meeting_id[:12]}.ics")


def _mediations(v: Viewing) -> dict[str, Any]:
    return mediations_json(v.consultations.mediations())


def _mediation(v: Viewing, mediation_id: str) -> dict[str, Any]:
    return v.consultations.mediation(mediation_id).to_json()


# -- the hub's routes ------------------------------------------------------------------------

hub_router = APIRouter(prefix="/v1", tags=["consultations"])


@hub_router.get("/threads", summary="Consultation threads the caller takes part in, newest "
                "activity first, with every message")
def hub_threads(v: ReaderView) -> dict[str, Any]:
    return _threads(v)


@hub_router.get("/threads/{thread_id}", summary="One consultation thread the caller takes "
                "part in, with every message")
def hub_thread(v: ReaderView, thread_id: EntryId) -> dict[str, Any]:
    return _thread(v, thread_id)


@hub_router.get("/meetings.ics", responses=CALENDAR_ANSWER, summary="The meetings the caller "
                "is invited to or convened, as an iCalendar file")
def hub_meetings_ics(v: ReaderView) -> Response:
    return _meetings_ics(v)


@hub_router.get("/meetings", summary="Meetings the caller is invited to or convened, the "
                "soonest first, with replies, agenda and minutes")
def hub_meetings(v: ReaderView) -> dict[str, Any]:
    return _meetings(v)


@hub_router.get("/meetings/{meeting_id}.ics", responses=CALENDAR_ANSWER, summary="One "
                "meeting the caller is invited to or convened, as an iCalendar file")
def hub_meeting_ics(v: ReaderView, meeting_id: EntryId) -> Response:
    return _meeting_ics(v, meeting_id)


@hub_router.get("/meetings/{meeting_id}", summary="One meeting the caller is invited to or "
                "convened: replies, agenda proposals, changes and minutes")
def hub_meeting(v: ReaderView, meeting_id: EntryId) -> dict[str, Any]:
    return _meeting(v, meeting_id)


@hub_router.get("/mediation", summary="Mediations the caller takes part in (as a party to the "
                "dispute or its mediator), the most recently moved first")
def hub_mediations(v: ReaderView) -> dict[str, Any]:
    return _mediations(v)


@hub_router.get("/mediation/{mediation_id:path}", summary="One mediation the caller takes "
                "part in: who asked, the mediator's answer, every step and proposal")
def hub_mediation(v: ReaderView, mediation_id: MediationId) -> dict[str, Any]:
    return _mediation(v, mediation_id)


@hub_router.get("/secretariat/meetings.ics", responses=CALENDAR_ANSWER, summary="Every "
                "meeting in the log, as an iCalendar file (the secretariat only)")
def secretariat_meetings_ics(request: Request, hub: HubDep, party: CurrentParty) -> Response:
    if party != hub.regime.secretariat.code:
        raise AccessDenied("only the secretariat reads the calendar of every meeting: "
                           "GET /v1/meetings.ics gives the caller's own")
    now = hub.clock.now()
    return calendar_response(_by_viewer(request).for_viewer(None).meetings(now), now,
                             "all-meetings.ics")


# -- a node's routes -------------------------------------------------------------------------

node_router = APIRouter(prefix="/v1", tags=["consultations"], dependencies=[ReaderDep])


@node_router.get("/threads", summary="Consultation threads in the node's verified copy, newest "
                 "activity first, with every message")
def node_threads(v: NodeView) -> dict[str, Any]:
    return _threads(v)


@node_router.get("/threads/{thread_id}", summary="One consultation thread in the node's copy, "
                 "with every message")
def node_thread(v: NodeView, thread_id: EntryId) -> dict[str, Any]:
    return _thread(v, thread_id)


@node_router.get("/meetings.ics", responses=CALENDAR_ANSWER, summary="The party's meetings, "
                 "from the node's copy, as an iCalendar file")
def node_meetings_ics(v: NodeView) -> Response:
    return _meetings_ics(v)


@node_router.get("/meetings", summary="The party's meetings in the node's copy, the soonest "
                 "first, with replies, agenda and minutes")
def node_meetings(v: NodeView) -> dict[str, Any]:
    return _meetings(v)


@node_router.get("/meetings/{meeting_id}.ics", responses=CALENDAR_ANSWER, summary="One "
                 "meeting, from the node's copy, as an iCalendar file")
def node_meeting_ics(v: NodeView, meeting_id: EntryId) -> Response:
    return _meeting_ics(v, meeting_id)


@node_router.get("/meetings/{meeting_id}", summary="One meeting in the node's copy: replies, "
                 "agenda proposals, changes and minutes")
def node_meeting(v: NodeView, meeting_id: EntryId) -> dict[str, Any]:
    return _meeting(v, meeting_id)


@node_router.get("/mediation", summary="Mediations the party takes part in, from the node's "
                 "copy, the most recently moved first")
def node_mediations(v: NodeView) -> dict[str, Any]:
    return _mediations(v)


_PARTIES_DOC = {"parties": {"type": "array", "items": {"type": "string",
                                                       "pattern": "^[A-Z]{2,6}$"},
                            "description": "The parties invited (or in the thread), if not a "
                                           "format: give one of the two."}}
_MINUTES_DOC = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "additionalProperties": False, "required": ["text", "closes_at"],
    "properties": {
        "title": {"type": "string", "maxLength": 200,
                  "description": "Default: Minutes: and the meeting's title."},
        "text": {"type": "string", "description": "The draft minutes."},
        "closes_at": {"type": "string", "format": "date-time",
                      "description": "When silence expires, UTC: 2027-01-31T12:00:00Z."}}}}}}}

SENT = sent_responses("thread, meeting, mediation or proposal")


@node_router.post("/threads", status_code=201, dependencies=[OfficerDep], responses=SENT,
                  openapi_extra=body_doc(THREAD, extra=_PARTIES_DOC), summary="Open a "
                  "consultation thread between named parties or in a format, at a level")
async def node_open_thread(request: Request) -> JSONResponse:
    return await send_from(request, open_thread)


@node_router.post("/threads/{thread_id}/replies", status_code=201, dependencies=[OfficerDep],
                  responses=SENT, openapi_extra=body_doc(REPLY, drop=("thread",)),
                  summary="Reply in a thread, to every other party of the thread")
async def node_reply(request: Request, thread_id: EntryId) -> JSONResponse:
    return await send_from(request, reply_to_thread, thread_id)


@node_router.post("/meetings", status_code=201, dependencies=[OfficerDep], responses=SENT,
                  openapi_extra=body_doc(MEETING, extra=_PARTIES_DOC), summary="Convene a "
                  "meeting: a participant a bilateral one, the secretariat any other")
async def node_convene(request: Request) -> JSONResponse:
    return await send_from(request, convene)


@node_router.post("/meetings/{meeting_id}/reply", status_code=201, dependencies=[OfficerDep],
                  responses=SENT, openapi_extra=body_doc(MEETING_REPLY, drop=("meeting",)),
                  summary="Accept or decline an invitation, or propose another time")
async def node_meeting_reply(request: Request, meeting_id: EntryId) -> JSONResponse:
    return await send_from(request, act_on_meeting, MEETING_REPLY, meeting_id)


@node_router.post("/meetings/{meeting_id}/agenda-proposals", status_code=201,
                  dependencies=[OfficerDep], responses=SENT,
                  openapi_extra=body_doc(AGENDA_PROPOSAL, drop=("meeting",)),
                  summary="Propose an item for a meeting's agenda")
async def node_agenda_proposal(request: Request, meeting_id: EntryId) -> JSONResponse:
    return await send_from(request, act_on_meeting, AGENDA_PROPOSAL, meeting_id)


@node_router.post("/meetings/{meeting_id}/update", status_code=201, dependencies=[OfficerDep],
                  responses=SENT, openapi_extra=body_doc(MEETING_UPDATE, drop=("meeting",)),
                  summary="As the convener: change the time or place, adopt the final agenda, "
                  "or cancel")
async def node_meeting_update(request: Request, meeting_id: EntryId) -> JSONResponse:
    return await send_from(request, act_on_meeting, MEETING_UPDATE, meeting_id)


@node_router.post("/meetings/{meeting_id}/minutes", status_code=201, dependencies=[OfficerDep],
                  responses=SENT, openapi_extra=_MINUTES_DOC, summary="As the convener: "
                  "circulate draft minutes, adopted by silence in the meeting's format")
async def node_minutes(request: Request, meeting_id: EntryId) -> JSONResponse:
    return await send_from(request, circulate_minutes, meeting_id)


@node_router.post("/mediation/requests", status_code=201, dependencies=[OfficerDep],
                  responses=SENT, openapi_extra=body_doc(REQUEST), summary="Ask a mediator "
                  "to mediate a dispute this party is a party to")
async def node_request_mediation(request: Request) -> JSONResponse:
    return await send_from(request, request_mediation)


@node_router.post("/mediation/proposals/{proposal_id}/response", status_code=201,
                  dependencies=[OfficerDep], responses=SENT,
                  openapi_extra=body_doc(RESPONSE, drop=("proposal",)),
                  summary="As a party to the dispute: accept or reject the mediator's proposal")
async def node_proposal_response(request: Request, proposal_id: EntryId) -> JSONResponse:
    return await send_from(request, respond_to_proposal, proposal_id)


_DISPUTE = ("parties", "mediator")


@node_router.post("/mediation/{mediation_id:path}/withdraw", status_code=201,
                  dependencies=[OfficerDep], responses=SENT,
                  openapi_extra=body_doc(WITHDRAWAL, drop=_DISPUTE), summary="Withdraw this "
                  "party's request for mediation (an active mediation ends at once)")
async def node_withdraw_mediation(request: Request, mediation_id: MediationId) -> JSONResponse:
    return await send_from(request, act_on_mediation, WITHDRAWAL, mediation_id)


@node_router.post("/mediation/{mediation_id:path}/answer", status_code=201,
                  dependencies=[OfficerDep], responses=SENT,
                  openapi_extra=body_doc(ANSWER, drop=_DISPUTE), summary="As the mediator: "
                  "accept or decline to mediate")
async def node_answer_mediation(request: Request, mediation_id: MediationId) -> JSONResponse:
    return await send_from(request, act_on_mediation, ANSWER, mediation_id)


@node_router.post("/mediation/{mediation_id:path}/proposals", status_code=201,
                  dependencies=[OfficerDep], responses=SENT,
                  openapi_extra=body_doc(PROPOSAL, drop=_DISPUTE), summary="As the mediator "
                  "of an active mediation: table a proposal")
async def node_mediation_proposal(request: Request, mediation_id: MediationId) -> JSONResponse:
    return await send_from(request, act_on_mediation, PROPOSAL, mediation_id)


@node_router.get("/mediation/{mediation_id:path}", summary="One mediation the party takes part "
                 "in, from the node's copy: who asked, the answer, every step and proposal")
def node_mediation(v: NodeView, mediation_id: MediationId) -> dict[str, Any]:
    return _mediation(v, mediation_id)
