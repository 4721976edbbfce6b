"""Reducing risk from the command line, on SQLite and on PostgreSQL.

The hub runs in this process, served over loopback; the parties' nodes are set up in data
directories of their own, and each command runs in-process through click as it would where
that directory is: ``gulfsec incidents …`` and ``gulfsec unusual …`` from a node.

Personas: IRN reports an incident with RUS, who responds; QAT is its outsider. RUS asks IRN to
explain an air activity (to all participants); IRN replies, RUS asks for a bilateral meeting,
and QAT may read the request but not reply in IRN's place.

Time is held still by time_machine, so the hub, the nodes and the commands read one clock.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
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
from gulfsec.bootstrap import init_node, open_node
from gulfsec.config import load_settings
from gulfsec.domain.encoding import format_time
from gulfsec.domain.keys import SigningKey
from gulfsec.services.hub import Hub

HOUR = timedelta(hours=1)
ENTRY_ID = re.compile(r"\b[0-9a-f]{64}\b")


__all__ = ["clock", "hub_url"]  # the fixtures from support.served these tests use


@dataclass
class Network:
    envs: dict[str, dict[str, str]]
    nodes: NodeNet

    def run(self, party: str, *args: str) -> Result:
        """``gulfsec ARGS`` where ``party``'s data directory is."""
        return gulfsec_in_process(self.envs[party], *args, check=False)

    def settle(self) -> None:
        self.nodes.settle()


@pytest.fixture
def network(hub: Hub, hub_url: str, party_keys: dict[str, SigningKey], log_key: SigningKey,
            tmp_path: Path, database_url: str,
            databases: Databases) -> Iterator[Callable[[Sequence[str]], Network]]:
    """``network(["IRN", "RUS", "QAT"])``: those parties' nodes in data directories of their
    own; settled."""
    envs: dict[str, dict[str, str]] = {}
    nodes = NodeNet(hub, {})

    def factory(parties: Sequence[str]) -> Network:
        for party in parties:
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
        net = Network(envs, nodes)
        net.settle()
        return net

    try:
        yield factory
    finally:
        nodes.close()


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


def as_json(result: Result) -> Any:
    return json.loads(ok(result))


REPORT = ("incidents", "report", "--other-party", "RUS", "--lat", "26.52", "--lon", "56.41",
          "--area-name", "Strait of Hormuz", "--event", "unsafe-manoeuvre",
          "--event", "fire-control-radar", "--unit", "IRN:boat",
          "--unit", "RUS:ship:Admiral Example:FF-0", "--cpa", "150",
          "--account", "The frigate locked its radar on our boats.")


# -- incidents -----------------------------------------------------------------------------------


def test_an_incident_reported_and_answered_from_the_command_line_is_its_parties_only(
        network: Callable[[Sequence[str]], Network], clock: ManualClock) -> None:
    net = network(["IRN", "RUS", "QAT"])
    occurred = format_time(clock.now() - 3 * HOUR)
    out = ok(net.run("IRN", *REPORT, "--at", occurred))
    assert out.startswith("incident report ") and "sequenced by the hub" in out
    report_id = entry_id(out)
    net.settle()

    items = as_json(net.run("RUS", "incidents", "--format", "json"))
    node = net.nodes.nodes["RUS"]
    assert items == [i.to_json() for i in node.risk.incidents()]
    item, = items
    assert (item["id"], item["reporter"], item["other_party"], item["occurred_at"]) == (
        report_id, "IRN", "RUS", occurred)
    assert item["units"] == [{"party": "IRN", "kind": "boat"},
                             {"party": "RUS", "kind": "ship", "name": "Admiral Example",
                              "hull_number": "FF-0"}]
    assert item["events"] == ["unsafe-manoeuvre", "fire-control-radar"]

    one_error_line(net.run("IRN", "incidents", "respond", report_id, "--account", "Ours."),
                   "only RUS, the other party involved, responds")
    out = ok(net.run("RUS", "incidents", "respond", report_id, "--account",
                     "A routine radar sweep.", "--disputed", "No lock-on.", "--cpa", "600"))
    assert out.startswith("response ")
    net.settle()

    shown = as_json(net.run("IRN", "incidents", "show", report_id))
    assert shown == net.nodes.nodes["IRN"].risk.incident(report_id).to_json()
    answer, = shown["responses"]
    assert (answer["party"], answer["disputed"]) == ("RUS", "No lock-on.")
    table = ok(net.run("IRN", "incidents"))
    assert report_id in table and "IRN reports, with RUS" in table
    assert "26.52, 56.41 · Strait of Hormuz · closest approach 150 m · 1 response" in table
    readable = ok(net.run("RUS", "incidents", "show", report_id, "--format", "table"))
    assert "unit:       RUS ship Admiral Example, FF-0" in readable
    assert "disputed: No lock-on." in readable and "| A routine radar sweep." in readable

    # QAT, the outsider: nothing, and the same answer as for a report that does not exist.
    assert as_json(net.run("QAT", "incidents", "--format", "json")) == []
    assert "no incident reports in QAT's copy" in ok(net.run("QAT", "incidents"))
    one_error_line(net.run("QAT", "incidents", "show", report_id), "no incident report")
    one_error_line(net.run("QAT", "incidents", "respond", report_id, "--account", "Us?"),
                   "QAT's node holds no incident report")


