"""A node's pages on risk reduction: the map, hazardous incidents and unusual military activity.

Reading: ``node.risk`` computes every incident and every case from this node's own verified
copy, with the rules every node and the hub apply (:mod:`gulfsec.domain.procedures.risk`); the
deadlines are the findings of the node's compliance engine over the same copy
(``NodeSite.scorecards``), so the pages and ``/compliance`` agree. An incident goes to the
other party involved (and whom the reporter chose besides): a node it did not go to does not
hold it, and its page answers 404, as for one that does not exist. A request on unusual
activity goes to all participants; a bilateral meeting on it to its two participants alone,
so a third party's node does not show whether that one was convened in time.

Writing, by an officer only, as on the consultation pages
(:mod:`gulfsec.web.node.consultations`): each form carries the session's CSRF token and a
confirmation token, offers a preview of exactly what is signed (one-click steps say on the page
what one click signs), and is signed once per confirmation token — the same form posted again
finds the entry signed the first time. Each step is addressed as the procedure requires (a
report to the other party and whom the reporter adds, a response to everyone the report went
to, every step on unusual activity to all participants, a meeting on a case to the other of
its two parties) and may be taken only by whom it names: the response by the other party
involved, the reply by the participant asked, the request for a meeting by the requester. The
node's outbox refuses, before signing, a step the hub would refuse.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from gulfsec.domain.compliance import Finding
from gulfsec.domain.encoding import format_time
from gulfsec.domain.entry import ALL, SignedEntry
from gulfsec.domain.forms import get_form
from gulfsec.domain.forms._types import LEVELS
from gulfsec.domain.forms.activity_notification import NOTIFICATION
from gulfsec.domain.forms.meetings import MEETING
from gulfsec.domain.forms.risk import (
    INCIDENT,
    INCIDENT_RESPONSE,
    UNUSUAL,
    UNUSUAL_MEETING,
    UNUSUAL_REPLY,
)
from gulfsec.domain.procedures.risk import Incident, UnusualCase, response_audience
from gulfsec.errors import InvalidFormBody, NotFound
from gulfsec.i18n import N_, _
from gulfsec.services.node import Node
from gulfsec.services.node.records import NodeRecords
from gulfsec.services.shared.accounts import WebSession
from gulfsec.services.shared.scorecards import Scorecards
from gulfsec.web.deps import SessionDep, SiteDep
from gulfsec.web.node.consultations import unsynced
from gulfsec.web.node.decisions import parse_moment
from gulfsec.web.node.writing import Outgoing, Writing, require_officer, write
from gulfsec.web.node.writing import held as _held
from gulfsec.web.node.writing import node_of as _node
from gulfsec.web.node.writing import page as _page
from gulfsec.web.node.writing import plain as _plain
from gulfsec.web.node.writing import sent_url as _sent
from gulfsec.web.risk import (
    ACTIVITY_TYPES,
    EVENTS,
    UNIT_KINDS,
    activities,
    case_shown,
    deadlines,
    incident_shown,
    risk_map,
)
from gulfsec.web.site import (
    Site,
    check_csrf,
    error_page,
    form_lists,
    language_of,
    parties_in,
    read_form,
)
from gulfsec.web.terms import term

router = APIRouter(include_in_schema=False)

_ENTRY_ID = re.compile(r"[0-9a-f]{64}")
UNIT_ROWS: Final = 4
"""Empty unit rows on the report form (the page works without script: more units, more
rows are a matter of sending the report from the API or the CLI)."""
MEETING_MINUTES: Final = 120
"""How long a meeting on a case lasts, unless the convener says otherwise."""


_NOT_FOUND: Final[Mapping[str, tuple[str, str]]] = {
    "incident report": (
        N_("No such incident report"),
        N_("This node holds no incident report with that id. An incident goes only to the "
           "parties its reporter named: %(party)s may not be one, or the node has not synced it "
           "yet.")),
    "request on unusual military activity": (
        N_("No such request on unusual military activity"),
        N_("This node holds no request on unusual military activity with that id. A request "
           "goes to every participant: the node of %(party)s may not have synced it yet.")),
}
"""The 404 page's title and message for each kind of case a page names (in English: they are
translated where shown)."""


def _not_found(request: Request, site: Site, session: WebSession, what: str) -> Response:
    title, message = _NOT_FOUND[what]
    return error_page(request, site, 404, _(title),
                      _(message) % {"party": _node(site).party}, session)


def _findings(site: Site) -> list[Finding]:
    """The node's compliance findings now, over its own copy (the deadlines' judge)."""
    scorecards = getattr(site, "scorecards", None)
    assert isinstance(scorecards, Scorecards)
    return scorecards.compliance.findings(site.clock.now())


def _incident(node: Node, report_id: str) -> Incident | None:
    if not _ENTRY_ID.fullmatch(report_id):
        return None
    try:
        return node.risk.incident(report_id)
    except NotFound:
        return None


def _case(node: Node, case_id: str) -> UnusualCase | None:
    if not _ENTRY_ID.fullmatch(case_id):
        return None
    try:
        return node.risk.unusual_case(case_id)
    except NotFound:
        return None


def _others(site: Site, request: Request, party: str) -> list[tuple[str, str, str | None]]:
    lang = language_of(site, request).code
    return [p for p in parties_in(site, lang) if p[0] != party]


# -- writing once --------------------------------------------------------------------------------


async def _posted(request: Request, session: WebSession,
                  which: str | Callable[[Mapping[str, str]], str]) -> Writing:
    """The form posted, once its CSRF token and the officer's role are checked; ``which``
    names the form, or says which from the posted values."""
    form = await read_form(request)
    check_csrf(request, form, session)
    require_officer(session)
    lists = form_lists(form)
    values = {name: found[-1] for name, found in lists.items()}
    name = which if isinstance(which, str) else which(values)
    token = values.get("confirmation", "")
    return Writing(name, values, lists, tokens={name: token} if token else {})



def _write(writing: Writing, node: Node, outgoing_of: Callable[[Writing], Outgoing | None],
           page: Callable[[Writing, int], Response], done: Callable[[SignedEntry, bool], str],
           *, one_click: bool = False) -> Response:
    """:func:`~gulfsec.web.node.writing.write`, with a unit's, a position's or an area's
    problem on the page's own field."""
    return write(writing, node, outgoing_of, page, done, one_click=one_click,
                 field_errors=_field_errors)


