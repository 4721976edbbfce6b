"""A node catching up on a log many pages long, as a fresh node does (DESIGN.md §3–5).

The node fetches the next page while it checks one, verifies a page's signatures in bulk on
every core and its covering checkpoints ahead of the entries, and asks the hub for several
entry bundles at once. These tests hold it to what checking one entry at a time in log order
gives: a key rotated in the middle of a page signs the entries after it, a forgery among them
is proven, and only a checkpoint the log key signed over the node's own tree dates an entry.

Personas: IRN sends and rotates its key; RUS is addressed and runs the node; the hub's operator
rewrites what RUS is served.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from datetime import timedelta
from typing import Any

import httpx
import pytest
from support.databases import Databases
from support.inprocess import BASE_URL, TestClient

from gulfsec.adapters.clock import ManualClock
from gulfsec.adapters.hubclient import HubClient
from gulfsec.adapters.storage.engine import create_db_engine
from gulfsec.adapters.storage.migrate import migrate
from gulfsec.adapters.storage.node import NodeEntry
from gulfsec.api.hub import create_hub_app
from gulfsec.domain.encoding import parse_json
from gulfsec.domain.entry import ALL, Entry, Signature, SignedEntry
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import Regime
from gulfsec.ledger import tiles
from gulfsec.ledger.note import Checkpoint, hub_timestamp, sign_checkpoint, verify_checkpoint
from gulfsec.ledger.proofs import verify_inclusion
from gulfsec.ledger.tree import BLOCK, MerkleTree, leaf_hash
from gulfsec.services.hub import Hub, Receipt
from gulfsec.services.node import Node, intake
from gulfsec.services.participant import compose

RUS = "RUS"


@pytest.fixture(autouse=True)
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of seven entries and chunks of two: a short log spans pages and threads."""
    monkeypatch.setattr(intake, "PAGE", 7)
    monkeypatch.setattr(intake, "CHUNK", 2)
    monkeypatch.setattr(intake, "STAMP_CHUNK", 1)


class Operator(httpx.BaseTransport):
    """The hub as RUS's node sees it: the real app, with pages of entries rewritten at will."""

    def __init__(self, app: httpx.BaseTransport) -> None:
        self.app = app
        self.pages: Callable[[dict[str, Any]], None] | None = None
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        response = self.app.handle_request(request)
        if self.pages is None or request.url.path != "/v1/entries" or response.status_code != 200:
            return response
        page = parse_json(response.read())
        self.pages(page)
        return httpx.Response(200, content=json.dumps(page).encode(), request=request,
                              headers={"content-type": "application/json"})


@pytest.fixture
def operator(hub: Hub) -> Iterator[Operator]:
    with TestClient(create_hub_app(hub, manage_lifecycle=False), base_url=BASE_URL) as client:
        yield Operator(client._transport)


@pytest.fixture
def make_node(databases: Databases, regime: Regime, party_keys: dict[str, SigningKey],
              log_key: SigningKey, clock: ManualClock,
              operator: Operator) -> Iterator[Callable[[], Node]]:
    nodes: list[Node] = []

    def factory() -> Node:
        engine = create_db_engine(databases.new("node_rus"))
        migrate(engine, "node")
        client = HubClient(BASE_URL, party=RUS, key=party_keys[RUS], clock=clock,
                           transport=operator)
        node = Node(regime, engine, RUS, party_keys[RUS], client, log_key.verifier, clock,
                    acknowledge=False)
        node.load()
        nodes.append(node)
        return node

    yield factory
    for node in nodes:
        node.close()


def submit_all(hub: Hub, entries: list[SignedEntry], clock: ManualClock) -> list[int]:
    """Sequence each entry in a batch of its own, ten seconds apart: each is first covered by
    a checkpoint of its own, dated differently."""
    indexes = []
    for signed in entries:
        clock.advance(timedelta(seconds=10))
        indexes.append(hub.submit(signed.raw).index)
    return indexes


def rotate(writer: Any, clock: ManualClock) -> tuple[SignedEntry, SigningKey]:
    """``writer``'s key rotation to a new key (the writer signs with the new key after it)."""
    new_key = SigningKey.generate(writer.party)
    rotation = compose(writer.key, writer.party, form="key-rotation@1", audience=ALL,
                       body={"vkey": new_key.verifier.encode()}, seq=writer.seq,
                       now=clock.now()).countersigned(new_key)
    writer.seq += 1
    writer.key = new_key
    return rotation, new_key


