"""The keyring: registration, rotation and revocation of keys, as the log says.

Personas: SEC is the secretariat (it countersigns first keys); IRN registers and rotates its key;
RUS is another party; QAT is an outsider who tries what it must not.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from gulfsec.domain.entry import ALL, Entry, Signature, SignedEntry, sign_entry
from gulfsec.domain.forms.keys import REGISTRATION, REVOCATION, ROTATION
from gulfsec.domain.keyring import KeyRecord, Keyring
from gulfsec.domain.keys import SigningKey, VerifierKey
from gulfsec.errors import (
    BadSignature,
    EntryError,
    InvalidFormBody,
    RevokedKey,
    UnknownForm,
    UnknownKey,
)

WHEN = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def signed_by(key: SigningKey, sender: str, form: str, body: dict[str, Any],
              seq: int = 0) -> SignedEntry:
    entry = Entry(form=form, sender=sender, key=key.key_id_hex, seq=seq, time=WHEN,
                  audience=ALL, body=body)
    return sign_entry(entry, key)


def registration(key: SigningKey, party: str, *, vkey: str | None = None,
                 body_party: str | None = None) -> SignedEntry:
    body = {"party": body_party or party, "vkey": vkey or key.verifier.encode()}
    return signed_by(key, party, REGISTRATION, body)


def rotation(old: SigningKey, new: SigningKey, party: str, seq: int = 1) -> SignedEntry:
    return signed_by(old, party, ROTATION, {"vkey": new.verifier.encode()}, seq=seq)


def revocation(signer: SigningKey, sender: str, party: str, kid: str,
               seq: int = 1) -> SignedEntry:
    body = {"party": party, "key": kid, "reason": "compromised"}
    return signed_by(signer, sender, REVOCATION, body, seq=seq)


def message(key: SigningKey, sender: str, seq: int = 1) -> SignedEntry:
    return signed_by(key, sender, "message@1", {"subject": "s", "text": "t"}, seq=seq)


class Log:
    """Applies entries in order, as the sequencer does: verify, then apply at the next index."""

    def __init__(self) -> None:
        self.keyring = Keyring("SEC")
        self.size = 0

    def append(self, signed: SignedEntry) -> int:
        self.keyring.verify(signed)
        index = self.size
        self.keyring.apply(signed, index)
        self.size += 1
        return index


@pytest.fixture
def sec(party_keys: dict[str, SigningKey]) -> SigningKey:
    return party_keys["SEC"]


@pytest.fixture
def irn(party_keys: dict[str, SigningKey]) -> SigningKey:
    return party_keys["IRN"]


@pytest.fixture
def log(sec: SigningKey, party_keys: dict[str, SigningKey]) -> Log:
    """A log whose secretariat key is registered at index 0, then IRN's and RUS's keys."""
    log = Log()
    log.append(registration(sec, "SEC"))
    for party in ("IRN", "RUS"):
        log.append(registration(party_keys[party], party).countersigned(sec))
    return log


# -- genesis ------------------------------------------------------------------------------------


def test_the_secretariat_registers_its_own_first_key_with_only_its_own_signature(
    sec: SigningKey,
) -> None:
    keyring = Keyring("SEC")
    genesis = registration(sec, "SEC")
    keyring.verify(genesis)
    keyring.apply(genesis, 0)
    assert keyring.resolve("SEC", sec.key_id_hex) == sec.verifier
    record = keyring.active_key("SEC")
    assert record == KeyRecord("SEC", sec.verifier, 0)
    assert record is not None and record.active


def test_a_party_cannot_register_before_the_secretariat_has_a_key(
    sec: SigningKey, irn: SigningKey
) -> None:
    with pytest.raises(UnknownKey, match="secretariat has no key yet"):
        Keyring("SEC").verify(registration(irn, "IRN").countersigned(sec))


def test_the_secretariats_genesis_registration_is_refused_with_a_bad_self_signature(
    sec: SigningKey,
) -> None:
    genesis = registration(sec, "SEC")
    other = SigningKey.generate("SEC")
    forged = SignedEntry(
        genesis.entry, (Signature(sec.key_id_hex, other.sign(genesis.entry.signing_bytes())),)
    )
    with pytest.raises(BadSignature):
        Keyring("SEC").verify(forged)


def test_the_secretariat_cannot_register_itself_a_second_time(log: Log) -> None:
    with pytest.raises(EntryError, match="already holds an active key"):
        log.keyring.verify(registration(SigningKey.generate("SEC"), "SEC"))


def test_after_its_key_is_revoked_nobody_can_self_register_as_the_secretariat(
    log: Log, sec: SigningKey
) -> None:
    log.append(revocation(sec, "SEC", "SEC", sec.key_id_hex))
    assert log.keyring.active_key("SEC") is None
    impostor = SigningKey.generate("SEC")
    with pytest.raises(EntryError, match="registers itself only once, at genesis"):
        log.keyring.verify(registration(impostor, "SEC"))


# -- registration -------------------------------------------------------------------------------


def test_a_registration_countersigned_by_the_secretariat_is_accepted(
    log: Log, sec: SigningKey
) -> None:
    qat = SigningKey.generate("QAT")
    index = log.append(registration(qat, "QAT").countersigned(sec))
    assert log.keyring.resolve("QAT", qat.key_id_hex) == qat.verifier
    assert log.keyring.active_key("QAT") == KeyRecord("QAT", qat.verifier, index)


def test_a_registration_without_the_secretariats_countersignature_is_refused(log: Log) -> None:
    with pytest.raises(BadSignature, match=r"needs 2 signature\(s\), has 1"):
        log.keyring.verify(registration(SigningKey.generate("QAT"), "QAT"))


def test_a_registration_countersigned_by_another_party_is_refused(
    log: Log, party_keys: dict[str, SigningKey]
) -> None:
    qat = SigningKey.generate("QAT")
    with pytest.raises(BadSignature, match="expected a signature by SEC"):
        log.keyring.verify(registration(qat, "QAT").countersigned(party_keys["RUS"]))


def test_a_registration_countersigned_by_a_stranger_holding_a_secretariat_name_is_refused(
    log: Log,
) -> None:
    qat = SigningKey.generate("QAT")
    with pytest.raises(BadSignature):
        log.keyring.verify(registration(qat, "QAT").countersigned(SigningKey.generate("SEC")))


def test_a_second_registration_is_refused(log: Log, sec: SigningKey) -> None:
    second = SigningKey.generate("IRN")
    with pytest.raises(EntryError, match="IRN already holds an active key") as err:
        log.keyring.verify(registration(second, "IRN").countersigned(sec))
    assert "key-rotation@1" in str(err.value)


def test_a_party_cannot_register_a_key_for_another_party(log: Log, sec: SigningKey) -> None:
    qat = SigningKey.generate("QAT")
    stolen = registration(qat, "QAT", body_party="SAU").countersigned(sec)
    with pytest.raises(EntryError, match="a party registers only its own key"):
        log.keyring.verify(stolen)


def test_a_party_cannot_register_a_key_named_for_another_party(
    log: Log, sec: SigningKey
) -> None:
    sau_named = SigningKey.generate("SAU")
    entry = Entry(form=REGISTRATION, sender="QAT", key=sau_named.key_id_hex, seq=0, time=WHEN,
                  audience=ALL, body={"party": "QAT", "vkey": sau_named.verifier.encode()})
    wrong_name = sign_entry(entry, sau_named).countersigned(sec)
    with pytest.raises(EntryError, match="vkey is named 'SAU', expected the party code 'QAT'"):
        log.keyring.verify(wrong_name)


def test_a_registration_must_be_signed_by_the_key_it_registers(
    log: Log, sec: SigningKey
) -> None:
    signer, registered = SigningKey.generate("QAT"), SigningKey.generate("QAT")
    mismatched = registration(signer, "QAT", vkey=registered.verifier.encode()).countersigned(sec)
    with pytest.raises(EntryError, match="entry.key must be the id of the key being registered"):
        log.keyring.verify(mismatched)


def test_a_registration_with_a_wrong_key_id_in_its_vkey_is_refused(
    log: Log, sec: SigningKey
) -> None:
    qat = SigningKey.generate("QAT")
    name, kid, blob = qat.verifier.encode().split("+", 2)
    bad = f"{name}+{'0' if kid[0] != '0' else '1'}{kid[1:]}+{blob}"
    with pytest.raises(EntryError, match="vkey: verifier key id does not match"):
        log.keyring.verify(registration(qat, "QAT", vkey=bad).countersigned(sec))


def test_a_registration_with_an_invalid_body_is_refused_as_invalid_form_body(
    log: Log, sec: SigningKey
) -> None:
    qat = SigningKey.generate("QAT")
    entry = Entry(form=REGISTRATION, sender="QAT", key=qat.key_id_hex, seq=0, time=WHEN,
                  audience=ALL, body={"party": "QAT"})
    with pytest.raises(InvalidFormBody, match="vkey"):
        log.keyring.verify(sign_entry(entry, qat).countersigned(sec))


# -- rotation -----------------------------------------------------------------------------------


def test_rotation_signed_by_the_old_key_and_the_new_one_retires_the_old_key(
    log: Log, irn: SigningKey
) -> None:
    new = SigningKey.generate("IRN")
    index = log.append(rotation(irn, new, "IRN").countersigned(new))
    assert log.keyring.resolve("IRN", new.key_id_hex) == new.verifier
    with pytest.raises(RevokedKey, match=f"IRN key {irn.key_id_hex} was retired at log index "
                                         f"{index}"):
        log.keyring.resolve("IRN", irn.key_id_hex)
    assert log.keyring.active_key("IRN") == KeyRecord("IRN", new.verifier, index)


def test_after_rotation_the_old_key_signs_nothing(log: Log, irn: SigningKey) -> None:
    new = SigningKey.generate("IRN")
    log.append(rotation(irn, new, "IRN").countersigned(new))
    with pytest.raises(RevokedKey):
        log.keyring.verify(message(irn, "IRN", seq=2))
    log.keyring.verify(message(new, "IRN", seq=2))


def test_rotation_without_the_new_keys_signature_is_refused(log: Log, irn: SigningKey) -> None:
    with pytest.raises(BadSignature, match=r"needs 2 signature\(s\), has 1"):
        log.keyring.verify(rotation(irn, SigningKey.generate("IRN"), "IRN"))


def test_rotation_countersigned_by_a_key_other_than_the_new_one_is_refused(
    log: Log, irn: SigningKey, sec: SigningKey
) -> None:
    with pytest.raises(BadSignature, match="expected a signature by IRN"):
        log.keyring.verify(rotation(irn, SigningKey.generate("IRN"), "IRN").countersigned(sec))


def test_rotation_signed_by_a_key_the_party_does_not_hold_is_refused(log: Log) -> None:
    stranger, new = SigningKey.generate("IRN"), SigningKey.generate("IRN")
    with pytest.raises(UnknownKey):
        log.keyring.verify(rotation(stranger, new, "IRN").countersigned(new))


def test_rotation_signed_by_a_retired_key_is_refused(log: Log, irn: SigningKey) -> None:
    second, third = SigningKey.generate("IRN"), SigningKey.generate("IRN")
    log.append(rotation(irn, second, "IRN").countersigned(second))
    with pytest.raises(RevokedKey):
        log.keyring.verify(rotation(irn, third, "IRN", seq=2).countersigned(third))


def test_rotating_back_to_a_key_used_before_is_refused(log: Log, irn: SigningKey) -> None:
    second = SigningKey.generate("IRN")
    log.append(rotation(irn, second, "IRN").countersigned(second))
    with pytest.raises(EntryError, match="was registered before"):
        log.keyring.verify(rotation(second, irn, "IRN", seq=2).countersigned(irn))


def test_rotation_to_a_key_named_for_another_party_is_refused(log: Log, irn: SigningKey) -> None:
    rus_named = SigningKey.generate("RUS")
    with pytest.raises(EntryError, match="vkey is named 'RUS'"):
        log.keyring.verify(rotation(irn, rus_named, "IRN").countersigned(rus_named))


# -- revocation ---------------------------------------------------------------------------------


def test_the_secretariat_can_revoke_a_partys_key(
    log: Log, sec: SigningKey, irn: SigningKey
) -> None:
    index = log.append(revocation(sec, "SEC", "IRN", irn.key_id_hex))
    with pytest.raises(RevokedKey, match=f"retired at log index {index}"):
        log.keyring.resolve("IRN", irn.key_id_hex)
    assert log.keyring.active_key("IRN") is None
    with pytest.raises(RevokedKey):
        log.keyring.verify(message(irn, "IRN"))


def test_a_party_can_revoke_its_own_key_with_that_key(log: Log, irn: SigningKey) -> None:
    log.append(revocation(irn, "IRN", "IRN", irn.key_id_hex))
    assert log.keyring.active_key("IRN") is None


def test_a_party_cannot_revoke_another_partys_key(
    log: Log, party_keys: dict[str, SigningKey], irn: SigningKey
) -> None:
    with pytest.raises(EntryError, match="only the secretariat or the key's party"):
        log.keyring.verify(revocation(party_keys["RUS"], "RUS", "IRN", irn.key_id_hex))


def test_revoking_a_key_that_was_never_registered_is_refused(log: Log, sec: SigningKey) -> None:
    with pytest.raises(UnknownKey):
        log.keyring.verify(revocation(sec, "SEC", "IRN", "0badc0de"))


def test_revoking_a_key_twice_is_refused(log: Log, sec: SigningKey, irn: SigningKey) -> None:
    log.append(revocation(sec, "SEC", "IRN", irn.key_id_hex))
    with pytest.raises(RevokedKey):
        log.keyring.verify(revocation(sec, "SEC", "IRN", irn.key_id_hex, seq=2))


def test_a_revocation_with_a_forged_secretariat_signature_is_refused(
    log: Log, irn: SigningKey, sec: SigningKey
) -> None:
    forged = revocation(sec, "SEC", "IRN", irn.key_id_hex)
    other = SigningKey.generate("SEC")
    bad = SignedEntry(
        forged.entry, (Signature(sec.key_id_hex, other.sign(forged.entry.signing_bytes())),)
    )
    with pytest.raises(BadSignature):
        log.keyring.verify(bad)


def test_a_revoked_key_cannot_be_registered_again(log: Log, sec: SigningKey,
                                                   irn: SigningKey) -> None:
    log.append(revocation(sec, "SEC", "IRN", irn.key_id_hex))
    with pytest.raises(EntryError, match="was registered before"):
        log.keyring.verify(registration(irn, "IRN").countersigned(sec))


# -- ordinary entries and bookkeeping -----------------------------------------------------------


def test_an_ordinary_entry_needs_exactly_the_senders_active_key(
    log: Log, irn: SigningKey, sec: SigningKey
) -> None:
    log.keyring.verify(message(irn, "IRN"))
    with pytest.raises(BadSignature, match=r"needs 1 signature\(s\), has 2"):
        log.keyring.verify(message(irn, "IRN").countersigned(sec))


def test_an_ordinary_entry_signed_by_an_unregistered_key_is_refused(log: Log) -> None:
    with pytest.raises(UnknownKey, match="QAT has no registered key"):
        log.keyring.verify(message(SigningKey.generate("QAT"), "QAT"))


def test_an_entry_of_an_unknown_form_is_refused(log: Log, irn: SigningKey) -> None:
    with pytest.raises(UnknownForm):
        log.keyring.verify(signed_by(irn, "IRN", "nonsense@1", {}))


def test_only_key_forms_change_the_keyring(log: Log, irn: SigningKey) -> None:
    assert not log.keyring.changed_by(message(irn, "IRN"))
    before = log.keyring.records()
    log.keyring.apply(message(irn, "IRN"), 99)
    assert log.keyring.records() == before
    for form in (REGISTRATION, ROTATION, REVOCATION):
        assert log.keyring.changed_by(signed_by(irn, "IRN", form, {}))


def test_records_are_listed_in_log_order(log: Log, party_keys: dict[str, SigningKey]) -> None:
    records = log.keyring.records()
    assert [(r.party, r.registered_at) for r in records] == [("SEC", 0), ("IRN", 1), ("RUS", 2)]
    assert all(isinstance(r.key, VerifierKey) and r.active for r in records)


def test_a_copy_is_independent_of_the_original(log: Log, sec: SigningKey,
                                               irn: SigningKey) -> None:
    copy = log.keyring.copy()
    copy.apply(revocation(sec, "SEC", "IRN", irn.key_id_hex), 3)
    assert copy.active_key("IRN") is None
    assert log.keyring.resolve("IRN", irn.key_id_hex) == irn.verifier
    assert copy.secretariat == "SEC"


def test_a_keyring_rebuilt_from_its_records_answers_the_same(log: Log, irn: SigningKey,
                                                             sec: SigningKey) -> None:
    log.append(revocation(sec, "SEC", "IRN", irn.key_id_hex))
    rebuilt = Keyring("SEC", log.keyring.records())
    assert rebuilt.records() == log.keyring.records()
    with pytest.raises(RevokedKey):
        rebuilt.resolve("IRN", irn.key_id_hex)
