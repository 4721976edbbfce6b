"""A dishonest hub, and the participants' nodes that catch it (DESIGN.md §1, §3–5).

The double: two real hubs, the *forks*, over two databases. They share the log key, so both
forks are validly signed, and they are built from the same raw entries (the secretariat's key
and the personas' registrations), so they share a prefix of six entries; each test then makes
them diverge. Every node reaches "the hub" through its own :class:`DishonestHub` transport: the
operator chooses which fork that node is shown, and may rewrite one kind of answer (a forged
checkpoint, tampered entries). Everything else is real: the hub app, the HubClient, the node,
its database — on SQLite and on PostgreSQL.

Witnesses: the regime's quorum is 2, and the witnesses that run nodes are IRN and RUS, each the
other's peer; so a fork that only one of them cosigns never becomes final. Nodes do not
acknowledge (acknowledgements are entries, and would move the forks' sizes) except in the honest
case, where they do.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
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
from gulfsec.adapters.storage.node import Alarm
from gulfsec.api.hub import create_hub_app
from gulfsec.domain.encoding import b64decode, b64encode, canonical, parse_json
from gulfsec.domain.entry import ALL, Audience, Entry, Signature, SignedEntry
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import Regime, default_regime
from gulfsec.ledger.evidence import verify_evidence
from gulfsec.ledger.note import Checkpoint, parse_note, sign_checkpoint, verify_checkpoint
from gulfsec.services.hub import Hub
from gulfsec.services.node import Node
from gulfsec.services.participant import compose, registration_request

PERSONAS = ("IRN", "RUS", "QAT", "SAU", "USA")
PREFIX = 1 + len(PERSONAS)
"""Entries both forks share: the secretariat's key and the personas' registrations."""


@pytest.fixture
def regime() -> Regime:
    """The default regime with a witness quorum of 2: the two witness nodes of these tests."""
    return dataclasses.replace(default_regime(), witness_quorum=2)


# -- the double ---------------------------------------------------------------------------------


class DishonestHub(httpx.BaseTransport):
    """The hub as one node sees it: the fork the operator shows it, with rewritten answers.

    ``rewrites`` maps a URL path to a function from the real answer's body to the forged one.
    """

    def __init__(self, forks: Mapping[str, httpx.BaseTransport], show: str) -> None:
        self.forks = forks
        self.show = show
        self.rewrites: dict[str, Callable[[bytes], bytes]] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.forks[self.show].handle_request(request)
        rewrite = self.rewrites.get(request.url.path)
        if rewrite is None or response.status_code != 200:
            return response
        return httpx.Response(200, content=rewrite(response.read()), request=request,
                              headers={"content-type": response.headers["content-type"]})


@dataclasses.dataclass
class Forks:
    """Two real hubs with the same log key and a common prefix: what the operator can show."""

    hubs: dict[str, Hub]
    transports: dict[str, httpx.BaseTransport]
    keys: dict[str, SigningKey]
    clock: ManualClock
    seqs: dict[str, int] = dataclasses.field(default_factory=dict)

    def message(self, sender: str, audience: Audience | Sequence[str] = ALL) -> SignedEntry:
        """``sender``'s next genuine, signed message (not yet submitted anywhere)."""
        seq = self.seqs.get(sender, 1)
        self.seqs[sender] = seq + 1
        aud: Audience = ALL if audience == ALL else tuple(sorted(audience))
        return compose(self.keys[sender], sender, form="message@1", audience=aud,
                       body={"subject": f"from {sender}", "text": f"message {seq}"},
                       seq=seq, now=self.clock.now())

    def submit(self, signed: SignedEntry, *, to: str = "AB") -> int:
        """Sequence ``signed`` on the named forks; its index (the same on each)."""
        indexes = {self.hubs[fork].submit(signed.raw).index for fork in to}
        assert len(indexes) == 1
        return indexes.pop()

    def served(self, fork: str, party: str, index: int) -> dict[str, Any]:
        """The entry at ``index`` as the fork's API honestly serves it to ``party``."""
        with HubClient(BASE_URL, party=party, key=self.keys[party], clock=self.clock,
                       transport=DishonestHub(self.transports, fork)) as client:
            (item,) = client.entries(after=index - 1, limit=1, raw=True)["entries"]
        return dict(item)

    def checkpoint(self, fork: str) -> Checkpoint:
        cp = self.hubs[fork].checkpoint()
        return Checkpoint(self.hubs[fork].regime.log_origin, cp.size, cp.root)

    def cosigners(self, fork: str, size: int) -> set[str]:
        """Who cosigned the fork's checkpoint of ``size`` (the log key's own lines left out)."""
        hub = self.hubs[fork]
        lines = parse_note(hub.cosigned_note(size)).signatures
        return {s.name for s in lines} - {hub.regime.log_origin}

    def final_size(self, fork: str) -> int:
        return self.hubs[fork].state.finality.final_size


