"""The hotline's sealed messages, forms, keys and receipt deadlines, without a hub or a node.

Personas: IRN sends, SAU receives, QAT is a third party whom SAU might try to pass IRN's words
to under IRN's name.
"""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

import gulfsec
from gulfsec.adapters.hotline_keys import FileEncryptionKeys, MemoryEncryptionKeys
from gulfsec.adapters.keystore import MIN_N
from gulfsec.domain.encoding import canonical, format_time
from gulfsec.domain.entry import ALL
from gulfsec.domain.forms import get_form
from gulfsec.domain.forms.hotline import ENCRYPTION_KEY, HOTLINE, RECEIPT
from gulfsec.domain.hotline import (
    PAD,
    SUITE,
    EncryptionKey,
    Message,
    b64url,
    encryption_key_id,
    info,
    open_sealed,
    seal,
    unb64url,
)
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.procedures.hotline import (
    KeyDirectory,
    RegisteredKey,
    check_submission,
    receipt_state,
    registered_key,
)
from gulfsec.domain.regime import Regime, default_regime, load_regime
from gulfsec.errors import HotlineError, InvalidFormBody, KeyStoreError, ProcedureError
from gulfsec.services.participant import compose
from gulfsec.services.shared.hotline import keep_keys, open_entry, rotate_before

ORIGIN = "gulfsec.example/gulf-log"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
MONTH = timedelta(days=30)
IRN = SigningKey.generate("IRN")
SAU = SigningKey.generate("SAU")
QAT = SigningKey.generate("QAT")
TEXT = "Unidentified aircraft approaching at low level; please confirm it is yours."


@pytest.fixture(scope="module")
def sau_key() -> EncryptionKey:
    return EncryptionKey.generate(NOW + MONTH)


@pytest.fixture(scope="module")
def qat_key() -> EncryptionKey:
    return EncryptionKey.generate(NOW + MONTH)


def message(recipient: str, to_key: EncryptionKey, **changes: Any) -> Message:
    fields: dict[str, Any] = {
        "sender": "IRN", "key": IRN.key_id_hex, "recipient": recipient,
        "recipient_key": to_key.key_id, "id": "a" * 32, "seq": 7, "priority": "flash",
        "kind": "message", "text": TEXT, "sent_at": NOW}
    fields.update(changes)
    return Message.model_validate(fields)


def open_as(enc: str, key: EncryptionKey, recipient: str, *, sender: str = "IRN",
            signer: SigningKey = IRN, origin: str = ORIGIN) -> Message:
    return open_sealed(enc, key, log_origin=origin, sender=sender, sender_key=signer.verifier,
                       recipient=recipient).message


# -- sealing and opening -----------------------------------------------------------------------


def test_a_sealed_message_opens_for_its_recipient_as_its_sender_wrote_it(
        sau_key: EncryptionKey) -> None:
    enc = seal(message("SAU", sau_key), IRN, sau_key.public, ORIGIN)
    opened = open_sealed(enc, sau_key, log_origin=ORIGIN, sender="IRN",
                         sender_key=IRN.verifier, recipient="SAU")
    assert opened.message == message("SAU", sau_key)
    assert opened.message.priority == "flash" and opened.message.kind == "message"
    assert TEXT.encode() in opened.document
    assert TEXT.encode() not in unb64url(enc)


def test_the_ciphertext_hides_the_text_and_its_size_says_nothing_of_priority_or_kind(
        sau_key: EncryptionKey) -> None:
    sizes = {len(unb64url(seal(message("SAU", sau_key, priority=p, kind=k, text=t), IRN,
                                  sau_key.public, ORIGIN)))
             for p in ("flash", "routine") for k in ("message", "test")
             for t in ("Test.", "A short message about a ship.")}
    assert sizes == {32 + PAD + 16}


def test_a_message_re_encrypted_to_another_recipient_under_the_senders_name_is_detected(
        sau_key: EncryptionKey, qat_key: EncryptionKey) -> None:
    enc = seal(message("SAU", sau_key), IRN, sau_key.public, ORIGIN)
    # SAU opens IRN's message, then seals the very same signed plaintext to QAT's key.
    plaintext = SUITE.decrypt(unb64url(enc), _private(sau_key), info=info(ORIGIN))
    forwarded = b64url(SUITE.encrypt(plaintext, X25519PublicKey.from_public_bytes(
        qat_key.public), info=info(ORIGIN)))
    # In an entry of SAU's own: the sender inside is not the entry's.
    with pytest.raises(HotlineError, match="names IRN as its sender"):
        open_as(forwarded, qat_key, "QAT", sender="SAU", signer=SAU)
    # Even were it in an entry of IRN's (which only IRN can sign): it names SAU's key.
    with pytest.raises(HotlineError, match="encrypted again by someone else"):
        open_as(forwarded, qat_key, "QAT")


