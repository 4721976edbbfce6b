"""Deciding by consensus or by silence: the outcome of a draft decision, from the entries alone.

Every rule here is a pure function of (the regime, the entries a viewer holds with their log
times, now), so every node recomputes every outcome from its own verified copy and nobody takes
the chair's or the hub's word for what was decided.

**Who decides.** The members of the draft's format (``all``: every participant) whose status
carries the ``decide`` right and who had joined the log before the draft (their first key
registered at a lower index: as for acknowledgements, :mod:`gulfsec.domain.duties`, a party
that is not in the log cannot take a position, nor hold up a consensus). A draft is addressed
to exactly its format — the members, and the secretariat, which chairs — and every step on it
(a position, an amendment, a withdrawal, a revision, the outcome) to the same audience, so that
each member sees every step and computes
the same outcome; a step addressed otherwise does not count, nor one by someone without the
standing to take it (a position by a non-member, a withdrawal by anyone but the proposer, a
revision or an outcome by anyone but the chair).

**When a step counts.** Deadlines are judged by finality time, as everywhere in gulfsec: a
step counts if it became final at or before the draft's ``closes_at``. An objection signed one
second before the expiry but final one second after it does not break silence. A member's
position is its last counted position or amendment (by log order); a position changed after
closing does not count.

**The outcome.**

- ``consensus``: adopted if at closing every member has taken a position and none objects or
  proposes an amendment (an amendment is not an acceptance of the text as it stands).
- ``silence``: adopted at expiry unless a member broke silence — an objection or an amendment
  that counts. Once broken, silence stays broken, even if the member later joins.
- ``withdrawn``: the proposer withdrew it (final before closing); ``replaced``: the chair issued
  a revised draft (``revises``) that became final before closing. Whichever came first counts.
- While the draft is not closed, or a step sequenced before closing is not final yet, it is
  ``open``.

**The chair's outcome.** The secretariat signs ``decision-outcome@1``; each node compares it to
its own result. The log's times are whole seconds (and so is a closing time), so the chair
states an outcome from the second after closing on: one sequenced in the closing second or
before, or one that disagrees, is a contradiction (the node raises ``bad_outcome``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from gulfsec.domain.compliance.model import LogRecord
from gulfsec.domain.encoding import format_time, parse_time
from gulfsec.domain.entry import ALL, Audience, SignedEntry
from gulfsec.domain.forms.decisions import AMENDMENT, DRAFT, OUTCOME, POSITION, WITHDRAWAL
from gulfsec.domain.forms.keys import REGISTRATION
from gulfsec.domain.regime import Regime
from gulfsec.errors import AudienceError, ProcedureError
from gulfsec.i18n import N_

Status = Literal["open", "adopted", "not-adopted", "withdrawn", "replaced"]
STATUSES: tuple[Status, ...] = ("open", "adopted", "not-adopted", "withdrawn", "replaced")
DECIDED: frozenset[str] = frozenset({"adopted", "not-adopted", "withdrawn", "replaced"})
SECOND = timedelta(seconds=1)
STEP_FORMS = frozenset({POSITION, AMENDMENT, WITHDRAWAL, OUTCOME})


def members(regime: Regime, format_name: str, joined: Mapping[str, int] | None = None,
            before: int | None = None) -> tuple[str, ...]:
    """The parties that take positions on a draft to ``format_name``, in the regime's order:
    those with the ``decide`` right and, given ``joined`` (party → the index of its first key
    registration) and ``before`` (the draft's index), that had joined the log before it.
    AudienceError for a format the regime does not know."""
    listed = regime.participants if format_name == ALL else regime.format_members(format_name)
    return tuple(code for code in listed if regime.has_right(code, "decide")
                 and (joined is None or before is None or joined.get(code, before) < before))


def draft_audience(regime: Regime, format_name: str) -> Audience:
    """The audience a draft to ``format_name`` (and every step on it) is addressed to."""
    if format_name == ALL:
        return ALL
    return tuple(sorted({*regime.format_members(format_name), regime.secretariat.code}))


@dataclass(frozen=True)
class Step:
    """One counted or late step on a draft, as the views show it."""

    kind: Literal["join", "stand-aside", "object", "amend", "withdraw", "revise", "outcome"]
    party: str
    entry_id: str
    index: int
    sequenced_at: datetime
    final_at: datetime | None
    counts: bool
    reason: str | None = None
    statement: str | None = None
    text: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"position": self.kind, "party": self.party, "entry_id": self.entry_id,
                "index": self.index, "sequenced_at": format_time(self.sequenced_at),
                "final_at": None if self.final_at is None else format_time(self.final_at),
                "counts": self.counts, "reason": self.reason, "statement": self.statement,
                "text": self.text}


@dataclass(frozen=True)
class ChairOutcome:
    entry_id: str
    index: int
    outcome: str
    statement: str | None
    sequenced_at: datetime


@dataclass(frozen=True)
class Decision:
    """A draft decision and where it stands at ``now``."""

    id: str
    index: int
    proposer: str
    kind: str
    title: str
    text: str
    format: str
    procedure: str
    closes_at: datetime
    amends: str | None
    revises: str | None
    content: Mapping[str, Any]
    members: tuple[str, ...]
    status: Status
    why: str
    """One line saying why the status is what it is: in English, a message marked for the
    catalogs (``N_``, named placeholders) once formatted; a page shows it through the
    ``problem`` filter, which puts the values into the translation."""
    sequenced_at: datetime
    final_at: datetime | None
    positions: Mapping[str, Step] = field(default_factory=dict)
    """Each member's position that counts (its last counted position or amendment)."""
    steps: tuple[Step, ...] = ()
    """Every step on the draft, in log order, counted or not."""
    breaking: tuple[str, ...] = ()
    """The objections and amendments that broke silence or stand against consensus (ids)."""
    replaced_by: str | None = None
    withdrawn_by: str | None = None
    chair: ChairOutcome | None = None
    contradiction: str | None = None
    """Set when the chair's signed outcome disagrees with this result (in English, as
    ``why``)."""
    awaiting_finality: bool = False

    @property
    def decided(self) -> bool:
        return self.status in DECIDED

    @property
    def waiting_for(self) -> tuple[str, ...]:
        """The members that have taken no position that counts."""
        return tuple(m for m in self.members if m not in self.positions)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "index": self.index, "proposer": self.proposer, "kind": self.kind,
            "title": self.title, "text": self.text, "format": self.format,
            "procedure": self.procedure, "status": self.status, "why": self.why,
            "closes_at": format_time(self.closes_at), "amends": self.amends,
            "revises": self.revises, "content": dict(self.content),
            "members": list(self.members),
            "positions": {m: (self.positions[m].kind if m in self.positions else None)
                          for m in self.members},
            "waiting_for": list(self.waiting_for), "breaking": list(self.breaking),
            "steps": [s.to_json() for s in self.steps],
            "replaced_by": self.replaced_by, "withdrawn_by": self.withdrawn_by,
            "chair_outcome": None if self.chair is None else {
                "entry_id": self.chair.entry_id, "outcome": self.chair.outcome,
                "statement": self.chair.statement},
            "contradiction": self.contradiction,
            "awaiting_finality": self.awaiting_finality,
            "sequenced_at": format_time(self.sequenced_at),
            "final_at": None if self.final_at is None else format_time(self.final_at),
        }


