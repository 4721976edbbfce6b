"""The hotline as a procedure: who holds which encryption key, what the hub refuses, and where
each message's receipt stands.

- :class:`KeyDirectory`: each party's ``encryption-key@1`` entries in log order. A message is
  sealed to the latest key a recipient registered that stays valid past the receipt window;
  an earlier key stays good for opening what was sealed to it until its ``not_after``.
- :func:`check_submission`: an encryption key goes to all and expires within the regime's
  ``encryption_key_days``; a message goes to exactly the parties it is sealed for (never its
  sender); a receipt names a hotline message in the log that was sealed for its sender, and
  goes to that message's sender alone.
- :func:`receipt_state`: a receipt is due within the regime's ``receipt_minutes`` of the
  message's *sequencing* time — the time of the first checkpoint that covered it, which the hub
  signed. Not its finality time: finality waits for a quorum of witnesses' rounds, which would
  eat into a window of minutes and make the line's health hang on third parties. The hub can
  neither forge a receipt (the recipient signs it) nor back-date the checkpoint that covers it
  (a node raises ``backdated_checkpoint``). A receipt is missing for certain once a checkpoint
  the hub signed after the deadline holds none; if the hub signs nothing more (an idle
  log), once the viewer's clock is :data:`SILENT_HUB_GRACE` past the deadline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from gulfsec.domain.encoding import parse_time
from gulfsec.domain.entry import ALL, SignedEntry
from gulfsec.domain.forms.hotline import ENCRYPTION_KEY, HOTLINE, RECEIPT, recipients_of
from gulfsec.domain.hotline import public_key_from
from gulfsec.domain.regime import Regime
from gulfsec.errors import ProcedureError

__all__ = [
    "SILENT_HUB_GRACE",
    "KeyDirectory",
    "ReceiptState",
    "ReceiptStatus",
    "RegisteredKey",
    "check_submission",
    "receipt_state",
    "registered_key",
]

ReceiptState = Literal["received", "waiting", "overdue"]

SILENT_HUB_GRACE = timedelta(seconds=60)
"""How long past a receipt's deadline a viewer waits for a checkpoint when the hub signs none:
about a node's sync round, many times over."""


@dataclass(frozen=True)
class RegisteredKey:
    """A hotline encryption key as the log registered it."""

    party: str
    key_id: str
    public: bytes
    not_after: datetime
    index: int
    """The log index of its ``encryption-key@1`` entry."""
    entry_id: str


def registered_key(signed: SignedEntry, index: int) -> RegisteredKey | None:
    """The key an ``encryption-key@1`` entry registers (None for another form, or a body
    that does not hold one)."""
    entry = signed.entry
    if entry.form != ENCRYPTION_KEY:
        return None
    try:
        public = public_key_from(str(entry.body["key"]))
        not_after = parse_time(str(entry.body["not_after"]))
    except (KeyError, ValueError):
        return None
    return RegisteredKey(entry.sender, str(entry.body["key_id"]), public, not_after, index,
                         signed.id_hex)


class KeyDirectory:
    """Every party's hotline encryption keys, in log order."""

    def __init__(self, keys: Iterable[RegisteredKey] = ()) -> None:
        self._keys: dict[str, list[RegisteredKey]] = {}
        for key in keys:
            self.add(key)

    def add(self, key: RegisteredKey) -> None:
        held = self._keys.setdefault(key.party, [])
        if any(k.index == key.index for k in held):
            return
        held.append(key)
        held.sort(key=lambda k: k.index)

    def keys_of(self, party: str) -> list[RegisteredKey]:
        return list(self._keys.get(party, ()))

    def parties(self) -> list[str]:
        """The parties that registered a key, sorted."""
        return sorted(self._keys)

    def get(self, party: str, key_id: str) -> RegisteredKey | None:
        return next((k for k in self._keys.get(party, ()) if k.key_id == key_id), None)

    def current(self, party: str, now: datetime,
                margin: timedelta = timedelta(0)) -> RegisteredKey | None:
        """The key to seal to now: the latest the party registered that is still valid
        ``margin`` from now (None if it holds none)."""
        valid = [k for k in self._keys.get(party, ()) if k.not_after > now + margin]
        return valid[-1] if valid else None


def check_submission(signed: SignedEntry, regime: Regime, now: datetime,
                     lookup: Callable[[str], tuple[int, SignedEntry] | None]) -> None:
    """What the hub refuses of a hotline entry before it is sequenced."""
    entry = signed.entry
    if entry.form == ENCRYPTION_KEY:
        if entry.audience != ALL:
            raise ProcedureError("an encryption key is addressed to all", entry_id=signed.id_hex)
        not_after = parse_time(str(entry.body["not_after"]))
        longest = regime.commitments.hotline.encryption_key + regime.limits.clock_skew
        if not_after <= now:
            raise ProcedureError("the encryption key has expired already",
                                 entry_id=signed.id_hex)
        if not_after > now + longest:
            days = regime.commitments.hotline.encryption_key.days
            raise ProcedureError(f"an encryption key is valid at most {days} days (the "
                                 "regime's encryption_key_days)", entry_id=signed.id_hex)
    elif entry.form == HOTLINE:
        recipients = recipients_of(entry.body)
        if entry.sender in recipients:
            raise ProcedureError("a hotline message is not sealed for its own sender",
                                 entry_id=signed.id_hex)
        if entry.audience != recipients:
            raise ProcedureError("a hotline message is addressed to exactly the parties it "
                                 f"is sealed for: {', '.join(recipients)}",
                                 entry_id=signed.id_hex)
    elif entry.form == RECEIPT:
        found = lookup(str(entry.body["message"]))
        if found is None or found[1].entry.form != HOTLINE:
            raise ProcedureError(f"{entry.body['message']} is not a hotline message in the log",
                                 entry_id=signed.id_hex)
        message = found[1].entry
        if entry.sender not in recipients_of(message.body):
            raise ProcedureError(f"the hotline message was not sealed for {entry.sender}",
                                 entry_id=signed.id_hex)
        if entry.audience != (message.sender,):
            raise ProcedureError(f"a receipt goes to the message's sender alone: "
                                 f"{message.sender}", entry_id=signed.id_hex)


@dataclass(frozen=True)
class ReceiptStatus:
    """Where one recipient's receipt of a message stands."""

    state: ReceiptState
    due: datetime | None
    """When it is (was) due: ``receipt_minutes`` after the message was sequenced."""
    late: bool = False
    """A receipt came, but was sequenced after it was due: the line failed its promise."""

    @property
    def missed(self) -> bool:
        """No receipt by the deadline: what raises ``hotline_no_receipt``."""
        return self.state == "overdue" or self.late


def receipt_state(sequenced_at: datetime | None, receipt_at: datetime | None, *,
                  within: timedelta, now: datetime,
                  seen_until: datetime | None) -> ReceiptStatus:
    """Where the receipt of a message stands.

    ``sequenced_at``: when the message was sequenced (None: not yet, as far as the viewer
    knows); ``receipt_at``: when the first receipt was sequenced (None: none held);
    ``seen_until``: the signed time of the latest checkpoint the viewer holds (every receipt
    sequenced before it is held).
    """
    if sequenced_at is None:
        return ReceiptStatus("waiting", None)
    due = sequenced_at + within
    if receipt_at is not None:
        return ReceiptStatus("received", due, late=receipt_at > due)
    if (seen_until is not None and seen_until > due) or now > due + SILENT_HUB_GRACE:
        return ReceiptStatus("overdue", due)
    return ReceiptStatus("waiting", due)
