"""The audit read a chunk at a time, with the order-free checks on other cores, finds exactly
what checking one entry after another finds: the same problems, worded alike, in the same order,
and the same size and root.

Personas: SEC is the secretariat; IRN sends, rotates its key and has one entry tampered with;
RUS sends and skips a sequence number; QAT joins the log late; USA signs with a key nobody
registered.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gulfsec.domain.entry import ALL, Entry, Signature, SignedEntry, parse_signed_entry, sign_entry
from gulfsec.domain.forms import get_form
from gulfsec.domain.forms.keys import REGISTRATION, REVOCATION, ROTATION
from gulfsec.domain.keyring import Keyring
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import Regime, default_regime
from gulfsec.errors import GulfsecError, MalformedEntry
from gulfsec.ledger.note import Checkpoint
from gulfsec.ledger.tree import MerkleTree
from gulfsec.services.shared import audit, audit_checks
from gulfsec.services.shared.audit import AuditResult, audit_entries
from gulfsec.services.shared.audit_checks import Frontier

WHEN = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CHUNK = 8
"""Small chunks, so that a short log spans many and problems fall on their edges."""


def one_by_one(regime: Regime, raws: Iterable[bytes], checkpoint: Checkpoint | None,
               *, max_problems: int = 100) -> AuditResult:
    """The audit as a plain loop, one entry after another on one thread: the reference."""
    result = AuditResult()
    keyring = Keyring(regime.secretariat.code)
    next_seq: dict[str, int] = {}
    tree = MerkleTree()

    def problem(text: str) -> None:
        if len(result.problems) < max_problems:
            result.problems.append(text)

    for index, raw in enumerate(raws):
        try:
            signed = parse_signed_entry(raw, max_bytes=regime.limits.max_entry_bytes)
            if signed.raw != raw:
                raise MalformedEntry("stored entry is not in canonical form")
            entry = signed.entry
            get_form(entry.form).validate(entry.body)
            keyring.verify(signed)
            expected = next_seq.get(entry.sender, 0)
            if entry.seq != expected:
                problem(f"entry {index}: {entry.sender} sequence {entry.seq}, expected {expected}")
            next_seq[entry.sender] = entry.seq + 1
            keyring.apply(signed, index)
            tree.append(signed.id)
        except GulfsecError as exc:
            problem(f"entry {index}: {exc.message}")
            tree.append(hashlib.sha256(raw).digest())
    result.size = tree.size
    result.root = tree.root()
    if checkpoint is not None:
        if checkpoint.size != tree.size:
            problem(f"the copy holds {tree.size} entries, the checkpoint says {checkpoint.size}")
        elif checkpoint.root != result.root:
            problem(f"the entries do not hash to the checkpoint's root at size {tree.size}")
    return result


class History:
    """A log in the making: each party's next sequence number and current key."""

    def __init__(self, parties: Iterable[str] = ("IRN", "RUS", "SAU")) -> None:
        self.sec = SigningKey.generate("SEC")
        self.keys: dict[str, SigningKey] = {"SEC": self.sec}
        self.seq: dict[str, int] = {}
        self.raws: list[bytes] = []
        self.add(self.signed("SEC", REGISTRATION,
                             {"party": "SEC", "vkey": self.sec.verifier.encode()}))
        for party in parties:
            self.join(party)

    def signed(self, sender: str, form: str, body: dict[str, Any], *,
               key: SigningKey | None = None, seq: int | None = None) -> SignedEntry:
        key = key or self.keys[sender]
        if seq is None:
            seq = self.seq.get(sender, 0)
        self.seq[sender] = seq + 1
        entry = Entry(form=form, sender=sender, key=key.key_id_hex, seq=seq, time=WHEN,
                      audience=ALL, body=body)
        return sign_entry(entry, key)

    def add(self, signed: SignedEntry | bytes) -> int:
        self.raws.append(signed if isinstance(signed, bytes) else signed.raw)
        return len(self.raws) - 1

    def join(self, party: str) -> None:
        key = self.keys[party] = SigningKey.generate(party)
        self.add(self.signed(party, REGISTRATION, {"party": party, "vkey": key.verifier.encode()},
                             key=key).countersigned(self.sec))

    def rotate(self, party: str, *, broken: bool = False) -> SigningKey:
        old, new = self.keys[party], SigningKey.generate(party)
        rotation = self.signed(party, ROTATION, {"vkey": new.verifier.encode()}, key=old)
        self.add(rotation.countersigned(SigningKey.generate(party) if broken else new))
        if not broken:
            self.keys[party] = new
        return old

    def message(self, sender: str, text: str = "t", **kwargs: Any) -> SignedEntry:
        return self.signed(sender, "message@1", {"subject": "s", "text": text}, **kwargs)

    def messages(self, count: int, parties: tuple[str, ...] = ("IRN", "RUS", "SAU")) -> None:
        for i in range(count):
            self.add(self.message(parties[i % len(parties)], f"entry {i}"))

    def checkpoint(self) -> Checkpoint:
        tree = MerkleTree.from_entry_ids(hashlib.sha256(raw).digest() for raw in self.raws)
        return Checkpoint(default_regime().log_origin, tree.size, tree.root())