FIELD_OF: Final[Mapping[str, str]] = {"position": "lat", "area": "lat", "body": "lat"}
"""The page's field for a body field, where they differ (``body``: a request names no area)."""
def _field_errors(writing: Writing, exc: InvalidFormBody) -> None:
    """What the form finds wrong, in ``writing.errors`` under the page's field names: a
    unit's problem names the unit (``unit 2: …``)."""
    for path, message in exc.fields:
        parts = path.split(".")
        name = parts[0]
        if name == "units" and len(parts) > 1 and parts[1].isdigit():
            what = " ".join(parts[2:]).replace("_", " ")
            writing.errors.setdefault("units", _("unit %(n)s: %(problem)s") % {
                "n": int(parts[1]) + 1,
                "problem": f"{what + ': ' if what else ''}{_plain(message)}"})
            continue
        if name == "area" and len(parts) > 1:
            name = "radius_km" if parts[-1] == "radius_km" else "lat"
        elif name == "position" and len(parts) > 1:
            name = parts[-1] if parts[-1] in ("lat", "lon") else "lat"
        writing.errors.setdefault(FIELD_OF.get(name, name), _plain(message))


def _validate(writing: Writing, form_id: str, body: Mapping[str, Any]) -> None:
    try:
        get_form(form_id).validate(dict(body))
    except InvalidFormBody as exc:
        _field_errors(writing, exc)


def _text(w: Writing, name: str) -> str:
    return w.values.get(name, "").strip()


def _optional(w: Writing, name: str) -> dict[str, str]:
    text = _text(w, name)
    return {name: text} if text else {}


def _moment(w: Writing, name: str, now: datetime, *, required: bool) -> datetime | None:
    """A UTC time from the form; a problem goes to ``w.errors``."""
    text = _text(w, name)
    if not text:
        if required:
            w.errors[name] = _("write the time in UTC as YYYY-MM-DD HH:MM")
        return None
    moment = parse_moment(text)
    if moment is None:
        w.errors[name] = (_("write the time in UTC as YYYY-MM-DD HH:MM, like %(example)s")
                          % {"example": now.strftime("%Y-%m-%d %H:%M")})
        return None
    return moment


