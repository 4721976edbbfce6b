"""What a node's delegates read about one entry (its checks in plain words, its
acknowledgements and references) and about the alarms the node raised. Read-only."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from gulfsec.adapters.storage import views as views_db
from gulfsec.adapters.storage.node import NodeCheckpoint, NodeEntry, OutboxItem
from gulfsec.domain.encoding import b64encode, format_time
from gulfsec.domain.entry import SignedEntry
from gulfsec.domain.forms import FormSpec, registry
from gulfsec.errors import GulfsecError, MalformedCheckpoint
from gulfsec.i18n import N_, gettext, ngettext, translate_problem
from gulfsec.ledger.note import Checkpoint, parse_note
from gulfsec.services.node.node import Node
from gulfsec.services.node.views import EntryRow, context, entry_row, outbox_row, parse_raw
from gulfsec.services.shared.describe import form_title, summarise
from gulfsec.services.shared.time import from_micros

# -- one entry ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One verification, in plain words; ``ok`` False is shown as a failure.

    ``words`` writes it: one whole message of the catalogs with its named values, put in the
    language in force when the page reads :attr:`text` (the English is the message itself)."""

    ok: bool
    words: Callable[[], str] = field(compare=False, repr=False)

    @property
    def text(self) -> str:
        return self.words()


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
        own_key = signed.entry.key
        checks = [Check(True, lambda: gettext("Signed by this node with the party's key {key}.")
                        .format(key=own_key)),
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
    index, error = outbox.sequenced_idx, outbox.last_error
    if index is not None:
        return Check(True, lambda: gettext("Sequenced by the hub at index {index}; the node "
                                           "verifies it on its next sync.").format(index=index))
    if error:
        return Check(False, lambda: gettext("Not yet sequenced: the hub refused it ({error}).")
                     .format(error=translate_problem(error)))
    return Check(True, lambda: gettext("Waiting in the outbox: the node sends it as soon as the "
                                       "hub answers."))


def _checks(node: Node, item: NodeEntry, signed: SignedEntry, leaf: bytes | None,
            covering: NodeCheckpoint | None, latest_cp: NodeCheckpoint | None) -> list[Check]:
    entry = signed.entry
    signer = {"sender": entry.sender, "key": entry.key,
              "keys": ", ".join(s.key for s in signed.signatures),
              "verified": format_time(from_micros(item.verified_at))}
    if len(signed.signatures) > 1:
        checks = [Check(True, lambda: gettext(
            "Signature valid: {sender}'s key {key} signed it (signatures by keys {keys}); "
            "checked by this node against the keys in the log on {verified}.").format(**signer))]
    else:
        checks = [Check(True, lambda: gettext(
            "Signature valid: {sender}'s key {key} signed it; checked by this node against the "
            "keys in the log on {verified}.").format(**signer))]
    if hashlib.sha256(item.raw).digest() == item.entry_id:
        checks.append(Check(True, lambda: gettext(
            "Its id is the SHA-256 of its content (re-checked now).")))
    else:
        checks.append(Check(False, lambda: gettext(
            "Its stored content does not hash to its id: run `gulfsec verify`.")))
    index = item.index
    if leaf is None or leaf != item.entry_id:
        checks.append(Check(False, lambda: gettext(
            "The node's copy of the log does not hold this entry at index {index}: run "
            "`gulfsec verify`.").format(index=index)))
    elif covering is None:
        checks.append(Check(False, lambda: gettext(
            "At index {index} in the node's copy of the log, but no checkpoint the node holds "
            "covers it yet.").format(index=index)))
    elif latest_cp is None or latest_cp.size == covering.size:
        size = covering.size
        checks.append(Check(True, lambda: gettext(
            "Included at index {index} in checkpoint of size {size}, signed by the pinned log "
            "key.").format(index=index, size=size)))
    else:
        size, latest = covering.size, latest_cp.size
        checks.append(Check(True, lambda: gettext(
            "Included at index {index} in checkpoint of size {size}, signed by the pinned log "
            "key; the node's latest checkpoint has size {latest}.").format(
                index=index, size=size, latest=latest)))
    quorum = node.regime.witness_quorum
    vouchers = node.core.copy.finality.vouchers(item.index)
    count, names = len(vouchers), ", ".join(sorted(vouchers))
    final_at = node.final_at(item.index)
    if final_at is not None:
        at = format_time(final_at)
        checks.append(Check(True, lambda: ngettext(
            "Cosigned by {count} witness ({names}) on checkpoints that include it, each "
            "verified by this node: final at {at} (quorum {quorum}).",
            "Cosigned by {count} witnesses ({names}) on checkpoints that include it, each "
            "verified by this node: final at {at} (quorum {quorum}).", count).format(
                count=count, names=names, at=at, quorum=quorum)))
    elif vouchers:
        checks.append(Check(True, lambda: ngettext(
            "Not final yet: cosigned by {count} ({names}) of the {quorum} witness needed.",
            "Not final yet: cosigned by {count} ({names}) of the {quorum} witnesses needed.",
            quorum).format(count=count, names=names, quorum=quorum)))
    else:
        checks.append(Check(True, lambda: ngettext(
            "Not final yet: cosigned by {count} of the {quorum} witness needed.",
            "Not final yet: cosigned by {count} of the {quorum} witnesses needed.",
            quorum).format(count=count, quorum=quorum)))
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
    "split_view": N_("Split view: the hub showed different logs"),
    "inconsistent_log": N_("The hub's log does not match its own checkpoint"),
    "backdated_checkpoint": N_("A back-dated checkpoint"),
    "future_checkpoint": N_("A checkpoint dated in the future"),
    "bad_entry": N_("An entry failed verification"),
    "dropped_entry": N_("An entry the hub accepted is missing from the log"),
    "bad_final_checkpoint": N_("A final checkpoint failed verification"),
    "clock_drift": N_("This node's clock is off"),
    "stale_view": N_("The hub keeps this node behind the log its peers see"),
    "peers_silent": N_("No peer node answers: the hub's view cannot be compared"),
    "bad_cosignature": N_("A cosignature the witness did not make"),
    "bad_receipt": N_("A receipt the hub signed does not hold"),
    "bad_outcome": N_("A decision's stated outcome contradicts the entries"),
    "forged_entry": N_("An entry forged in a party's name"),
    "impersonation": N_("A key registered in this node's name that it did not register"),
    "withheld_entry": N_("The hub withholds an entry addressed to this node"),
    "hotline_no_receipt": N_("A hotline message was not received in time"),
    "hotline_bad_message": N_("A hotline message could not be opened"),
}
"""Each kind of alarm's title, in English, marked for the catalogs: translated where shown."""
EVIDENCE_LABELS: Final[Mapping[str, str]] = {
    "checkpoint": N_("Checkpoint the hub served"),
    "conflicting_checkpoint": N_("Conflicting checkpoint"),
    "cosigned_checkpoint": N_("Checkpoint this node cosigned before"),
    "earlier_checkpoint": N_("Earlier checkpoint the node holds"),
    "held_checkpoint": N_("Checkpoint the node held"),
    "peer": N_("Peer node"),
    "entry": N_("Entry"),
    "raw": N_("Entry as served"),
    "index": N_("Log index"),
    "entry_id": N_("Entry id"),
    "answers": N_("The hub's signed answers, with when this node asked and heard (by its clock)"),
}
"""What each piece of an alarm's evidence is, in English, marked for the catalogs: translated
where shown."""