@pytest.fixture
def forks(databases: Databases, database_url: str, make_hub: Any,
          party_keys: dict[str, SigningKey], clock: ManualClock) -> Iterator[Forks]:
    """Forks "A" and "B", each holding the same six entries, served over their real apps."""
    hubs = {"A": make_hub(database_url), "B": make_hub(databases.new("hub_b"))}
    forks = Forks(hubs, {}, party_keys, clock)
    registrations = [registration_request(party_keys[p], p, clock.now())
                     .countersigned(party_keys["SEC"]).raw for p in PERSONAS]
    for hub in hubs.values():
        hub.bootstrap(party_keys["SEC"])
        for pending in [hub.enqueue(hub.prepare(raw)) for raw in registrations]:
            pending.result(timeout=60)
    assert forks.checkpoint("A") == forks.checkpoint("B")
    with ExitStack() as stack:
        for name, hub in hubs.items():
            client = stack.enter_context(TestClient(create_hub_app(hub, manage_lifecycle=False),
                                                    base_url=BASE_URL))
            forks.transports[name] = client._transport
        yield forks


NodeFactory = Callable[..., tuple[Node, DishonestHub]]


@pytest.fixture
def make_node(databases: Databases, forks: Forks, regime: Regime,
              party_keys: dict[str, SigningKey], log_key: SigningKey,
              clock: ManualClock) -> Iterator[NodeFactory]:
    """``make_node("IRN", show="A", peers=["RUS"])``: a loaded node and the hub it talks to.

    A node's peer fetcher answers with the peer node's ``witness_view()["checkpoint"]``.
    """
    nodes: dict[str, Node] = {}

    def fetch(peer: str) -> str | None:
        note = nodes[peer].witness_view()["checkpoint"]
        return None if note is None else str(note)

    def factory(party: str, show: str = "A", *, peers: Sequence[str] = (),
                acknowledge: bool = False) -> tuple[Node, DishonestHub]:
        engine = create_db_engine(databases.new(f"node_{party.lower()}"))
        migrate(engine, "node")
        hub = DishonestHub(forks.transports, show)
        client = HubClient(BASE_URL, party=party, key=party_keys[party], clock=clock,
                           transport=hub)
        node = Node(regime, engine, party, party_keys[party], client, log_key.verifier, clock,
                    peers=peers, peer_fetcher=fetch, acknowledge=acknowledge)
        node.load()
        nodes[party] = node
        return node, hub

    yield factory
    for node in nodes.values():
        node.client.close()
        node.engine.dispose()


# -- reading a node -----------------------------------------------------------------------------


def alarms(node: Node, kind: str | None = None) -> list[Alarm]:
    with node.uow() as uow:
        found = uow.repo.alarms()
    return [a for a in found if kind is None or a.kind == kind]


def held(node: Node) -> Checkpoint | None:
    """The latest checkpoint the node accepted."""
    with node.uow() as uow:
        cp = uow.repo.latest_checkpoint()
    return None if cp is None else Checkpoint(node.regime.log_origin, cp.size, cp.root)


