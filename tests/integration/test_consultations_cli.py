"""Consulting, meeting and mediating from the command line, on SQLite and on PostgreSQL.

The hub runs in this process, served over loopback; the parties' nodes are set up in data
directories of their own, and each command runs in-process through click as it would where
that directory is: ``gulfsec threads|meetings|mediation …`` from a node, and ``gulfsec meetings
… --secretariat --hub URL`` from the hub's data directory with the secretariat's key.

Personas: IRN opens a thread with RUS, QAT is its outsider; the secretariat convenes the
p5+1+iran (IRN and RUS among them, QAT not). QAT, SAU, ARE and BHR ask KWT to mediate; OMN is
the outsider; SAU, ARE and BHR have keys but no node and sign straight to the hub.

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
from icalendar import Calendar
from support.databases import Databases
from support.inprocess import NodeNet
from support.processes import PASSPHRASE, gulfsec_in_process
from support.served import clock, hub_url

from gulfsec.adapters import keystore
from gulfsec.adapters.clock import ManualClock
from gulfsec.adapters.files import private_dir
from gulfsec.adapters.hubclient import HubClient
from gulfsec.bootstrap import init_node, open_node
from gulfsec.cli.consultations import MEDIATION_KEYS, THREAD_KEYS
from gulfsec.config import load_settings
from gulfsec.domain.encoding import format_time
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.procedures.mediation import audience_of
from gulfsec.services.hub import Hub
from gulfsec.services.participant import registration_request, submit_draft

DAY = timedelta(days=1)
ENTRY_ID = re.compile(r"\b[0-9a-f]{64}\b")
MORE = ("ARE", "BHR", "KWT", "OMN")
DISPUTE = ["QAT", "SAU", "ARE", "BHR"]
MEDIATION = "ARE+BHR+QAT+SAU/KWT"
P5_1_IRAN = ("CHN", "DEU", "FRA", "GBR", "IRN", "RUS", "USA")


# -- one clock for everyone --------------------------------------------------------------------


__all__ = ["clock", "hub_url"]  # the fixtures from support.served these tests use


@pytest.fixture(scope="session")
def more_keys() -> dict[str, SigningKey]:
    return {code: SigningKey.generate(code) for code in MORE}


@pytest.fixture
def keys(hub: Hub, party_keys: dict[str, SigningKey], more_keys: dict[str, SigningKey],
         clock: ManualClock) -> dict[str, SigningKey]:
    """Every persona's key, ARE's, BHR's, KWT's and OMN's registered in the hub's log too."""
    for party in MORE:
        request = registration_request(more_keys[party], party, clock.now())
        hub.submit(request.countersigned(party_keys["SEC"]).raw)
    return {**party_keys, **more_keys}


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

    def secretariat(self, *args: str) -> Result:
        """``gulfsec ARGS --secretariat --hub URL`` where the hub's data directory is."""
        return gulfsec_in_process(self.envs["SEC"], *args, "--secretariat", "--hub",
                                  self.hub_url, check=False)

    def settle(self) -> None:
        self.nodes.settle()


@pytest.fixture
def network(hub: Hub, hub_url: str, keys: dict[str, SigningKey], log_key: SigningKey,
            tmp_path: Path, database_url: str,
            databases: Databases) -> Iterator[Callable[[Sequence[str]], Network]]:
    """``network(["IRN", "RUS", "QAT"])``: those parties' nodes in data directories of their
    own, and the hub's data directory with the secretariat's key; settled."""
    envs: dict[str, dict[str, str]] = {}
    hub_dir = tmp_path / "hub"
    sec = keys["SEC"]
    private_dir(hub_dir / "keys")
    keystore.save_key(hub_dir / "keys" / "SEC.key", sec.name, sec.seed, PASSPHRASE,
                      n=keystore.MIN_N)
    (hub_dir / "log.vkey").write_text(log_key.verifier.encode() + "\n")
    envs["SEC"] = {"GULFSEC_DATA_DIR": str(hub_dir), "GULFSEC_PASSPHRASE": PASSPHRASE}
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
            init_node(settings, party, hub_url, log_key.verifier, key=keys[party])
            key_file = settings.data_dir / "keys" / f"{party}.key"
            key_file.unlink()  # the same key, at scrypt's least cost: each command opens it
            keystore.save_key(key_file, party, keys[party].seed, PASSPHRASE, n=keystore.MIN_N)
            nodes.nodes[party] = open_node(settings)
        network = Network(hub_url, envs, nodes)
        network.settle()
        return network

    try:
        yield factory
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


def as_json(result: Result) -> Any:
    return json.loads(ok(result))


