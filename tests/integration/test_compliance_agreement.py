"""The hub's compliance findings and a node's own agree on the same data (DESIGN.md §7).

A participant's node computes findings from its own verified copy; the hub computes them over
the entries that participant may read. On the same log both must say the same, finding for
finding — including late acknowledgements, judged by finality time, not claimed time.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from gulfsec.adapters.clock import ManualClock
from gulfsec.adapters.storage.engine import create_db_engine
from gulfsec.adapters.storage.migrate import migrate
from gulfsec.domain.compliance import to_json
from gulfsec.domain.keys import SigningKey
from gulfsec.services.hub import Hub
from gulfsec.services.hub.records import HubRecords
from gulfsec.services.node import Node
from gulfsec.services.node.records import NodeRecords
from gulfsec.services.node.views import InboxFilter, inbox
from gulfsec.services.participant import registration_request
from gulfsec.services.shared.records import Compliance

EXCHANGE = {
    "year": 2027,
    "command_organisation": [{"ref": "GS", "name": "General Staff"}],
    "units": [],
}


def _node(hub: Hub, party: str, key: SigningKey, clock: ManualClock, url: str,
          as_party: Any) -> Node:
    engine = create_db_engine(url)
    migrate(engine, "node")
    node = Node(hub.regime, engine, party, key, as_party(party, key), hub.log_key.verifier,
                clock)
    node.load()
    return node


def _settle(nodes: list[Node], rounds: int = 4) -> None:
    for _ in range(rounds):
        for node in nodes:
            node.sync_once()


def test_hub_and_node_compute_the_same_findings_for_a_participant(
        hub: Hub, as_party: Any, party_keys: dict[str, SigningKey], clock: ManualClock,
        tmp_path: Any, database_url: str) -> None:
    nodes = {p: _node(hub, p, party_keys[p], clock, f"sqlite:///{tmp_path}/{p}.db", as_party)
             for p in ("IRN", "RUS", "QAT", "SAU")}
    _settle(list(nodes.values()))
    nodes["IRN"].send("message@1", ("RUS",), {"subject": "naval exercise", "text": "notice"})
    nodes["RUS"].send("message@1", "all", {"subject": "concept", "text": "P5+1 and Iran"})
    _settle([nodes[p] for p in ("IRN", "RUS", "SAU")])
    # QAT stays away for two days: its acknowledgements of RUS's entry come late.
    clock.advance(timedelta(days=2))
    _settle(list(nodes.values()))
    for party in ("IRN", "RUS", "QAT"):
        node_view = Compliance(hub.regime, NodeRecords(nodes[party])).findings(clock.now())
        hub_view = Compliance(hub.regime, HubRecords(hub, party)).findings(clock.now())
        assert json.loads(to_json(node_view)) == json.loads(to_json(hub_view)), party
        assert node_view, "the scenario yields findings"
    findings = Compliance(hub.regime, HubRecords(hub, "RUS")).findings(clock.now(),
                                                                       party="QAT")
    late = [f for f in findings if f.rule == "acknowledgement" and f.status == "late"]
    assert late, [(f.rule, f.status, f.party) for f in findings]


def test_the_compliance_api_answers_what_the_callers_node_computes(
        hub: Hub, as_party: Any, party_keys: dict[str, SigningKey], clock: ManualClock,
        tmp_path: Any, api: Any) -> None:
    nodes = {p: _node(hub, p, party_keys[p], clock, f"sqlite:///{tmp_path}/{p}.db", as_party)
             for p in ("IRN", "RUS", "SAU")}
    _settle(list(nodes.values()))
    nodes["IRN"].send("annual-exchange@1", "all", EXCHANGE)
    _settle(list(nodes.values()))
    node_view = Compliance(hub.regime, NodeRecords(nodes["SAU"])).findings(clock.now())
    served = as_party("SAU").compliance(fmt="json")
    assert json.loads(served) == json.loads(to_json(node_view))
    table = as_party("SAU").compliance(fmt="table", party="IRN")
    assert "IRN" in table
    csv_text = as_party("SAU").compliance(fmt="csv")
    assert csv_text.splitlines()[0].startswith("party")


def test_who_owes_an_acknowledgement_is_the_same_for_the_node_its_inbox_and_compliance(
        hub: Hub, as_party: Any, party_keys: dict[str, SigningKey], clock: ManualClock,
        tmp_path: Any, database_url: str) -> None:
    """An entry to all, with an organisation (UNSC) holding a key: organisations owe no
    acknowledgement, so neither the sender's node, nor its inbox, nor compliance expects one;
    a state with a key but no node (USA) owes one in all three."""
    unsc = SigningKey.generate("UNSC")
    hub.submit(registration_request(unsc, "UNSC", clock.now())
               .countersigned(party_keys["SEC"]).raw)
    nodes = {p: _node(hub, p, party_keys[p], clock, f"sqlite:///{tmp_path}/{p}.db", as_party)
             for p in ("IRN", "RUS", "QAT", "SAU")}
    nodes["UNSC"] = _node(hub, "UNSC", unsc, clock, f"sqlite:///{tmp_path}/UNSC.db", as_party)
    _settle(list(nodes.values()))
    sent = nodes["IRN"].send("message@1", "all", {"subject": "concept", "text": "to all"})
    _settle(list(nodes.values()), rounds=6)
    irn = nodes["IRN"]

    owed_by_node = {u.party for u in irn.unacknowledged() if u.entry_id == sent.id_hex}
    row = next(r for r in inbox(irn, InboxFilter()).rows if r.entry_id == sent.id_hex)
    findings = Compliance(hub.regime, NodeRecords(irn)).findings(clock.now())
    owed_by_rule = {f.party for f in findings
                    if f.rule == "acknowledgement" and sent.id_hex in f.evidence
                    and f.status != "met"}
    assert owed_by_node == set(row.awaiting) == owed_by_rule == {"USA"}
    everyone = {f.party for f in findings
                if f.rule == "acknowledgement" and sent.id_hex in f.evidence}
    assert everyone == {"RUS", "QAT", "SAU", "USA"}
    assert "UNSC" not in everyone
    with nodes["UNSC"].uow() as uow:  # the organisation's node acknowledged nothing
        held = list(uow.repo.iter_entries())
    assert sent.id in {item.entry_id for item in held}
    assert not [item for item in held
                if item.sender == "UNSC" and item.form == "acknowledgement@1"]
