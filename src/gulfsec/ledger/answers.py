"""Signed answers: everything the hub says over HTTP, signed by its log key.

Some misbehaviour is only the hub *serving* something: content that does not match its leaf,
a receipt it does not keep, a page of entries that leaves one out, an old checkpoint to a node
it keeps behind. A node can prove that to a third party only if the hub's answers are signed.
So the hub signs each answer — the request it answers (method, target, the party it took the
caller for), the status, the time and the SHA-256 of the body — with the log key, in two
headers; a node checks every answer against the log key it pinned and keeps the signed answers
a piece of evidence rests on. Anyone holding the log's verifier key can check them later, with
no access to the hub or the node.

The signed message is domain-separated: ``gulfsec/answer/v1`` then one field a line, so it can
never be read as a checkpoint note (whose second line is a tree size).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gulfsec.domain.encoding import b64decode, b64encode, format_time
from gulfsec.domain.keys import SigningKey, VerifierKey
from gulfsec.errors import AnswerSignatureError

DOMAIN = "gulfsec/answer/v1"
H_TIME = "Gulfsec-Answer-Time"
H_SIGNATURE = "Gulfsec-Answer-Signature"
H_PARTY = "Gulfsec-Answer-Party"
ANONYMOUS = "-"
"""The party of an answer to a request that did not sign who is asking."""


def answer_message(origin: str, method: str, target: str, party: str, status: int,
                   time: int, body: bytes) -> bytes:
    """What the log key signs for one answer."""
    digest = hashlib.sha256(body).hexdigest()
    for field in (origin, method, target, party):
        if "\n" in field:
            raise ValueError("an answer's fields are single lines")
    return (f"{DOMAIN}\n{origin}\n{method.upper()}\n{target}\n{party}\n{status}\n{time}\n"
            f"{digest}\n").encode()


@dataclass(frozen=True)
class SignedAnswer:
    """One answer of the hub, as signed: enough for anyone with the log key to check it."""

    origin: str
    method: str
    target: str
    """The path and query the hub answered (``/v1/entries?after=5``)."""
    party: str
    """The party the hub took the caller for, or ``-``."""
    status: int
    time: int
    """When the hub answered (Unix seconds, by its clock)."""
    body: bytes
    signature: bytes

    @property
    def message(self) -> bytes:
        return answer_message(self.origin, self.method, self.target, self.party, self.status,
                              self.time, self.body)

    @property
    def when(self) -> datetime:
        return datetime.fromtimestamp(self.time, UTC)

    def verify(self, log_key: VerifierKey) -> None:
        """Raise :class:`AnswerSignatureError` unless the log key signed this answer."""
        if not log_key.verify(self.message, self.signature):
            raise AnswerSignatureError(
                f"the answer to {self.method} {self.target} is not signed by the log key "
                f"{log_key.name}")

    def to_json(self) -> dict[str, Any]:
        return {"origin": self.origin, "method": self.method, "target": self.target,
                "party": self.party, "status": self.status, "time": self.time,
                "answered_at": format_time(self.when), "body": b64encode(self.body),
                "signature": b64encode(self.signature)}

    @classmethod
    def from_json(cls, data: Any) -> SignedAnswer:
        """Read an answer kept as JSON; :class:`AnswerSignatureError` if malformed (its
        signature is checked by :meth:`verify`)."""
        try:
            return cls(str(data["origin"]), str(data["method"]), str(data["target"]),
                       str(data["party"]), int(data["status"]), int(data["time"]),
                       b64decode(str(data["body"])), b64decode(str(data["signature"]),
                                                               length=64))
        except (KeyError, TypeError, ValueError) as exc:
            raise AnswerSignatureError(f"a kept answer is malformed: {exc}") from None


def sign_answer(key: SigningKey, origin: str, method: str, target: str, party: str,
                status: int, time: int, body: bytes) -> SignedAnswer:
    message = answer_message(origin, method, target, party, status, time, body)
    return SignedAnswer(origin, method.upper(), target, party, status, time, body,
                        key.sign(message))


def answer_headers(answer: SignedAnswer) -> dict[str, str]:
    """The headers that carry an answer's signature."""
    return {H_TIME: str(answer.time), H_PARTY: answer.party,
            H_SIGNATURE: b64encode(answer.signature)}


def answer_from_headers(origin: str, method: str, target: str, status: int, body: bytes,
                        headers: Any) -> SignedAnswer:
    """The signed answer carried by a response's headers (its signature not yet checked)."""
    try:
        time = int(headers[H_TIME])
        party = str(headers[H_PARTY])
        signature = b64decode(str(headers[H_SIGNATURE]), length=64)
    except (KeyError, TypeError, ValueError) as exc:
        raise AnswerSignatureError(f"the hub's answer to {method} {target} is not signed "
                                   f"({exc.__class__.__name__})") from None
    return SignedAnswer(origin, method.upper(), target, party, status, time, body, signature)
