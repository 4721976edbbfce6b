"""What a node's delegates read about one entry (its checks in plain words, its
acknowledgements and references) and about the alarms the node raised. Read-only."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from gulfsec.adapters.storage import views as views_db
from gulfsec.adapters.storage.node import NodeCheckpoint, NodeEntry, OutboxItem
from gulfsec.domain.encoding import b64encode, format_time
from gulfsec.domain.entry import SignedEntry
from gulfsec.domain.forms import FormSpec, registry
from gulfsec.errors import GulfsecError, MalformedCheckpoint
from gulfsec.ledger.note import Checkpoint, parse_note
from gulfsec.services.node.node import Node
from gulfsec.services.node.views import EntryRow, context, entry_row, outbox_row, parse_raw
from gulfsec.services.shared.describe import form_title, summarise
from gulfsec.services.shared.time import from_micros

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
    """A held entry in English: its form's title, its sender, its summary line."""
    form_title: str = ""
    """The form's title in English: the page translates it."""
    sender: str = ""
    about: str = ""
    """The form's summary line in English (the page translates it), or empty."""


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
        signed = parse_raw(outbox.raw)
        row = outbox_row(node, outbox)
        checks = [Check(True, "Signed by this node with the party's key "
                              f"{signed.entry.key}."),
                  _pending_check(outbox)]
        return EntryDetail(row, signed, registry().get(signed.entry.form),
                           _pretty(signed), checks, [], _refs(node, signed), outbox,
                           [s.key for s in signed.signatures])
    signed = parse_raw(item.raw)
    ctx = context(node)
    row = entry_row(ctx, item)
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
    vouchers = node.core.copy.finality.vouchers(item.index)
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
        if item is None:
            out.append(RefView(ref, False, leaves.get(key), ""))
            continue
        entry = parse_raw(item.raw).entry
        title, extra = form_title(entry.form), summarise(entry.form, entry.body)
        summary = f"{title} from {entry.sender}" + (f": {extra}" if extra else "")
        out.append(RefView(ref, True, leaves.get(key), summary, title, entry.sender, extra))
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
    "clock_drift": "This node's clock is off",
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
    "answers": "The hub's signed answers, with when this node asked and heard (by its clock)",
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
