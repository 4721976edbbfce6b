"""What a node's delegates read on its pages: the inbox, one entry, the alarms. Read-only.

Every entry the node holds passed its checks when it came in (see :mod:`gulfsec.services.node`);
these views say so in plain words and re-check what is cheap to re-check (the entry's id against
its content, its leaf in the node's copy of the log). States, in the words the pages use:

- ``pending``: signed by this party, waiting in the outbox to be sequenced;
- ``sequenced``: in the log, not yet final;
- ``final``: a checkpoint covering it reached the witness quorum;
- ``acknowledged``: every addressee acknowledged it (sent), or this node did (received);
- ``overdue``: an acknowledgement owed for it is late.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final, Literal

from gulfsec.adapters import views_db
from gulfsec.adapters.node_db import NodeCheckpoint, NodeEntry, OutboxItem
from gulfsec.domain.encoding import format_time
from gulfsec.domain.entry import ALL, SignedEntry, parse_signed_entry
from gulfsec.domain.forms import FormSpec, registry
from gulfsec.domain.regime import Regime
from gulfsec.errors import GulfsecError, MalformedCheckpoint
from gulfsec.ledger.note import Checkpoint, parse_note
from gulfsec.services.node import Node, Unacknowledged, from_micros

State = Literal["pending", "sequenced", "final", "acknowledged", "overdue"]
STATES: Final[tuple[State, ...]] = ("pending", "sequenced", "final", "acknowledged", "overdue")
STATE_WORDS: Final[Mapping[str, str]] = {
    "pending": "waiting to be sent",
    "sequenced": "sequenced, not yet final",
    "final": "final",
    "acknowledged": "acknowledged",
    "overdue": "acknowledgement overdue",
}
Direction = Literal["all", "received", "sent"]
DIRECTIONS: Final[tuple[Direction, ...]] = ("all", "received", "sent")
ACKNOWLEDGEMENT: Final = "acknowledgement@1"
PAGE_SIZE: Final = 50
_MAX_RAW = 1 << 22


# -- small helpers -----------------------------------------------------------------------------


def party_name(regime: Regime, code: str, language: str = "en") -> str:
    """A party's name in ``language`` (English when none is given), or the code itself."""
    found = regime.participants.get(code)
    if found is not None:
        return found.name_in(language)
    if code == regime.secretariat.code:
        return regime.secretariat.name
    return code


def form_title(form: str) -> str:
    spec = registry().get(form)
    return form if spec is None else spec.title


def summarise(form: str, body: Mapping[str, Any]) -> str:
    """A line that says what an entry is about, from its body."""
    if form == ACKNOWLEDGEMENT:
        count = len(body.get("entries", []) or [])
        return f"acknowledges {count} entr{'y' if count == 1 else 'ies'}"
    if form == "key-registration@1" and isinstance(body.get("party"), str):
        return f"{body['party']} registers its first key"
    for key in ("subject", "name", "title", "reason", "programme"):
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            text = " ".join(value.split())
            return text if len(text) <= 120 else text[:119] + "…"
    for key in ("year", "budget_year", "as_of"):
        value = body.get(key)
        if isinstance(value, int | str) and not isinstance(value, bool):
            return f"for {value}"
    return ""


def audience_text(regime: Regime, audience: Sequence[str] | None) -> str:
    if audience is None:
        return "all participants"
    return ", ".join(audience)


def _parse(raw: bytes) -> SignedEntry:
    return parse_signed_entry(raw, max_bytes=_MAX_RAW)


