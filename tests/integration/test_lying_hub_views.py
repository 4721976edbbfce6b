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
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from support.lying_hub import Asked, Served
from support.processes import NodeProcess, ProcessNetwork, wait_until

from gulfsec.ledger import tiles
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


def test_a_node_the_hub_keeps_behind_raises_stale_view_and_proves_it(
        net: ProcessNetwork, tmp_path: Path) -> None:
    frozen = httpx.get(f"{net.hub.url}/v1/checkpoint", timeout=10).text

    def old_checkpoint(asked: Asked, _real: httpx.Response | None) -> Served | None:
        if asked.path != "/v1/checkpoint":
            return None
        return Served(200, frozen.encode(), "text/plain; charset=utf-8")

    net.fronts["IRN"].lie("GET", "/v1/checkpoint", old_checkpoint)
    send(net.nodes["RUS"], tmp_path, "Moving on")
    irn = net.nodes["IRN"]
    found = wait_until(lambda: alarms(irn, "stale_view"), 30,
                       "IRN's node to see it is kept behind")
    line = proven(net, irn, found[0]["id"], tmp_path)
    assert line.startswith("proven: the hub signed a tree of"), line
    assert "answered a tree of only" in line


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
                           timestamp=int(__import__("time").time()))
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
