"""Meetings, from the entries alone: who is invited, who answered, the agenda, the minutes.

A meeting's invited parties are its audience (``all``: every participant); the convener is its
sender. A step on it (a reply, a proposed agenda item, a change) counts if it is taken by an
invited party (a change: by the convener alone) and addressed to the meeting's whole company —
every invited party and the convener but the sender — so that everyone sees who accepted. A
cancellation stops everything after it. The status at ``now``: ``cancelled``, ``held`` once it
has begun, else ``convened``. The ``sequence`` (how many changes counted) numbers the
calendar updates.

**Who convenes.** The secretariat (the ``chair`` right) convenes any meeting; any participant
convenes a bilateral one (one other party, no format). A meeting of all participants needs an
adopted decision of kind ``convene``, which it names — or, under the mechanism for unusual
military activity, names the case whose requester asked for it (``case``), which the
secretariat convenes at once. A meeting about a case (an unusual activity, an incident) names it
in ``case``.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from gulfsec.domain.compliance.model import LogRecord
from gulfsec.domain.encoding import format_time, parse_time
from gulfsec.domain.entry import ALL, Audience, SignedEntry
from gulfsec.domain.forms.decisions import DRAFT
from gulfsec.domain.forms.meetings import (
    AGENDA_PROPOSAL,
    MEETING,
    MEETING_REPLY,
    MEETING_UPDATE,
)
from gulfsec.domain.forms.risk import UNUSUAL
from gulfsec.domain.regime import Regime
from gulfsec.errors import AudienceError, ProcedureError

Status = Literal["convened", "held", "cancelled"]


def company(meeting: SignedEntry) -> tuple[str, ...] | str:
    """The meeting's convener and invited parties (or ``all``)."""
    entry = meeting.entry
    return ALL if entry.audience == ALL else tuple(sorted({entry.sender, *entry.audience}))


def step_audience(meeting: SignedEntry, sender: str) -> Audience:
    """Whom a step on ``meeting`` by ``sender`` is addressed to."""
    everyone = company(meeting)
    return ALL if everyone == ALL else tuple(p for p in everyone if p != sender)


def invited(regime: Regime, meeting: SignedEntry) -> tuple[str, ...]:
    """The parties invited (all of them but the convener, for a meeting of all)."""
    entry = meeting.entry
    if entry.audience == ALL:
        return tuple(p for p in regime.participants if p != entry.sender)
    return tuple(entry.audience)


def _in_company(meeting: SignedEntry, party: str) -> bool:
    everyone = company(meeting)
    return everyone == ALL or party in everyone


@dataclass(frozen=True)
class Reply:
    party: str
    reply: str
    proposed_at: datetime | None
    note: str | None
    entry_id: str
    index: int
    sequenced_at: datetime
    final_at: datetime | None


@dataclass(frozen=True)
class Proposed:
    party: str
    item: str
    reason: str | None
    entry_id: str
    index: int


@dataclass(frozen=True)
class Meeting:
    id: str
    index: int
    convener: str
    title: str
    format: str | None
    level: str
    starts_at: datetime
    timezone: str
    duration: timedelta
    place: str
    agenda: tuple[str, ...]
    agenda_final: bool
    invited: tuple[str, ...]
    replies: Mapping[str, Reply]
    proposals: tuple[Proposed, ...]
    status: Status
    sequence: int
    decision: str | None
    case: str | None
    sequenced_at: datetime
    final_at: datetime | None
    cancelled_note: str | None = None

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + self.duration

    @property
    def online(self) -> bool:
        return self.place.strip().lower() == "online"

    def acceptances(self) -> dict[str, str | None]:
        """Each invited party's standing reply (None: not answered)."""
        return {p: (self.replies[p].reply if p in self.replies else None) for p in self.invited}

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "index": self.index, "convener": self.convener, "title": self.title,
            "format": self.format, "level": self.level,
            "starts_at": format_time(self.starts_at), "timezone": self.timezone,
            "duration_minutes": int(self.duration.total_seconds() // 60), "place": self.place,
            "status": self.status, "agenda": list(self.agenda),
            "agenda_final": self.agenda_final, "invited": list(self.invited),
            "acceptances": self.acceptances(),
            "proposed_times": {p: format_time(r.proposed_at) for p, r in self.replies.items()
                               if r.proposed_at is not None},
            "agenda_proposals": [{"party": p.party, "item": p.item, "reason": p.reason,
                                  "entry_id": p.entry_id} for p in self.proposals],
            "sequence": self.sequence, "decision": self.decision, "case": self.case,
        }


