"""A page of entries checked in bulk reaches the verdicts it would reach one entry at a time.

The node verifies a page's signatures in runs on every core (``intake.Verdicts``) and its
covering checkpoints ahead of its entries (``intake.prepare_page``). Here a page mixes what the
keyring must decide in log order: a registration, a rotation, entries by the old and the new
key, a bad signature, a key nobody registered. Personas: SEC countersigns first keys; IRN
rotates its key mid-page; RUS is addressed; QAT joins mid-page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from gulfsec.domain.encoding import b64encode
from gulfsec.domain.entry import ALL, Entry, Signature, SignedEntry, sign_entry
from gulfsec.domain.forms.keys import REGISTRATION, ROTATION
from gulfsec.domain.keyring import Keyring
from gulfsec.domain.keys import SigningKey
from gulfsec.errors import MalformedEntry
from gulfsec.ledger.note import Checkpoint, sign_checkpoint
from gulfsec.services.node import intake
from gulfsec.services.node.intake import Stamp, Verdicts, prepare_page

WHEN = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ORIGIN = "gulfsec.example/log"


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of two, so that even a short page is spread over the pool's threads."""
    monkeypatch.setattr(intake, "CHUNK", 2)
    monkeypatch.setattr(intake, "STAMP_CHUNK", 1)


def signed_by(key: SigningKey, sender: str, form: str, body: dict[str, Any], seq: int,
              kid: str | None = None) -> SignedEntry:
    entry = Entry(form=form, sender=sender, key=kid or key.key_id_hex, seq=seq, time=WHEN,
                  audience=ALL, body=body)
    if kid is None:
        return sign_entry(entry, key)
    return SignedEntry(entry, (Signature(kid, key.sign(entry.signing_bytes())),))


def message(key: SigningKey, sender: str, seq: int, kid: str | None = None) -> SignedEntry:
    return signed_by(key, sender, "message@1", {"subject": "s", "text": f"t{seq}"}, seq, kid)


@dataclass
class FakeCopy:
    keyring: Keyring


@dataclass
class FakeCore:
    """The one part of a node :class:`Verdicts` reads: its keyring."""

    copy: FakeCopy


def outcome(check: Any) -> tuple[str, str] | None:
    try:
        check()
    except Exception as exc:
        return type(exc).__name__, str(exc)
    return None


def test_verdicts_in_bulk_are_those_of_the_keyring_entry_by_entry() -> None:
    sec, irn, irn_new, rus, qat = (SigningKey.generate(p)
                                   for p in ("SEC", "IRN", "IRN", "RUS", "QAT"))
    stranger = SigningKey.generate("IRN")

    def registered(key: SigningKey, party: str) -> SignedEntry:
        body = {"party": party, "vkey": key.verifier.encode()}
        return signed_by(key, party, REGISTRATION, body, 0).countersigned(sec)

    start = Keyring("SEC")
    for index, signed in enumerate([
            signed_by(sec, "SEC", REGISTRATION, {"party": "SEC", "vkey": sec.verifier.encode()},
                      0), registered(irn, "IRN"), registered(rus, "RUS")]):
        start.verify(signed)
        start.apply(signed, index)
    rotation = signed_by(irn, "IRN", ROTATION, {"vkey": irn_new.verifier.encode()},
                         3).countersigned(irn_new)
    page: list[SignedEntry | Exception] = [
        message(irn, "IRN", 1),
        message(rus, "RUS", 1),
        message(irn_new, "IRN", 2),  # the new key, before its rotation: unknown yet
        MalformedEntry("malformed entry: not JSON"),
        message(stranger, "IRN", 2, kid=irn.key_id_hex),  # a forgery in IRN's name
        rotation,
        message(irn, "IRN", 4),  # the old key, after its rotation: retired
        message(irn_new, "IRN", 4),
        message(stranger, "IRN", 5, kid=irn_new.key_id_hex),  # a forgery by the new key's id
        registered(qat, "QAT"),
        message(qat, "QAT", 1),
        message(rus, "RUS", 2),
        message(sec, "SEC", 1),
    ]

    one_by_one = start.copy()
    expected: list[tuple[str, str] | None] = []
    for position, signed in enumerate(page):
        if isinstance(signed, SignedEntry):
            expected.append(outcome(lambda s=signed: one_by_one.verify(s)))
            if expected[-1] is None and one_by_one.changed_by(signed):
                one_by_one.apply(signed, 10 + position)

    core = FakeCore(FakeCopy(start.copy()))
    verdicts = Verdicts(core, page)  # type: ignore[arg-type]
    found: list[tuple[str, str] | None] = []
    for position, signed in enumerate(page):
        if isinstance(signed, SignedEntry):
            found.append(outcome(lambda at=position: verdicts.check(at)))
            if found[-1] is None and core.copy.keyring.changed_by(signed):
                core.copy.keyring.apply(signed, 10 + position)

    assert found == expected
    assert [f and f[0] for f in found] == [
        None, None, "UnknownKey", "BadSignature", None, "RevokedKey", None, "BadSignature",
        None, None, None, None]


