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
import sqlalchemy as sa
from support.lying_hub import Asked, Served
from support.processes import NodeProcess, ProcessNetwork, wait_until

from gulfsec.adapters.hubclient import HubClient
from gulfsec.domain.encoding import b64decode, b64encode, canonical, format_time
from gulfsec.domain.entry import Entry, Signature, SignedEntry, parse_signed_entry
from gulfsec.domain.keys import SigningKey
from gulfsec.errors import RemoteError
from gulfsec.ledger import tiles
from gulfsec.ledger.note import Checkpoint, sign_checkpoint
from gulfsec.ledger.tree import MerkleTree
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


# -- what the hub serves -----------------------------------------------------------------------


def _log_ids(net: ProcessNetwork) -> list[bytes]:
    engine = net.hub.engine()
    try:
        with engine.connect() as conn:
            return [bytes(r[0]) for r in conn.execute(
                sa.text("SELECT entry_id FROM entries ORDER BY idx"))]
    finally:
        engine.dispose()


def _impostor(net: ProcessNetwork, sender: str, to: str) -> SignedEntry:
    """An entry that claims ``sender``'s registered key but is signed by another one."""
    real = net.nodes[sender].key()
    entry = Entry(form="message@1", sender=sender, key=real.key_id_hex, seq=99,
                  time=datetime.now(UTC).replace(microsecond=0), audience=(to,),
                  body={"subject": "ultimatum", "text": "never sent by this party"})
    impostor = SigningKey.generate(sender)
    return SignedEntry(entry, (Signature(entry.key, impostor.sign(entry.signing_bytes())),))


def test_a_forged_entry_in_the_hubs_tree_is_proven_and_never_cosigned(
        net: ProcessNetwork, tmp_path: Path) -> None:
    """The operator shows RUS a tree holding an entry in SAU's name that SAU never signed.
    RUS's node finds it where the tree says, finds its signature false, proves it, and
    cosigns no tree that holds it."""
    forgery = _impostor(net, "SAU", "RUS")
    ids = [*_log_ids(net), forgery.id]
    tree = MerkleTree()
    tree.extend(ids)
    size, index = tree.size, tree.size - 1
    front = net.fronts["RUS"]
    note = sign_checkpoint(Checkpoint(front.log_key.name, size, tree.root()), front.log_key,
                           timestamp=int(datetime.now(UTC).timestamp()))
    tile_index = index // tiles.TILE_WIDTH
    width = tiles.tile_width(0, tile_index, size)
    bundle_path = "/log/" + tiles.entries_path(tile_index, width)
    bundle = tiles.entry_bundle(ids[tile_index * tiles.TILE_WIDTH:size])

    def fork(asked: Asked, real: httpx.Response | None) -> Served | None:
        if asked.path == "/v1/checkpoint":
            return Served(200, note.encode(), "text/plain; charset=utf-8")
        if asked.path == bundle_path:
            return Served(200, bundle, "application/octet-stream")
        if asked.path == "/v1/entries" and real is not None:
            page = json.loads(real.content)
            if int(asked.query.get("after", "-1")) < index:
                page["entries"].append({"index": index, "entry_id": forgery.id_hex,
                                        "raw": b64encode(forgery.raw),
                                        "checkpoint_size": size})
                page["checkpoints"][str(size)] = note
            return Served(200, json.dumps(page).encode())
        return None

    front.lie("GET", "/", fork)
    rus = net.nodes["RUS"]
    found = wait_until(lambda: [a for a in alarms(rus) if a["kind"] == "forged_entry"], 30,
                       "RUS's node to prove the forgery")
    line = evidence_line(net, rus, found[0]["id"], tmp_path)
    assert line.startswith("proven: the hub's signed tree of"), line
    assert "does not verify under SAU's keys" in line
    with HubClient(net.hub.url) as client:  # RUS never cosigned a tree with the forgery
        cosigned = client.cosignatures(since=0)
    assert not [c for c in cosigned if c["party"] == "RUS" and c["size"] >= size]


def test_content_the_hub_tampered_with_is_proven_with_its_own_signed_answer(
        net: ProcessNetwork, tmp_path: Path) -> None:
    """The operator changes the text of an entry it serves RUS; RUS's node keeps the hub's
    signed page as evidence that the hub served content that is not the entry's."""

    def tampered(asked: Asked, real: httpx.Response | None) -> Served | None:
        if asked.path != "/v1/entries" or real is None:
            return None
        page = json.loads(real.content)
        for item in page["entries"]:
            signed = json.loads(b64decode(item["raw"]))
            if signed["entry"]["form"] == "message@1":
                signed["entry"]["body"]["text"] = "no exercise is planned"
                item["raw"] = b64encode(canonical(signed))
        return Served(200, json.dumps(page).encode())

    net.fronts["RUS"].lie("GET", "/v1/entries", tampered)
    send(net.nodes["IRN"], tmp_path, "Joint naval exercise")
    rus = net.nodes["RUS"]
    found = wait_until(lambda: [a for a in alarms(rus) if a["kind"] == "bad_entry"], 30,
                       "RUS's node to refuse the tampered entry")
    line = evidence_line(net, rus, found[0]["id"], tmp_path)
    assert line.startswith("proven: the hub served to RUS"), line
    assert "content whose id is" in line