def _utc(moment: datetime | None) -> str:
    """A time as the forms write it (nothing when there is none: the form names it)."""
    return "" if moment is None else format_time(moment)


_DEGREES: Final[Mapping[str, tuple[str, str]]] = {
    "latitude": (
        N_("write the latitude as a number of degrees from %(low)s to %(high)s"),
        N_("the latitude is from %(low)s to %(high)s degrees")),
    "longitude": (
        N_("write the longitude as a number of degrees from %(low)s to %(high)s"),
        N_("the longitude is from %(low)s to %(high)s degrees")),
}
"""What is wrong with a coordinate, for each (in English: translated where shown)."""
_WHOLE: Final[Mapping[str, str]] = {
    "closest point of approach in metres":
        N_("write the closest point of approach in metres as a whole number"),
    "number of casualties": N_("write the number of casualties as a whole number"),
    "duration in minutes": N_("write the duration in minutes as a whole number"),
}
"""What is wrong with a whole number, for each (in English: translated where shown)."""


def _number(w: Writing, name: str, low: float, high: float, what: str) -> float | None:
    """A decimal number in ``low..high`` from the form; a problem goes to ``w.errors``."""
    text = _text(w, name).replace(",", ".")
    not_a_number, out_of_range = _DEGREES[what]
    bounds = {"low": f"{low:g}", "high": f"{high:g}"}
    try:
        value = float(text)
    except ValueError:
        w.errors[name] = _(not_a_number) % bounds
        return None
    if not low <= value <= high:
        w.errors[name] = _(out_of_range) % bounds
        return None
    return value


def _whole(w: Writing, name: str, what: str) -> int | None:
    text = _text(w, name).replace(",", "").replace(" ", "")
    if not text:
        return None
    if not text.isdigit():
        w.errors[name] = _(_WHOLE[what])
        return None
    return int(text)


def _position(w: Writing, *, required: bool) -> dict[str, float] | None:
    """Latitude and longitude, both or (when not ``required``) neither."""
    given = _text(w, "lat") or _text(w, "lon")
    if not given and not required:
        return None
    lat = _number(w, "lat", -90, 90, "latitude")
    lon = _number(w, "lon", -180, 180, "longitude")
    return None if lat is None or lon is None else {"lat": lat, "lon": lon}


def _events(w: Writing) -> list[str]:
    chosen = [e for e in w.lists.get("events", []) if e]
    unknown = [e for e in chosen if e not in EVENTS]
    if unknown:
        w.errors["events"] = _("choose what happened from the list")
    return [e for e in EVENTS if e in chosen]


@dataclass(frozen=True)
class UnitRow:
    """One row of the units table, as the page shows it."""

    n: int
    party: str
    kind: str
    name: str
    hull_number: str
    aircraft_type: str


UNIT_FIELDS: Final = ("party", "kind", "name", "hull_number", "aircraft_type")


def unit_rows(w: Writing, default_party: str) -> list[UnitRow]:
    """The units table as posted (or empty, the first row this party's)."""
    if w.which != "report":
        return [UnitRow(i + 1, default_party if i == 0 else "", "", "", "", "")
                for i in range(UNIT_ROWS)]
    columns = {f: w.lists.get(f"unit_{f}", []) for f in UNIT_FIELDS}
    rows = []
    for i in range(UNIT_ROWS):
        cell = {f: columns[f][i].strip() if i < len(columns[f]) else "" for f in UNIT_FIELDS}
        rows.append(UnitRow(i + 1, cell["party"].upper(), cell["kind"], cell["name"],
                            cell["hull_number"], cell["aircraft_type"]))
    return rows


