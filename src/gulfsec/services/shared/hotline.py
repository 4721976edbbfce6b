"""What both ends of the hotline do alike — a participant's node (:mod:`..node.hotline`) and
the secretariat's end in the hub (:mod:`..hub.hotline`): keep their encryption keys, seal a
message for its recipients, open what was sealed for them.

- :class:`EncryptionKeys` is the port for the private keys (files in the data directory, or
  memory in tests: :mod:`gulfsec.adapters.hotline_keys`).
- :func:`keep_keys` destroys the keys past their ``not_after``, and makes the next key once the
  newest has less than :func:`rotate_before` left: the caller registers it with an
  ``encryption-key@1`` entry. The previous key stays, for what was sealed to it, until it
  expires.
- :func:`seal_body` makes a ``hotline@1`` body: the message, signed inside and sealed to each
  recipient's current key; :func:`open_entry` opens and checks this party's part of one.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic import ValidationError

from gulfsec.domain.encoding import canonical
from gulfsec.domain.entry import SignedEntry
from gulfsec.domain.forms.hotline import HOTLINE
from gulfsec.domain.hotline import EncryptionKey, Message, Opened, open_sealed, seal
from gulfsec.domain.keys import SigningKey, VerifierKey
from gulfsec.domain.procedures.hotline import KeyDirectory
from gulfsec.domain.regime import Regime
from gulfsec.errors import HotlineError, InvalidFormBody

__all__ = ["EncryptionKeys", "Sealing", "body_digest", "keep_keys", "new_message_id",
           "open_entry", "recipients_sorted", "rotate_before", "seal_body"]


class EncryptionKeys(Protocol):
    """Where a party's private encryption keys are kept."""

    def keys(self) -> list[EncryptionKey]:
        """Every key held, the soonest to expire first."""
        ...

    def add(self, key: EncryptionKey) -> None: ...

    def destroy(self, key_id: str) -> None:
        """Destroy the private key: nothing sealed to it opens here any more."""
        ...


def rotate_before(regime: Regime) -> timedelta:
    """How long before its ``not_after`` the newest key is replaced: a fifth of its life
    (six days of thirty), so every sender has long seen the next key when it expires."""
    return regime.commitments.hotline.encryption_key / 5


def keep_keys(keys: EncryptionKeys, regime: Regime,
              now: datetime) -> tuple[EncryptionKey, list[str]]:
    """Destroy the keys that expired; make the next one if the newest is near its end.
    Returns the newest key (the one to have registered) and the ids of the keys destroyed."""
    destroyed: list[str] = []
    for key in keys.keys():
        if key.not_after <= now:
            keys.destroy(key.key_id)
            destroyed.append(key.key_id)
    held = [k for k in keys.keys() if k.not_after > now]
    newest = held[-1] if held else None
    if newest is None or newest.not_after - now < rotate_before(regime):
        newest = EncryptionKey.generate(now + regime.commitments.hotline.encryption_key)
        keys.add(newest)
    return newest, destroyed


def new_message_id() -> str:
    return secrets.token_hex(16)


def body_digest(body: Mapping[str, Any]) -> str:
    """The SHA-256 of a body's canonical JSON: the same message under another entry id (an
    outbox entry signed again one sequence number lower) has the same body."""
    return hashlib.sha256(canonical(dict(body))).hexdigest()


@dataclass(frozen=True)
class Sealing:
    """What is sealed: one message for each of ``recipients``."""

    sender: SigningKey
    recipients: tuple[str, ...]
    message_id: str
    seq: int
    priority: str
    kind: str
    text: str
    sent_at: datetime

    def message_for(self, recipient: str, key_id: str) -> Message:
        try:
            return Message.model_validate({
                "sender": self.sender.name, "key": self.sender.key_id_hex,
                "recipient": recipient, "recipient_key": key_id, "id": self.message_id,
                "seq": self.seq, "priority": self.priority, "kind": self.kind,
                "text": self.text, "sent_at": self.sent_at.replace(microsecond=0)})
        except ValidationError as exc:
            raise InvalidFormBody(HOTLINE, [(".".join(str(p) for p in e["loc"]), e["msg"])
                                            for e in exc.errors(include_url=False)]) from None

    def common(self) -> dict[str, Any]:
        """What every recipient's copy says alike (the sender keeps it: it cannot open its
        own ciphertexts)."""
        first = self.message_for(self.recipients[0], "0" * 8).to_json()
        return {k: v for k, v in first.items() if k not in ("recipient", "recipient_key")}


def seal_body(sealing: Sealing, directory: KeyDirectory, now: datetime, margin: timedelta,
              log_origin: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The ``hotline@1`` body for ``sealing``, and the key id each recipient's copy is sealed
    to. Each is sealed to the recipient's latest key still valid ``margin`` from now;
    :class:`HotlineError` if a recipient has none."""
    records: list[dict[str, str]] = []
    used: dict[str, str] = {}
    for party in sealing.recipients:
        key = directory.current(party, now, margin)
        if key is None:
            raise HotlineError(f"{party} has registered no hotline encryption key valid now: "
                               "its node registers one on its first sync")
        message = sealing.message_for(party, key.key_id)
        records.append({"party": party, "key": key.key_id,
                        "enc": seal(message, sealing.sender, key.public, log_origin)})
        used[party] = key.key_id
    return {"recipients": records}, used


def open_entry(signed: SignedEntry, me: str, private_key: Callable[[str], EncryptionKey | None],
               sender_key: VerifierKey, log_origin: str) -> Opened:
    """Open ``me``'s part of a ``hotline@1`` entry with the private key it names
    (``private_key``: a key id to the key held, or None) and check it; HotlineError if it
    does not open or check."""
    entry = signed.entry
    if entry.form != HOTLINE:
        raise HotlineError(f"entry {signed.id_hex} is not a hotline message")
    mine = [r for r in entry.body.get("recipients", ()) if r.get("party") == me]
    if len(mine) != 1:
        raise HotlineError(f"the message holds no ciphertext for {me}")
    key_id = str(mine[0]["key"])
    key = private_key(key_id)
    if key is None:
        raise HotlineError(f"the message is sealed to encryption key {key_id}, which {me} "
                           "does not hold (never its key, or expired and destroyed)")
    return open_sealed(str(mine[0]["enc"]), key, log_origin=log_origin, sender=entry.sender,
                       sender_key=sender_key, recipient=me)


def recipients_sorted(to: Sequence[str], sender: str, regime: Regime) -> tuple[str, ...]:
    """The recipients named, each once, sorted: parties of the regime other than the
    sender; InvalidFormBody otherwise."""
    parties = set(regime.parties())
    named = sorted({p.strip() for p in to if p.strip()})
    problems = [("to", f"{p} is not a party of the regime") for p in named if p not in parties]
    if sender in named:
        problems.append(("to", f"{sender} does not send to itself"))
    if not named:
        problems.append(("to", "name at least one recipient"))
    if problems:
        raise InvalidFormBody(HOTLINE, problems)
    return tuple(named)
