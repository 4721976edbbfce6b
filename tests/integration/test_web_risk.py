"""The risk-reduction pages — the map, hazardous incidents, unusual military activity — over a
real hub and real nodes, on SQLite and PostgreSQL.

Personas: leila, IRN's officer, reports an incident with RUS (and SAU informed) and asks SAU
to explain an unusual air activity; victor, IRN's viewer, only reads; roman, RUS's officer, is
the other party involved and responds; sara, SAU's officer, is informed of the incident but not
involved, and is the participant asked about the activity; qasim, QAT's officer, is the
outsider of the incident (his node holds nothing of it) and a bystander of the request, which
goes to all. The secretariat reads every case and incident on the hub; the public reads what
is addressed to all.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

import pytest
from support.inprocess import (
    PASSWORD,
    Browser,
    NodeNet,
    TestClient,
    add_user,
    csrf_of,
    node_browser,
    text_of,
)

from gulfsec.adapters.clock import ManualClock
from gulfsec.domain.encoding import format_time
from gulfsec.domain.entry import ALL, SignedEntry, parse_signed_entry
from gulfsec.domain.forms.activity_notification import NOTIFICATION
from gulfsec.domain.forms.meetings import MEETING
from gulfsec.domain.forms.risk import (
    INCIDENT,
    INCIDENT_RESPONSE,
    UNUSUAL,
    UNUSUAL_MEETING,
    UNUSUAL_REPLY,
)
from gulfsec.services.hub import Hub
from gulfsec.services.node import Node
from gulfsec.services.shared.accounts import create_account

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
SVG = "{http://www.w3.org/2000/svg}"


def signed_in(node: Node, name: str, role: str = "officer") -> Browser:
    add_user(node.engine, name, role)
    browser = node_browser(node)
    assert browser.sign_in(name).status_code == 303
    return browser


def sent(node: Node, form: str) -> list[SignedEntry]:
    """What ``node``'s party signed of ``form``, in order."""
    with node.uow() as uow:
        items = uow.repo.outbox_items()
    found = [parse_signed_entry(i.raw, max_bytes=1 << 22) for i in items]
    return [s for s in found if s.entry.form == form]


def form_fields(page: str, form_id: str, **fields: Any) -> dict[str, Any]:
    """The CSRF and confirmation tokens of form ``form_id`` on ``page``, with ``fields``."""
    form = re.search(rf'<form[^>]*id="{form_id}".*?</form>', page, re.S)
    assert form is not None, f"no form {form_id} on the page"
    token = re.search(r'name="confirmation" value="([^"]+)"', form.group(0))
    assert token is not None
    return {"csrf_token": csrf_of(page), "confirmation": token.group(1), **fields}


def errors_of(page: str) -> dict[str, str]:
    """The field errors a page shows, by the id of their field."""
    return {m.group(1): text_of(m.group(2)).removeprefix("Error: ")
            for m in re.finditer(r'<p class="error-message" id="([^"]+)-error">(.*?)</p>', page,
                                 re.S)}


def report_fields(**changes: Any) -> dict[str, Any]:
    """The report form filled in: an unsafe encounter of IRN's boats and a RUS frigate."""
    fields: dict[str, Any] = {
        "other_party": "RUS", "occurred_at": "2026-11-23 09:30", "lat": "26.52",
        "lon": "56.41", "area_name": "Strait of Hormuz",
        "unit_party": ["IRN", "RUS", "", ""], "unit_kind": ["boat", "ship", "", ""],
        "unit_name": ["IRGCN patrol boats (3)", "Admiral Example", "", ""],
        "unit_hull_number": ["", "FF-0", "", ""], "unit_aircraft_type": ["", "", "", ""],
        "cpa_metres": "150", "events": ["unsafe-manoeuvre", "fire-control-radar"],
        "signals": "VHF 16 calls, unanswered.", "damage": "", "casualties": "0",
        "account": "The frigate illuminated our boats with fire-control radar at 150 m.",
        "also_to": ["SAU"]}
    fields.update(changes)
    return fields


