"""Every error gulfsec raises on purpose.

Errors carry data (which entry, which field, which key) and a one-line message. The CLI catches
``GulfsecError`` and exits non-zero with that line; the HTTP API maps each class to one status
code in one handler (``gulfsec.api.errors``). Third-party exceptions are translated into these at
the adapter edge and never cross into the services. Every error a person, a file, a peer, the
hub or the network can cause is one of these; a programming mistake (a negative tree size, a
naive datetime handed to a pure function) raises ``ValueError`` or ``TypeError``, as Python's
own functions do, and parse helpers that raise ``ValueError`` are translated by their callers.

    GulfsecError
    ├── ConfigError                  settings or environment are wrong
    ├── RegimeError                  a regime file is wrong (file, key, problem)
    ├── KeyStoreError                a key file cannot be read, decrypted or written
    ├── FileError                    a private file or directory cannot be made (path)
    ├── KeyFormatError               a key, key name or verifier key is malformed (a ValueError)
    ├── AccountError                 an account cannot be created or changed as asked
    ├── EntryError                   an entry is refused
    │   ├── MalformedEntry           not JSON, wrong shape, wrong types, not canonical
    │   ├── EntryTooLarge            over the regime's size limit
    │   ├── UnknownForm              form id not in the registry
    │   ├── InvalidFormBody          body fails its form's schema (field by field)
    │   ├── UnknownSender            sender is not a participant of the regime
    │   ├── UnknownKey               key id not registered for the sender
    │   ├── RevokedKey               key was revoked before this entry
    │   ├── BadSignature             a signature does not verify
    │   ├── SequenceReplay           sequence number already used by another entry
    │   ├── SequenceGap              sequence number skips ahead
    │   ├── UnknownReference         a referenced entry is not in the log
    │   ├── ClaimedTimeOutOfRange    the sender's claimed time is too far from the hub's clock
    │   ├── AudienceError            audience names unknown parties or is empty
    │   ├── AttachmentError          a file is empty, too large, not what its type says, not
    │   │                            held by the hub, or not the file its SHA-256 names
    │   └── HotlineError             a hotline message cannot be sealed (no valid encryption
    │                                key for a recipient) or opened (it does not decrypt, or
    │                                its inner signature or binding does not check)
    ├── LogVerificationError         the log does not check out
    │   ├── InclusionProofError
    │   ├── ConsistencyProofError
    │   ├── AnswerSignatureError     an answer of the hub is not signed by the log key
    │   ├── NotProven                evidence that does not prove what it claims
    │   └── CheckpointError
    │       ├── MalformedCheckpoint
    │       ├── CheckpointSignatureError
    │       └── InconsistentCheckpoint
    ├── AuthError                    a request is not authenticated
    │   ├── SessionExpired           a page session ran out: sign in again
    │   ├── SignInThrottled          too many failed sign-ins: wait (retry_after seconds)
    │   └── SignInRequired           a page needs a signed-in reader (answered with a redirect)
    ├── AccessDenied                 authenticated, but not allowed
    │   ├── MissingRight             the sender's status lacks the right an entry's form needs
    │   └── Forbidden                a page the reader's role may not use, or a failed CSRF check
    │       └── TwoPersonRequired    the node's two-person rule refuses this signer (form, draft)
    ├── DraftSettled                 a draft in the node's queue was signed or discarded already
    ├── NotFound                     no such entry, index or tile
    ├── StorageError                 the database failed
    └── TransportError               talking to the hub failed
        ├── RemoteError              the hub answered with an error
        └── MailError                the SMTP server did not take an e-mail (permanent or not)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class GulfsecError(Exception):
    """Base of every gulfsec error. ``str(err)`` is one line meant for a person."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, Any]:
        """The error as the API returns it."""
        return {"error": self.code, "message": self.message}


class ConfigError(GulfsecError):
    code = "config"


class RegimeError(GulfsecError):
    code = "regime"

    def __init__(self, file: str, key: str, problem: str) -> None:
        super().__init__(f"{file}: {key}: {problem}")
        self.file = file
        self.key = key
        self.problem = problem


class KeyStoreError(GulfsecError):
    code = "keystore"


