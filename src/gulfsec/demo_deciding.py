"""The demo's story of deciding together, played in real time on the demo's network.

The secretariat puts version 1 of the Concept of collective security to all by silence
procedure, and it is adopted at expiry. Russia proposes the updated Concept (version 2) to all
by silence procedure; Saudi Arabia proposes an amendment, which breaks silence; the chair issues
a revised draft that takes the amendment in, and every state in the log joins it: adopted by
consensus. Saudi Arabia proposes designating an entity as terrorist; Iran objects: not adopted.
The chair then states each outcome, and every node recomputes it from its own copy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from gulfsec.adapters.hubclient import HubClient
from gulfsec.domain.encoding import format_time
from gulfsec.domain.entry import SignedEntry
from gulfsec.domain.forms.decisions import AMENDMENT, DRAFT, OUTCOME, POSITION
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.procedures.decisions import Decision, draft_audience
from gulfsec.services.node import Node
from gulfsec.services.participant import submit_draft

Echo = Callable[[str], None]
Wait = Callable[[Callable[[], bool], float], bool]

PRINCIPLES = [
    ("1", "No confrontation",
     "Large-scale armed confrontation in the Persian Gulf is inadmissible. The participants "
     "settle their disputes by peaceful means, in keeping with international law and the "
     "Charter of the United Nations."),
    ("2", "Consensus",
     "The participants decide together, by consensus and compromise, in a universal and "
     "comprehensive security system that respects the interests of every regional and other "
     "party."),
    ("3", "Transparency and arms control",
     "The participants exchange military information, notify their military activities in "
     "advance and invite observers, on the model of the OSCE Vienna Document, and pursue arms "
     "control and a Middle East free of weapons of mass destruction under a strengthened "
     "non-proliferation regime."),
    ("4", "Mediation",
     "A dispute is mediated only when every party to it has asked for the same mediation."),
]
COALITION = ("5", "A single counter-terrorism coalition",
             "The participants consolidate a single counter-terrorism coalition and keep one "
             "list of designated terrorist entities, adopted by consensus.")
AMENDED = ("5", "A single counter-terrorism coalition",
           "The participants consolidate a single counter-terrorism coalition under the "
           "authority of the United Nations Security Council and keep one list of designated "
           "terrorist entities, adopted by consensus.")


def _sections(*items: tuple[str, str, str]) -> dict[str, Any]:
    return {"sections": [{"number": n, "title": t, "text": x} for n, t, x in items]}


def _draft(kind: str, title: str, text: str, procedure: str, closes_at: datetime,
           content: Mapping[str, Any] | None = None, **extra: str) -> dict[str, Any]:
    return {"kind": kind, "title": title, "text": text, "format": "all",
            "procedure": procedure, "closes_at": format_time(closes_at),
            "content": dict(content or {}), **extra}


class _Secretariat:
    """The chair, signing with the secretariat's key over the hub's API."""

    def __init__(self, hub_url: str, key: SigningKey, code: str, now: Callable[[], datetime],
                 audience: Any) -> None:
        self.client = HubClient(hub_url, party=code, key=key)
        self.key = key
        self.code = code
        self.now = now
        self.audience = audience

    def sign(self, form: str, body: Mapping[str, Any], refs: list[str]) -> SignedEntry:
        draft = {"form": form, "audience": self.audience, "body": dict(body), "refs": refs}
        signed, _ = submit_draft(self.client, self.key, self.code, draft, self.now())
        return signed


def play(hub_url: str, sec_key: SigningKey, nodes: dict[str, Node], echo: Echo,
         wait: Wait) -> None:
    """Play the story (see the module) and say what each node made of it."""
    rus, sau, irn = nodes["RUS"], nodes["SAU"], nodes["IRN"]
    regime = rus.regime
    audience = draft_audience(regime, "all")
    shown = "all" if audience == "all" else list(audience)
    chair = _Secretariat(hub_url, sec_key, regime.secretariat.code, rus.clock.now, shown)
    states = [code for code, node in nodes.items() if regime.has_right(code, "decide")]
    now = rus.clock.now().replace(microsecond=0)  # closing times are whole seconds
    echo("deciding together:")
    v1 = chair.sign(DRAFT, _draft(
        "concept", "Concept of collective security, version 1",
        "The Concept of collective security in the Persian Gulf.", "silence",
        now + timedelta(seconds=8), _sections(*PRINCIPLES)), [])
    echo("  the secretariat puts version 1 of the Concept to all by silence procedure "
         "(expiry in 8 s)")
    v2 = rus.send(DRAFT, audience, _draft(
        "concept", "Concept of collective security, version 2",
        "The updated Concept, taking account of recent events.", "silence",
        now + timedelta(seconds=30), _sections(*PRINCIPLES, COALITION)))
    echo("  RUS proposes the updated Concept (version 2) to all by silence procedure")
    entity = {"name": "Example Maritime Brigade", "entity_type": "organisation",
              "grounds": "Attacks on merchant shipping in the Strait of Hormuz.",
              "aliases": [{"name": "كتيبة المثال البحرية", "script": "Arab"},
                          {"name": "تیپ دریایی نمونه", "script": "Arab"}],
              "references": ["Report of the Panel of Experts, 2026"]}
    listing = sau.send(DRAFT, audience, _draft(
        "designation", "Designation of the Example Maritime Brigade",
        "The participants designate the entity as terrorist.", "consensus",
        now + timedelta(seconds=20), entity))
    echo("  SAU proposes designating the Example Maritime Brigade, by consensus")

    def held(node: Node, signed: SignedEntry) -> bool:
        with node.uow() as uow:
            return uow.repo.entry_by_id(signed.id) is not None

    wait(lambda: all(held(n, v2) and held(n, listing) for n in nodes.values()), 20)
    sau.send(AMENDMENT, audience, {"draft": v2.id_hex, "text": "As drafted, with section 5 "
                                   "placing the coalition under the Security Council."},
             refs=[v2.id_hex])
    echo("  SAU proposes an amendment to section 5: silence is broken")
    irn.send(POSITION, audience, {"draft": listing.id_hex, "position": "object",
                                  "reason": "The grounds have not been shown to us."},
             refs=[listing.id_hex])
    for code in states:
        if code != "IRN":
            nodes[code].send(POSITION, audience, {"draft": listing.id_hex, "position": "join"},
                             refs=[listing.id_hex])
    echo("  IRN objects to the designation; the other states join it")
    wait(lambda: all(held(n, v1) for n in nodes.values()), 20)
    revised = chair.sign(DRAFT, _draft(
        "concept", "Concept of collective security, version 2 (revised)",
        "The updated Concept, with Saudi Arabia's amendment to section 5.", "consensus",
        now + timedelta(seconds=24), _sections(*PRINCIPLES, AMENDED), revises=v2.id_hex),
        [v2.id_hex])
    echo("  the chair issues a revised draft with the amendment, by consensus; every state "
         "joins it")
    wait(lambda: all(held(n, revised) for n in nodes.values()), 20)
    for code in states:
        statement = ("Without prejudice to our national position on the Council's role."
                     if code == "IRN" else None)
        body: dict[str, Any] = {"draft": revised.id_hex, "position": "join"}
        if statement:
            body["statement"] = statement
        nodes[code].send(POSITION, audience, body, refs=[revised.id_hex])

    drafts = [("Concept version 1", v1), ("Concept version 2 (RUS)", v2),
              ("Concept version 2 (revised)", revised), ("designation", listing)]

    last_close = now + timedelta(seconds=31)  # the chair speaks from the second after closing

    def decided() -> bool:
        at = rus.clock.now()
        return at >= last_close and all(n.decisions.decision(d.id_hex, at).decided
                   for n in nodes.values() for _, d in drafts if held(n, d))

    wait(decided, 120)
    at = rus.clock.now()
    for label, signed in drafts:
        found: Decision = rus.decisions.decision(signed.id_hex, at)
        if found.status in ("adopted", "not-adopted"):
            chair.sign(OUTCOME, {"draft": signed.id_hex, "outcome": found.status},
                       [signed.id_hex])
        echo(f"  {label}: {found.status} — {found.why}")
    def lagging() -> list[str]:
        """The nodes that judge a draft decided but do not hold the chair's outcome yet."""
        at = rus.clock.now()
        return sorted({code for code, n in nodes.items() for _, d in drafts if held(n, d)
                       and (found := n.decisions.decision(d.id_hex, at)).chair is None
                       and found.status in ("adopted", "not-adopted")})

    agree = wait(lambda: not lagging(), 120)
    contradictions = sorted({code for code, n in nodes.items()
                             for d in n.decisions.decisions(rus.clock.now()) if d.contradiction})
    if agree and not contradictions:
        verdict = "all agree"
    elif contradictions:
        verdict = f"the chair contradicts the entries at {', '.join(contradictions)}"
    else:
        verdict = f"not all agree yet: waiting at {', '.join(lagging())}"
    echo(f"  the chair states each outcome; every node recomputes it: {verdict}")
    versions = rus.decisions.concept_versions(rus.clock.now())
    echo(f"  the Concept is at version {len(versions)}"
         + (f" ({versions[-1].decision.title})" if versions else ""))
    listed = rus.decisions.designation_list(rus.clock.now())
    echo(f"  designation list: {len(listed.current)} entit"
         f"{'y' if len(listed.current) == 1 else 'ies'}")
    chair.client.close()
