"""Mediation only when every party asks: the state of each mediation, from the entries alone.

A mediation is a dispute (its parties, as a set) and a mediator. Its state is a fold over the
steps on it in log order — a pure function every node recomputes from its own copy:

- a party's **request** stands until it **withdraws** it;
- the mediator's **answer** (accept or decline) stands until it answers again, or until the
  mediation ends (then a new round needs a new acceptance);
- the mediation is **active** while every party's request stands and the mediator's standing
  answer is to accept; when a request is withdrawn (or the mediator declines) while it is
  active, it **ends** at once;
- otherwise it is **declined** (the mediator's standing answer), **requested** (some request
  stands), or **ended** (none does).

A step counts only if it is taken by whom it may be (a request or withdrawal by a party, an
answer or a proposal by the mediator, a response by a party) and addressed to exactly the
dispute's parties and the mediator but its sender — nobody else learns that mediation was asked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from gulfsec.domain.compliance.model import LogRecord
from gulfsec.domain.entry import SignedEntry
from gulfsec.domain.forms.mediation import (
    ANSWER,
    FORMS_OF_MEDIATION,
    PROPOSAL,
    REQUEST,
    RESPONSE,
    WITHDRAWAL,
)
from gulfsec.domain.regime import Regime
from gulfsec.errors import ProcedureError

Status = Literal["requested", "active", "ended", "declined"]
STATUSES: tuple[Status, ...] = ("requested", "active", "ended", "declined")
EventKind = Literal["request", "withdraw", "accept", "decline"]


def mediation_id(parties: Iterable[str], mediator: str) -> str:
    """A mediation's name: its parties in order, then its mediator (``QAT+SAU/KWT``)."""
    return "+".join(sorted(parties)) + "/" + mediator


def audience_of(parties: Iterable[str], mediator: str, sender: str) -> tuple[str, ...]:
    """Whom a step on the mediation is addressed to: its parties and mediator, but the sender."""
    return tuple(sorted({*parties, mediator} - {sender}))


@dataclass(frozen=True)
class Event:
    """One counted step that moves the state: ``party`` is the sender."""

    index: int
    kind: EventKind
    party: str


@dataclass(frozen=True)
class State:
    requests: tuple[str, ...] = ()
    """Parties whose request stands, in the order they asked."""
    answer: Literal["accept", "decline"] | None = None
    active: bool = False
    ended: bool = False
    """Whether an active mediation ended and none has begun since."""


def step(state: State, event: Event, parties: frozenset[str]) -> State:
    """The state after ``event`` (already known to be taken by whom it may be)."""
    requests, answer, active, ended = state.requests, state.answer, state.active, state.ended
    if event.kind == "request":
        if event.party not in requests:
            requests = (*requests, event.party)
    elif event.kind == "withdraw":
        requests = tuple(p for p in requests if p != event.party)
    else:
        answer = event.kind
    now_active = set(requests) == parties and answer == "accept"
    if active and not now_active:
        return State(requests, None if answer == "accept" else answer, False, True)
    if now_active:
        ended = False
    return State(requests, answer, now_active, ended)


def status_of(state: State) -> Status:
    if state.active:
        return "active"
    if state.ended:
        return "ended"
    if state.answer == "decline":
        return "declined"
    return "requested" if state.requests else "ended"


def fold(parties: Iterable[str], events: Iterable[Event]) -> State:
    """The state after ``events`` in order."""
    members = frozenset(parties)
    state = State()
    for event in events:
        state = step(state, event, members)
    return state


@dataclass(frozen=True)
class Tabled:
    """A proposal the mediator tabled, with each party's latest response."""

    entry_id: str
    index: int
    title: str
    text: str
    responses: Mapping[str, str]


@dataclass(frozen=True)
class Mediation:
    id: str
    parties: tuple[str, ...]
    mediator: str
    requested_by: tuple[str, ...]
    status: Status
    answer: str | None
    events: tuple[Event, ...]
    proposals: tuple[Tabled, ...] = ()
    first_index: int = 0
    last_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "parties": list(self.parties), "mediator": self.mediator,
                "requested_by": list(self.requested_by), "status": self.status,
                "answer": self.answer,
                "steps": [{"index": e.index, "step": e.kind, "party": e.party}
                          for e in self.events],
                "proposals": [{"entry_id": p.entry_id, "index": p.index, "title": p.title,
                               "text": p.text, "responses": dict(p.responses)}
                              for p in self.proposals]}


def _key(body: Mapping[str, Any]) -> tuple[frozenset[str], str] | None:
    parties = body.get("parties")
    mediator = body.get("mediator")
    if not isinstance(parties, list) or not isinstance(mediator, str):
        return None
    return frozenset(str(p) for p in parties), mediator


