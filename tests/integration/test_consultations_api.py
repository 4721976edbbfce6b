"""Consulting, meeting and mediating over HTTP, on SQLite and on PostgreSQL: the node's routes
that act and read, the hub's signed routes, and the calendar files.

Personas: in a thread and a bilateral meeting, IRN is the opener and convener, RUS the other
party, QAT the outsider who must see nothing; the secretariat (SEC, without a node) convenes a
meeting of the p5 and circulates its minutes. In a mediation, QAT, SAU, ARE and BHR are the
parties to a dispute and KWT is asked to mediate; OMN is the outsider. Nodes act through their
own API with the node's API token; parties without a node (SEC, SAU, ARE, BHR) sign straight to
the hub. Every net has three witnesses, the regime's quorum, so that every entry becomes final.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from typing import Any

import httpx
import pytest
from icalendar import Calendar
from support.databases import Databases
from support.inprocess import BASE_URL, NodeNet, TestClient, add_user, node_browser, start_nodes

from gulfsec.adapters.clock import ManualClock
from gulfsec.adapters.hubclient import HubClient
from gulfsec.bootstrap import build_node_app
from gulfsec.domain.encoding import format_time
from gulfsec.domain.entry import ALL, Audience
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.procedures.decisions import draft_audience
from gulfsec.domain.procedures.mediation import audience_of
from gulfsec.domain.regime import Regime
from gulfsec.domain.request_auth import sign_request
from gulfsec.services.hub import Hub
from gulfsec.services.participant import registration_request, submit_draft

DAY = timedelta(days=1)
MORE = ("ARE", "BHR", "KWT", "OMN")
"""Parties the shared fixtures do not register: this module does."""
DISPUTE = ["QAT", "SAU", "ARE", "BHR"]
MEDIATION = "ARE+BHR+QAT+SAU/KWT"
P5 = ("CHN", "FRA", "GBR", "RUS", "USA")


# -- helpers -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def more_keys() -> dict[str, SigningKey]:
    return {code: SigningKey.generate(code) for code in MORE}


@pytest.fixture
def keys(hub: Hub, party_keys: dict[str, SigningKey], more_keys: dict[str, SigningKey],
         clock: ManualClock) -> dict[str, SigningKey]:
    """Every persona's key, ARE's, BHR's, KWT's and OMN's registered in the hub's log too."""
    for party in MORE:
        request = registration_request(more_keys[party], party, clock.now())
        hub.submit(request.countersigned(party_keys["SEC"]).raw)
    return {**party_keys, **more_keys}


@pytest.fixture
def nodes(hub: Hub, as_party: Callable[..., HubClient], keys: dict[str, SigningKey],
          clock: ManualClock, regime: Regime, log_key: SigningKey,
          databases: Databases) -> Iterator[Callable[[Sequence[str]], NodeNet]]:
    """``nodes(["QAT", "KWT", "OMN"])``: those parties' nodes, settled; closed at the end."""
    nets: list[NodeNet] = []

    def factory(parties: Sequence[str]) -> NodeNet:
        net = start_nodes(hub, lambda p: as_party(p, key=keys[p]), keys, clock, regime,
                          log_key, databases, parties)
        nets.append(net)
        net.settle()
        return net

    yield factory
    for net in nets:
        net.close()


def node_api(net: NodeNet, party: str) -> TestClient:
    """A client on the party's node API, presenting its API token."""
    node = net.nodes[party]
    token = f"token-of-{party}"
    with node.uow() as uow:
        uow.repo.set_meta("api_token_sha256", hashlib.sha256(token.encode()).hexdigest())
        uow.commit()
    return TestClient(build_node_app(node, run_sync=False), base_url=BASE_URL,
                      headers={"Authorization": f"Bearer {token}"})


def sent(response: httpx.Response) -> str:
    """The id of the entry a node signed and the hub sequenced (201)."""
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["sequenced"] is True and answer["waiting"] is None
    assert isinstance(answer["seq"], int)
    return str(answer["entry_id"])


def refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    answer = dict(response.json())
    assert answer["error"] == code, answer
    return answer


def signed_as(api: TestClient, keys: dict[str, SigningKey],
              clock: ManualClock) -> Callable[[str, str], httpx.Response]:
    def get(party: str, target: str) -> httpx.Response:
        auth = sign_request(keys[party], party, "GET", target, b"", clock.now())
        return api.get(target, headers=auth)

    return get


def straight_to_hub(as_party: Callable[..., HubClient], keys: dict[str, SigningKey],
                    party: str, form: str, audience: Audience, body: dict[str, Any],
                    clock: ManualClock, refs: Sequence[str] = ()) -> str:
    """A party without a node signs an entry and submits it to the hub itself."""
    draft = {"form": form, "audience": audience if audience == ALL else list(audience),
             "body": body, "refs": list(refs)}
    _, receipt = submit_draft(as_party(party, key=keys[party]), keys[party], party, draft,
                              clock.now())
    return str(receipt["entry_id"])


def meeting_body(clock: ManualClock, title: str, **changes: Any) -> dict[str, Any]:
    return {"title": title, "level": "senior-official",
            "starts_at": format_time(clock.now() + 2 * DAY), "timezone": "Asia/Tehran",
            "duration_minutes": 90, "place": "Muscat, Al Bustan Palace",
            "agenda": ["Opening", "Incidents at sea"], **changes}


def events(data: bytes) -> tuple[Calendar, dict[str, Any]]:
    """The calendar read back, and its events by the meeting's id."""
    cal = Calendar.from_ical(data)
    return cal, {str(e["uid"]).split("@")[0]: e for e in cal.walk("VEVENT")}


# -- threads -----------------------------------------------------------------------------------


def test_a_thread_and_its_reply_reach_its_parties_and_never_an_outsider(
        hub: Hub, nodes: Callable[..., NodeNet], keys: dict[str, SigningKey], api: TestClient,
        clock: ManualClock) -> None:
    net = nodes(["IRN", "RUS", "QAT"])
    irn, rus, qat = (node_api(net, p) for p in ("IRN", "RUS", "QAT"))
    signed_get = signed_as(api, keys, clock)
    thread_id = sent(irn.post("/v1/threads", json={
        "subject": "Incidents at sea", "level": "expert", "parties": ["RUS"],
        "text": "We propose a hotline between the navies."}))
    net.settle()
    listed = rus.get("/v1/threads").json()
    assert listed["total"] == 1 and listed["threads"][0]["id"] == thread_id
    reply_id = sent(rus.post(f"/v1/threads/{thread_id}/replies",
                             json={"text": "Agreed in principle."}))
    net.settle()

    seen = irn.get(f"/v1/threads/{thread_id}").json()
    assert (seen["subject"], seen["level"], seen["opened_by"], seen["parties"]) == (
        "Incidents at sea", "expert", "IRN", ["IRN", "RUS"])
    assert [(m["sender"], m["entry_id"]) for m in seen["messages"]] == [
        ("IRN", thread_id), ("RUS", reply_id)]
    assert rus.get(f"/v1/threads/{thread_id}").json() == seen
    assert signed_get("RUS", "/v1/threads").json() == irn.get("/v1/threads").json()
    assert signed_get("IRN", f"/v1/threads/{thread_id}").json() == seen

    # The outsider: nothing, and a 404 as for a thread that does not exist.
    assert qat.get("/v1/threads").json() == {"total": 0, "threads": []}
    refused(qat.get(f"/v1/threads/{thread_id}"), 404, "not_found")
    refused(qat.post(f"/v1/threads/{thread_id}/replies", json={"text": "Let us in."}), 404,
            "not_found")
    assert signed_get("QAT", "/v1/threads").json() == {"total": 0, "threads": []}
    refused(signed_get("QAT", f"/v1/threads/{thread_id}"), 404, "not_found")

    # A thread in a format goes to its members; bad input is one clear 422, nothing signed.
    in_p5 = sent(rus.post("/v1/threads", json={"subject": "P5 line", "level": "minister",
                                               "format": "p5", "text": "For the p5."}))
    net.settle()
    assert rus.get(f"/v1/threads/{in_p5}").json()["parties"] == list(P5)
    refused(irn.get(f"/v1/threads/{in_p5}"), 404, "not_found")
    for body, field in (
            ({"parties": ["RUS"], "format": "p5"}, "parties"),
            ({}, "parties"),
            ({"parties": ["IRN"]}, "parties"),
            ({"parties": "RUS"}, "parties"),
            ({"parties": ["RUS"], "level": "king"}, "level"),
            ({"parties": ["RUS"], "thread": thread_id}, "thread")):
        answer = irn.post("/v1/threads", json={"subject": "S", "text": "T", **body})
        fields = refused(answer, 422, "invalid_form_body")["fields"]
        assert [f["field"] for f in fields] == [field], answer.text
    refused(irn.post("/v1/threads", json={"subject": "S", "text": "T", "format": "nowhere"}),
            422, "audience")
    refused(irn.post("/v1/threads", json={"subject": "S", "text": "T", "parties": ["XYZ"]}),
            422, "audience")
    refused(irn.post(f"/v1/threads/{thread_id}/replies",
                     json={"text": "x", "thread": "ab" * 32}), 422, "invalid_form_body")
    refused(irn.post(f"/v1/threads/{thread_id}/replies", json={}), 422, "invalid_form_body")
    assert net.nodes["IRN"].status()["outbox_pending"] == 0