def test_a_message_signed_for_one_recipient_cannot_be_claimed_by_another_recipient(
        sau_key: EncryptionKey, qat_key: EncryptionKey) -> None:
    # IRN seals to QAT's key a message it signed for SAU (a bug, or a trick): QAT refuses it.
    enc = seal(message("SAU", qat_key), IRN, qat_key.public, ORIGIN)
    with pytest.raises(HotlineError, match="signed for SAU's key"):
        open_as(enc, qat_key, "QAT")


@pytest.mark.parametrize("where", [0, 31, 32, 40, -1])
def test_a_tampered_ciphertext_does_not_open(sau_key: EncryptionKey, where: int) -> None:
    sealed = bytearray(unb64url(seal(message("SAU", sau_key), IRN, sau_key.public, ORIGIN)))
    sealed[where] ^= 0x01
    with pytest.raises(HotlineError, match="does not decrypt"):
        open_as(b64url(bytes(sealed)), sau_key, "SAU")


@pytest.mark.parametrize("enc", ["", "not base64!", "AAAA", b64url(bytes(40)),
                                 b64url(bytes(200))])
def test_what_is_not_a_ciphertext_is_refused_in_words(sau_key: EncryptionKey, enc: str) -> None:
    with pytest.raises(HotlineError):
        open_as(enc, sau_key, "SAU")


def test_a_message_does_not_open_with_another_key_or_for_another_log(
        sau_key: EncryptionKey, qat_key: EncryptionKey) -> None:
    enc = seal(message("SAU", sau_key), IRN, sau_key.public, ORIGIN)
    with pytest.raises(HotlineError, match="does not decrypt"):
        open_as(enc, qat_key, "SAU")
    with pytest.raises(HotlineError, match="does not decrypt"):
        open_as(enc, sau_key, "SAU", origin="another.example/log")


def test_a_message_signed_by_another_key_than_the_entrys_is_refused(
        sau_key: EncryptionKey) -> None:
    impostor = SigningKey.generate("IRN")
    enc = seal(message("SAU", sau_key, key=impostor.key_id_hex), impostor, sau_key.public,
               ORIGIN)
    with pytest.raises(HotlineError, match="not the key the entry is signed with"):
        open_as(enc, sau_key, "SAU")


def test_a_bad_inner_signature_is_refused(sau_key: EncryptionKey) -> None:
    good = message("SAU", sau_key)
    document = canonical({"message": good.to_json(), "signature": "A" * 86 + "=="})
    padded = document + b"\x00" * (-len(document) % PAD)
    enc = b64url(SUITE.encrypt(padded, X25519PublicKey.from_public_bytes(sau_key.public),
                               info=info(ORIGIN)))
    with pytest.raises(HotlineError, match="signature inside does not verify"):
        open_as(enc, sau_key, "SAU")


def test_a_changed_text_under_the_original_signature_is_refused(sau_key: EncryptionKey) -> None:
    enc = seal(message("SAU", sau_key), IRN, sau_key.public, ORIGIN)
    plaintext = SUITE.decrypt(unb64url(enc), _private(sau_key), info=info(ORIGIN))
    changed = plaintext.replace(b"please confirm", b"we will engage")
    again = b64url(SUITE.encrypt(changed, X25519PublicKey.from_public_bytes(sau_key.public),
                                 info=info(ORIGIN)))
    with pytest.raises(HotlineError, match="signature inside does not verify"):
        open_as(again, sau_key, "SAU")


def test_an_error_never_quotes_the_message(sau_key: EncryptionKey, qat_key: EncryptionKey
                                           ) -> None:
    enc = seal(message("SAU", sau_key), IRN, sau_key.public, ORIGIN)
    for attempt in (lambda: open_as(enc, qat_key, "SAU"),
                    lambda: open_as(enc, sau_key, "SAU", sender="QAT", signer=QAT)):
        with pytest.raises(HotlineError) as caught:
            attempt()
        assert "aircraft" not in caught.value.message


