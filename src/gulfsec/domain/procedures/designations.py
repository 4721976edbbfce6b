"""The counter-terrorism designation list, folded from the adopted decisions.

An adopted ``designation`` puts an entity on the list; an adopted ``delisting`` naming it takes
it off. The list and its whole history are functions of the decisions, so anyone recomputes
them from its own copy; the public page publishes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from gulfsec.domain.encoding import format_time
from gulfsec.domain.procedures.decisions import Decision


@dataclass(frozen=True)
class Designated:
    """An entity on the list (or once on it)."""

    designation: str
    """The id of the draft decision that designated it."""
    name: str
    aliases: tuple[tuple[str, str], ...]
    """(name, ISO 15924 script) pairs."""
    entity_type: str
    grounds: str
    references: tuple[str, ...]
    designated_at: datetime
    proposer: str
    delisted_at: datetime | None = None
    delisting: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"designation": self.designation, "name": self.name,
                "aliases": [{"name": n, "script": s} for n, s in self.aliases],
                "entity_type": self.entity_type, "grounds": self.grounds,
                "references": list(self.references),
                "designated_at": format_time(self.designated_at), "proposer": self.proposer,
                "delisted_at": None if self.delisted_at is None
                else format_time(self.delisted_at),
                "delisting": self.delisting}


@dataclass(frozen=True)
class Event:
    action: Literal["designated", "delisted"]
    at: datetime
    decision: str
    entity: str
    """The name of the entity."""
    designation: str

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action, "at": format_time(self.at), "decision": self.decision,
                "entity": self.entity, "designation": self.designation}


@dataclass(frozen=True)
class DesignationList:
    entities: tuple[Designated, ...]
    """Everyone ever designated, in the order designated."""
    history: tuple[Event, ...]

    @property
    def current(self) -> tuple[Designated, ...]:
        return tuple(e for e in self.entities if e.delisted_at is None)


def designation_list(decisions: Iterable[Decision]) -> DesignationList:
    adopted = sorted((d for d in decisions if d.status == "adopted"
                      and d.kind in ("designation", "delisting")),
                     key=lambda d: (d.closes_at, d.index))
    entities: dict[str, Designated] = {}
    history: list[Event] = []
    for d in adopted:
        c = d.content
        if d.kind == "designation":
            entities[d.id] = Designated(
                d.id, str(c["name"]),
                tuple((str(a["name"]), str(a["script"])) for a in c.get("aliases", [])),
                str(c["entity_type"]), str(c["grounds"]),
                tuple(str(r) for r in c.get("references", [])), d.closes_at, d.proposer)
            history.append(Event("designated", d.closes_at, d.id, str(c["name"]), d.id))
            continue
        target = entities.get(str(c["designation"]))
        if target is None or target.delisted_at is not None:
            continue  # names no entity on the list: it changes nothing
        entities[target.designation] = replace(target, delisted_at=d.closes_at,
                                               delisting=d.id)
        history.append(Event("delisted", d.closes_at, d.id, target.name, target.designation))
    return DesignationList(tuple(entities.values()), tuple(history))
