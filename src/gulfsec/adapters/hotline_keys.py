"""The hotline's private encryption keys at rest: one encrypted file per X25519 key.

A key directory (``keys/<PARTY>.hotline/`` in a node's data directory, ``keys/SEC.hotline/``
in the hub's; mode 0700) holds one file per key, named ``<key id>.key``, mode 0600::

    {"format": "gulfsec-x25519-key/1", "party": "IRN", "key_id": "1a2b3c4d",
     "public_key": "<base64url>", "not_after": "2026-12-23T12:00:00Z",
     "kdf": {"name": "scrypt", "salt": "<b64>", "n": 32768, "r": 8, "p": 1},
     "cipher": "chacha20poly1305", "nonce": "<b64>", "ciphertext": "<b64>"}

The private key is sealed as a signing key is (:mod:`.keystore`): ChaCha20-Poly1305 under a key
derived from the passphrase by scrypt, with the format, party, key id, public key and expiry as
associated data, so a file whose public half or expiry was changed does not open. Destroying a
key overwrites its file with zeros before removing it (on a copy-on-write or flash file system
the old blocks may survive: the passphrase still guards them) and forgets it in memory.

:class:`MemoryEncryptionKeys` keeps keys in memory only, for tests and simulations. Every
failure leaves this module as a :class:`~gulfsec.errors.KeyStoreError` naming the file.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from gulfsec.adapters import files
from gulfsec.adapters.keystore import DEFAULT_N, MAX_N, MIN_N
from gulfsec.domain.encoding import b64decode, b64encode, format_time, parse_time
from gulfsec.domain.hotline import EncryptionKey, b64url, encryption_key_id
from gulfsec.errors import FileError, KeyStoreError

__all__ = ["FORMAT", "FileEncryptionKeys", "MemoryEncryptionKeys"]

FORMAT: Final = "gulfsec-x25519-key/1"
_R: Final = 8
_P: Final = 1
_NAME = re.compile(r"^[0-9a-f]{8}\.key$")
_MAX_FILE: Final = 16 * 1024


class MemoryEncryptionKeys:
    """Encryption keys held in memory only (tests, simulations): gone with the process."""

    def __init__(self) -> None:
        self._keys: dict[str, EncryptionKey] = {}
        self._lock = threading.Lock()

    def keys(self) -> list[EncryptionKey]:
        with self._lock:
            return sorted(self._keys.values(), key=lambda k: k.not_after)

    def add(self, key: EncryptionKey) -> None:
        with self._lock:
            self._keys[key.key_id] = key

    def destroy(self, key_id: str) -> None:
        with self._lock:
            self._keys.pop(key_id, None)


class FileEncryptionKeys:
    """A party's encryption keys in ``directory``, each sealed under ``passphrase`` (or the
    one a function gives, asked when a key is first written or read). Files are read (and
    decrypted) once per process; the directory is listed again on each use, so a key another
    process of the same node made is found."""

    def __init__(self, directory: Path, party: str, passphrase: str | Callable[[], str], *,
                 n: int = DEFAULT_N) -> None:
        if not MIN_N <= n <= MAX_N or n & (n - 1):
            raise KeyStoreError(f"{directory}: scrypt n must be a power of two from 2**14 to "
                                f"2**22, not {n}")
        self.directory = Path(directory)
        self.party = party
        self._passphrase = passphrase if callable(passphrase) else (lambda: passphrase)
        self._n = n
        self._cache: dict[str, EncryptionKey] = {}
        self._lock = threading.Lock()

    def keys(self) -> list[EncryptionKey]:
        with self._lock:
            names = self._names()
            for key_id in list(self._cache):
                if key_id not in names:
                    del self._cache[key_id]
            for key_id in names - self._cache.keys():
                self._cache[key_id] = self._load(self.directory / f"{key_id}.key", key_id)
            return sorted(self._cache.values(), key=lambda k: k.not_after)

    def add(self, key: EncryptionKey) -> None:
        path = self.directory / f"{key.key_id}.key"
        with self._lock:
            try:
                files.private_dir(self.directory)
                files.write_private(path, self._sealed(key), replace=False)
            except FileError as exc:
                raise KeyStoreError(f"{path}: cannot write the key file: {exc.problem}"
                                    ) from exc
            self._cache[key.key_id] = key

    def destroy(self, key_id: str) -> None:
        path = self.directory / f"{key_id}.key"
        with self._lock:
            self._cache.pop(key_id, None)
            try:
                size = path.stat().st_size
                with path.open("r+b") as handle:
                    handle.write(b"\x00" * size)
                    handle.flush()
                    os.fsync(handle.fileno())
                path.unlink()
            except FileNotFoundError:
                return
            except OSError as exc:
                raise KeyStoreError(f"{path}: cannot destroy the key ({exc.strerror})") from exc

    # -- files -------------------------------------------------------------------------------

    def _names(self) -> set[str]:
        try:
            found = os.listdir(self.directory)
        except FileNotFoundError:
            return set()
        except OSError as exc:
            raise KeyStoreError(f"{self.directory}: cannot list the keys ({exc.strerror})"
                                ) from exc
        return {name[:-4] for name in found if _NAME.fullmatch(name)}

    def _sealed(self, key: EncryptionKey) -> bytes:
        salt = os.urandom(16)
        nonce = os.urandom(12)
        binding = _binding(self.party, key.key_id, b64url(key.public), format_time(key.not_after))
        box = ChaCha20Poly1305(self._derive(self.directory, salt, self._n, _R, _P))
        document = {
            "format": FORMAT, "party": self.party, "key_id": key.key_id,
            "public_key": b64url(key.public), "not_after": format_time(key.not_after),
            "kdf": {"name": "scrypt", "salt": b64encode(salt), "n": self._n, "r": _R, "p": _P},
            "cipher": "chacha20poly1305", "nonce": b64encode(nonce),
            "ciphertext": b64encode(box.encrypt(nonce, key.private, binding)),
        }
        return (json.dumps(document, indent=2) + "\n").encode("utf-8")

    def _load(self, path: Path, key_id: str) -> EncryptionKey:
        try:
            with path.open("rb") as handle:
                raw = handle.read(_MAX_FILE + 1)
            doc = json.loads(raw.decode("utf-8"))
        except OSError as exc:
            raise KeyStoreError(f"{path}: cannot read the key file ({exc.strerror})") from exc
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise KeyStoreError(f"{path}: not a key file (not JSON)") from exc
        if len(raw) > _MAX_FILE or not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise KeyStoreError(f"{path}: not a {FORMAT} file")
        try:
            party, kid, public = str(doc["party"]), str(doc["key_id"]), str(doc["public_key"])
            not_after = parse_time(str(doc["not_after"]))
            kdf: dict[str, Any] = doc["kdf"]
            n, r, p = (int(kdf[name]) for name in ("n", "r", "p"))
            salt = b64decode(str(kdf["salt"]))
            nonce = b64decode(str(doc["nonce"]), length=12)
            ciphertext = b64decode(str(doc["ciphertext"]), length=48)
        except (KeyError, TypeError, ValueError) as exc:
            raise KeyStoreError(f"{path}: a field of the key file is missing or malformed"
                                ) from exc
        if doc.get("cipher") != "chacha20poly1305" or kdf.get("name") != "scrypt":
            raise KeyStoreError(f"{path}: unknown cipher or KDF")
        if party != self.party or kid != key_id:
            raise KeyStoreError(f"{path}: the file holds {party}'s key {kid}, not "
                                f"{self.party}'s key {key_id}")
        if not MIN_N <= n <= MAX_N or n & (n - 1) or not 1 <= r <= 16 or not 1 <= p <= 4:
            raise KeyStoreError(f"{path}: scrypt parameters out of range")
        binding = _binding(party, kid, public, format_time(not_after))
        try:
            private = ChaCha20Poly1305(self._derive(path, salt, n, r, p)).decrypt(
                nonce, ciphertext, binding)
        except InvalidTag as exc:
            raise KeyStoreError(f"{path}: cannot decrypt the key (wrong passphrase, or the "
                                "file was altered)") from exc
        key = EncryptionKey(private, not_after)
        if b64url(key.public) != public or encryption_key_id(key.public) != kid:
            raise KeyStoreError(f"{path}: the decrypted key does not match its public key")
        return key

    def _derive(self, where: Path, salt: bytes, n: int, r: int, p: int) -> bytes:
        passphrase = self._passphrase()
        if not passphrase:
            raise KeyStoreError(f"{where}: an empty passphrase is refused")
        try:
            return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(
                passphrase.encode("utf-8"))
        except (ValueError, UnicodeEncodeError, UnsupportedAlgorithm, MemoryError) as exc:
            raise KeyStoreError(f"{where}: cannot derive the key from the passphrase") from exc


def _binding(party: str, key_id: str, public: str, not_after: str) -> bytes:
    return json.dumps({"format": FORMAT, "party": party, "key_id": key_id,
                       "public_key": public, "not_after": not_after},
                      sort_keys=True, separators=(",", ":")).encode("utf-8")