def pairs(fields: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for name, value in fields.items():
        for one in (value if isinstance(value, list) else [value]):
            out.append((name, one))
    return out


@pytest.fixture
def officer(net: NodeNet) -> Browser:
    return signed_in(net.nodes["IRN"], "leila")


@pytest.fixture
def incident(net: NodeNet, clock: ManualClock) -> str:
    """RUS reports an incident with IRN, informing SAU (not QAT)."""
    report = net.nodes["RUS"].send(INCIDENT, ("IRN", "SAU"), {
        "occurred_at": format_time(clock.now() - 2 * HOUR),
        "position": {"lat": 26.9, "lon": 56.1}, "area_name": "Strait of Hormuz",
        "other_party": "IRN",
        "units": [{"party": "RUS", "kind": "ship", "name": "Admiral Example",
                   "hull_number": "FF-0"}, {"party": "IRN", "kind": "boat"}],
        "cpa_metres": 120, "events": ["unsafe-manoeuvre"],
        "account": "Three fast boats crossed the frigate's bow at 120 m."})
    net.settle()
    return report.id_hex


@pytest.fixture
def case(net: NodeNet, clock: ManualClock) -> str:
    """SAU asks IRN to explain an air activity over the central Gulf (to all participants)."""
    request = net.nodes["SAU"].send(UNUSUAL, ALL, {
        "addressee": "IRN", "activity_type": "air",
        "description": "About forty fighter sorties at night.",
        "area": {"kind": "circle", "centre": {"lat": 27.1, "lon": 51.4}, "radius_km": 90},
        "observed_from": format_time(clock.now() - 10 * HOUR),
        "concern": "Nothing was notified."})
    net.settle()
    return request.id_hex


# -- incidents -----------------------------------------------------------------------------------


def test_a_delegate_reports_an_incident_naming_each_mistake_previews_and_signs_it_once(
        net: NodeNet, officer: Browser) -> None:
    irn = net.nodes["IRN"]
    page = officer.get("/incidents/new")
    assert page.status_code == 200
    assert 'id="nav-risk" aria-current="page"' in page.text
    fields = form_fields(page.text, "report-form")

    wrong = officer.post("/incidents/new", pairs({**report_fields(
        other_party="", occurred_at="yesterday", lat="95", lon="", events=[],
        unit_party=["IRN", "", "", ""], unit_kind=["", "", "", ""],
        unit_name=["", "", "", ""], unit_hull_number=["", "", "", ""], account=""), **fields,
        "action": "send"}))
    assert wrong.status_code == 422
    errors = errors_of(wrong.text)
    assert errors["report-other_party"] == "choose the other party involved"
    assert errors["report-occurred_at"].startswith("write the time in UTC as YYYY-MM-DD HH:MM")
    assert errors["report-lat"] == "the latitude is from -90 to 90 degrees"
    assert errors["report-lon"].startswith("write the longitude as a number")
    assert errors["report-units"] == ("name at least one unit involved: its party and what "
                                      "it is")
    assert errors["report-events"] == "tick what happened (at least one)"
    assert errors["report-account"] == "write something here"
    assert "Nothing was signed: there is a problem" in text_of(wrong.text)
    assert 'href="#report-units"' in wrong.text

    hull = officer.post("/incidents/new", pairs({**report_fields(
        unit_hull_number=["", "F" * 30, "", ""]), **fields, "action": "send"}))
    assert hull.status_code == 422
    assert errors_of(hull.text)["report-units"].startswith("unit 2: hull number:")

    shown = officer.post("/incidents/new", pairs({**report_fields(), **fields,
                                                  "action": "preview"}))
    assert shown.status_code == 200
    canonical = re.search(r'<pre class="canonical" id="report-canonical"[^>]*>(.*?)</pre>',
                          shown.text, re.S)
    assert canonical is not None
    assert "incident-report@1" in canonical.group(1) and "fire-control-radar" in canonical.group(1)
    assert "Nothing has been signed or sent yet" in text_of(shown.text)
    assert "addressed to RUS, SAU" in text_of(shown.text)
    assert 'value="Admiral Example"' in shown.text  # the rows are kept
    assert sent(irn, INCIDENT) == []

    done = officer.post("/incidents/new", pairs({**report_fields(), **fields, "action": "send"}))
    assert done.status_code == 303 and done.headers["location"] == "/incidents?sent=1"
    again = officer.post("/incidents/new", pairs({**report_fields(), **fields,
                                                  "action": "send"}))
    assert again.headers["location"] == "/incidents?sent=again"
    [report] = sent(irn, INCIDENT)
    assert report.entry.audience == ("RUS", "SAU")
    assert report.entry.body == {
        "occurred_at": "2026-11-23T09:30:00Z", "position": {"lat": 26.52, "lon": 56.41},
        "area_name": "Strait of Hormuz", "other_party": "RUS",
        "units": [{"party": "IRN", "kind": "boat", "name": "IRGCN patrol boats (3)"},
                  {"party": "RUS", "kind": "ship", "name": "Admiral Example",
                   "hull_number": "FF-0"}],
        "cpa_metres": 150, "events": ["fire-control-radar", "unsafe-manoeuvre"],
        "signals": "VHF 16 calls, unanswered.", "casualties": 0,
        "account": "The frigate illuminated our boats with fire-control radar at 150 m."}
    listing = officer.get("/incidents?sent=1")
    assert "Signed and handed to the outbox" in text_of(listing.text)
    net.settle()
    listing = officer.get("/incidents")
    row = re.search(rf'<tr id="incident-{report.id_hex[:12]}">.*?</tr>', listing.text, re.S)
    assert row is not None
    assert "IRN and RUS: fire-control radar and unsafe manoeuvre" in text_of(row.group(0))
    assert "26.52° N, 56.41° E; Strait of Hormuz" in text_of(row.group(0))
    assert "none yet" in text_of(row.group(0)) and "pending" in text_of(row.group(0))


def test_the_other_party_responds_and_both_accounts_stand_side_by_side_with_the_deadlines(
        net: NodeNet, incident: str, officer: Browser, clock: ManualClock) -> None:
    url = f"/incidents/{incident}"
    page = officer.get(url)
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Incident: RUS and IRN: unsafe manoeuvre" in text
    assert "Response by IRN due by" in text and "— pending (no response)" in text
    assert re.search(r"Report by RUS due by 24 Nov 2026 10:00:00 UTC — met "
                     r"\(reported by log #\d+\)", text)
    assert "No response yet." in text
    assert "IRN's response, its own account, goes to everyone the report went to: RUS, SAU" in text
    fields = form_fields(page.text, "respond-form")

    empty = officer.post(url + "/respond", {**fields, "account": " ", "lat": "26.9",
                                            "action": "send"})
    assert empty.status_code == 422
    errors = errors_of(empty.text)
    assert errors["respond-account"] == "write something here"
    assert errors["respond-lon"].startswith("write the longitude as a number")

    answer = {"account": "Our boats kept 900 m away and answered on VHF 16.",
              "disputed": "The distance: 900 m, not 120 m.", "cpa_metres": "900",
              "events": "other"}
    shown = officer.post(url + "/respond", {**fields, **answer, "action": "preview"})
    assert shown.status_code == 200 and "incident-response@1" in shown.text
    assert sent(net.nodes["IRN"], INCIDENT_RESPONSE) == []
    clock.advance(10 * MINUTE)
    done = officer.post(url + "/respond", {**fields, **answer, "action": "send"})
    assert done.status_code == 303 and done.headers["location"] == url + "?sent=1#responses"
    assert officer.post(url + "/respond", {**fields, **answer, "action": "send"}).headers[
        "location"] == url + "?sent=again#responses"
    [response] = sent(net.nodes["IRN"], INCIDENT_RESPONSE)
    assert response.entry.audience == ("RUS", "SAU") and response.entry.refs == (incident,)
    assert response.entry.body == {"report": incident, "account": answer["account"],
                                   "disputed": answer["disputed"], "cpa_metres": 900,
                                   "events": ["other"]}
    net.settle()

    for party, name in (("IRN", None), ("RUS", "roman"), ("SAU", "sara")):
        reader = officer if name is None else signed_in(net.nodes[party], name)
        page = reader.get(url)
        assert page.status_code == 200, party
        table = re.search(r'<table id="accounts-table".*?</table>', page.text, re.S)
        assert table is not None
        cpa = re.search(r'<tr id="field-cpa_metres">.*?</tr>', table.group(0), re.S)
        assert cpa is not None
        assert text_of(cpa.group(0)) == ("Closest point of approach 120 m 900 m "
                                         "(differs from the report)")
        disputed = re.search(r'<tr id="field-disputed">.*?</tr>', table.group(0), re.S)
        assert disputed is not None
        assert text_of(disputed.group(0)) == ("What is disputed not stated The distance: 900 m, "
                                              "not 120 m.")
        assert "Response by IRN due by" in text_of(page.text)
        assert re.search(r"Response by IRN due by [^—]+— met \(response log #\d+\)",
                         text_of(page.text)), party
    assert 'id="respond-form"' not in reader.get(url).text  # SAU is informed, not involved


def test_an_outsider_sees_no_incident_and_only_the_other_party_may_respond(
        net: NodeNet, incident: str) -> None:
    url = f"/incidents/{incident}"
    outsider = signed_in(net.nodes["QAT"], "qasim")
    assert outsider.get(url).status_code == 404
    assert incident[:12] not in outsider.get("/incidents").text
    assert outsider.post(url + "/respond", {"csrf_token": outsider.csrf("/incidents"),
                                            "confirmation": "q" * 24, "account": "Us?",
                                            "action": "send"}).status_code == 404
    assert outsider.get("/incidents/" + "0" * 64).status_code == 404
    assert outsider.get("/incidents/not-an-id").status_code == 404

    informed = signed_in(net.nodes["SAU"], "sara")
    page = informed.get(url)
    assert page.status_code == 200 and 'id="respond-form"' not in page.text
    assert 'id="convene-form"' not in page.text
    refused = informed.post(url + "/respond", {"csrf_token": csrf_of(page.text),
                                               "confirmation": "s" * 24, "account": "Us too.",
                                               "action": "send"})
    assert refused.status_code == 422
    assert "only IRN, the other party involved, responds" in text_of(refused.text)
    assert sent(net.nodes["SAU"], INCIDENT_RESPONSE) == []

    viewer = signed_in(net.nodes["IRN"], "victor", "viewer")
    page = viewer.get(url)
    assert page.status_code == 200 and 'id="respond-form"' not in page.text
    assert "You are signed in as a viewer" in text_of(page.text)
    assert viewer.post(url + "/respond", {"csrf_token": csrf_of(page.text),
                                          "confirmation": "v" * 24,
                                          "account": "Signed?"}).status_code == 403
    assert sent(net.nodes["IRN"], INCIDENT_RESPONSE) == []


def test_either_party_convenes_a_bilateral_meeting_on_an_incident_naming_it(
        net: NodeNet, incident: str, officer: Browser, clock: ManualClock) -> None:
    url = f"/incidents/{incident}"
    page = officer.get(url)
    fields = form_fields(page.text, "convene-form")
    assert "The invitation goes to RUS alone and names this incident" in text_of(page.text)
    past = officer.post(url + "/meeting", {**fields, "title": "Incident talks",
                                           "level": "expert", "starts_at": "2026-11-01 09:00",
                                           "duration_minutes": "90", "place": "Muscat",
                                           "agenda": "Opening", "action": "send"})
    assert past.status_code == 422
    assert errors_of(past.text)["convene-starts_at"] == "a meeting is convened for a time to come"
    done = officer.post(url + "/meeting", {**fields, "title": "Incident talks",
                                           "level": "expert", "starts_at": "2026-11-26 09:00",
                                           "duration_minutes": "90", "place": "Muscat",
                                           "agenda": "Opening\nThe facts", "action": "send"})
    assert done.status_code == 303 and done.headers["location"] == url + "?sent=1#meeting"
    [meeting] = sent(net.nodes["IRN"], MEETING)
    assert meeting.entry.audience == ("RUS",) and meeting.entry.refs == (incident,)
    assert meeting.entry.body == {
        "title": "Incident talks", "level": "expert", "starts_at": "2026-11-26T09:00:00Z",
        "timezone": "UTC", "duration_minutes": 90, "place": "Muscat",
        "agenda": ["Opening", "The facts"], "case": incident}
    net.settle()
    shown = text_of(officer.get(url).text)
    assert re.search(r"IRN convened “ ?Incident talks ?”, 26 Nov 2026 09:00:00 UTC", shown)
    # On an Arabic page every time reads as the `when` filter writes it, in Arabic digits:
    # the meeting's, the report's and each deadline's account; none is left in RFC 3339.
    arabic = officer.get(url, headers={"Accept-Language": "ar"}).text
    assert "26 Nov 2026" not in text_of(arabic)
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text_of(arabic))
    deadlines_ar = re.search(r'<ul class="deadline-list" id="deadlines">.*?</ul>', arabic, re.S)
    assert deadlines_ar is not None and "UTC" in deadlines_ar.group(0)
    assert re.search("[\u0660-\u0669]", deadlines_ar.group(0))
    roman = signed_in(net.nodes["RUS"], "roman")
    assert "Incident talks" in roman.get("/meetings").text


