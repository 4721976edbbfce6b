"""C2SP signed-note key ids, verifier keys and fingerprints.

Known answers come from the Go reference implementation's tests (golang.org/x/mod/sumdb/note,
``note_test.go``) and from the Go checksum database's published verifier key.
"""

from __future__ import annotations

import hashlib
import re

import pytest

from gulfsec.domain.encoding import b64decode, b64encode
from gulfsec.domain.keys import (
    SIG_COSIGNATURE,
    SIG_ED25519,
    SigningKey,
    VerifierKey,
    check_key_name,
    key_id,
)
from gulfsec.errors import KeyFormatError

# golang.org/x/mod/sumdb/note note_test.go
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
# The Go checksum database (sum.golang.org), as built into the go command.
SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"


def peter_signing_key() -> SigningKey:
    blob = b64decode(PETER_SKEY.split("+", 4)[4])  # PRIVATE+KEY+<name>+<id>+<key>
    assert blob[0] == SIG_ED25519
    return SigningKey("PeterNeumann", blob[1:])


# -- known answers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vkey", "name", "kid"),
    [
        (PETER_VKEY, "PeterNeumann", "c74f20a3"),
        (ENOCH_VKEY, "EnochRoot", "af0cfe78"),
        (SUMDB_VKEY, "sum.golang.org", "033de0ae"),
    ],
)
def test_published_verifier_keys_parse_with_the_key_id_we_compute(
    vkey: str, name: str, kid: str
) -> None:
    key = VerifierKey.parse(vkey)
    assert key.name == name
    assert key.sig_type == SIG_ED25519
    assert key.key_id_hex == kid
    assert key_id(name, key.public) == bytes.fromhex(kid)
    assert key.encode() == vkey


def test_the_go_reference_private_key_gives_the_go_reference_verifier_key() -> None:
    assert peter_signing_key().verifier.encode() == PETER_VKEY
    assert peter_signing_key().key_id_hex == "c74f20a3"


def test_the_go_reference_signature_is_reproduced_byte_for_byte() -> None:
    # Ed25519 is deterministic: our key id || signature must be Go's signature line, exactly.
    key = peter_signing_key()
    blob = key.verifier.key_id + key.sign(PETER_TEXT.encode())
    assert b64encode(blob) == PETER_SIG


def test_the_go_reference_signature_verifies_and_a_changed_text_does_not() -> None:
    key = VerifierKey.parse(PETER_VKEY)
    sig = b64decode(PETER_SIG)[4:]
    assert key.verify(PETER_TEXT.encode(), sig)
    assert not key.verify(PETER_TEXT.replace("cryptography", "cryptographY").encode(), sig)


def test_the_key_id_is_sha256_of_name_newline_type_and_key() -> None:
    public = bytes(range(32))
    expected = hashlib.sha256(b"IRN\n\x01" + public).digest()[:4]
    assert key_id("IRN", public) == expected
    assert key_id("IRN", public, SIG_COSIGNATURE) == hashlib.sha256(
        b"IRN\n\x04" + public
    ).digest()[:4]


# -- verifier key notation ----------------------------------------------------------------------


def test_a_generated_key_round_trips_through_its_verifier_key_string() -> None:
    key = SigningKey.generate("IRN")
    text = key.verifier.encode()
    name, kid, blob = text.split("+", 2)
    assert (name, kid) == ("IRN", key.key_id_hex)
    assert b64decode(blob) == bytes([SIG_ED25519]) + key.verifier.public
    assert VerifierKey.parse(text) == key.verifier


def test_a_wrong_key_id_in_a_verifier_key_is_refused() -> None:
    with pytest.raises(KeyFormatError, match="key id does not match"):
        VerifierKey.parse("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")


def test_a_verifier_key_under_another_name_is_refused_since_the_name_is_in_the_key_id() -> None:
    with pytest.raises(KeyFormatError, match="key id does not match"):
        VerifierKey.parse("PaulNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")


def test_a_key_id_that_is_not_eight_hex_digits_is_refused() -> None:
    with pytest.raises(KeyFormatError):
        VerifierKey.parse("PeterNeumann+0c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")