def test_the_hubs_unsigned_times_decide_nothing(net: ProcessNetwork, tmp_path: Path) -> None:
    """The operator back-dates the (unsigned) sequencing time it serves with each entry; the
    node keeps the time of the signed checkpoint that first covered it instead."""

    def backdated(asked: Asked, real: httpx.Response | None) -> Served | None:
        if asked.path != "/v1/entries" or real is None:
            return None
        page = json.loads(real.content)
        for item in page["entries"]:
            item["sequenced_at"] = "1999-01-01T00:00:00Z"
        return Served(200, json.dumps(page).encode())

    net.fronts["RUS"].lie("GET", "/v1/entries", backdated)
    entry_id = send(net.nodes["IRN"], tmp_path, "Timing")
    rus = net.nodes["RUS"]
    wait_until(lambda: any(e["entry_id"] == entry_id for e in rus.entries()), 30,
               "RUS's node to hold the entry")
    engine = rus.engine()
    try:
        with engine.connect() as conn:
            (seq_at,) = conn.execute(sa.text(
                "SELECT sequenced_at FROM node_entries WHERE entry_id = :id"),
                {"id": bytes.fromhex(entry_id)}).one()
    finally:
        engine.dispose()
    engine = net.hub.engine()
    try:
        with engine.connect() as conn:
            (hub_at,) = conn.execute(sa.text(
                "SELECT sequenced_at FROM entries WHERE entry_id = :id"),
                {"id": bytes.fromhex(entry_id)}).one()
    finally:
        engine.dispose()
    assert seq_at == hub_at  # the signed time of its checkpoint, to the second
    assert seq_at > 1_700_000_000 * 1_000_000


def test_cosignatures_the_witnesses_did_not_make_are_proven_and_not_counted(
        net: ProcessNetwork, tmp_path: Path) -> None:
    """The operator serves RUS two cosignatures SAU never made: IRN's, relabelled as SAU's, and
    SAU's with its signature altered. RUS's node counts neither towards finality and proves
    both with the hub's signed list, the tree's root and SAU's keys from the log."""

    lies: list[str] = []
    irn: dict[int, dict[str, Any]] = {}  # IRN's cosignatures seen so far, by size
    served: set[int] = set()  # the sizes of SAU's cosignatures served so far

    def relabelled(asked: Asked, real: httpx.Response | None) -> Served | None:
        if real is None:
            return None
        page = json.loads(real.content)
        items = page["cosignatures"]
        irn.update({c["size"]: c for c in items if c["party"] == "IRN"})
        for item in items:
            if (item["party"] != "SAU" or len(lies) >= 2 or item["size"] in served
                    or item["size"] <= before):
                continue  # a cosignature served before stays as the node stored it
            served.add(item["size"])
            if not lies:
                name, _, blob = item["line"].rstrip("\n").rpartition(" ")
                raw = bytearray(b64decode(blob))
                raw[-1] ^= 1
                item["line"] = f"{name} {b64encode(bytes(raw))}"
                lies.append("altered")
            elif irn:  # IRN's cosignature (of any size: its name gives it away)
                item["line"] = irn[max(irn)]["line"]
                lies.append("relabelled")
        return Served(200, json.dumps(page).encode())

    before = net.hub.size()  # trees the nodes may have cosigned already
    net.fronts["RUS"].lie("GET", "/v1/cosignatures", relabelled)
    rus = net.nodes["RUS"]
    for n in range(3):  # cosignatures on a few sizes
        send(net.nodes["IRN"], tmp_path, f"Cosigned {n}")
    found = wait_until(
        lambda: (lambda bad: bad if len(bad) >= 2 else None)(
            [a for a in alarms(rus) if a["kind"] == "bad_cosignature"]),
        45, "RUS's node to refuse both cosignatures",
        lambda: f"lies told: {lies}; alarms: {[a['message'] for a in alarms(rus)]}")
    lines = sorted(evidence_line(net, rus, a["id"], tmp_path) for a in found[:2])
    assert all(line.startswith("proven: the hub served, signed at") for line in lines), lines
    assert any(line.endswith("a signature by IRN") for line in lines), lines
    assert any(line.endswith("a signature no key SAU has held made") for line in lines), lines