# -- unusual military activity -------------------------------------------------------------------


def test_a_request_on_unusual_activity_its_reply_and_the_requests_for_meetings(
        net: NodeNet, officer: Browser, clock: ManualClock) -> None:
    page = officer.get("/unusual/new")
    assert page.status_code == 200
    fields = form_fields(page.text, "request-form")
    base = {"addressee": "SAU", "activity_type": "naval",
            "description": "Minelaying drills near the shipping lanes.",
            "lat": "27.5", "lon": "51.0", "radius_km": "60", "area_name": "",
            "observed_from": "2026-11-23 02:00", "observed_until": "",
            "concern": "Close to the traffic separation scheme."}
    wrong = officer.post("/unusual/new", {**fields, **base, "addressee": "IRN",
                                          "radius_km": "0", "observed_from": "",
                                          "description": "", "action": "send"})
    assert wrong.status_code == 422
    errors = errors_of(wrong.text)
    assert errors["request-addressee"] == "a request asks another participant than IRN"
    assert errors["request-radius_km"].startswith("write the radius in kilometres")
    assert errors["request-observed_from"] == "write the time in UTC as YYYY-MM-DD HH:MM"
    assert errors["request-description"] == "write something here"
    nowhere = officer.post("/unusual/new", {**fields, **base, "lat": "", "lon": "",
                                            "radius_km": "", "action": "send"})
    assert errors_of(nowhere.text)["request-lat"] == ("give the area as a centre and a "
                                                       "radius, or name it")
    done = officer.post("/unusual/new", {**fields, **base, "action": "send"})
    assert done.status_code == 303 and done.headers["location"] == "/unusual?sent=1"
    [request] = sent(net.nodes["IRN"], UNUSUAL)
    assert request.entry.audience == ALL
    assert request.entry.body["area"] == {"kind": "circle",
                                          "centre": {"lat": 27.5, "lon": 51.0},
                                          "radius_km": 60.0}
    net.settle()
    url = f"/unusual/{request.id_hex}"

    page = officer.get(url)
    text = text_of(page.text)
    assert "IRN asks SAU about unusual naval activity" in text
    assert "within 60 km of 27.50° N, 51.00° E" in text
    assert "awaiting the reply" in text and "Reply by SAU due by" in text
    assert 'id="reply-form"' not in page.text  # IRN is not the participant asked

    sara = signed_in(net.nodes["SAU"], "sara")
    page = sara.get(url)
    assert 'id="ask-bilateral-form"' not in page.text
    reply_fields = form_fields(page.text, "reply-form")
    clock.advance(10 * MINUTE)
    done = sara.post(url + "/reply", {**reply_fields, "action": "send",
                                      "explanation": "A scheduled mine-countermeasures drill."})
    assert done.status_code == 303 and done.headers["location"] == url + "?sent=1#reply"
    [reply] = sent(net.nodes["SAU"], UNUSUAL_REPLY)
    assert reply.entry.audience == ALL and reply.entry.refs == (request.id_hex,)
    net.settle()

    page = officer.get(url)
    text = text_of(page.text)
    assert "SAU replies" in text and "A scheduled mine-countermeasures drill." in text
    assert re.search(r"Reply by SAU due by [^—]+— met \(reply log #\d+\)", text)
    bilateral = form_fields(page.text, "ask-bilateral-form")
    done = officer.post(url + "/meeting-request", {**bilateral, "meeting": "bilateral",
                                                   "reason": "", "action": "preview"})
    assert done.status_code == 303  # one click signs: there is no preview
    assert done.headers["location"] == url + "?sent=1#meetings"
    again = officer.post(url + "/meeting-request", {**bilateral, "meeting": "bilateral"})
    assert again.headers["location"] == url + "?sent=again#meetings"
    [asked] = sent(net.nodes["IRN"], UNUSUAL_MEETING)
    assert asked.entry.body == {"request": request.id_hex, "meeting": "bilateral"}
    net.settle()
    page = officer.get(url)
    assert "bilateral meeting asked for" in text_of(page.text)
    assert re.search(r"Bilateral meeting of IRN and SAU, seen to by SAU due by [^—]+— pending",
                     text_of(page.text))

    # A bystander sees the case, but neither the bilateral meeting's deadline nor any form.
    qasim = signed_in(net.nodes["QAT"], "qasim")
    page = qasim.get(url)
    assert page.status_code == 200
    assert "whether it was convened in time is not shown here" in text_of(page.text)
    assert 'id="reply-form"' not in page.text and 'id="convene-form"' not in page.text
    refused = qasim.post(url + "/reply", {"csrf_token": csrf_of(page.text),
                                          "confirmation": "q" * 24, "action": "send",
                                          "explanation": "Not ours to say."})
    assert refused.status_code == 422
    assert "only SAU, the participant asked, replies" in text_of(refused.text)
    assert sent(net.nodes["QAT"], UNUSUAL_REPLY) == []

    # SAU convenes the bilateral meeting on the case: the stage moves on.
    page = sara.get(url)
    convene = form_fields(page.text, "convene-form", title="Talks on the drill",
                          level="expert", starts_at="2026-11-25 09:00",
                          duration_minutes="120", place="Doha", agenda="Opening")
    done = sara.post(url + "/meeting", {**convene, "action": "send"})
    assert done.status_code == 303
    net.settle()
    assert "bilateral meeting convened" in text_of(officer.get(url).text)
    assert re.search(r"Bilateral meeting of IRN and SAU, seen to by SAU due by [^—]+— met",
                     text_of(officer.get(url).text))


