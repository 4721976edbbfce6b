"""What a dishonest hub can show one node but not its peers, caught by comparing views: a node
kept behind (``stale_view``), a witness shown a fork (``split_view``, proven, and no longer a
lever to halt the honest nodes), peers that cannot be reached (``peers_silent``). Real node
processes behind fronts the test makes lie (:class:`support.lying_hub.LyingHub`).

The regime here gives the hub 2 s before a node kept behind raises ``stale_view`` and peers 3 s
of silence: the packaged regime's minutes, shortened for a test.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from support.lying_hub import Asked, Served
from support.processes import NodeProcess, ProcessNetwork, wait_until

from gulfsec.domain.encoding import b64decode
from gulfsec.domain.request_auth import sign_request
from gulfsec.errors import NotProven
from gulfsec.ledger import tiles
from gulfsec.ledger.evidence import verify_evidence
from gulfsec.ledger.note import Checkpoint, sign_checkpoint
from gulfsec.ledger.tree import MerkleTree

pytestmark = pytest.mark.slow

PARTIES = ("IRN", "RUS", "QAT", "SAU")


@pytest.fixture(scope="module")
def quick_regime(tmp_path_factory: pytest.TempPathFactory) -> Path:
    text = files("gulfsec").joinpath("regimes/gulf.toml").read_text(encoding="utf-8")
    text = text.replace("stale_view_seconds = 120", "stale_view_seconds = 2")
    text = text.replace("peer_silence_seconds = 600", "peer_silence_seconds = 3")
    path = tmp_path_factory.mktemp("regime") / "quick.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def net(request: pytest.FixtureRequest, tmp_path: Path,
        quick_regime: Path) -> Iterator[ProcessNetwork]:
    peers = {p: [q for q in PARTIES if q != p] for p in PARTIES}
    with ProcessNetwork(tmp_path, request.param, PARTIES, fronts=True, peers=peers,
                        regime=quick_regime) as network:
        network.settle()
        yield network


def alarms(node: NodeProcess, kind: str) -> list[dict[str, Any]]:
    return [a for a in node.get("/v1/alarms")["alarms"] if a["kind"] == kind]


def send(node: NodeProcess, tmp_path: Path, subject: str) -> str:
    """``gulfsec node send`` a message to all; the id of the entry signed."""
    draft = tmp_path / f"{subject}.json"
    draft.write_text(json.dumps({"form": "message@1", "audience": "all",
                                 "body": {"subject": subject, "text": "t"}}))
    out = node.cli("node", "send", str(draft)).stdout
    return str(out).split("signed entry ", 1)[1].split(" ", 1)[0]


def proven(net: ProcessNetwork, node: NodeProcess, alarm_id: int, tmp_path: Path) -> str:
    out = tmp_path / f"{node.party}-alarm-{alarm_id}.json"
    node.cli("node", "evidence", str(alarm_id), "--out", str(out))
    done = node.cli("verify-evidence", str(out), "--log-key", str(net.hub.log_vkey_path))
    return str(done.stdout).strip()


def test_the_public_learns_only_public_facts_from_a_nodes_status(net: ProcessNetwork) -> None:
    irn = net.nodes["IRN"]
    public = httpx.get(f"{irn.url}/v1/status", timeout=10).json()
    assert set(public) == {"party", "size", "final_size", "last_sync"}
    full = irn.status()
    assert {"entries", "outbox_pending", "alarms", "peers"} <= set(full)
    assert {p["peer"] for p in full["peers"]} == {n.url for n in net.nodes.values()
                                                   if n.party != "IRN"}
    assert all(p["reachable"] for p in full["peers"])
    wrong = httpx.get(f"{irn.url}/v1/status", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


@pytest.mark.parametrize("shown", ["the tree it holds", "an older tree than it holds"])
def test_a_node_the_hub_keeps_behind_raises_stale_view_and_proves_it(
        net: ProcessNetwork, tmp_path: Path, shown: str) -> None:
    if shown == "the tree it holds":
        frozen = httpx.get(f"{net.hub.url}/v1/checkpoint", timeout=10).text
    else:
        size = net.hub.size()
        frozen = httpx.get(f"{net.hub.url}/v1/checkpoints/{size - 1}", timeout=10).text

    def old_checkpoint(asked: Asked, _real: httpx.Response | None) -> Served | None:
        if asked.path != "/v1/checkpoint":
            return None
        return Served(200, frozen.encode(), "text/plain; charset=utf-8")

    net.fronts["IRN"].lie("GET", "/v1/checkpoint", old_checkpoint)
    send(net.nodes["RUS"], tmp_path, "Moving on")
    irn = net.nodes["IRN"]

    def describe() -> str:
        return f"IRN's alarms: {irn.get('/v1/alarms')['alarms']}\n{net.describe()}"

    found = wait_until(lambda: alarms(irn, "stale_view"), 60,
                       "IRN's node to see it is kept behind", describe)
    line = proven(net, irn, found[0]["id"], tmp_path)
    assert line.startswith("proven: the hub signed a tree of"), line
    assert "answered a tree of only" in line
    assert not alarms(irn, "split_view")
    # One alarm for each newer tree kept from it, not one for every round it is kept behind.
    time.sleep(3)
    trees = [re.match(r"the hub signed a tree of (\d+) entries \(held by peer (\S+)\)",
                      a["message"]) for a in alarms(irn, "stale_view")]
    assert all(trees), trees
    named = [t.groups() for t in trees if t]
    assert len(named) == len(set(named)), named


def test_peers_that_do_not_answer_are_shown_and_raise_peers_silent(
        net: ProcessNetwork) -> None:
    for party in ("RUS", "QAT", "SAU"):
        net.nodes[party].stop()
    irn = net.nodes["IRN"]
    wait_until(lambda: alarms(irn, "peers_silent"), 30, "IRN's node to notice its peers silent")
    status = irn.status()
    assert status["peers"] and not any(p["reachable"] for p in status["peers"])
    assert all(p["error"] for p in status["peers"])


def _fork(net: ProcessNetwork) -> tuple[str, bytes, str]:
    """A checkpoint one entry beyond the real log, with a leaf of the operator's making, signed
    with the log key: (its note, the last entry bundle of that tree, that bundle's path)."""
    engine = net.hub.engine()
    try:
        with engine.connect() as conn:
            ids = [bytes(r[0]) for r in conn.execute(
                sa.text("SELECT entry_id FROM entries ORDER BY idx"))]
    finally:
        engine.dispose()
    fake = os.urandom(32)
    tree = MerkleTree()
    tree.extend([*ids, fake])
    size = tree.size
    front = net.fronts["SAU"]
    note = sign_checkpoint(Checkpoint(front.log_key.name, size, tree.root()), front.log_key,
                           timestamp=int(time.time()))
    tile_index = (size - 1) // tiles.TILE_WIDTH
    width = tiles.tile_width(0, tile_index, size)
    start = tile_index * tiles.TILE_WIDTH
    bundle = tiles.entry_bundle([*ids, fake][start:start + width])
    return note, bundle, "/log/" + tiles.entries_path(tile_index, width)


def test_a_witness_shown_a_fork_is_caught_and_no_longer_halts_the_honest_ones(
        net: ProcessNetwork, tmp_path: Path) -> None:
    note, bundle, bundle_path = _fork(net)

    def forked(asked: Asked, _real: httpx.Response | None) -> Served | None:
        if asked.path == "/v1/checkpoint":
            return Served(200, note.encode(), "text/plain; charset=utf-8")
        if asked.path == bundle_path:
            return Served(200, bundle, "application/octet-stream")
        return None

    sau = net.fronts["SAU"]
    sau.lie("GET", "/v1/checkpoint", forked)
    sau.lie("GET", "/log/tile/entries/", forked)
    # The first honest node to see both trees reports the fork, with evidence.
    irn = net.nodes["IRN"]
    found = wait_until(lambda: alarms(irn, "split_view"), 30,
                       "IRN's node to see SAU was shown a fork")
    assert "proven:" in proven(net, irn, found[0]["id"], tmp_path)
    # ... and the honest witnesses go on: a new entry still becomes final.
    entry_id = send(irn, tmp_path, "After the fork")
    wait_until(lambda: any(e["entry_id"] == entry_id and e["final"] for e in irn.entries()),
               30, "the new entry to become final at IRN's node, cosigned by IRN, RUS and QAT")
    assert alarms(irn, "split_view")  # the alarm stands


def test_an_entry_the_hub_withholds_is_had_from_its_senders_node(
        net: ProcessNetwork, tmp_path: Path) -> None:
    """The operator serves RUS the leaf of an entry addressed to it but never its content,
    in pages and when asked for it alone. RUS's node learns from IRN's node (a request signed
    by RUS's key) that IRN sent it, takes the content from there (checked against the leaf,
    the signature and the audience), acknowledges it as withheld and proves the hub's lie."""
    hidden = "Withheld notice"

    def withhold(asked: Asked, real: httpx.Response | None) -> Served | None:
        if asked.path != "/v1/entries" or real is None:
            return None
        page = json.loads(real.content)
        page["entries"] = [
            item for item in page["entries"]
            if hidden not in b64decode(item["raw"]).decode("utf-8", "replace")]
        return Served(200, json.dumps(page).encode())

    net.fronts["RUS"].lie("GET", "/v1/entries", withhold)
    irn, rus = net.nodes["IRN"], net.nodes["RUS"]
    entry_id = send(irn, tmp_path, hidden)
    after = send(irn, tmp_path, "Served notice")  # RUS's node moves past the hidden one
    found = wait_until(lambda: alarms(rus, "withheld_entry"), 45,
                       "RUS's node to find the withheld entry through IRN's node")
    assert entry_id in found[0]["message"]
    wait_until(lambda: {entry_id, after} <= {e["entry_id"] for e in rus.entries()}, 30,
               "RUS's node to hold both entries")
    line = proven(net, rus, found[0]["id"], tmp_path)
    assert line.startswith(f"proven: entry {entry_id}"), line
    assert "addressed to RUS" in line and "a page without it" in line
    document = json.loads((tmp_path / f"RUS-alarm-{found[0]['id']}.json").read_text())
    for key, value in (("index", document["evidence"]["index"] + 1),
                       ("entries_answer", None)):
        tampered = {**document, "evidence": {**document["evidence"], key: value}}
        with pytest.raises(NotProven):
            verify_evidence(tampered, net.hub.log_key)

    def acknowledged_as_withheld() -> bool:
        for item in irn.entries():
            body = item["entry"]["entry"]["body"]
            if (item["sender"] == "RUS" and item["form"] == "acknowledgement@1"
                    and entry_id in body.get("withheld", [])):
                return True
        return False

    wait_until(acknowledged_as_withheld, 45, "RUS's acknowledgement naming the entry withheld")
    # Only RUS was lied to: the other addressees took it from the hub as usual.
    assert not alarms(net.nodes["SAU"], "withheld_entry")


def test_what_a_party_sent_is_listed_only_to_an_addressee_who_signs(
        net: ProcessNetwork, tmp_path: Path) -> None:
    """``/v1/sent`` answers only a request signed by a party's active key, and lists only what
    that party may read; a replayed request is refused."""
    irn = net.nodes["IRN"]
    draft = tmp_path / "private.json"
    draft.write_text(json.dumps({"form": "message@1", "audience": ["SAU"],
                                 "body": {"subject": "For SAU", "text": "t"}}))
    out = irn.cli("node", "send", str(draft)).stdout
    private = str(out).split("signed entry ", 1)[1].split(" ", 1)[0]
    wait_until(lambda: any(e["entry_id"] == private for e in irn.entries()), 30,
               "IRN's node to hold its entry")
    assert httpx.get(f"{irn.url}/v1/sent").status_code == 401

    def listed(party: str) -> tuple[int, set[str]]:
        node = net.nodes[party]
        headers = sign_request(node.key(), party, "GET", "/v1/sent?after=-1", b"",
                               datetime.now(UTC))
        got = httpx.get(f"{irn.url}/v1/sent", params={"after": -1}, headers=headers)
        again = httpx.get(f"{irn.url}/v1/sent", params={"after": -1}, headers=headers)
        assert again.status_code == 401  # the same nonce twice
        ids = {e["entry_id"] for e in got.json().get("entries", [])} if got.is_success else set()
        return got.status_code, ids

    status, for_sau = listed("SAU")
    assert status == 200 and private in for_sau
    status, for_rus = listed("RUS")
    assert status == 200 and private not in for_rus
    headers = sign_request(net.nodes["RUS"].key(), "RUS", "GET", f"/v1/sent/{private}", b"",
                           datetime.now(UTC))
    assert httpx.get(f"{irn.url}/v1/sent/{private}", headers=headers).status_code == 404