def _audience(record: LogRecord) -> Audience:
    return record.entry.entry.audience


def _counts(record: LogRecord, cutoff: datetime) -> bool:
    return record.final_at is not None and record.final_at <= cutoff


class DecisionBook:
    """The drafts a viewer holds and the steps on each, gathered from its records (any forms,
    in any order); :meth:`decision` judges one at ``now``."""

    def __init__(self, regime: Regime) -> None:
        self.regime = regime
        self.drafts: dict[str, LogRecord] = {}
        self.steps: dict[str, list[LogRecord]] = {}
        """Draft id → the records acting on it: positions, amendments, withdrawals, outcomes,
        and revised drafts."""
        self.joined: dict[str, int] = {}
        """Party → the index of its first key registration."""

    def add(self, record: LogRecord) -> None:
        entry = record.entry.entry
        if entry.form == REGISTRATION:
            party = entry.sender
            self.joined[party] = min(self.joined.get(party, record.index), record.index)
        elif entry.form == DRAFT:
            self.drafts[record.entry.id_hex] = record
            revises = entry.body.get("revises")
            if isinstance(revises, str):
                self.steps.setdefault(revises, []).append(record)
        elif entry.form in STEP_FORMS:
            draft = entry.body.get("draft")
            if isinstance(draft, str):
                self.steps.setdefault(draft, []).append(record)

    def extend(self, records: Iterable[LogRecord]) -> DecisionBook:
        for record in records:
            self.add(record)
        return self

    def decision(self, draft_id: str, now: datetime) -> Decision | None:
        record = self.drafts.get(draft_id)
        if record is None:
            return None
        return judge(self.regime, record, self.steps.get(draft_id, ()), now, self.joined)

    def decisions(self, now: datetime) -> list[Decision]:
        """Every draft, the most recent first."""
        found = [judge(self.regime, r, self.steps.get(i, ()), now, self.joined)
                 for i, r in self.drafts.items()]
        return sorted(found, key=lambda d: -d.index)