# -- the map -------------------------------------------------------------------------------------


def test_the_map_draws_incidents_areas_and_notified_activities_and_lists_each_in_words(
        net: NodeNet, incident: str, case: str, officer: Browser) -> None:
    net.nodes["IRN"].send(NOTIFICATION, ALL, {
        "kind": "naval", "name": "Maritime Security Belt", "purpose": "Exercise.",
        "start": "2026-12-10", "end": "2026-12-14",
        "area": {"kind": "polygon", "points": [
            {"lat": 25.0, "lon": 57.0}, {"lat": 25.0, "lon": 59.0}, {"lat": 24.0, "lon": 58.0},
            {"lat": 25.0, "lon": 57.0}]},
        "forces": {"major_surface_combatants": 11}})
    net.settle()
    page = officer.get("/risk")
    assert page.status_code == 200
    svg = re.search(r"<svg .*?</svg>", page.text, re.S)
    assert svg is not None
    root = ET.fromstring(svg.group(0))
    assert root.get("role") == "img"
    marker = root.find(f".//{SVG}g[@id='gulf-map-incidents']/{SVG}a")
    assert marker is not None and marker.get("href") == f"/incidents/{incident}"
    areas = [a.get("href") for a in root.findall(f".//{SVG}g[@id='gulf-map-areas']/{SVG}a")]
    assert f"/unusual/{case}" in areas and len(areas) == 2
    listed = text_of(re.search(r'<ul class="map-list" id="map-list-incident".*?</ul>',
                               page.text, re.S).group(0))  # type: ignore[union-attr]
    assert listed.startswith("1 RUS and IRN: unsafe manoeuvre, 23 Nov 2026 10:00:00 UTC")
    assert "26.90° N, 56.10° E" in listed
    cases = text_of(re.search(r'<ul class="map-list" id="map-list-unusual".*?</ul>',
                              page.text, re.S).group(0))  # type: ignore[union-attr]
    assert "U1 SAU asks IRN about unusual air activity (awaiting the reply)" in cases
    assert "within 90 km of 27.10° N, 51.40° E" in cases
    activities = text_of(re.search(r'<ul class="map-list" id="map-list-activity".*?</ul>',
                                   page.text, re.S).group(0))  # type: ignore[union-attr]
    assert "N1 IRN: Maritime Security Belt (naval, 10 Dec 2026 to 14 Dec 2026)" in activities
    assert re.search(r'<table id="incidents">.*?RUS and IRN', page.text, re.S)
    assert re.search(r'<table id="cases">.*?SAU asks IRN', page.text, re.S)
    # QAT's node holds the case (to all) but not the incident (to IRN and SAU)
    qasim = signed_in(net.nodes["QAT"], "qasim")
    theirs = qasim.get("/risk").text
    assert f"/unusual/{case}" in theirs and f"/incidents/{incident}" not in theirs