def _meeting(regime: Regime, record: LogRecord, steps: list[LogRecord],
             now: datetime) -> Meeting:
    entry = record.entry.entry
    body = dict(entry.body)
    starts_at = parse_time(str(body["starts_at"]))
    timezone_name = str(body.get("timezone", "UTC"))
    duration = timedelta(minutes=int(body.get("duration_minutes", 120)))
    place = str(body["place"])
    agenda = tuple(str(i) for i in body["agenda"])
    agenda_final = False
    replies: dict[str, Reply] = {}
    proposals: list[Proposed] = []
    sequence = 0
    cancelled: str | None = None
    is_cancelled = False
    guests = invited(regime, record.entry)
    for step in steps:
        if is_cancelled:
            break
        signed = step.entry
        sender, sbody = signed.entry.sender, signed.entry.body
        if signed.entry.audience != step_audience(record.entry, sender):
            continue
        if signed.entry.form == MEETING_UPDATE:
            if sender != entry.sender:
                continue
            sequence += 1
            if sbody.get("cancelled"):
                is_cancelled = True
                cancelled = sbody.get("note") or "cancelled by the convener"
                continue
            if sbody.get("starts_at"):
                starts_at = parse_time(str(sbody["starts_at"]))
            if sbody.get("timezone"):
                timezone_name = str(sbody["timezone"])
            if sbody.get("duration_minutes"):
                duration = timedelta(minutes=int(sbody["duration_minutes"]))
            if sbody.get("place"):
                place = str(sbody["place"])
            if sbody.get("agenda"):
                agenda = tuple(str(i) for i in sbody["agenda"])
                agenda_final = True
        elif signed.entry.form == MEETING_REPLY and sender in guests:
            proposed = sbody.get("proposed_at")
            replies[sender] = Reply(sender, str(sbody["reply"]),
                                    None if proposed is None else parse_time(str(proposed)),
                                    sbody.get("note"), signed.id_hex, step.index,
                                    step.sequenced_at, step.final_at)
        elif signed.entry.form == AGENDA_PROPOSAL and (sender in guests or
                                                       sender == entry.sender):
            proposals.append(Proposed(sender, str(sbody["item"]), sbody.get("reason"),
                                      signed.id_hex, step.index))
    status: Status = ("cancelled" if is_cancelled
                      else "held" if now >= starts_at else "convened")
    return Meeting(record.entry.id_hex, record.index, entry.sender, str(body["title"]),
                   body.get("format"), str(body["level"]), starts_at, timezone_name, duration,
                   place, agenda, agenda_final, guests, replies, tuple(proposals), status,
                   sequence, body.get("decision"), body.get("case"), record.sequenced_at,
                   record.final_at, cancelled)


def meetings(regime: Regime, records: Iterable[LogRecord], now: datetime,
             adopted: Container[str] = ()) -> list[Meeting]:
    """Every meeting the records show, the soonest first; ``adopted``: the ids of the adopted
    decisions (a meeting of all that names another is not convened: it shows as cancelled)."""
    ordered = sorted(records, key=lambda r: r.index)
    opened = {r.entry.id_hex: r for r in ordered if r.entry.entry.form == MEETING}
    steps: dict[str, list[LogRecord]] = {mid: [] for mid in opened}
    for record in ordered:
        entry = record.entry.entry
        if entry.form in (MEETING_REPLY, AGENDA_PROPOSAL, MEETING_UPDATE):
            mid = str(entry.body.get("meeting"))
            if mid in steps:
                steps[mid].append(record)
    found = []
    for mid, record in opened.items():
        meeting = _meeting(regime, record, steps[mid], now)
        if record.entry.entry.audience == ALL and meeting.decision not in adopted and not (
                meeting.case is not None and meeting.convener == regime.secretariat.code):
            meeting = replace(meeting, status="cancelled",
                              cancelled_note="not convened: the decision it names is not "
                                             "adopted")
        found.append(meeting)
    found.sort(key=lambda m: (m.starts_at, m.index))
    return found