# -- the inbox ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxFilter:
    """The inbox's filters; every one is optional. Dates are UTC days, both ends included."""

    direction: Direction = "all"
    form: str | None = None
    sender: str | None = None
    since: date | None = None
    until: date | None = None
    status: State | None = None
    before: int | None = None

    @classmethod
    def parse(cls, params: Mapping[str, str], regime: Regime) -> tuple[InboxFilter, list[str]]:
        """The filter in query parameters, and a message for each one that makes no sense
        (that one is then ignored)."""
        problems: list[str] = []
        direction: Direction = "all"
        raw_direction = params.get("direction", "") or "all"
        for way in DIRECTIONS:
            if raw_direction == way:
                direction = way
        if raw_direction not in DIRECTIONS:
            problems.append(f"unknown direction {raw_direction!r}")
        form = params.get("form") or None
        if form is not None and form not in registry():
            problems.append(f"unknown form {form!r}")
            form = None
        sender = (params.get("sender") or "").strip().upper() or None
        if sender is not None and not regime.is_party(sender):
            problems.append(f"{sender!r} is not a party of the regime")
            sender = None
        since = _parse_day(params.get("since"), "from", problems)
        until = _parse_day(params.get("until"), "to", problems)
        if since is not None and until is not None and until < since:
            problems.append("the end date is before the start date")
            since = until = None
        status: State | None = None
        raw_status = params.get("status") or ""
        for option in STATES:
            if raw_status == option:
                status = option
        if raw_status and status is None:
            problems.append(f"unknown status {raw_status!r}")
        before: int | None = None
        raw_before = params.get("before") or ""
        if raw_before:
            if raw_before.isdigit() and len(raw_before) < 19:
                before = int(raw_before)
            else:
                problems.append("'before' must be a log index")
        return cls(direction, form, sender, since, until, status, before), problems

    def query(self, party: str) -> views_db.EntryQuery:
        sender = self.sender
        not_sender = None
        if self.direction == "sent":
            sender = party if sender in (None, party) else "\x00"  # sent by someone else: none
        elif self.direction == "received":
            not_sender = party
        start = None if self.since is None else _day_start(self.since)
        end = None if self.until is None else _day_start(self.until + timedelta(days=1))
        return views_db.EntryQuery(sender=sender, not_sender=not_sender, form=self.form,
                                   sequenced_from=start, sequenced_before=end,
                                   before_index=self.before)

    def params(self, **changes: Any) -> dict[str, str]:
        """The filter as query parameters (empty ones left out), with ``changes`` applied."""
        values: dict[str, Any] = {
            "direction": None if self.direction == "all" else self.direction,
            "form": self.form, "sender": self.sender,
            "since": None if self.since is None else self.since.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
            "status": self.status, "before": self.before,
        }
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}

    @property
    def active(self) -> bool:
        return any(v for k, v in self.params().items() if k != "before")


