"""Private keys at rest: encrypted, bound to their name and public key, never in clear."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from gulfsec.adapters.keystore import (
    load_key,
    load_seed_file,
    passphrase_from_env,
    read_public,
    save_key,
)
from gulfsec.errors import KeyStoreError

FAST_N = 2**14  # the smallest cost the key store accepts; keeps the suite quick
SEED = bytes(range(32))
PASSPHRASE = "correct horse battery staple"


def public_of(seed: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "hub.key"
    save_key(path, "hub", SEED, PASSPHRASE, n=FAST_N)
    return path


def rewrite(path: Path, **changes: Any) -> None:
    doc = json.loads(path.read_text())
    kdf_changes = changes.pop("kdf", {})
    doc.update(changes)
    doc["kdf"].update(kdf_changes)
    path.write_text(json.dumps(doc))


def flip_b64(value: str) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[0] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def test_a_saved_key_loads_back_with_its_name_and_seed(key_file: Path) -> None:
    assert load_key(key_file, PASSPHRASE) == ("hub", SEED)


def test_the_file_records_the_format_kdf_and_cipher(key_file: Path) -> None:
    doc = json.loads(key_file.read_text())

    assert doc["format"] == "gulfsec-key/1"
    assert doc["name"] == "hub"
    assert base64.b64decode(doc["public_key"]) == public_of(SEED)
    assert doc["kdf"]["name"] == "scrypt"
    assert (doc["kdf"]["n"], doc["kdf"]["r"], doc["kdf"]["p"]) == (FAST_N, 8, 1)
    assert doc["cipher"] == "chacha20poly1305"


def test_the_default_cost_is_scrypt_n_32768(tmp_path: Path) -> None:
    path = tmp_path / "default.key"
    save_key(path, "qatar", SEED, PASSPHRASE)

    assert json.loads(path.read_text())["kdf"]["n"] == 2**15
    assert load_key(path, PASSPHRASE) == ("qatar", SEED)


def test_an_aes_gcm_key_file_loads_back_too(tmp_path: Path) -> None:
    path = tmp_path / "aes.key"
    save_key(path, "oman", SEED, PASSPHRASE, n=FAST_N, cipher="aes-256-gcm")

    assert json.loads(path.read_text())["cipher"] == "aes-256-gcm"
    assert load_key(path, PASSPHRASE) == ("oman", SEED)


def test_a_wrong_passphrase_is_refused_in_one_line_naming_the_file(key_file: Path) -> None:
    with pytest.raises(KeyStoreError) as caught:
        load_key(key_file, "not the passphrase")

    message = str(caught.value)
    assert str(key_file) in message
    assert "not the passphrase" not in message
    assert PASSPHRASE not in message
    assert "\n" not in message


def test_a_renamed_key_does_not_decrypt(key_file: Path) -> None:
    rewrite(key_file, name="kuwait")

    with pytest.raises(KeyStoreError, match="cannot decrypt"):
        load_key(key_file, PASSPHRASE)


def test_a_swapped_public_key_does_not_decrypt(key_file: Path) -> None:
    other = base64.b64encode(public_of(b"\x07" * 32)).decode()
    rewrite(key_file, public_key=other)

    with pytest.raises(KeyStoreError, match="cannot decrypt"):
        load_key(key_file, PASSPHRASE)


@pytest.mark.parametrize("field", ["ciphertext", "nonce"])
def test_an_altered_ciphertext_or_nonce_does_not_decrypt(key_file: Path, field: str) -> None:
    doc = json.loads(key_file.read_text())
    rewrite(key_file, **{field: flip_b64(doc[field])})

    with pytest.raises(KeyStoreError, match="cannot decrypt"):
        load_key(key_file, PASSPHRASE)


def test_an_altered_salt_does_not_decrypt(key_file: Path) -> None:
    doc = json.loads(key_file.read_text())
    rewrite(key_file, kdf={"salt": flip_b64(doc["kdf"]["salt"])})

    with pytest.raises(KeyStoreError, match="cannot decrypt"):
        load_key(key_file, PASSPHRASE)


def test_a_seed_that_does_not_match_its_stored_public_key_is_refused(tmp_path: Path) -> None:
    # Built by hand, authenticated correctly, but sealing a seed of another key.
    wrong_public = base64.b64encode(public_of(b"\x07" * 32)).decode()
    salt, nonce = b"s" * 16, b"n" * 12
    key = Scrypt(salt=salt, length=32, n=FAST_N, r=8, p=1).derive(PASSPHRASE.encode())
    aad = json.dumps(
        {"format": "gulfsec-key/1", "name": "hub", "public_key": wrong_public},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    sealed = ChaCha20Poly1305(key).encrypt(nonce, SEED, aad)
    path = tmp_path / "mismatch.key"
    path.write_text(
        json.dumps(
            {
                "format": "gulfsec-key/1",
                "name": "hub",
                "public_key": wrong_public,
                "kdf": {
                    "name": "scrypt",
                    "salt": base64.b64encode(salt).decode(),
                    "n": FAST_N,
                    "r": 8,
                    "p": 1,
                },
                "cipher": "chacha20poly1305",
                "nonce": base64.b64encode(nonce).decode(),
                "ciphertext": base64.b64encode(sealed).decode(),
            }
        )
    )

    with pytest.raises(KeyStoreError, match="does not match the stored public key"):
        load_key(path, PASSPHRASE)


def test_an_existing_file_is_never_overwritten(key_file: Path) -> None:
    before = key_file.read_bytes()

    with pytest.raises(KeyStoreError, match="refusing to overwrite"):
        save_key(key_file, "hub", b"\x01" * 32, PASSPHRASE, n=FAST_N)

    assert key_file.read_bytes() == before


def test_a_key_file_is_readable_by_its_owner_only(key_file: Path) -> None:
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_a_key_file_is_private_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        save_key(tmp_path / "open.key", "hub", SEED, PASSPHRASE, n=FAST_N)
    finally:
        os.umask(old)

    assert stat.S_IMODE((tmp_path / "open.key").stat().st_mode) == 0o600


def test_a_key_file_that_appears_while_saving_is_not_replaced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "hub.key"
    real_link = os.link

    def someone_else_first(src: str, dst: str) -> None:
        Path(dst).write_bytes(b"another process's key")
        real_link(src, dst)

    monkeypatch.setattr(os, "link", someone_else_first)
    with pytest.raises(KeyStoreError, match="refusing to overwrite"):
        save_key(path, "hub", SEED, PASSPHRASE, n=FAST_N)

    assert path.read_bytes() == b"another process's key"
    assert [p.name for p in tmp_path.iterdir()] == ["hub.key"]


def test_saving_leaves_no_temporary_file_behind(key_file: Path) -> None:
    assert [p.name for p in key_file.parent.iterdir()] == ["hub.key"]


def test_the_clear_seed_never_appears_in_the_file(tmp_path: Path) -> None:
    seed = b"\xa5\x5a" * 16
    path = tmp_path / "secret.key"
    save_key(path, "bahrain", seed, PASSPHRASE, n=FAST_N)
    data = path.read_bytes()

    assert seed not in data
    assert base64.b64encode(seed) not in data
    assert base64.b64encode(seed)[:40] not in data
    assert seed.hex().encode() not in data
    assert PASSPHRASE.encode() not in data


def test_read_public_needs_no_passphrase(key_file: Path) -> None:
    assert read_public(key_file) == ("hub", public_of(SEED))


@pytest.mark.parametrize(
    "kdf",
    [
        {"n": 2**13},
        {"n": 2**23},
        {"n": 3 * 2**14},
        {"n": "16384"},
        {"n": True},
        {"r": 0},
        {"r": 64},
        {"p": 0},
        {"p": 100},
        {"name": "pbkdf2"},
        {"salt": base64.b64encode(b"short").decode()},
    ],
)
def test_kdf_parameters_out_of_bounds_are_refused(key_file: Path, kdf: dict[str, Any]) -> None:
    rewrite(key_file, kdf=kdf)

    with pytest.raises(KeyStoreError) as caught:
        load_key(key_file, PASSPHRASE)
    assert str(key_file) in str(caught.value)
    with pytest.raises(KeyStoreError):
        read_public(key_file)


@pytest.mark.parametrize("n", [2**13, 2**23, 3 * 2**14])
def test_saving_with_an_out_of_bounds_cost_is_refused(tmp_path: Path, n: int) -> None:
    with pytest.raises(KeyStoreError, match="scrypt n"):
        save_key(tmp_path / "weak.key", "hub", SEED, PASSPHRASE, n=n)
    assert not (tmp_path / "weak.key").exists()


def test_an_empty_passphrase_is_refused_on_save_and_load(tmp_path: Path, key_file: Path) -> None:
    with pytest.raises(KeyStoreError, match="empty passphrase"):
        save_key(tmp_path / "empty.key", "hub", SEED, "", n=FAST_N)
    with pytest.raises(KeyStoreError, match="empty passphrase"):
        load_key(key_file, "")


@pytest.mark.parametrize("seed", [b"", b"\x00" * 31, b"\x00" * 33])
def test_only_a_32_byte_seed_can_be_saved(tmp_path: Path, seed: bytes) -> None:
    with pytest.raises(KeyStoreError, match="32 bytes"):
        save_key(tmp_path / "bad.key", "hub", seed, PASSPHRASE, n=FAST_N)


def test_saving_into_a_missing_directory_is_a_key_store_error(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError, match="cannot create"):
        save_key(tmp_path / "nowhere" / "hub.key", "hub", SEED, PASSPHRASE, n=FAST_N)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "not found"),
        (b"{not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"format": "gulfsec-key/2"}', "unknown key file format"),
        (b'{"format": "gulfsec-key/1"}', "lacks"),
    ],
)
def test_an_unreadable_key_file_is_a_key_store_error_naming_it(
    tmp_path: Path, content: bytes | None, problem: str
) -> None:
    path = tmp_path / "broken.key"
    if content is not None:
        path.write_bytes(content)

    with pytest.raises(KeyStoreError, match=problem) as caught:
        load_key(path, PASSPHRASE)
    assert str(path) in str(caught.value)


def test_a_key_file_with_unknown_fields_is_refused(key_file: Path) -> None:
    rewrite(key_file, comment="added later")

    with pytest.raises(KeyStoreError, match="unknown fields"):
        load_key(key_file, PASSPHRASE)


@pytest.mark.parametrize("ending", [b"", b"\n", b"\r\n"])
def test_a_seed_file_may_hold_base64_with_one_trailing_newline(
    tmp_path: Path, ending: bytes
) -> None:
    path = tmp_path / "log_key"
    path.write_bytes(base64.b64encode(SEED) + ending)

    assert load_seed_file(path) == SEED


def test_a_seed_file_may_hold_exactly_32_raw_bytes(tmp_path: Path) -> None:
    path = tmp_path / "log_key"
    path.write_bytes(SEED)

    assert load_seed_file(path) == SEED


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00" * 31,
        b"\x00" * 33,
        base64.b64encode(b"\x00" * 31),
        base64.b64encode(SEED) + b"\n\n",
        base64.b64encode(SEED).replace(b"A", b"*"),
        SEED.hex().encode(),
    ],
)
def test_anything_else_in_a_seed_file_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "log_key"
    path.write_bytes(content)

    with pytest.raises(KeyStoreError, match="seed file") as caught:
        load_seed_file(path)
    assert str(path) in str(caught.value)


def test_a_missing_seed_file_is_a_key_store_error(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError, match="not found"):
        load_seed_file(tmp_path / "absent")


def test_the_passphrase_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GULFSEC_PASSPHRASE", "from env")
    monkeypatch.delenv("GULFSEC_PASSPHRASE_FILE", raising=False)

    assert passphrase_from_env() == "from env"


def test_the_passphrase_file_loses_exactly_one_trailing_newline(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "passphrase"
    secret.write_text("from file \n\n")
    monkeypatch.delenv("HUB_PASS", raising=False)
    monkeypatch.setenv("HUB_PASS_FILE", str(secret))

    assert passphrase_from_env("HUB_PASS") == "from file \n"


def test_no_passphrase_in_the_environment_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GULFSEC_PASSPHRASE", raising=False)
    monkeypatch.delenv("GULFSEC_PASSPHRASE_FILE", raising=False)

    assert passphrase_from_env() is None


def test_a_passphrase_set_both_ways_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "passphrase"
    secret.write_text("from file")
    monkeypatch.setenv("GULFSEC_PASSPHRASE", "from env")
    monkeypatch.setenv("GULFSEC_PASSPHRASE_FILE", str(secret))

    with pytest.raises(KeyStoreError, match="not both"):
        passphrase_from_env()


def test_a_missing_passphrase_file_is_a_key_store_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("GULFSEC_PASSPHRASE", raising=False)
    monkeypatch.setenv("GULFSEC_PASSPHRASE_FILE", str(tmp_path / "absent"))

    with pytest.raises(KeyStoreError, match="not found"):
        passphrase_from_env()
