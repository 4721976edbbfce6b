"""Ed25519 private keys at rest, encrypted under a passphrase.

A key file is one JSON object::

    {"format": "gulfsec-key/1", "name": "hub",
     "public_key": "<base64 of the 32-byte Ed25519 public key>",
     "kdf": {"name": "scrypt", "salt": "<b64>", "n": 32768, "r": 8, "p": 1},
     "cipher": "chacha20poly1305",            (or "aes-256-gcm")
     "nonce": "<b64>", "ciphertext": "<b64>"}

The ciphertext is the 32-byte raw private seed sealed with an AEAD whose key comes from the
passphrase through scrypt. The associated data binds the format, the name and the public key, so
a file whose name or public key was swapped does not decrypt. After decryption the seed's public
key must equal the stored one.

Seeds and passphrases are never written in clear and never logged or put into a message. Every
failure, including those of ``cryptography``, ``json`` and the file system, leaves this module as
a :class:`~gulfsec.errors.KeyStoreError` whose one-line message names the file.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, get_args

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from gulfsec.adapters import files
from gulfsec.errors import FileError, KeyStoreError

__all__ = [
    "FORMAT",
    "Cipher",
    "PassphraseSource",
    "load_key",
    "load_seed_file",
    "passphrase_from_env",
    "read_public",
    "save_key",
]

FORMAT: Final = "gulfsec-key/1"

Cipher = Literal["chacha20poly1305", "aes-256-gcm"]

PassphraseSource = Callable[[], str | None]
"""Where a caller gets a passphrase from, e.g. ``passphrase_from_env`` or a terminal prompt."""

SEED_SIZE: Final = 32
_PUBLIC_SIZE: Final = 32
_NONCE_SIZE: Final = 12
_TAG_SIZE: Final = 16
_SALT_SIZE: Final = 16

DEFAULT_N: Final = 2**15
_R: Final = 8
_P: Final = 1
MIN_N: Final = 2**14
MAX_N: Final = 2**22
_MAX_R: Final = 16
_MAX_P: Final = 4
_MAX_SCRYPT_MEMORY: Final = 4 * 2**30  # 128 * r * n bytes; n=2**22, r=8 is the ceiling
_MIN_SALT: Final = 16
_MAX_SALT: Final = 64

_MAX_KEY_FILE: Final = 64 * 1024
_MAX_SEED_FILE: Final = 4 * 1024

_FIELDS: Final = frozenset({"format", "name", "public_key", "kdf", "cipher", "nonce", "ciphertext"})
_KDF_FIELDS: Final = frozenset({"name", "salt", "n", "r", "p"})


@dataclass(frozen=True, slots=True)
class _KeyFile:
    """A key file parsed and checked for shape; nothing decrypted yet."""

    name: str
    public_key: bytes
    salt: bytes
    n: int
    r: int
    p: int
    cipher: Cipher
    nonce: bytes
    ciphertext: bytes


def save_key(
    path: Path,
    name: str,
    seed: bytes,
    passphrase: str,
    *,
    n: int = DEFAULT_N,
    cipher: Cipher = "chacha20poly1305",
) -> None:
    """Encrypt ``seed`` under ``passphrase`` and write it to a new file at ``path``.

    The file is written atomically with mode 0600 whatever the umask
    (:func:`gulfsec.adapters.files.write_private`); an existing file is never replaced. ``n`` is
    scrypt's cost, a power of two from 2**14 to 2**22 (tests use the minimum to stay fast).
    """
    path = Path(path)
    if not isinstance(name, str) or not name:
        raise KeyStoreError(f"{path}: the key name must be a non-empty string")
    if not isinstance(seed, bytes) or len(seed) != SEED_SIZE:
        raise KeyStoreError(f"{path}: a private seed must be exactly {SEED_SIZE} bytes")
    _check_passphrase(path, passphrase)
    if cipher not in get_args(Cipher):
        raise KeyStoreError(f"{path}: unknown cipher {cipher!r}")
    _check_kdf(path, n, _R, _P)
    if path.exists() or path.is_symlink():
        raise KeyStoreError(f"{path}: refusing to overwrite an existing file")

    public_key = _public_of(seed)
    salt = os.urandom(_SALT_SIZE)
    nonce = os.urandom(_NONCE_SIZE)
    key = _derive(path, passphrase, salt, n, _R, _P)
    ciphertext = _aead(cipher, key).encrypt(nonce, seed, _associated_data(name, public_key))
    document = {
        "format": FORMAT,
        "name": name,
        "public_key": _b64(public_key),
        "kdf": {"name": "scrypt", "salt": _b64(salt), "n": n, "r": _R, "p": _P},
        "cipher": cipher,
        "nonce": _b64(nonce),
        "ciphertext": _b64(ciphertext),
    }
    data = (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    _write_new_file(path, data)


def load_key(path: Path, passphrase: str) -> tuple[str, bytes]:
    """Decrypt the key file at ``path``; return ``(name, seed)``."""
    path = Path(path)
    _check_passphrase(path, passphrase)
    parsed = _read_key_file(path)
    key = _derive(path, passphrase, parsed.salt, parsed.n, parsed.r, parsed.p)
    try:
        seed = _aead(parsed.cipher, key).decrypt(
            parsed.nonce, parsed.ciphertext, _associated_data(parsed.name, parsed.public_key)
        )
    except (InvalidTag, ValueError) as exc:
        raise KeyStoreError(
            f"{path}: cannot decrypt the key (wrong passphrase, or the file was altered)"
        ) from exc
    if len(seed) != SEED_SIZE:
        raise KeyStoreError(f"{path}: the decrypted key has the wrong length")
    if not hmac.compare_digest(_public_of(seed), parsed.public_key):
        raise KeyStoreError(f"{path}: the decrypted key does not match the stored public key")
    return parsed.name, seed


def read_public(path: Path) -> tuple[str, bytes]:
    """Return ``(name, public_key)`` from the key file at ``path`` without decrypting it."""
    parsed = _read_key_file(Path(path))
    return parsed.name, parsed.public_key


def load_seed_file(path: Path) -> bytes:
    """Read a raw private seed kept in clear, as a container secret (a ``*_FILE``) holds it.

    The file holds either the base64 of the 32-byte seed, optionally followed by one newline,
    or exactly 32 raw bytes. Anything else is refused; the content never enters a message.
    """
    path = Path(path)
    raw = _read_bounded(path, _MAX_SEED_FILE, what="seed file")
    text = _strip_one_newline(raw)
    with contextlib.suppress(binascii.Error, ValueError):
        decoded = base64.b64decode(text, validate=True)
        if len(decoded) == SEED_SIZE:
            return decoded
    if len(raw) == SEED_SIZE:
        return raw
    raise KeyStoreError(
        f"{path}: a seed file must hold the base64 of a {SEED_SIZE}-byte seed "
        f"or exactly {SEED_SIZE} raw bytes"
    )


def passphrase_from_env(var: str = "GULFSEC_PASSPHRASE") -> str | None:
    """The passphrase from ``$VAR``, or from the file named by ``$VAR_FILE``; None if neither.

    One trailing newline is stripped from a file. Setting both, or an empty value, is an error.
    """
    file_var = f"{var}_FILE"
    value = os.environ.get(var)
    file_name = os.environ.get(file_var)
    if value is not None and file_name is not None:
        raise KeyStoreError(f"set {var} or {file_var}, not both")
    if file_name is not None:
        if not file_name:
            raise KeyStoreError(f"{file_var} is empty")
        file_path = Path(file_name)
        raw = _read_bounded(file_path, _MAX_SEED_FILE, what=f"passphrase file ({file_var})")
        try:
            value = _strip_one_newline(raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise KeyStoreError(
                f"{file_path}: passphrase file ({file_var}) is not UTF-8 text"
            ) from exc
        if not value:
            raise KeyStoreError(f"{file_path}: passphrase file ({file_var}) is empty")
        return value
    if value is not None and not value:
        raise KeyStoreError(f"{var} is empty")
    return value


# --- parsing ---------------------------------------------------------------------------------


def _read_key_file(path: Path) -> _KeyFile:
    raw = _read_bounded(path, _MAX_KEY_FILE, what="key file")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise KeyStoreError(f"{path}: not a key file (not JSON)") from exc
    if not isinstance(doc, dict):
        raise KeyStoreError(f"{path}: not a key file (not a JSON object)")
    fmt = doc.get("format")
    if fmt != FORMAT:
        raise KeyStoreError(f"{path}: unknown key file format {_short(fmt)}")
    _exact_keys(path, doc, _FIELDS, "key file")

    name = doc["name"]
    if not isinstance(name, str) or not name:
        raise KeyStoreError(f"{path}: 'name' must be a non-empty string")
    public_key = _unb64(path, doc, "public_key", _PUBLIC_SIZE)

    kdf = doc["kdf"]
    if not isinstance(kdf, dict):
        raise KeyStoreError(f"{path}: 'kdf' must be an object")
    if kdf.get("name") != "scrypt":
        raise KeyStoreError(f"{path}: unknown KDF {_short(kdf.get('name'))}")
    _exact_keys(path, kdf, _KDF_FIELDS, "kdf")
    salt = _unb64(path, kdf, "salt")
    if not _MIN_SALT <= len(salt) <= _MAX_SALT:
        raise KeyStoreError(f"{path}: KDF salt must be {_MIN_SALT} to {_MAX_SALT} bytes")
    n, r, p = (_int(path, kdf, field) for field in ("n", "r", "p"))
    _check_kdf(path, n, r, p)

    cipher = doc["cipher"]
    if cipher not in get_args(Cipher):
        raise KeyStoreError(f"{path}: unknown cipher {_short(cipher)}")
    nonce = _unb64(path, doc, "nonce", _NONCE_SIZE)
    ciphertext = _unb64(path, doc, "ciphertext", SEED_SIZE + _TAG_SIZE)
    return _KeyFile(name, public_key, salt, n, r, p, cipher, nonce, ciphertext)


def _exact_keys(path: Path, obj: dict[str, Any], expected: frozenset[str], where: str) -> None:
    missing = sorted(expected - obj.keys())
    if missing:
        raise KeyStoreError(f"{path}: {where} lacks {', '.join(missing)}")
    extra = sorted(obj.keys() - expected)
    if extra:
        raise KeyStoreError(f"{path}: {where} has unknown fields {_short(', '.join(extra))}")


def _unb64(path: Path, obj: dict[str, Any], field: str, size: int | None = None) -> bytes:
    value = obj[field]
    if not isinstance(value, str):
        raise KeyStoreError(f"{path}: '{field}' must be a base64 string")
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyStoreError(f"{path}: '{field}' is not valid base64") from exc
    if size is not None and len(decoded) != size:
        raise KeyStoreError(f"{path}: '{field}' must decode to {size} bytes")
    return decoded


def _int(path: Path, obj: dict[str, Any], field: str) -> int:
    value = obj[field]
    if isinstance(value, bool) or not isinstance(value, int):
        raise KeyStoreError(f"{path}: KDF parameter '{field}' must be an integer")
    return value


def _check_kdf(path: Path, n: int, r: int, p: int) -> None:
    if not MIN_N <= n <= MAX_N or n & (n - 1):
        raise KeyStoreError(f"{path}: scrypt n must be a power of two from 2**14 to 2**22, not {n}")
    if not 1 <= r <= _MAX_R:
        raise KeyStoreError(f"{path}: scrypt r must be from 1 to {_MAX_R}, not {r}")
    if not 1 <= p <= _MAX_P:
        raise KeyStoreError(f"{path}: scrypt p must be from 1 to {_MAX_P}, not {p}")
    if 128 * r * n > _MAX_SCRYPT_MEMORY:
        raise KeyStoreError(f"{path}: scrypt parameters need more than 4 GiB of memory")


def _check_passphrase(path: Path, passphrase: str) -> None:
    if not isinstance(passphrase, str) or not passphrase:
        raise KeyStoreError(f"{path}: an empty passphrase is refused")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# --- crypto ----------------------------------------------------------------------------------


def _public_of(seed: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()


def _associated_data(name: str, public_key: bytes) -> bytes:
    binding = {"format": FORMAT, "name": name, "public_key": _b64(public_key)}
    return json.dumps(binding, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _derive(path: Path, passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    try:
        kdf = Scrypt(salt=salt, length=32, n=n, r=r, p=p)
        return kdf.derive(passphrase.encode("utf-8"))
    except (ValueError, UnicodeEncodeError, UnsupportedAlgorithm, MemoryError) as exc:
        raise KeyStoreError(f"{path}: cannot derive the key from the passphrase") from exc


def _aead(cipher: Cipher, key: bytes) -> ChaCha20Poly1305 | AESGCM:
    if cipher == "chacha20poly1305":
        return ChaCha20Poly1305(key)
    return AESGCM(key)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --- files -----------------------------------------------------------------------------------


def _read_bounded(path: Path, limit: int, *, what: str) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError as exc:
        raise KeyStoreError(f"{path}: {what} not found") from exc
    except OSError as exc:
        raise KeyStoreError(f"{path}: cannot read {what} ({exc.strerror or 'I/O error'})") from exc
    if len(data) > limit:
        raise KeyStoreError(f"{path}: {what} is larger than {limit} bytes")
    return data


def _strip_one_newline(data: bytes) -> bytes:
    if data.endswith(b"\r\n"):
        return data[:-2]
    if data.endswith(b"\n"):
        return data[:-1]
    return data


def _write_new_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically with mode 0600, never replacing a file."""
    try:
        files.write_private(path, data, replace=False)
    except FileError as exc:
        if path.exists() or path.is_symlink():
            raise KeyStoreError(f"{path}: refusing to overwrite an existing file") from exc
        raise KeyStoreError(f"{path}: cannot write the key file: {exc.problem}") from exc