def stored_indexes(node: Node) -> list[int]:
    with node.uow() as uow:
        return [e.index for e in uow.repo.iter_entries()]


def checkpoint_of(note: str, log_key: SigningKey) -> Checkpoint:
    checkpoint, _ = verify_checkpoint(note, log_key.verifier)
    return checkpoint


def intact(node: Node, checkpoint: Checkpoint) -> None:
    """The node still stands on ``checkpoint``, reloads from its database, and verifies clean."""
    assert held(node) == checkpoint
    node.load()
    assert node.core.copy.tree.size == checkpoint.size
    report = node.verify_all()
    assert report.ok, report.problems


def forge_checkpoint(forks: Forks, log_key: SigningKey, fork: str, timestamp: int) -> str:
    """What only the operator can make: the fork's latest tree, signed with another date."""
    return sign_checkpoint(forks.checkpoint(fork), log_key, timestamp=timestamp)


# -- the honest hub, for contrast ---------------------------------------------------------------


def test_with_an_honest_hub_entries_become_final_and_no_alarm_is_raised(forks, make_node):
    irn, _ = make_node("IRN", peers=["RUS"], acknowledge=True)
    rus, _ = make_node("RUS", peers=["IRN"], acknowledge=True)
    for node in (irn, rus):
        node.sync_once()  # a node learns its own sequence number from the log before sending
    sent = irn.send("message@1", ("RUS",), {"subject": "exercise", "text": "notice"})
    index = PREFIX

    for _ in range(3):
        for node in (irn, rus):
            report = node.sync_once()
            assert report.alarms == [] and node.last_error is None

    assert forks.final_size("A") == forks.checkpoint("A").size == PREFIX + 2  # + RUS's ack
    assert forks.cosigners("A", PREFIX + 1) == {"IRN", "RUS"}
    for node in (irn, rus):
        assert alarms(node) == []
        assert node.final_at(index) is not None
        assert held(node) == forks.checkpoint("A")
        report = node.verify_all()
        assert report.ok and report.unacknowledged == [], report
    assert index in stored_indexes(rus)
    with rus.uow() as uow:
        assert uow.repo.entry_by_id(sent.id) is not None
    assert irn.unacknowledged() == []


# -- split view ---------------------------------------------------------------------------------


def test_a_split_view_between_two_nodes_is_caught_by_both_and_never_becomes_final(
        forks, make_node, clock, log_key):
    irn, _ = make_node("IRN", show="A", peers=["RUS"])
    rus, _ = make_node("RUS", show="B", peers=["IRN"])
    for node in (irn, rus):
        node.sync_once()
    prefix = forks.checkpoint("A")
    clock.advance(timedelta(minutes=1))
    # The operator shows IRN a log with SAU's message, and RUS one with USA's in its place.
    forks.submit(forks.message("SAU"), to="A")
    forks.submit(forks.message("USA"), to="B")
    tree_a, tree_b = forks.checkpoint("A"), forks.checkpoint("B")
    assert tree_a.size == tree_b.size == PREFIX + 1 and tree_a.root != tree_b.root

    first = irn.sync_once()  # nothing to compare with yet: RUS still holds the common prefix
    refused = rus.sync_once()  # RUS sees that IRN was shown another tree
    then = irn.sync_once()  # and IRN sees what RUS was shown

    assert first.cosigned == tree_a.size and first.alarms == []
    assert refused.cosigned is None and then.cosigned is None
    for node, mine, theirs in ((irn, tree_a, tree_b), (rus, tree_b, tree_a)):
        (alarm,) = alarms(node, "split_view")
        assert checkpoint_of(alarm.evidence["checkpoint"], log_key) == mine
        assert checkpoint_of(alarm.evidence["conflicting_checkpoint"], log_key) == theirs
    assert forks.cosigners("A", tree_a.size) == {"IRN"}
    assert forks.cosigners("B", tree_b.size) == set()
    assert forks.final_size("A") == forks.final_size("B") == 0  # no quorum, on either fork
    intact(rus, prefix)

    # The fork grows. The split is proven (its alarm stands, with the evidence), so IRN goes
    # on with its own branch rather than let the operator halt it; with RUS on the other
    # branch, the quorum of two is out of reach on either: nothing becomes final.
    forks.submit(forks.message("SAU"), to="A")
    assert irn.sync_once().cosigned == forks.checkpoint("A").size
    assert len(alarms(irn, "split_view")) == 1
    assert forks.final_size("A") == forks.final_size("B") == 0