def events(data: bytes) -> tuple[Calendar, dict[str, Any]]:
    """The calendar read back, and its events by the meeting's id."""
    cal = Calendar.from_ical(data)
    return cal, {str(e["uid"]).split("@")[0]: e for e in cal.walk("VEVENT")}


# -- threads -----------------------------------------------------------------------------------


def test_a_thread_with_a_file_and_a_reply_from_the_command_line_is_its_parties_only(
        network: Callable[[Sequence[str]], Network], tmp_path: Path) -> None:
    net = network(["IRN", "RUS", "QAT"])
    paper = tmp_path / "working-paper.txt"
    paper.write_text("Hotline: two numbers, staffed around the clock.\n")
    out = ok(net.run("IRN", "threads", "open", "--subject", "Incidents at sea", "--level",
                     "expert", "--to", "RUS", "--text", "Our working paper is attached.",
                     "--attach", str(paper)))
    assert out.startswith("thread ") and "sequenced by the hub" in out
    thread_id = entry_id(out)
    net.settle()
    items = as_json(net.run("RUS", "threads", "--format", "json"))
    assert [set(t) for t in items] == [{*THREAD_KEYS, "replies"}]
    assert (items[0]["id"], items[0]["parties"], items[0]["replies"]) == (
        thread_id, ["IRN", "RUS"], 0)
    reply = entry_id(ok(net.run("RUS", "threads", "reply", thread_id, "--text", "Agreed.")))
    net.settle()

    shown = as_json(net.run("IRN", "threads", "show", thread_id))
    assert [(m["sender"], m["entry_id"]) for m in shown["messages"]] == [
        ("IRN", thread_id), ("RUS", reply)]
    attached, = shown["messages"][0]["attachments"]
    assert (attached["name"], attached["media_type"]) == ("working-paper.txt", "text/plain")
    table = ok(net.run("RUS", "threads"))
    assert thread_id in table and "Incidents at sea · expert · between IRN, RUS" in table
    assert "1 reply" in table
    readable = ok(net.run("RUS", "threads", "show", thread_id, "--format", "table"))
    assert "attached: working-paper.txt (text/plain" in readable and "  Agreed." in readable

    # QAT, the outsider: nothing, and the same answer as for a thread that does not exist.
    assert as_json(net.run("QAT", "threads", "--format", "json")) == []
    assert "no consultation threads in QAT's copy" in ok(net.run("QAT", "threads"))
    one_error_line(net.run("QAT", "threads", "show", thread_id), "no consultation thread")
    one_error_line(net.run("QAT", "threads", "reply", thread_id, "--text", "Let us in."),
                   "QAT's node holds no consultation thread")
    one_error_line(net.run("IRN", "threads", "open", "--subject", "S", "--level", "expert",
                           "--text", "x"), "name the parties, or give the format")
    one_error_line(net.run("IRN", "threads", "open", "--subject", "S", "--level", "expert",
                           "--format", "nowhere", "--text", "x"), "unknown format 'nowhere'")
    one_error_line(net.run("IRN", "threads", "open", "--subject", "S", "--level", "expert",
                           "--to", "RUS", "--text", "x", "--attach", str(tmp_path / "no.pdf")),
                   "cannot read attachment")


# -- meetings ----------------------------------------------------------------------------------


