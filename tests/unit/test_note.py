"""C2SP signed notes, tlog checkpoints and tlog cosignatures.

Interoperability is checked against published examples: the note and keys of Go's reference
implementation (golang.org/x/mod/sumdb/note, ``note_test.go``), the example checkpoint of the
C2SP tlog-checkpoint and tlog-cosignature specs, and a real checkpoint of the Go checksum
database (sum.golang.org) with its published verifier key.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime

import pytest

from gulfsec.domain.encoding import b64decode, b64encode
from gulfsec.domain.keys import SIG_COSIGNATURE, SigningKey, VerifierKey, key_id
from gulfsec.errors import CheckpointSignatureError, MalformedCheckpoint
from gulfsec.ledger.note import (
    Checkpoint,
    Cosignature,
    NoteSignature,
    SignedNote,
    cosign,
    cosignature_message,
    parse_note,
    sign_checkpoint,
    verify_checkpoint,
    verify_cosignature,
)

ORIGIN = "gulfsec.example/gulf-log"
ROOT = bytes(range(32))
WITNESS_TIME = 1_795_435_200  # 2026-11-23T12:00:00Z

# golang.org/x/mod/sumdb/note note_test.go
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "\u2014 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "\u2014 EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
)

# c2sp.org/tlog-cosignature (and tlog-checkpoint): the example checkpoint with a cosignature.
C2SP_EXAMPLE = (
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n"
    "\u2014 example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    "\u2014 witness.example.com/w1 "
    "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZ"
    "qhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)

# A checkpoint of the Go checksum database, and the verifier key built into the go command.
SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
SUMDB_CHECKPOINT = (
    "go.sum database tree\n"
    "63096908\n"
    "8lHrQPRYe4KT4WQ9/Qk8/taKnD6IRHbFgfN7vQE2Y54=\n"
    "\n"
    "\u2014 sum.golang.org "
    "Az3gri/oVBN1jAhNZ/iS+W31psFAWRT20/GyrhpU6taFwulQGetBkH5S7wpGXdS935jiIGiUUAXBVHzT/P6fYhqAmAk=\n"
)


@pytest.fixture(scope="module")
def log_key() -> SigningKey:
    return SigningKey.generate(ORIGIN)


@pytest.fixture(scope="module")
def witness() -> SigningKey:
    return SigningKey.generate("witness.irn.example")


@pytest.fixture
def checkpoint() -> Checkpoint:
    return Checkpoint(ORIGIN, 42, ROOT)


@pytest.fixture
def note(checkpoint: Checkpoint, log_key: SigningKey) -> str:
    return sign_checkpoint(checkpoint, log_key)


def with_body_line(note: str, index: int, value: str) -> str:
    lines = note.split("\n")
    lines[index] = value
    return "\n".join(lines)


# -- checkpoints: round trip and tampering ------------------------------------------------------


def test_a_signed_checkpoint_is_the_body_a_blank_line_and_one_signature_line(
    note: str, checkpoint: Checkpoint, log_key: SigningKey
) -> None:
    body, sigs = note.split("\n\n")
    assert body + "\n" == checkpoint.body() == f"{ORIGIN}\n42\n{b64encode(ROOT)}\n"
    name, blob = sigs.removeprefix("\u2014 ").removesuffix("\n").split(" ")
    assert name == ORIGIN
    raw = b64decode(blob)
    assert raw[:4] == log_key.verifier.key_id
    assert log_key.verifier.verify(checkpoint.body().encode(), raw[4:])


def test_a_signed_checkpoint_verifies_under_the_pinned_log_key(
    note: str, checkpoint: Checkpoint, log_key: SigningKey
) -> None:
    parsed, signed = verify_checkpoint(note, log_key.verifier)
    assert parsed == checkpoint
    assert signed.encode() == note
    assert verify_checkpoint(note.encode(), log_key.verifier)[0] == checkpoint


def test_the_empty_tree_checkpoint_round_trips(log_key: SigningKey) -> None:
    empty = Checkpoint(ORIGIN, 0, bytes(32))
    assert verify_checkpoint(sign_checkpoint(empty, log_key), log_key.verifier)[0] == empty


@pytest.mark.parametrize(
    ("line", "value"),
    [(1, "43"), (1, "4200"), (2, b64encode(bytes(32)))],
    ids=["size", "size-longer", "root"],
)
def test_a_tampered_size_or_root_breaks_the_signature(
    note: str, log_key: SigningKey, line: int, value: str
) -> None:
    with pytest.raises(CheckpointSignatureError, match="does not verify"):
        verify_checkpoint(with_body_line(note, line, value), log_key.verifier)


def test_a_tampered_origin_is_refused_as_another_log(note: str, log_key: SigningKey) -> None:
    with pytest.raises(CheckpointSignatureError, match="is not this log"):
        verify_checkpoint(with_body_line(note, 0, "evil.example/log"), log_key.verifier)


def test_a_checkpoint_signed_by_another_key_of_the_same_name_is_refused(
    checkpoint: Checkpoint, log_key: SigningKey
) -> None:
    impostor = SigningKey.generate(ORIGIN)
    with pytest.raises(CheckpointSignatureError, match="not signed by the pinned log key"):
        verify_checkpoint(sign_checkpoint(checkpoint, impostor), log_key.verifier)


def test_a_signature_claiming_the_log_keys_id_but_made_by_another_key_is_refused(
    checkpoint: Checkpoint, log_key: SigningKey
) -> None:
    impostor = SigningKey.generate(ORIGIN)
    forged = NoteSignature(ORIGIN, log_key.verifier.key_id,
                           impostor.sign(checkpoint.body().encode()))
    note = SignedNote(checkpoint.body(), (forged,)).encode()
    with pytest.raises(CheckpointSignatureError, match="does not verify"):
        verify_checkpoint(note, log_key.verifier)


def test_extra_signatures_by_unknown_keys_are_kept_but_ignored(
    note: str, checkpoint: Checkpoint, log_key: SigningKey
) -> None:
    stranger = SigningKey.generate("stranger.example")
    junk = NoteSignature("junk.example", b"\x01\x02\x03\x04", bytes(64)).line()
    extra = sign_checkpoint(checkpoint, stranger).split("\n\n")[1]
    parsed, signed = verify_checkpoint(note + extra + junk, log_key.verifier)
    assert parsed == checkpoint
    assert [s.name for s in signed.signatures] == [ORIGIN, "stranger.example", "junk.example"]


def test_unknown_signatures_before_the_log_keys_are_ignored_too(
    note: str, checkpoint: Checkpoint, log_key: SigningKey
) -> None:
    body, sig = note.split("\n\n")
    junk = NoteSignature("junk.example", b"\x01\x02\x03\x04", bytes(64)).line()
    assert verify_checkpoint(body + "\n\n" + junk + sig, log_key.verifier)[0] == checkpoint


def test_a_note_with_only_unknown_signatures_is_refused(
    checkpoint: Checkpoint, log_key: SigningKey
) -> None:
    stranger = SigningKey.generate("stranger.example")
    with pytest.raises(CheckpointSignatureError, match="not signed by the pinned log key"):
        verify_checkpoint(sign_checkpoint(checkpoint, stranger), log_key.verifier)


# -- malformed notes ----------------------------------------------------------------------------

GOOD_SIG = f"\u2014 {ORIGIN} {b64encode(bytes(68))}\n"
GOOD_BODY = f"{ORIGIN}\n42\n{b64encode(ROOT)}\n"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (GOOD_BODY, "no signature block"),
        (GOOD_BODY + "\n", "malformed signature line"),
        (GOOD_BODY + "\n" + GOOD_SIG[:-1], "no signature block"),
        (GOOD_BODY + "\n" + GOOD_SIG + "Unexpected line.\n", "malformed signature line"),
        (GOOD_BODY + "\n" + GOOD_SIG.replace("\u2014", "-"), "malformed signature line"),
        (GOOD_BODY + "\n" + GOOD_SIG.replace(ORIGIN, "two words"), "malformed signature line"),
        (GOOD_BODY + "\n" + GOOD_SIG.replace(" ", "  ", 1), "malformed signature line"),
        (GOOD_BODY + "\n" + f"\u2014 {ORIGIN} !!!!\n", "malformed signature line"),
        (GOOD_BODY + "\n" + f"\u2014 {ORIGIN} AAAA=\n", "not base64"),
        (GOOD_BODY + "\n" + f"\u2014 {ORIGIN} AAAAAA==\n", "too short"),
        ("\x01" + GOOD_BODY + "\n" + GOOD_SIG, "control characters"),
        (GOOD_BODY.replace("\n", "\r\n") + "\r\n" + GOOD_SIG, "control characters"),
        (GOOD_BODY + "\t\n\n" + GOOD_SIG, "control characters"),
        ("", "no signature block"),
        (GOOD_BODY + "\n" + GOOD_SIG + "\n", "malformed signature line"),
    ],
    ids=[
        "no-blank-line", "no-signatures", "no-final-newline", "trailing-junk", "hyphen",
        "space-in-name", "double-space", "non-base64", "bad-padding", "short-blob",
        "control-char", "crlf", "tab", "empty", "trailing-blank-line",
    ],
)
def test_each_malformed_note_is_refused(data: str, message: str) -> None:
    with pytest.raises(MalformedCheckpoint, match=message):
        parse_note(data)


def test_a_note_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(MalformedCheckpoint, match="not UTF-8"):
        parse_note(b"\xff" + (GOOD_BODY + "\n" + GOOD_SIG).encode())


@pytest.mark.parametrize("as_bytes", [False, True])
def test_a_note_over_64_kib_is_refused(as_bytes: bool) -> None:
    data = "x" * 70_000 + "\n\n" + GOOD_SIG
    with pytest.raises(MalformedCheckpoint, match="too large"):
        parse_note(data.encode() if as_bytes else data)


def test_the_signature_block_starts_after_the_last_blank_line() -> None:
    text = "line one\n\nline three\n"
    signed = parse_note(text + "\n" + GOOD_SIG)
    assert signed.text == text


# -- malformed checkpoint bodies ----------------------------------------------------------------

ROOT_B64 = b64encode(ROOT)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (f"{ORIGIN}\n42\n{ROOT_B64}\nextension line\n", "exactly origin, size and root"),
        (f"{ORIGIN}\n42\n", "exactly origin, size and root"),
        (f"{ORIGIN}\n42\n{ROOT_B64}", "exactly origin, size and root"),
        (f"\n42\n{ROOT_B64}\n", "origin line is empty"),
        (f" {ORIGIN}\n42\n{ROOT_B64}\n", "origin line is empty or padded"),
        (f"{ORIGIN} \n42\n{ROOT_B64}\n", "origin line is empty or padded"),
        (f"{ORIGIN}\n042\n{ROOT_B64}\n", "not a decimal number"),
        (f"{ORIGIN}\n-1\n{ROOT_B64}\n", "not a decimal number"),
        (f"{ORIGIN}\n+1\n{ROOT_B64}\n", "not a decimal number"),
        (f"{ORIGIN}\n\n{ROOT_B64}\n", "not a decimal number"),
        (f"{ORIGIN}\n0x2a\n{ROOT_B64}\n", "not a decimal number"),
        (f"{ORIGIN}\n4_2\n{ROOT_B64}\n", "not a decimal number"),
        (f"{ORIGIN}\n\u0664\u0662\n{ROOT_B64}\n", "not a decimal number"),
        (f"{ORIGIN}\n\u00b2\n{ROOT_B64}\n", "not a decimal number"),
        (f"{ORIGIN}\n{'9' * 5000}\n{ROOT_B64}\n", "not a decimal number"),
        (f"{ORIGIN}\n{2**64}\n{ROOT_B64}\n", "not a decimal number"),
        (f"{ORIGIN}\n42\n{b64encode(bytes(31))}\n", "root hash: expected 32 bytes"),
        (f"{ORIGIN}\n42\n{ROOT_B64[:-1]}\n", "root hash: not valid base64"),
        (f"{ORIGIN}\n42\n{b64encode(ROOT).rstrip('=')}\n", "root hash: not valid base64"),
    ],
    ids=[
        "extension-line", "no-root", "no-final-newline", "empty-origin", "leading-space",
        "trailing-space", "leading-zero", "negative", "plus-sign", "empty-size", "hex-size",
        "underscore", "arabic-indic-digits", "superscript-digit", "5000-digits",
        "over-uint64", "short-root", "truncated-root", "unpadded-root",
    ],
)
def test_each_malformed_checkpoint_body_is_refused(body: str, message: str) -> None:
    with pytest.raises(MalformedCheckpoint, match=message):
        Checkpoint.parse_body(body)


def test_the_largest_uint64_size_is_accepted() -> None:
    body = f"{ORIGIN}\n{2**64 - 1}\n{ROOT_B64}\n"
    assert Checkpoint.parse_body(body).size == 2**64 - 1


def test_a_malformed_body_under_a_valid_signature_is_refused_as_malformed(
    log_key: SigningKey,
) -> None:
    body = f"{ORIGIN}\n42\n{ROOT_B64}\nextension\n"
    sig = NoteSignature(ORIGIN, log_key.verifier.key_id, log_key.sign(body.encode()))
    with pytest.raises(MalformedCheckpoint):
        verify_checkpoint(SignedNote(body, (sig,)).encode(), log_key.verifier)


# -- cosignatures -------------------------------------------------------------------------------


def test_the_cosigned_message_matches_the_c2sp_spec_example() -> None:
    checkpoint = Checkpoint.parse_body(C2SP_EXAMPLE.split("\n\n")[0] + "\n")
    assert cosignature_message(checkpoint, 1679315147) == (
        b"cosignature/v1\n"
        b"time 1679315147\n"
        b"example.com/behind-the-sofa\n"
        b"20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )


def test_a_cosignature_round_trips_through_a_note(
    note: str, checkpoint: Checkpoint, log_key: SigningKey, witness: SigningKey
) -> None:
    cosig = cosign(checkpoint, witness, WITNESS_TIME)
    cosigned = note + cosig.to_note_signature().line()
    parsed, signed = verify_checkpoint(cosigned, log_key.verifier)
    line = signed.signatures[1]
    assert line.name == witness.name
    assert len(line.blob) == 8 + 64
    assert verify_cosignature(parsed, line, witness.verifier) == cosig
    assert cosig.time == datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_a_cosignature_uses_the_witness_key_id_of_type_0x04(
    checkpoint: Checkpoint, witness: SigningKey
) -> None:
    cosig = cosign(checkpoint, witness, WITNESS_TIME)
    assert cosig.key_id == key_id(witness.name, witness.verifier.public, SIG_COSIGNATURE)
    assert cosig.key_id != witness.verifier.key_id
    blob = cosig.to_note_signature().blob
    assert struct.unpack(">Q", blob[:8]) == (WITNESS_TIME,)


def test_a_cosignature_verifies_under_the_witness_key_given_with_type_0x04(
    checkpoint: Checkpoint, witness: SigningKey
) -> None:
    cosig = cosign(checkpoint, witness, WITNESS_TIME)
    key = witness.verifier.as_type(SIG_COSIGNATURE)
    assert verify_cosignature(checkpoint, cosig.to_note_signature(), key) == cosig


def test_a_cosignature_on_another_checkpoint_is_refused(
    checkpoint: Checkpoint, witness: SigningKey
) -> None:
    line = cosign(checkpoint, witness, WITNESS_TIME).to_note_signature()
    with pytest.raises(CheckpointSignatureError, match="does not verify"):
        verify_cosignature(Checkpoint(ORIGIN, 43, ROOT), line, witness.verifier)


def test_a_cosignature_with_a_changed_timestamp_is_refused(
    checkpoint: Checkpoint, witness: SigningKey
) -> None:
    line = cosign(checkpoint, witness, WITNESS_TIME).to_note_signature()
    moved = NoteSignature(line.name, line.key_id,
                          struct.pack(">Q", WITNESS_TIME - 3600) + line.blob[8:])
    with pytest.raises(CheckpointSignatureError, match="does not verify"):
        verify_cosignature(checkpoint, moved, witness.verifier)


def test_a_cosignature_by_another_witness_is_refused(
    checkpoint: Checkpoint, witness: SigningKey
) -> None:
    other = SigningKey.generate("witness.rus.example")
    line = cosign(checkpoint, other, WITNESS_TIME).to_note_signature()
    with pytest.raises(CheckpointSignatureError, match="not by witness"):
        verify_cosignature(checkpoint, line, witness.verifier)


def test_a_plain_log_signature_is_not_mistaken_for_a_cosignature(
    checkpoint: Checkpoint, witness: SigningKey
) -> None:
    plain = parse_note(sign_checkpoint(Checkpoint(witness.name, 42, ROOT), witness))
    with pytest.raises(CheckpointSignatureError, match="not by witness"):
        verify_cosignature(checkpoint, plain.signatures[0], witness.verifier)


def test_a_cosignature_of_the_wrong_length_is_refused(
    checkpoint: Checkpoint, witness: SigningKey
) -> None:
    line = cosign(checkpoint, witness, WITNESS_TIME).to_note_signature()
    short = NoteSignature(line.name, line.key_id, line.blob[:-1])
    with pytest.raises(CheckpointSignatureError, match="8-byte time and a signature"):
        verify_cosignature(checkpoint, short, witness.verifier)


def test_a_cosignature_object_is_a_plain_value(checkpoint: Checkpoint,
                                               witness: SigningKey) -> None:
    cosig = cosign(checkpoint, witness, WITNESS_TIME)
    assert cosig == Cosignature(cosig.name, cosig.key_id, cosig.timestamp, cosig.signature)


# -- interoperability ---------------------------------------------------------------------------


def test_the_go_reference_note_is_read_and_verifies() -> None:
    signed = parse_note(PETER_TEXT + "\n" + PETER_SIG)
    assert signed.text == PETER_TEXT
    (sig,) = signed.signatures
    key = VerifierKey.parse(PETER_VKEY)
    assert (sig.name, sig.key_id) == ("PeterNeumann", key.key_id)
    assert key.verify(signed.text.encode(), sig.blob)
    assert not key.verify(signed.text.replace("cryptography", "cryptographY").encode(), sig.blob)


def test_we_write_the_go_reference_note_byte_for_byte() -> None:
    signed = parse_note(PETER_TEXT + "\n" + PETER_SIG + ENOCH_SIG)
    assert signed.encode() == PETER_TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert [s.name for s in signed.signatures] == ["PeterNeumann", "EnochRoot"]
    assert signed.signatures[1].key_id.hex() == "af0cfe78"


@pytest.mark.parametrize(
    "data",
    [
        PETER_TEXT.encode(),
        (PETER_TEXT + "\n").encode(),
        (PETER_TEXT + "\n" + PETER_SIG[:-1]).encode(),
        ("\x01" + PETER_TEXT + "\n" + PETER_SIG).encode(),
        b"\xff" + (PETER_TEXT + "\n" + PETER_SIG).encode(),
        (PETER_TEXT + "\n" + "\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1"
         "FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=").encode(),
        (PETER_TEXT + "\n" + PETER_SIG + "Unexpected line.\n").encode(),
    ],
    ids=["text-only", "blank-line-only", "no-final-newline", "control", "bad-utf8", "bad-name",
         "unexpected-line"],
)
def test_the_go_reference_malformed_notes_are_refused(data: bytes) -> None:
    with pytest.raises(MalformedCheckpoint):
        parse_note(data)


def test_the_c2sp_example_checkpoint_is_read() -> None:
    signed = parse_note(C2SP_EXAMPLE)
    checkpoint = Checkpoint.parse_body(signed.text)
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert checkpoint.root == b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    log_sig, witness_sig = signed.signatures
    assert log_sig.name == "example.com/behind-the-sofa"
    assert len(log_sig.blob) == 64
    assert witness_sig.name == "witness.example.com/w1"
    assert len(witness_sig.blob) == 8 + 64
    assert struct.unpack(">Q", witness_sig.blob[:8]) == (1679315147,)
    assert checkpoint.body() == signed.text
    assert signed.encode() == C2SP_EXAMPLE


def test_a_real_go_checksum_database_checkpoint_is_read_and_its_signature_verifies() -> None:
    signed = parse_note(SUMDB_CHECKPOINT.encode())
    checkpoint = Checkpoint.parse_body(signed.text)
    assert (checkpoint.origin, checkpoint.size) == ("go.sum database tree", 63096908)
    key = VerifierKey.parse(SUMDB_VKEY)
    (sig,) = signed.signatures
    assert (sig.name, sig.key_id) == (key.name, key.key_id)
    assert key.verify(signed.text.encode(), sig.blob)
    assert not key.verify(signed.text.replace("63096908", "63096909").encode(), sig.blob)


def test_a_log_whose_origin_is_not_its_key_name_is_not_ours(log_key: SigningKey) -> None:
    # The checksum database names its key differently from its origin; our hub never does.
    with pytest.raises(CheckpointSignatureError, match="is not this log"):
        verify_checkpoint(SUMDB_CHECKPOINT, VerifierKey.parse(SUMDB_VKEY))
