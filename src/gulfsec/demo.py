"""``gulfsec demo``: a hub and participants' nodes on loopback with SQLite, and a scenario drawn
from the seeds.

Each participant runs its own node (its keys, its own database, its own verified copy). The
nodes register with the hub and the secretariat admits them after the fingerprint check; Russia
proposes a P5+1 + Iran meeting on the Persian Gulf security concept, Iran and Russia consult
bilaterally on the joint naval exercise, Saudi Arabia calls for better relations with Iran,
the GCC shares a statement. Every node verifies what it receives, acknowledges it with a signed
entry, and cosigns checkpoints as a witness until each entry is final. Qatar's node is shown to
hold nothing of the Iran–Russia thread. Then the parties meet, mediate
(:mod:`gulfsec.demo_meeting`) and decide together (:mod:`gulfsec.demo_deciding`): the Concept's
versions 1 and 2, a designation refused, a meeting's minutes, a mediation all its parties
asked for; and they reduce risk (:mod:`gulfsec.demo_risk`): an incident at sea with both
accounts, an unusual activity explained, the hotline between Tehran and Riyadh with receipts,
and a line that falls silent.
"""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import uvicorn

from gulfsec import demo_deciding as deciding
from gulfsec import demo_meeting as meeting
from gulfsec import demo_risk as risk
from gulfsec.adapters.hubclient import HubClient
from gulfsec.bootstrap import (
    build_hub_app,
    build_node_app,
    init_hub,
    init_node,
    open_hub,
    open_node,
    open_secretariat_hotline,
)
from gulfsec.config import Settings, load_settings
from gulfsec.domain.entry import ALL, Audience, SignedEntry
from gulfsec.domain.keys import SigningKey
from gulfsec.errors import ConfigError
from gulfsec.services.hub import Hub
from gulfsec.services.hub.hotline import SecretariatHotline
from gulfsec.services.hub.registrations import admit, find_registration
from gulfsec.services.node import Node
from gulfsec.services.participant import audit_log
from gulfsec.services.shared.accounts import create_account

Echo = Callable[[str], None]
PARTIES = ("IRN", "SAU", "QAT", "RUS", "USA", "GCC")
SYNC_INTERVAL_S = 0.5


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the main thread keeps Ctrl-C
        pass


GRACE_S = 5
"""How long a stopping server waits for open responses (a page's event stream stays open until
the reader leaves) before it closes them."""


def _start_server(app: Any, port: int, what: str) -> tuple[_Server, threading.Thread]:
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                    access_log=False, timeout_graceful_shutdown=GRACE_S))
    thread = threading.Thread(target=server.run, name=f"gulfsec-demo-{what}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise ConfigError(f"the {what} could not listen on 127.0.0.1:{port} "
                              "(is the port in use? try --port)")
        time.sleep(0.05)
    return server, thread


def _settings(directory: Path, regime: Path | None = None, **extra: Any) -> Settings:
    # The demo is always SQLite in its own directory with the packaged regime (or the demo's
    # copy of it) and fresh keys: a GULFSEC_DATABASE_URL, GULFSEC_LOG_KEY_FILE or
    # GULFSEC_REGIME_PATH meant for a real hub must not be picked up (a second run would find
    # the first run's log signed by another key).
    return load_settings(data_dir=directory, env="development", database_url=None,
                         log_key_file=None, regime_path=regime, **extra)


HOTLINE_MINUTES = (2, 1)
"""The demo's hotline test interval and receipt window, in minutes (the regime's are 60 and 5):
short enough to see a missed receipt raise its alarm while the demo runs."""


def demo_regime(directory: Path) -> Path:
    """The packaged Gulf regime with the hotline's timings shortened for the demo, written to
    ``directory``."""
    text = (resources.files("gulfsec") / "regimes" / "gulf.toml").read_text(encoding="utf-8")
    interval, receipt = HOTLINE_MINUTES
    text = re.sub(r"(?m)^test_interval_minutes = \d+", f"test_interval_minutes = {interval}",
                  text)
    text = re.sub(r"(?m)^receipt_minutes = \d+", f"receipt_minutes = {receipt}", text)
    path = directory / "regime.toml"
    path.write_text(text, encoding="utf-8")
    return path


DEMO_PASSWORD = "gulfsec-demo-password"
"""The demo's delegates sign in with this password (accounts named officer and viewer on each
node, secretariat on the hub). A demo convenience, never used outside the demo."""


