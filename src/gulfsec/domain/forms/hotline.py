"""The hotline's forms: encryption keys, sealed messages and their receipts.

- ``encryption-key@1``: a party's X25519 key for the hotline (base64url of the raw 32 bytes),
  its id (the first 8 hex digits of the SHA-256 of those bytes) and ``not_after``, the moment
  it expires. Signed by the party's signing key, addressed to all. A later one rotates it: the
  earlier stays good for opening what was sent to it until its ``not_after``.
- ``hotline@1``: one message, sealed for each recipient (:mod:`gulfsec.domain.hotline`):
  ``recipients`` lists, for each, its party, the id of the key it is sealed to and ``enc``,
  the HPKE ciphertext. The audience is exactly the recipients. The body carries nothing else:
  the hub learns that a message passed, from whom, to whom, its size and time — not its text,
  priority or kind.
- ``hotline-receipt@1``: a recipient's node holds and opened the message it names; addressed
  to the message's sender alone.

Addressees owe no acknowledgement of these: a receipt is the hotline's own, within minutes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Self

from pydantic import Field, StringConstraints, field_validator, model_validator
from pydantic_core import PydanticCustomError

from gulfsec.domain.forms import FormSpec
from gulfsec.domain.forms._summary import Words, line
from gulfsec.domain.forms._types import Body, EntryIdHex, KeyIdHex, Moment, PartyCode
from gulfsec.domain.hotline import encryption_key_id, public_key_from, unb64url
from gulfsec.i18n import N_

ENCRYPTION_KEY = "encryption-key@1"
HOTLINE = "hotline@1"
RECEIPT = "hotline-receipt@1"

MAX_RECIPIENTS = 32
MAX_ENC = 22_000
"""The longest ``enc`` (base64url): the largest sealed message (16 KiB) with its HPKE
encapsulated key and tag."""

PublicKeyText = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{43}$")]


class EncryptionKeyBody(Body):
    key: PublicKeyText = Field(title="Public key",
                               description="The X25519 public key: base64url of its raw 32 "
                                           "bytes, without padding.")
    key_id: KeyIdHex = Field(title="Key id",
                             description="The first 8 hex digits of the SHA-256 of the raw "
                                         "public key.")
    not_after: Moment = Field(title="Not after",
                              description="When the key expires (UTC): nothing is sealed to it "
                                          "afterwards, and its private half is destroyed.")

    @model_validator(mode="after")
    def _key_id_is_the_keys(self) -> Self:
        try:
            raw = public_key_from(self.key)
        except ValueError:
            raise PydanticCustomError("public_key", "not an X25519 public key in base64url "
                                                    "without padding") from None
        if encryption_key_id(raw) != self.key_id:
            raise PydanticCustomError("key_id", "key_id is not the first 8 hex digits of the "
                                                "SHA-256 of the key")
        return self


class Sealed(Body):
    party: PartyCode = Field(title="Recipient")
    key: KeyIdHex = Field(title="Key id", description="The recipient's encryption key it is "
                                                      "sealed to.")
    enc: Annotated[str, StringConstraints(min_length=64, max_length=MAX_ENC,
                                          pattern=r"^[A-Za-z0-9_-]+$")] = Field(
        title="Ciphertext", description="base64url of the HPKE encapsulated key and "
                                        "ciphertext (RFC 9180).")

    @field_validator("enc")
    @classmethod
    def _canonical_base64url(cls, enc: str) -> str:
        try:
            unb64url(enc)
        except ValueError:
            raise PydanticCustomError("enc", "not base64url in canonical form") from None
        return enc


class HotlineMessage(Body):
    recipients: list[Sealed] = Field(min_length=1, max_length=MAX_RECIPIENTS,
                                     title="Recipients")

    @field_validator("recipients")
    @classmethod
    def _each_once(cls, recipients: list[Sealed]) -> list[Sealed]:
        parties = [r.party for r in recipients]
        if len(set(parties)) != len(parties):
            raise PydanticCustomError("recipients", "each recipient once")
        return recipients


class Receipt(Body):
    message: EntryIdHex = Field(title="Message", description="The hotline message received.")


def recipients_of(body: Mapping[str, Any]) -> tuple[str, ...]:
    """The parties a (valid) ``hotline@1`` body is sealed for, sorted: its audience."""
    return tuple(sorted(str(r["party"]) for r in body.get("recipients", ())))


FORMS = (
    FormSpec(ENCRYPTION_KEY, "Hotline encryption key", EncryptionKeyBody,
             "A party's X25519 key for the hotline, valid until not_after; a later one "
             "rotates it.", right="receive", acknowledge=False, composed=False,
             summary=lambda body: N_("hotline encryption key {key_id}, valid until "
                                     "{not_after}").format(key_id=body["key_id"],
                                                           not_after=body["not_after"])),
    FormSpec(HOTLINE, "Hotline message", HotlineMessage,
             "A message sealed for each recipient: only they read it.",
             right="send", acknowledge=False, composed=False,
             summary=lambda body: line(N_("hotline message to {recipients}"),
                                       recipients=Words(recipients_of(body), translate=False))),
    FormSpec(RECEIPT, "Hotline receipt", Receipt,
             "The recipient's node holds and opened the hotline message.",
             right="receive", acknowledge=False, composed=False, refs=("message",),
             summary=lambda body: N_("receipt of hotline message {message}…").format(
                 message=str(body["message"])[:12])),
)