class FileError(GulfsecError):
    """A file or directory gulfsec keeps (a database, a key, a token) cannot be created or
    written as asked; ``path`` names it."""

    code = "file"

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class KeyFormatError(GulfsecError, ValueError):
    code = "key_format"


class AccountError(GulfsecError):
    """An account cannot be created or changed as asked (a bad name, role or password)."""

    code = "account"


class EntryError(GulfsecError):
    code = "entry"

    def __init__(self, message: str, *, entry_id: str | None = None) -> None:
        super().__init__(message)
        self.entry_id = entry_id

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        if self.entry_id is not None:
            data["entry_id"] = self.entry_id
        return data


class MalformedEntry(EntryError):
    code = "malformed_entry"


class EntryTooLarge(EntryError):
    code = "entry_too_large"

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"entry is {size} bytes, over the limit of {limit} bytes")
        self.size = size
        self.limit = limit


class UnknownForm(EntryError):
    code = "unknown_form"

    def __init__(self, form: str) -> None:
        super().__init__(f"unknown form {form!r}")
        self.form = form


class InvalidFormBody(EntryError):
    """The body fails its form's schema; ``fields`` maps a dotted path to what is wrong."""

    code = "invalid_form_body"

    def __init__(self, form: str, fields: Sequence[tuple[str, str]]) -> None:
        listed = "; ".join(f"{path}: {why}" for path, why in fields)
        super().__init__(f"form {form}: {listed}")
        self.form = form
        self.fields = list(fields)

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["fields"] = [{"field": path, "problem": why} for path, why in self.fields]
        return data


class UnknownSender(EntryError):
    code = "unknown_sender"


class ProcedureError(EntryError):
    """A step of a procedure its sender may not take, or not now: a position by a non-member,
    on a draft that has closed, addressed to other parties than the draft, an outcome before
    closing, a draft not addressed to exactly its format."""

    code = "procedure"


class UnknownKey(EntryError):
    code = "unknown_key"


class RevokedKey(EntryError):
    code = "revoked_key"


class BadSignature(EntryError):
    code = "bad_signature"


class SequenceError(EntryError):
    code = "sequence"

    def __init__(self, message: str, *, sender: str, expected: int, got: int) -> None:
        super().__init__(message)
        self.sender = sender
        self.expected = expected
        self.got = got

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data.update(sender=self.sender, expected=self.expected, got=self.got)
        return data


class SequenceReplay(SequenceError):
    code = "sequence_replay"


class SequenceGap(SequenceError):
    code = "sequence_gap"


class UnknownReference(EntryError):
    code = "unknown_reference"


class PreviewChanged(EntryError):
    """What would be signed is no longer what the signer previewed (another entry took the
    sequence number, or the claimed time is too old to keep): nothing was signed; preview
    again and confirm the final version."""

    code = "preview_changed"

    def __init__(self, message: str, *, seq: int, time: str) -> None:
        super().__init__(message)
        self.seq = seq
        self.time = time

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data.update(seq=self.seq, time=self.time)
        return data


class ClaimedTimeOutOfRange(EntryError):
    code = "claimed_time"


class AudienceError(EntryError):
    code = "audience"


class AttachmentError(EntryError):
    """A file carried with an entry is refused: empty, over the size limit, not of the type it
    declares, not the file its SHA-256 names, or — for an entry naming it — not held by the
    hub, or held with another size or type. ``sha256`` names the file when it is known."""

    code = "attachment"

    def __init__(self, message: str, *, sha256: str | None = None,
                 entry_id: str | None = None) -> None:
        super().__init__(message, entry_id=entry_id)
        self.sha256 = sha256

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        if self.sha256 is not None:
            data["sha256"] = self.sha256
        return data


class HotlineError(EntryError):
    """A hotline message cannot be sealed (a recipient has registered no encryption key that
    is valid now) or opened (it does not decrypt with the key it names, or what it holds is not
    a message its sender signed for this recipient's key). Its one line says which, and never
    quotes the message."""

    code = "hotline"


class LogVerificationError(GulfsecError):
    code = "log_verification"


class InclusionProofError(LogVerificationError):
    code = "inclusion_proof"


class ConsistencyProofError(LogVerificationError):
    code = "consistency_proof"