def test_sealing_refuses_a_message_that_names_another_key_than_its_own(
        sau_key: EncryptionKey, qat_key: EncryptionKey) -> None:
    with pytest.raises(HotlineError, match="not the key it is encrypted to"):
        seal(message("SAU", sau_key), IRN, qat_key.public, ORIGIN)
    with pytest.raises(HotlineError, match="not the key it is signed with"):
        seal(message("SAU", sau_key), SAU, sau_key.public, ORIGIN)


# -- keys and rotation -------------------------------------------------------------------------


def _private(key: EncryptionKey) -> X25519PrivateKey:
    return X25519PrivateKey.from_private_bytes(key.private)


def test_a_key_id_is_the_first_eight_hex_digits_of_the_sha256_of_the_public_key() -> None:
    key = EncryptionKey(bytes(range(32)), NOW)
    assert key.key_id == encryption_key_id(key.public) == "eedd883d"
    assert key.registration() == {"key": "j0DFrbaPJWJK5bIU6nZ6bslNgp09e14a0bpvPiE4KF8",
                                  "key_id": "eedd883d", "not_after": "2026-11-23T12:00:00Z"}
    assert "private" not in repr(key)


def test_a_node_rotates_its_key_before_it_expires_and_destroys_it_once_expired() -> None:
    regime = default_regime()
    keys = MemoryEncryptionKeys()
    first, destroyed = keep_keys(keys, regime, NOW)
    assert destroyed == [] and first.not_after == NOW + MONTH
    assert keep_keys(keys, regime, NOW + timedelta(days=20))[0] == first
    rotation = NOW + MONTH - rotate_before(regime) + timedelta(seconds=1)
    second, _ = keep_keys(keys, regime, rotation)
    assert second != first and [k.key_id for k in keys.keys()] == [first.key_id, second.key_id]

    # A message sealed to the first key before the rotation still opens with it...
    entry = _hotline_entry(first, "SAU")
    assert open_entry(entry, "SAU", _lookup(keys), IRN.verifier, ORIGIN).message.text == TEXT
    # ... until it expires: then the node destroys its private key, and nothing opens it.
    assert keep_keys(keys, regime, first.not_after)[1] == [first.key_id]
    assert [k.key_id for k in keys.keys()] == [second.key_id]
    with pytest.raises(HotlineError, match="does not hold"):
        open_entry(entry, "SAU", _lookup(keys), IRN.verifier, ORIGIN)


def _lookup(keys: MemoryEncryptionKeys) -> Any:
    return lambda key_id: next((k for k in keys.keys() if k.key_id == key_id), None)


def _hotline_entry(key: EncryptionKey, recipient: str) -> Any:
    enc = seal(message(recipient, key), IRN, key.public, ORIGIN)
    body = {"recipients": [{"party": recipient, "key": key.key_id, "enc": enc}]}
    return compose(IRN, "IRN", form=HOTLINE, audience=(recipient,), body=body, seq=7, now=NOW)


def test_the_key_directory_seals_to_the_latest_key_still_valid() -> None:
    old = RegisteredKey("SAU", "00000001", bytes(32), NOW + timedelta(days=3), 5, "e" * 64)
    new = RegisteredKey("SAU", "00000002", bytes(32), NOW + MONTH, 9, "f" * 64)
    directory = KeyDirectory([new, old])
    assert directory.keys_of("SAU") == [old, new]
    assert directory.current("SAU", NOW) == new
    assert directory.current("SAU", NOW + timedelta(days=31)) is None
    assert directory.current("QAT", NOW) is None
    assert directory.get("SAU", "00000001") == old
    assert directory.parties() == ["SAU"]