def bad_signature(signed: SignedEntry) -> bytes:
    sig = bytearray(signed.signatures[0].sig)
    sig[0] ^= 1
    return SignedEntry(signed.entry, (Signature(signed.signatures[0].key, bytes(sig)),)).raw


def tampered_body(signed: SignedEntry) -> bytes:
    body = dict(signed.entry.body, text="something else")
    return SignedEntry(Entry(**{**_fields(signed.entry), "body": body}), signed.signatures).raw


def _fields(entry: Entry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in
            ("form", "sender", "key", "seq", "time", "audience", "body", "refs", "v")}


def troubled_log() -> History:
    """Every kind of problem, several of them on the edges of chunks of ``CHUNK`` entries."""
    log = History()
    log.messages(3)  # up to index 6
    log.add(bad_signature(log.message("IRN")))  # 7: the last of the first chunk
    log.add(log.message("IRN"))  # 8: one past what IRN's log holds
    log.add(bad_signature(log.message("RUS")))  # 9
    log.messages(5)
    old = log.rotate("IRN")  # 15: last of the second chunk
    log.add(log.message("IRN", key=old))  # 16: the retired key
    log.add(log.message("IRN"))  # 17: the new key, the chunk after the rotation
    log.join("QAT")  # 18: a party joins mid-log
    log.add(log.message("QAT"))  # 19
    log.add(log.message("RUS", seq=log.seq["RUS"] + 1))  # 20: a gap
    signed = log.message("IRN")
    log.add(tampered_body(signed))  # 21
    log.add(signed.raw.replace(b'{"entry":', b'{ "entry":'))  # 22: not canonical
    log.add(log.message("SAU").raw[:-5])  # 23: truncated
    stranger = SigningKey.generate("USA")
    log.add(log.message("USA", key=stranger))  # 24: an unknown key
    log.rotate("RUS", broken=True)  # 25: a rotation with a bad countersignature
    log.add(log.message("RUS", key=log.keys["RUS"]))  # 26
    log.add(log.signed("SAU", "message@1", {"subject": 3}))  # 27: an invalid body
    log.add(log.signed("SAU", "no-such-form@1", {}))  # 28
    log.add(log.signed("SEC", REVOCATION, {"party": "QAT", "key": log.keys["QAT"].key_id_hex,
                                           "reason": "compromised"}))  # 29
    log.add(log.message("QAT"))  # 30: its key was revoked
    log.messages(20)
    return log


@pytest.fixture(scope="module")
def troubled() -> History:
    return troubled_log()


def test_a_clean_log_passes_with_the_root_of_the_whole_tree() -> None:
    log = History()
    log.messages(61)
    checkpoint = log.checkpoint()

    result = audit_entries(default_regime(), log.raws, checkpoint, workers=1, chunk=CHUNK)

    assert result.ok
    assert (result.size, result.root) == (checkpoint.size, checkpoint.root)


def test_every_problem_is_found_as_checking_one_by_one_finds_it(troubled: History) -> None:
    regime = default_regime()
    checkpoint = troubled.checkpoint()

    result = audit_entries(regime, troubled.raws, checkpoint, workers=1, chunk=CHUNK)

    expected = one_by_one(regime, troubled.raws, checkpoint)
    assert result.problems == expected.problems
    assert (result.size, result.root) == (expected.size, expected.root)
    found = dict(p.split(": ", 1) for p in result.problems)
    assert "does not verify" in found["entry 7"]
    assert "does not verify" in found["entry 9"]
    assert "was retired at log index 15" in found["entry 16"]
    assert "entry 19" not in found
    assert "RUS sequence" in found["entry 20"]
    assert "does not verify" in found["entry 21"]
    assert "not in canonical form" in found["entry 22"]
    assert "not valid JSON" in found["entry 23"]
    assert "no registered key" in found["entry 24"]
    assert "was retired at log index 29" in found["entry 30"]


def test_after_an_entry_refused_for_its_signature_the_next_seems_to_skip_one(
        troubled: History) -> None:
    result = audit_entries(default_regime(), troubled.raws, None, workers=1, chunk=CHUNK)

    assert result.problems[0].startswith("entry 7: signature by IRN key")
    assert result.problems[1] == "entry 8: IRN sequence 3, expected 2"


