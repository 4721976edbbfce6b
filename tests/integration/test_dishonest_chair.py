"""A dishonest chair: the secretariat signs an outcome that the positions contradict, and every
node — real ``gulfsec node serve`` processes, each over its own copy — raises ``bad_outcome``
with the signed entries it rests on.

Personas: IRN proposes a draft to all by silence procedure; SAU objects before the expiry,
breaking silence; the secretariat declares the draft adopted anyway.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support.processes import NodeProcess, ProcessNetwork, wait_until

from gulfsec.adapters.hubclient import HubClient
from gulfsec.domain.encoding import format_time
from gulfsec.domain.entry import parse_signed_entry
from gulfsec.errors import RemoteError
from gulfsec.services.participant import submit_draft

pytestmark = pytest.mark.slow

PARTIES = ("IRN", "RUS", "SAU")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def net(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ProcessNetwork]:
    with ProcessNetwork(tmp_path, request.param, PARTIES) as network:
        network.settle()
        yield network


def send(node: NodeProcess, tmp_path: Path, name: str, draft: dict[str, Any]) -> str:
    path = tmp_path / f"{node.party}-{name}.json"
    path.write_text(json.dumps(draft))
    out = node.cli("node", "send", str(path)).stdout
    return str(out).split("signed entry ", 1)[1].split(" ", 1)[0]


def test_an_outcome_the_positions_contradict_raises_bad_outcome_at_every_node(
        net: ProcessNetwork, tmp_path: Path) -> None:
    closes_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=6)
    draft = send(net.nodes["IRN"], tmp_path, "draft", {
        "form": "draft-decision@1", "audience": "all",
        "body": {"kind": "text", "title": "Hotline terms", "text": "The parties agree.",
                 "format": "all", "procedure": "silence",
                 "closes_at": format_time(closes_at)}})
    sau = net.nodes["SAU"]
    wait_until(lambda: any(e["entry_id"] == draft for e in sau.entries()), 30,
               "SAU's node to hold the draft")
    send(sau, tmp_path, "objection", {
        "form": "position@1", "audience": "all", "refs": [draft],
        "body": {"draft": draft, "position": "object", "reason": "Not as drafted."}})
    sec = net.hub.secretariat_key()
    outcome = {"form": "decision-outcome@1", "audience": "all", "refs": [draft],
               "body": {"draft": draft, "outcome": "adopted"}}
    with HubClient(net.hub.url, party="SEC", key=sec) as chair:
        with pytest.raises(RemoteError) as early:  # the hub refuses an outcome before closing
            submit_draft(chair, sec, "SEC", outcome, datetime.now(UTC))
        assert early.value.status == 422 and "open until" in str(early.value)
        wait_until(lambda: datetime.now(UTC) > closes_at + timedelta(seconds=1), 30,
                   "the draft to close")
        signed, _ = submit_draft(chair, sec, "SEC", outcome, datetime.now(UTC))

    def alarmed(node: NodeProcess) -> list[dict[str, Any]]:
        return [a for a in node.get("/v1/alarms")["alarms"] if a["kind"] == "bad_outcome"]

    for party in PARTIES:
        node = net.nodes[party]
        found = wait_until(lambda n=node: alarmed(n), 45,  # type: ignore[misc]
                           f"{party}'s node to raise bad_outcome")
        alarm = found[0]
        assert draft in alarm["message"]
        assert "the chair declared the draft adopted" in alarm["message"]
        assert "not-adopted" in alarm["message"]
        evidence = alarm["evidence"]
        assert evidence["computed"] == "not-adopted"
        held = {parse_signed_entry(e["entry"].encode(), max_bytes=1 << 20).id_hex: e
                for e in evidence["entries"]}
        assert draft in held and signed.id_hex in held  # the draft and the chair's outcome
        assert all(e["final_at"] for e in evidence["entries"] if e["index"] < held[
            signed.id_hex]["index"])