@dataclass(frozen=True)
class CheckpointView:
    origin: str
    size: int
    root: str
    signers: tuple[str, ...]


@dataclass(frozen=True)
class Evidence:
    key: str
    text: str
    checkpoint: CheckpointView | None = None

    @property
    def label(self) -> str:
        """What it is, in the language in force."""
        known = EVIDENCE_LABELS.get(self.key)
        return self.key.replace("_", " ").capitalize() if known is None else gettext(known)


@dataclass(frozen=True)
class AlarmView:
    id: int
    kind: str
    message: str
    at: datetime
    evidence: list[Evidence]
    checkpoints: list[Evidence]
    """The evidence that is a checkpoint (two of them for a split view), shown side by side."""
    differs: frozenset[str] = frozenset()
    """Which of origin, size and root differ between the checkpoints."""

    @property
    def title(self) -> str:
        """The alarm's kind in words, in the language in force."""
        known = ALARM_WORDS.get(self.kind)
        return self.kind.replace("_", " ") if known is None else gettext(known)


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
            view = checkpoint_view(text) if "checkpoint" in key else None
            item = Evidence(key, text, view)
            (checkpoints if view is not None else evidence).append(item)
        views = [c.checkpoint for c in checkpoints if c.checkpoint is not None]
        differs = frozenset(
            name for name in ("origin", "size", "root")
            if len({getattr(v, name) for v in views}) > 1)
        out.append(AlarmView(alarm.id, alarm.kind, alarm.message, from_micros(alarm.created_at),
                             evidence, checkpoints, differs))
    return out