@dataclass
class Network:
    """A hub and participants' nodes served on loopback, each with its own SQLite database."""

    directory: Path
    hub: Hub
    secretariat_key: SigningKey
    hub_url: str
    nodes: dict[str, Node]
    node_urls: dict[str, str]
    servers: list[tuple[_Server, threading.Thread]]
    secretariat_hotline: SecretariatHotline | None = None
    stopped: set[str] = field(default_factory=set)
    """Parties whose node was stopped (:meth:`stop_node`)."""

    def stop_node(self, party: str) -> None:
        """Stop serving ``party``'s node: it no longer syncs, answers or tests its line (its
        copy stays readable)."""
        self.stopped.add(party)
        server, thread = self.servers[1 + list(self.nodes).index(party)]
        server.should_exit = True
        thread.join(timeout=15)

    def stop(self) -> None:
        # Nodes first, then the hub they talk to.
        for server, thread in reversed(self.servers):
            server.should_exit = True
            thread.join(timeout=15)
        for node in self.nodes.values():
            node.close()

    def wait(self, condition: Callable[[], bool], timeout: float = 30) -> bool:
        return _wait(condition, timeout)


def start_network(directory: Path, parties: Sequence[str], *, port: int,
                  echo: Echo | None = None, accounts: bool = True,
                  regime: Callable[[Path], Path] | None = None) -> Network:
    """Set up and start a hub and one node per party on 127.0.0.1 from ``port`` upwards.

    The secretariat admits each party's registration (the fingerprint check is the demo's
    own); with ``accounts``, each node gets an ``officer`` and a ``viewer`` account and the
    hub a ``secretariat`` account, all with :data:`DEMO_PASSWORD`. ``regime`` writes the
    regime every process uses into the directory (the packaged one if not given). The hub runs
    the secretariat's end of the hotline.
    """
    say = echo or (lambda _text: None)
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    regime_path = None if regime is None else regime(directory)
    hub_settings = _settings(directory / "hub", regime_path)
    _, sec = init_hub(hub_settings)
    hub = open_hub(hub_settings)
    if accounts:
        create_account(hub.engine, "secretariat", DEMO_PASSWORD, "secretariat")
    line = open_secretariat_hotline(hub_settings, hub)
    servers = [_start_server(build_hub_app(hub, hotline=line), port, "hub")]
    url = f"http://127.0.0.1:{port}"
    network = Network(directory, hub, sec, url, {}, {}, servers, line)
    try:
        node_ports = {party: port + 1 + i for i, party in enumerate(parties)}
        say("participants set up their nodes; the secretariat compares fingerprints and admits:")
        for party in parties:
            result = init_node(_settings(directory / "nodes" / party, regime_path), party, url,
                               hub.log_key.verifier)
            if not result.submitted:
                raise ConfigError(result.message)
            with HubClient(url) as client:
                request, key = find_registration(client, party)
                if key.fingerprint != result.key.verifier.fingerprint:
                    raise ConfigError(f"{party}'s registration at the hub is not its node's key")
                admitted = admit(client, request, sec)
            say(f"  {party:4} fingerprint {key.fingerprint[:29]}…  "
                f"admitted at index {admitted.index}")
        for party in parties:
            peers = ",".join(f"http://127.0.0.1:{p}" for q, p in node_ports.items() if q != party)
            node = open_node(_settings(directory / "nodes" / party, regime_path, peers=peers))
            network.nodes[party] = node
            if accounts and node.engine is not None:
                create_account(node.engine, "officer", DEMO_PASSWORD, "officer")
                create_account(node.engine, "viewer", DEMO_PASSWORD, "viewer")
            app = build_node_app(node, sync_interval_s=SYNC_INTERVAL_S)
            servers.append(_start_server(app, node_ports[party], f"{party} node"))
            network.node_urls[party] = f"http://127.0.0.1:{node_ports[party]}"
        _wait(lambda: all(n.status()["size"] >= len(parties) + 1
                          for n in network.nodes.values()), 30)
    except BaseException:
        network.stop()
        raise
    return network


def run_demo(demo_dir: Path, *, port: int = 8600, serve: bool = True,
             echo: Echo = print) -> None:
    echo(f"gulfsec demo: a hub and {len(PARTIES)} nodes in {demo_dir} (SQLite, Gulf regime)")
    network = start_network(demo_dir, PARTIES, port=port, echo=echo, regime=demo_regime)
    hub, nodes, url = network.hub, network.nodes, network.hub_url
    try:
        _scenario(nodes, echo)
        _transparency(nodes, echo)
        story = meeting.begin(url, network.secretariat_key, nodes, echo, _wait)
        deciding.play(url, network.secretariat_key, nodes, echo, _wait)
        risk.line_falls_silent(network, echo)
        meeting.finish(story, url, network.secretariat_key, nodes, echo, _wait)
        risk.play(nodes, echo, _wait)
        risk.hotline(network, echo, _wait)
        _quiet(network, echo)
        _compliance_table(hub, echo)
        with HubClient(url) as public:
            report = audit_log(public, hub.log_key.verifier)
        echo(f"  the whole log ({report.size} entries) verifies against its signed checkpoint")
        echo("")
        echo("Open the pages (sign in with the password below):")
        echo(f"  hub, public        {url}/")
        echo(f"  hub, secretariat   {url}/secretariat   as secretariat")
        for party, node_url in network.node_urls.items():
            echo(f"  node {party:4}          {node_url}/inbox   as officer (signs and sends) "
                 "or viewer")
        echo(f"  password: {DEMO_PASSWORD}")
        echo(f"API docs {url}/v1/docs; verify the log yourself: gulfsec verify-log --hub {url} "
             f"--log-key {demo_dir}/hub/log.vkey")
        echo(f"re-check a node's copy:  gulfsec --data-dir {demo_dir}/nodes/IRN verify")
        if serve:
            echo("Press Ctrl-C to stop.")
            while network.servers[0][1].is_alive():
                network.servers[0][1].join(timeout=0.5)
    except KeyboardInterrupt:
        echo("stopping")
    finally:
        network.stop()


