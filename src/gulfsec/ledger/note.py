"""C2SP signed notes and tlog checkpoints.

A checkpoint note body is ``<origin>\\n<size>\\n<base64 root>\\n``; signature lines follow a blank
line, each ``— <key name> <base64(key id || signature)>``. The hub signs with type 0x01 (plain
Ed25519 over the body). Witnesses add tlog-cosignature lines (type 0x04) whose signature covers
``cosignature/v1\\ntime <seconds>\\n`` followed by the body, and carries the timestamp as eight
big-endian bytes between key id and signature. No extension lines are written or accepted.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from gulfsec.domain.encoding import b64decode, b64encode
from gulfsec.domain.keys import SIG_COSIGNATURE, SIG_ED25519, SigningKey, VerifierKey
from gulfsec.errors import CheckpointSignatureError, MalformedCheckpoint

_DASH = "\u2014"
_SIG_LINE = re.compile(r"^\u2014 (\S+) ([A-Za-z0-9+/=]+)$")
_MAX_NOTE = 1 << 16
_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")
_MAX_SIZE = 2**64 - 1


@dataclass(frozen=True)
class Checkpoint:
    """The signed body of a checkpoint: which log, how many entries, which root."""

    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{b64encode(self.root)}\n"

    @classmethod
    def parse_body(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) != 4 or lines[3] != "":
            raise MalformedCheckpoint(
                "checkpoint body must be exactly origin, size and root hash lines"
            )
        origin, size_text, root_text = lines[:3]
        if not origin or origin != origin.strip():
            raise MalformedCheckpoint("checkpoint origin line is empty or padded")
        # ASCII digits without leading zeros, within uint64 (str.isdigit takes any Unicode digit).
        if not _SIZE.fullmatch(size_text) or int(size_text) > _MAX_SIZE:
            raise MalformedCheckpoint(f"checkpoint size {size_text[:40]!r} is not a decimal number")
        try:
            root = b64decode(root_text, length=32)
        except ValueError as exc:
            raise MalformedCheckpoint(f"checkpoint root hash: {exc}") from None
        return cls(origin, int(size_text), root)


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_id: bytes
    blob: bytes
    """Everything after the key id: for type 0x01 the signature, for 0x04 timestamp + sig."""

    def line(self) -> str:
        return f"{_DASH} {self.name} {b64encode(self.key_id + self.blob)}\n"


@dataclass(frozen=True)
class Cosignature:
    """A witness's tlog-cosignature on a checkpoint."""

    name: str
    key_id: bytes
    timestamp: int
    signature: bytes

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp, UTC)

    def to_note_signature(self) -> NoteSignature:
        return NoteSignature(
            self.name, self.key_id, struct.pack(">Q", self.timestamp) + self.signature
        )


@dataclass(frozen=True)
class SignedNote:
    text: str
    signatures: tuple[NoteSignature, ...]

    def encode(self) -> str:
        return self.text + "\n" + "".join(s.line() for s in self.signatures)


def parse_note(data: str | bytes) -> SignedNote:
    """Split a signed note into its text and signature lines (signatures not yet verified)."""
    if isinstance(data, bytes):
        if len(data) > _MAX_NOTE:
            raise MalformedCheckpoint("note is too large")
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedCheckpoint("note is not UTF-8") from None
    if len(data) > _MAX_NOTE:
        raise MalformedCheckpoint("note is too large")
    if "\r" in data or any(ord(c) < 0x20 and c != "\n" for c in data):
        raise MalformedCheckpoint("note contains control characters")
    split = data.rfind("\n\n")
    if split < 0 or not data.endswith("\n"):
        raise MalformedCheckpoint("note has no signature block")
    text = data[: split + 1]
    sigs = []
    for line in data[split + 2 : -1].split("\n"):
        match = _SIG_LINE.match(line)
        if not match:
            raise MalformedCheckpoint(f"malformed signature line {line[:80]!r}")
        try:
            blob = b64decode(match.group(2))
        except ValueError:
            raise MalformedCheckpoint("signature line is not base64") from None
        if len(blob) < 5:
            raise MalformedCheckpoint("signature line is too short")
        sigs.append(NoteSignature(match.group(1), blob[:4], blob[4:]))
    if not sigs:
        raise MalformedCheckpoint("note has no signatures")
    return SignedNote(text, tuple(sigs))