def _parse_day(text: str | None, what: str, problems: list[str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(f"the {what} date {text!r} is not a date written YYYY-MM-DD")
        return None


def _day_start(day: date) -> int:
    return int(datetime.combine(day, time(0), UTC).timestamp() * 1_000_000)


@dataclass(frozen=True)
class EntryRow:
    """One entry as the inbox lists it."""

    index: int | None
    entry_id: str
    direction: Literal["sent", "received"]
    sender: str
    audience: tuple[str, ...] | None
    form: str
    form_title: str
    summary: str
    claimed_time: datetime
    sequenced_at: datetime | None
    final_at: datetime | None
    state: State
    acknowledged_by: tuple[str, ...] = ()
    awaiting: tuple[str, ...] = ()
    due: datetime | None = None
    ack_pending: bool = False
    """Received: this node signed its acknowledgement, not yet sequenced."""

    @property
    def state_words(self) -> str:
        return STATE_WORDS[self.state]


@dataclass(frozen=True)
class Inbox:
    rows: list[EntryRow]
    pending: list[EntryRow]
    filter: InboxFilter
    problems: list[str]
    latest_index: int
    next_before: int | None
    """Where the next (older) page starts, if there is one."""


@dataclass
class _Context:
    """What deciding the state of many entries needs, read once."""

    node: Node
    final: Callable[[int], datetime | None]
    acks: dict[str, dict[str, tuple[int, str]]]
    """Entry id -> party -> (index, id) of its acknowledgement (sequenced, held)."""
    own_pending_acks: set[str]
    unacknowledged: dict[str, list[Unacknowledged]]
    now: datetime
    within: timedelta


_CONTEXTS: dict[int, tuple[tuple[int, int, int, int], _Context]] = {}
"""The last context built for each node (by ``id``), with the version it was built at."""


def _context(node: Node) -> _Context:
    """The context of ``node``'s entries, rebuilt only when what it depends on changed: a new
    entry stored, the outbox, finality, or the minute (for what became overdue)."""
    with node.uow() as uow:
        version = (views_db.node_latest_entry_index(uow.repo.conn),
                   len(uow.repo.outbox_items(pending_only=True)),
                   node.finality.final_size, int(node.clock.now().timestamp() // 60))
    cached = _CONTEXTS.get(id(node))
    if cached is not None and cached[0] == version and cached[1].node is node:
        return replace(cached[1], now=node.clock.now())
    context = _build_context(node)
    _CONTEXTS[id(node)] = (version, context)
    return context


def _build_context(node: Node) -> _Context:
    final = node.finality_table()
    acks: dict[str, dict[str, tuple[int, str]]] = {}
    own_pending: set[str] = set()
    with node.uow() as uow:
        ack_entries = views_db.node_entries_by_form(uow.repo.conn, ACKNOWLEDGEMENT)
        outbox = uow.repo.outbox_items(pending_only=True)
    for item in ack_entries:
        body = _parse(item.raw).entry.body
        for eid in body.get("entries", []) or []:
            acks.setdefault(str(eid), {})[item.sender] = (item.index, item.entry_id.hex())
    for pending in outbox:
        signed = _parse(pending.raw)
        if signed.entry.form == ACKNOWLEDGEMENT:
            own_pending.update(str(e) for e in signed.entry.body.get("entries", []) or [])
    owed: dict[str, list[Unacknowledged]] = {}
    for unacked in node.unacknowledged():
        owed.setdefault(unacked.entry_id, []).append(unacked)
    return _Context(node, final, acks, own_pending, owed, node.clock.now(),
                    node.regime.commitments.acknowledgement.within)


def _row(ctx: _Context, item: NodeEntry) -> EntryRow:
    node = ctx.node
    signed = _parse(item.raw)
    entry = signed.entry
    eid = item.entry_id.hex()
    final_at = ctx.final(item.index)
    state: State = "final" if final_at is not None else "sequenced"
    spec = registry().get(entry.form)
    needs_ack = spec is None or spec.acknowledge
    acked_by = tuple(sorted(ctx.acks.get(eid, {})))
    awaiting: tuple[str, ...] = ()
    due: datetime | None = None
    ack_pending = False
    direction: Literal["sent", "received"] = "sent" if entry.sender == node.party else "received"
    if needs_ack and direction == "sent":
        owed = ctx.unacknowledged.get(eid, [])
        awaiting = tuple(u.party for u in owed)
        due = next((u.due for u in owed if u.due is not None), None)
        if any(u.overdue for u in owed):
            state = "overdue"
        elif not owed and final_at is not None:
            state = "acknowledged"
    elif needs_ack:
        if node.party in ctx.acks.get(eid, {}):
            state = "acknowledged"
        else:
            ack_pending = eid in ctx.own_pending_acks
            due = None if final_at is None else final_at + ctx.within
            if due is not None and ctx.now > due:
                state = "overdue"
    return EntryRow(item.index, eid, direction, entry.sender, item.audience, entry.form,
                    form_title(entry.form), summarise(entry.form, entry.body), entry.time,
                    from_micros(item.sequenced_at) if item.sequenced_at else None, final_at,
                    state, acked_by, awaiting, due, ack_pending)


def _outbox_row(node: Node, item: OutboxItem) -> EntryRow:
    entry = _parse(item.raw).entry
    audience = None if entry.audience == ALL else tuple(entry.audience)
    return EntryRow(item.sequenced_idx, item.entry_id.hex(), "sent", entry.sender, audience,
                    entry.form, form_title(entry.form), summarise(entry.form, entry.body),
                    entry.time, None, None, "pending")


def inbox(node: Node, flt: InboxFilter, *, limit: int = PAGE_SIZE,
          problems: Sequence[str] = ()) -> Inbox:
    """A page of the entries the node holds, newest first, as ``flt`` selects them."""
    ctx = _context(node)
    query = flt.query(node.party)
    rows: list[EntryRow] = []
    next_before: int | None = None
    chunk = max(limit, 100)
    with node.uow() as uow:
        latest = views_db.node_latest_entry_index(uow.repo.conn)
        pending_items = uow.repo.outbox_items(pending_only=True)
        while len(rows) < limit:
            batch = views_db.node_entries(uow.repo.conn, query, limit=chunk)
            if not batch:
                break
            for item in batch:
                row = _row(ctx, item)
                if flt.status is None or row.state == flt.status:
                    rows.append(row)
                    if len(rows) == limit:
                        break
            query = replace(query, before_index=batch[-1].index)
            if len(batch) < chunk and len(rows) < limit:
                break
        if len(rows) == limit and rows[-1].index is not None:
            older = replace(flt.query(node.party), before_index=rows[-1].index)
            if views_db.node_entries(uow.repo.conn, older, limit=1):
                next_before = rows[-1].index
    pending: list[EntryRow] = []
    if flt.direction != "received" and flt.status in (None, "pending") and flt.before is None:
        pending = [_outbox_row(node, p) for p in pending_items]
        pending = [p for p in pending if flt.form in (None, p.form)]
    return Inbox(rows, pending, flt, list(problems), latest, next_before)


def latest_state(node: Node) -> dict[str, int]:
    """What the inbox's live refresh polls: the newest entry's index and the alarm count."""
    with node.uow() as uow:
        return {"latest": views_db.node_latest_entry_index(uow.repo.conn),
                "alarms": views_db.node_alarm_count(uow.repo.conn),
                "pending": len(uow.repo.outbox_items(pending_only=True))}


def alarm_count(node: Node) -> int:
    with node.uow() as uow:
        return views_db.node_alarm_count(uow.repo.conn)


# -- one entry ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One verification, in plain words; ``ok`` False is shown as a failure."""

    ok: bool
    text: str


@dataclass(frozen=True)
class AckView:
    party: str
    entry_id: str
    index: int
    final_at: datetime | None


@dataclass(frozen=True)
class RefView:
    entry_id: str
    held: bool
    index: int | None
    summary: str


@dataclass(frozen=True)
class EntryDetail:
    row: EntryRow
    signed: SignedEntry
    spec: FormSpec | None
    raw_pretty: str
    checks: list[Check]
    acknowledgements: list[AckView]
    refs: list[RefView]
    outbox: OutboxItem | None = None
    signatures: list[str] = field(default_factory=list)

    @property
    def body(self) -> Mapping[str, Any]:
        return self.signed.entry.body


def entry_detail(node: Node, entry_id: str) -> EntryDetail | None:
    """One entry the node holds (or this party signed), with its checks; None if neither."""
    try:
        key = bytes.fromhex(entry_id)
    except ValueError:
        return None
    if len(key) != 32:
        return None
    with node.uow() as uow:
        conn = uow.repo.conn
        item = views_db.node_entry(conn, key)
        outbox = views_db.node_outbox_item(conn, key)
        if item is None and outbox is None:
            return None
        leaf = None if item is None else views_db.node_leaf_at(conn, item.index)
        covering = None if item is None else views_db.node_first_checkpoint_covering(
            conn, item.index)
        latest_cp = uow.repo.latest_checkpoint()
    if item is None:
        assert outbox is not None
        signed = _parse(outbox.raw)
        row = _outbox_row(node, outbox)
        checks = [Check(True, "Signed by this node with the party's key "
                              f"{signed.entry.key}."),
                  _pending_check(outbox)]
        return EntryDetail(row, signed, registry().get(signed.entry.form),
                           _pretty(signed), checks, [], _refs(node, signed), outbox,
                           [s.key for s in signed.signatures])
    signed = _parse(item.raw)
    ctx = _context(node)
    row = _row(ctx, item)
    checks = _checks(node, item, signed, leaf, covering, latest_cp)
    acks = [AckView(party, ack_id, index, ctx.final(index))
            for party, (index, ack_id) in sorted(ctx.acks.get(entry_id, {}).items())]
    return EntryDetail(row, signed, registry().get(signed.entry.form), _pretty(signed),
                       checks, acks, _refs(node, signed),
                       outbox if outbox is not None and outbox.sequenced_idx is None else None,
                       [s.key for s in signed.signatures])


def _pretty(signed: SignedEntry) -> str:
    return json.dumps(signed.to_json(), indent=2, ensure_ascii=False, sort_keys=True)


def _pending_check(outbox: OutboxItem) -> Check:
    if outbox.sequenced_idx is not None:
        return Check(True, f"Sequenced by the hub at index {outbox.sequenced_idx}; the node "
                           "verifies it on its next sync.")
    if outbox.last_error:
        return Check(False, f"Not yet sequenced: the hub refused it ({outbox.last_error}).")
    return Check(True, "Waiting in the outbox: the node sends it as soon as the hub answers.")


def _checks(node: Node, item: NodeEntry, signed: SignedEntry, leaf: bytes | None,
            covering: NodeCheckpoint | None, latest_cp: NodeCheckpoint | None) -> list[Check]:
    entry = signed.entry
    verified = format_time(from_micros(item.verified_at))
    keys = ", ".join(s.key for s in signed.signatures)
    checks = [Check(True, f"Signature valid: {entry.sender}'s key {entry.key} signed it"
                          + (f" (signatures by keys {keys})" if len(signed.signatures) > 1
                             else "")
                          + f"; checked by this node against the keys in the log on {verified}.")]
    content_ok = hashlib.sha256(item.raw).digest() == item.entry_id
    checks.append(Check(content_ok, "Its id is the SHA-256 of its content (re-checked now)."
                        if content_ok else "Its stored content does not hash to its id: "
                        "run `gulfsec verify`."))
    if leaf is None or leaf != item.entry_id:
        checks.append(Check(False, f"The node's copy of the log does not hold this entry at "
                                   f"index {item.index}: run `gulfsec verify`."))
    elif covering is None:
        checks.append(Check(False, f"At index {item.index} in the node's copy of the log, but "
                                   "no checkpoint the node holds covers it yet."))
    else:
        latest = "" if latest_cp is None or latest_cp.size == covering.size else (
            f"; the node's latest checkpoint has size {latest_cp.size}")
        checks.append(Check(True, f"Included at index {item.index} in checkpoint of size "
                                  f"{covering.size}, signed by the pinned log key{latest}."))
    quorum = node.regime.witness_quorum
    vouchers = node.finality.vouchers(item.index)
    names = ", ".join(sorted(vouchers))
    final_at = node.final_at(item.index)
    if final_at is not None:
        checks.append(Check(True, f"Cosigned by {len(vouchers)} witnesses ({names}) on "
                                  "checkpoints that include it, each verified by this node: "
                                  f"final at {format_time(final_at)} (quorum {quorum})."))
    else:
        so_far = f" ({names})" if vouchers else ""
        checks.append(Check(True, f"Not final yet: cosigned by {len(vouchers)}{so_far} of the "
                                  f"{quorum} witnesses needed."))
    return checks


def _refs(node: Node, signed: SignedEntry) -> list[RefView]:
    refs = list(signed.entry.refs)
    if not refs:
        return []
    keys = []
    for ref in refs:
        try:
            keys.append(bytes.fromhex(ref))
        except ValueError:
            continue
    with node.uow() as uow:
        held = views_db.node_entries_by_ids(uow.repo.conn, keys)
        leaves = views_db.node_leaf_indexes(uow.repo.conn, keys)
    out = []
    for ref in refs:
        try:
            key = bytes.fromhex(ref)
        except ValueError:
            out.append(RefView(ref, False, None, ""))
            continue
        item = held.get(key)
        summary = ""
        if item is not None:
            entry = _parse(item.raw).entry
            summary = f"{form_title(entry.form)} from {entry.sender}"
            extra = summarise(entry.form, entry.body)
            if extra:
                summary += f": {extra}"
        out.append(RefView(ref, item is not None, leaves.get(key), summary))
    return out


# -- alarms ------------------------------------------------------------------------------------

ALARM_WORDS: Final[Mapping[str, str]] = {
    "split_view": "Split view: the hub showed different logs",
    "inconsistent_log": "The hub's log does not match its own checkpoint",
    "backdated_checkpoint": "A back-dated checkpoint",
    "future_checkpoint": "A checkpoint dated in the future",
    "bad_entry": "An entry failed verification",
    "dropped_entry": "An entry the hub accepted is missing from the log",
    "bad_final_checkpoint": "A final checkpoint failed verification",
}
EVIDENCE_LABELS: Final[Mapping[str, str]] = {
    "checkpoint": "Checkpoint the hub served",
    "conflicting_checkpoint": "Conflicting checkpoint",
    "cosigned_checkpoint": "Checkpoint this node cosigned before",
    "earlier_checkpoint": "Earlier checkpoint the node holds",
    "held_checkpoint": "Checkpoint the node held",
    "peer": "Peer node",
    "entry": "Entry",
    "raw": "Entry as served",
    "index": "Log index",
    "entry_id": "Entry id",
}


@dataclass(frozen=True)
class CheckpointView:
    origin: str
    size: int
    root: str
    signers: tuple[str, ...]


@dataclass(frozen=True)
class Evidence:
    key: str
    label: str
    text: str
    checkpoint: CheckpointView | None = None


@dataclass(frozen=True)
class AlarmView:
    id: int
    kind: str
    title: str
    message: str
    at: datetime
    evidence: list[Evidence]
    checkpoints: list[Evidence]
    """The evidence that is a checkpoint (two of them for a split view), shown side by side."""
    differs: frozenset[str] = frozenset()
    """Which of origin, size and root differ between the checkpoints."""


def checkpoint_view(note: str) -> CheckpointView | None:
    try:
        signed = parse_note(note)
        body = Checkpoint.parse_body(signed.text)
    except (MalformedCheckpoint, GulfsecError):
        return None
    from gulfsec.domain.encoding import b64encode

    return CheckpointView(body.origin, body.size, b64encode(body.root),
                          tuple(dict.fromkeys(s.name for s in signed.signatures)))


def alarms(node: Node) -> list[AlarmView]:
    """Every alarm the node raised, newest first, with its evidence."""
    with node.uow() as uow:
        items = uow.repo.alarms()
    out: list[AlarmView] = []
    for alarm in reversed(items):
        evidence: list[Evidence] = []
        checkpoints: list[Evidence] = []
        for key, value in alarm.evidence.items():
            if value is None or value == "":
                continue
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            label = EVIDENCE_LABELS.get(key, key.replace("_", " ").capitalize())
            view = checkpoint_view(text) if "checkpoint" in key else None
            item = Evidence(key, label, text, view)
            (checkpoints if view is not None else evidence).append(item)
        views = [c.checkpoint for c in checkpoints if c.checkpoint is not None]
        differs = frozenset(
            name for name in ("origin", "size", "root")
            if len({getattr(v, name) for v in views}) > 1)
        out.append(AlarmView(alarm.id, alarm.kind,
                             ALARM_WORDS.get(alarm.kind, alarm.kind.replace("_", " ")),
                             alarm.message, from_micros(alarm.created_at), evidence,
                             checkpoints, differs))
    return out