def test_a_checkpoint_of_another_size_or_root_is_a_problem(troubled: History) -> None:
    regime = default_regime()
    real = troubled.checkpoint()
    for checkpoint in (Checkpoint(real.origin, real.size + 1, real.root),
                       Checkpoint(real.origin, real.size, bytes(32))):
        result = audit_entries(regime, troubled.raws, checkpoint, workers=1, chunk=CHUNK)

        assert result.problems == one_by_one(regime, troubled.raws, checkpoint).problems
        assert "checkpoint" in result.problems[-1]


def test_problems_stop_at_the_limit_in_the_same_order(troubled: History) -> None:
    regime = default_regime()

    result = audit_entries(regime, troubled.raws, None, max_problems=4, workers=1, chunk=CHUNK)

    assert result.problems == one_by_one(regime, troubled.raws, None, max_problems=4).problems
    assert len(result.problems) == 4


def test_entries_signed_with_a_key_announced_in_the_same_chunk_check_out() -> None:
    log = History(parties=())
    for party in ("IRN", "RUS", "QAT"):
        log.join(party)
        log.add(log.message(party))
    log.rotate("IRN")
    log.add(log.message("IRN"))

    result = audit_entries(default_regime(), log.raws, log.checkpoint(), workers=1,
                           chunk=CHUNK)

    assert result.ok, result.problems


def test_a_key_guessed_wrong_for_the_checks_changes_no_verdict(
        troubled: History, monkeypatch: pytest.MonkeyPatch) -> None:
    """Were two keys of one party to share a key id, the checks could verify with the wrong
    one: the replay then takes no verdict and checks the entry itself."""
    someone_else = SigningKey.generate("IRN").verifier.public

    def wrong(raws: list[bytes], max_bytes: int) -> list[tuple[str, str, bytes]]:
        found = audit_checks.announced_keys(raws, max_bytes)
        return [(party, kid, someone_else) for party, kid, _ in found]

    monkeypatch.setattr(audit, "announced_keys", wrong)
    regime = default_regime()

    result = audit_entries(regime, troubled.raws, None, workers=1, chunk=CHUNK)

    assert result.problems == one_by_one(regime, troubled.raws, None).problems


@pytest.fixture(scope="module")
def clean() -> History:
    log = History()
    log.messages(10)
    log.rotate("SAU")
    log.messages(10)
    return log


@settings(max_examples=25, deadline=None)
@given(st.randoms(use_true_random=False), st.sampled_from([1, 2, 4, 8, 16]))
def test_random_damage_is_found_as_checking_one_by_one_finds_it(
        clean: History, rng: random.Random, chunk: int) -> None:
    raws = list(clean.raws)
    damage = [
        lambda raw: raw[:-1],  # truncated
        lambda raw: raw.replace(b'"seq":', b'"seq": '),  # not canonical
        lambda raw: raw.replace(b"entry ", b"Entry ", 1),  # a signature that fails
        lambda raw: raw[:1] + raw[1:].replace(b'"t', b'"T', 1),  # a field renamed
        lambda raw: raws[rng.randrange(len(raws))],  # another entry again
    ]
    for _ in range(rng.randrange(1, 6)):
        index = rng.randrange(len(raws))
        raws[index] = rng.choice(damage)(raws[index])
    if rng.random() < 0.3:
        del raws[rng.randrange(len(raws))]
    regime = default_regime()

    result = audit_entries(regime, raws, None, workers=1, chunk=chunk)

    expected = one_by_one(regime, raws, None)
    assert (result.problems, result.size, result.root) == (
        expected.problems, expected.size, expected.root)


@pytest.mark.parametrize("size", [0, 1, 7, 8, 9, 31, 32, 33, 100])
def test_the_root_taken_a_chunk_at_a_time_is_the_tree_hash(size: int) -> None:
    ids = [hashlib.sha256(str(i).encode()).digest() for i in range(size)]
    frontier = Frontier(8)
    for start in range(0, size, 8):
        part = ids[start : start + 8]
        frontier.add(len(part), MerkleTree.from_entry_ids(part).root())

    assert (frontier.size, frontier.root()) == (size, MerkleTree.from_entry_ids(ids).root())


def test_only_the_last_chunk_may_be_short() -> None:
    frontier = Frontier(8)
    frontier.add(3, bytes(32))

    with pytest.raises(ValueError):
        frontier.add(8, bytes(32))


@pytest.mark.slow
def test_on_several_processes_the_problems_are_the_same(troubled: History) -> None:
    regime = default_regime()
    checkpoint = troubled.checkpoint()

    result = audit_entries(regime, iter(troubled.raws), checkpoint, workers=2, chunk=2)

    expected = one_by_one(regime, troubled.raws, checkpoint)
    assert (result.problems, result.size, result.root) == (
        expected.problems, expected.size, expected.root)