def test_key_files_are_private_sealed_and_destroyed(tmp_path: Path) -> None:
    directory = tmp_path / "keys" / "IRN.hotline"
    store = FileEncryptionKeys(directory, "IRN", "a passphrase", n=MIN_N)
    key = EncryptionKey.generate(NOW + MONTH)
    store.add(key)
    path = directory / f"{key.key_id}.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert key.private.hex() not in path.read_text() and b64url(key.private) not in path.read_text()
    again = FileEncryptionKeys(directory, "IRN", "a passphrase", n=MIN_N)
    assert again.keys() == [key]
    with pytest.raises(KeyStoreError, match="wrong passphrase"):
        FileEncryptionKeys(directory, "IRN", "another", n=MIN_N).keys()
    stretched = path.read_text().replace(format_time(key.not_after), "2099-01-01T00:00:00Z")
    path.write_text(stretched)
    with pytest.raises(KeyStoreError, match="altered"):
        FileEncryptionKeys(directory, "IRN", "a passphrase", n=MIN_N).keys()
    again.destroy(key.key_id)
    assert not path.exists() and again.keys() == []


# -- the forms ---------------------------------------------------------------------------------


def test_an_encryption_key_names_its_own_id() -> None:
    form = get_form(ENCRYPTION_KEY)
    good = EncryptionKey(bytes(range(32)), NOW).registration()
    form.validate(good)
    with pytest.raises(InvalidFormBody, match="key_id is not"):
        form.validate({**good, "key_id": "00000000"})
    with pytest.raises(InvalidFormBody):
        form.validate({**good, "key": good["key"][:-1] + "="})
    assert form.summarise(good) == ("hotline encryption key eedd883d, valid until "
                                    "2026-11-23T12:00:00Z")


def test_a_hotline_body_holds_one_ciphertext_per_recipient_and_nothing_else() -> None:
    form = get_form(HOTLINE)
    one = {"party": "SAU", "key": "eedd883d", "enc": "AQEB" * 20}
    form.validate({"recipients": [one, {**one, "party": "QAT"}]})
    for bad in ({"recipients": []}, {"recipients": [one, one]},
                {"recipients": [one], "priority": "flash"},
                {"recipients": [{**one, "enc": "AQEB" * 20 + "="}]},
                {"recipients": [{**one, "text": "hello"}]}):
        with pytest.raises(InvalidFormBody):
            form.validate(bad)
    assert form.summarise({"recipients": [{**one, "party": "QAT"}, one]}) == (
        "hotline message to QAT, SAU")
    assert set(form.json_schema()["properties"]) == {"recipients"}
    assert not form.acknowledge and not get_form(RECEIPT).acknowledge


# -- what the hub refuses ----------------------------------------------------------------------


class _Log:
    def __init__(self) -> None:
        self.entries: dict[str, tuple[int, Any]] = {}

    def add(self, signed: Any) -> Any:
        self.entries[signed.id_hex] = (len(self.entries), signed)
        return signed

    def lookup(self, entry_id: str) -> tuple[int, Any] | None:
        return self.entries.get(entry_id)


def _check(signed: Any, log: _Log, regime: Regime | None = None) -> None:
    check_submission(signed, regime or default_regime(), NOW, log.lookup)


def test_the_hub_refuses_a_key_not_for_all_expired_or_valid_too_long() -> None:
    log = _Log()
    body = EncryptionKey.generate(NOW + MONTH).registration()
    _check(compose(IRN, "IRN", form=ENCRYPTION_KEY, audience=ALL, body=body, seq=1, now=NOW),
           log)
    for audience, not_after, why in (
            (("SAU",), NOW + MONTH, "addressed to all"),
            (ALL, NOW - timedelta(seconds=1), "expired"),
            (ALL, NOW + MONTH + timedelta(days=1), "at most 30 days")):
        late = EncryptionKey.generate(not_after).registration()
        with pytest.raises(ProcedureError, match=why):
            _check(compose(IRN, "IRN", form=ENCRYPTION_KEY, audience=audience, body=late,
                           seq=1, now=NOW), log)


def test_the_hub_refuses_a_message_not_addressed_to_exactly_its_recipients(
        sau_key: EncryptionKey) -> None:
    log = _Log()
    entry = _hotline_entry(sau_key, "SAU")
    _check(entry, log)
    body = entry.entry.body
    for audience, why in ((("QAT", "SAU"), "exactly the parties"), (ALL, "exactly")):
        with pytest.raises(ProcedureError, match=why):
            _check(compose(IRN, "IRN", form=HOTLINE, audience=audience, body=body, seq=7,
                           now=NOW), log)
    to_self = {"recipients": [{**body["recipients"][0], "party": "IRN"}]}
    with pytest.raises(ProcedureError, match="its own sender"):
        _check(compose(IRN, "IRN", form=HOTLINE, audience=("IRN", "SAU"), body=to_self,
                       seq=7, now=NOW), log)