# -- meetings ----------------------------------------------------------------------------------


def test_a_bilateral_meeting_answered_changed_and_cancelled_and_its_calendar(
        hub: Hub, nodes: Callable[..., NodeNet], keys: dict[str, SigningKey], api: TestClient,
        clock: ManualClock) -> None:
    net = nodes(["IRN", "RUS", "QAT"])
    irn, rus, qat = (node_api(net, p) for p in ("IRN", "RUS", "QAT"))
    signed_get = signed_as(api, keys, clock)
    meeting_id = sent(irn.post("/v1/meetings", json={
        **meeting_body(clock, "Hotline talks"), "parties": ["RUS"]}))
    net.settle()
    sent(rus.post(f"/v1/meetings/{meeting_id}/reply", json={"reply": "accept",
                                                            "note": "Gladly."}))
    sent(rus.post(f"/v1/meetings/{meeting_id}/agenda-proposals",
                  json={"item": "Search and rescue", "reason": "Urgent."}))
    own = irn.post(f"/v1/meetings/{meeting_id}/reply", json={"reply": "accept"})
    assert "does not answer its own" in refused(own, 422, "procedure")["message"]
    guest = rus.post(f"/v1/meetings/{meeting_id}/update", json={"place": "Moscow"})
    assert "only the convener, IRN" in refused(guest, 422, "procedure")["message"]
    minutes = irn.post(f"/v1/meetings/{meeting_id}/minutes",
                       json={"text": "Met.", "closes_at": format_time(clock.now() + DAY)})
    assert "has no format" in refused(minutes, 422, "procedure")["message"]
    sent(irn.post(f"/v1/meetings/{meeting_id}/update", json={
        "place": "Muscat, Ministry of Foreign Affairs",
        "agenda": ["Opening", "Incidents at sea", "Search and rescue"]}))
    net.settle()

    seen = irn.get(f"/v1/meetings/{meeting_id}").json()
    assert (seen["status"], seen["convener"], seen["format"], seen["level"]) == (
        "convened", "IRN", None, "senior-official")
    assert seen["acceptances"] == {"RUS": "accept"} and seen["invited"] == ["RUS"]
    assert seen["agenda"] == ["Opening", "Incidents at sea", "Search and rescue"]
    assert seen["agenda_final"] is True and seen["sequence"] == 1
    assert [p["item"] for p in seen["agenda_proposals"]] == ["Search and rescue"]
    assert seen["minutes"] == {"status": "none", "draft": None, "closes_at": None}
    assert rus.get("/v1/meetings").json() == {"total": 1, "meetings": [seen]}
    assert signed_get("RUS", "/v1/meetings").json() == rus.get("/v1/meetings").json()
    assert qat.get("/v1/meetings").json() == {"total": 0, "meetings": []}
    refused(qat.get(f"/v1/meetings/{meeting_id}"), 404, "not_found")
    refused(qat.get(f"/v1/meetings/{meeting_id}.ics"), 404, "not_found")
    refused(signed_get("QAT", f"/v1/meetings/{meeting_id}"), 404, "not_found")

    answer = rus.get("/v1/meetings.ics")
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    cal, found = events(answer.content)
    event = found[meeting_id]
    assert str(cal["method"]) == "PUBLISH" and int(event["sequence"]) == 1
    assert str(event["location"]) == "Muscat, Ministry of Foreign Affairs"
    start = event.decoded("dtstart")
    assert str(start.tzinfo) == "Asia/Tehran" and start == clock.now() + 2 * DAY
    assert event.decoded("dtend") - start == timedelta(minutes=90)
    assert "3. Search and rescue" in str(event["description"])
    assert signed_get("IRN", "/v1/meetings.ics").content == irn.get("/v1/meetings.ics").content

    sent(irn.post(f"/v1/meetings/{meeting_id}/update",
                  json={"cancelled": True, "note": "Postponed."}))
    net.settle()
    assert rus.get(f"/v1/meetings/{meeting_id}").json()["status"] == "cancelled"
    cal, found = events(rus.get(f"/v1/meetings/{meeting_id}.ics").content)
    assert str(cal["method"]) == "CANCEL"
    assert (str(found[meeting_id]["status"]), int(found[meeting_id]["sequence"])) == (
        "CANCELLED", 2)
    _, found = events(irn.get("/v1/meetings.ics").content)
    assert str(found[meeting_id]["status"]) == "CANCELLED"
    refused(rus.post(f"/v1/meetings/{meeting_id}/update", json={"meeting": "ab" * 32}), 422,
            "invalid_form_body")


