"""Deciding together from the command line, on SQLite and on PostgreSQL.

The hub runs in this process, served over loopback; the nodes of IRN, RUS and SAU (the three
witnesses the quorum needs) are set up in data directories of their own, and each command runs
in-process through click as it would where that directory is: ``gulfsec decisions …`` from a
node, ``gulfsec decisions close|revise`` from the hub's data directory with the secretariat's
key. QAT and USA have keys but no node: they sign their positions straight to the hub.

Time is held still by time_machine, so the hub, the nodes and the commands all read the same
clock, and the test moves it past a draft's closing once every entry is final.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from support.databases import Databases
from support.inprocess import NodeNet
from support.processes import PASSPHRASE, gulfsec_in_process
from support.served import clock, hub_url

from gulfsec.adapters import keystore
from gulfsec.adapters.clock import ManualClock
from gulfsec.adapters.files import private_dir
from gulfsec.adapters.hubclient import HubClient
from gulfsec.bootstrap import init_node, open_node
from gulfsec.config import load_settings
from gulfsec.domain.encoding import format_time
from gulfsec.domain.keys import SigningKey
from gulfsec.services.hub import Hub
from gulfsec.services.participant import submit_draft

HOUR = timedelta(hours=1)
NODES = ("IRN", "RUS", "SAU")
ENTRY_ID = re.compile(r"\b[0-9a-f]{64}\b")


# -- one clock for everyone --------------------------------------------------------------------


__all__ = ["clock", "hub_url"]  # the fixtures from support.served these tests use


@dataclass
class Network:
    hub_url: str
    envs: dict[str, dict[str, str]]
    """Each party's ``GULFSEC_*`` settings, and the secretariat's (``SEC``: the hub's data
    directory, with its key)."""
    nodes: NodeNet

    def run(self, party: str, *args: str) -> Result:
        """``gulfsec ARGS`` where ``party``'s data directory is."""
        return gulfsec_in_process(self.envs[party], *args, check=False)

    def chair(self, *args: str) -> Result:
        """``gulfsec ARGS --hub URL`` where the hub's data directory is."""
        return gulfsec_in_process(self.envs["SEC"], *args, "--hub", self.hub_url, check=False)

    def settle(self) -> None:
        self.nodes.settle()


@pytest.fixture
def network(hub: Hub, hub_url: str, party_keys: dict[str, SigningKey], log_key: SigningKey,
            tmp_path: Path, database_url: str, databases: Databases) -> Iterator[Network]:
    envs: dict[str, dict[str, str]] = {}
    hub_dir = tmp_path / "hub"
    sec = party_keys["SEC"]
    private_dir(hub_dir / "keys")
    keystore.save_key(hub_dir / "keys" / "SEC.key", sec.name, sec.seed, PASSPHRASE,
                      n=keystore.MIN_N)
    (hub_dir / "log.vkey").write_text(log_key.verifier.encode() + "\n")
    envs["SEC"] = {"GULFSEC_DATA_DIR": str(hub_dir), "GULFSEC_PASSPHRASE": PASSPHRASE}
    nodes = NodeNet(hub, {})
    try:
        for party in NODES:
            env = {"GULFSEC_DATA_DIR": str(tmp_path / f"node-{party}"),
                   "GULFSEC_PASSPHRASE": PASSPHRASE}
            if not database_url.startswith("sqlite"):
                env["GULFSEC_DATABASE_URL"] = databases.new(f"node_{party.lower()}")
            envs[party] = env
            settings = load_settings(data_dir=Path(env["GULFSEC_DATA_DIR"]),
                                     database_url=env.get("GULFSEC_DATABASE_URL"),
                                     passphrase=PASSPHRASE)
            init_node(settings, party, hub_url, log_key.verifier, key=party_keys[party])
            key_file = settings.data_dir / "keys" / f"{party}.key"
            key_file.unlink()  # the same key, at scrypt's least cost: each command opens it
            keystore.save_key(key_file, party, party_keys[party].seed, PASSPHRASE,
                              n=keystore.MIN_N)
            nodes.nodes[party] = open_node(settings)
        network = Network(hub_url, envs, nodes)
        network.settle()
        yield network
    finally:
        nodes.close()


# -- helpers -----------------------------------------------------------------------------------


def ok(result: Result) -> str:
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    return result.stdout