class CheckpointError(LogVerificationError):
    code = "checkpoint"


class MalformedCheckpoint(CheckpointError):
    code = "malformed_checkpoint"


class CheckpointSignatureError(CheckpointError):
    code = "checkpoint_signature"


class InconsistentCheckpoint(CheckpointError):
    code = "inconsistent_checkpoint"


class AnswerSignatureError(LogVerificationError):
    code = "answer_signature"


class NotProven(LogVerificationError):
    """A piece of evidence does not prove what it claims (checked with the log key alone)."""

    code = "not_proven"


class AuthError(GulfsecError):
    code = "unauthenticated"


class SessionExpired(AuthError):
    """The session existed but ran out (idle or absolute limit): sign in again."""

    code = "session_expired"


class SignInThrottled(AuthError):
    """Too many failed sign-ins for one account name, or from one client address: every
    sign-in there, with the right password too, is refused for ``retry_after`` seconds. The
    message is the same whether the account exists or not."""

    code = "sign_in_throttled"

    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, retry_after)
        self.wait = _duration(self.retry_after)
        super().__init__(f"too many failed sign-ins: wait {self.wait} before trying again")

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["retry_after"] = self.retry_after
        return data


def _duration(seconds: int) -> str:
    """``1 second``, ``45 seconds``, ``2 minutes`` (whole minutes, rounded up, from 90 s)."""
    if seconds < 90:
        return f"{seconds} second{'' if seconds == 1 else 's'}"
    return f"{-(-seconds // 60)} minutes"


class SignInRequired(AuthError):
    """A page needs a signed-in reader; the pages answer with a redirect to sign in, then back
    to ``next_path``."""

    code = "sign_in_required"

    def __init__(self, next_path: str, expired: bool = False) -> None:
        super().__init__("sign in required")
        self.next_path = next_path
        self.expired = expired


class AccessDenied(GulfsecError):
    code = "forbidden"


class Forbidden(AccessDenied):
    """A signed-in reader asked a page for something their role does not allow, or a form
    failed its CSRF check; the pages answer with a 403 page."""

    code = "forbidden_page"


class MissingRight(AccessDenied):
    """An entry of ``form`` needs ``right``, which ``party``'s status does not carry."""

    code = "missing_right"

    def __init__(self, party: str, right: str, form: str, *, entry_id: str | None = None) -> None:
        super().__init__(f"{party} may not send {form}: it needs the right {right!r}, which "
                         f"{party}'s status does not carry")
        self.party = party
        self.right = right
        self.form = form
        self.entry_id = entry_id

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data.update(party=self.party, right=self.right, form=self.form)
        if self.entry_id is not None:
            data["entry_id"] = self.entry_id
        return data


class TwoPersonRequired(Forbidden):
    """The node's two-person rule: an entry of ``form`` must be prepared by one delegate and
    signed by another officer; ``draft_id`` the draft refused, if any."""

    code = "two_person_required"

    def __init__(self, message: str, form: str, draft_id: int | None = None) -> None:
        super().__init__(message)
        self.form = form
        self.draft_id = draft_id


class DraftSettled(GulfsecError):
    """Draft ``draft_id`` is no longer waiting: it was ``state`` (signed or discarded)."""

    code = "draft_settled"

    def __init__(self, message: str, draft_id: int, state: str) -> None:
        super().__init__(message)
        self.draft_id = draft_id
        self.state = state


class NotFound(GulfsecError):
    code = "not_found"


class StorageError(GulfsecError):
    code = "storage"


class TransportError(GulfsecError):
    code = "transport"


class MailError(TransportError):
    """The SMTP server did not take an e-mail; ``permanent`` when it refused it for good (a
    5xx answer), else it may take it later."""

    code = "mail"

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class RemoteError(TransportError):
    """The hub answered with an error body; ``status`` and ``remote`` keep what it said."""

    code = "remote"

    def __init__(self, status: int, remote: Mapping[str, Any]) -> None:
        message = str(remote.get("message") or remote.get("detail") or f"HTTP {status}")
        super().__init__(f"hub refused ({status} {remote.get('error', 'error')}): {message}")
        self.status = status
        self.remote = dict(remote)