def test_the_secretariat_convenes_a_format_its_members_reply_and_minutes_circulate(
        hub: Hub, nodes: Callable[..., NodeNet], keys: dict[str, SigningKey], api: TestClient,
        as_party: Callable[..., HubClient], clock: ManualClock, regime: Regime) -> None:
    net = nodes(["IRN", "RUS", "QAT"])
    irn, rus = node_api(net, "IRN"), node_api(net, "RUS")
    signed_get = signed_as(api, keys, clock)
    meeting_id = straight_to_hub(as_party, keys, "SEC", "meeting@1", P5,
                                 meeting_body(clock, "P5 consultations", format="p5",
                                              timezone="UTC", place="online"), clock)
    bilateral = sent(irn.post("/v1/meetings", json={**meeting_body(clock, "Side talks"),
                                                    "parties": ["QAT"]}))
    net.settle()
    sent(rus.post(f"/v1/meetings/{meeting_id}/reply",
                  json={"reply": "propose-time",
                        "proposed_at": format_time(clock.now() + 3 * DAY)}))
    refused(rus.post(f"/v1/meetings/{meeting_id}/reply", json={"reply": "propose-time"}), 422,
            "invalid_form_body")
    not_mine = rus.post(f"/v1/meetings/{meeting_id}/minutes",
                        json={"text": "x", "closes_at": format_time(clock.now() + DAY)})
    assert "only the convener, SEC" in refused(not_mine, 422, "procedure")["message"]
    # A participant convenes a bilateral meeting only.
    in_format = irn.post("/v1/meetings", json={**meeting_body(clock, "X"), "format": "gcc"})
    assert "bilateral" in refused(in_format, 422, "procedure")["message"]
    past = irn.post("/v1/meetings", json={**meeting_body(clock, "Late"), "parties": ["RUS"],
                                          "starts_at": format_time(clock.now() - DAY)})
    assert "not in the future" in refused(past, 422, "procedure")["message"]
    bad_zone = irn.post("/v1/meetings", json={**meeting_body(clock, "Where"),
                                              "parties": ["RUS"], "timezone": "Mars/Olympus"})
    assert [f["field"] for f in refused(bad_zone, 422, "invalid_form_body")["fields"]] == [
        "timezone"]

    draft = {"kind": "minutes", "title": "Minutes: P5 consultations", "text": "The P5 met.",
             "format": "p5", "procedure": "silence",
             "closes_at": format_time(clock.now() + 3 * DAY),
             "content": {"meeting": meeting_id}}
    minutes_id = straight_to_hub(as_party, keys, "SEC", "draft-decision@1",
                                 draft_audience(regime, "p5"), draft, clock)
    net.settle()

    seen = rus.get(f"/v1/meetings/{meeting_id}").json()
    assert (seen["convener"], seen["format"], seen["place"]) == ("SEC", "p5", "online")
    assert seen["acceptances"] == {p: ("propose-time" if p == "RUS" else None) for p in P5}
    assert seen["proposed_times"] == {"RUS": format_time(clock.now() + 3 * DAY)}
    assert seen["minutes"] == {"status": "circulated", "draft": minutes_id,
                               "closes_at": draft["closes_at"]}
    # The secretariat sees what it convened, not the bilateral meeting; its calendar of every
    # meeting has both, and is the secretariat's only.
    assert [m["id"] for m in signed_get("SEC", "/v1/meetings").json()["meetings"]] == [
        meeting_id]
    _, found = events(signed_get("SEC", "/v1/secretariat/meetings.ics").content)
    assert set(found) == {meeting_id, bilateral}
    refused(signed_get("RUS", "/v1/secretariat/meetings.ics"), 403, "forbidden")
    refused(api.get("/v1/secretariat/meetings.ics"), 401, "unauthenticated")
    assert irn.get(f"/v1/meetings/{meeting_id}").status_code == 404  # IRN is not in the p5