def test_the_secretariat_convenes_changes_circulates_minutes_and_cancels_a_meeting(
        network: Callable[[Sequence[str]], Network], clock: ManualClock,
        tmp_path: Path) -> None:
    net = network(["IRN", "RUS", "QAT"])
    convening = ("meetings", "convene", "--title", "P5+1 and Iran", "--level", "minister",
                 "--starts-at", at(clock, 2 * DAY), "--timezone", "Asia/Tehran",
                 "--duration", "90", "--place", "Geneva", "--agenda", "Opening",
                 "--agenda", "The Concept")
    out = ok(net.secretariat(*convening, "--format", "p5+1+iran"))
    assert out.startswith("meeting@1 ") and "signed by the secretariat" in out
    meeting_id = entry_id(out)
    net.settle()
    ok(net.run("RUS", "meetings", "reply", meeting_id, "accept", "--note", "Gladly."))
    ok(net.run("IRN", "meetings", "reply", meeting_id, "propose-time",
               "--at", at(clock, 3 * DAY)))
    ok(net.run("IRN", "meetings", "propose-item", meeting_id, "--item", "Sanctions relief"))
    one_error_line(net.run("RUS", "meetings", "reply", meeting_id, "propose-time"),
                   "proposed_at", "proposing another time needs the time")
    one_error_line(net.run("IRN", "meetings", "update", meeting_id, "--place", "Tehran"),
                   "only the convener, SEC")
    ok(net.secretariat("meetings", "update", meeting_id, "--place", "Vienna",
                       "--agenda", "Opening", "--agenda", "The Concept",
                       "--agenda", "Sanctions relief"))
    out = ok(net.secretariat("meetings", "minutes", meeting_id, "--text", "The parties met.",
                             "--closes-at", at(clock, 4 * DAY)))
    minutes = entry_id(out)
    net.settle()

    items = as_json(net.run("RUS", "meetings", "--format", "json"))
    node = net.nodes.nodes["RUS"]
    assert items == [m.to_json() for m in node.consultations.meetings(clock.now())]
    item, = items
    assert {"id", "format", "level", "starts_at", "status", "acceptances", "agenda",
            "minutes"} <= set(item)
    assert (item["id"], item["format"], item["level"], item["starts_at"], item["status"]) == (
        meeting_id, "p5+1+iran", "minister", at(clock, 2 * DAY), "convened")
    assert item["acceptances"] == {p: {"RUS": "accept", "IRN": "propose-time"}.get(p)
                                   for p in P5_1_IRAN}
    assert item["agenda"] == ["Opening", "The Concept", "Sanctions relief"]
    assert item["minutes"] == {"status": "circulated", "draft": minutes,
                               "closes_at": at(clock, 4 * DAY)}
    table = ok(net.run("IRN", "meetings"))
    assert "convened · " in table and "Vienna · minister" in table
    assert "convened by SEC in p5+1+iran" in table and "minutes: circulated" in table
    readable = ok(net.run("IRN", "meetings", "show", meeting_id, "--format", "table"))
    assert "agenda (final):" in readable and "IRN: Sanctions relief" in readable

    written = tmp_path / "mine.ics"
    assert ok(net.run("IRN", "meetings", "ics", "--out", str(written))).startswith(
        "calendar written to")
    _, found = events(written.read_bytes())
    event = found[meeting_id]
    assert (str(event["location"]), int(event["sequence"])) == ("Vienna", 1)
    assert str(event.decoded("dtstart").tzinfo) == "Asia/Tehran"
    assert "Minutes: circulated" in str(event["description"])

    ok(net.secretariat("meetings", "update", meeting_id, "--cancel", "--note", "Postponed."))
    net.settle()
    assert as_json(net.run("RUS", "meetings", "show", meeting_id))["status"] == "cancelled"
    cal, found = events(net.run("RUS", "meetings", "ics", meeting_id).stdout_bytes)
    assert str(cal["method"]) == "CANCEL"
    assert (str(found[meeting_id]["status"]), int(found[meeting_id]["sequence"])) == (
        "CANCELLED", 2)
    everything = net.secretariat("meetings", "ics")
    _, found = events(everything.stdout_bytes)
    assert str(found[meeting_id]["status"]) == "CANCELLED"

    # QAT is not invited; a participant convenes only a bilateral meeting, without minutes.
    assert as_json(net.run("QAT", "meetings", "--format", "json")) == []
    one_error_line(net.run("QAT", "meetings", "show", meeting_id), "no meeting")
    one_error_line(net.run("IRN", *convening, "--format", "gcc"), "bilateral")
    one_error_line(net.run("IRN", "meetings", "convene", "--title", "T", "--level", "expert",
                           "--starts-at", "tomorrow", "--place", "Muscat", "--agenda", "A",
                           "--to", "RUS"), "--starts-at 'tomorrow'")
    bilateral = entry_id(ok(net.run("IRN", *convening, "--to", "RUS")))
    net.settle()
    one_error_line(net.run("IRN", "meetings", "minutes", bilateral, "--text", "Met.",
                           "--closes-at", at(clock, DAY)), "has no format")
    one_error_line(net.secretariat("meetings", "update", bilateral, "--place", "X"),
                   "hub refused (404")


# -- mediation ---------------------------------------------------------------------------------