def test_the_hub_refuses_a_receipt_from_a_non_recipient_or_to_anyone_but_the_sender(
        sau_key: EncryptionKey) -> None:
    log = _Log()
    sent = log.add(_hotline_entry(sau_key, "SAU"))
    body = {"message": sent.id_hex}

    def receipt(key: SigningKey, audience: Any) -> Any:
        return compose(key, key.name, form=RECEIPT, audience=audience, body=body, seq=3,
                       now=NOW, refs=[sent.id_hex])

    _check(receipt(SAU, ("IRN",)), log)
    with pytest.raises(ProcedureError, match="not sealed for QAT"):
        _check(receipt(QAT, ("IRN",)), log)
    with pytest.raises(ProcedureError, match="alone: IRN"):
        _check(receipt(SAU, ("IRN", "QAT")), log)
    with pytest.raises(ProcedureError, match="not a hotline message"):
        _check(compose(SAU, "SAU", form=RECEIPT, audience=("IRN",), body={"message": "0" * 64},
                       seq=3, now=NOW, refs=["0" * 64]), log)


def test_a_registered_key_is_read_from_its_entry() -> None:
    key = EncryptionKey.generate(NOW + MONTH)
    signed = compose(IRN, "IRN", form=ENCRYPTION_KEY, audience=ALL, body=key.registration(),
                     seq=1, now=NOW)
    found = registered_key(signed, 12)
    assert found == RegisteredKey("IRN", key.key_id, key.public, key.not_after, 12,
                                  signed.id_hex)


# -- receipts ----------------------------------------------------------------------------------

FIVE = timedelta(minutes=5)


@pytest.mark.parametrize(("receipt_after", "seen_after", "now_after", "state", "late"), [
    (None, None, timedelta(0), "waiting", False),
    (timedelta(minutes=4), None, timedelta(minutes=10), "received", False),
    (timedelta(minutes=5), None, timedelta(minutes=10), "received", False),
    (timedelta(minutes=6), None, timedelta(minutes=10), "received", True),
    (None, timedelta(minutes=4), timedelta(minutes=4), "waiting", False),
    (None, timedelta(minutes=5), timedelta(minutes=5), "waiting", False),
    (None, timedelta(minutes=5, seconds=1), timedelta(minutes=5, seconds=1), "overdue", False),
    (None, timedelta(minutes=1), timedelta(minutes=5, seconds=59), "waiting", False),
    (None, timedelta(minutes=1), timedelta(minutes=6, seconds=1), "overdue", False),
])
def test_a_receipt_is_due_within_five_minutes_of_the_messages_sequencing(
        receipt_after: timedelta | None, seen_after: timedelta | None, now_after: timedelta,
        state: str, late: bool) -> None:
    status = receipt_state(NOW, None if receipt_after is None else NOW + receipt_after,
                           within=FIVE, now=NOW + now_after,
                           seen_until=None if seen_after is None else NOW + seen_after)
    assert (status.state, status.late, status.due) == (state, late, NOW + FIVE)
    assert status.missed == (state == "overdue" or late)


def test_a_message_not_yet_sequenced_has_no_deadline() -> None:
    status = receipt_state(None, None, within=FIVE, now=NOW + timedelta(days=1),
                           seen_until=NOW + timedelta(days=1))
    assert (status.state, status.due, status.missed) == ("waiting", None, False)


# -- the regime --------------------------------------------------------------------------------


def test_the_regime_rotates_encryption_keys_monthly_unless_it_says_otherwise(
        tmp_path: Path) -> None:
    assert default_regime().commitments.hotline.encryption_key == timedelta(days=30)
    source = Path(gulfsec.__file__).parent / "regimes" / "gulf.toml"
    text = source.read_text(encoding="utf-8")
    weekly = tmp_path / "weekly.toml"
    weekly.write_text(text.replace("encryption_key_days = 30", "encryption_key_days = 7"),
                      encoding="utf-8")
    assert load_regime(weekly).commitments.hotline.encryption_key == timedelta(days=7)
    unwritten = tmp_path / "unwritten.toml"
    unwritten.write_text(text.replace("encryption_key_days = 30\n", ""), encoding="utf-8")
    assert load_regime(unwritten).commitments.hotline.encryption_key == timedelta(days=30)