# -- mediation ---------------------------------------------------------------------------------


def test_mediation_is_active_only_once_every_party_asked_and_the_mediator_accepted(
        hub: Hub, nodes: Callable[..., NodeNet], keys: dict[str, SigningKey], api: TestClient,
        as_party: Callable[..., HubClient], clock: ManualClock) -> None:
    net = nodes(["QAT", "KWT", "OMN"])
    qat, kwt, omn = (node_api(net, p) for p in ("QAT", "KWT", "OMN"))
    signed_get = signed_as(api, keys, clock)

    def request_without_node(party: str) -> None:
        straight_to_hub(as_party, keys, party, "mediation-request@1",
                        audience_of(DISPUTE, "KWT", party),
                        {"parties": DISPUTE, "mediator": "KWT"}, clock)

    sent(qat.post("/v1/mediation/requests", json={"parties": DISPUTE, "mediator": "KWT",
                                                  "note": "We ask Kuwait's good offices."}))
    request_without_node("SAU")
    net.settle()
    seen = kwt.get(f"/v1/mediation/{MEDIATION}").json()
    assert (seen["status"], seen["requested_by"], seen["answer"]) == (
        "requested", ["QAT", "SAU"], None)
    early = kwt.post(f"/v1/mediation/{MEDIATION}/proposals", json={"title": "T", "text": "x"})
    assert sent(early)  # the hub takes it, but a proposal counts only once active
    for party in ("ARE", "BHR"):
        request_without_node(party)
    net.settle()
    assert qat.get(f"/v1/mediation/{MEDIATION}").json()["status"] == "requested"
    sent(kwt.post(f"/v1/mediation/{MEDIATION}/answer", json={"answer": "accept"}))
    net.settle()

    listed = qat.get("/v1/mediation").json()
    assert listed["total"] == 1
    mediation = listed["mediations"][0]
    assert {k: mediation[k] for k in ("id", "parties", "mediator", "requested_by",
                                      "status")} == {
        "id": MEDIATION, "parties": ["ARE", "BHR", "QAT", "SAU"], "mediator": "KWT",
        "requested_by": ["QAT", "SAU", "ARE", "BHR"], "status": "active"}
    assert mediation["proposals"] == []
    assert signed_get("SAU", f"/v1/mediation/{MEDIATION}").json() == mediation
    assert signed_get("BHR", "/v1/mediation").json() == listed
    assert kwt.get("/v1/mediation/ARE%2BBHR%2BQAT%2BSAU%2FKWT").json() == mediation

    # OMN, the outsider, cannot even learn that mediation was asked.
    assert omn.get("/v1/mediation").json() == {"total": 0, "mediations": []}
    refused(omn.get(f"/v1/mediation/{MEDIATION}"), 404, "not_found")
    refused(omn.post(f"/v1/mediation/{MEDIATION}/withdraw", json={}), 404, "not_found")
    assert signed_get("OMN", "/v1/mediation").json() == {"total": 0, "mediations": []}
    refused(signed_get("OMN", f"/v1/mediation/{MEDIATION}"), 404, "not_found")
    meddling = omn.post("/v1/mediation/requests", json={"parties": DISPUTE, "mediator": "KWT"})
    assert "OMN is not a party" in refused(meddling, 422, "procedure")["message"]

    proposal = sent(kwt.post(f"/v1/mediation/{MEDIATION}/proposals",
                             json={"title": "Joint patrols", "text": "Joint patrols, 2027."}))
    net.settle()
    sent(qat.post(f"/v1/mediation/proposals/{proposal}/response", json={"response": "accept"}))
    mediator = kwt.post(f"/v1/mediation/proposals/{proposal}/response",
                        json={"response": "accept"})
    assert "only a party" in refused(mediator, 422, "procedure")["message"]
    party = qat.post(f"/v1/mediation/{MEDIATION}/answer", json={"answer": "decline"})
    assert "only the mediator, KWT" in refused(party, 422, "procedure")["message"]
    refused(qat.post(f"/v1/mediation/proposals/{'ab' * 32}/response",
                     json={"response": "accept"}), 404, "not_found")
    refused(qat.post(f"/v1/mediation/{MEDIATION}/withdraw", json={"mediator": "OMN"}), 422,
            "invalid_form_body")
    for body, field in (({"parties": DISPUTE, "mediator": "QAT"}, "mediator"),
                        ({"parties": ["QAT"], "mediator": "KWT"}, "parties"),
                        ({"parties": ["QAT", "QAT"], "mediator": "KWT"}, "parties")):
        answer = qat.post("/v1/mediation/requests", json=body)
        assert [f["field"] for f in refused(answer, 422, "invalid_form_body")["fields"]] == [
            field], answer.text
    net.settle()
    seen = kwt.get(f"/v1/mediation/{MEDIATION}").json()
    assert [(p["title"], p["responses"]) for p in seen["proposals"]] == [
        ("Joint patrols", {"QAT": "accept"})]

    sent(qat.post(f"/v1/mediation/{MEDIATION}/withdraw", json={"reason": "Settled."}))
    net.settle()
    for client in (qat, kwt):
        seen = client.get(f"/v1/mediation/{MEDIATION}").json()
        assert (seen["status"], seen["requested_by"]) == ("ended", ["SAU", "ARE", "BHR"])
    assert signed_get("ARE", "/v1/mediation").json()["mediations"][0]["status"] == "ended"
    assert omn.get("/v1/mediation").json()["total"] == 0


