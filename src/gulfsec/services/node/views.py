"""What a node's delegates read on its pages: the inbox, one entry, the alarms. Read-only.

Every entry the node holds passed its checks when it came in (see :mod:`gulfsec.services.node`);
these views say so in plain words and re-check what is cheap to re-check (the entry's id against
its content, its leaf in the node's copy of the log). States, in the words the pages use:

- ``pending``: signed by this party, waiting in the outbox to be sequenced;
- ``sequenced``: in the log, not yet final;
- ``final``: a checkpoint covering it reached the witness quorum;
- ``acknowledged``: every addressee acknowledged it (sent), or this node did (received);
- ``overdue``: an acknowledgement owed for it is late.

What the inbox shows is computed once per :class:`LogState` of the node (and again each minute,
in the background, for what became overdue), from what changed since the last one rather than
from the whole log; a page of entries is read a page at a time from the database.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final, Literal

from gulfsec.adapters.storage import views as views_db
from gulfsec.adapters.storage.node import NodeEntry, OutboxItem
from gulfsec.domain.entry import ALL, SignedEntry, parse_signed_entry
from gulfsec.domain.forms import registry
from gulfsec.domain.forms.acknowledgement import ACKNOWLEDGEMENT
from gulfsec.domain.regime import Regime
from gulfsec.domain.search import MAX_QUERY_CHARS, query_words
from gulfsec.i18n import N_, gettext
from gulfsec.services.node.node import Node
from gulfsec.services.node.withheld import WITHHELD
from gulfsec.services.shared.cache import StateCache
from gulfsec.services.shared.describe import form_title, summarise
from gulfsec.services.shared.time import from_micros

State = Literal["pending", "sequenced", "final", "acknowledged", "overdue"]
STATES: Final[tuple[State, ...]] = ("pending", "sequenced", "final", "acknowledged", "overdue")
STATE_WORDS: Final[Mapping[str, str]] = {
    "pending": N_("waiting to be sent"),
    "sequenced": N_("sequenced, not yet final"),
    "final": N_("final"),
    "acknowledged": N_("acknowledged"),
    "overdue": N_("acknowledgement overdue"),
}
Direction = Literal["all", "received", "sent"]
DIRECTIONS: Final[tuple[Direction, ...]] = ("all", "received", "sent")
PAGE_SIZE: Final = 50
_MAX_RAW = 1 << 22


def parse_raw(raw: bytes) -> SignedEntry:
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
    text: str = ""
    """Words to look for in what the node holds (its subject, text, names: any field)."""
    acks: bool = False
    """List acknowledgements as rows of their own (else they show in the state of the entry
    they acknowledge)."""

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
            problems.append(gettext(N_("unknown direction %(value)s"))
                            % {"value": repr(raw_direction)})
        form = params.get("form") or None
        if form is not None and form not in registry():
            problems.append(gettext(N_("unknown form %(value)s")) % {"value": repr(form)})
            form = None
        sender = (params.get("sender") or "").strip().upper() or None
        if sender is not None and not regime.is_party(sender):
            problems.append(gettext(N_("%(value)s is not a party of the regime"))
                            % {"value": repr(sender)})
            sender = None
        since = _parse_day(params.get("since"), N_("from"), problems)
        until = _parse_day(params.get("until"), N_("to"), problems)
        if since is not None and until is not None and until < since:
            problems.append(gettext(N_("the end date is before the start date")))
            since = until = None
        status: State | None = None
        raw_status = params.get("status") or ""
        for option in STATES:
            if raw_status == option:
                status = option
        if raw_status and status is None:
            problems.append(gettext(N_("unknown status %(value)s")) % {"value": repr(raw_status)})
        before: int | None = None
        raw_before = params.get("before") or ""
        if raw_before:
            if _LOG_INDEX.fullmatch(raw_before):
                before = int(raw_before)
            else:
                problems.append(gettext(N_("'before' must be a log index")))
        text = " ".join((params.get("q") or "").split())[:MAX_QUERY_CHARS]
        if text and not query_words(text):
            text = ""
        acks = params.get("acks") == "1"
        return cls(direction, form, sender, since, until, status, before, text, acks), problems

    def query(self, party: str) -> views_db.EntryQuery:
        sender = self.sender
        not_sender = None
        if self.direction == "sent":
            sender = party if sender in (None, party) else "\x00"  # sent by someone else: none
        elif self.direction == "received":
            not_sender = party
        start = None if self.since is None else _day_start(self.since)
        end = None if self.until is None else _day_start(self.until + timedelta(days=1))
        hide_acks = not self.acks and self.form != ACKNOWLEDGEMENT
        return views_db.EntryQuery(sender=sender, not_sender=not_sender, form=self.form,
                                   sequenced_from=start, sequenced_before=end,
                                   before_index=self.before,
                                   not_form=ACKNOWLEDGEMENT if hide_acks else None,
                                   words=query_words(self.text))

    def params(self, **changes: Any) -> dict[str, str]:
        """The filter as query parameters (empty ones left out), with ``changes`` applied."""
        values: dict[str, Any] = {
            "direction": None if self.direction == "all" else self.direction,
            "form": self.form, "sender": self.sender,
            "since": None if self.since is None else self.since.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
            "status": self.status, "before": self.before, "q": self.text or None,
            "acks": "1" if self.acks else None,
        }
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}

    @property
    def active(self) -> bool:
        return any(v for k, v in self.params().items() if k != "before")


_LOG_INDEX = re.compile(r"[0-9]{1,18}")
FIRST_DAY: Final = date(1970, 1, 1)
LAST_DAY: Final = date(9999, 12, 30)
"""The days a filter may name: the log's times are counted from 1970, and the day after the
last one must still be a date."""


def _parse_day(text: str | None, what: str, problems: list[str]) -> date | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        problems.append(gettext(N_("the %(what)s date %(value)s is not a date written "
                                   "YYYY-MM-DD"))
                        % {"what": gettext(what), "value": repr(text[:40])})
        return None
    if not FIRST_DAY <= day <= LAST_DAY:
        problems.append(gettext(N_("the %(what)s date %(day)s is out of range (%(first)s to "
                                   "%(last)s)")) % {"what": gettext(what), "day": day.isoformat(),
                                                    "first": FIRST_DAY.isoformat(),
                                                    "last": LAST_DAY.isoformat()})
        return None
    return day


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
        return gettext(STATE_WORDS[self.state])


@dataclass(frozen=True)
class Inbox:
    rows: list[EntryRow]
    pending: list[EntryRow]
    filter: InboxFilter
    problems: list[str]
    latest_index: int
    next_before: int | None
    """Where the next (older) page starts, if there is one."""


# -- what the pages' values depend on ----------------------------------------------------------


@dataclass(frozen=True)
class LogState:
    """What a node's pages show depends on, read in one cheap statement from the node's
    database: it changes when an entry, a checkpoint or a verified cosignature is stored, an
    entry lands behind the newest (one the hub withheld), an alarm is raised, or this party
    signs an entry or has one refused (one it sent being sequenced shows with the checkpoint
    that holds it, stored at the next sync). The pages compute their values once per state
    (:mod:`gulfsec.services.shared.cache`), and a page worker follows the node's process by it
    (:mod:`.loop`)."""

    latest_index: int
    size: int
    cosigned: tuple[int, int]
    withheld: int
    alarms: int
    outbox: tuple[int, int]

    @property
    def log(self) -> tuple[int, int, tuple[int, int], int]:
        """The part the node's in-memory copy follows: entries, leaves, finality."""
        return self.latest_index, self.size, self.cosigned, self.withheld


