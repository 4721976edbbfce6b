"""The secretariat's end of the hotline, run by the hub's process when it holds the keys.

The secretariat has no node. When the hub's data directory holds the secretariat's signing key
and its hotline key directory (``gulfsec hub init`` makes both), the hub's process runs
:class:`SecretariatHotline` in a thread of its own (:class:`SecretariatHotlineLoop`, started
and stopped with the hub's app, woken by each new checkpoint). Each round it:

1. reads the new entries of the log that concern the secretariat's line — every party's
   encryption keys, the messages sealed for the secretariat, its own messages and the
   receipts both ways — from the hub's own database;
2. keeps the secretariat's encryption keys (destroys those past ``not_after``, makes the next
   one when due) and registers the newest with ``encryption-key@1`` signed by the
   secretariat's key — once a first party has registered one (before, nobody is on the line);
3. opens each message sealed for the secretariat with the key it names, checks it
   (:mod:`gulfsec.domain.hotline`) and answers it with a ``hotline-receipt@1`` signed by the
   secretariat's key;
4. sends the line's test to each party that registered an encryption key, every
   ``test_interval_minutes``, one message each (nobody learns whom else it tests).

:meth:`SecretariatHotline.line_health` is the secretariat's view of each party's line, for its
pages: last test sent and its receipt, last test received and the receipt sent, and what is
wrong; :meth:`SecretariatHotline.messages`, what the parties sent the secretariat. It logs no
message's text, priority or kind, and stores nothing but the entries it signs (ciphertext);
what it opened it keeps in memory only (and opens again after a restart, while it holds the
key).

A deployment that keeps the secretariat's private keys off the hub's machine runs the hub
without this service (:func:`gulfsec.bootstrap.open_secretariat_hotline` finds no keys and
says so): the parties' tests to the secretariat then go unanswered, and their nodes raise
``hotline_no_receipt`` — the line to the secretariat is down, and everyone sees it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gulfsec.domain.encoding import format_time
from gulfsec.domain.entry import ALL, Audience, parse_signed_entry
from gulfsec.domain.forms.hotline import ENCRYPTION_KEY, HOTLINE, RECEIPT, recipients_of
from gulfsec.domain.hotline import Message
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.procedures.hotline import KeyDirectory, receipt_state, registered_key
from gulfsec.errors import EntryError, GulfsecError, SequenceError
from gulfsec.services.hub.hub import Hub
from gulfsec.services.hub.records import HubRecords
from gulfsec.services.hub.state import Receipt
from gulfsec.services.participant import compose
from gulfsec.services.shared.hotline import (
    EncryptionKeys,
    Sealing,
    keep_keys,
    new_message_id,
    open_entry,
    seal_body,
)

__all__ = ["SecretariatHotline", "SecretariatHotlineLoop"]

log = logging.getLogger("gulfsec.hub.hotline")

FORMS = frozenset({ENCRYPTION_KEY, HOTLINE, RECEIPT})


@dataclass
class _Message:
    """A hotline message in the log that concerns the secretariat's line."""

    entry_id: str
    index: int
    sender: str
    recipients: tuple[str, ...]
    sequenced_at: datetime
    opened: Message | None = None
    """What it says, once the secretariat opened it (a message sealed for it; kept in memory
    only, opened again after a restart while the key is held)."""
    problem: str | None = None
    """Why it would not open (for a message sealed for it)."""

    @property
    def kind(self) -> str | None:
        return None if self.opened is None else self.opened.kind