def test_every_mistake_in_a_report_is_one_line_and_nothing_is_signed(
        network: Callable[[Sequence[str]], Network], clock: ManualClock) -> None:
    net = network(["IRN", "RUS", "QAT"])
    at = format_time(clock.now() - HOUR)
    base = list(REPORT)
    for args, fragments in (
            (("--at", "yesterday"), ("--at 'yesterday'", "UTC time")),
            ((), ("--at is required",)),
            (("--at", at, "--lat", "95"), ("--lat '95'", "-90 to 90")),
            (("--at", at, "--unit", "RUS"), ("--unit 'RUS'", "PARTY:KIND")),
            (("--at", at, "--unit", "RUS:tank"), ("the kind is one of",)),
            (("--at", at, "--event", "a-shrug"), ("--event 'a-shrug'",)),
            (("--at", at, "--cpa", "near"), ("--cpa 'near'", "whole number")),
            (("--at", at, "--to", "XYZ"), ("XYZ",))):
        one_error_line(net.run("IRN", *base, *args), *fragments)
    one_error_line(net.run("IRN", "incidents", "report", "--at", at), "--other-party is required")
    one_error_line(net.run("IRN", *[a if a != "RUS" else "IRN" for a in base], "--at", at),
                   "IRN is not another party")
    assert net.nodes.nodes["IRN"].risk.incidents() == []
    assert net.nodes.nodes["IRN"].status()["outbox_pending"] == 0


# -- unusual military activity -------------------------------------------------------------------


def test_a_request_on_unusual_activity_its_reply_and_a_meeting_from_the_command_line(
        network: Callable[[Sequence[str]], Network], clock: ManualClock) -> None:
    net = network(["IRN", "RUS", "QAT"])
    since = format_time(clock.now() - 10 * HOUR)
    asking = ("unusual", "request", "--addressee", "IRN", "--type", "air", "--description",
              "About forty fighter sorties at night.", "--from", since,
              "--concern", "Nothing was notified.")
    one_error_line(net.run("RUS", *asking), "give the area")
    one_error_line(net.run("RUS", *asking, "--lat", "27.1", "--lon", "51.4"),
                   "--radius-km is required")
    one_error_line(net.run("RUS", *asking, "--area-name", "x", "--type", "space"),
                   "--type 'space'")
    one_error_line(net.run("RUS", *asking, "--lat", "27.1", "--lon", "51.4",
                           "--radius-km", "-5"), "--radius-km '-5'")
    out = ok(net.run("RUS", *asking, "--lat", "27.1", "--lon", "51.4", "--radius-km", "90",
                     "--area-name", "central Gulf"))
    assert out.startswith("request ") and "sequenced by the hub" in out
    case_id = entry_id(out)
    net.settle()

    one_error_line(net.run("QAT", "unusual", "reply", case_id, "--explanation", "Not ours."),
                   "only IRN, the participant asked, replies")
    ok(net.run("IRN", "unusual", "reply", case_id, "--explanation", "A readiness drill."))
    one_error_line(net.run("IRN", "unusual", "meeting", case_id, "bilateral"),
                   "only RUS, the requester, asks for a meeting")
    one_error_line(net.run("RUS", "unusual", "meeting", case_id, "soon"), "'soon'")
    out = ok(net.run("RUS", "unusual", "meeting", case_id, "bilateral", "--reason", "Talk."))
    assert out.startswith("request for a bilateral meeting ")
    net.settle()

    items = as_json(net.run("QAT", "unusual", "--format", "json"))
    assert items == [c.to_json() for c in net.nodes.nodes["QAT"].risk.unusual()]
    item, = items
    assert (item["id"], item["stage"], item["area_name"]) == (
        case_id, "bilateral-requested", "central Gulf")
    assert item["area"] == {"kind": "circle", "centre": {"lat": 27.1, "lon": 51.4},
                            "radius_km": 90.0}
    assert [s["step"] for s in item["timeline"]] == ["request", "reply", "bilateral-requested"]
    shown = as_json(net.run("IRN", "unusual", "show", case_id))
    assert shown == item
    table = ok(net.run("IRN", "unusual"))
    assert "RUS asks IRN · air · bilateral-requested" in table
    assert "within 90 km of 27.10, 51.40 · central Gulf" in table
    readable = ok(net.run("RUS", "unusual", "show", case_id, "--format", "table"))
    assert "IRN reply" in readable and "RUS bilateral-requested" in readable
    one_error_line(net.run("IRN", "unusual", "show", "0" * 64),
                   "no request on unusual military activity")