def check_submission(signed: SignedEntry, regime: Regime, now: datetime,
                     lookup: Callable[[str], tuple[int, SignedEntry] | None]) -> None:
    """What the hub refuses of a meeting entry before it is sequenced."""
    entry = signed.entry
    body = entry.body
    if entry.form == MEETING:
        _check_convening(signed, regime, now, lookup)
        return
    if entry.form not in (MEETING_REPLY, AGENDA_PROPOSAL, MEETING_UPDATE):
        return
    found = lookup(str(body["meeting"]))
    if found is None or found[1].entry.form != MEETING:
        raise ProcedureError(f"{body['meeting']} is not a meeting in the log",
                             entry_id=signed.id_hex)
    meeting = found[1]
    if not _in_company(meeting, entry.sender):
        raise ProcedureError(f"{entry.sender} is not invited to this meeting",
                             entry_id=signed.id_hex)
    if entry.form == MEETING_UPDATE and entry.sender != meeting.entry.sender:
        raise ProcedureError(f"only the convener, {meeting.entry.sender}, changes the meeting",
                             entry_id=signed.id_hex)
    if entry.form == MEETING_REPLY and entry.sender == meeting.entry.sender:
        raise ProcedureError("the convener does not answer its own invitation",
                             entry_id=signed.id_hex)
    expected = step_audience(meeting, entry.sender)
    if entry.audience != expected:
        shown = "all" if expected == ALL else ", ".join(expected)
        raise ProcedureError(f"a step on a meeting is addressed to everyone in it: {shown}",
                             entry_id=signed.id_hex)


def _check_convening(signed: SignedEntry, regime: Regime, now: datetime,
                     lookup: Callable[[str], tuple[int, SignedEntry] | None]) -> None:
    entry = signed.entry
    body = entry.body
    starts_at = parse_time(str(body["starts_at"]))
    if starts_at <= now:
        raise ProcedureError(f"the meeting's start {format_time(starts_at)} is not in the "
                             "future", entry_id=signed.id_hex)
    fmt = body.get("format")
    chair = regime.has_right(entry.sender, "chair")
    if not chair and (fmt is not None or entry.audience == ALL or len(entry.audience) != 1):
        raise ProcedureError("a participant convenes a bilateral meeting (one other party); "
                             "the secretariat convenes the others", entry_id=signed.id_hex)
    if fmt is not None:
        try:
            members = regime.participants if fmt == ALL else regime.format_members(str(fmt))
        except AudienceError as exc:
            raise ProcedureError(exc.message, entry_id=signed.id_hex) from None
        expected: Audience = ALL if fmt == ALL else tuple(sorted(set(members) - {entry.sender}))
        if entry.audience != expected:
            shown = "all" if expected == ALL else ", ".join(expected)
            raise ProcedureError(f"a meeting of {fmt} invites its members: {shown}",
                                 entry_id=signed.id_hex)
    if entry.audience == ALL:
        decision, case = body.get("decision"), body.get("case")
        found = None if decision is None else lookup(str(decision))
        by_decision = found is not None and found[1].entry.form == DRAFT and \
            found[1].entry.body.get("kind") == "convene"
        cited = None if case is None else lookup(str(case))
        by_case = cited is not None and cited[1].entry.form == UNUSUAL
        if not (by_decision or by_case):
            raise ProcedureError("a meeting of all participants is convened by decision (name "
                                 "the adopted decision of kind convene) or on a request on "
                                 "unusual military activity (name it as the case)",
                                 entry_id=signed.id_hex)
