"""The hub service on SQLite and PostgreSQL: batching, checkpoints, ordering rules, restart.

The sequencer is the single writer: per batch it checks what depends on log order, writes the
accepted entries with one signed checkpoint in one transaction, and answers every submitter.
These tests hold it to that: one checkpoint per batch, no two checkpoints that disagree, nothing
acknowledged lost, and a restarted hub that carries on where it stopped.
"""

from __future__ import annotations

import dataclasses
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from itertools import pairwise
from typing import Any

import pytest
import sqlalchemy as sa

from gulfsec.adapters.storage import hub as db
from gulfsec.domain.entry import ALL, Entry, sign_entry
from gulfsec.domain.keys import SigningKey
from gulfsec.errors import (
    EntryError,
    NotFound,
    RevokedKey,
    SequenceGap,
    SequenceReplay,
    StorageError,
    UnknownReference,
)
from gulfsec.ledger.note import verify_checkpoint
from gulfsec.ledger.proofs import verify_consistency
from gulfsec.ledger.tree import MerkleTree
from gulfsec.services.hub import Hub, Receipt
from gulfsec.services.participant import compose, registration_request

GENESIS = 6
PERSONAS = ("IRN", "RUS", "QAT", "SAU", "USA")


def stored_checkpoints(hub: Hub) -> list[Any]:
    with hub.engine.connect() as conn:
        return list(conn.execute(sa.select(db.checkpoints).order_by(db.checkpoints.c.size)))


def stored_entry_ids(hub: Hub) -> list[bytes]:
    with hub.engine.connect() as conn:
        query = sa.select(db.entries.c.entry_id).order_by(db.entries.c.idx)
        return [bytes(row.entry_id) for row in conn.execute(query)]


def assert_checkpoints_agree(hub: Hub, log_key: SigningKey) -> None:
    """Every stored checkpoint is signed, matches the stored entries, and is consistent with
    the one before it; the newest covers the whole log."""
    rows = stored_checkpoints(hub)
    ids = stored_entry_ids(hub)
    tree = MerkleTree.from_entry_ids(ids)
    for row in rows:
        checkpoint, _ = verify_checkpoint(row.note, log_key.verifier)
        assert (checkpoint.size, checkpoint.root) == (row.size, bytes(row.root))
        assert tree.root(checkpoint.size) == checkpoint.root
    for old, new in pairwise(rows):
        assert old.size < new.size
        _, proof = hub.consistency_proof(old.size, new.size)
        verify_consistency(old.size, new.size, bytes(old.root), bytes(new.root), proof)
    assert rows[-1].size == len(ids) == hub.state.size == hub.state.tree.size


def enqueue_all(hub: Hub, raws: list[bytes]) -> list[Future[Receipt]]:
    """Prepare every entry first, then hand them to the sequencer back to back."""
    prepared = [hub.prepare(raw) for raw in raws]
    return [hub.enqueue(signed) for signed in prepared]


@pytest.fixture
def batching_hub(make_hub, database_url, party_keys, clock) -> Hub:
    """A hub that cuts batches at 4 entries and waits 50 ms for more: batches of several."""
    hub: Hub = make_hub(database_url, max_batch=4, max_delay_ms=50)
    hub.bootstrap(party_keys["SEC"])
    registrations = [registration_request(party_keys[p], p, clock.now())
                     .countersigned(party_keys["SEC"]).raw for p in PERSONAS]
    for future in enqueue_all(hub, registrations):
        future.result(timeout=30)
    return hub


# -- batches and checkpoints --------------------------------------------------------------------