def judge(regime: Regime, draft: LogRecord, records: Iterable[LogRecord], now: datetime,
          joined: Mapping[str, int] | None = None) -> Decision:
    """Where the draft stands at ``now``, from the records acting on it (see the module);
    ``joined``: each party's first key registration (None: every member counts)."""
    entry = draft.entry.entry
    body = entry.body
    closes_at = parse_time(str(body["closes_at"]))
    base: dict[str, Any] = dict(
        id=draft.entry.id_hex, index=draft.index, proposer=entry.sender,
        kind=str(body["kind"]), title=str(body["title"]), text=str(body["text"]),
        format=str(body["format"]), procedure=str(body["procedure"]), closes_at=closes_at,
        amends=body.get("amends"), revises=body.get("revises"),
        content=body.get("content") or {}, sequenced_at=draft.sequenced_at,
        final_at=draft.final_at)
    try:
        voters = members(regime, base["format"], joined, draft.index)
        audience = draft_audience(regime, base["format"])
    except AudienceError:
        return Decision(**base, members=(), status="not-adopted",
                        why=N_("the regime has no format {format}").format(
                            format=repr(base["format"])))
    if entry.audience != audience:
        return Decision(**base, members=voters, status="not-adopted",
                        why=N_("the draft is not addressed to exactly its format"))
    ordered = sorted((r for r in records if _audience(r) == audience), key=lambda r: r.index)
    steps = tuple(s for s in (_step(regime, r, draft, voters, closes_at) for r in ordered)
                  if s is not None)
    chair = _chair(regime, ordered)
    base.update(members=voters, steps=steps, chair=chair)

    if draft.final_at is not None and draft.final_at > closes_at:
        return _with_chair(Decision(**base, status="not-adopted",
                                    why=N_("the draft became final only after it closed")))
    ends = sorted((s for s in steps if s.kind in ("withdraw", "revise") and s.counts),
                  key=lambda s: (s.final_at, s.index))
    if ends:
        end = ends[0]
        if end.kind == "withdraw":
            return _with_chair(Decision(**base, status="withdrawn", withdrawn_by=end.entry_id,
                                        why=N_("withdrawn by {party} (log #{index})").format(
                                            party=end.party, index=end.index)))
        return _with_chair(Decision(**base, status="replaced", replaced_by=end.entry_id,
                                    why=N_("replaced by the revised draft log #{index}").format(
                                        index=end.index)))
    positions = _positions(steps)
    if now < closes_at:
        return Decision(**base, positions=positions, status="open",
                        why=N_("open until {time}").format(time=format_time(closes_at)))
    unfinal = [s for s in steps if s.final_at is None and s.sequenced_at <= closes_at
               and s.kind != "outcome"]
    if draft.final_at is None or unfinal:
        return Decision(**base, positions=positions, status="open", awaiting_finality=True,
                        why=N_("closed; waiting for entries sequenced before closing to become "
                               "final"))
    if base["procedure"] == "silence":
        breaking = tuple(s.entry_id for s in steps
                         if s.counts and s.kind in ("object", "amend"))
        if breaking:
            first = next(s for s in steps if s.entry_id == breaking[0])
            broken = (N_("silence broken: {party} objected (log #{index}, final {time})")
                      if first.kind == "object" else
                      N_("silence broken: {party} proposed an amendment (log #{index}, final "
                         "{time})"))
            return _with_chair(Decision(
                **base, positions=positions, status="not-adopted", breaking=breaking,
                why=broken.format(party=first.party, index=first.index,
                                  time=format_time(first.final_at or closes_at))))
        return _with_chair(Decision(**base, positions=positions, status="adopted",
                                    why=N_("adopted: nobody broke silence before the expiry")))
    against = tuple(p.entry_id for p in positions.values() if p.kind in ("object", "amend"))
    missing = [m for m in voters if m not in positions]
    if against or missing:
        objected = ", ".join(p.party for p in positions.values()
                             if p.kind in ("object", "amend"))
        if against and missing:
            why = N_("no consensus — objected: {objected}; no position: {missing}")
        elif against:
            why = N_("no consensus — objected: {objected}")
        else:
            why = N_("no consensus — no position: {missing}")
        return _with_chair(Decision(**base, positions=positions, status="not-adopted",
                                    breaking=against, why=why.format(
                                        objected=objected, missing=", ".join(missing))))
    return _with_chair(Decision(**base, positions=positions, status="adopted",
                                why=N_("adopted by consensus: every member joined or stood "
                                       "aside")))