def test_mediation_from_the_command_line_is_active_once_all_ask_and_ends_on_withdrawal(
        network: Callable[[Sequence[str]], Network], keys: dict[str, SigningKey],
        as_party: Callable[..., HubClient], clock: ManualClock) -> None:
    net = network(["QAT", "KWT", "OMN"])

    def request_without_node(party: str) -> None:
        draft = {"form": "mediation-request@1",
                 "audience": list(audience_of(DISPUTE, "KWT", party)),
                 "body": {"parties": DISPUTE, "mediator": "KWT"}, "refs": []}
        submit_draft(as_party(party, key=keys[party]), keys[party], party, draft, clock.now())

    out = ok(net.run("QAT", "mediation", "request", "--parties", ",".join(DISPUTE),
                     "--mediator", "KWT", "--note", "We ask Kuwait's good offices."))
    assert out.startswith("request for mediation ") and "sequenced by the hub" in out
    request_without_node("SAU")
    net.settle()
    items = as_json(net.run("KWT", "mediation", "--format", "json"))
    assert items == [{"id": MEDIATION, "parties": ["ARE", "BHR", "QAT", "SAU"],
                      "mediator": "KWT", "requested_by": ["QAT", "SAU"],
                      "status": "requested"}]
    assert [set(m) for m in items] == [set(MEDIATION_KEYS)]
    for party in ("ARE", "BHR"):
        request_without_node(party)
    net.settle()
    assert as_json(net.run("QAT", "mediation", "--format", "json"))[0]["status"] == "requested"
    ok(net.run("KWT", "mediation", "answer", MEDIATION, "accept"))
    net.settle()
    seen, = as_json(net.run("QAT", "mediation", "--format", "json"))
    assert (seen["status"], seen["requested_by"]) == ("active", ["QAT", "SAU", "ARE", "BHR"])
    assert f"{MEDIATION}  active" in ok(net.run("KWT", "mediation"))

    # OMN, the outsider, sees no mediation at all.
    assert as_json(net.run("OMN", "mediation", "--format", "json")) == []
    assert "no mediation in OMN's copy" in ok(net.run("OMN", "mediation"))
    one_error_line(net.run("OMN", "mediation", "show", MEDIATION), "no mediation")
    one_error_line(net.run("OMN", "mediation", "withdraw", MEDIATION), "no mediation")
    one_error_line(net.run("OMN", "mediation", "request", "--parties", ",".join(DISPUTE),
                           "--mediator", "KWT"), "OMN is not a party to the dispute")

    proposal = entry_id(ok(net.run("KWT", "mediation", "propose", MEDIATION, "--title",
                                   "Joint patrols", "--text", "Joint patrols from 2027.")))
    net.settle()
    ok(net.run("QAT", "mediation", "respond", proposal, "reject", "--note", "Not yet."))
    one_error_line(net.run("QAT", "mediation", "answer", MEDIATION, "decline"),
                   "only the mediator, KWT")
    one_error_line(net.run("QAT", "mediation", "request", "--parties", "QAT",
                           "--mediator", "KWT"), "parties")
    one_error_line(net.run("QAT", "mediation", "respond", "ab" * 32, "accept"),
                   "no mediator's proposal")
    net.settle()
    shown = as_json(net.run("KWT", "mediation", "show", MEDIATION))
    assert [(p["entry_id"], p["responses"]) for p in shown["proposals"]] == [
        (proposal, {"QAT": "reject"})]
    readable = ok(net.run("KWT", "mediation", "show", MEDIATION, "--format", "table"))
    assert f"proposal {proposal}: Joint patrols" in readable and "QAT    reject" in readable

    ok(net.run("QAT", "mediation", "withdraw", MEDIATION, "--reason", "Settled bilaterally."))
    net.settle()
    for party in ("QAT", "KWT"):
        seen, = as_json(net.run(party, "mediation", "--format", "json"))
        assert (seen["status"], seen["requested_by"]) == ("ended", ["SAU", "ARE", "BHR"])
    assert as_json(net.run("OMN", "mediation", "--format", "json")) == []


def test_the_secretariat_convenes_a_meeting_of_all_on_a_case_of_unusual_activity(
        network: Callable[[Sequence[str]], Network], clock: ManualClock) -> None:
    net = network(["IRN", "RUS", "QAT"])
    out = ok(net.run("RUS", "unusual", "request", "--addressee", "IRN", "--type", "naval",
                     "--description", "Fast boats massing.", "--area-name", "Strait of Hormuz",
                     "--from", at(clock, -DAY), "--concern", "Not notified."))
    case_id = entry_id(out)
    net.settle()
    ok(net.run("RUS", "unusual", "meeting", case_id, "all", "--reason", "No reply."))
    net.settle()
    convening = ("meetings", "convene", "--title", "On the Strait of Hormuz", "--level",
                 "senior-official", "--starts-at", at(clock, DAY), "--place", "online",
                 "--agenda", "The activity", "--format", "all")
    one_error_line(net.secretariat(*convening), "convened by decision")
    meeting_id = entry_id(ok(net.secretariat(*convening, "--case", case_id)))
    net.settle()
    shown = as_json(net.run("QAT", "meetings", "show", meeting_id))
    assert (shown["status"], shown["case"]) == ("convened", case_id)
    case = as_json(net.run("QAT", "unusual", "show", case_id))
    assert case["stage"] == "all-convened"
