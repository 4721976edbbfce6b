"""A dishonest hub in front of real node processes (``gulfsec node serve``), and what the nodes
catch, with evidence anyone can check with the log key alone (``gulfsec verify-evidence``).

Each node reaches the hub through a front of its own that the test makes lie
(:class:`support.lying_hub.LyingHub`); whatever the front serves it signs with the log key,
as the operator can. Personas: IRN sends; RUS and SAU are the other witnesses.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.lying_hub import Asked, Served
from support.processes import NodeProcess, ProcessNetwork, wait_until

from gulfsec.adapters.hubclient import HubClient
from gulfsec.domain.encoding import format_time
from gulfsec.domain.entry import parse_signed_entry
from gulfsec.domain.keys import SigningKey
from gulfsec.errors import RemoteError
from gulfsec.services.participant import registration_request, submit_draft

pytestmark = pytest.mark.slow

PARTIES = ("IRN", "RUS", "SAU")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def net(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ProcessNetwork]:
    with ProcessNetwork(tmp_path, request.param, PARTIES, fronts=True) as network:
        network.settle()
        yield network


def alarms(node: NodeProcess) -> list[dict[str, Any]]:
    return list(node.get("/v1/alarms")["alarms"])


def send(node: NodeProcess, tmp_path: Path, subject: str) -> str:
    """``gulfsec node send`` a message to RUS; the id of the entry signed."""
    draft = tmp_path / f"{subject}.json"
    draft.write_text(json.dumps({"form": "message@1", "audience": ["RUS"],
                                 "body": {"subject": subject, "text": "Dates attached."}}))
    out = node.cli("node", "send", str(draft)).stdout
    return out.split("signed entry ", 1)[1].split(" ", 1)[0]


def receipt_for(index: int, size: int) -> Any:
    """A lie answering a submission of a message with a receipt for ``index`` (in a tree of
    ``size``), without the hub ever sequencing it; other entries go through."""

    def lie(asked: Asked, _real: httpx.Response | None) -> Served | None:
        entry = parse_signed_entry(asked.body, max_bytes=1 << 20)
        if entry.entry.form != "message@1":
            return None
        promise = format_time(datetime.now(UTC) + timedelta(seconds=60))
        return Served(201, json.dumps({
            "entry_id": entry.id_hex, "index": index, "checkpoint_size": size,
            "promised_by": promise, "duplicate": False}).encode())

    return lie


def evidence_line(net: ProcessNetwork, node: NodeProcess, alarm_id: int,
                  tmp_path: Path) -> str:
    out = tmp_path / f"alarm-{alarm_id}.json"
    node.cli("node", "evidence", str(alarm_id), "--out", str(out))
    done = node.cli("verify-evidence", str(out), "--log-key", str(net.hub.log_vkey_path))
    return str(done.stdout).strip()


def test_a_receipt_far_beyond_the_log_is_refused_and_proven(
        net: ProcessNetwork, tmp_path: Path) -> None:
    irn = net.nodes["IRN"]
    size = net.hub.size()
    net.fronts["IRN"].lie("POST", "/v1/entries", receipt_for(1_000_035, 1_000_036),
                          forward=False)
    entry_id = send(irn, tmp_path, "Joint naval exercise")

    found = wait_until(lambda: [a for a in alarms(irn) if a["kind"] == "bad_receipt"], 30,
                       "IRN's node to refuse the receipt")
    assert entry_id in found[0]["message"] and "1000035" in found[0]["message"]
    assert irn.status()["outbox_pending"] == 1  # not marked sent: it is still owed
    assert net.hub.size() == size  # the hub never logged it
    verify = irn.cli("verify", check=False)
    assert verify.exit_code != 0

    line = evidence_line(net, irn, found[0]["id"], tmp_path)
    assert line.startswith("proven: the hub signed a receipt"), line
    assert "1000035" in line

    tampered = json.loads((tmp_path / f"alarm-{found[0]['id']}.json").read_text())
    tampered["evidence"]["receipt"]["body"] = tampered["evidence"]["checkpoint_answer"]["body"]
    (tmp_path / "tampered.json").write_text(json.dumps(tampered))
    refused = irn.cli("verify-evidence", str(tmp_path / "tampered.json"), "--log-key",
                      str(net.hub.log_vkey_path), check=False)
    assert refused.exit_code == 1 and "not signed" in refused.output


def test_a_receipt_for_an_index_holding_another_entry_is_caught_and_proven(
        net: ProcessNetwork, tmp_path: Path) -> None:
    irn = net.nodes["IRN"]
    net.fronts["IRN"].lie("POST", "/v1/entries", receipt_for(1, net.hub.size()),
                          forward=False)  # index 1: IRN's own key registration
    entry_id = send(irn, tmp_path, "Dropped on the floor")

    found = wait_until(lambda: [a for a in alarms(irn) if a["kind"] == "dropped_entry"], 30,
                       "IRN's node to see its entry is not where the receipt says")
    assert entry_id in found[0]["message"]
    line = evidence_line(net, irn, found[0]["id"], tmp_path)
    assert line.startswith("proven: the hub's signed receipt puts entry"), line
    assert "holds another entry there" in line


# -- keys in a party's name --------------------------------------------------------------------


def test_a_key_registered_in_a_partys_name_before_it_sets_up_is_impersonation(
        net: ProcessNetwork, tmp_path: Path) -> None:
    """QAT asks to join; the secretariat, dishonest, admits a key of its own making instead.
    QAT's node cannot read a thing (its key is not the party's in the log), yet it sees from
    the hub's signed list of keys that a key holds its name, and proves it."""
    qat = NodeProcess("QAT", tmp_path / "node-QAT", net.databases.new("node-QAT"))
    try:
        qat.cli("node", "init", "--party", "QAT", "--hub", net.hub.url, "--log-key",
                str(net.hub.log_vkey_path))
        forged = SigningKey.generate("QAT")
        with HubClient(net.hub.url) as client:
            client.submit(registration_request(forged, "QAT", datetime.now(UTC))
                          .countersigned(net.hub.secretariat_key()).raw)
        pending = net.hub_cli("hub", "pending", "--hub", net.hub.url)
        assert "QAT" in pending and f"already holds key {forged.key_id_hex}" in pending
        qat.start()
        found = wait_until(lambda: [a for a in alarms(qat) if a["kind"] == "impersonation"],
                           30, "QAT's node to see a key in its name")
        assert forged.key_id_hex in found[0]["message"]
        line = evidence_line(net, qat, found[0]["id"], tmp_path)
        assert line.startswith("proven: the hub listed, signed, at "), line
        assert f"key {forged.key_id_hex} as QAT's active key" in line
    finally:
        qat.close()