def test_every_batch_produces_exactly_one_new_checkpoint(batching_hub, writers, log_key):
    hub = batching_hub
    before = {row.size for row in stored_checkpoints(hub)}
    raws = [writers[p].entry().raw for _ in range(3) for p in PERSONAS]

    receipts = [f.result(timeout=30) for f in enqueue_all(hub, raws)]

    assert [r.index for r in receipts] == list(range(GENESIS, GENESIS + len(raws)))
    batches: dict[int, list[int]] = {}
    for receipt in receipts:
        batches.setdefault(receipt.checkpoint_size, []).append(receipt.index)
    assert all(max(indexes) + 1 == size for size, indexes in batches.items())
    assert all(len(indexes) <= 4 for indexes in batches.values())
    assert len(batches) >= 4 and max(len(i) for i in batches.values()) > 1
    assert {row.size for row in stored_checkpoints(hub)} == before | set(batches)
    assert_checkpoints_agree(hub, log_key)


def test_a_batch_that_accepts_nothing_writes_no_checkpoint(batching_hub, writers, log_key):
    hub = batching_hub
    first = writers["IRN"].entry()
    hub.submit(first.raw)
    before = stored_checkpoints(hub)
    replay = writers["IRN"].entry(seq=1, body={"subject": "again", "text": "x"})
    gap = writers["IRN"].entry(seq=9)

    futures = enqueue_all(hub, [first.raw, replay.raw, gap.raw])

    receipt = futures[0].result(timeout=30)
    assert (receipt.entry_id, receipt.index, receipt.checkpoint_size, receipt.duplicate) == (
        first.id_hex, GENESIS, GENESIS + 1, True)
    with pytest.raises(SequenceReplay):
        futures[1].result(timeout=30)
    with pytest.raises(SequenceGap):
        futures[2].result(timeout=30)
    assert stored_checkpoints(hub) == before
    assert_checkpoints_agree(hub, log_key)


def test_the_same_entry_twice_in_one_batch_gets_one_index(batching_hub, writers):
    signed = writers["RUS"].entry(audience=["IRN"])

    once, twice = (f.result(timeout=30) for f in enqueue_all(batching_hub, [signed.raw] * 2))

    assert (once.index, once.duplicate) == (GENESIS, False)
    assert (twice.index, twice.duplicate) == (GENESIS, True)
    assert batching_hub.state.size == GENESIS + 1


def test_two_entries_with_one_sequence_number_in_one_batch_keep_the_first(batching_hub, writers):
    first = writers["SAU"].entry(body={"subject": "first", "text": "x"})
    second = writers["SAU"].entry(body={"subject": "second", "text": "x"}, seq=first.entry.seq)

    futures = enqueue_all(batching_hub, [first.raw, second.raw])

    assert futures[0].result(timeout=30).index == GENESIS
    with pytest.raises(SequenceReplay):
        futures[1].result(timeout=30)


def test_an_entry_may_reference_an_entry_earlier_in_its_batch(batching_hub, writers):
    asked = writers["IRN"].entry(audience=["RUS"])
    answer = writers["RUS"].entry(audience=["IRN"], refs=[asked.id_hex])
    dangling = writers["RUS"].entry(audience=["IRN"], refs=["ef" * 32])

    futures = enqueue_all(batching_hub, [asked.raw, answer.raw, dangling.raw])

    assert [f.result(timeout=30).index for f in futures[:2]] == [GENESIS, GENESIS + 1]
    with pytest.raises(UnknownReference):
        futures[2].result(timeout=30)


def test_an_old_key_is_refused_after_a_rotation_earlier_in_the_same_batch(
        batching_hub, writers, party_keys, clock):
    new_key = SigningKey.generate("IRN")
    rotation = compose(party_keys["IRN"], "IRN", form="key-rotation@1", audience=ALL,
                       body={"vkey": new_key.verifier.encode()}, seq=1,
                       now=clock.now()).countersigned(new_key)
    with_old_key = writers["IRN"].entry(seq=2)

    futures = enqueue_all(batching_hub, [rotation.raw, with_old_key.raw])

    assert futures[0].result(timeout=30).index == GENESIS
    with pytest.raises(RevokedKey):
        futures[1].result(timeout=30)
    assert batching_hub.party_status("IRN")["key_id"] == new_key.key_id_hex