def _step(regime: Regime, record: LogRecord, draft: LogRecord, voters: tuple[str, ...],
          closes_at: datetime) -> Step | None:
    """The step a record takes on the draft, or None if its sender has no standing to take
    it."""
    entry = record.entry.entry
    body = entry.body

    def step(kind: Any, *, counts: bool | None = None, reason: Any = None,
             statement: Any = None, text: Any = None) -> Step:
        return Step(kind, entry.sender, record.entry.id_hex, record.index,
                    record.sequenced_at, record.final_at,
                    _counts(record, closes_at) if counts is None else counts,
                    reason, statement, text)

    if record.index <= draft.index:
        return None
    if entry.form == POSITION and entry.sender in voters:
        return step(body["position"], reason=body.get("reason"),
                    statement=body.get("statement"))
    if entry.form == AMENDMENT and entry.sender in voters:
        return step("amend", reason=body.get("reason"), text=body.get("text"))
    if entry.form == WITHDRAWAL and entry.sender == draft.entry.entry.sender:
        return step("withdraw", reason=body.get("reason"))
    if entry.form == DRAFT and regime.has_right(entry.sender, "chair") and (
            body.get("format") == draft.entry.entry.body.get("format")):
        return step("revise", text=body.get("title"))
    if entry.form == OUTCOME and entry.sender == regime.secretariat.code:
        return step("outcome", counts=True, reason=body.get("outcome"),
                    statement=body.get("statement"))
    return None


def _positions(steps: tuple[Step, ...]) -> dict[str, Step]:
    out: dict[str, Step] = {}
    for step in steps:  # in log order: the last counted one stands
        if step.counts and step.kind in ("join", "stand-aside", "object", "amend"):
            out[step.party] = step
    return out


def _chair(regime: Regime, records: list[LogRecord]) -> ChairOutcome | None:
    found = [r for r in records if r.entry.entry.form == OUTCOME
             and r.entry.entry.sender == regime.secretariat.code]
    if not found:
        return None
    last = found[-1]
    body = last.entry.entry.body
    return ChairOutcome(last.entry.id_hex, last.index, str(body["outcome"]),
                        body.get("statement"), last.sequenced_at)


def _with_chair(decision: Decision) -> Decision:
    """The decision with the chair's outcome checked against it."""
    chair = decision.chair
    if chair is None:
        return decision
    why: str | None = None
    if chair.sequenced_at <= decision.closes_at and decision.status in ("adopted",
                                                                       "not-adopted"):
        why = N_("the chair declared the draft {outcome} (log #{index}) before it closed at "
                 "{time}").format(outcome=chair.outcome, index=chair.index,
                                  time=format_time(decision.closes_at))
    elif chair.outcome != decision.status:
        why = N_("the chair declared the draft {outcome} (log #{index}), but the positions make "
                 "it {status}: {why}").format(outcome=chair.outcome, index=chair.index,
                                              status=decision.status, why=decision.why)
    if why is None:
        return decision
    return replace(decision, contradiction=why)


LONGEST = timedelta(days=366)
"""How far ahead a draft may close at the most."""


