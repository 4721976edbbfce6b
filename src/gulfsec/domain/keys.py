"""Ed25519 keys named and identified as in C2SP signed-note.

A key has a *name* (for a participant, its party code; for the hub's log key, the log origin).
Its *key id* is the first four bytes of SHA-256(name || 0x0A || signature type || public key), and
its *verifier key* is written ``<name>+<key id hex>+<base64(type || public key)>``. The
*fingerprint* that participants compare out of band is the full SHA-256 of the verifier key
string, written as hex in groups of four.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

from gulfsec.domain.encoding import b64decode, b64encode
from gulfsec.errors import KeyFormatError

SIG_ED25519 = 0x01
"""C2SP signed-note signature type for a plain Ed25519 signature."""
SIG_COSIGNATURE = 0x04
"""C2SP tlog-cosignature signature type (Ed25519 over a timestamped cosignature message)."""


def check_key_name(name: str) -> str:
    if not name or any(ch.isspace() for ch in name) or "+" in name:
        raise KeyFormatError(f"key name {name!r} must be non-empty, without spaces or '+'")
    return name


def key_id(name: str, public: bytes, sig_type: int = SIG_ED25519) -> bytes:
    """The 4-byte C2SP key id."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public).digest()[:4]


@dataclass(frozen=True)
class VerifierKey:
    """A public key with its name; compares and hashes by value."""

    name: str
    public: bytes
    sig_type: int = SIG_ED25519
    _key: Ed25519PublicKey = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if len(self.public) != 32:
            raise KeyFormatError("an Ed25519 public key is 32 bytes")
        if self.sig_type not in (SIG_ED25519, SIG_COSIGNATURE):
            raise KeyFormatError(f"unsupported signature type {self.sig_type:#x}")
        object.__setattr__(self, "_key", Ed25519PublicKey.from_public_bytes(self.public))

    @cached_property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public, self.sig_type)

    @cached_property
    def key_id_hex(self) -> str:
        return self.key_id.hex()

    def encode(self) -> str:
        """The C2SP verifier key string."""
        blob = bytes([self.sig_type]) + self.public
        return f"{self.name}+{self.key_id_hex}+{b64encode(blob)}"

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256(self.encode().encode()).hexdigest()
        return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))

    def verify(self, message: bytes, signature: bytes) -> bool:
        """True when ``signature`` is this key's Ed25519 signature of ``message``.

        Verified with libsodium (PyNaCl): about twice as fast as OpenSSL here and it releases
        the GIL, so checks spread over threads use every core (``benchmarks/bench_hub.py``
        measures both). Signatures and keys are plain RFC 8032 Ed25519 either way; libsodium
        is the stricter of the two (it refuses small-order keys and non-canonical encodings,
        which no honest signer produces).
        """
        if len(signature) != 64:
            return False
        try:
            crypto_sign_open(signature + message, self.public)
        except BadSignatureError:
            return False
        return True

    def as_type(self, sig_type: int) -> VerifierKey:
        """The same public key under another signature type (its key id changes)."""
        return VerifierKey(self.name, self.public, sig_type)

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        """Parse a C2SP verifier key string, checking that its key id matches."""
        parts = text.strip().split("+", 2)
        if len(parts) != 3:
            raise KeyFormatError("a verifier key reads <name>+<key id>+<base64 key>")
        name, hash_hex, blob_b64 = parts
        try:
            blob = b64decode(blob_b64)
        except ValueError as exc:
            raise KeyFormatError(f"verifier key: {exc}") from exc
        if len(blob) != 33:
            raise KeyFormatError("verifier key must hold a type byte and a 32-byte key")
        key = cls(name, blob[1:], blob[0])
        if key.key_id_hex != hash_hex.lower() or len(hash_hex) != 8:
            raise KeyFormatError("verifier key id does not match its key")
        return key


@dataclass(frozen=True)
class SigningKey:
    """A private Ed25519 key with its name. ``repr`` never shows the secret."""

    name: str
    seed: bytes = field(repr=False)
    _key: Ed25519PrivateKey = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if len(self.seed) != 32:
            raise KeyFormatError("an Ed25519 private key seed is 32 bytes")
        object.__setattr__(self, "_key", Ed25519PrivateKey.from_private_bytes(self.seed))

    @classmethod
    def generate(cls, name: str) -> SigningKey:
        seed = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return cls(name, seed)

    @cached_property
    def verifier(self) -> VerifierKey:
        public = self._key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return VerifierKey(self.name, public)

    @property
    def key_id_hex(self) -> str:
        return self.verifier.key_id_hex

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)