@pytest.mark.parametrize("later", ["same size", "smaller size"])
def test_a_node_without_peers_catches_a_checkpoint_that_contradicts_one_it_holds(
        forks, make_node, clock, log_key, later):
    irn, hub = make_node("IRN", show="A")
    clock.advance(timedelta(minutes=1))
    forks.submit(forks.message("SAU"), to="A")
    if later == "smaller size":
        forks.submit(forks.message("SAU"), to="A")
    forks.submit(forks.message("USA"), to="B")
    irn.sync_once()
    mine = held(irn)
    assert mine == forks.checkpoint("A")

    hub.show = "B"
    report = irn.sync_once()

    assert report.cosigned is None
    (alarm,) = alarms(irn, "split_view")
    shown = checkpoint_of(alarm.evidence["checkpoint"], log_key)
    kept = checkpoint_of(alarm.evidence["conflicting_checkpoint"], log_key)
    assert shown == forks.checkpoint("B") and kept == mine
    assert forks.hubs["A"].state.tree.root(shown.size) != shown.root
    assert forks.cosigners("B", shown.size) == set()
    intact(irn, mine)


# -- dropped or reordered entries ---------------------------------------------------------------


@pytest.mark.parametrize("how", ["dropped", "moved"])
def test_a_tree_without_an_entry_the_node_saw_is_refused(forks, make_node, clock, log_key, how):
    rus, hub = make_node("RUS", show="A")
    clock.advance(timedelta(minutes=1))
    seen = forks.message("SAU", ("RUS",))
    index = forks.submit(seen, to="A")
    rus.sync_once()
    before = held(rus)
    assert before is not None and stored_indexes(rus)[-1] == index
    # Fork B: another entry where the seen one was, and the seen one later or nowhere.
    forks.submit(forks.message("USA"), to="B")
    forks.submit(seen if how == "moved" else forks.message("USA"), to="B")
    clock.advance(timedelta(minutes=1))

    hub.show = "B"
    report = rus.sync_once()

    assert report.cosigned is None
    (alarm,) = alarms(rus, "inconsistent_log")
    assert checkpoint_of(alarm.evidence["checkpoint"], log_key) == forks.checkpoint("B")
    assert checkpoint_of(alarm.evidence["held_checkpoint"], log_key) == before
    assert forks.cosigners("B", forks.checkpoint("B").size) == set()
    intact(rus, before)
    assert stored_indexes(rus)[-1] == index


@pytest.mark.parametrize("how", ["dropped", "moved"])
def test_a_tree_without_an_entry_the_hub_acknowledged_to_the_node_is_refused(
        forks, make_node, clock, how):
    irn, hub = make_node("IRN", show="A")
    irn.sync_once()
    before = held(irn)
    clock.advance(timedelta(minutes=1))
    sent = irn.send("message@1", ("RUS",), {"subject": "notice", "text": "an exercise"})
    with irn.uow() as uow:
        (item,) = uow.repo.outbox_items()
    assert item.entry_id == sent.id and item.sequenced_idx == PREFIX  # the hub's receipt
    # ... but fork B, which IRN is shown from now on, has another entry at that index.
    forks.submit(forks.message("SAU"), to="B")
    if how == "moved":
        forks.submit(sent, to="B")
    clock.advance(timedelta(minutes=1))

    hub.show = "B"
    report = irn.sync_once()

    assert report.cosigned is None
    (alarm,) = alarms(irn, "dropped_entry")
    assert alarm.evidence["index"] == PREFIX
    assert alarm.evidence["entry"] == sent.raw.decode()
    assert forks.cosigners("B", forks.checkpoint("B").size) == set()
    assert before is not None
    intact(irn, before)