def check_submission(signed: SignedEntry, regime: Regime, now: datetime,
                     lookup: Callable[[str], tuple[int, SignedEntry] | None],
                     joined: Mapping[str, int]) -> None:
    """What the hub refuses of a decision entry before it is sequenced (``lookup``: an entry in
    the log by id, with its index; ``joined``: each party's first key registration). It
    spares delegates steps that would not count; the rules that decide are :func:`judge`'s,
    which every node applies to whatever the log holds."""
    entry = signed.entry
    body = entry.body
    if entry.form == DRAFT:
        _check_draft(signed, regime, now, lookup, joined)
        return
    if entry.form not in STEP_FORMS:
        return
    found = lookup(str(body["draft"]))
    draft = None if found is None else found[1]
    if found is None or draft is None or draft.entry.form != DRAFT:
        raise ProcedureError(f"{body['draft']} is not a draft decision in the log",
                             entry_id=signed.id_hex)
    if entry.audience != draft.entry.audience:
        raise ProcedureError("a step on a draft is addressed to the draft's whole audience, "
                             "so that every member sees it", entry_id=signed.id_hex)
    fmt = str(draft.entry.body["format"])
    closes_at = parse_time(str(draft.entry.body["closes_at"]))
    closed = f"the draft closed at {format_time(closes_at)}"
    if entry.form in (POSITION, AMENDMENT):
        if entry.sender not in members(regime, fmt, joined, found[0]):
            raise ProcedureError(f"{entry.sender} is not a member of {fmt} that decides on "
                                 "this draft (or had not joined the log before it): it has no "
                                 "position to take", entry_id=signed.id_hex)
        if now > closes_at:
            raise ProcedureError(closed, entry_id=signed.id_hex)
    elif entry.form == WITHDRAWAL:
        if entry.sender != draft.entry.sender:
            raise ProcedureError(f"only its proposer, {draft.entry.sender}, withdraws a draft",
                                 entry_id=signed.id_hex)
        if now > closes_at:
            raise ProcedureError(closed, entry_id=signed.id_hex)
    elif entry.form == OUTCOME:
        if entry.sender != regime.secretariat.code:
            raise ProcedureError("only the chair (the secretariat) states an outcome",
                                 entry_id=signed.id_hex)
        if now < closes_at + SECOND:
            raise ProcedureError(f"the draft is open until {format_time(closes_at)}; its "
                                 "outcome is stated from the next second on",
                                 entry_id=signed.id_hex)


def _check_draft(signed: SignedEntry, regime: Regime, now: datetime,
                 lookup: Callable[[str], tuple[int, SignedEntry] | None],
                 joined: Mapping[str, int]) -> None:
    entry = signed.entry
    body = entry.body
    fmt = str(body["format"])
    try:
        audience = draft_audience(regime, fmt)
        voters = members(regime, fmt)
    except AudienceError as exc:
        raise ProcedureError(exc.message, entry_id=signed.id_hex) from None
    if not [m for m in voters if m in joined]:
        raise ProcedureError(f"no member of {fmt} that decides has joined the log",
                             entry_id=signed.id_hex)
    if entry.audience != audience:
        shown = "all" if audience == ALL else ", ".join(audience)
        raise ProcedureError(f"a draft to {fmt} is addressed to exactly {shown}",
                             entry_id=signed.id_hex)
    closes_at = parse_time(str(body["closes_at"]))
    if closes_at <= now:
        raise ProcedureError(f"closes_at {format_time(closes_at)} is not in the future",
                             entry_id=signed.id_hex)
    if closes_at > now + LONGEST:
        raise ProcedureError("a draft closes within a year", entry_id=signed.id_hex)
    revises = body.get("revises")
    if isinstance(revises, str):
        logged = lookup(revises)
        old = None if logged is None else logged[1]
        if old is None or old.entry.form != DRAFT:
            raise ProcedureError(f"{revises} is not a draft decision in the log",
                                 entry_id=signed.id_hex)
        if not regime.has_right(entry.sender, "chair"):
            raise ProcedureError("only the chair issues a revised draft", entry_id=signed.id_hex)
        if old.entry.body.get("format") != fmt:
            raise ProcedureError("a revised draft goes to the same format",
                                 entry_id=signed.id_hex)
        if now > parse_time(str(old.entry.body["closes_at"])):
            raise ProcedureError("the draft it revises has closed", entry_id=signed.id_hex)
    amends = body.get("amends")
    if isinstance(amends, str):
        target = lookup(amends)
        if target is None or target[1].entry.form != DRAFT:
            raise ProcedureError(f"{amends} is not a decision in the log",
                                 entry_id=signed.id_hex)