def one_error_line(result: Result, *fragments: str) -> str:
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"unhandled {result.exception!r}\n{result.output}")
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("gulfsec: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def entry_id(out: str) -> str:
    found = ENTRY_ID.search(out)
    assert found is not None, out
    return found.group(0)


def at(clock: ManualClock, delta: timedelta) -> str:
    return format_time(clock.now() + delta)


def propose(network: Network, party: str, clock: ManualClock, title: str, *extra: str,
            procedure: str = "silence", closes_in: timedelta = HOUR) -> str:
    out = ok(network.run(party, "decisions", "propose", "--kind", "text", "--title", title,
                         "--text", f"The parties agree: {title}.", "--format", "all",
                         "--procedure", procedure, "--closes-at", at(clock, closes_in), *extra))
    assert "sequenced by the hub" in out
    return entry_id(out)


def listed(network: Network, party: str) -> dict[str, dict[str, Any]]:
    items = json.loads(ok(network.run(party, "decisions", "--format", "json")))
    assert isinstance(items, list)
    return {item["id"]: item for item in items}


def closed(network: Network, clock: ManualClock, delta: timedelta = 2 * HOUR) -> None:
    network.settle()
    clock.advance(delta)
    network.settle()


def sign_straight_to_hub(as_party: Callable[..., HubClient], party: str, form: str,
                         body: dict[str, Any], draft_id: str, clock: ManualClock) -> None:
    client = as_party(party)
    key: SigningKey = client.key  # type: ignore[assignment]
    submit_draft(client, key, party, {"form": form, "audience": "all", "body": body,
                                      "refs": [draft_id]}, clock.now())


# -- the tests ---------------------------------------------------------------------------------


def test_a_draft_proposed_joined_and_closed_from_the_command_line_is_adopted(
        network: Network, clock: ManualClock) -> None:
    draft_id = propose(network, "IRN", clock, "Hotline terms")
    network.settle()
    ok(network.run("RUS", "decisions", "position", draft_id, "join"))
    out = ok(network.run("SAU", "decisions", "position", draft_id, "stand-aside",
                         "--statement", "Without prejudice to our view of the zone."))
    assert out.startswith("position (stand-aside): ") and "sequenced by the hub" in out
    one_error_line(network.run("IRN", "decisions", "position", draft_id, "object"),
                   "reason", "an objection needs a reason")
    one_error_line(network.chair("decisions", "close", draft_id), "is open until")
    network.settle()
    item = listed(network, "SAU")[draft_id]
    assert {"id", "title", "format", "procedure", "status", "closes_at",
            "positions"} <= set(item)
    assert (item["title"], item["format"], item["procedure"], item["status"]) == (
        "Hotline terms", "all", "silence", "open")
    assert item["closes_at"] == at(clock, HOUR)  # the clock has not moved yet
    assert item["positions"] == {"IRN": None, "QAT": None, "RUS": "join", "SAU": "stand-aside",
                                 "USA": None}

    closed(network, clock)
    one_error_line(network.run("RUS", "decisions", "position", draft_id, "object",
                               "--reason", "Too late."), "closed at")
    out = ok(network.chair("decisions", "close", draft_id, "--statement", "Adopted."))
    assert out.startswith(f"draft {draft_id} declared adopted: entry ")
    one_error_line(network.chair("decisions", "close", draft_id), "already declared")
    network.settle()

    for party in NODES:
        item = listed(network, party)[draft_id]
        assert item["status"] == "adopted", (party, item["why"])
    shown = json.loads(ok(network.run("RUS", "decisions", "show", draft_id)))
    assert shown["chair_outcome"]["outcome"] == "adopted"
    assert shown["chair_outcome"]["statement"] == "Adopted."
    assert shown["contradiction"] is None
    table = ok(network.run("IRN", "decisions"))
    assert draft_id in table and "adopted · silence · all" in table
    assert "IRN —, SAU stand-aside, QAT —, USA —, RUS join" in table  # the regime's order
    readable = ok(network.run("IRN", "decisions", "show", draft_id, "--format", "table"))
    assert "Hotline terms" in readable and "declared it adopted" in readable

    one_error_line(network.run("IRN", "decisions", "show", "ab" * 32), "no draft decision")
    one_error_line(network.run("IRN", "decisions", "propose", "--kind", "text", "--title", "T",
                               "--text", "x", "--format", "all", "--procedure", "silence",
                               "--closes-at", "tomorrow"), "--closes-at", "'tomorrow'")
    one_error_line(network.run("IRN", "decisions", "propose", "--kind", "text", "--title", "T",
                               "--text", "x", "--format", "all", "--procedure", "silence",
                               "--closes-at", at(clock, -HOUR)), "not in the future")
    one_error_line(network.chair("decisions", "close", "cd" * 32), "hub refused (404")


def concept_file(path: Path, *sections: tuple[str, str, str]) -> str:
    path.write_text(json.dumps({"sections": [{"number": n, "title": t, "text": x}
                                             for n, t, x in sections]}))
    return str(path)


def test_what_silence_withdrawal_revision_and_consensus_make_of_the_drafts(
        network: Network, clock: ManualClock, tmp_path: Path,
        as_party: Callable[..., HubClient]) -> None:
    broken = propose(network, "IRN", clock, "Incidents at sea")
    withdrawn = propose(network, "RUS", clock, "Observers", procedure="consensus")
    revised = propose(network, "IRN", clock, "Hotline hours")
    v1 = entry_id(ok(network.run(
        "RUS", "decisions", "propose", "--kind", "concept", "--title", "Concept 1",
        "--text", "The first Concept.", "--format", "all", "--procedure", "silence",
        "--closes-at", at(clock, HOUR), "--content-file", concept_file(
            tmp_path / "v1.json", ("1", "Principles", "Sovereignty.\nNon-interference."),
            ("2", "Measures", "Notification.")))))
    v2 = entry_id(ok(network.run(
        "IRN", "decisions", "propose", "--kind", "concept", "--title", "Concept 2",
        "--text", "The second Concept.", "--format", "all", "--procedure", "silence",
        "--closes-at", at(clock, HOUR + HOUR / 2), "--content-file", concept_file(
            tmp_path / "v2.json", ("1", "Principles", "Sovereignty.\nDialogue."),
            ("2", "Measures", "Notification.")))))
    entity = tmp_path / "entity.json"
    entity.write_text(json.dumps({
        "name": "Alpha Brigade", "aliases": [{"name": "ألفا", "script": "Arab"}],
        "entity_type": "organisation", "grounds": "Attacks on shipping, twice.",
        "references": ["UNSCR 2216 (2015)"]}))
    designation = entry_id(ok(network.run(
        "SAU", "decisions", "propose", "--kind", "designation", "--title", "Designate Alpha",
        "--text", "Alpha Brigade is designated.", "--format", "all", "--procedure",
        "consensus", "--closes-at", at(clock, HOUR), "--content-file", str(entity))))
    network.settle()

    objection = entry_id(ok(network.run("SAU", "decisions", "position", broken, "object",
                                        "--reason", "The zone is not defined.")))
    ok(network.run("RUS", "decisions", "withdraw", withdrawn, "--reason", "Redraft."))
    out = ok(network.chair("decisions", "revise", revised, "--title", "Hotline hours, revised",
                           "--text", "Around the clock.", "--procedure", "silence",
                           "--closes-at", at(clock, HOUR)))
    replacement = entry_id(out)
    assert f"replaces {revised}" in out
    for party in NODES:
        ok(network.run(party, "decisions", "position", designation, "join"))
    for party in ("QAT", "USA"):
        sign_straight_to_hub(as_party, party, "position@1",
                             {"draft": designation, "position": "join"}, designation, clock)
    one_error_line(network.run("IRN", "decisions", "withdraw", withdrawn), "only its proposer")
    closed(network, clock)

    statuses = {i: d["status"] for i, d in listed(network, "IRN").items()}
    assert statuses == {broken: "not-adopted", withdrawn: "withdrawn", revised: "replaced",
                        replacement: "adopted", v1: "adopted", v2: "adopted",
                        designation: "adopted"}
    shown = json.loads(ok(network.run("RUS", "decisions", "show", broken)))
    assert shown["breaking"] == [objection]
    one_error_line(network.chair("decisions", "close", withdrawn), "was withdrawn")
    one_error_line(network.chair("decisions", "close", revised), "was replaced")
    assert "declared not-adopted" in ok(network.chair("decisions", "close", broken))

    text = ok(network.run("SAU", "concept"))
    assert text.startswith("The Concept, version 2: Concept 2")
    assert "§ 1 Principles\nSovereignty.\nDialogue." in text
    first = json.loads(ok(network.run("SAU", "concept", "--version", "1", "--format", "json")))
    assert (first["version"], first["decision"]) == (1, v1)
    diff = ok(network.run("RUS", "concept", "--diff", "1", "2"))
    assert "§ 1 Principles: changed" in diff and "§ 2 Measures: unchanged" in diff
    assert "    -Non-interference." in diff and "    +Dialogue." in diff
    changes = json.loads(ok(network.run("RUS", "concept", "--diff", "1", "2", "--format",
                                        "json")))
    assert [s["change"] for s in changes["sections"]] == ["changed", "unchanged"]
    one_error_line(network.run("RUS", "concept", "--version", "3"), "no version 3")

    rows = list(csv.DictReader(io.StringIO(ok(network.run("IRN", "designations", "--format",
                                                          "csv")))))
    assert [(r["designation"], r["name"], r["aliases"], r["delisted_at"]) for r in rows] == [
        (designation, "Alpha Brigade", "ألفا (Arab)", "")]
    table = ok(network.run("IRN", "designations"))
    assert "Alpha Brigade  (organisation, listed since" in table and "also ألفا (Arab)" in table
    as_json = json.loads(ok(network.run("IRN", "designations", "--format", "json")))
    assert [e["name"] for e in as_json["current"]] == ["Alpha Brigade"]
