"""Deciding together over HTTP, on SQLite and on PostgreSQL: the node's routes that act and read,
the hub's signed and public routes, and that both give the same answers.

Personas: the nodes of IRN, RUS and SAU (the three witnesses the quorum needs) act through
their own API, with the node's API token; QAT and USA have keys but no node, and sign their
entries straight to the hub. A draft to ``all`` is decided by the five of them (the parties
with the ``decide`` right that have joined the log). IRN is the outsider of a draft to the
``p5`` format. The clock is the test's: the nodes settle (every entry final) before it moves
past a draft's closing. The tests of the API's surface run on IRN's node alone.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from support.inprocess import (
    BASE_URL,
    NodeNet,
    TestClient,
    add_user,
    csrf_of,
    node_browser,
)

from gulfsec.adapters.clock import ManualClock
from gulfsec.adapters.hubclient import HubClient
from gulfsec.bootstrap import build_node_app
from gulfsec.domain.encoding import format_time
from gulfsec.domain.entry import ALL, Audience
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.procedures.decisions import draft_audience
from gulfsec.domain.regime import Regime
from gulfsec.services.participant import submit_draft

HOUR = timedelta(hours=1)
NODES = ("IRN", "RUS", "SAU")
WITHOUT_NODE = ("QAT", "USA")

Signed = Callable[..., httpx.Response]


# -- helpers -----------------------------------------------------------------------------------


def node_api(net: NodeNet, party: str) -> TestClient:
    """A client on the party's node API, presenting its API token."""
    node = net.nodes[party]
    token = f"token-of-{party}"
    with node.uow() as uow:
        uow.repo.set_meta("api_token_sha256", hashlib.sha256(token.encode()).hexdigest())
        uow.commit()
    return TestClient(build_node_app(node, run_sync=False), base_url=BASE_URL,
                      headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def net(make_net: Callable[..., NodeNet]) -> NodeNet:
    """The nodes of IRN, RUS and SAU, settled."""
    network = make_net(NODES)
    network.settle()
    return network


@pytest.fixture
def apis(net: NodeNet) -> dict[str, TestClient]:
    return {party: node_api(net, party) for party in net.nodes}


@pytest.fixture
def lone(make_net: Callable[..., NodeNet]) -> NodeNet:
    """IRN's node alone: it syncs, but nothing it holds becomes final."""
    network = make_net(["IRN"])
    network.nodes["IRN"].sync_once()
    return network


def draft(clock: ManualClock, title: str, *, fmt: str = "all", procedure: str = "consensus",
          closes_in: timedelta = HOUR, kind: str = "text",
          content: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": kind, "title": title, "text": f"The parties agree: {title}.",
                            "format": fmt, "procedure": procedure,
                            "closes_at": format_time(clock.now() + closes_in)}
    if content is not None:
        body["content"] = content
    return body


def sent(response: httpx.Response) -> str:
    """The id of the entry a node signed and the hub sequenced (201)."""
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["sequenced"] is True and answer["waiting"] is None
    return str(answer["entry_id"])


def propose(api: TestClient, body: dict[str, Any]) -> str:
    return sent(api.post("/v1/decisions", json=body))


def position(api: TestClient, draft_id: str, stance: str, **extra: str) -> str:
    return sent(api.post(f"/v1/decisions/{draft_id}/position",
                         json={"position": stance, **extra}))


def refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    answer = dict(response.json())
    assert answer["error"] == code, answer
    return answer


def sign_straight_to_hub(as_party: Callable[..., HubClient], party: str, form: str,
                         audience: Audience, body: dict[str, Any], refs: list[str],
                         clock: ManualClock) -> dict[str, Any]:
    """A party without a node signs an entry and submits it to the hub itself."""
    client = as_party(party)
    key: SigningKey = client.key  # type: ignore[assignment]
    draft_obj = {"form": form, "audience": audience if audience == ALL else list(audience),
                 "body": body, "refs": refs}
    _, receipt = submit_draft(client, key, party, draft_obj, clock.now())
    return receipt


def position_without_node(as_party: Callable[..., HubClient], party: str, draft_id: str,
                          clock: ManualClock, **body: str) -> str:
    """QAT's or USA's position on a draft to ``all``, signed straight to the hub."""
    receipt = sign_straight_to_hub(as_party, party, "position@1", ALL,
                                   {"draft": draft_id, "position": "join", **body}, [draft_id],
                                   clock)
    return str(receipt["entry_id"])


def closed(net: NodeNet, clock: ManualClock, delta: timedelta = 2 * HOUR) -> None:
    """Every entry final, then the clock past closing, then every node up to date."""
    net.settle()
    clock.advance(delta)
    net.settle()


# -- deciding ----------------------------------------------------------------------------------


def test_a_draft_every_member_joins_is_adopted_the_chair_says_so_and_hub_and_node_agree(
        net: NodeNet, apis: dict[str, TestClient], as_party: Callable[..., HubClient],
        signed_get: Signed, api: TestClient, clock: ManualClock) -> None:
    draft_id = propose(apis["IRN"], draft(clock, "Hotline terms"))
    net.settle()
    position(apis["IRN"], draft_id, "join")
    position(apis["RUS"], draft_id, "join")
    position(apis["SAU"], draft_id, "stand-aside", statement="Without prejudice to our view.")
    for party in WITHOUT_NODE:
        position_without_node(as_party, party, draft_id, clock)
    net.settle()
    assert apis["SAU"].get(f"/v1/decisions/{draft_id}").json()["status"] == "open"
    closed(net, clock)

    seen = apis["SAU"].get(f"/v1/decisions/{draft_id}").json()
    assert seen["status"] == "adopted", seen["why"]
    assert seen["positions"] == {"IRN": "join", "QAT": "join", "RUS": "join",
                                 "SAU": "stand-aside", "USA": "join"}
    assert seen["proposer"] == "IRN" and seen["chair_outcome"] is None
    assert signed_get("SEC", f"/v1/decisions/{draft_id}").json()["status"] == "adopted"

    sign_straight_to_hub(as_party, "SEC", "decision-outcome@1", ALL,
                         {"draft": draft_id, "outcome": "adopted"}, [draft_id], clock)
    net.settle()
    for party, client in apis.items():
        listed = client.get("/v1/decisions").json()
        assert listed["total"] == 1
        mine = listed["decisions"][0]
        assert mine["id"] == draft_id and mine["status"] == "adopted", party
        assert mine["chair_outcome"]["outcome"] == "adopted"
        assert mine["contradiction"] is None
        assert signed_get(party, "/v1/decisions").json() == listed, party
    public = api.get("/v1/public/decisions").json()
    assert [d["id"] for d in public["decisions"]] == [draft_id]
    assert apis["RUS"].get("/v1/decisions", params={"status": "open"}).json() == {
        "total": 0, "decisions": []}


def test_silence_broken_a_withdrawal_an_outsider_and_a_late_position(
        net: NodeNet, apis: dict[str, TestClient], as_party: Callable[..., HubClient],
        signed_get: Signed, api: TestClient, clock: ManualClock, writers: Any,
        regime: Regime) -> None:
    """Three drafts at once: SAU's objection breaks silence on one; IRN withdraws another,
    which SAU may amend but not withdraw; IRN is no member of the third, to p5. After closing,
    a position is refused and nothing is signed."""
    broken = propose(apis["RUS"], draft(clock, "Incidents at sea", procedure="silence"))
    withdrawn = propose(apis["IRN"], draft(clock, "Observers", procedure="silence"))
    to_p5 = propose(apis["RUS"], draft(clock, "P5 statement", fmt="p5"))
    net.settle()
    bare = apis["SAU"].post(f"/v1/decisions/{broken}/position", json={"position": "object"})
    fields = refused(bare, 422, "invalid_form_body")["fields"]
    assert [f["field"] for f in fields] == ["reason"]
    position(apis["IRN"], broken, "join")
    objection = position(apis["SAU"], broken, "object", reason="The zone is not defined.")
    position_without_node(as_party, "QAT", broken, clock)

    amended = sent(apis["SAU"].post(f"/v1/decisions/{withdrawn}/amendment",
                                    json={"text": "Observers from every party.",
                                          "reason": "Inclusive."}))
    stranger = apis["SAU"].post(f"/v1/decisions/{withdrawn}/withdrawal", json={})
    assert "only its proposer" in refused(stranger, 422, "procedure")["message"]
    sent(apis["IRN"].post(f"/v1/decisions/{withdrawn}/withdrawal", json={"reason": "Redraft."}))

    assert apis["RUS"].get(f"/v1/decisions/{to_p5}").json()["members"] == ["RUS", "USA"]
    # IRN is no member of p5: its node does not even hold the draft…
    refused(apis["IRN"].get(f"/v1/decisions/{to_p5}"), 404, "not_found")
    refused(apis["IRN"].post(f"/v1/decisions/{to_p5}/position", json={"position": "join"}),
            404, "not_found")
    # …and a position it signs itself and takes straight to the hub is refused there.
    irn = writers["IRN"]
    irn.seq = as_party("IRN").party_status()["next_seq"]
    outsider = irn.entry("position@1", audience=draft_audience(regime, "p5"),
                         body={"draft": to_p5, "position": "join"}, refs=[to_p5])
    answer = api.post("/v1/entries", content=outsider.raw,
                      headers={"Content-Type": "application/json"})
    assert "not a member of p5" in refused(answer, 422, "procedure")["message"]
    closed(net, clock)

    for party in NODES:
        seen = apis[party].get(f"/v1/decisions/{broken}").json()
        assert seen["status"] == "not-adopted", seen["why"]
        assert seen["breaking"] == [objection]
        assert "silence broken: SAU objected" in seen["why"]
    assert signed_get("USA", f"/v1/decisions/{broken}").json()["status"] == "not-adopted"
    seen = apis["RUS"].get(f"/v1/decisions/{withdrawn}").json()
    assert seen["status"] == "withdrawn", seen["why"]
    assert [s["position"] for s in seen["steps"]] == ["amend", "withdraw"]
    assert seen["steps"][0]["entry_id"] == amended

    late = apis["RUS"].post(f"/v1/decisions/{to_p5}/position", json={"position": "join"})
    assert "closed at" in refused(late, 422, "procedure")["message"]
    assert net.nodes["RUS"].status()["outbox_pending"] == 0
    seen = apis["RUS"].get(f"/v1/decisions/{to_p5}").json()
    assert (seen["status"], seen["positions"]) == ("not-adopted", {"RUS": None, "USA": None})
    net.settle()  # nothing waits in RUS's outbox: what it signs next goes through


# -- the Concept and the designation list ------------------------------------------------------


def concept_of(*sections: tuple[str, str, str]) -> dict[str, Any]:
    return {"sections": [{"number": n, "title": t, "text": x} for n, t, x in sections]}


def designation_of(name: str, *aliases: tuple[str, str]) -> dict[str, Any]:
    return {"name": name, "aliases": [{"name": a, "script": s} for a, s in aliases],
            "entity_type": "organisation", "grounds": f"{name} attacked shipping, again.",
            "references": ["UNSCR 2216 (2015)", "Report S/2024/1"]}


def test_the_concept_and_the_designation_list_follow_the_adopted_decisions(
        net: NodeNet, apis: dict[str, TestClient], as_party: Callable[..., HubClient],
        signed_get: Signed, api: TestClient, clock: ManualClock) -> None:
    v1 = concept_of(("1", "Principles", "Sovereignty.\nNon-interference."),
                    ("2", "Measures", "Notification."))
    v2 = concept_of(("1", "Principles", "Sovereignty.\nNon-interference.\nDialogue."),
                    ("3", "Review", "Every five years."))
    propose(apis["IRN"], draft(clock, "Concept 1", procedure="silence", kind="concept",
                               content=v1))
    propose(apis["RUS"], draft(clock, "Concept 2", procedure="silence", kind="concept",
                               content=v2, closes_in=2 * HOUR))
    listed = propose(apis["SAU"], draft(clock, "Designate Alpha", kind="designation",
                                        content=designation_of("Alpha Brigade",
                                                               ("ألفا", "Arab"))))
    kept = propose(apis["RUS"], draft(clock, "Designate Beta, Inc.", kind="designation",
                                      content=designation_of('Beta, "the Fist"')))
    net.settle()
    delisting = propose(apis["IRN"], draft(
        clock, "Delist Alpha", kind="delisting", closes_in=2 * HOUR,
        content={"designation": listed, "grounds": "Disbanded."}))
    net.settle()
    for draft_id in (listed, kept, delisting):
        for client in apis.values():
            position(client, draft_id, "join")
        for party in WITHOUT_NODE:
            position_without_node(as_party, party, draft_id, clock)
    closed(net, clock, 3 * HOUR)

    node = apis["SAU"]
    current = node.get("/v1/concept").json()
    assert current["version"] == 2 and current["proposer"] == "RUS"
    assert [s["number"] for s in current["sections"]] == ["1", "3"]
    assert node.get("/v1/concept", params={"version": 1}).json()["title"] == "Concept 1"
    diff = node.get("/v1/concept/diff", params={"a": 1, "b": 2}).json()
    assert (diff["from"]["version"], diff["to"]["version"]) == (1, 2)
    assert [(s["number"], s["change"]) for s in diff["sections"]] == [
        ("1", "changed"), ("2", "removed"), ("3", "added")]
    assert "+Dialogue." in diff["sections"][0]["diff"]
    assert api.get("/v1/public/concept/diff", params={"a": 1, "b": 2}).json() == diff
    assert api.get("/v1/public/concept").json() == current
    assert signed_get("USA", "/v1/concept?version=1").json() == node.get(
        "/v1/concept", params={"version": 1}).json()

    designations = node.get("/v1/designations").json()
    assert [e["name"] for e in designations["current"]] == ['Beta, "the Fist"']
    assert [e["name"] for e in designations["entities"]] == ["Alpha Brigade", 'Beta, "the Fist"']
    assert [(h["action"], h["entity"]) for h in designations["history"]] == [
        ("designated", "Alpha Brigade"), ("designated", 'Beta, "the Fist"'),
        ("delisted", "Alpha Brigade")]
    assert api.get("/v1/public/designations").json() == designations
    assert signed_get("RUS", "/v1/designations").json() == designations

    answer = api.get("/v1/public/designations", params={"format": "csv"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert list(rows[0]) == ["designation", "name", "aliases", "entity_type", "grounds",
                             "references", "designated_at", "delisted_at"]
    alpha, beta = rows
    assert (alpha["designation"], alpha["name"], alpha["aliases"]) == (
        listed, "Alpha Brigade", "ألفا (Arab)")
    assert alpha["references"] == "UNSCR 2216 (2015); Report S/2024/1"
    assert alpha["delisted_at"] == designations["entities"][0]["delisted_at"] != ""
    assert (beta["designation"], beta["name"], beta["delisted_at"]) == (
        kept, 'Beta, "the Fist"', "")
    assert node.get("/v1/designations", params={"format": "csv"}).text == answer.text
    public = api.get("/v1/public/decisions").json()
    assert public["total"] == 5  # the two Concepts, the two designations, the delisting


# -- who may read and act ----------------------------------------------------------------------


def test_the_routes_need_the_token_a_signature_or_an_officer_but_the_public_ones_do_not(
        lone: NodeNet, api: TestClient, clock: ManualClock) -> None:
    draft_id = propose(node_api(lone, "IRN"), draft(clock, "Rules of procedure"))
    node = lone.nodes["IRN"]
    node.sync_once()
    stranger = node_browser(node)
    for path in ("/v1/decisions", f"/v1/decisions/{draft_id}", "/v1/concept",
                 "/v1/concept/diff?a=1&b=2", "/v1/designations"):
        assert stranger.get(path).status_code == 401, path
        assert api.get(path).status_code == 401, path
        wrong = stranger.get(path, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401, path
    refused(stranger.client.post("/v1/decisions", json=draft(clock, "Anything")), 401,
            "unauthenticated")
    assert stranger.client.post(f"/v1/decisions/{draft_id}/position",
                                json={"position": "join"}).status_code == 401
    assert api.get("/v1/public/decisions").status_code == 200
    assert api.get("/v1/public/designations").status_code == 200
    assert api.get("/v1/public/concept").status_code == 404  # none adopted yet, and no 5xx

    add_user(node.engine, "parvin", "viewer")
    add_user(node.engine, "leila", "officer")
    viewer = node_browser(node)
    assert viewer.sign_in("parvin").status_code == 303
    assert viewer.get("/v1/decisions").status_code == 200
    assert viewer.client.post(f"/v1/decisions/{draft_id}/position",
                              json={"position": "join"}).status_code == 403
    officer = node_browser(node)
    assert officer.sign_in("leila").status_code == 303
    no_csrf = officer.client.post(f"/v1/decisions/{draft_id}/position",
                                  json={"position": "join"})
    assert refused(no_csrf, 403, "forbidden")["message"].startswith("with a session")
    token = csrf_of(officer.get("/inbox").text)
    sent(officer.client.post(f"/v1/decisions/{draft_id}/position",
                             json={"position": "join"}, headers={"X-CSRF-Token": token}))


def test_every_route_is_documented_and_a_bad_id_or_query_is_a_4xx_never_a_5xx(
        lone: NodeNet, signed_get: Signed, api: TestClient, clock: ManualClock) -> None:
    node = node_api(lone, "IRN")
    hub_spec = api.get("/v1/openapi.json").json()["paths"]
    for path in ("/v1/decisions", "/v1/decisions/{draft_id}", "/v1/concept",
                 "/v1/concept/diff", "/v1/designations", "/v1/public/decisions",
                 "/v1/public/concept", "/v1/public/concept/diff", "/v1/public/designations"):
        assert set(hub_spec[path]) == {"get"}, path
        assert hub_spec[path]["get"]["summary"], path
    node_spec = node.get("/v1/openapi.json").json()["paths"]
    for path, methods in {"/v1/decisions": {"get", "post"},
                          "/v1/decisions/{draft_id}": {"get"},
                          "/v1/decisions/{draft_id}/position": {"post"},
                          "/v1/decisions/{draft_id}/amendment": {"post"},
                          "/v1/decisions/{draft_id}/withdrawal": {"post"},
                          "/v1/concept": {"get"}, "/v1/concept/diff": {"get"},
                          "/v1/designations": {"get"}}.items():
        assert set(node_spec[path]) == methods, path
        for method in methods:
            assert node_spec[path][method]["summary"], (path, method)
    body = node_spec["/v1/decisions/{draft_id}/position"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    assert set(schema["properties"]) == {"position", "reason", "statement"}

    for bad in ("ab" * 32, "not-an-id", "%00"):
        refused(node.get(f"/v1/decisions/{bad}"), 404, "not_found")
        if bad.isalnum() or "-" in bad:  # as signed, the target is the path as sent
            refused(signed_get("IRN", f"/v1/decisions/{bad}"), 404, "not_found")
        refused(node.post(f"/v1/decisions/{bad}/amendment", json={"text": "x"}), 404,
                "not_found")
    refused(node.get("/v1/concept"), 404, "not_found")
    refused(node.get("/v1/concept/diff", params={"a": 1, "b": 2}), 404, "not_found")
    refused(signed_get("IRN", "/v1/concept?version=3"), 404, "not_found")
    for query in ("version=0", "version=-1", "version=99999999999999999999", "version=x"):
        refused(node.get(f"/v1/concept?{query}"), 422, "invalid_request")
        refused(api.get(f"/v1/public/concept?{query}"), 422, "invalid_request")
    for query in ("limit=0", "limit=1001", "status=pending"):
        refused(node.get(f"/v1/decisions?{query}"), 422, "invalid_request")
    refused(api.get("/v1/public/designations?format=xml"), 422, "invalid_request")
    refused(node.get(f"/v1/decisions/{'a' * 129}"), 422, "invalid_request")

    bad_time = node.post("/v1/decisions", json={**draft(clock, "Soon"), "closes_at": "tomorrow"})
    assert [f["field"] for f in refused(bad_time, 422, "invalid_form_body")["fields"]] == [
        "closes_at"]
    past = node.post("/v1/decisions", json=draft(clock, "Past", closes_in=-HOUR))
    assert "not in the future" in refused(past, 422, "procedure")["message"]
    refused(node.post("/v1/decisions", json={**draft(clock, "Where"), "format": "nowhere"}),
            422, "audience")
    refused(node.post("/v1/decisions", content=b"{not json",
                      headers={"Content-Type": "application/json"}), 422, "malformed_entry")
    refused(node.post("/v1/decisions", json=["a list"]), 422, "malformed_entry")
    draft_id = propose(node, draft(clock, "Fine"))
    lone.nodes["IRN"].sync_once()
    smuggled = node.post(f"/v1/decisions/{draft_id}/position",
                         json={"position": "join", "draft": "ab" * 32})
    refused(smuggled, 422, "invalid_form_body")
    assert lone.nodes["IRN"].status()["outbox_pending"] == 0