def held_entries(node: Node) -> dict[int, NodeEntry]:
    with node.uow() as uow:
        return {e.index: e for e in uow.repo.iter_entries()}


def covering_time(hub: Hub, log_key: SigningKey, index: int) -> int:
    """The signed time (µs) of the hub's first checkpoint covering ``index``."""
    _size, note = hub.covering_checkpoints([index])[index]
    checkpoint, signed = verify_checkpoint(note, log_key.verifier)
    return hub_timestamp(signed, checkpoint, log_key.verifier) * 1_000_000


def test_a_node_catching_up_over_many_pages_takes_in_a_key_rotated_in_the_middle_of_one(
        hub, writers, make_node, clock, log_key, operator):
    irn = writers["IRN"]
    before = [irn.entry(audience=(RUS,)) for _ in range(9)]
    rotation, new_key = rotate(irn, clock)
    after = [irn.entry(audience=(RUS,)) for _ in range(9)]
    indexes = submit_all(hub, [*before, rotation, *after], clock)
    assert indexes[9] // 7 == indexes[10] // 7  # the rotation and the next entry share a page
    rus = make_node()

    report = rus.sync_once()

    assert report.alarms == [] and report.quarantined == 0 and rus.last_error is None
    held = held_entries(rus)
    assert [held[i].entry_id for i in indexes] == [s.id for s in (*before, rotation, *after)]
    assert report.new_entries == len(held) == hub.state.size
    assert rus.core.copy.keyring.active_key("IRN").key == new_key.verifier
    for index in indexes:  # dated by the checkpoint that first covered it, as the hub signed
        assert held[index].sequenced_at == covering_time(hub, log_key, index)
    assert len({held[i].sequenced_at for i in indexes}) == len(indexes)
    assert operator.paths.count("/v1/entries") >= len(held) // 7
    rus.load()
    verified = rus.verify_all()
    assert verified.ok, verified.problems


def test_a_forgery_in_the_new_keys_name_right_after_a_rotation_is_proven_in_the_same_page(
        hub, writers, make_node, clock):
    irn = writers["IRN"]
    first = irn.entry(audience=(RUS,))
    rotation, new_key = rotate(irn, clock)
    entry = Entry(form="message@1", sender="IRN", key=new_key.key_id_hex, seq=irn.seq,
                  time=clock.now().replace(microsecond=0), audience=(RUS,),
                  body={"subject": "ultimatum", "text": "never sent by IRN"})
    irn.seq += 1
    impostor = SigningKey.generate("IRN")
    forged = SignedEntry(entry, (Signature(entry.key, impostor.sign(entry.signing_bytes())),))
    later = irn.entry(audience=(RUS,))
    at = submit_all(hub, [first, rotation], clock)
    # The operator sequences, past its own checks, what IRN never signed.
    forged_at = hub.submit_signed(forged).index
    at.append(submit_all(hub, [later], clock)[0])
    assert at[1] // 7 == forged_at // 7
    rus = make_node()

    report = rus.sync_once()

    (alarm,) = [a for a in report.alarms if a.startswith("forged_entry")]
    assert f"at index {forged_at}" in alarm and "does not verify" in alarm
    assert "no registered key" not in alarm  # checked against the keys after the rotation
    held = held_entries(rus)
    assert forged_at not in held
    assert [held[i].entry_id for i in at] == [first.id, rotation.id, later.id]