@pytest.mark.parametrize(
    "text",
    [
        # wrong key length, with the key id adjusted (note_test.go)
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        # unknown signature type 0x65, with the key id adjusted (note_test.go)
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3",
        "PeterNeumann",
        "",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq_LDE4izWy10TW",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+xyzw20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
    ids=[
        "wrong-length", "unknown-type", "no-key", "name-only", "empty", "no-name",
        "truncated-base64", "url-safe-base64", "space-in-name", "non-hex-id",
    ],
)
def test_malformed_verifier_keys_are_refused(text: str) -> None:
    with pytest.raises(KeyFormatError):
        VerifierKey.parse(text)


def test_every_substring_and_every_one_byte_change_of_a_verifier_key_is_refused() -> None:
    # The same mangling sweep as Go's TestNewVerifier.
    raw = PETER_VKEY.encode()
    manglings = {
        raw[i:j] for i in range(len(raw) + 1) for j in range(i + 1, len(raw) + 1)
        if (i, j) != (0, len(raw))
    }
    manglings |= {raw[:i] + bytes([raw[i] + 1]) + raw[i + 1 :] for i in range(len(raw))}
    accepted = []
    for mangled in manglings:
        try:
            VerifierKey.parse(mangled.decode())
        except KeyFormatError:
            continue
        accepted.append(mangled)
    assert accepted == []


def test_a_cosignature_key_has_its_own_key_id_for_the_same_public_key() -> None:
    plain = VerifierKey.parse(PETER_VKEY)
    cosig = plain.as_type(SIG_COSIGNATURE)
    assert cosig.public == plain.public
    assert cosig.key_id == key_id("PeterNeumann", plain.public, SIG_COSIGNATURE)
    assert cosig.key_id != plain.key_id
    assert VerifierKey.parse(cosig.encode()) == cosig
    assert b64decode(cosig.encode().split("+", 2)[2])[0] == SIG_COSIGNATURE


def test_verifier_keys_compare_by_value() -> None:
    assert VerifierKey.parse(PETER_VKEY) == VerifierKey.parse(PETER_VKEY)
    assert hash(VerifierKey.parse(PETER_VKEY)) == hash(VerifierKey.parse(PETER_VKEY))
    assert VerifierKey.parse(PETER_VKEY) != VerifierKey.parse(ENOCH_VKEY)


def test_a_public_key_that_is_not_32_bytes_is_refused() -> None:
    with pytest.raises(KeyFormatError, match="32 bytes"):
        VerifierKey("IRN", bytes(31))


def test_an_unsupported_signature_type_is_refused() -> None:
    with pytest.raises(KeyFormatError, match="unsupported signature type 0x2"):
        VerifierKey("IRN", bytes(32), 0x02)


# -- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["IRN", "gulfsec.example/gulf-log", "sum.golang.org", "Ω"])
def test_key_names_without_spaces_or_plus_are_accepted(name: str) -> None:
    assert check_key_name(name) == name


@pytest.mark.parametrize("name", ["", "a b", "a+b", "tab\there", "nbsp\u00a0x", "line\n"])
def test_key_names_with_spaces_or_plus_or_empty_are_refused(name: str) -> None:
    with pytest.raises(KeyFormatError, match="key name"):
        check_key_name(name)


# -- signing keys and fingerprints --------------------------------------------------------------


def test_a_signing_key_signs_what_its_verifier_accepts_and_nothing_else() -> None:
    key = SigningKey.generate("IRN")
    sig = key.sign(b"message")
    assert key.verifier.verify(b"message", sig)
    assert not key.verifier.verify(b"massage", sig)
    assert not key.verifier.verify(b"message", sig[:-1] + bytes([sig[-1] ^ 1]))
    assert not key.verifier.verify(b"message", sig[:63])
    assert not SigningKey.generate("IRN").verifier.verify(b"message", sig)


def test_a_signing_key_seed_must_be_32_bytes() -> None:
    with pytest.raises(KeyFormatError, match="32 bytes"):
        SigningKey("IRN", bytes(16))


def test_the_repr_of_a_signing_key_never_shows_the_secret() -> None:
    key = peter_signing_key()
    assert key.seed.hex() not in repr(key)
    assert "seed" not in repr(key)
    assert "PeterNeumann" in repr(key)


def test_the_fingerprint_is_sha256_of_the_verifier_key_in_sixteen_groups_of_four() -> None:
    key = VerifierKey.parse(PETER_VKEY)
    digest = hashlib.sha256(PETER_VKEY.encode()).hexdigest()
    assert key.fingerprint.replace(" ", "") == digest
    assert re.fullmatch(r"[0-9a-f]{4}( [0-9a-f]{4}){15}", key.fingerprint)


def test_fingerprints_differ_for_different_keys_and_for_the_same_key_under_another_name() -> None:
    key = SigningKey.generate("IRN")
    renamed = VerifierKey("RUS", key.verifier.public)
    assert key.verifier.fingerprint != renamed.fingerprint
    assert key.verifier.fingerprint != SigningKey.generate("IRN").verifier.fingerprint