# -- the hub -------------------------------------------------------------------------------------


def test_the_secretariat_sees_every_case_and_incident_and_the_public_only_what_goes_to_all(
        net: NodeNet, incident: str, case: str, api: TestClient, hub: Hub) -> None:
    public = Browser(api)
    page = public.get("/risk")
    assert page.status_code == 200
    assert f"/risk/unusual/{case}" in page.text and incident not in page.text
    assert "No incident has been reported to all participants." in text_of(page.text)
    assert public.get(f"/risk/incidents/{incident}").status_code == 404
    one = public.get(f"/risk/unusual/{case}")
    assert one.status_code == 200 and "SAU asks IRN about unusual air activity" in one.text
    assert "Reply by IRN due by" in text_of(one.text)
    assert public.get("/secretariat/risk").status_code == 303

    create_account(hub.engine, "sami", PASSWORD, "secretariat")
    staff = Browser(api)
    assert staff.sign_in("sami").status_code == 303
    page = staff.get("/secretariat/risk")
    assert page.status_code == 200
    assert 'id="nav-secretariat-risk" aria-current="page"' in page.text
    assert f"/secretariat/risk/incidents/{incident}" in page.text
    assert f"/secretariat/risk/unusual/{case}" in page.text
    one = staff.get(f"/secretariat/risk/incidents/{incident}")
    assert one.status_code == 200 and "Three fast boats crossed the frigate" in one.text
    assert "Response by IRN due by" in text_of(one.text)
    assert staff.get("/secretariat/risk/incidents/" + "0" * 64).status_code == 404