def _day(offset: int) -> str:
    return (datetime.now(UTC) + timedelta(days=offset)).date().isoformat()


def _transparency(nodes: dict[str, Node], echo: Echo) -> None:
    """Military transparency (seed 001): annual exchanges, notified activities, observers
    invited, arms transfers reported by both sides of a transfer."""
    echo("military transparency:")
    next_year = datetime.now(UTC).year + 1
    for party in ("IRN", "SAU", "QAT", "RUS", "USA"):
        nodes[party].send("annual-exchange@1", ALL, {
            "year": next_year,
            "command_organisation": [{"ref": "GS", "name": "General Staff"}],
            "units": [],
        })
    echo(f"  IRN, SAU, QAT, RUS, USA file their annual exchange of information for {next_year}")
    exercise = nodes["IRN"].send("activity-notification@1", ALL, {
        "kind": "naval", "name": "Maritime Security Belt",
        "purpose": "Joint naval exercise of Iran, Russia and China for the security of "
                   "navigation (seed 002).",
        "start": _day(60), "end": _day(64),
        "area": {"kind": "circle", "centre": {"lat": 25.6, "lon": 57.8}, "radius_km": 80},
        "forces": {"major_surface_combatants": 11, "submarines": 1, "troops": 2400},
        "participating_states": ["CHN", "RUS"],
    })
    echo("  IRN notifies the Iran–Russia–China naval exercise 60 days ahead "
         "(11 major surface combatants, a submarine)")
    nodes["IRN"].send("observation-invitation@1", ALL, {
        "notification": exercise.id_hex, "programme": "Day 1: briefing at sea; day 2: firing.",
        "arrival": _day(59), "arrival_point": "Bandar Abbas", "departure": _day(62),
        "observers_per_state": 2, "reply_by": _day(45),
    }, refs=(exercise.id_hex,))
    echo("  IRN invites observers from every participating state")
    nodes["SAU"].send("activity-notification@1", ALL, {
        "kind": "land", "name": "Northern Shield", "purpose": "Land forces exercise.",
        "start": _day(20), "end": _day(25),
        "area": {"kind": "circle", "centre": {"lat": 28.4, "lon": 45.9}, "radius_km": 60},
        "forces": {"troops": 12000, "battle_tanks": 180},
    })
    echo("  SAU notifies a 12,000-troop land exercise only 20 days ahead (42 are owed)")
    last_year = datetime.now(UTC).year - 1
    nodes["USA"].send("arms-transfers@1", ALL, {
        "year": last_year, "nil_report": False,
        "exports": [{"partner": "SAU", "category": "I", "quantity": 50}],
    })
    nodes["SAU"].send("arms-transfers@1", ALL, {
        "year": last_year, "nil_report": False,
        "imports": [{"partner": "USA", "category": "I", "quantity": 45}],
    })
    echo(f"  USA reports 50 battle tanks exported to SAU in {last_year}; SAU reports 45 imported")
    sent = 10
    done = _wait(lambda: all(
        n.status()["final_size"] >= n.status()["size"] and n.status()["outbox_pending"] == 0
        for n in nodes.values()), 45)
    echo(f"  {sent} entries {'final' if done else 'not all final yet'}")


