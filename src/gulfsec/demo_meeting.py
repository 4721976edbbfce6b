"""The demo's story of meeting and mediating, played in real time on the demo's network.

The secretariat convenes the P5+1 and Iran online, at minister level, with a draft agenda; Iran
proposes an item, the invited parties in the log accept, and the chair adopts the final agenda.
Qatar and Saudi Arabia ask Kuwait to mediate their dispute with the UAE and Bahrain; the UAE and
Bahrain have not asked yet, so the mediation is not active. Once the meeting is held, the chair
circulates its minutes, adopted by silence at expiry. The UAE, Bahrain and Kuwait join the log
(without nodes of their own: they sign through the hub's API), the UAE and Bahrain ask for
Kuwait too, Kuwait accepts, and the mediation is active — which only its parties' nodes know.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from gulfsec.adapters.hubclient import HubClient
from gulfsec.domain.encoding import format_time
from gulfsec.domain.entry import SignedEntry
from gulfsec.domain.forms.decisions import DRAFT, OUTCOME
from gulfsec.domain.forms.mediation import ANSWER, REQUEST
from gulfsec.domain.forms.meetings import AGENDA_PROPOSAL, MEETING, MEETING_REPLY, MEETING_UPDATE
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.procedures.decisions import draft_audience
from gulfsec.domain.procedures.mediation import audience_of, mediation_id
from gulfsec.domain.procedures.meetings import step_audience
from gulfsec.services.hub.registrations import admit, find_registration
from gulfsec.services.node import Node
from gulfsec.services.participant import registration_request, submit_draft

Echo = Callable[[str], None]
Wait = Callable[[Callable[[], bool], float], bool]

FORMAT = "p5+1+iran"
DISPUTE = ("ARE", "BHR", "QAT", "SAU")
MEDIATOR = "KWT"
AGENDA = ["Opening", "The updated Concept of collective security",
          "Confidence-building measures at sea"]
ITEM = "Freedom of navigation in the Strait of Hormuz"


class _Signer:
    """A party that signs through the hub's API with its own key (no node of its own)."""

    def __init__(self, hub_url: str, key: SigningKey, code: str, nodes: Mapping[str, Node]):
        self.client = HubClient(hub_url, party=code, key=key)
        self.key = key
        self.code = code
        self.clock = next(iter(nodes.values())).clock

    def sign(self, form: str, audience: Any, body: Mapping[str, Any],
             refs: list[str] | None = None) -> SignedEntry:
        shown = audience if isinstance(audience, str) else list(audience)
        draft = {"form": form, "audience": shown, "body": dict(body), "refs": refs or []}
        signed, _ = submit_draft(self.client, self.key, self.code, draft, self.clock.now())
        return signed


def _join(hub_url: str, sec_key: SigningKey, code: str,
          nodes: Mapping[str, Node]) -> _Signer:
    """Register a party's new key and admit it (the secretariat's fingerprint check)."""
    key = SigningKey.generate(code)
    now = next(iter(nodes.values())).clock.now()
    with HubClient(hub_url) as client:
        client.register(registration_request(key, code, now).raw)
        request, _ = find_registration(client, code)
        admit(client, request, sec_key)
    return _Signer(hub_url, key, code, nodes)


@dataclass
class Story:
    chair: _Signer
    meeting: SignedEntry


def begin(hub_url: str, sec_key: SigningKey, nodes: dict[str, Node], echo: Echo,
          wait: Wait) -> Story:
    """Convene the meeting and ask for mediation (not active yet)."""
    regime = next(iter(nodes.values())).regime
    chair = _Signer(hub_url, sec_key, regime.secretariat.code, nodes)
    echo("meeting and mediating:")
    starts = chair.clock.now().replace(microsecond=0) + timedelta(seconds=20)
    invited = tuple(sorted(regime.format_members(FORMAT)))
    meeting = chair.sign(MEETING, invited, {
        "title": "P5+1 and Iran on the Persian Gulf security concept", "format": FORMAT,
        "level": "minister", "starts_at": format_time(starts), "timezone": "Asia/Tehran",
        "duration_minutes": 90, "place": "online", "agenda": AGENDA})
    echo(f"  the secretariat convenes the P5+1 and Iran online, at minister level, "
         f"{len(AGENDA)} items on the draft agenda")
    in_log = [code for code in invited if code in nodes]

    def held(node: Node, signed: SignedEntry) -> bool:
        with node.uow() as uow:
            return uow.repo.entry_by_id(signed.id) is not None

    wait(lambda: all(held(nodes[c], meeting) for c in in_log), 20)
    refs = [meeting.id_hex]
    nodes["IRN"].send(AGENDA_PROPOSAL, step_audience(meeting, "IRN"),
                      {"meeting": meeting.id_hex, "item": ITEM}, refs=refs)
    echo(f"  IRN proposes an item: {ITEM}")
    for code in in_log:
        nodes[code].send(MEETING_REPLY, step_audience(meeting, code),
                         {"meeting": meeting.id_hex, "reply": "accept"}, refs=refs)
    echo(f"  {', '.join(in_log)} accept; the others invited have not joined the log")
    chair.sign(MEETING_UPDATE, step_audience(meeting, chair.code),
               {"meeting": meeting.id_hex, "agenda": [*AGENDA, ITEM]}, refs)
    echo("  the chair adopts the final agenda with Iran's item")
    for code in ("QAT", "SAU"):
        nodes[code].send(REQUEST, audience_of(DISPUTE, MEDIATOR, code),
                         {"parties": list(DISPUTE), "mediator": MEDIATOR})
    the_id = mediation_id(DISPUTE, MEDIATOR)

    def mediation_status(code: str) -> str | None:
        found = [m for m in nodes[code].consultations.mediations() if m.id == the_id]
        return found[0].status if found else None

    wait(lambda: mediation_status("QAT") == "requested"
         and len(nodes["QAT"].consultations.mediation(the_id).requested_by) == 2, 20)
    echo(f"  QAT and SAU ask KWT to mediate {' – '.join(DISPUTE)}: "
         f"{mediation_status('QAT')} — ARE and BHR have not asked")
    return Story(chair, meeting)