def test_concurrent_submitters_get_distinct_indexes_in_their_own_order(hub, writers, log_key):
    per_writer = 8

    def send(party: str) -> list[int]:
        return [hub.submit(writers[party].entry().raw).index for _ in range(per_writer)]

    with ThreadPoolExecutor(len(PERSONAS)) as pool:
        indexes = dict(zip(PERSONAS, pool.map(send, PERSONAS), strict=True))

    every = sorted(i for sent in indexes.values() for i in sent)
    assert every == list(range(GENESIS, GENESIS + per_writer * len(PERSONAS)))
    assert all(sent == sorted(sent) for sent in indexes.values())
    assert all(hub.party_status(p)["next_seq"] == per_writer + 1 for p in PERSONAS)
    assert_checkpoints_agree(hub, log_key)


def test_checkpoints_stay_consistent_through_refusals_and_duplicates(hub, writers, log_key):
    for round_ in range(4):
        accepted = writers["USA"].entry()
        hub.submit(accepted.raw)
        hub.submit(accepted.raw)
        with pytest.raises(SequenceGap):
            hub.submit(writers["USA"].entry(seq=100 + round_).raw)

    assert len(stored_checkpoints(hub)) == GENESIS + 4
    assert_checkpoints_agree(hub, log_key)


# -- submission rules that hold over time -------------------------------------------------------


def test_an_entry_resubmitted_after_its_claimed_time_went_stale_is_still_a_duplicate(
        hub, writers, party_keys, clock):
    signed = writers["QAT"].entry(audience=["SAU"])
    index = hub.submit(signed.raw).index
    clock.advance(timedelta(hours=2))

    again = hub.submit(signed.raw)

    assert (again.index, again.duplicate) == (index, True)
    stale = Entry(form="message@1", sender="QAT", key=party_keys["QAT"].key_id_hex, seq=2,
                  time=signed.entry.time, audience=("SAU",), body={"subject": "s", "text": "t"})
    with pytest.raises(EntryError, match="claimed time"):
        hub.submit(sign_entry(stale, party_keys["QAT"]).raw)


def test_bootstrap_does_nothing_on_a_log_that_has_entries(hub, party_keys):
    assert hub.bootstrap(party_keys["SEC"]) is None
    assert hub.state.size == GENESIS


def test_reading_hides_entries_from_the_outsider(hub, writers):
    signed = writers["IRN"].entry(audience=["RUS"])
    index = hub.submit(signed.raw).index

    assert hub.read_entry("RUS", signed.id_hex).raw == signed.raw
    assert hub.read_entry("IRN", signed.id_hex).index == index
    with pytest.raises(NotFound) as hidden:
        hub.read_entry("QAT", signed.id_hex)
    with pytest.raises(NotFound) as absent:
        hub.read_entry("QAT", "00" * 32)
    assert hidden.value.message.replace(signed.id_hex, "00" * 32) == absent.value.message
    assert [e.index for e in hub.list_entries("QAT", GENESIS - 1, 100)] == []
    assert [e.index for e in hub.list_entries("RUS", GENESIS - 1, 100)] == [index]


# -- stopping, failing, restarting --------------------------------------------------------------


