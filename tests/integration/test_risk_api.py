"""Risk reduction over HTTP, on SQLite and on PostgreSQL: the node's routes that report and
respond, ask, reply and ask for meetings; the hub's signed routes and its public one.

Personas: in an incident, IRN reports an unsafe encounter with RUS, the other party involved,
who responds; QAT is the outsider who must see nothing of it. On unusual activity, RUS asks IRN
to explain an air activity (to all participants): IRN replies, RUS asks for a bilateral meeting,
and QAT — who reads the request, as everyone does — may not reply in IRN's place. Nodes act
through their own API with the node's API token. Every net has three witnesses, the regime's
quorum, so that every entry becomes final.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from support.databases import Databases
from support.inprocess import BASE_URL, NodeNet, TestClient, start_nodes

from gulfsec.adapters.clock import ManualClock
from gulfsec.adapters.hubclient import HubClient
from gulfsec.bootstrap import build_node_app
from gulfsec.domain.encoding import format_time
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import Regime
from gulfsec.domain.request_auth import sign_request
from gulfsec.services.hub import Hub

HOUR = timedelta(hours=1)
INCIDENT_KEYS = {"id", "index", "reporter", "other_party", "occurred_at", "position",
                 "area_name", "events", "cpa_metres", "units", "casualties", "account",
                 "responses", "meetings", "reported_at"}
RESPONSE_KEYS = {"step", "party", "entry_id", "index", "sequenced_at", "final_at", "account",
                 "disputed"}
CASE_KEYS = {"id", "index", "requester", "addressee", "activity_type", "area", "area_name",
             "observed_from", "concern", "stage", "timeline"}
STEP_KEYS = {"step", "party", "entry_id", "index", "sequenced_at", "final_at"}


@pytest.fixture
def nodes(hub: Hub, as_party: Callable[..., HubClient], party_keys: dict[str, SigningKey],
          clock: ManualClock, regime: Regime, log_key: SigningKey,
          databases: Databases) -> Iterator[NodeNet]:
    """The nodes of IRN, RUS and QAT, settled; closed at the end."""
    net = start_nodes(hub, as_party, party_keys, clock, regime, log_key, databases,
                      ("IRN", "RUS", "QAT"))
    try:
        net.settle()
        yield net
    finally:
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
    return str(answer["entry_id"])


def refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    answer = dict(response.json())
    assert answer["error"] == code, answer
    assert isinstance(answer["message"], str) and "\n" not in answer["message"]
    return answer


def fields_of(response: httpx.Response) -> list[str]:
    return [f["field"] for f in refused(response, 422, "invalid_form_body")["fields"]]


def report(clock: ManualClock, **changes: Any) -> dict[str, Any]:
    return {"occurred_at": format_time(clock.now() - 3 * HOUR),
            "position": {"lat": 26.52, "lon": 56.41}, "area_name": "Strait of Hormuz",
            "other_party": "RUS",
            "units": [{"party": "IRN", "kind": "boat"},
                      {"party": "RUS", "kind": "ship", "name": "Admiral Example",
                       "hull_number": "FF-0"}],
            "cpa_metres": 150, "events": ["fire-control-radar"],
            "account": "The frigate locked its fire-control radar on our boats.", **changes}


def request(clock: ManualClock, **changes: Any) -> dict[str, Any]:
    return {"addressee": "IRN", "activity_type": "air",
            "description": "About forty fighter sorties at night.",
            "area": {"kind": "circle", "centre": {"lat": 27.1, "lon": 51.4}, "radius_km": 90},
            "observed_from": format_time(clock.now() - 10 * HOUR),
            "concern": "Nothing was notified.", **changes}


@pytest.fixture
def signed_get(api: TestClient, party_keys: dict[str, SigningKey],
               clock: ManualClock) -> Callable[[str, str], httpx.Response]:
    def get(party: str, target: str) -> httpx.Response:
        return api.get(target, headers=sign_request(party_keys[party], party, "GET", target,
                                                    b"", clock.now()))

    return get


# -- incidents -----------------------------------------------------------------------------------


def test_an_incident_and_its_response_reach_the_parties_it_went_to_and_never_an_outsider(
        nodes: NodeNet, api: TestClient, signed_get: Callable[[str, str], httpx.Response],
        clock: ManualClock) -> None:
    irn, rus, qat = (node_api(nodes, p) for p in ("IRN", "RUS", "QAT"))
    report_id = sent(irn.post("/v1/incidents", json=report(clock)))
    nodes.settle()
    listed = rus.get("/v1/incidents").json()
    assert listed["total"] == 1
    item, = listed["incidents"]
    assert set(item) == INCIDENT_KEYS
    assert (item["id"], item["reporter"], item["other_party"], item["cpa_metres"]) == (
        report_id, "IRN", "RUS", 150)
    assert item["responses"] == [] and item["events"] == ["fire-control-radar"]

    mine = irn.post(f"/v1/incidents/{report_id}/response", json={"account": "Ours."})
    assert "only RUS, the other party involved, responds" in refused(
        mine, 422, "procedure")["message"]
    response_id = sent(rus.post(f"/v1/incidents/{report_id}/response", json={
        "account": "A routine radar sweep; no lock-on.", "disputed": "Fire-control radar.",
        "cpa_metres": 600, "events": ["other"]}))
    nodes.settle()

    seen = irn.get(f"/v1/incidents/{report_id}").json()
    answer, = seen["responses"]
    assert set(answer) == RESPONSE_KEYS
    assert (answer["entry_id"], answer["party"], answer["disputed"], answer["step"]) == (
        response_id, "RUS", "Fire-control radar.", "response")
    assert answer["final_at"] is not None
    assert rus.get(f"/v1/incidents/{report_id}").json() == seen
    assert signed_get("IRN", f"/v1/incidents/{report_id}").json() == seen
    assert signed_get("RUS", "/v1/incidents").json() == rus.get("/v1/incidents").json()

    # QAT, the outsider: nothing, and a 404 as for a report that does not exist.
    assert qat.get("/v1/incidents").json() == {"total": 0, "incidents": []}
    refused(qat.get(f"/v1/incidents/{report_id}"), 404, "not_found")
    refused(qat.post(f"/v1/incidents/{report_id}/response", json={"account": "Us?"}), 404,
            "not_found")
    assert signed_get("QAT", "/v1/incidents").json() == {"total": 0, "incidents": []}
    refused(signed_get("QAT", f"/v1/incidents/{report_id}"), 404, "not_found")
    refused(api.get("/v1/incidents"), 401, "unauthenticated")
    refused(irn.get("/v1/incidents/" + "0" * 64), 404, "not_found")


def test_a_report_to_more_parties_and_every_bad_input_is_one_clear_422(
        nodes: NodeNet, clock: ManualClock) -> None:
    irn, rus, qat = (node_api(nodes, p) for p in ("IRN", "RUS", "QAT"))
    wider = sent(irn.post("/v1/incidents", json={**report(clock), "to": ["QAT"]}))
    nodes.settle()
    assert [i["id"] for i in qat.get("/v1/incidents").json()["incidents"]] == [wider]
    sent(rus.post(f"/v1/incidents/{wider}/response", json={"account": "Seen."}))
    nodes.settle()
    assert len(qat.get(f"/v1/incidents/{wider}").json()["responses"]) == 1  # to QAT too

    for body, field in ((report(clock, units=[]), "units"),
                        (report(clock, position={"lat": 95, "lon": 56}), "position.lat"),
                        (report(clock, events=["a-shrug"]), "events.0"),
                        (report(clock, cpa_metres="150"), "cpa_metres"),
                        (report(clock, units="IRN:boat"), "units"),
                        (report(clock, position=[26.5, 56.4]), "position"),
                        ({**report(clock), "to": "QAT"}, "to"),
                        ({**report(clock), "to": [7]}, "to"),
                        ({k: v for k, v in report(clock).items() if k != "account"},
                         "account")):
        assert fields_of(irn.post("/v1/incidents", json=body)) == [field], body
    own = irn.post("/v1/incidents", json=report(clock, other_party="IRN", units=[
        {"party": "IRN", "kind": "boat"}]))
    assert refused(own, 422, "procedure")["message"] == "IRN is not another party"
    stranger = irn.post("/v1/incidents", json=report(clock, other_party="XYZ"))
    assert refused(stranger, 422, "audience")
    assert fields_of(rus.post(f"/v1/incidents/{wider}/response",
                              json={"account": "x", "report": "ab" * 32})) == ["report"]
    assert fields_of(rus.post(f"/v1/incidents/{wider}/response", json={})) == ["account"]
    assert fields_of(rus.post(f"/v1/incidents/{wider}/response",
                              json={"account": "x", "position": "here"})) == ["position"]
    refused(rus.post(f"/v1/incidents/{'x' * 129}/response", json={"account": "x"}), 422,
            "invalid_request")
    refused(irn.post("/v1/incidents", content=b"[1, 2]"), 422, "malformed_entry")
    refused(irn.post("/v1/incidents", content=b"{not json"), 422, "malformed_entry")
    assert nodes.nodes["IRN"].status()["outbox_pending"] == 0


# -- unusual military activity -------------------------------------------------------------------


def test_a_request_on_unusual_activity_its_reply_and_a_meeting_asked_for(
        nodes: NodeNet, api: TestClient, signed_get: Callable[[str, str], httpx.Response],
        clock: ManualClock) -> None:
    irn, rus, qat = (node_api(nodes, p) for p in ("IRN", "RUS", "QAT"))
    case_id = sent(rus.post("/v1/unusual", json=request(clock)))
    nodes.settle()
    listed = qat.get("/v1/unusual").json()
    assert listed["total"] == 1
    item, = listed["cases"]
    assert set(item) == CASE_KEYS
    assert (item["id"], item["requester"], item["addressee"], item["stage"]) == (
        case_id, "RUS", "IRN", "awaiting-reply")

    # Only the participant asked replies; only the requester asks for a meeting.
    not_asked = qat.post(f"/v1/unusual/{case_id}/reply", json={"explanation": "Not ours."})
    assert "only IRN, the participant asked, replies" in refused(
        not_asked, 422, "procedure")["message"]
    assert nodes.nodes["QAT"].status()["outbox_pending"] == 0
    reply_id = sent(irn.post(f"/v1/unusual/{case_id}/reply",
                             json={"explanation": "A readiness drill over our own waters."}))
    not_requester = irn.post(f"/v1/unusual/{case_id}/meeting", json={"meeting": "bilateral"})
    assert "only RUS, the requester, asks for a meeting" in refused(
        not_requester, 422, "procedure")["message"]
    assert fields_of(rus.post(f"/v1/unusual/{case_id}/meeting",
                              json={"meeting": "sometime"})) == ["meeting"]
    assert fields_of(rus.post(f"/v1/unusual/{case_id}/meeting",
                              json={"meeting": "all", "request": "ab" * 32})) == ["request"]
    asked_id = sent(rus.post(f"/v1/unusual/{case_id}/meeting",
                             json={"meeting": "bilateral", "reason": "Let us talk."}))
    nodes.settle()

    seen = irn.get(f"/v1/unusual/{case_id}").json()
    assert seen["stage"] == "bilateral-requested"
    assert [(s["step"], s["party"], s["entry_id"]) for s in seen["timeline"]] == [
        ("request", "RUS", case_id), ("reply", "IRN", reply_id),
        ("bilateral-requested", "RUS", asked_id)]
    assert all(set(s) == STEP_KEYS and s["final_at"] for s in seen["timeline"])
    assert qat.get(f"/v1/unusual/{case_id}").json() == seen  # it all went to all
    assert signed_get("QAT", f"/v1/unusual/{case_id}").json() == seen
    assert signed_get("IRN", "/v1/unusual").json() == irn.get("/v1/unusual").json()
    public = api.get("/v1/public/unusual").json()
    assert public == {"total": 1, "cases": [seen]}
    assert api.get(f"/v1/public/unusual/{case_id}").json() == seen
    refused(api.get("/v1/public/unusual/" + "0" * 64), 404, "not_found")
    refused(qat.post("/v1/unusual/" + "0" * 64 + "/reply", json={"explanation": "x"}), 404,
            "not_found")

    for body, field in ((request(clock, addressee="iran"), "addressee"),
                        (request(clock, activity_type="space"), "activity_type"),
                        ({k: v for k, v in request(clock).items() if k != "area"}, "body"),
                        (request(clock, observed_from="yesterday"), "observed_from")):
        assert fields_of(rus.post("/v1/unusual", json=body)) == [field], body
    itself = rus.post("/v1/unusual", json=request(clock, addressee="RUS"))
    assert "RUS is not another participant" in refused(itself, 422, "procedure")["message"]


def test_the_routes_are_in_the_openapi_with_summaries(nodes: NodeNet, api: TestClient) -> None:
    hub_spec = api.get("/v1/openapi.json").json()["paths"]
    for path in ("/v1/incidents", "/v1/incidents/{report_id}", "/v1/unusual",
                 "/v1/unusual/{case_id}", "/v1/public/unusual", "/v1/public/unusual/{case_id}"):
        assert set(hub_spec[path]) == {"get"}, path
        assert hub_spec[path]["get"]["summary"], path
    node_spec = node_api(nodes, "IRN").get("/v1/openapi.json").json()["paths"]
    expected: dict[str, set[str]] = {
        "/v1/incidents": {"get", "post"}, "/v1/incidents/{report_id}": {"get"},
        "/v1/incidents/{report_id}/response": {"post"}, "/v1/unusual": {"get", "post"},
        "/v1/unusual/{case_id}": {"get"}, "/v1/unusual/{case_id}/reply": {"post"},
        "/v1/unusual/{case_id}/meeting": {"post"}}
    for path, methods in expected.items():
        assert set(node_spec[path]) == methods, path
        for method in methods:
            assert node_spec[path][method]["summary"], (path, method)
    body = node_spec["/v1/incidents"]["post"]["requestBody"]["content"]["application/json"]
    assert {"other_party", "units", "to"} <= set(body["schema"]["properties"])
    answer = node_spec["/v1/unusual/{case_id}/reply"]["post"]["requestBody"]["content"]
    assert "request" not in answer["application/json"]["schema"]["properties"]
