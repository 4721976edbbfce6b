"""Signed requests: how a participant proves who is asking, without the hub holding a secret.

The client signs ``gulfsec/request/v2\\n<METHOD>\\n<path?query>\\n<time>\\n<nonce>\\n<sha256
hex of body>`` with its registered key and sends five headers. The hub checks the time is
within the regime's clock skew, the key is one the party holds (or held: then it reads only
what concerns the party), and that the nonce was not seen before within that window — so a
captured request, replayed, is refused.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from gulfsec.domain.encoding import b64decode, b64encode, format_time, parse_time
from gulfsec.domain.keys import SigningKey, VerifierKey
from gulfsec.errors import AuthError

DOMAIN = b"gulfsec/request/v2\n"
H_PARTY = "Gulfsec-Party"
H_KEY = "Gulfsec-Key"
H_TIME = "Gulfsec-Time"
H_SIGNATURE = "Gulfsec-Signature"
H_NONCE = "Gulfsec-Nonce"
_NONCE = re.compile(r"[0-9a-f]{32}")


def request_message(method: str, target: str, time: str, nonce: str, body: bytes) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return DOMAIN + f"{method.upper()}\n{target}\n{time}\n{nonce}\n{digest}".encode()


def sign_request(key: SigningKey, party: str, method: str, target: str, body: bytes,
                 now: datetime, nonce: str | None = None) -> dict[str, str]:
    """The headers that authenticate one request (a fresh random nonce unless given)."""
    time = format_time(now.replace(microsecond=0))
    nonce = nonce or secrets.token_hex(16)
    sig = key.sign(request_message(method, target, time, nonce, body))
    return {H_PARTY: party, H_KEY: key.key_id_hex, H_TIME: time, H_NONCE: nonce,
            H_SIGNATURE: b64encode(sig)}


@dataclass(frozen=True)
class RequestCredentials:
    party: str
    key_id: str
    time: datetime
    time_text: str
    nonce: str
    signature: bytes

    @classmethod
    def from_headers(cls, get: dict[str, str]) -> RequestCredentials:
        missing = [h for h in (H_PARTY, H_KEY, H_TIME, H_NONCE, H_SIGNATURE)
                   if not get.get(h.lower())]
        if missing:
            raise AuthError(f"missing authentication headers: {', '.join(missing)}")
        nonce = get[H_NONCE.lower()]
        if not _NONCE.fullmatch(nonce):
            raise AuthError(f"malformed authentication header: {H_NONCE} must be 32 hexadecimal "
                            "digits")
        try:
            time = parse_time(get[H_TIME.lower()])
            sig = b64decode(get[H_SIGNATURE.lower()], length=64)
        except ValueError as exc:
            raise AuthError(f"malformed authentication header: {exc}") from None
        return cls(get[H_PARTY.lower()], get[H_KEY.lower()], time, get[H_TIME.lower()], nonce,
                   sig)

    def check(self, key: VerifierKey, method: str, target: str, body: bytes, now: datetime,
              skew: timedelta) -> None:
        if abs(now - self.time) > skew:
            raise AuthError("request time is too far from the hub's clock; check your clock")
        if not key.verify(request_message(method, target, self.time_text, self.nonce, body),
                          self.signature):
            raise AuthError("request signature does not verify")