# -- every page: one h1, headings in order, labels on every field, the reader's language ------


def test_every_risk_page_is_accessible_and_in_the_readers_language(
        net: NodeNet, officer: Browser, incident: str, case: str, api: TestClient,
        hub: Hub) -> None:
    paths = ["/risk", "/incidents", "/incidents/new", f"/incidents/{incident}", "/unusual",
             "/unusual/new", f"/unusual/{case}"]
    pages: dict[str, Any] = {p: officer.get(p) for p in paths}
    public = Browser(api)
    pages["hub /risk"] = public.get("/risk")
    pages["hub /risk/unusual"] = public.get(f"/risk/unusual/{case}")
    create_account(hub.engine, "sami", PASSWORD, "secretariat")
    staff = Browser(api)
    staff.sign_in("sami")
    pages["hub /secretariat/risk"] = staff.get("/secretariat/risk")
    pages["hub /secretariat/risk/incidents"] = staff.get(f"/secretariat/risk/incidents/{incident}")
    for path, page in pages.items():
        assert page.status_code == 200, path
        levels = [int(n) for n in re.findall(r"<h([1-6])[\s>]", page.text)]
        assert levels.count(1) == 1, path
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), (path, levels)
        labels = set(re.findall(r'<label for="([^"]+)"', page.text))
        fields = set(re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', page.text))
        assert fields <= labels, (path, fields - labels)
        ids = re.findall(r' id="([^"]+)"', page.text)
        assert len(ids) == len(set(ids)), (path, sorted({i for i in ids if ids.count(i) > 1}))
    assert officer.get("/language?lang=fa&next=/risk").status_code == 303
    persian = officer.get("/risk").text
    assert '<html lang="fa" dir="rtl">' in persian
    assert '<h1>کاهش خطر</h1>' in persian
    assert 'direction="ltr"' in persian  # the map keeps its own direction
    assert officer.get("/language?lang=ar&next=/incidents").status_code == 303
    assert '<h1>الحوادث</h1>' in officer.get("/incidents").text
    assert officer.get("/language?lang=fr&next=/unusual").status_code == 303
    assert "Demander une explication" in officer.get("/unusual").text
