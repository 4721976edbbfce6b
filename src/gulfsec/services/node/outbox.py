"""The outbox: what this party signs is stored before it is sent, so a crash loses nothing and
never reuses a sequence number.

:meth:`Outbox.send` signs an entry as the party's next and stores it in the same transaction
as the confirmation that asked for it (a delegate's click on the pages, or none for the CLI and
the node's own acknowledgements); the same confirmation again, even after a crash and a
restart, finds the entry already signed and signs nothing new. :meth:`Outbox.flush` then
delivers what waits, in sequence order.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from gulfsec.adapters.storage.node import NodeRepository, OutboxItem
from gulfsec.domain.entry import Audience, SignedEntry, parse_signed_entry
from gulfsec.domain.procedures.checks import check_submission
from gulfsec.errors import (
    AnswerSignatureError,
    EntryError,
    LogVerificationError,
    MalformedEntry,
    PreviewChanged,
    RemoteError,
    TransportError,
)
from gulfsec.ledger.note import verify_checkpoint
from gulfsec.ledger.receipts import Receipt, read_receipt
from gulfsec.services.node.core import NodeCore, log
from gulfsec.services.participant import compose
from gulfsec.services.shared.time import micros

FOR_GOOD = frozenset({"malformed_entry", "entry_too_large", "unknown_form", "invalid_form_body",
                      "procedure", "audience", "unknown_reference", "missing_right",
                      "forbidden"})
"""The hub's refusals that sending the same entry again cannot change (a malformed or invalid
entry, a right the sender lacks, a step the procedure does not allow): the entry leaves the
outbox. Any other refusal (a gap in the sequence, a claimed time off the hub's clock, a key not
registered yet, the hub unreachable or busy) keeps it there, to be sent again."""

MAX_CONFIRMATION = 100
KEEP_PREVIEWED_TIME: Final = timedelta(minutes=2)
"""How old the claimed time shown on a preview may be and still be the one signed; older, the
signer is shown the entry again with the time it will carry."""


def _keep_previewed(previewed: tuple[int, datetime], seq: int, now: datetime) -> datetime:
    """The time to sign with: the previewed one, if the previewed entry can still be signed
    as it was shown; else :class:`PreviewChanged`, and nothing is signed."""
    want_seq, want_time = previewed
    if want_seq != seq:
        raise PreviewChanged(f"sequence number {want_seq} was taken since the preview: this "
                             f"entry would be number {seq}", seq=seq, time=now.isoformat())
    if not timedelta(0) <= now - want_time <= KEEP_PREVIEWED_TIME:
        raise PreviewChanged("the preview is too old to sign with the time it shows",
                             seq=seq, time=now.isoformat())
    return want_time
"""Longest confirmation token accepted (the pages make 24 characters)."""


class Outbox:
    """Signing and storing take :attr:`store_lock`, delivering its own lock — never the sync's:
    a delegate's entry is signed and kept at once even while a sync round waits on a hub that
    does not answer."""

    def __init__(self, core: NodeCore) -> None:
        self.core = core
        self.store_lock = threading.RLock()
        """Held while the next sequence number is chosen and the entry stored."""
        self._delivering = threading.Lock()

    def next_seq(self, repo: NodeRepository) -> int:
        """The party's next sequence number: after what the log holds, what waits in the
        outbox, and its key registration (entry 0), even before the first sync."""
        outbox_max = repo.max_outbox_seq()
        seen = self.core.copy.last_seq.get(self.core.party, -1)
        registered = int(repo.get_meta("registration_seq") or -1)
        return max(seen, registered, -1 if outbox_max is None else outbox_max) + 1

    def send(self, form: str, audience: Audience, body: dict[str, Any],
             refs: Sequence[str] = (), *, confirmation: str | None = None,
             deliver: bool = True,
             previewed: tuple[int, datetime] | None = None,
             within: Callable[[NodeRepository, SignedEntry], None] | None = None
             ) -> tuple[SignedEntry, bool]:
        """Sign an entry as this party's next, store it, then try to deliver it.

        Returns the entry and whether it was signed now: False when ``confirmation`` was
        already used, in which case the entry signed then is returned and nothing is signed.

        ``previewed`` (sequence number, claimed time) is what the signer saw: the entry is
        signed with exactly those, so that what is signed is what was shown, or not at all
        (:class:`PreviewChanged`) when the number was taken since or the time is more than
        :data:`KEEP_PREVIEWED_TIME` old.

        ``within`` is called with the new entry in the transaction that stores it, before the
        commit (the drafts queue marks its draft signed there); what it raises stores nothing.
        It is not called when ``confirmation`` was already used.
        """
        if confirmation is not None and not 0 < len(confirmation) <= MAX_CONFIRMATION:
            raise MalformedEntry("the confirmation is missing or too long: preview the entry "
                                 "again")
        core = self.core
        with self.store_lock:
            with core.uow() as uow:
                uow.repo.lock_outbox()  # another process of this node may be numbering too
                if confirmation is not None:
                    done = uow.repo.outbox_confirmed(confirmation)
                    if done is not None:
                        return parse_signed_entry(done.raw, max_bytes=1 << 22), False
                    refused = uow.repo.refused_confirmed(confirmation)
                    if refused is not None:
                        raise EntryError(f"this entry was signed, then refused by the hub: "
                                         f"{refused}")
                seq = self.next_seq(uow.repo)
                now = core.clock.now()
                if previewed is not None:
                    now = _keep_previewed(previewed, seq, now)
                signed = compose(core.key, core.party, form=form, audience=audience, body=body,
                                 seq=seq, now=now, refs=refs)
                self._check_procedure(uow.repo, signed)
                uow.repo.add_outbox(seq, signed.id, signed.raw, micros(now), confirmation)
                if within is not None:
                    within(uow.repo, signed)
                uow.commit()
        if deliver:
            self.flush(wait=False)
        return signed, True

    def _check_procedure(self, repo: NodeRepository, signed: SignedEntry) -> None:
        """Refuse, before it is stored, a step of a procedure the hub would refuse (a position
        after closing, by a non-member, …), judged on this node's own copy: once signed, a
        refused entry would hold up every later one in the outbox."""
        core = self.core

        def lookup(entry_id: str) -> tuple[int, SignedEntry] | None:
            try:
                found = repo.entry_by_id(bytes.fromhex(entry_id))
            except ValueError:
                return None
            if found is None:
                return None
            return found.index, parse_signed_entry(found.raw, max_bytes=1 << 22)

        check_submission(signed, core.regime, core.clock.now(), lookup,
                         core.copy.keyring.joined())

    def flush(self, *, wait: bool = True) -> int:
        """Deliver pending outbox entries in sequence order; returns how many were sequenced.
        Without ``wait``, return 0 at once if a delivery is under way (it takes what waits).

        Each answer must be the hub's signed receipt for that very entry; the receipts of one
        flush are then checked against the hub's latest signed checkpoint, which must already
        hold their indexes (the hub answers only once an entry is sequenced). A receipt that
        fails either check is refused: the entry stays in the outbox and an alarm holds the
        signed answers that contradict each other.
        """
        if not self._delivering.acquire(blocking=wait):
            return 0
        try:
            return self._deliver()
        finally:
            self._delivering.release()

    def _deliver(self) -> int:
        core = self.core
        with core.uow() as uow:
            pending = uow.repo.outbox_items(pending_only=True)
        receipts: list[tuple[OutboxItem, Receipt]] = []
        while pending:
            item = pending.pop(0)
            try:
                core.client.submit(item.raw)
                receipt = self._receipt(item)
            except RemoteError as exc:
                log.warning("%s: hub refused outbox entry %d: %s", core.party, item.seq,
                            exc.message)
                if exc.remote.get("error") in FOR_GOOD:  # each leaves: the loop ends
                    self._void(item, exc.message)
                    with core.uow() as uow:  # the entries after it, signed again
                        pending = [i for i in uow.repo.outbox_items(pending_only=True)
                                   if i.seq >= item.seq]
                    continue
                self._refused(item, exc.message)
                break
            except LogVerificationError as exc:
                self._refused(item, exc.message)
                log.warning("%s: bad receipt for outbox entry %d: %s", core.party, item.seq,
                            exc.message)
                break
            except TransportError as exc:
                log.info("%s: hub unreachable, outbox kept: %s", core.party, exc.message)
                break
            receipts.append((item, receipt))
        if not receipts:
            return 0
        try:
            plausible = self._plausible(receipts)
        except (TransportError, LogVerificationError) as exc:
            log.info("%s: receipts not checked yet (%s); the entries stay pending", core.party,
                     exc.message)
            return 0
        with core.uow() as uow:
            for item, receipt in plausible:
                uow.repo.mark_outbox(item.seq, index=receipt.index, error=None,
                                     receipt=json.dumps(receipt.answer.to_json()))
            uow.commit()
        return len(plausible)

    def _receipt(self, item: OutboxItem) -> Receipt:
        answer = self.core.client.last_answer()
        if answer is None:
            raise AnswerSignatureError("the hub's answer to a submission carries no signed "
                                       "receipt")
        receipt = read_receipt(answer)
        if receipt.entry_id != item.entry_id.hex():
            raise AnswerSignatureError(f"the hub's receipt names entry {receipt.entry_id}, "
                                       f"not the one sent ({item.entry_id.hex()})")
        return receipt

    def _plausible(self, receipts: list[tuple[OutboxItem, Receipt]]
                   ) -> list[tuple[OutboxItem, Receipt]]:
        """The receipts whose index the hub's latest signed checkpoint already holds; the
        others are refused with an alarm."""
        core = self.core
        note = core.client.checkpoint()
        answer = core.client.last_answer()
        checkpoint, _ = verify_checkpoint(note, core.log_key)
        good: list[tuple[OutboxItem, Receipt]] = []
        for item, receipt in receipts:
            if receipt.index < checkpoint.size:
                good.append((item, receipt))
                continue
            message = (f"the hub's signed receipt puts entry {receipt.entry_id} (seq {item.seq}) "
                       f"at index {receipt.index}, beyond its own latest signed tree (size "
                       f"{checkpoint.size}): the receipt is refused and the entry stays in the "
                       "outbox")
            with core.uow() as uow:
                core.alarm(uow.repo, "bad_receipt", message, {
                    "receipt": receipt.answer.to_json(),
                    "checkpoint_answer": None if answer is None else answer.to_json(),
                    "checkpoint": note})
                uow.repo.mark_outbox(item.seq, index=None, error=message)
                uow.commit()
        return good

    def _void(self, item: OutboxItem, message: str) -> None:
        """Move an entry the hub refused for good out of the outbox, and sign each entry after
        it again one sequence number lower: the party's sequence has no gap, and nothing after
        it is held up. Those entries were never in the log, so nobody saw their first ids; a
        later entry that names one by its first id (a position on a draft still waiting) is
        signed naming the new one."""
        core = self.core
        renamed: dict[str, str] = {}
        with self.store_lock, core.uow() as uow:
            uow.repo.lock_outbox()
            uow.repo.refuse_outbox(item.seq, message, micros(core.clock.now()))
            for later in uow.repo.outbox_items(pending_only=True):
                if later.seq <= item.seq:
                    continue
                old = parse_signed_entry(later.raw, max_bytes=1 << 22)
                again = compose(core.key, core.party, form=old.entry.form,
                                audience=old.entry.audience,
                                body=_renamed(old.entry.body, renamed), seq=later.seq - 1,
                                now=core.clock.now(),
                                refs=[renamed.get(r, r) for r in old.entry.refs])
                renamed[old.id_hex] = again.id_hex
                uow.repo.resequence_outbox(later.seq, later.seq - 1, again.id, again.raw)
            uow.commit()

    def _refused(self, item: OutboxItem, message: str) -> None:
        with self.core.uow() as uow:
            uow.repo.mark_outbox(item.seq, index=None, error=message)
            uow.commit()

    def pending(self) -> int:
        with self.core.uow() as uow:
            return len(uow.repo.outbox_items(pending_only=True))


def _renamed(value: Any, renamed: Mapping[str, str]) -> Any:
    """``value`` (an entry body) with each string that is a renamed entry id replaced."""
    if isinstance(value, str):
        return renamed.get(value, value)
    if isinstance(value, Mapping):
        return {k: _renamed(v, renamed) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_renamed(v, renamed) for v in value]
    return value