def test_a_keyring_replaced_mid_page_is_the_one_that_decides() -> None:
    sec, irn = SigningKey.generate("SEC"), SigningKey.generate("IRN")
    empty = Keyring("SEC")
    held = Keyring("SEC")
    held.apply(signed_by(sec, "SEC", REGISTRATION,
                         {"party": "SEC", "vkey": sec.verifier.encode()}, 0), 0)
    held.apply(signed_by(irn, "IRN", REGISTRATION,
                         {"party": "IRN", "vkey": irn.verifier.encode()}, 0), 1)
    page: list[SignedEntry | Exception] = [message(irn, "IRN", 1), message(irn, "IRN", 2)]
    core = FakeCore(FakeCopy(empty))
    verdicts = Verdicts(core, page)  # type: ignore[arg-type]

    first = outcome(lambda: verdicts.check(0))
    core.copy = FakeCopy(held)  # the node reloaded its copy from its database
    second = outcome(lambda: verdicts.check(1))

    assert first is not None and first[0] == "UnknownKey"
    assert second is None


def test_a_prepared_page_holds_each_item_parsed_and_each_named_checkpoint_checked() -> None:
    log_key = SigningKey.generate(ORIGIN)
    other_key = SigningKey.generate(ORIGIN)
    irn = SigningKey.generate("IRN")
    good = message(irn, "IRN", 1)
    root = bytes(range(32))
    notes = {
        "3": sign_checkpoint(Checkpoint(ORIGIN, 3, root), log_key, timestamp=1_800_000_000),
        "4": sign_checkpoint(Checkpoint(ORIGIN, 4, root), other_key, timestamp=1_800_000_001),
        "5": sign_checkpoint(Checkpoint(ORIGIN, 5, root), log_key),  # no timestamp
        "6": "not a checkpoint",
        "7": sign_checkpoint(Checkpoint(ORIGIN, 7, root), log_key, timestamp=1_800_000_002),
    }
    items: list[dict[str, Any]] = [
        {"index": 2, "entry_id": good.id_hex, "raw": b64encode(good.raw), "checkpoint_size": 3},
        {"index": 3, "entry_id": "00", "raw": "not base64!", "checkpoint_size": 4},
        {"index": 4, "entry_id": good.id_hex, "raw": b64encode(good.raw), "checkpoint_size": 5},
        {"index": 5, "entry_id": good.id_hex, "raw": b64encode(good.raw), "checkpoint_size": 6},
        {"index": 6, "entry_id": good.id_hex, "checkpoint_size": "7"},
    ]

    page = prepare_page(items, notes, None, 1 << 16, log_key.verifier)

    assert isinstance(page.parsed[0], SignedEntry) and page.parsed[0].id == good.id
    assert isinstance(page.parsed[1], MalformedEntry)
    assert isinstance(page.parsed[4], MalformedEntry)  # an item without its entry
    assert page.stamps == {"3": Stamp(3, root, 1_800_000_000), "4": None, "5": None,
                           "6": None}  # "7" is named by no item as a size: not checked
