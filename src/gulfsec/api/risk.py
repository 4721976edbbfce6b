"""Risk reduction over HTTP: hazardous incidents and unusual military activity.

The reading routes are served two ways, each over one view
(:class:`~gulfsec.services.shared.risk.RiskRecords`):

- on the hub, to a signed reader: the incidents and cases that party may read
  (``/v1/incidents``, ``/v1/unusual``); to anyone, the cases — requests on unusual activity
  go to all participants — with the steps addressed to all (``/v1/public/unusual``);
- on a node, to its API token or a delegate's session: the node's own verified copy.

A node also acts (an officer, or the API token): it reports an incident to the other party
involved (and to ``to``, the parties it adds), responds to a report it holds, asks another
participant to explain an unusual activity, replies as the participant asked, and asks for a
bilateral meeting or a meeting of all participants as the requester. Each route works out the
entry's audience itself (a response goes to everyone the report went to:
:func:`~gulfsec.domain.procedures.risk.response_audience`; every step on unusual activity to
all participants), and checks the entry as the hub would before it is signed
(:func:`~gulfsec.api.decisions.send_checked`): a step by someone the procedure does not name
(a reply by another participant than the one asked, a response by a party not involved) is a
422 with error ``procedure``, and nothing is signed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from gulfsec.api.decisions import send_checked
from gulfsec.api.deps import CurrentParty
from gulfsec.api.node_auth import OfficerDep, ReaderDep, get_node
from gulfsec.api.sending import body_doc, send_from, sent_responses
from gulfsec.domain.entry import ALL, Audience, SignedEntry
from gulfsec.domain.forms import get_form
from gulfsec.domain.forms.risk import (
    INCIDENT,
    INCIDENT_RESPONSE,
    UNUSUAL,
    UNUSUAL_MEETING,
    UNUSUAL_REPLY,
)
from gulfsec.domain.procedures.risk import Incident, UnusualCase, response_audience
from gulfsec.errors import InvalidFormBody, NotFound
from gulfsec.services.hub.records import PUBLIC, RiskByViewer
from gulfsec.services.node import Node
from gulfsec.services.shared.risk import RiskRecords

# -- what the routes answer (also what the CLI prints as JSON) -------------------------------


def incidents_json(found: Sequence[Incident]) -> dict[str, Any]:
    """The incidents, the most recent report first, each with the other party's responses."""
    return {"total": len(found), "incidents": [i.to_json() for i in found]}


def cases_json(found: Sequence[UnusualCase]) -> dict[str, Any]:
    """The cases of unusual military activity, the most recently moved first, each with its
    stage and timeline."""
    return {"total": len(found), "cases": [c.to_json() for c in found]}


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


def _held(records: RiskRecords, entry_id: str, form: str, what: str,
          party: str) -> SignedEntry:
    for record in records.held.records():
        if record.entry.id_hex == entry_id and record.entry.entry.form == form:
            return record.entry
    raise NotFound(f"{party}'s node holds no {what} {entry_id[:70]}")


def incident_audience(sender: str, other: Any, to: Any) -> Audience:
    """Whom a report goes to: the other party involved and the parties ``to`` adds (a list of
    codes, or None), less the sender."""
    if to is None:
        extra: list[str] = []
    elif isinstance(to, list) and all(isinstance(p, str) for p in to):
        extra = to
    else:
        raise InvalidFormBody(INCIDENT, [("to", "a list of party codes, like [\"QAT\"]")])
    return tuple(sorted({str(other), *extra} - {sender}))


def report_incident(node: Node, fields: Mapping[str, Any]) -> SignedEntry:
    """Report a hazardous incident (an ``incident-report@1`` body, with ``to`` naming whom
    else it goes to besides the other party involved)."""
    body = _present(fields)
    to = body.pop("to", None)
    spec = get_form(INCIDENT)
    spec.validate(body)
    audience = incident_audience(node.party, body["other_party"], to)
    return send_checked(node, INCIDENT, audience, body, spec.referenced(body))


def respond_to_incident(node: Node, report_id: str, fields: Mapping[str, Any]) -> SignedEntry:
    """As the other party involved, give this party's account of an incident the node holds
    (an ``incident-response@1`` body less ``report``), to everyone the report went to."""
    _refuse_path_fields(INCIDENT_RESPONSE, fields, ("report",), "report")
    report = _held(node.risk, report_id, INCIDENT, "incident report", node.party)
    body = {"report": report_id, **_present(fields)}
    return send_checked(node, INCIDENT_RESPONSE, response_audience(report, node.party), body,
                        [report_id])


def request_explanation(node: Node, fields: Mapping[str, Any]) -> SignedEntry:
    """Ask a participant to explain an unusual military activity (an ``unusual-activity@1``
    body), addressed to all participants."""
    body = _present(fields)
    get_form(UNUSUAL).validate(body)
    return send_checked(node, UNUSUAL, ALL, body, [])


def act_on_case(node: Node, form: str, case_id: str, fields: Mapping[str, Any]) -> SignedEntry:
    """Take a step of ``form`` (the reply, a request for a meeting) on a request on unusual
    military activity the node holds, addressed to all participants."""
    _refuse_path_fields(form, fields, ("request",), "request")
    _held(node.risk, case_id, UNUSUAL, "request on unusual military activity", node.party)
    body = {"request": case_id, **_present(fields)}
    return send_checked(node, form, ALL, body, [case_id])


# -- the reading routes, for each view -------------------------------------------------------


def _by_viewer(request: Request) -> RiskByViewer:
    found = request.app.state.risk
    assert isinstance(found, RiskByViewer)
    return found


def _hub_reader_view(request: Request, party: CurrentParty) -> RiskRecords:
    return _by_viewer(request).for_viewer(party)


