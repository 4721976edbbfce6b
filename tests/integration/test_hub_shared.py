"""Two hubs in one process on one PostgreSQL database (:mod:`gulfsec.services.hub.shared`):
the first started sequences; the second takes entries in through the queue and answers with
what the sequencer wrote down — receipts, duplicates and refusals alike —, follows the log and
the witnesses' cosignatures, and takes over sequencing when the first stops."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from support.databases import new_pg_database

from gulfsec.adapters.clock import ManualClock
from gulfsec.api.errors import status_for
from gulfsec.domain.keys import SigningKey
from gulfsec.errors import SequenceGap, SequenceReplay, UnknownReference
from gulfsec.ledger.note import Checkpoint, cosign
from gulfsec.services.hub.hub import Hub
from gulfsec.services.hub.state import Receipt
from gulfsec.services.participant import registration_request

pytestmark = pytest.mark.postgres

PERSONAS = ("IRN", "RUS", "QAT", "SAU", "USA")


def wait_for(ready: Any, what: str, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := ready()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)
    return value


@pytest.fixture
def pair(make_hub: Any, party_keys: dict[str, SigningKey],
         clock: ManualClock) -> Iterator[tuple[Hub, Hub]]:
    database = new_pg_database()
    try:
        first: Hub = make_hub(database.url)
        first.bootstrap(party_keys["SEC"])
        second: Hub = make_hub(database.url)
        yield first, second
        second.stop()
        first.stop()
    finally:
        database.drop()


def test_one_sequences_and_the_other_passes_entries_on(
        pair: tuple[Hub, Hub], party_keys: dict[str, SigningKey], clock: ManualClock,
        writers: dict[str, Any]) -> None:
    first, second = pair
    assert first.leading and not second.leading
    for party in PERSONAS:  # registrations through the one that does not sequence
        request = registration_request(party_keys[party], party, clock.now())
        receipt = second.submit(request.countersigned(party_keys["SEC"]).raw)
        assert receipt.duplicate is False
        assert second.state.size >= receipt.checkpoint_size  # it answers with a copy that has it
    irn = writers["IRN"]

    entry = irn.entry()
    receipt = second.submit_signed(entry)
    assert first.state.tree.size == second.state.tree.size == receipt.checkpoint_size
    assert second.read_entry("IRN", entry.id_hex).index == receipt.index
    again = second.submit_signed(entry)
    assert (again.duplicate, again.index) == (True, receipt.index)

    # Refusals that depend on log order come back as they were raised, with their details.
    with pytest.raises(SequenceGap) as gap:
        second.submit_signed(irn.entry(seq=9))
    assert (gap.value.expected, gap.value.got) == (2, 9)
    assert status_for(gap.value) == 409
    with pytest.raises(SequenceReplay):
        second.submit_signed(irn.entry(seq=0))
    with pytest.raises(UnknownReference):
        second.submit_signed(irn.entry(refs=["ab" * 32], seq=irn.seq))

    # A batch through the queue keeps its order and answers each entry.
    many = [irn.entry() for _ in range(5)]
    outcomes = second.enqueue_many(many).result(timeout=30)
    assert all(isinstance(o, Receipt) for o in outcomes)
    indexes = [o.index for o in outcomes if isinstance(o, Receipt)]
    assert indexes == sorted(indexes) and len(set(indexes)) == 5

    # Keys registered through the queue are known to both; the state agrees.
    assert {r.party for r in second.keys()} == {r.party for r in first.keys()}
    assert second.party_status("IRN")["next_seq"] == first.party_status("IRN")["next_seq"]


def test_a_cosignature_received_by_either_counts_at_both(
        pair: tuple[Hub, Hub], party_keys: dict[str, SigningKey], clock: ManualClock) -> None:
    first, second = pair
    sec = party_keys["SEC"]
    for party in PERSONAS:
        request = registration_request(party_keys[party], party, clock.now())
        first.submit(request.countersigned(sec).raw)
    wait_for(lambda: second.state.size == first.state.size, "the second to follow")
    size = first.state.size
    checkpoint = Checkpoint(first.regime.log_origin, size, first.state.tree.root(size))
    quorum = first.regime.witness_quorum
    witnesses = [p for p in PERSONAS if first.regime.has_right(p, "witness")][:quorum]
    for n, party in enumerate(witnesses):
        line = cosign(checkpoint, party_keys[party], int(clock.now().timestamp())
                      ).to_note_signature().line()
        assert (first if n % 2 else second).add_cosignature(size, line)
    for hub in (first, second):
        wait_for(lambda hub=hub: hub.state.finality.final_size == size, "finality at both")


def test_the_other_takes_over_when_the_sequencer_stops(
        pair: tuple[Hub, Hub], party_keys: dict[str, SigningKey], clock: ManualClock,
        writers: dict[str, Any]) -> None:
    first, second = pair
    request = registration_request(party_keys["IRN"], "IRN", clock.now())
    first.submit(request.countersigned(party_keys["SEC"]).raw)
    irn = writers["IRN"]
    first.stop()
    wait_for(lambda: second.leading, "the second to sequence")
    receipt = second.submit_signed(irn.entry())
    assert receipt.index == second.state.size - 1
    assert second.state.tree.root(second.state.size) == second.checkpoint().root
