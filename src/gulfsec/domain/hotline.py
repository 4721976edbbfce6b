"""The hotline's sealed messages: signed inside, encrypted to one recipient's key (RFC 9180).

A hotline message goes in a ``hotline@1`` entry as one ciphertext per recipient, so that the
hub stores ciphertext only. Each ciphertext is HPKE in base mode (RFC 9180, the suite
DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM) to the recipient's registered X25519
key, with the ``info`` :func:`info` (``gulfsec hotline v1`` and the regime's log origin: a
ciphertext made for another log does not open here). What it seals is a canonical JSON
document, padded with NUL bytes to a multiple of :data:`PAD` bytes so that its size does not
tell a test from a message or one priority from another::

    {"message": {"sender": "IRN", "key": "<sender's signing key id>", "recipient": "SAU",
                 "recipient_key": "<recipient's encryption key id>", "id": "<32 hex>",
                 "seq": 7, "priority": "flash", "kind": "message", "text": "…",
                 "sent_at": "2026-11-23T12:00:00Z"},
     "signature": "<base64 Ed25519 signature>"}

The signature is the sender's Ed25519 signing key's, *inside* the encryption, over
:data:`SIGNED_PREFIX` and the canonical JSON of ``{"suite": <the RFC 9180 suite id, hex>,
"info": <the info string>, "message": <the message>}``: the suite, the context, the sender, the
recipient and its key id, the sequence and the text. A recipient who opens a message cannot
re-encrypt it to a third party under the sender's name (it names the first recipient and that
recipient's key), nor can anyone move a ciphertext into another sender's entry (the sender
inside must be the entry's, and sign with the entry's key).

Everything here is pure: bytes and keys in, a message or :class:`~gulfsec.errors.HotlineError`
out (the ``cryptography`` package's errors never leave this module).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal, get_args

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from pydantic import Field, StringConstraints, ValidationError

from gulfsec.domain.encoding import (
    JSONError,
    b64decode,
    b64encode,
    canonical,
    format_time,
    parse_json,
)
from gulfsec.domain.forms._types import Body, KeyIdHex, Moment, PartyCode
from gulfsec.domain.keys import SigningKey, VerifierKey
from gulfsec.errors import HotlineError

__all__ = [
    "KINDS",
    "PAD",
    "PRIORITIES",
    "SUITE_ID",
    "EncryptionKey",
    "Kind",
    "Message",
    "Opened",
    "Priority",
    "b64url",
    "encryption_key_id",
    "info",
    "open_sealed",
    "public_key_from",
    "seal",
    "signed_statement",
    "unb64url",
]

Priority = Literal["flash", "immediate", "routine"]
"""How urgent a message is, in the words of military precedence (flash first)."""
PRIORITIES: tuple[str, ...] = get_args(Priority)
Kind = Literal["message", "test"]
"""A message from a person, or the line's test (hourly, answered by a receipt)."""
KINDS: tuple[str, ...] = get_args(Kind)

SUITE: Final = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_128_GCM)
SUITE_ID: Final = b"HPKE" + bytes.fromhex("0020" "0001" "0001")
"""RFC 9180 §5.1 ``suite_id``: "HPKE", KEM 0x0020 (DHKEM(X25519, HKDF-SHA256)), KDF 0x0001
(HKDF-SHA256), AEAD 0x0001 (AES-128-GCM)."""
ENC_SIZE: Final = 32
"""The size of the HPKE encapsulated key for X25519; the ciphertext follows it."""
TAG_SIZE: Final = 16
SIGNED_PREFIX: Final = b"gulfsec/hotline/v1\n"
"""Domain separation of the inner signature from every other Ed25519 signature gulfsec makes."""
PAD: Final = 512
"""The sealed plaintext is padded with NUL bytes to a multiple of this many bytes."""
MAX_TEXT: Final = 2000
"""The longest text of a message, in characters."""
MAX_SEALED: Final = 16 * 1024
"""The largest sealed plaintext, padding included (a text of 2000 characters fits)."""

_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")