def _hub_public_view(request: Request) -> RiskRecords:
    return _by_viewer(request).for_viewer(PUBLIC)


def _node_view(request: Request) -> RiskRecords:
    return get_node(request).risk


ReaderView = Annotated[RiskRecords, Depends(_hub_reader_view)]
PublicView = Annotated[RiskRecords, Depends(_hub_public_view)]
NodeView = Annotated[RiskRecords, Depends(_node_view)]

ReportId = Annotated[str, Path(min_length=1, max_length=128,
                               description="The incident report's entry id (64 hex digits).")]
CaseId = Annotated[str, Path(min_length=1, max_length=128,
                             description="The request's entry id (64 hex digits).")]


# -- the hub's routes ------------------------------------------------------------------------

hub_router = APIRouter(prefix="/v1", tags=["risk reduction"])


@hub_router.get("/incidents", summary="Hazardous incidents the caller may read, the most recent "
                "report first, with the other party's responses")
def hub_incidents(v: ReaderView) -> dict[str, Any]:
    return incidents_json(v.incidents())


@hub_router.get("/incidents/{report_id}", summary="One hazardous incident the caller may read: "
                "the report and the other party's responses")
def hub_incident(v: ReaderView, report_id: ReportId) -> dict[str, Any]:
    return v.incident(report_id).to_json()


@hub_router.get("/unusual", summary="Requests on unusual military activity the caller may "
                "read, the most recently moved first, with stage and timeline")
def hub_cases(v: ReaderView) -> dict[str, Any]:
    return cases_json(v.unusual())


@hub_router.get("/unusual/{case_id}", summary="One request on unusual military activity: its "
                "reply, the meetings asked for and convened")
def hub_case(v: ReaderView, case_id: CaseId) -> dict[str, Any]:
    return v.unusual_case(case_id).to_json()


@hub_router.get("/public/unusual", summary="Requests on unusual military activity, with the "
                "steps addressed to all participants (no sign-in)")
def public_cases(v: PublicView) -> dict[str, Any]:
    return cases_json(v.unusual())


@hub_router.get("/public/unusual/{case_id}", summary="One request on unusual military activity, "
                "with the steps addressed to all participants (no sign-in)")
def public_case(v: PublicView, case_id: CaseId) -> dict[str, Any]:
    return v.unusual_case(case_id).to_json()


# -- a node's routes -------------------------------------------------------------------------

node_router = APIRouter(prefix="/v1", tags=["risk reduction"], dependencies=[ReaderDep])


@node_router.get("/incidents", summary="Hazardous incidents in the node's verified copy, the "
                 "most recent report first, with the other party's responses")
def node_incidents(v: NodeView) -> dict[str, Any]:
    return incidents_json(v.incidents())


@node_router.get("/incidents/{report_id}", summary="One hazardous incident in the node's copy: "
                 "the report and the other party's responses")
def node_incident(v: NodeView, report_id: ReportId) -> dict[str, Any]:
    return v.incident(report_id).to_json()


@node_router.get("/unusual", summary="Requests on unusual military activity in the node's copy, "
                 "the most recently moved first, with stage and timeline")
def node_cases(v: NodeView) -> dict[str, Any]:
    return cases_json(v.unusual())


@node_router.get("/unusual/{case_id}", summary="One request on unusual military activity in the "
                 "node's copy: its reply, the meetings asked for and convened")
def node_case(v: NodeView, case_id: CaseId) -> dict[str, Any]:
    return v.unusual_case(case_id).to_json()


_TO_DOC = {"to": {"type": "array", "items": {"type": "string", "pattern": "^[A-Z]{2,6}$"},
                  "description": "Parties the report also goes to, besides the other party "
                                 "involved."}}

SENT = sent_responses("incident report or request")


@node_router.post("/incidents", status_code=201, dependencies=[OfficerDep], responses=SENT,
                  openapi_extra=body_doc(INCIDENT, extra=_TO_DOC), summary="Report a "
                  "hazardous incident to the other party involved (and to `to`)")
async def node_report_incident(request: Request) -> JSONResponse:
    return await send_from(request, report_incident)


@node_router.post("/incidents/{report_id}/response", status_code=201,
                  dependencies=[OfficerDep], responses=SENT,
                  openapi_extra=body_doc(INCIDENT_RESPONSE, drop=("report",)),
                  summary="As the other party involved: give this party's account of the "
                  "incident, to everyone the report went to")
async def node_respond(request: Request, report_id: ReportId) -> JSONResponse:
    return await send_from(request, respond_to_incident, report_id)


@node_router.post("/unusual", status_code=201, dependencies=[OfficerDep], responses=SENT,
                  openapi_extra=body_doc(UNUSUAL), summary="Ask a participant to explain an "
                  "unusual military activity (sent to all participants)")
async def node_request(request: Request) -> JSONResponse:
    return await send_from(request, request_explanation)


@node_router.post("/unusual/{case_id}/reply", status_code=201, dependencies=[OfficerDep],
                  responses=SENT, openapi_extra=body_doc(UNUSUAL_REPLY, drop=("request",)),
                  summary="As the participant asked: explain the activity (to all "
                  "participants)")
async def node_reply(request: Request, case_id: CaseId) -> JSONResponse:
    return await send_from(request, act_on_case, UNUSUAL_REPLY, case_id)


@node_router.post("/unusual/{case_id}/meeting", status_code=201, dependencies=[OfficerDep],
                  responses=SENT, openapi_extra=body_doc(UNUSUAL_MEETING, drop=("request",)),
                  summary="As the requester: ask for a bilateral meeting or a meeting of all "
                  "participants")
async def node_ask_for_meeting(request: Request, case_id: CaseId) -> JSONResponse:
    return await send_from(request, act_on_case, UNUSUAL_MEETING, case_id)