def sign_checkpoint(checkpoint: Checkpoint, key: SigningKey, timestamp: int | None = None) -> str:
    """The signed note of ``checkpoint`` by the log key.

    With ``timestamp`` (seconds since the epoch), the log key also adds a timestamped
    tlog-cosignature line: the hub's own claim of when it made the checkpoint, which witnesses
    check never goes backwards. Readers that do not know that key id ignore the line.
    """
    body = checkpoint.body()
    sigs = [NoteSignature(key.name, key.verifier.key_id, key.sign(body.encode()))]
    if timestamp is not None:
        sigs.append(cosign(checkpoint, key, timestamp).to_note_signature())
    return SignedNote(body, tuple(sigs)).encode()


def hub_timestamp(signed: SignedNote, checkpoint: Checkpoint, log_key: VerifierKey) -> int:
    """The log's own timestamp on a checkpoint (seconds), checked; raises if absent or bad."""
    stamp_key = log_key.as_type(SIG_COSIGNATURE)
    for sig in signed.signatures:
        if sig.name == stamp_key.name and sig.key_id == stamp_key.key_id:
            return verify_cosignature(checkpoint, sig, log_key).timestamp
    raise CheckpointSignatureError(
        f"checkpoint of size {checkpoint.size} carries no timestamp from the log key")


def verify_checkpoint(note: str | bytes, log_key: VerifierKey) -> tuple[Checkpoint, SignedNote]:
    """Parse a checkpoint note and check the log key's signature on it.

    The origin must be the log key's name. Signatures by other keys are kept for the caller
    (witness cosignatures) but not checked here.
    """
    signed = parse_note(note)
    checkpoint = Checkpoint.parse_body(signed.text)
    if checkpoint.origin != log_key.name:
        raise CheckpointSignatureError(
            f"checkpoint origin {checkpoint.origin!r} is not this log ({log_key.name!r})"
        )
    mine = [s for s in signed.signatures if s.name == log_key.name and s.key_id == log_key.key_id]
    if not mine:
        raise CheckpointSignatureError("checkpoint is not signed by the pinned log key")
    if not any(log_key.verify(signed.text.encode(), s.blob) for s in mine):
        raise CheckpointSignatureError("the log key's signature on the checkpoint does not verify")
    return checkpoint, signed


def cosignature_message(checkpoint: Checkpoint, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + checkpoint.body().encode()


def cosign(checkpoint: Checkpoint, key: SigningKey, timestamp: int) -> Cosignature:
    """A witness cosignature of ``checkpoint`` at ``timestamp`` (seconds since the epoch)."""
    cosig_key = key.verifier.as_type(SIG_COSIGNATURE)
    sig = key.sign(cosignature_message(checkpoint, timestamp))
    return Cosignature(key.name, cosig_key.key_id, timestamp, sig)


def verify_cosignature(checkpoint: Checkpoint, sig: NoteSignature, key: VerifierKey) -> Cosignature:
    """Check a tlog-cosignature line by witness ``key`` (given with its plain Ed25519 type)."""
    cosig_key = key.as_type(SIG_COSIGNATURE) if key.sig_type == SIG_ED25519 else key
    if sig.name != cosig_key.name or sig.key_id != cosig_key.key_id:
        raise CheckpointSignatureError(f"cosignature is not by witness {key.name}")
    if len(sig.blob) != 8 + 64:
        raise CheckpointSignatureError("a cosignature holds an 8-byte time and a signature")
    (timestamp,) = struct.unpack(">Q", sig.blob[:8])
    signature = sig.blob[8:]
    if not cosig_key.verify(cosignature_message(checkpoint, timestamp), signature):
        raise CheckpointSignatureError(f"cosignature by {key.name} does not verify")
    return Cosignature(sig.name, sig.key_id, timestamp, signature)