# -- encodings -------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 4648 §5)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str, *, length: int | None = None) -> bytes:
    """Strict base64url without padding; raises ValueError. Only the one canonical spelling
    of the bytes is accepted (no stray bits in the last character)."""
    if not isinstance(text, str) or not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not base64url without padding")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url without padding") from exc
    if b64url(data) != text:
        raise ValueError("not base64url in canonical form")
    if length is not None and len(data) != length:
        raise ValueError(f"expected {length} bytes, got {len(data)}")
    return data


def encryption_key_id(public: bytes) -> str:
    """An encryption key's id: the first 8 hex digits of the SHA-256 of its raw public key."""
    return hashlib.sha256(public).hexdigest()[:8]


def public_key_from(text: str) -> bytes:
    """The raw 32-byte X25519 public key written as base64url; ValueError if it is not one."""
    raw = unb64url(text, length=32)
    X25519PublicKey.from_public_bytes(raw)
    return raw


def info(log_origin: str) -> bytes:
    """HPKE's ``info`` for a log: ``gulfsec hotline v1`` and the log's origin line."""
    return b"gulfsec hotline v1 " + log_origin.encode("utf-8")


# -- keys ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EncryptionKey:
    """A party's X25519 key pair for the hotline, valid until ``not_after``. Its private half
    never leaves the node (or the hub, for the secretariat) that made it."""

    private: bytes = field(repr=False)
    not_after: datetime

    def __post_init__(self) -> None:
        if len(self.private) != 32:
            raise ValueError("an X25519 private key is 32 bytes")
        if self.not_after.tzinfo is None:
            raise ValueError("naive datetime")

    @classmethod
    def generate(cls, not_after: datetime) -> EncryptionKey:
        return cls(os.urandom(32), not_after.astimezone(UTC).replace(microsecond=0))

    @property
    def public(self) -> bytes:
        return X25519PrivateKey.from_private_bytes(self.private).public_key().public_bytes_raw()

    @property
    def key_id(self) -> str:
        return encryption_key_id(self.public)

    def registration(self) -> dict[str, str]:
        """The body of the ``encryption-key@1`` entry that registers it."""
        return {"key": b64url(self.public), "key_id": self.key_id,
                "not_after": format_time(self.not_after)}


# -- the message -----------------------------------------------------------------------------

MessageId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]


class Message(Body):
    """What a hotline message says, as its sender signed it for one recipient."""

    sender: PartyCode
    key: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{8}$")] = Field(
        description="The id of the sender's signing key (the entry's key).")
    recipient: PartyCode
    recipient_key: KeyIdHex = Field(description="The recipient's encryption key id.")
    id: MessageId = Field(description="The message's id, the same for every recipient.")
    seq: int = Field(ge=0, le=2**63 - 1,
                     description="The sender's entry sequence number when it signed it.")
    priority: Priority
    kind: Kind
    text: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT)]
    sent_at: Moment

    def to_json(self) -> dict[str, Any]:
        data = self.model_dump()
        data["sent_at"] = format_time(self.sent_at)
        return data


class _Sealed(Body):
    message: dict[str, Any]
    signature: str


@dataclass(frozen=True)
class Opened:
    """A message opened and checked: what it says, and the signed document it came in (the
    evidence that its sender said it)."""

    message: Message
    document: bytes


def signed_statement(message: Message, log_origin: str) -> bytes:
    """The bytes the sender signs: the suite, the context and the message."""
    return SIGNED_PREFIX + canonical({"suite": SUITE_ID.hex(),
                                      "info": info(log_origin).decode("utf-8"),
                                      "message": message.to_json()})


def _pad(data: bytes) -> bytes:
    return data + b"\x00" * (-len(data) % PAD)