class SecretariatHotline:
    """The secretariat's end of the line with every party, over the hub's own log."""

    def __init__(self, hub: Hub, key: SigningKey, keys: EncryptionKeys) -> None:
        if key.name != hub.regime.secretariat.code:
            raise EntryError(f"the key is {key.name}'s, not the secretariat's")
        self.hub = hub
        self.key = key
        self.keys = keys
        self.me = key.name
        self._records = HubRecords(hub, self.me, forms=FORMS)
        self._every = HubRecords(hub, None, forms=frozenset({HOTLINE, RECEIPT}))
        """Every message and receipt in the log, as metadata (the ciphertext stays shut): to
        escalate a receipt missed between two parties."""
        self._every_after = -1
        self._between: dict[str, _Message] = {}
        """Messages between parties (the secretariat neither sender nor recipient)."""
        self._lock = threading.RLock()
        self._after = -1
        self._since: datetime | None = None
        self.directory = KeyDirectory()
        self._inbound: dict[str, _Message] = {}
        self._outbound: dict[str, _Message] = {}
        self._receipts: dict[tuple[str, str], datetime] = {}
        """(message id, party) → when the party's receipt of it was sequenced."""
        self._unopened: list[str] = []
        self._seqs: set[tuple[str, int]] = set()
        self._key_times: dict[str, datetime] = {}
        """When each party's first encryption key was sequenced (its first test is due an
        interval later)."""
        self._registering: set[str] = set()
        self._alarm_lines: tuple[Hashable, list[str]] | None = None
        """What :meth:`lines_in_alarm` last found, and of what."""

    # -- one round ---------------------------------------------------------------------------

    def run_once(self) -> None:
        """Read what is new, keep the keys, answer what came, test the lines that are due."""
        with self._lock:
            if self._since is None:
                self._since = self.hub.clock.now()
            self._read()
            self._keep_keys()
            self._answer()
            self._test()

    def _read(self) -> None:
        size = self.hub.state.size  # the reads below see at least this much of the log
        for record in self._records.records_after(self._after):
            self._after = record.index
            signed, entry = record.entry, record.entry.entry
            if entry.form == ENCRYPTION_KEY:
                key = registered_key(signed, record.index)
                if key is not None:
                    self.directory.add(key)
                    self._key_times.setdefault(entry.sender, record.sequenced_at)
            elif entry.form == HOTLINE:
                found = _Message(signed.id_hex, record.index, entry.sender,
                                 recipients_of(entry.body), record.sequenced_at)
                if entry.sender == self.me:
                    self._outbound[found.entry_id] = found
                elif self.me in found.recipients:
                    self._inbound[found.entry_id] = found
                    self._unopened.append(found.entry_id)
            elif entry.form == RECEIPT:
                key_ = (str(entry.body.get("message")), entry.sender)
                self._receipts.setdefault(key_, record.sequenced_at)
        for record in self._every.records_after(self._every_after):
            self._every_after = record.index
            signed, entry = record.entry, record.entry.entry
            if entry.form == RECEIPT:
                key_ = (str(entry.body.get("message")), entry.sender)
                self._receipts.setdefault(key_, record.sequenced_at)
            elif entry.form == HOTLINE and entry.sender != self.me:
                recipients = recipients_of(entry.body)
                if self.me not in recipients:
                    self._between[signed.id_hex] = _Message(
                        signed.id_hex, record.index, entry.sender, recipients,
                        record.sequenced_at)
        # Nothing more of these forms lies below that size: the next round reads on from it,
        # not from the last one found (which would read the whole log again every round).
        self._after = max(self._after, size - 1)
        self._every_after = max(self._every_after, size - 1)

    def _keep_keys(self) -> None:
        newest, destroyed = keep_keys(self.keys, self.hub.regime, self.hub.clock.now())
        for key_id in destroyed:
            log.info("the secretariat's hotline encryption key %s expired and was destroyed",
                     key_id)
        if self.directory.get(self.me, newest.key_id) is not None:
            return
        if not [p for p in self.directory.parties() if p != self.me]:
            return  # nobody is on the line yet: the secretariat registers once one party is
        if newest.key_id in self._registering:
            return  # refused once already: said in the log, not again every round
        self._registering.add(newest.key_id)
        self._submit(ENCRYPTION_KEY, ALL, lambda _seq: newest.registration())
        log.info("the secretariat registered hotline encryption key %s", newest.key_id)
        self._read()

    def _answer(self) -> None:
        held = {k.key_id: k for k in self.keys.keys()}
        while self._unopened:
            message = self._inbound[self._unopened[0]]
            answered = (message.entry_id, self.me) in self._receipts
            if self._learn(message, held, quiet=answered) and not answered:
                self._receipt(message)
            self._unopened.pop(0)

    def _receipt(self, message: _Message) -> None:
        body = {"message": message.entry_id}
        self._submit(RECEIPT, (message.sender,), lambda _seq: body, refs=(message.entry_id,))
        self._read()

    def _learn(self, message: _Message, held: dict[str, Any], *, quiet: bool = False) -> bool:
        """Open a message sealed for the secretariat; True if it opened and checked. ``quiet``
        for one answered before the service restarted (its key may be gone since)."""
        found = self.hub.read_entry(self.me, message.entry_id)
        signed = parse_signed_entry(found.raw, max_bytes=self.hub.regime.limits.max_entry_bytes)
        try:
            with self.hub.state.lock:
                sender_key, _ = self.hub.state.keyring.resolve_ever(message.sender,
                                                                    signed.entry.key)
            opened = open_entry(signed, self.me, held.get, sender_key,
                                self.hub.regime.log_origin)
            if (message.sender, opened.message.seq) in self._seqs:
                raise EntryError(f"{message.sender} sealed another message with sequence "
                                 f"{opened.message.seq} before: a replay")
        except EntryError as exc:
            if quiet:
                return False
            message.problem = exc.message
            log.error("hotline message %s from %s cannot be opened by the secretariat: %s",
                      message.entry_id, message.sender, exc.message)
            return False
        self._seqs.add((message.sender, opened.message.seq))
        message.opened = opened.message
        log.info("the secretariat opened hotline message %s from %s", message.entry_id,
                 message.sender)
        return True

    def _test(self) -> None:
        now = self.hub.clock.now()
        hotline = self.hub.regime.commitments.hotline
        assert self._since is not None
        for party in self.directory.parties():
            if party == self.me or self.directory.current(party, now, hotline.receipt) is None:
                continue
            sent = [m.sequenced_at for m in self._outbound.values() if party in m.recipients]
            last = max(sent) if sent else self._since
            if now < last + hotline.test_interval:
                continue
            try:
                self.send_test(party)
            except GulfsecError as exc:
                log.warning("the secretariat's hotline test to %s was not sent: %s", party,
                            exc.message)

    def send_test(self, party: str) -> Receipt:
        """Send the line's test to ``party`` now."""
        now = self.hub.clock.now()
        hotline = self.hub.regime.commitments.hotline

        def body(seq: int) -> dict[str, Any]:
            sealing = Sealing(self.key, (party,), new_message_id(), seq, "routine", "test",
                              f"Hotline test from {self.me} to {party}, "
                              f"{format_time(now.replace(microsecond=0))}.", now)
            sealed, _ = seal_body(sealing, self.directory, now, hotline.receipt,
                                  self.hub.regime.log_origin)
            return sealed

        with self._lock:
            receipt = self._submit(HOTLINE, (party,), body)
            self._read()
        return receipt

    def _submit(self, form: str, audience: Audience, body: Callable[[int], dict[str, Any]],
                refs: tuple[str, ...] = ()) -> Receipt:
        """Sign an entry as the secretariat's next and sequence it. Another of the
        secretariat's entries (from the CLI, say) may take the number first: then again."""
        hub = self.hub
        for attempt in range(5):
            with hub.state.lock:
                seq = hub.state.next_seq.get(self.me, 0)
            now = hub.clock.now()
            signed = compose(self.key, self.me, form=form, audience=audience, body=body(seq),
                             seq=seq, now=now, refs=refs)
            try:
                return hub.submit_signed(hub.prepare(signed.raw))
            except SequenceError:
                if attempt == 4:
                    raise
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    # -- the secretariat's view --------------------------------------------------------------

    def messages(self, *, tests: bool = False) -> list[dict[str, Any]]:
        """What the parties sent the secretariat, newest first (not the tests, unless
        ``tests``): sender, when sequenced, priority, kind and text once opened, or why it
        would not open, and whether the secretariat's receipt went out."""
        with self._lock:
            found = sorted(self._inbound.values(), key=lambda m: m.index, reverse=True)
            out = []
            for m in found:
                if m.kind == "test" and not tests:
                    continue
                said = None if m.opened is None else m.opened.to_json()
                out.append({
                    "entry_id": m.entry_id, "index": m.index, "from": m.sender,
                    "sequenced_at": format_time(m.sequenced_at),
                    "priority": None if said is None else said["priority"],
                    "kind": None if said is None else said["kind"],
                    "text": None if said is None else said["text"],
                    "sent_at": None if said is None else said["sent_at"],
                    "problem": m.problem,
                    "receipt_sent": (m.entry_id, self.me) in self._receipts})
            return out

    def missed_receipts(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """The messages between parties whose receipt from a recipient is overdue, newest
        first — what the log shows of them (sender, recipient, when sequenced, when the
        receipt was due), never what they say: the escalation of a sender's alarm."""
        hotline = self.hub.regime.commitments.hotline
        with self._lock:
            at = now or self.hub.clock.now()
            out = []
            for m in sorted(self._between.values(), key=lambda m: m.index, reverse=True):
                for party in m.recipients:
                    status = receipt_state(m.sequenced_at, self._receipts.get((m.entry_id,
                                                                               party)),
                                           within=hotline.receipt, now=at, seen_until=at)
                    if status.state == "overdue":
                        out.append({"entry_id": m.entry_id, "index": m.index,
                                    "from": m.sender, "to": party,
                                    "sequenced_at": format_time(m.sequenced_at),
                                    "due": None if status.due is None
                                    else format_time(status.due)})
            return out

    def line_health(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Each participant's line with the secretariat, in the regime's order, as a list of
        plain dicts (times as UTC strings, or None):

        - ``party``, ``name``; ``key_id`` and ``key_not_after``: its current encryption key
          (None: it registered none, and takes no part in the hotline yet);
        - ``last_test_sent`` (when the secretariat's last test to it was sequenced),
          ``test_entry``, ``receipt`` (``received``, ``waiting``, ``overdue`` or None) and
          ``receipt_at``;
        - ``last_test_received`` (its last test to the secretariat), ``receipt_sent`` (the
          secretariat answered it);
        - ``status``: ``ok``, ``waiting`` (a receipt not yet due), ``alarm`` or ``no-key``;
          ``alarms``: what is wrong, in words (a receipt missed, no test for longer than the
          interval, a message that would not open).
        """
        with self._lock:
            return [self._party_health(p, now or self.hub.clock.now())
                    for p in self.hub.regime.participants]

    def lines_in_alarm(self) -> list[str]:
        """The parties whose line is in :meth:`line_health`'s alarm, for every page's
        navigation: worked out at most once per second of the clock and change of what the
        secretariat's end has read, and never waiting for a round in progress (which may be
        waiting for the hub to sequence a test): then what the last look found."""
        if not self._lock.acquire(blocking=self._alarm_lines is None):
            return list(self._alarm_lines[1]) if self._alarm_lines is not None else []
        try:
            now = self.hub.clock.now()
            seen = (int(now.timestamp()), self._after, self._every_after, len(self._receipts),
                    len(self._unopened))
            if self._alarm_lines is None or self._alarm_lines[0] != seen:
                self._alarm_lines = (seen, [line["party"] for line in self.line_health(now)
                                            if line["status"] == "alarm"])
            return list(self._alarm_lines[1])
        finally:
            self._lock.release()

    def _party_health(self, party: str, now: datetime) -> dict[str, Any]:
        hotline = self.hub.regime.commitments.hotline
        key = self.directory.current(party, now)
        sent = [m for m in self._outbound.values() if party in m.recipients]
        came = [m for m in self._inbound.values() if m.sender == party]
        last_out = max(sent, key=lambda m: m.index, default=None)
        tests_in = [m for m in came if m.kind == "test"]
        last_in = max(tests_in, key=lambda m: m.index, default=None)
        alarms: list[str] = []
        state = None
        receipt_at = None
        if last_out is not None:
            receipt_at = self._receipts.get((last_out.entry_id, party))
            status = receipt_state(last_out.sequenced_at, receipt_at, within=hotline.receipt,
                                   now=now, seen_until=now)
            state = status.state
            if status.missed:
                alarms.append(f"no receipt from {party} within {_minutes(hotline.receipt)} of "
                              f"the test sequenced at {format_time(last_out.sequenced_at)}")
        if key is not None:
            since = (last_in.sequenced_at if last_in is not None
                     else self._key_times.get(party))
            if since is not None and now > since + hotline.test_interval + hotline.receipt:
                alarms.append(f"no test from {party} since {format_time(since)} (one is due "
                              f"every {_minutes(hotline.test_interval)})")
        failed = max((m for m in came if m.problem is not None), key=lambda m: m.index,
                     default=None)
        if failed is not None and (last_in is None or failed.index > last_in.index):
            alarms.append(f"message {failed.entry_id} from {party} would not open: "
                          f"{failed.problem}")
        if alarms:
            overall = "alarm"
        elif key is None:
            overall = "no-key"
        elif state == "waiting":
            overall = "waiting"
        else:
            overall = "ok"
        return {
            "party": party, "name": self.hub.regime.participants[party].name,
            "key_id": None if key is None else key.key_id,
            "key_not_after": None if key is None else format_time(key.not_after),
            "last_test_sent": None if last_out is None else format_time(last_out.sequenced_at),
            "test_entry": None if last_out is None else last_out.entry_id,
            "receipt": state, "receipt_at": None if receipt_at is None
            else format_time(receipt_at),
            "last_test_received": None if last_in is None
            else format_time(last_in.sequenced_at),
            "receipt_sent": None if last_in is None
            else (last_in.entry_id, self.me) in self._receipts,
            "status": overall, "alarms": alarms,
        }


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


class SecretariatHotlineLoop:
    """Runs :meth:`SecretariatHotline.run_once` in a thread of its own: at once on each new
    checkpoint, and at least every ``tick_s`` seconds (for the tests that fall due)."""

    def __init__(self, service: SecretariatHotline, tick_s: float = 5.0) -> None:
        self.service = service
        self.tick = tick_s
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def _on_checkpoint(self, _size: int) -> None:
        self._wake.set()

    def start(self) -> None:
        self._stop.clear()
        self.service.hub.state.listeners.append(self._on_checkpoint)
        self._thread = threading.Thread(target=self._run, name="gulfsec-hotline-secretariat",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        listeners = self.service.hub.state.listeners
        if self._on_checkpoint in listeners:
            listeners.remove(self._on_checkpoint)
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                # Of several front ends on one database, the one that sequences keeps the
                # line: one receipt for each message, one test for each party.
                if self.service.hub.leading:
                    self.service.run_once()
            except Exception:  # keep the line up: the next round may succeed
                log.exception("the secretariat's hotline round failed")
            self._wake.wait(self.tick)