def test_only_a_checkpoint_the_log_key_signed_over_the_nodes_tree_dates_an_entry(
        hub, writers, make_node, clock, log_key, operator):
    usa = writers["USA"]
    sent = [usa.entry(audience=(RUS,)) for _ in range(3)]
    indexes = submit_all(hub, sent, clock)
    clock.advance(timedelta(seconds=10))
    hub.submit(writers["IRN"].entry().raw)  # the checkpoint the node syncs to: later still
    synced = hub.checkpoint()
    by_index = {i: hub.covering_checkpoints([i])[i][0] for i in indexes}
    impostor = SigningKey.generate(log_key.name)
    origin = hub.regime.log_origin

    def lie(page: dict[str, Any]) -> None:
        notes = page["checkpoints"]
        size = by_index[indexes[0]]
        if str(size) in notes:  # the right tree, signed by another key
            notes[str(size)] = sign_checkpoint(Checkpoint(origin, size, hub.state.tree.root(size)),
                                               impostor, timestamp=1_000)
        size = by_index[indexes[1]]
        if str(size) in notes:  # the log key's signature over a tree the node does not hold
            notes[str(size)] = sign_checkpoint(Checkpoint(origin, size, bytes(32)), log_key,
                                               timestamp=1_000)

    operator.pages = lie
    rus = make_node()

    report = rus.sync_once()

    assert report.alarms == [] and report.quarantined == 0
    held = held_entries(rus)
    assert held[indexes[0]].sequenced_at == synced.created_at // 1_000_000 * 1_000_000
    assert held[indexes[1]].sequenced_at == synced.created_at // 1_000_000 * 1_000_000
    assert held[indexes[2]].sequenced_at == covering_time(hub, log_key, indexes[2])
    assert held[indexes[2]].sequenced_at < held[indexes[0]].sequenced_at


def test_a_log_of_several_entry_bundles_is_taken_in_whole(hub, writers, make_node, clock):
    usa = writers["USA"]
    pending: list[Future[Receipt]] = [hub.enqueue(hub.prepare(usa.entry().raw))
                                      for _ in range(2 * tiles.TILE_WIDTH + 10)]
    for future in pending:
        future.result(timeout=60)
    size = hub.state.size
    rus = make_node()

    report = rus.sync_once()

    assert report.alarms == [] and rus.last_error is None
    assert report.new_leaves == size and rus.core.copy.tree.root() == hub.state.tree.root()
    with rus.uow() as uow:
        assert uow.repo.leaf_count() == size
        ids = list(uow.repo.all_leaves())
    # Hub and node keep only the upper levels of the blocks they stored (their memory does not
    # grow with the log) and read a block back from their database when a proof needs it.
    whole = MerkleTree.from_entry_ids(ids)
    rus.core.load()
    for tree in (hub.state.tree, rus.core.copy.tree):
        assert tree._snap[1] == size // BLOCK
        assert len(tree._snap[0][0]) == (size % BLOCK) * 32
        assert tree.hashes_at(0, 0, size) == whole.hashes_at(0, 0, size)
        for index in (0, 300, size - 1):
            proof = tree.inclusion_proof(index, size)
            assert proof == whole.inclusion_proof(index, size)
            verify_inclusion(leaf_hash(ids[index]), index, size, proof, whole.root())
        assert tree.consistency_proof(257, size) == whole.consistency_proof(257, size)


def test_a_round_reads_only_what_the_node_sent_since_it_last_found_its_entries_in_place(
        hub, make_node, clock):
    rus = make_node()
    read: list[int] = []
    import gulfsec.adapters.storage.node as storage
    outbox_items = storage.NodeRepository.outbox_items

    def counting(repo, *, pending_only=False, after_seq=None):  # type: ignore[no-untyped-def]
        found = outbox_items(repo, pending_only=pending_only, after_seq=after_seq)
        read.append(len(found))
        return found

    rus.sync_once()  # the node learns its party's sequence numbers so far
    for n in range(5):
        rus.send("message@1", ("USA",), {"subject": f"note {n}", "text": "in place"})
    first = rus.sync_once()
    second = rus.sync_once()
    assert first.alarms == second.alarms == []
    last = rus.send("message@1", ("USA",), {"subject": "note 5", "text": "in place"}).entry.seq
    rus.sync_once()
    rus.sync_once()
    assert rus.sync.checks.own_checked_seq == last  # found in place in a stored tree: done
    original = storage.NodeRepository.outbox_items
    storage.NodeRepository.outbox_items = counting  # type: ignore[method-assign]
    try:
        rus.sync_once()
        assert read and max(read) == 0  # nothing sent since: not the six, nor their bytes, again
        rus.send("message@1", ("USA",), {"subject": "one more", "text": "in place"})
        read.clear()
        rus.sync_once()
        assert read and max(read) <= 1
    finally:
        storage.NodeRepository.outbox_items = original  # type: ignore[method-assign]
