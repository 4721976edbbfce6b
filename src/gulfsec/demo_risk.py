"""The demo's story of reducing risk, played in real time on the demo's network.

A US destroyer and IRGC fast boats meet in an unsafe encounter near the Strait of Hormuz: the
USA reports the incident to Iran and Iran answers with its own account, which disputes the
closest point of approach; both stand side by side at every node that holds them. Saudi Arabia
asks Iran to explain an unusual air activity over the central Gulf, sent to all participants;
Iran replies, and compliance judges the reply in time once it is final.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from gulfsec.domain.encoding import format_time
from gulfsec.domain.entry import ALL
from gulfsec.domain.forms.risk import INCIDENT, INCIDENT_RESPONSE, UNUSUAL, UNUSUAL_REPLY
from gulfsec.domain.procedures.risk import response_audience
from gulfsec.services.node import Node

Echo = Callable[[str], None]
Wait = Callable[[Callable[[], bool], float], bool]


def play(nodes: dict[str, Node], echo: Echo, wait: Wait) -> None:
    usa, irn, sau = nodes["USA"], nodes["IRN"], nodes["SAU"]
    now = usa.clock.now().replace(microsecond=0)
    echo("reducing risk:")
    report = usa.send(INCIDENT, ("IRN",), {
        "occurred_at": format_time(now - timedelta(hours=3)),
        "position": {"lat": 26.52, "lon": 56.41}, "area_name": "Strait of Hormuz",
        "other_party": "IRN",
        "units": [{"party": "USA", "kind": "ship", "name": "USS Example", "hull_number": "DDG-0"},
                  {"party": "IRN", "kind": "boat", "name": "IRGCN fast attack craft (5)"}],
        "cpa_metres": 140, "events": ["unsafe-manoeuvre", "weapons-aimed"],
        "signals": "Five short blasts; VHF 16 warnings unanswered.",
        "account": "Five fast attack craft approached at high speed and crossed the bow at "
                   "140 m with crew-served weapons manned."})
    echo("  USA reports an unsafe encounter of a destroyer and five IRGC fast boats near the "
         "Strait of Hormuz (closest approach 140 m)")

    def holds(node: Node, entry_id: str) -> bool:
        return any(i.id == entry_id for i in node.risk.incidents())

    wait(lambda: holds(irn, report.id_hex), 20)
    irn.send(INCIDENT_RESPONSE, response_audience(report, "IRN"), {
        "report": report.id_hex, "cpa_metres": 900,
        "disputed": "The closest point of approach: 900 m, not 140 m; no weapon was aimed.",
        "account": "IRGC Navy boats on routine patrol in Iranian waters kept a safe distance and "
                   "answered on VHF 16."}, refs=[report.id_hex])
    wait(lambda: all(len(n.risk.incident(report.id_hex).responses) == 1
                     for n in (usa, irn) if holds(n, report.id_hex)), 20)
    found = usa.risk.incident(report.id_hex)
    theirs = found.responses[0].body if found.responses else {}
    echo(f"  IRN answers with its own account: closest approach {theirs.get('cpa_metres')} m, "
         f"not {found.report.body['cpa_metres']} m — both accounts stand side by side at the "
         "USA's and Iran's nodes")
    held_elsewhere = [c for c, n in nodes.items() if c not in ("USA", "IRN")
                      and holds(n, report.id_hex)]
    echo("  it went to Iran alone: " + ("no other node holds it" if not held_elsewhere
                                      else f"yet {', '.join(held_elsewhere)} hold it"))

    request = sau.send(UNUSUAL, ALL, {
        "addressee": "IRN", "activity_type": "air",
        "description": "About forty fighter sorties over the central Gulf at night.",
        "area": {"kind": "circle", "centre": {"lat": 27.1, "lon": 51.4}, "radius_km": 90},
        "observed_from": format_time(now - timedelta(hours=10)),
        "observed_until": format_time(now - timedelta(hours=6)),
        "concern": "No such activity was notified; it came within 40 nautical miles of our "
                   "coast."})
    echo("  SAU asks IRN to explain an unusual air activity over the central Gulf "
         "(sent to all participants)")
    wait(lambda: any(c.id == request.id_hex for c in irn.risk.unusual()), 20)
    irn.send(UNUSUAL_REPLY, ALL, {
        "request": request.id_hex,
        "explanation": "A scheduled air-defence readiness drill over Iranian territory and "
                       "waters; no aircraft entered another participant's airspace."},
        refs=[request.id_hex])
    wait(lambda: all(n.risk.unusual_case(request.id_hex).stage == "replied"
                     for n in nodes.values()
                     if any(c.id == request.id_hex for c in n.risk.unusual())), 20)
    stages = {n.risk.unusual_case(request.id_hex).stage for n in nodes.values()
              if any(c.id == request.id_hex for c in n.risk.unusual())}
    echo(f"  IRN replies within the 48 hours; every node sees the case: {', '.join(stages)}")


def line_falls_silent(network: Any, echo: Echo) -> None:
    """GCC's node stops answering, and the secretariat tests GCC's line: its receipt will not
    come (shown at the end of :func:`hotline`)."""
    network.stop_node("GCC")
    if network.secretariat_hotline is not None:
        network.secretariat_hotline.send_test("GCC")
    echo("GCC's node stops answering; the secretariat sends its hotline test to GCC")


def hotline(network: Any, echo: Echo, wait: Wait) -> None:
    """Tehran and Riyadh on the hotline, with receipts; the hub holds ciphertext only; the line
    to GCC, which stopped answering, shows in alarm at the secretariat."""
    nodes: dict[str, Node] = network.nodes
    irn, sau = nodes["IRN"], nodes["SAU"]
    line = network.secretariat_hotline
    assert irn.hotline is not None and sau.hotline is not None
    echo("the hotline (end-to-end encrypted; test interval and receipt window shortened to "
         "2 and 1 minutes for the demo):")

    def keyed(node: Node, party: str) -> bool:
        assert node.hotline is not None
        return node.hotline.directory().current(party, node.clock.now()) is not None

    wait(lambda: keyed(irn, "SAU") and keyed(sau, "IRN"), 30)
    text = ("Tehran to Riyadh: the boats near the Strait are on routine patrol and under "
            "orders to keep clear of your tankers.")
    sent = irn.hotline.send(["SAU"], text, "flash")
    echo("  IRN sends a FLASH message to SAU, sealed to SAU's key")

    def state(node: Node, entry_id: str, party: str) -> str | None:
        assert node.hotline is not None
        for message in node.hotline.conversation():
            if message["entry_id"] == entry_id and message["direction"] == "sent":
                return str(message["receipts"].get(party, {}).get("state"))
        return None

    wait(lambda: state(irn, sent.id_hex, "SAU") == "received", 60)
    got = [m for m in sau.hotline.conversation() if m["entry_id"] == sent.id_hex]
    opened = bool(got) and got[0].get("text") == text
    echo(f"  SAU's node opens it ({'the text as sent' if opened else 'not yet'}) and answers "
         f"with a signed receipt: at IRN the message is {state(irn, sent.id_hex, 'SAU')}")
    answer = sau.hotline.send(["IRN"], "Riyadh to Tehran: understood; our tankers keep to "
                              "the traffic separation scheme.", "immediate")
    wait(lambda: state(sau, answer.id_hex, "IRN") == "received", 60)
    echo(f"  SAU answers (IMMEDIATE); at SAU its message is {state(sau, answer.id_hex, 'IRN')}")
    database = Path(str(network.hub.engine.url.database))
    leaked = any(text.encode() in path.read_bytes()
                 for path in database.parent.glob(database.name + "*"))  # with its WAL
    echo(f"  the hub's database files hold the text: {'yes' if leaked else 'no'} — "
         "ciphertext only")
    if line is None:
        return

    def gcc() -> dict[str, Any]:
        return next(h for h in line.line_health() if h["party"] == "GCC")

    wait(lambda: gcc()["status"] == "alarm", 150)
    health = gcc()
    echo(f"  the secretariat's page shows GCC's line in {health['status']}: "
         f"{'; '.join(health['alarms']) or 'nothing missed yet'}")