def _well_addressed(signed: SignedEntry, parties: frozenset[str], mediator: str) -> bool:
    return signed.entry.audience == audience_of(parties, mediator, signed.entry.sender)


def mediations(records: Iterable[LogRecord]) -> list[Mediation]:
    """Every mediation the records show, the most recently moved first."""
    ordered = sorted((r for r in records if r.entry.entry.form in FORMS_OF_MEDIATION),
                     key=lambda r: r.index)
    events: dict[tuple[frozenset[str], str], list[Event]] = {}
    last: dict[tuple[frozenset[str], str], LogRecord] = {}
    tabled: dict[tuple[frozenset[str], str], list[LogRecord]] = {}
    proposal_of: dict[str, tuple[frozenset[str], str]] = {}
    responses: dict[str, dict[str, str]] = {}
    for record in ordered:
        entry = record.entry.entry
        if entry.form == RESPONSE:
            key = proposal_of.get(str(entry.body.get("proposal")))
            if key is None or entry.sender not in key[0] or entry.audience != audience_of(
                    key[0], key[1], entry.sender):
                continue
            responses.setdefault(str(entry.body["proposal"]), {})[entry.sender] = str(
                entry.body["response"])
            last[key] = record
            continue
        key = _key(entry.body)
        if key is None or not _well_addressed(record.entry, *key):
            continue
        parties, mediator = key
        kind: EventKind | None = None
        if entry.form in (REQUEST, WITHDRAWAL) and entry.sender in parties:
            kind = "request" if entry.form == REQUEST else "withdraw"
        elif entry.form == ANSWER and entry.sender == mediator:
            kind = "accept" if entry.body.get("answer") == "accept" else "decline"
        elif entry.form == PROPOSAL and entry.sender == mediator:
            if fold(parties, events.get(key, [])).active:
                tabled.setdefault(key, []).append(record)
                proposal_of[record.entry.id_hex] = key
                last[key] = record
            continue
        if kind is None:
            continue
        events.setdefault(key, []).append(Event(record.index, kind, entry.sender))
        last[key] = record
    found = []
    for key, steps in events.items():
        parties, mediator = key
        state = fold(parties, steps)
        proposals = tuple(
            Tabled(r.entry.id_hex, r.index, str(r.entry.entry.body["title"]),
                   str(r.entry.entry.body["text"]), responses.get(r.entry.id_hex, {}))
            for r in tabled.get(key, []))
        found.append(Mediation(mediation_id(parties, mediator), tuple(sorted(parties)),
                               mediator, state.requests, status_of(state), state.answer,
                               tuple(steps), proposals, steps[0].index,
                               last[key].sequenced_at))
    found.sort(key=lambda m: -(last[(frozenset(m.parties), m.mediator)].index))
    return found


def check_submission(signed: SignedEntry, regime: Regime,
                     lookup: Callable[[str], tuple[int, SignedEntry] | None]) -> None:
    """What the hub refuses of a mediation step before it is sequenced: a step by someone who
    may not take it, or addressed to anyone but the dispute's parties and the mediator."""
    entry = signed.entry
    if entry.form not in FORMS_OF_MEDIATION:
        return
    if entry.form == RESPONSE:
        found = lookup(str(entry.body["proposal"]))
        if found is None or found[1].entry.form != PROPOSAL:
            raise ProcedureError(f"{entry.body['proposal']} is not a mediator's proposal in "
                                 "the log", entry_id=signed.id_hex)
        key = _key(found[1].entry.body)
        assert key is not None
        if entry.sender not in key[0]:
            raise ProcedureError("only a party to the dispute answers the mediator's proposal",
                                 entry_id=signed.id_hex)
    else:
        key = _key(entry.body)
        assert key is not None  # the form's model holds parties and mediator
        unknown = sorted(p for p in {*key[0], key[1]} if p not in regime.parties())
        if unknown:
            raise ProcedureError(f"no participant {', '.join(unknown)} in this regime",
                                 entry_id=signed.id_hex)
        if entry.form in (REQUEST, WITHDRAWAL) and entry.sender not in key[0]:
            raise ProcedureError(f"{entry.sender} is not a party to the dispute: only its "
                                 "parties ask for mediation", entry_id=signed.id_hex)
        if entry.form in (ANSWER, PROPOSAL) and entry.sender != key[1]:
            raise ProcedureError(f"only the mediator, {key[1]}, answers or tables proposals",
                                 entry_id=signed.id_hex)
    expected = audience_of(key[0], key[1], entry.sender)
    if entry.audience != expected:
        raise ProcedureError("a step on a mediation is addressed to exactly the dispute's "
                             f"parties and the mediator: {', '.join(expected)}",
                             entry_id=signed.id_hex)