def log_state(node: Node) -> LogState:
    """The node's state as its database holds it now."""
    with node.uow() as uow:
        state = views_db.node_state(uow.repo.conn, WITHHELD)
    return LogState(state.latest_index, state.checkpoint_size, state.cosigned, state.meta,
                    state.alarms, state.outbox)


_PINNED: ContextVar[tuple[Node, LogState] | None] = ContextVar("gulfsec_node_state",
                                                               default=None)


def read_state(node: Node) -> LogState:
    """The node's state for its pages: the one pinned for the request being answered
    (:func:`pin_state`), else read through its follower in a process that does not sync
    (:func:`follow_with`, so that the in-memory copy is brought to it first), else read."""
    pinned = _PINNED.get()
    if pinned is not None and pinned[0] is node:
        return pinned[1]
    reader = _views(node).reader
    return log_state(node) if reader is None else reader()


def pin_state(node: Node, state: LogState) -> None:
    """Read ``state`` as ``node``'s for the rest of the request being answered (a context of
    its own): a page worker reads it once, as it brings its copy of the node to it."""
    _PINNED.set((node, state))


def follow_with(node: Node, reader: Callable[[], LogState]) -> None:
    """Read ``node``'s state for its pages with ``reader`` (a
    :meth:`gulfsec.services.node.loop.Follower.follow`)."""
    _views(node).reader = reader