# -- who may read and act, and the documentation -----------------------------------------------


def test_the_routes_need_the_token_or_an_officer_and_every_one_is_documented(
        hub: Hub, nodes: Callable[..., NodeNet], api: TestClient, keys: dict[str, SigningKey],
        clock: ManualClock) -> None:
    net = nodes(["IRN", "RUS", "QAT"])
    node = net.nodes["IRN"]
    stranger = node_browser(node)
    for path in ("/v1/threads", "/v1/meetings", "/v1/meetings.ics", "/v1/mediation",
                 f"/v1/mediation/{MEDIATION}", f"/v1/threads/{'ab' * 32}"):
        assert stranger.get(path).status_code == 401, path
        assert api.get(path).status_code == 401, path
    refused(stranger.client.post("/v1/threads", json={}), 401, "unauthenticated")
    add_user(node.engine, "parvin", "viewer")
    viewer = node_browser(node)
    assert viewer.sign_in("parvin").status_code == 303
    assert viewer.get("/v1/threads").status_code == 200
    assert viewer.client.post("/v1/threads", json={"subject": "S", "text": "T",
                                                   "parties": ["RUS"]}).status_code == 403

    hub_spec = api.get("/v1/openapi.json").json()["paths"]
    for path in ("/v1/threads", "/v1/threads/{thread_id}", "/v1/meetings",
                 "/v1/meetings.ics", "/v1/meetings/{meeting_id}",
                 "/v1/meetings/{meeting_id}.ics", "/v1/mediation",
                 "/v1/mediation/{mediation_id}", "/v1/secretariat/meetings.ics"):
        assert set(hub_spec[path]) == {"get"}, path
        assert hub_spec[path]["get"]["summary"], path
    node_spec = node_api(net, "IRN").get("/v1/openapi.json").json()["paths"]
    for path, methods in {"/v1/threads": {"get", "post"}, "/v1/threads/{thread_id}": {"get"},
                          "/v1/threads/{thread_id}/replies": {"post"},
                          "/v1/meetings": {"get", "post"}, "/v1/meetings.ics": {"get"},
                          "/v1/meetings/{meeting_id}": {"get"},
                          "/v1/meetings/{meeting_id}.ics": {"get"},
                          "/v1/meetings/{meeting_id}/reply": {"post"},
                          "/v1/meetings/{meeting_id}/agenda-proposals": {"post"},
                          "/v1/meetings/{meeting_id}/update": {"post"},
                          "/v1/meetings/{meeting_id}/minutes": {"post"},
                          "/v1/mediation": {"get"}, "/v1/mediation/requests": {"post"},
                          "/v1/mediation/{mediation_id}": {"get"},
                          "/v1/mediation/{mediation_id}/withdraw": {"post"},
                          "/v1/mediation/{mediation_id}/answer": {"post"},
                          "/v1/mediation/{mediation_id}/proposals": {"post"},
                          "/v1/mediation/proposals/{proposal_id}/response": {"post"}}.items():
        assert set(node_spec[path]) == methods, path
        for method in methods:
            assert node_spec[path][method]["summary"], (path, method)
    schema = node_spec["/v1/threads"]["post"]["requestBody"]["content"]["application/json"][
        "schema"]
    assert {"subject", "level", "text", "format", "parties", "attachments"} <= set(
        schema["properties"])
    reply = node_spec["/v1/meetings/{meeting_id}/reply"]["post"]["requestBody"]
    assert "meeting" not in reply["content"]["application/json"]["schema"]["properties"]

    irn = node_api(net, "IRN")
    for bad in ("not-an-id", "ab" * 32):
        refused(irn.get(f"/v1/meetings/{bad}"), 404, "not_found")
        refused(irn.post(f"/v1/meetings/{bad}/reply", json={"reply": "accept"}), 404,
                "not_found")
    refused(irn.get(f"/v1/threads/{'a' * 129}"), 422, "invalid_request")
    refused(irn.post("/v1/meetings", content=b"{not json",
                     headers={"Content-Type": "application/json"}), 422, "malformed_entry")
    refused(irn.post("/v1/mediation/requests", json=["a list"]), 422, "malformed_entry")