def test_a_restarted_hub_resumes_with_the_same_root_and_sequence(
        make_hub, database_url, hub, writers, party_keys, clock, log_key):
    new_key = SigningKey.generate("RUS")
    sent = [writers["IRN"].entry(audience=["RUS"]), writers["SAU"].entry()]
    for signed in sent:
        hub.submit(signed.raw)
    rotation = compose(party_keys["RUS"], "RUS", form="key-rotation@1", audience=ALL,
                       body={"vkey": new_key.verifier.encode()}, seq=1,
                       now=clock.now()).countersigned(new_key)
    hub.submit(rotation.raw)
    size, root, note = hub.state.size, hub.state.tree.root(), hub.checkpoint().note
    keys = hub.keys()
    hub.stop()

    restarted: Hub = make_hub(database_url)

    assert (restarted.state.size, restarted.state.tree.root()) == (size, root)
    assert restarted.checkpoint().note == note
    assert restarted.keys() == keys
    assert restarted.submit(sent[0].raw).index == GENESIS  # still a duplicate
    assert restarted.submit(writers["IRN"].entry().raw).index == size
    with pytest.raises(RevokedKey):
        restarted.submit(writers["RUS"].entry(seq=2).raw)
    renewed = dataclasses.replace(writers["RUS"], key=new_key, seq=2)
    assert restarted.submit(renewed.entry().raw).index == size + 1
    assert restarted.party_status("SAU")["next_seq"] == 2
    assert_checkpoints_agree(restarted, log_key)


def test_a_hub_refuses_to_start_on_entries_that_disagree_with_its_checkpoint(
        make_hub, database_url, hub):
    hub.stop()
    with hub.engine.begin() as conn:
        conn.execute(db.entries.update().where(db.entries.c.idx == 3)
                     .values(entry_id=b"\x07" * 32))
    tampered: Hub = make_hub(database_url, start=False)

    try:
        with pytest.raises(StorageError, match="does not match the latest signed checkpoint"):
            tampered.start()
    finally:
        tampered.engine.dispose()


def test_a_stopped_hub_refuses_entries_with_a_storage_error(hub, api, writers):
    hub.stop()
    signed = writers["IRN"].entry()

    with pytest.raises(StorageError):
        hub.submit(signed.raw)
    response = api.post("/v1/entries", content=signed.raw)
    assert response.status_code == 503
    assert response.json()["error"] == "storage"


def test_a_failed_commit_loses_nothing_and_the_next_batch_takes_its_place(
        hub, writers, log_key, monkeypatch):
    failures = []
    real_insert = db.HubRepository.insert_checkpoint

    def failing_once(self: db.HubRepository, cp: db.StoredCheckpoint) -> None:
        if not failures:
            failures.append(cp.size)
            raise StorageError("the disk is full")
        real_insert(self, cp)

    monkeypatch.setattr(db.HubRepository, "insert_checkpoint", failing_once)
    signed = writers["RUS"].entry(audience=["QAT"])

    with pytest.raises(StorageError, match="disk is full"):
        hub.submit(signed.raw)

    assert failures == [GENESIS + 1]
    assert hub.state.size == hub.state.tree.size == GENESIS
    assert len(stored_entry_ids(hub)) == GENESIS
    assert hub.party_status("RUS")["next_seq"] == 1
    receipt = hub.submit(signed.raw)
    assert (receipt.index, receipt.duplicate) == (GENESIS, False)
    assert_checkpoints_agree(hub, log_key)


def test_many_submitters_and_readers_at_once_never_see_a_checkpoint_ahead_of_its_tree(
        hub, writers, log_key):
    stop = threading.Event()
    problems: list[str] = []
    genesis_root = MerkleTree.from_entry_ids(stored_entry_ids(hub)).root()

    def read() -> None:
        while not stop.is_set():
            checkpoint = hub.checkpoint()
            try:
                _, proof = hub.consistency_proof(GENESIS, checkpoint.size)
                verify_consistency(GENESIS, checkpoint.size, genesis_root, checkpoint.root,
                                   proof)
            except Exception as exc:  # collected and reported below
                problems.append(f"{checkpoint.size}: {exc!r}")

    reader = threading.Thread(target=read)
    reader.start()
    try:
        with ThreadPoolExecutor(3) as pool:
            list(pool.map(lambda p: [hub.submit(writers[p].entry().raw) for _ in range(10)],
                          ("IRN", "QAT", "USA")))
    finally:
        stop.set()
        reader.join()

    assert problems == []
    assert_checkpoints_agree(hub, log_key)