def minute(node: Node) -> int:
    """The tick of the values that change with time alone (an acknowledgement becomes
    overdue, a deadline passes): the clock's minute."""
    return int(node.clock.now().timestamp() // 60)


class _Acknowledged:
    """Which acknowledgements a node holds for each entry, kept up to date from the
    acknowledgements stored since it last looked (never read again from the start, unless an
    entry landed behind the newest)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_entry: dict[str, dict[str, tuple[int, str]]] = {}
        self.after = -1
        self.withheld: int | None = None

    def read(self, node: Node, state: LogState) -> Mapping[str, Mapping[str, tuple[int, str]]]:
        """Entry id -> party -> (index, id) of its acknowledgement. Each inner mapping is
        replaced, never changed, so what a reader holds stays as it was."""
        with self.lock:
            if state.withheld != self.withheld:
                self.by_entry, self.after, self.withheld = {}, -1, state.withheld
            if state.latest_index > self.after:
                with node.uow() as uow:
                    items = uow.repo.entries_from(self.after, forms=(ACKNOWLEDGEMENT,))
                for item in items:
                    body = parse_raw(item.raw).entry.body
                    for eid in body.get("entries", []) or []:
                        held = self.by_entry.get(str(eid), {})
                        self.by_entry[str(eid)] = {**held, item.sender: (item.index,
                                                                         item.entry_id.hex())}
                self.after = max([state.latest_index, *(i.index for i in items)])
            return self.by_entry


@dataclass(frozen=True)
class Context:
    """What deciding the state of many entries needs, read once per :class:`LogState`."""

    node: Node
    final: Callable[[int], datetime | None]
    acks: Mapping[str, Mapping[str, tuple[int, str]]]
    """Entry id -> party -> (index, id) of its acknowledgement (sequenced, held)."""
    own_pending_acks: frozenset[str]
    now: datetime
    within: timedelta
    pending: tuple[OutboxItem, ...] = ()
    """What waits in the outbox to be sent."""


class _NodeViews:
    """What the pages keep for one node: its acknowledgements, contexts and inbox pages."""

    def __init__(self) -> None:
        self.reader: Callable[[], LogState] | None = None
        self.acknowledged = _Acknowledged()
        self.contexts: StateCache[Context] = StateCache(max_keys=1)
        self.inboxes: StateCache[Inbox] = StateCache()


_VIEWS: weakref.WeakKeyDictionary[Node, _NodeViews] = weakref.WeakKeyDictionary()
_VIEWS_LOCK = threading.Lock()


def _views(node: Node) -> _NodeViews:
    with _VIEWS_LOCK:
        views = _VIEWS.get(node)
        if views is None:
            views = _VIEWS[node] = _NodeViews()
        return views


def context(node: Node, state: LogState | None = None) -> Context:
    """The context of ``node``'s entries at ``state`` (read now if not given): built once per
    state, from what changed since the last one; its ``now`` is the clock's."""
    state = read_state(node) if state is None else state
    views = _views(node)
    kept = views.contexts.get("context", state, lambda: _build_context(node, state, views))
    return replace(kept, now=node.clock.now())


def _build_context(node: Node, state: LogState, views: _NodeViews) -> Context:
    acks = views.acknowledged.read(node, state)
    own_pending: set[str] = set()
    with node.uow() as uow:
        outbox = uow.repo.outbox_items(pending_only=True)
    for pending in outbox:
        signed = parse_raw(pending.raw)
        if signed.entry.form == ACKNOWLEDGEMENT:
            own_pending.update(str(e) for e in signed.entry.body.get("entries", []) or [])
    return Context(node, node.finality_table(), acks, frozenset(own_pending), node.clock.now(),
                   node.regime.commitments.acknowledgement.within, tuple(outbox))


def entry_row(ctx: Context, item: NodeEntry) -> EntryRow:
    node = ctx.node
    signed = parse_raw(item.raw)
    entry = signed.entry
    eid = item.entry_id.hex()
    final_at = ctx.final(item.index)
    state: State = "final" if final_at is not None else "sequenced"
    acks = ctx.acks.get(eid, {})
    acked_by = tuple(sorted(acks))
    awaiting: tuple[str, ...] = ()
    due: datetime | None = None
    ack_pending = False
    direction: Literal["sent", "received"] = "sent" if entry.sender == node.party else "received"
    if direction == "sent" and (owing := node.acknowledgements.owed_by(item)):
        # As :meth:`Acknowledgements.unacknowledged` says, for this entry alone.
        awaiting = tuple(sorted(p for p in owing if p not in acks))
        if awaiting and final_at is not None:
            due = final_at + ctx.within
        if due is not None and ctx.now > due:
            state = "overdue"
        elif not awaiting and final_at is not None:
            state = "acknowledged"
    elif direction == "received" and node.acknowledgements.owes(item):
        if node.party in acks:
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


def outbox_row(node: Node, item: OutboxItem) -> EntryRow:
    """An entry this node signed that it does not yet hold from the log: ``pending`` while the
    hub has not sequenced it, ``sequenced`` once the hub's receipt says at which index (the
    node verifies it on its next sync), never both at once."""
    entry = parse_raw(item.raw).entry
    audience = None if entry.audience == ALL else tuple(entry.audience)
    state: State = "pending" if item.sequenced_idx is None else "sequenced"
    return EntryRow(item.sequenced_idx, item.entry_id.hex(), "sent", entry.sender, audience,
                    entry.form, form_title(entry.form), summarise(entry.form, entry.body),
                    entry.time, None, None, state)


# -- the inbox ---------------------------------------------------------------------------------


def inbox(node: Node, flt: InboxFilter, *, limit: int = PAGE_SIZE,
          problems: Sequence[str] = ()) -> Inbox:
    """A page of the entries the node holds, newest first, as ``flt`` selects them: computed
    once per :class:`LogState` (and again, in the background, each minute, for what became
    overdue), by one request while the others asking for the same page wait for it."""
    state = read_state(node)
    key = (flt, limit, tuple(problems))
    return _views(node).inboxes.get(key, state,
                                    lambda: _inbox(node, state, flt, limit, problems),
                                    tick=minute(node))


def _inbox(node: Node, state: LogState, flt: InboxFilter, limit: int,
           problems: Sequence[str]) -> Inbox:
    ctx = context(node, state)
    query = flt.query(node.party)
    rows: list[EntryRow] = []
    next_before: int | None = None
    chunk = max(limit, 100)
    with node.uow() as uow:
        latest = views_db.node_latest_entry_index(uow.repo.conn)
        while len(rows) < limit:
            batch = views_db.node_entries(uow.repo.conn, query, limit=chunk)
            if not batch:
                break
            for item in batch:
                row = entry_row(ctx, item)
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
        pending = [outbox_row(node, p) for p in ctx.pending]
        pending = [p for p in pending if flt.form in (None, p.form)]
    return Inbox(rows, pending, flt, list(problems), latest, next_before)


def latest_state(node: Node) -> dict[str, int]:
    """What the inbox's live refresh polls: the newest entry's index, the alarm count and how
    many entries wait in the outbox."""
    state = read_state(node)
    return {"latest": state.latest_index, "alarms": state.alarms,
            "pending": len(context(node, state).pending)}


def alarm_count(node: Node) -> int:
    """How many alarms the node raised (the banner every page carries)."""
    return read_state(node).alarms
