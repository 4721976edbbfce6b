"""A participant node's end of the hotline: its encryption keys, what it sends and opens, the
receipts both ways, and the hourly test.

After each sync round (:meth:`NodeHotline.run`, hooked to the round's end):

1. each hotline message newly held for this party is opened with the private key it names and
   checked (signed inside by the entry's sender, for this party and this key:
   :mod:`gulfsec.domain.hotline`), kept, and answered at once with a ``hotline-receipt@1`` to
   its sender. One that does not open or check raises ``hotline_bad_message`` with the entry
   as evidence, and gets no receipt — so its sender learns of it too; the node goes on.
2. the receipts of what this party sent are judged: a message with no receipt held within
   ``receipt_minutes`` of its sequencing time raises ``hotline_no_receipt``, once. The time
   that counts is when the hub sequenced the message and the receipt (the signed time of the
   checkpoint that first covered each), not their finality: why, and when a receipt counts as
   missing for certain, :mod:`gulfsec.domain.procedures.hotline` says.
3. the keys are kept (:func:`~gulfsec.services.shared.hotline.keep_keys`): those past their
   ``not_after`` are destroyed; the next is made once the newest has a fifth of its life left,
   and registered with ``encryption-key@1`` (the first one, too, on the first sync).

:class:`HotlineScheduler` is a thread of its own, started and stopped with the node's app
beside the sync loop: every ``test_interval_minutes`` it sends the line's test (``kind: test``)
to the secretariat, which answers with a receipt like any recipient.

The node keeps in its own database what its party sent (it cannot open its own ciphertexts)
and what it opened. Destroying an expired private key protects what was sealed to it from
whoever holds the hub's copy and later steals the key; it does not protect the node's own
database, which holds the conversation in clear.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gulfsec.adapters.storage.node import HotlineRow, NodeEntry, NodeRepository
from gulfsec.domain.encoding import canonical, format_time, parse_time
from gulfsec.domain.entry import ALL, SignedEntry, parse_signed_entry
from gulfsec.domain.forms.hotline import ENCRYPTION_KEY, HOTLINE, RECEIPT
from gulfsec.domain.hotline import KINDS, PRIORITIES, EncryptionKey
from gulfsec.domain.procedures.hotline import (
    KeyDirectory,
    ReceiptStatus,
    receipt_state,
    registered_key,
)
from gulfsec.domain.validate import check_entry
from gulfsec.errors import EntryError, EntryTooLarge, GulfsecError, InvalidFormBody
from gulfsec.services.node.core import NodeCore, SyncReport, log
from gulfsec.services.node.intake import Intake
from gulfsec.services.node.outbox import Outbox
from gulfsec.services.participant import compose
from gulfsec.services.shared.hotline import (
    EncryptionKeys,
    Sealing,
    body_digest,
    keep_keys,
    new_message_id,
    open_entry,
    recipients_sorted,
    seal_body,
)
from gulfsec.services.shared.time import from_micros, micros

__all__ = ["HotlineScheduler", "NodeHotline", "SentMessage"]

SENT = "sent"
RECEIVED = "received"
TESTS_SINCE = "hotline_tests_since"
"""Meta key: when this node first looked for a test to send (the first is due an interval
later)."""
_MAX_RAW = 1 << 22
RECENT = 500
"""The messages looked through for the last test sent: were it older than these, a test is
due anyway."""


@dataclass(frozen=True)
class SentMessage:
    """A message this party sent, where the log has it, and each recipient's receipt."""

    row: HotlineRow
    entry_id: str
    index: int | None
    sequenced_at: datetime | None
    refused: str | None
    receipts: dict[str, ReceiptStatus]
    receipt_at: dict[str, datetime]