# -- time ---------------------------------------------------------------------------------------


def test_a_back_dated_checkpoint_is_refused(forks, make_node, clock, log_key):
    rus, hub = make_node("RUS", show="A")
    clock.advance(timedelta(minutes=10))
    forks.submit(forks.message("SAU"), to="A")
    rus.sync_once()
    before = held(rus)
    assert before is not None
    clock.advance(timedelta(minutes=10))
    forks.submit(forks.message("SAU"), to="A")
    earlier = int((clock.now() - timedelta(minutes=15)).timestamp())
    forged = forge_checkpoint(forks, log_key, "A", earlier)
    hub.rewrites["/v1/checkpoint"] = lambda _real: forged.encode()

    report = rus.sync_once()

    assert report.cosigned is None
    (alarm,) = alarms(rus, "backdated_checkpoint")
    assert alarm.evidence["checkpoint"] == forged
    assert checkpoint_of(alarm.evidence["earlier_checkpoint"], log_key) == before
    assert forks.cosigners("A", forks.checkpoint("A").size) == set()
    intact(rus, before)

    # Once the hub serves its real, later-dated checkpoint, the node takes it.
    del hub.rewrites["/v1/checkpoint"]
    assert rus.sync_once().cosigned == forks.checkpoint("A").size


def test_a_checkpoint_dated_beyond_the_clock_skew_is_refused(forks, make_node, clock, log_key,
                                                              regime):
    rus, hub = make_node("RUS", show="A")
    rus.sync_once()
    before = held(rus)
    assert before is not None
    forks.submit(forks.message("SAU"), to="A")
    ahead = clock.now() + regime.limits.clock_skew + timedelta(seconds=1)
    forged = forge_checkpoint(forks, log_key, "A", int(ahead.timestamp()))
    hub.rewrites["/v1/checkpoint"] = lambda _real: forged.encode()

    report = rus.sync_once()

    assert report.cosigned is None
    (alarm,) = alarms(rus, "future_checkpoint")
    assert alarm.evidence["checkpoint"] == forged
    assert forks.cosigners("A", forks.checkpoint("A").size) == set()
    intact(rus, before)


# -- forged or tampered entries -----------------------------------------------------------------


def _impostor_entry(forks: Forks, sender: str, audience: Audience) -> SignedEntry:
    """An entry that claims ``sender``'s key but is signed by another one."""
    seq = forks.seqs.get(sender, 1)
    forks.seqs[sender] = seq + 1
    entry = Entry(form="message@1", sender=sender, key=forks.keys[sender].key_id_hex, seq=seq,
                  time=forks.clock.now().replace(microsecond=0), audience=audience,
                  body={"subject": "ultimatum", "text": "never sent by this party"})
    impostor = SigningKey.generate(sender)
    return SignedEntry(entry, (Signature(entry.key, impostor.sign(entry.signing_bytes())),))


def _rewrite_entries(change: Callable[[list[dict[str, Any]]], None]) -> Callable[[bytes], bytes]:
    def rewrite(real: bytes) -> bytes:
        page = parse_json(real)
        change(page["entries"])
        return json.dumps(page).encode()

    return rewrite