def test_a_party_whose_key_the_secretariat_revoked_still_reads_what_concerns_it(
        net: ProcessNetwork, tmp_path: Path) -> None:
    """The secretariat revokes RUS's key. RUS's node, with the revoked key, can still read
    what concerns it — the revocation, and what was signed in its name — and proves that the
    revocation was not its own; it reads nothing else."""
    rus = net.nodes["RUS"]
    rus_key = rus.key()
    draft = tmp_path / "to-irn.json"
    draft.write_text(json.dumps({"form": "message@1", "audience": ["IRN"],
                                 "body": {"subject": "Before the revocation", "text": "t"}}))
    rus.cli("node", "send", str(draft))
    net.settle()
    sec = net.hub.secretariat_key()
    with HubClient(net.hub.url, party="SEC", key=sec) as client:
        submit_draft(client, sec, "SEC", {
            "form": "key-revocation@1", "audience": "all", "refs": [],
            "body": {"party": "RUS", "key": rus_key.key_id_hex, "reason": "lost"}},
            datetime.now(UTC))
    found = wait_until(lambda: [a for a in alarms(rus) if a["kind"] == "impersonation"], 30,
                       "RUS's node to see its key revoked by someone else")
    assert "revocation of RUS's key" in found[0]["message"]
    line = evidence_line(net, rus, found[0]["id"], tmp_path)
    assert "a revocation of RUS's key signed by SEC's key" in line, line
    with HubClient(net.hub.url, party="RUS", key=rus_key) as client:
        assert client.party_status()["key_active"] is False
        readable = client.entries(limit=1000)["entries"]
        assert readable and all(e["entry"]["entry"]["sender"] == "RUS"
                                or e["entry"]["entry"]["form"].startswith("key-")
                                for e in readable)
        with pytest.raises(RemoteError) as refused:
            client.compliance()
        assert refused.value.status == 403