class NodeHotline:
    """The hotline at one node: send, open, answer, judge, keep keys."""

    def __init__(self, core: NodeCore, outbox: Outbox, intake: Intake,
                 keys: EncryptionKeys) -> None:
        self.core = core
        self.outbox = outbox
        self.keys = keys
        self._send_lock = threading.Lock()
        self._ids_lock = threading.Lock()
        self._unopened: set[bytes] | None = None
        """Hotline entries held for this party and not yet opened (None: read them again)."""
        self._directory: KeyDirectory | None = None
        """Every party's encryption keys as the log holds them (None: read them again)."""
        self._registering: set[str] = set()
        intake.on_stored.append(self._note_stored)
        intake.on_failed.append(self._forget)
        core.on_load.append(self._forget)

    # -- what the log says -------------------------------------------------------------------

    def directory(self) -> KeyDirectory:
        """Every party's encryption keys, from the ``encryption-key@1`` entries held (read
        once, then kept up to date as entries are stored)."""
        with self._ids_lock:
            if self._directory is not None:
                return KeyDirectory(k for p in self._directory.parties()
                                    for k in self._directory.keys_of(p))
        with self.core.uow() as uow:
            rows = uow.repo.entries_from(-1, forms={ENCRYPTION_KEY})
        found = (registered_key(parse_signed_entry(r.raw, max_bytes=_MAX_RAW), r.index)
                 for r in rows)
        directory = KeyDirectory(k for k in found if k is not None)
        with self._ids_lock:
            self._directory = directory
            return KeyDirectory(k for p in directory.parties() for k in directory.keys_of(p))

    # -- sending -----------------------------------------------------------------------------

    def send(self, to: Sequence[str], text: str, priority: str = "routine", *,
             kind: str = "message", confirmation: str | None = None) -> SignedEntry:
        """Seal ``text`` for each of ``to`` with its current encryption key, sign the
        ``hotline@1`` entry as the party's next, keep what was said, and send it."""
        core = self.core
        problems = []
        if priority not in PRIORITIES:
            problems.append(("priority", f"one of {', '.join(PRIORITIES)}"))
        if kind not in KINDS:
            problems.append(("kind", f"one of {', '.join(KINDS)}"))
        if problems:
            raise InvalidFormBody(HOTLINE, problems)
        recipients = recipients_sorted(to, core.party, core.regime)
        directory = self.directory()
        hotline = core.regime.commitments.hotline
        with self._send_lock, self.outbox.store_lock:
            if confirmation is not None:
                with core.uow() as uow:
                    done = uow.repo.outbox_confirmed(confirmation)
                if done is not None:
                    return parse_signed_entry(done.raw, max_bytes=_MAX_RAW)
            now = core.clock.now()
            with core.uow() as uow:
                seq = self.outbox.next_seq(uow.repo)
            sealing = Sealing(core.key, recipients, new_message_id(), seq, priority, kind, text,
                              now.replace(microsecond=0))
            body, used = seal_body(sealing, directory, now, hotline.receipt,
                                   core.regime.log_origin)
            self._check(body, recipients, seq, now)
            signed, _ = self.outbox.send(HOTLINE, recipients, body, confirmation=confirmation,
                                         deliver=False)
            document = {"message": sealing.common(), "recipient_keys": used,
                        "body_sha256": body_digest(body)}
            with core.uow() as uow:
                uow.repo.add_hotline(HotlineRow(
                    signed.id, SENT, core.party, recipients, kind, micros(sealing.sent_at),
                    canonical(document).decode("utf-8"), None, micros(now)))
                uow.commit()
        self.outbox.flush(wait=False)
        return signed

    def _check(self, body: dict[str, Any], recipients: tuple[str, ...], seq: int,
               now: datetime) -> None:
        """Refuse, before anything is kept, what the hub would refuse: the form, the right,
        the size (too many recipients for a long text)."""
        core = self.core
        draft = compose(core.key, core.party, form=HOTLINE, audience=recipients, body=body,
                        seq=seq, now=now)
        check_entry(draft, core.regime, now)
        limit = core.regime.limits.max_entry_bytes
        if len(draft.raw) > limit:
            raise EntryTooLarge(len(draft.raw), limit)

    def test_if_due(self) -> SignedEntry | None:
        """Send the line's test to the secretariat if one is due: ``test_interval`` after the
        last this node sent (or after it first looked). None when none is due, or the
        secretariat has registered no encryption key yet."""
        core = self.core
        now = core.clock.now()
        interval = core.regime.commitments.hotline.test_interval
        with core.uow() as uow:
            since = uow.repo.get_meta(TESTS_SINCE)
            if since is None:
                uow.repo.set_meta(TESTS_SINCE, format_time(now.replace(microsecond=0)))
                uow.commit()
                return None
            recent = uow.repo.hotline_rows(limit=RECENT)
        tests = [r.sent_at for r in recent
                 if r.direction == SENT and r.kind == "test" and r.sent_at is not None]
        last = max([parse_time(since), *(from_micros(t) for t in tests)])
        if now < last + interval:
            return None
        secretariat = core.regime.secretariat.code
        if self.directory().current(secretariat, now, core.regime.commitments.hotline.receipt
                                    ) is None:
            log.info("%s: no hotline test sent: the secretariat has registered no "
                     "encryption key", core.party)
            return None
        return self.send([secretariat], f"Hotline test from {core.party} to {secretariat}, "
                         f"{format_time(now.replace(microsecond=0))}.", "routine", kind="test")

    # -- after each round --------------------------------------------------------------------

    def run(self, report: SyncReport) -> None:
        """Open what came, answer it, judge the receipts of what went, keep the keys. A
        failure is logged and leaves the round (witnessing, acknowledging) untouched."""
        try:
            self.open_received(report)
            self.check_receipts(report)
            self.keep_keys()
        except Exception:  # the hotline must never stop the node syncing and witnessing
            log.exception("%s: hotline round failed", self.core.party)

    def _note_stored(self, signed: SignedEntry, index: int) -> None:
        entry = signed.entry
        if entry.form == HOTLINE and entry.sender != self.core.party:
            with self._ids_lock:
                if self._unopened is not None:
                    self._unopened.add(signed.id)
        elif entry.form == ENCRYPTION_KEY:
            key = registered_key(signed, index)
            with self._ids_lock:
                if self._directory is not None and key is not None:
                    self._directory.add(key)

    def _forget(self) -> None:
        with self._ids_lock:
            self._unopened = None
            self._directory = None

    def _unopened_ids(self) -> set[bytes]:
        with self._ids_lock:
            if self._unopened is None:
                with self.core.uow() as uow:
                    held = {eid for _, eid, sender in uow.repo.entry_ids_of({HOTLINE})
                            if sender != self.core.party}
                    self._unopened = held - uow.repo.hotline_ids()
            return set(self._unopened)

    def open_received(self, report: SyncReport) -> int:
        """Open each hotline message held for this party and not opened yet; answer each
        that opens with a receipt. Returns how many opened."""
        core = self.core
        waiting = self._unopened_ids()
        if not waiting:
            return 0
        with core.uow() as uow:
            rows = sorted((r for r in (uow.repo.entry_by_id(eid) for eid in waiting)
                           if r is not None), key=lambda r: r.index)
            seen = self._opened_seqs(uow.repo)
        held = {k.key_id: k for k in self.keys.keys()}
        opened = 0
        for row in rows:
            signed = parse_signed_entry(row.raw, max_bytes=_MAX_RAW)
            try:
                sender_key, _active = core.copy.keyring.resolve_ever(row.sender,
                                                                     signed.entry.key)
                found = open_entry(signed, core.party, held.get, sender_key,
                                   core.regime.log_origin)
                if (row.sender, found.message.seq) in seen:
                    raise EntryError(f"{row.sender} sealed another message with sequence "
                                     f"{found.message.seq} before: a replay")
            except EntryError as exc:
                self._unreadable(report, row, signed, exc.message)
            else:
                # The receipt first: a crash before the message is kept opens it again and
                # sends a second receipt, which is harmless; the other way, none.
                self.outbox.send(RECEIPT, (row.sender,), {"message": signed.id_hex},
                                 refs=[signed.id_hex], deliver=False)
                message = found.message
                with core.uow() as uow:
                    uow.repo.add_hotline(HotlineRow(
                        row.entry_id, RECEIVED, row.sender, (core.party,), message.kind,
                        micros(message.sent_at), found.document.decode("utf-8"), None,
                        micros(core.clock.now())))
                    uow.commit()
                seen.add((row.sender, message.seq))
                opened += 1
            with self._ids_lock:
                if self._unopened is not None:
                    self._unopened.discard(row.entry_id)
        if opened:
            self.outbox.flush(wait=False)
        return opened

    def _opened_seqs(self, repo: NodeRepository) -> set[tuple[str, int]]:
        seen: set[tuple[str, int]] = set()
        for row in repo.hotline_rows():
            if row.direction == RECEIVED and row.document is not None:
                message = json.loads(row.document)["message"]
                seen.add((row.sender, int(message["seq"])))
        return seen

    def _unreadable(self, report: SyncReport, row: NodeEntry, signed: SignedEntry,
                    reason: str) -> None:
        core = self.core
        message = (f"hotline message {signed.id_hex} from {row.sender} (log #{row.index}) "
                   f"cannot be opened: {reason}")
        with core.uow() as uow:
            uow.repo.add_hotline(HotlineRow(row.entry_id, RECEIVED, row.sender, (core.party,),
                                            None, None, None, reason, micros(core.clock.now())))
            latest = uow.repo.latest_checkpoint()
            core.alarm(uow.repo, "hotline_bad_message", message, {
                "entry_id": signed.id_hex, "index": row.index,
                "entry": signed.raw.decode("utf-8"), "reason": reason,
                "checkpoint": None if latest is None else latest.note})
            uow.commit()
        report.alarms.append(f"hotline_bad_message: {message}")

    # -- receipts of what this party sent ----------------------------------------------------

    def check_receipts(self, report: SyncReport) -> int:
        """Judge the receipts of each message sent and not judged for good yet: raise
        ``hotline_no_receipt`` for each recipient that missed its deadline. Returns how many
        alarms were raised."""
        core = self.core
        with core.uow() as uow:
            rows = uow.repo.hotline_rows(unsettled_sent=True)
        if not rows:
            return 0
        raised = 0
        for sent in self.sent_messages(rows):
            missed = sorted(p for p, status in sent.receipts.items() if status.missed)
            waiting = [p for p, status in sent.receipts.items() if status.state == "waiting"]
            for party in missed:
                self._no_receipt(report, sent, party)
                raised += 1
            if sent.refused is not None or not waiting:
                with core.uow() as uow:
                    uow.repo.settle_hotline(sent.row.entry_id, micros(core.clock.now()))
                    uow.commit()
        return raised

    def _no_receipt(self, report: SyncReport, sent: SentMessage, party: str) -> None:
        core = self.core
        status = sent.receipts[party]
        due = "" if status.due is None else format_time(status.due)
        late = sent.receipt_at.get(party)
        what = (f"came late, sequenced at {format_time(late)}" if late is not None
                else "none held")
        message = (f"no receipt from {party} within the regime's receipt time for hotline "
                   f"message {sent.entry_id} (log #{sent.index}), due by {due}: {what}")
        with core.uow() as uow:
            held = uow.repo.entry_by_id(bytes.fromhex(sent.entry_id))
            latest = uow.repo.latest_checkpoint()
            core.alarm(uow.repo, "hotline_no_receipt", message, {
                "entry_id": sent.entry_id, "index": sent.index, "recipient": party,
                "entry": None if held is None else held.raw.decode("utf-8"),
                "sequenced_at": None if sent.sequenced_at is None
                else format_time(sent.sequenced_at),
                "due": due, "receipt_at": None if late is None else format_time(late),
                "checkpoint": None if latest is None else latest.note})
            uow.commit()
        report.alarms.append(f"hotline_no_receipt: {message}")

    def sent_messages(self, rows: Iterable[HotlineRow]) -> list[SentMessage]:
        """Where each message sent stands: in the log or not, each recipient's receipt."""
        core = self.core
        rows = [r for r in rows if r.direction == SENT]
        if not rows:
            return []
        with core.uow() as uow:
            held = {r.entry_id: uow.repo.entry_by_id(r.entry_id) for r in rows}
            missing = [r for r in rows if held[r.entry_id] is None]
            if missing:
                held.update(self._renamed(uow.repo, missing))
            found = [e for e in held.values() if e is not None]
            first = min((e.index for e in found), default=uow.repo.last_entry_index())
            receipts = uow.repo.entries_from(first, forms={RECEIPT})
            latest = uow.repo.latest_checkpoint()
            refused = {eid: error for eid, error, _ in uow.repo.refused()}
            uow.commit()
        receipt_at: dict[tuple[str, str], datetime] = {}
        for item in receipts:
            if item.sender == core.party:
                continue
            body = parse_signed_entry(item.raw, max_bytes=_MAX_RAW).entry.body
            key = (str(body.get("message")), item.sender)
            at = from_micros(item.sequenced_at)
            if key not in receipt_at or at < receipt_at[key]:
                receipt_at[key] = at
        now = core.clock.now()
        within = core.regime.commitments.hotline.receipt
        seen_until = None if latest is None else from_micros(latest.hub_time)
        out = []
        for row in rows:
            entry = held.get(row.entry_id)
            eid = row.entry_id.hex() if entry is None else entry.entry_id.hex()
            sequenced = None if entry is None else from_micros(entry.sequenced_at)
            came = {p: receipt_at[(eid, p)] for p in row.recipients if (eid, p) in receipt_at}
            statuses = {p: receipt_state(sequenced, came.get(p), within=within, now=now,
                                         seen_until=seen_until) for p in row.recipients}
            out.append(SentMessage(row, eid, None if entry is None else entry.index, sequenced,
                                   refused.get(row.entry_id), statuses, came))
        return out

    def _renamed(self, repo: NodeRepository,
                 missing: list[HotlineRow]) -> dict[bytes, NodeEntry | None]:
        """Messages sent that the log holds under another entry id (their outbox entry was
        signed again, one sequence number lower, after an earlier one was refused): found by
        their body, and kept under the new id."""
        wanted = {json.loads(r.document or "{}").get("body_sha256"): r for r in missing}
        known = repo.hotline_ids()
        out: dict[bytes, NodeEntry | None] = {}
        for _index, eid, sender in repo.entry_ids_of({HOTLINE}):
            if sender != self.core.party or eid in known:
                continue
            entry = repo.entry_by_id(eid)
            if entry is None:
                continue
            digest = body_digest(parse_signed_entry(entry.raw, max_bytes=_MAX_RAW).entry.body)
            row = wanted.pop(digest, None)
            if row is not None:
                repo.rename_hotline(row.entry_id, eid)
                out[row.entry_id] = entry
        return out

    # -- keys --------------------------------------------------------------------------------

    def keep_keys(self) -> EncryptionKey:
        """Destroy expired keys, make the next when due, and register the newest if the log
        does not hold it and it is not on its way."""
        core = self.core
        newest, destroyed = keep_keys(self.keys, core.regime, core.clock.now())
        for key_id in destroyed:
            log.info("%s: hotline encryption key %s expired and was destroyed", core.party,
                     key_id)
        if self._registered_or_pending(newest.key_id):
            return newest
        if newest.key_id in self._registering:
            log.error("%s: the registration of hotline encryption key %s was refused by the "
                      "hub; see `gulfsec node status`", core.party, newest.key_id)
            return newest
        self._registering.add(newest.key_id)
        self.outbox.send(ENCRYPTION_KEY, ALL, newest.registration())
        return newest

    def _registered_or_pending(self, key_id: str) -> bool:
        core = self.core
        if any(k.key_id == key_id for k in self.directory().keys_of(core.party)):
            return True
        with core.uow() as uow:
            pending = uow.repo.outbox_items(pending_only=True)
        for item in pending:
            entry = parse_signed_entry(item.raw, max_bytes=_MAX_RAW).entry
            if entry.form == ENCRYPTION_KEY and entry.body.get("key_id") == key_id:
                return True
        return False

    # -- the conversation --------------------------------------------------------------------

    def conversation(self, limit: int = 200) -> list[dict[str, Any]]:
        """The ``limit`` latest messages sent and received, newest first, as this node holds
        them in clear: for each sent, each recipient's receipt (received, waiting, overdue);
        for each received, whether this node's receipt went out."""
        core = self.core
        with core.uow() as uow:
            rows = uow.repo.hotline_rows(limit=limit)
        sent = {s.row.entry_id: s for s in self.sent_messages(rows)}
        with core.uow() as uow:
            held = {r.entry_id: uow.repo.entry_by_id(r.entry_id) for r in rows
                    if r.direction == RECEIVED}
        answered = self._answered(min((e.index for e in held.values() if e is not None),
                                      default=None))
        out = []
        for row in rows:
            if row.direction == SENT:
                out.append(_sent_view(sent[row.entry_id]))
            else:
                entry = held.get(row.entry_id)
                out.append(_received_view(row, entry, row.entry_id.hex() in answered))
        # Newest first: what is not in the log yet, then by place in the log.
        created = {row.entry_id.hex(): row.created_at for row in rows}
        out.sort(key=lambda m: (m["index"] is None, m["index"] or 0,
                                created.get(m["entry_id"], 0)), reverse=True)
        return out

    def _answered(self, after: int | None) -> set[str]:
        """The messages (held after index ``after``) this party's node sent a receipt for, in
        the log or on its way."""
        core = self.core
        if after is None:
            return set()
        with core.uow() as uow:
            mine = [e.raw for e in uow.repo.entries_from(after, forms={RECEIPT})
                    if e.sender == core.party]
            mine += [i.raw for i in uow.repo.outbox_items(pending_only=True)]
        out = set()
        for raw in mine:
            entry = parse_signed_entry(raw, max_bytes=_MAX_RAW).entry
            if entry.form == RECEIPT:
                out.add(str(entry.body.get("message")))
        return out