def test_forged_and_tampered_entries_are_quarantined_with_evidence_and_the_others_kept(
        forks, make_node, log_key):
    rus, hub = make_node("RUS", show="A")
    log = forks.hubs["A"]
    kept = [forks.message("IRN", ("RUS",))]
    forks.submit(kept[0], to="A")
    # The operator sequences, past its own checks, an entry SAU never signed.
    forged = log.submit_signed(_impostor_entry(forks, "SAU", ("RUS",))).index
    altered = forks.submit(forks.message("USA", ("RUS",)), to="A")
    kept.append(forks.message("SAU"))
    forks.submit(kept[-1], to="A")
    swapped = forks.submit(forks.message("USA", ("RUS",)), to="A")
    outsider = forks.submit(forks.message("IRN", ("QAT",)), to="A")
    kept.append(forks.message("USA", ("RUS",)))
    forks.submit(kept[-1], to="A")
    slipped_in = forks.served("A", "QAT", outsider)

    def tamper(items: list[dict[str, Any]]) -> None:
        # Nodes take entries as their canonical bytes (base64 in "raw").
        by_index = {i["index"]: i for i in items}
        if altered in by_index:
            signed = parse_json(b64decode(by_index[altered]["raw"]))
            signed["entry"]["body"]["text"] = "no exercise is planned"
            by_index[altered]["raw"] = b64encode(canonical(signed))
        if swapped in by_index:  # a genuine entry, served where another one is in the log
            by_index[swapped]["raw"] = by_index[swapped - 1]["raw"]
            by_index[swapped]["entry_id"] = by_index[swapped - 1]["entry_id"]
        if items and items[0]["index"] < outsider < items[-1]["index"]:
            items.insert(sum(i["index"] < outsider for i in items), slipped_in)

    hub.rewrites["/v1/entries"] = _rewrite_entries(tamper)

    report = rus.sync_once()

    reasons = {forged: "does not verify", altered: "does not match its content",
               swapped: f"leaf at index {swapped} is another entry",
               outsider: "not addressed to RUS"}
    assert report.quarantined == len(reasons)
    with rus.uow() as uow:
        quarantined = {q.idx: q for q in uow.repo.quarantined()}
        stored = {e.index: e.entry_id for e in uow.repo.iter_entries()}
    by_index = {a.evidence["index"]: a for a in alarms(rus, "bad_entry")}
    (forgery,) = alarms(rus, "forged_entry")
    by_index[forgery.evidence["index"]] = forgery
    assert set(quarantined) == set(by_index) == set(reasons)
    for index, reason in reasons.items():
        assert reason in quarantined[index].reason, quarantined[index].reason
        assert quarantined[index].reason in by_index[index].message
        assert quarantined[index].raw
        assert index not in stored
    assert [stored[i] for i in sorted(stored) if i >= PREFIX] == [e.id for e in kept]
    # The forgery is in the hub's own tree: the tree is consistent, but this node cosigns no
    # tree that holds a forgery it proved, and anyone can check the proof with the log key.
    assert held(rus) == forks.checkpoint("A")
    assert report.cosigned is None
    assert forgery.evidence["index"] == forged
    proof = verify_evidence(rus.evidence(forgery.id), log_key.verifier)
    assert proof.startswith("proven: ") and "does not verify under SAU's keys" in proof
    verified = rus.verify_all()
    assert verified.ok, verified.problems


def test_a_hub_that_serves_an_old_entry_on_every_page_does_not_keep_the_node_asking(
        forks, make_node):
    rus, hub = make_node("RUS", show="A")
    forks.submit(forks.message("IRN", ("RUS",)), to="A")
    rus.sync_once()
    old = forks.served("A", "RUS", PREFIX)
    later = forks.message("SAU", ("RUS",))
    forks.submit(later, to="A")
    pages: list[int] = []

    def replay(items: list[dict[str, Any]]) -> None:
        pages.append(len(items))
        assert len(pages) < 10, "the node keeps asking the hub for entries"
        items.append(old)

    hub.rewrites["/v1/entries"] = _rewrite_entries(replay)

    report = rus.sync_once()

    assert len(pages) <= 2
    assert alarms(rus, "bad_entry")
    with rus.uow() as uow:
        assert uow.repo.entry_by_id(later.id) is not None
    assert report.cosigned == forks.checkpoint("A").size