def _compliance_table(hub: Any, echo: Echo) -> None:
    from gulfsec.domain.compliance import to_table
    from gulfsec.services.hub.records import HubRecords
    from gulfsec.services.shared.records import Compliance

    findings = Compliance(hub.regime, HubRecords(hub)).findings(datetime.now(UTC))
    counts = Counter(f.status for f in findings)
    acks = sum(1 for f in findings if f.rule == "acknowledgement" and f.status == "met")
    echo("compliance, as the secretariat sees the whole log (every node computes its own from "
         "its copy: gulfsec --data-dir <node> compliance):")
    echo("  " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
         + f" — of which {acks} acknowledgements in time, not listed")
    quiet = {("acknowledgement", "met"), ("acknowledgement", "pending"),
             ("annual-exchange", "pending")}
    shown = [f for f in findings if (f.rule, f.status) not in quiet]
    for line in to_table(shown).splitlines():
        echo("  " + line)
    waiting = sorted(f.party for f in findings
                     if f.rule == "annual-exchange" and f.status == "pending")
    if waiting:
        echo(f"  annual exchange still pending (due 15 December) for {', '.join(waiting)}")
    unacked = sorted({f.party for f in findings
                      if f.rule == "acknowledgement" and f.status == "pending"})
    if unacked:
        echo(f"  acknowledgements still pending (due within 24 h) from {', '.join(unacked)}")
    echo("  states that run no node in this demo have not joined the log: they owe no "
         "acknowledgement, but their yearly reports are still owed")


def _quiet(network: Network, echo: Echo, timeout: float = 60) -> None:
    """Wait until the network has settled: every running node holds the whole log final, and
    for two seconds neither the log nor what any node still owes has changed, so that the
    summary below says what the pages show a moment later."""
    hub = network.hub
    nodes = {p: n for p, n in network.nodes.items() if p not in network.stopped}
    last: tuple[object, float] = (None, time.monotonic())

    def quiet() -> bool:
        nonlocal last
        size = hub.state.size
        now = (size, hub.state.finality.final_size,
               tuple((n.final_size, len(n.unacknowledged())) for n in nodes.values()))
        if now != last[0]:
            last = (now, time.monotonic())
            return False
        settled = (hub.state.finality.final_size == size
                   and all(n.final_size == size for n in nodes.values()))
        return settled and time.monotonic() - last[1] >= 2

    if not _wait(quiet, timeout):
        echo("  (the network was still settling: the pages may differ a little)")


def _wait(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def _scenario(nodes: dict[str, Node], echo: Echo) -> None:
    sent: list[tuple[str, Audience, SignedEntry]] = []

    def send(party: str, audience: Audience, subject: str, text: str,
             level: str = "expert") -> SignedEntry:
        signed = nodes[party].send("message@1", audience,
                                   {"subject": subject, "text": text, "level": level})
        sent.append((party, audience, signed))
        to = "all" if audience == ALL else ", ".join(audience)
        echo(f"  {party} → {to}: {subject}")
        return signed

    echo("scenario:")
    send("RUS", ALL, "P5+1 and Iran meeting on the Persian Gulf security concept",
         "Russia proposes a meeting of the P5+1 and Iran to advance the concept of collective "
         "security in the Persian Gulf, with steps to prevent escalation.", "minister")
    bilateral = send("IRN", ("RUS",), "Joint naval exercise",
                     "Iran confirms its participation in the joint naval exercise with Russia "
                     "and China, as an act of cooperation for peace.")
    send("SAU", ALL, "Confidence-building in the Gulf",
         "Saudi Arabia supports building confidence and security in the region.")
    send("GCC", ("IRN", "SAU"), "Statement of the Cooperation Council",
         "The GCC welcomes consultations on the security of navigation.")
    echo("nodes verify, acknowledge and cosign …")

    def settled() -> bool:
        for party, _aud, signed in sent:
            node = nodes[party]
            with node.uow() as uow:
                held = uow.repo.entry_by_id(signed.id)
            if held is None or node.final_at(held.index) is None:
                return False
            if any(u.entry_id == signed.id_hex for u in node.unacknowledged()):
                return False
        return True

    started = time.monotonic()
    done = _wait(settled, 45)
    echo(f"  {'settled' if done else 'not yet settled'} after {time.monotonic() - started:.1f} s")
    for party, audience, signed in sent:
        node = nodes[party]
        with node.uow() as uow:
            held = uow.repo.entry_by_id(signed.id)
        final = None if held is None else node.final_at(held.index)
        waiting = [u.party for u in node.unacknowledged() if u.entry_id == signed.id_hex]
        to = "all" if audience == ALL else ", ".join(audience)
        index = "?" if held is None else held.index
        echo(f"  entry {index:>3} {party} → {to}: "
             + (f"final at {final:%H:%M:%S}" if final else "not final yet")
             + (", acknowledged by every addressee" if not waiting
                else f", waiting for {', '.join(waiting)}"))
    with nodes["QAT"].uow() as uow:
        seen = uow.repo.entry_by_id(bilateral.id)
    echo("  Qatar's node holds " + ("the Iran–Russia message (wrong!)" if seen else
                                    "nothing of the Iran–Russia message: the hub never sent it"))
    alarms = sum(n.status()["alarms"] for n in nodes.values())
    echo(f"  alarms raised by the nodes: {alarms}")