def finish(story: Story, hub_url: str, sec_key: SigningKey, nodes: dict[str, Node],
           echo: Echo, wait: Wait) -> None:
    """Hold the meeting, adopt its minutes by silence, and make the mediation active."""
    chair, meeting = story.chair, story.meeting
    invited_nodes = {c: n for c, n in nodes.items() if c in meeting.entry.audience}
    wait(lambda: all(m.meeting.status == "held" for n in invited_nodes.values()
                     for m in n.consultations.meetings(n.clock.now())
                     if m.meeting.id == meeting.id_hex), 60)
    regime = next(iter(nodes.values())).regime
    closes = chair.clock.now().replace(microsecond=0) + timedelta(seconds=8)
    minutes = chair.sign(DRAFT, draft_audience(regime, FORMAT), {
        "kind": "minutes", "title": "Minutes of the P5+1 and Iran meeting",
        "text": "The participants discussed the updated Concept and confidence-building "
                "measures at sea, and agreed to meet again at expert level.",
        "format": FORMAT, "procedure": "silence", "closes_at": format_time(closes),
        "content": {"meeting": meeting.id_hex}}, [])
    echo("  the meeting is held; the chair circulates its minutes by silence procedure "
         "(expiry in 8 s)")

    def minutes_decided(node: Node) -> bool:
        now = node.clock.now()
        if now < closes + timedelta(seconds=1):
            return False
        found = node.decisions.book().decision(minutes.id_hex, now)
        return found is not None and found.decided

    wait(lambda: all(minutes_decided(n) for n in invited_nodes.values()), 60)
    judged = nodes["RUS"].decisions.decision(minutes.id_hex, nodes["RUS"].clock.now())
    if judged.decided and judged.status in ("adopted", "not-adopted"):
        chair.sign(OUTCOME, draft_audience(regime, FORMAT),
                   {"draft": minutes.id_hex, "outcome": judged.status}, [minutes.id_hex])
    views = {code: n.consultations.meeting(meeting.id_hex, n.clock.now()).minutes_status
             for code, n in invited_nodes.items()}
    agreed = sorted(set(views.values()))
    echo(f"  minutes: {judged.status} — {judged.why}; "
         f"{', '.join(sorted(views))} each compute: {', '.join(agreed)}")

    joined = {code: _join(hub_url, sec_key, code, nodes) for code in ("ARE", "BHR", MEDIATOR)}
    echo("  ARE, BHR and KWT join the log (they sign through the hub's API)")
    for code in ("ARE", "BHR"):
        joined[code].sign(REQUEST, audience_of(DISPUTE, MEDIATOR, code),
                          {"parties": list(DISPUTE), "mediator": MEDIATOR})
    joined[MEDIATOR].sign(ANSWER, audience_of(DISPUTE, MEDIATOR, MEDIATOR),
                          {"parties": list(DISPUTE), "mediator": MEDIATOR, "answer": "accept"})
    the_id = mediation_id(DISPUTE, MEDIATOR)

    def status_at(code: str) -> str | None:
        found = [m for m in nodes[code].consultations.mediations() if m.id == the_id]
        return found[0].status if found else None

    wait(lambda: status_at("QAT") == "active" and status_at("SAU") == "active", 30)
    echo(f"  ARE and BHR ask KWT too, and KWT accepts: the mediation is "
         f"{status_at('QAT')} at QAT's and SAU's nodes")
    outsiders = [code for code in nodes if code not in DISPUTE and status_at(code) is None]
    echo(f"  the nodes of {', '.join(outsiders)} hold nothing of it")