def _units(w: Writing, node: Node) -> list[dict[str, str]]:
    units = []
    for row in unit_rows(w, node.party):
        if not any((row.kind, row.name, row.hull_number, row.aircraft_type)):
            continue  # an empty row (its party alone may be filled in by default)
        if not row.party:
            w.errors.setdefault("units", _("unit %(n)s: choose the party it belongs to")
                                % {"n": row.n})
        elif not node.regime.is_party(row.party):
            w.errors.setdefault("units", _("unit %(n)s: no party %(party)s in this regime")
                                % {"n": row.n, "party": row.party})
        if row.kind not in UNIT_KINDS:
            w.errors.setdefault("units", _("unit %(n)s: choose what it is (ship, aircraft, …)")
                                % {"n": row.n})
        unit = {"party": row.party, "kind": row.kind}
        unit.update({f: getattr(row, f) for f in ("name", "hull_number", "aircraft_type")
                     if getattr(row, f)})
        units.append(unit)
    if not units and "units" not in w.errors:
        w.errors["units"] = _("name at least one unit involved: its party and what it is")
    return units


@dataclass(frozen=True)
class MeetingDefaults:
    """What the form convening a meeting on a case starts with."""

    title: str
    starts_at: str
    agenda: str


def meeting_defaults(title: str, now: datetime) -> MeetingDefaults:
    starts = (now + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    return MeetingDefaults(title[:200], starts.strftime("%Y-%m-%d %H:%M"),
                           "\n".join((_("Opening"), _("The facts, as each party saw them"),
                                      _("Measures to prevent a recurrence"))))


# -- the map and the lists -----------------------------------------------------------------------


def _notified(node: Node, now: datetime) -> list[Any]:
    return activities(NodeRecords(node, forms=(NOTIFICATION,)).records_after(-1), now.date())


@router.get("/risk")
def risk_page(request: Request, site: SiteDep, session: SessionDep) -> Response:
    node = _node(site)
    now = site.clock.now()
    found_incidents, found_cases = node.risk.incidents(), node.risk.unusual()
    shown = risk_map(found_incidents, found_cases, _notified(node, now),
                     incident_base="/incidents/", case_base="/unusual/",
                     activity_base="/entries/")
    return _page(request, site, "node/risk.html",
                 {"rmap": shown, "incidents": [(incident_shown(i), None) for i in found_incidents],
                  "cases": [(case_shown(c), None) for c in found_cases],
                  "incident_base": "/incidents/", "case_base": "/unusual/"}, session)


@router.get("/incidents")
def incident_list(request: Request, site: SiteDep, session: SessionDep) -> Response:
    node = _node(site)
    found = node.risk.incidents()
    findings = _findings(site)
    held = {i.id for i in found}
    waiting = unsynced(node, frozenset({INCIDENT}), lambda body: True)
    return _page(request, site, "node/incidents.html",
                 {"rows": [(incident_shown(i), deadlines(findings, i.id)) for i in found],
                  "waiting": [w for w in waiting if w.entry_id not in held],
                  "incident_base": "/incidents/",
                  "sent": request.query_params.get("sent")}, session)


@router.get("/unusual")
def unusual_list(request: Request, site: SiteDep, session: SessionDep) -> Response:
    node = _node(site)
    found = node.risk.unusual()
    findings = _findings(site)
    held = {c.id for c in found}
    waiting = unsynced(node, frozenset({UNUSUAL}), lambda body: True)
    return _page(request, site, "node/unusual.html",
                 {"rows": [(case_shown(c), deadlines(findings, c.id, case=c,
                                                     private_meetings=_in_case(node, c)))
                           for c in found],
                  "waiting": [w for w in waiting if w.entry_id not in held],
                  "case_base": "/unusual/", "sent": request.query_params.get("sent")},
                 session)


def _in_case(node: Node, case: UnusualCase) -> bool:
    return node.party in (case.requester, case.addressee)


# -- reporting an incident -----------------------------------------------------------------------


def _new_incident_page(request: Request, site: Site, session: WebSession, writing: Writing,
                       status: int = 200) -> Response:
    node = _node(site)
    return _page(request, site, "node/incidents_new.html",
                 {"w": writing, "parties": _others(site, request, node.party),
                  "all_parties": _others(site, request, ""),
                  "units": unit_rows(writing, node.party), "unit_kinds": UNIT_KINDS,
                  "events": EVENTS, "now": site.clock.now()}, session, status)


@router.get("/incidents/new")
def new_incident_form(request: Request, site: SiteDep, session: SessionDep) -> Response:
    return _new_incident_page(request, site, session, Writing())


def report_outgoing(node: Node, w: Writing, now: datetime) -> Outgoing | None:
    """An incident report from the form, or None with its problems in ``w.errors``: the other
    party, when (not later than now), where (latitude and longitude), the units, what
    happened, the account; addressed to the other party and whom the reporter adds."""
    errors = w.errors
    other = _text(w, "other_party").upper()
    if not other:
        errors["other_party"] = _("choose the other party involved")
    elif other == node.party:
        errors["other_party"] = (_("the other party involved is not %(party)s itself")
                                 % {"party": node.party})
    elif not node.regime.is_party(other):
        errors["other_party"] = _("no party %(parties)s in this regime") % {"parties": other}
    occurred = _moment(w, "occurred_at", now, required=True)
    if occurred is not None and occurred > now:
        errors["occurred_at"] = (_("this is later than now (%(now)s UTC): an incident is "
                                   "reported once it has happened")
                                 % {"now": now.strftime("%Y-%m-%d %H:%M")})
    position = _position(w, required=True)
    units = _units(w, node)
    events = _events(w)
    if not events:
        errors.setdefault("events", _("tick what happened (at least one)"))
    cpa = _whole(w, "cpa_metres", "closest point of approach in metres")
    casualties = _whole(w, "casualties", "number of casualties")
    also = sorted({p.strip().upper() for p in w.lists.get("also_to", []) if p.strip()}
                  - {node.party, other})
    unknown = [p for p in also if not node.regime.is_party(p)]
    if unknown:
        errors["also_to"] = (_("no party %(parties)s in this regime")
                             % {"parties": ", ".join(unknown)})
    body: dict[str, Any] = {"occurred_at": _utc(occurred), "other_party": other,
                            "units": units, "events": events,
                            "casualties": 0 if casualties is None else casualties,
                            "account": _text(w, "account"),
                            **_optional(w, "area_name"), **_optional(w, "signals"),
                            **_optional(w, "damage")}
    if position is not None:
        body["position"] = position
    if cpa is not None:
        body["cpa_metres"] = cpa
    _validate(w, INCIDENT, body)
    if errors:
        return None
    return Outgoing(INCIDENT, tuple(sorted({other, *also})), body)


@router.post("/incidents/new")
async def report_incident(request: Request, site: SiteDep, session: SessionDep) -> Response:
    writing = await _posted(request, session, "report")
    node = _node(site)

    def page(w: Writing, status: int) -> Response:
        return _new_incident_page(request, site, session, w, status)

    return await run_in_threadpool(
        _write, writing, node, lambda w: report_outgoing(node, w, site.clock.now()), page,
        lambda signed, fresh: _sent("/incidents", fresh))


# -- one incident --------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentStanding:
    """What this party may do on an incident."""

    respond: bool
    convene: bool
    other: str | None
    """The other of the two parties involved, when this party is one of them."""


def incident_standing(party: str, incident: Incident) -> IncidentStanding:
    pair = (incident.reporter, incident.other_party)
    other = None if party not in pair else (incident.other_party if party == incident.reporter
                                            else incident.reporter)
    return IncidentStanding(party == incident.other_party, other is not None, other)


def _incident_page(request: Request, site: Site, session: WebSession, report_id: str,
                   writing: Writing, status: int = 200) -> Response:
    node = _node(site)
    incident = _incident(node, report_id)
    if incident is None:
        return _not_found(request, site, session, "incident report")
    report = _held(node, report_id)
    assert report is not None
    waiting = unsynced(node, frozenset({INCIDENT_RESPONSE, MEETING}),
                       lambda body: report_id in (body.get("report"), body.get("case")))
    able = incident_standing(node.party, incident)
    return _page(request, site, "node/incidents_incident.html",
                 {"s": incident_shown(incident), "i": incident, "w": writing, "able": able,
                  "due": deadlines(_findings(site), incident.id), "waiting": waiting,
                  "respond_to": response_audience(report, node.party),
                  "levels": LEVELS, "events": EVENTS, "now": site.clock.now(),
                  "meeting": meeting_defaults(
                      _("Meeting on the incident of %(day)s") % {
                          "day": str(incident.report.body["occurred_at"])[:10]},
                      site.clock.now()),
                  "sent": request.query_params.get("sent")}, session, status)


@router.get("/incidents/{report_id}")
def incident_page(request: Request, report_id: str, site: SiteDep,
                  session: SessionDep) -> Response:
    return _incident_page(request, site, session, report_id.lower(), Writing())


def response_outgoing(node: Node, w: Writing, incident: Incident,
                      report: SignedEntry) -> Outgoing | None:
    """This party's response to a report, or None with its problems: its account, what it
    disputes, and the facts as it saw them where it says otherwise."""
    if not incident_standing(node.party, incident).respond:
        w.general = (_("Not sent: only %(party)s, the other party involved, responds to this "
                       "report.") % {"party": incident.other_party})
        return None
    body: dict[str, Any] = {"report": incident.id, "account": _text(w, "account"),
                            **_optional(w, "disputed"), **_optional(w, "signals"),
                            **_optional(w, "damage")}
    position = _position(w, required=False)
    if position is not None:
        body["position"] = position
    cpa = _whole(w, "cpa_metres", "closest point of approach in metres")
    if cpa is not None:
        body["cpa_metres"] = cpa
    casualties = _whole(w, "casualties", "number of casualties")
    if casualties is not None:
        body["casualties"] = casualties
    events = _events(w)
    if events:
        body["events"] = events
    _validate(w, INCIDENT_RESPONSE, body)
    if w.errors:
        return None
    return Outgoing(INCIDENT_RESPONSE, response_audience(report, node.party), body,
                    (incident.id,))


def meeting_outgoing(node: Node, w: Writing, case_id: str, other: str | None,
                     now: datetime) -> Outgoing | None:
    """A bilateral meeting on a case (an incident or a request on unusual activity) with the
    other of its two parties, naming the case; or None with its problems."""
    if other is None:
        w.general = (_("Not sent: a meeting on this case is convened by one of its two "
                       "parties, and %(party)s is neither.") % {"party": node.party})
        return None
    starts = _moment(w, "starts_at", now, required=True)
    if starts is not None and starts <= now:
        w.errors["starts_at"] = _("a meeting is convened for a time to come")
    agenda = [line.strip() for line in _text(w, "agenda").splitlines() if line.strip()]
    if not agenda:
        w.errors["agenda"] = _("write the draft agenda, one item per line")
    duration = _whole(w, "duration_minutes", "duration in minutes")
    body: dict[str, Any] = {"title": _text(w, "title"), "level": _text(w, "level"),
                            "starts_at": _utc(starts), "timezone": "UTC",
                            "duration_minutes": MEETING_MINUTES if duration is None
                            else duration, "place": _text(w, "place"), "agenda": agenda,
                            "case": case_id}
    _validate(w, MEETING, body)
    if w.errors:
        return None
    return Outgoing(MEETING, (other,), body, (case_id,))


def _incident_step(request: Request, site: Site, session: WebSession, report_id: str,
                   writing: Writing, outgoing: Callable[[Writing, Incident, SignedEntry],
                                                        Outgoing | None],
                   anchor: str) -> Response:
    node = _node(site)
    incident = _incident(node, report_id)
    report = None if incident is None else _held(node, report_id)
    if incident is None or report is None:
        return _not_found(request, site, session, "incident report")

    def page(w: Writing, status: int) -> Response:
        return _incident_page(request, site, session, report_id, w, status)

    return _write(writing, node, lambda w: outgoing(w, incident, report), page,
                  lambda signed, fresh: _sent(f"/incidents/{report_id}", fresh, anchor))


@router.post("/incidents/{report_id}/respond")
async def respond(request: Request, report_id: str, site: SiteDep,
                  session: SessionDep) -> Response:
    writing = await _posted(request, session, "respond")
    node = _node(site)
    return await run_in_threadpool(
        _incident_step, request, site, session, report_id.lower(), writing,
        lambda w, incident, report: response_outgoing(node, w, incident, report), "#responses")


@router.post("/incidents/{report_id}/meeting")
async def incident_meeting(request: Request, report_id: str, site: SiteDep,
                           session: SessionDep) -> Response:
    writing = await _posted(request, session, "convene")
    node = _node(site)
    return await run_in_threadpool(
        _incident_step, request, site, session, report_id.lower(), writing,
        lambda w, incident, report: meeting_outgoing(
            node, w, incident.id, incident_standing(node.party, incident).other,
            site.clock.now()), "#meeting")


# -- unusual military activity -------------------------------------------------------------------


def _new_request_page(request: Request, site: Site, session: WebSession, writing: Writing,
                      status: int = 200) -> Response:
    node = _node(site)
    lang = language_of(site, request).code
    return _page(request, site, "node/unusual_new.html",
                 {"w": writing, "activity_types": ACTIVITY_TYPES, "now": site.clock.now(),
                  "parties": [p for p in parties_in(site, lang)
                              if p[0] != node.party and node.regime.is_participant(p[0])]},
                 session, status)


@router.get("/unusual/new")
def new_request_form(request: Request, site: SiteDep, session: SessionDep) -> Response:
    return _new_request_page(request, site, session, Writing())


def request_outgoing(node: Node, w: Writing, now: datetime) -> Outgoing | None:
    """A request on unusual military activity from the form, or None with its problems: the
    participant asked, the activity, where (a centre and radius, a named area, or both),
    when, and what causes concern; addressed to all participants."""
    errors = w.errors
    addressee = _text(w, "addressee").upper()
    if not addressee:
        errors["addressee"] = _("choose the participant whose activity causes concern")
    elif addressee == node.party:
        errors["addressee"] = (_("a request asks another participant than %(party)s")
                               % {"party": node.party})
    elif not node.regime.is_participant(addressee):
        errors["addressee"] = (_("no participant %(parties)s in this regime")
                               % {"parties": addressee})
    area = None
    if _text(w, "lat") or _text(w, "lon") or _text(w, "radius_km"):
        centre = _position(w, required=True)
        radius_text = _text(w, "radius_km").replace(",", ".")
        try:
            radius = float(radius_text)
        except ValueError:
            radius = 0.0
        if not 0 < radius <= 2000:
            errors["radius_km"] = _("write the radius in kilometres, more than 0 and at most "
                                    "2,000")
        if centre is not None and "radius_km" not in errors:
            area = {"kind": "circle", "centre": centre, "radius_km": radius}
    elif not _text(w, "area_name"):
        errors["lat"] = _("give the area as a centre and a radius, or name it")
    observed_from = _moment(w, "observed_from", now, required=True)
    observed_until = _moment(w, "observed_until", now, required=False)
    body: dict[str, Any] = {"addressee": addressee, "activity_type": _text(w, "activity_type"),
                            "description": _text(w, "description"),
                            "observed_from": _utc(observed_from),
                            "concern": _text(w, "concern"), **_optional(w, "area_name")}
    if area is not None:
        body["area"] = area
    if observed_until is not None:
        body["observed_until"] = _utc(observed_until)
    _validate(w, UNUSUAL, body)
    if errors:
        return None
    return Outgoing(UNUSUAL, ALL, body)


@router.post("/unusual/new")
async def ask_about_activity(request: Request, site: SiteDep, session: SessionDep) -> Response:
    writing = await _posted(request, session, "request")
    node = _node(site)

    def page(w: Writing, status: int) -> Response:
        return _new_request_page(request, site, session, w, status)

    return await run_in_threadpool(
        _write, writing, node, lambda w: request_outgoing(node, w, site.clock.now()), page,
        lambda signed, fresh: _sent("/unusual", fresh))


@dataclass(frozen=True)
class CaseStanding:
    """What this party may do on a case of unusual military activity."""

    reply: bool
    ask_meeting: bool
    convene: bool
    other: str | None
    """The other of the two participants, when this party is one of them."""


def case_standing(party: str, case: UnusualCase) -> CaseStanding:
    pair = (case.requester, case.addressee)
    other = None if party not in pair else (case.addressee if party == case.requester
                                            else case.requester)
    return CaseStanding(party == case.addressee, party == case.requester, other is not None,
                        other)


def _case_page(request: Request, site: Site, session: WebSession, case_id: str,
               writing: Writing, status: int = 200) -> Response:
    node = _node(site)
    case = _case(node, case_id)
    if case is None:
        return _not_found(request, site, session, "request on unusual military activity")
    waiting = unsynced(node, frozenset({UNUSUAL_REPLY, UNUSUAL_MEETING, MEETING}),
                       lambda body: case_id in (body.get("request"), body.get("case")))
    return _page(request, site, "node/unusual_case.html",
                 {"s": case_shown(case), "c": case, "w": writing,
                  "able": case_standing(node.party, case),
                  "due": deadlines(_findings(site), case.id, case=case,
                                   private_meetings=_in_case(node, case)),
                  "waiting": waiting, "levels": LEVELS, "now": site.clock.now(),
                  "meeting": meeting_defaults(
                      _("Meeting on the unusual activity (%(activity)s) of %(day)s") % {
                          "activity": term(case.request.body.get("activity_type")),
                          "day": str(case.request.body.get("observed_from"))[:10]},
                      site.clock.now()),
                  "sent": request.query_params.get("sent")}, session, status)


@router.get("/unusual/{case_id}")
def case_page(request: Request, case_id: str, site: SiteDep, session: SessionDep) -> Response:
    return _case_page(request, site, session, case_id.lower(), Writing())


def _case_step(request: Request, site: Site, session: WebSession, case_id: str,
               writing: Writing, outgoing: Callable[[Writing, UnusualCase], Outgoing | None],
               anchor: str, *, one_click: bool = False) -> Response:
    node = _node(site)
    case = _case(node, case_id)
    if case is None:
        return _not_found(request, site, session, "request on unusual military activity")

    def page(w: Writing, status: int) -> Response:
        return _case_page(request, site, session, case_id, w, status)

    return _write(writing, node, lambda w: outgoing(w, case), page,
                  lambda signed, fresh: _sent(f"/unusual/{case_id}", fresh, anchor),
                  one_click=one_click)


def reply_outgoing(node: Node, w: Writing, case: UnusualCase) -> Outgoing | None:
    if not case_standing(node.party, case).reply:
        w.general = (_("Not sent: only %(party)s, the participant asked, replies.")
                     % {"party": case.addressee})
        return None
    body = {"request": case.id, "explanation": _text(w, "explanation")}
    _validate(w, UNUSUAL_REPLY, body)
    return None if w.errors else Outgoing(UNUSUAL_REPLY, ALL, body, (case.id,))


def meeting_request_outgoing(node: Node, w: Writing, case: UnusualCase) -> Outgoing | None:
    if not case_standing(node.party, case).ask_meeting:
        w.general = (_("Not sent: only %(party)s, the requester, asks for a meeting.")
                     % {"party": case.requester})
        return None
    body = {"request": case.id, "meeting": _text(w, "meeting"), **_optional(w, "reason")}
    _validate(w, UNUSUAL_MEETING, body)
    return None if w.errors else Outgoing(UNUSUAL_MEETING, ALL, body, (case.id,))


@router.post("/unusual/{case_id}/reply")
async def reply(request: Request, case_id: str, site: SiteDep,
                session: SessionDep) -> Response:
    writing = await _posted(request, session, "reply")
    node = _node(site)
    return await run_in_threadpool(_case_step, request, site, session, case_id.lower(),
                                   writing, lambda w, c: reply_outgoing(node, w, c), "#reply")


@router.post("/unusual/{case_id}/meeting-request")
async def ask_for_meeting(request: Request, case_id: str, site: SiteDep,
                          session: SessionDep) -> Response:
    writing = await _posted(request, session,
                            lambda v: "all" if v.get("meeting") == "all" else "bilateral")
    node = _node(site)
    return await run_in_threadpool(
        _case_step, request, site, session, case_id.lower(), writing,
        lambda w, c: meeting_request_outgoing(node, w, c), "#meetings", one_click=True)


@router.post("/unusual/{case_id}/meeting")
async def unusual_meeting(request: Request, case_id: str, site: SiteDep,
                          session: SessionDep) -> Response:
    writing = await _posted(request, session, "convene")
    node = _node(site)
    return await run_in_threadpool(
        _case_step, request, site, session, case_id.lower(), writing,
        lambda w, c: meeting_outgoing(node, w, c.id, case_standing(node.party, c).other,
                                      site.clock.now()), "#meetings")


__all__ = ["router"]