def _when(value: datetime | None) -> str | None:
    return None if value is None else format_time(value)


def _sent_view(sent: SentMessage) -> dict[str, Any]:
    document = json.loads(sent.row.document or "{}")
    message = document.get("message", {})
    return {
        "entry_id": sent.entry_id, "index": sent.index, "direction": SENT,
        "from": sent.row.sender, "to": list(sent.row.recipients),
        "id": message.get("id"), "priority": message.get("priority"),
        "kind": message.get("kind"), "text": message.get("text"),
        "sent_at": message.get("sent_at"), "sequenced_at": _when(sent.sequenced_at),
        "refused": sent.refused,
        "receipts": {party: {"state": status.state, "due": _when(status.due),
                             "at": _when(sent.receipt_at.get(party)), "late": status.late}
                     for party, status in sent.receipts.items()},
    }


def _received_view(row: HotlineRow, entry: NodeEntry | None, answered: bool) -> dict[str, Any]:
    document = json.loads(row.document) if row.document is not None else None
    message = {} if document is None else document["message"]
    return {
        "entry_id": row.entry_id.hex(), "index": None if entry is None else entry.index,
        "direction": RECEIVED, "from": row.sender, "to": list(row.recipients),
        "id": message.get("id"), "priority": message.get("priority"),
        "kind": message.get("kind"), "text": message.get("text"),
        "sent_at": message.get("sent_at"),
        "sequenced_at": None if entry is None else format_time(from_micros(entry.sequenced_at)),
        "opened": document is not None, "problem": row.problem, "receipt_sent": answered,
    }


class HotlineScheduler:
    """Sends the line's test when due (:meth:`NodeHotline.test_if_due`), in a thread of its
    own — not in the sync loop, so a slow hub round never delays a test, nor a test a round."""

    def __init__(self, hotline: NodeHotline, tick_s: float = 30.0) -> None:
        self.hotline = hotline
        self.tick = tick_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"gulfsec-hotline-{self.hotline.core.party}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.hotline.test_if_due()
            except GulfsecError as exc:
                log.warning("%s: hotline test not sent: %s", self.hotline.core.party,
                            exc.message)
            except Exception:  # keep the line tested: the next tick may succeed
                log.exception("%s: hotline test failed", self.hotline.core.party)
            self._stop.wait(self.tick)