def seal(message: Message, signing_key: SigningKey, recipient_public: bytes,
         log_origin: str) -> str:
    """``message``, signed with ``signing_key`` and encrypted to ``recipient_public``: the
    ``enc`` of its recipient in a ``hotline@1`` body (base64url of the HPKE encapsulated key
    and ciphertext)."""
    if signing_key.name != message.sender or signing_key.key_id_hex != message.key:
        raise HotlineError(f"the message names {message.sender}'s key {message.key}, not the "
                           f"key it is signed with ({signing_key.name} {signing_key.key_id_hex})")
    if encryption_key_id(recipient_public) != message.recipient_key:
        raise HotlineError(f"the message names encryption key {message.recipient_key}, not the "
                           "key it is encrypted to")
    signature = signing_key.sign(signed_statement(message, log_origin))
    document = canonical({"message": message.to_json(), "signature": b64encode(signature)})
    padded = _pad(document)
    if len(padded) > MAX_SEALED:
        raise HotlineError(f"the message is too long to seal ({len(document)} bytes)")
    try:
        public = X25519PublicKey.from_public_bytes(recipient_public)
    except ValueError:
        raise HotlineError("the recipient's encryption key is not an X25519 key") from None
    return b64url(SUITE.encrypt(padded, public, info=info(log_origin)))


def open_sealed(enc: str, key: EncryptionKey, *, log_origin: str, sender: str,
                sender_key: VerifierKey, recipient: str) -> Opened:
    """Open the ``enc`` a ``hotline@1`` entry from ``sender`` (signed with ``sender_key``)
    holds for ``recipient``, with the recipient's encryption ``key``; check that it is a
    message the entry's sender signed, with that key, for exactly this recipient and key.

    Raises :class:`HotlineError` saying what failed, never quoting what the message says.
    """
    try:
        sealed = unb64url(enc)
    except ValueError:
        raise HotlineError("the ciphertext is not base64url") from None
    if len(sealed) < ENC_SIZE + TAG_SIZE or len(sealed) > ENC_SIZE + TAG_SIZE + MAX_SEALED:
        raise HotlineError(f"the ciphertext has an impossible size ({len(sealed)} bytes)")
    try:
        padded = SUITE.decrypt(sealed, X25519PrivateKey.from_private_bytes(key.private),
                               info=info(log_origin))
    except (InvalidTag, ValueError):
        raise HotlineError(f"the ciphertext does not decrypt with encryption key {key.key_id} "
                           "(made for another key or another log, or altered)") from None
    document = padded.rstrip(b"\x00")
    if len(padded) % PAD or not document:
        raise HotlineError("the decrypted message is not padded as a hotline message is")
    try:
        value = parse_json(document)
        if canonical(value) != document:
            raise HotlineError("the decrypted message is not canonical JSON")
        outer = _Sealed.model_validate(value)
        message = Message.model_validate(outer.message)
        signature = b64decode(outer.signature, length=64)
    except (JSONError, ValidationError, ValueError) as exc:
        raise HotlineError(f"the decrypted message is not a hotline message "
                           f"({_problem(exc)})") from None
    if message.sender != sender:
        raise HotlineError(f"the message inside names {message.sender} as its sender, but the "
                           f"entry is {sender}'s")
    if message.key != sender_key.key_id_hex or sender_key.name != sender:
        raise HotlineError(f"the message inside names signing key {message.key}, not the key "
                           f"the entry is signed with ({sender_key.key_id_hex})")
    if message.recipient != recipient or message.recipient_key != key.key_id:
        raise HotlineError(f"the message inside was signed for {message.recipient}'s key "
                           f"{message.recipient_key}, not for {recipient}'s key {key.key_id}: "
                           "it was encrypted again by someone else")
    if not sender_key.verify(signed_statement(message, log_origin), signature):
        raise HotlineError(f"the signature inside does not verify under {sender}'s key "
                           f"{sender_key.key_id_hex}")
    return Opened(message, document)


def _problem(exc: Exception) -> str:
    """What is wrong with a decrypted document, in words that quote none of its values."""
    if isinstance(exc, ValidationError):
        fields = sorted({".".join(str(p) for p in err["loc"]) or "document"
                         for err in exc.errors(include_url=False, include_input=False)})
        return "fields " + ", ".join(fields)
    if isinstance(exc, JSONError):
        return "not JSON"
    return "bad signature encoding"
