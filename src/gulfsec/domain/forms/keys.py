"""Key forms: registration, rotation and revocation of a party's signing key.

- ``key-registration@1``: the party's first key. Signed by that key and countersigned by the
  secretariat, which has compared the fingerprint out of band. It is the party's entry 0, or
  comes after the revocation of all its keys (a lost key).
- ``key-rotation@1``: a new key, announced by an entry signed with the current key and
  countersigned by the new one (proof of possession). The old key signs nothing afterwards.
- ``key-revocation@1``: the secretariat (or the party, with its current key) revokes a key that
  was lost or compromised; the key signs nothing afterwards.

Key entries need the ``receive`` right: whoever may be addressed holds a key, if only to sign
its requests to read.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from gulfsec.domain.forms import FormSpec
from gulfsec.domain.forms._types import Body, KeyIdHex, PartyCode, ShortText
from gulfsec.i18n import N_

VerifierKeyText = Annotated[str, StringConstraints(min_length=10, max_length=300)]


class KeyRegistration(Body):
    party: PartyCode
    vkey: VerifierKeyText


class KeyRotation(Body):
    vkey: VerifierKeyText


class KeyRevocation(Body):
    party: PartyCode
    key: KeyIdHex
    reason: ShortText


REGISTRATION = "key-registration@1"
ROTATION = "key-rotation@1"
REVOCATION = "key-revocation@1"

FORMS = (
    FormSpec(REGISTRATION, "Key registration", KeyRegistration,
             "Registers a party's first signing key; countersigned by the secretariat.",
             right="receive", acknowledge=False, composed=False,
             summary=lambda body: N_("{party} registers its first key").format(
                 party=body["party"])),
    FormSpec(ROTATION, "Key rotation", KeyRotation,
             "Announces a party's new signing key, signed with the current one.",
             right="receive", acknowledge=False, composed=False,
             summary=lambda body: N_("announces a new signing key")),
    FormSpec(REVOCATION, "Key revocation", KeyRevocation,
             "Revokes a lost or compromised key.", right="receive", acknowledge=False,
             composed=False,
             summary=lambda body: N_("revokes {party}'s key {key}: {reason}").format(
                 party=body["party"], key=body["key"], reason=body["reason"])),
)
