"""Ed25519 signatures verify the same with libsodium (PyNaCl, what gulfsec verifies with) and
OpenSSL (cryptography, what it signs with): the key formats and signatures are byte for byte
the same whichever library checks them.

Known answers: RFC 8032 §7.1, tests 1 to 3.
"""

from __future__ import annotations

import os

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey as NaclSigningKey
from nacl.signing import VerifyKey

from gulfsec.domain.keys import SigningKey, VerifierKey

RFC8032 = [
    ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
     "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bac"
     "c61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
    ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
     "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e"
     "458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
     "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290"
     "ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
]


def openssl_verifies(public: bytes, message: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except InvalidSignature:
        return False
    return True


def sodium_verifies(public: bytes, message: bytes, signature: bytes) -> bool:
    try:
        VerifyKey(public).verify(message, signature)
    except BadSignatureError:
        return False
    return True


@pytest.mark.parametrize(("seed", "public", "message", "signature"), RFC8032)
def test_rfc8032_vectors_with_both_libraries(seed: str, public: str, message: str,
                                             signature: str) -> None:
    key = SigningKey("vector", bytes.fromhex(seed))
    msg, sig = bytes.fromhex(message), bytes.fromhex(signature)
    assert key.verifier.public == bytes.fromhex(public)
    assert key.sign(msg) == sig
    assert bytes(NaclSigningKey(bytes.fromhex(seed)).sign(msg).signature) == sig
    assert openssl_verifies(key.verifier.public, msg, sig)
    assert sodium_verifies(key.verifier.public, msg, sig)
    assert key.verifier.verify(msg, sig)


def test_random_messages_agree_including_tampered_ones() -> None:
    for _ in range(200):
        key = SigningKey.generate("party")
        message = os.urandom(int.from_bytes(os.urandom(1), "big"))
        sig = key.sign(message)
        public = key.verifier.public
        cases = [(message, sig), (message + b"x", sig),
                 (message, sig[:-1] + bytes([sig[-1] ^ 1])),
                 (message, bytes([sig[0] ^ 0x80]) + sig[1:])]
        for msg, s in cases:
            expected = openssl_verifies(public, msg, s)
            assert sodium_verifies(public, msg, s) == expected
            assert key.verifier.verify(msg, s) == expected
        assert key.verifier.verify(message, sig)


def test_wrong_length_signature_is_false_not_an_error() -> None:
    key = SigningKey.generate("party")
    assert not key.verifier.verify(b"m", b"\x00" * 63)
    assert not key.verifier.verify(b"m", b"")


def test_a_signature_by_another_key_does_not_verify() -> None:
    a, b = SigningKey.generate("a"), SigningKey.generate("b")
    sig = a.sign(b"same message")
    assert not VerifierKey("a", b.verifier.public).verify(b"same message", sig)
