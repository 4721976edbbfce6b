"""A node's outbox and acknowledgements, on an in-memory store and a fake hub: no database.

Personas: IRN's node signs and sends; RUS writes to IRN; the hub is a fake that answers,
refuses, or is down.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from support.fakes import FakeHub, FakeNodeStore

from gulfsec.adapters.clock import ManualClock
from gulfsec.adapters.storage.node import NodeEntry
from gulfsec.domain.entry import ALL, SignedEntry, parse_signed_entry
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import default_regime
from gulfsec.errors import EntryError, MalformedEntry, RemoteError
from gulfsec.ledger.answers import SignedAnswer
from gulfsec.ledger.receipts import read_receipt
from gulfsec.services.node import Node
from gulfsec.services.participant import compose, registration_request

MESSAGE = {"subject": "Joint naval exercise", "text": "Dates and area attached."}


@pytest.fixture
def store() -> FakeNodeStore:
    store = FakeNodeStore()
    store.state.meta.update(party="IRN", registration_seq="0")
    return store


@pytest.fixture
def hub(log_key: SigningKey) -> FakeHub:
    return FakeHub(log_key)


def make_node(store: FakeNodeStore, hub: FakeHub, party_keys: dict[str, SigningKey],
              clock: ManualClock, log_key: SigningKey) -> Node:
    node = Node(default_regime(), None, "IRN", party_keys["IRN"], hub,  # type: ignore[arg-type]
                log_key.verifier, clock, uow=store.uow)
    node.load()
    return node


@pytest.fixture
def node(store: FakeNodeStore, hub: FakeHub, party_keys: dict[str, SigningKey],
         clock: ManualClock, log_key: SigningKey) -> Node:
    return make_node(store, hub, party_keys, clock, log_key)


def pending(store: FakeNodeStore) -> list[int]:
    return [item.seq for item, _ in store.state.outbox.values() if item.sequenced_idx is None]


def test_an_entry_is_stored_signed_before_the_hub_sees_it(
        node: Node, store: FakeNodeStore, hub: FakeHub) -> None:
    hub.down = True
    signed = node.send("message@1", ("RUS",), MESSAGE)
    assert signed.entry.seq == 1  # entry 0 is the key registration
    assert pending(store) == [1]
    assert hub.received == []
    hub.down = False
    assert node.flush_outbox() == 1
    assert hub.received == [signed.raw]
    assert pending(store) == []


def test_sequence_numbers_follow_what_waits_in_the_outbox(node: Node, hub: FakeHub) -> None:
    hub.down = True
    seqs = [node.send("message@1", ("RUS",), MESSAGE).entry.seq for _ in range(3)]
    assert seqs == [1, 2, 3]


def test_one_confirmation_signs_one_entry_even_after_a_restart(
        node: Node, store: FakeNodeStore, hub: FakeHub, party_keys: dict[str, SigningKey],
        clock: ManualClock, log_key: SigningKey) -> None:
    hub.down = True  # the delegate never saw the answer
    first, fresh = node.send_confirmed("message@1", ("RUS",), MESSAGE, (), "token-1")
    assert fresh
    restarted = make_node(store, hub, party_keys, clock, log_key)
    clock.advance(timedelta(seconds=5))
    again, fresh = restarted.send_confirmed("message@1", ("RUS",), MESSAGE, (), "token-1")
    assert not fresh
    assert again.raw == first.raw
    assert pending(store) == [1]
    other, fresh = restarted.send_confirmed("message@1", ("RUS",), MESSAGE, (), "token-2")
    assert fresh and other.entry.seq == 2


@pytest.mark.parametrize("token", ["", "x" * 101])
def test_a_missing_or_overlong_confirmation_is_refused(node: Node, token: str) -> None:
    with pytest.raises(MalformedEntry, match="confirmation"):
        node.send_confirmed("message@1", ("RUS",), MESSAGE, (), token)


def test_an_entry_the_hub_refuses_waits_with_the_reason_and_stops_the_queue(
        node: Node, store: FakeNodeStore, hub: FakeHub) -> None:
    hub.refuse = RemoteError(409, {"error": "sequence_gap", "message": "skips ahead"})
    node.send("message@1", ("RUS",), MESSAGE)
    node.send("message@1", ("RUS",), MESSAGE)
    item, _ = store.state.outbox[1]
    assert item.last_error == "hub refused (409 sequence_gap): skips ahead"
    assert pending(store) == [1, 2]


def test_nothing_is_stored_when_signing_fails(node: Node, store: FakeNodeStore) -> None:
    before = store.commits
    with pytest.raises(Exception, match="subject"):
        node.send("message@1", ("RUS",), {"text": "no subject"})
    assert store.commits == before
    assert pending(store) == []


# -- acknowledgements --------------------------------------------------------------------------


def held(store: FakeNodeStore, index: int, signed: SignedEntry) -> None:
    """Put ``signed`` in the node's verified copy at ``index`` (as intake would)."""
    entry = signed.entry
    audience = None if entry.audience == ALL else tuple(entry.audience)
    store.state.entries[index] = NodeEntry(index, signed.id, entry.sender, entry.seq,
                                           entry.form, audience, 0, 0, signed.raw)


def test_the_node_acknowledges_what_its_party_owes_and_nothing_else(
        store: FakeNodeStore, hub: FakeHub, party_keys: dict[str, SigningKey],
        clock: ManualClock, log_key: SigningKey) -> None:
    now = clock.now()
    unsc = SigningKey.generate("UNSC")
    for index, (party, key) in enumerate((("IRN", party_keys["IRN"]),
                                          ("RUS", party_keys["RUS"]), ("UNSC", unsc))):
        held(store, index, registration_request(key, party, now).countersigned(
            party_keys["SEC"]))
    to_irn = compose(party_keys["RUS"], "RUS", form="message@1", audience=("IRN",),
                     body=MESSAGE, seq=1, now=now)
    from_unsc = compose(unsc, "UNSC", form="message@1", audience=ALL, body=MESSAGE, seq=1,
                        now=now)
    held(store, 3, to_irn)
    held(store, 4, from_unsc)
    node = make_node(store, hub, party_keys, clock, log_key)
    assert node.acknowledgements.owed() == {to_irn.id_hex: "RUS", from_unsc.id_hex: "UNSC"}
    assert node.acknowledgements.acknowledge() == 2
    acks = [item for item, _ in store.state.outbox.values()]
    assert len(acks) == 2  # one to each sender
    assert node.acknowledgements.owed() == {}


def test_an_acknowledgement_sent_but_not_yet_held_is_not_signed_again_after_a_restart(
        store: FakeNodeStore, hub: FakeHub, party_keys: dict[str, SigningKey],
        clock: ManualClock, log_key: SigningKey) -> None:
    """The hub sequenced the acknowledgement (its receipt is kept in the outbox), but the node
    died before a sync took the entry into its copy; or another process (``gulfsec node
    send``, the pages) delivered it while a round checked an older checkpoint. What the node
    owes, read again, must not list the entry a second time."""
    now = clock.now()
    for index, party in enumerate(("IRN", "RUS")):
        held(store, index, registration_request(party_keys[party], party, now).countersigned(
            party_keys["SEC"]))
    to_irn = compose(party_keys["RUS"], "RUS", form="message@1", audience=("IRN",),
                     body=MESSAGE, seq=1, now=now)
    held(store, 2, to_irn)
    node = make_node(store, hub, party_keys, clock, log_key)
    assert node.acknowledgements.acknowledge() == 1
    assert pending(store) == [] and len(hub.received) == 1  # sequenced, not held yet

    restarted = make_node(store, hub, party_keys, clock, log_key)
    assert restarted.acknowledgements.owed() == {}
    assert restarted.acknowledgements.acknowledge() == 0
    assert len(store.state.outbox) == 1 and len(hub.received) == 1


def test_a_receipt_beyond_the_hubs_own_signed_tree_is_refused_with_an_alarm(
        node: Node, store: FakeNodeStore, hub: FakeHub, log_key: SigningKey) -> None:
    hub.lie_index = 1_000_035
    signed = node.send("message@1", ("RUS",), MESSAGE)
    assert pending(store) == [signed.entry.seq]  # not marked sent
    [alarm] = store.state.alarms
    assert alarm.kind == "bad_receipt"
    receipt = SignedAnswer.from_json(alarm.evidence["receipt"])
    receipt.verify(log_key.verifier)
    assert read_receipt(receipt).index == 1_000_035
    SignedAnswer.from_json(alarm.evidence["checkpoint_answer"]).verify(log_key.verifier)


def test_a_receipt_for_another_entry_is_refused(
        node: Node, store: FakeNodeStore, hub: FakeHub) -> None:
    real = hub.submit

    def swapped(raw: bytes) -> dict[str, object]:
        other = compose(node.key, "IRN", form="message@1", audience=("RUS",), body=MESSAGE,
                        seq=99, now=node.clock.now())
        return real(other.raw)

    hub.submit = swapped  # type: ignore[method-assign]
    signed = node.send("message@1", ("RUS",), MESSAGE)
    item, _ = store.state.outbox[signed.entry.seq]
    assert item.sequenced_idx is None
    assert item.last_error is not None and "names entry" in item.last_error


def test_a_good_receipt_is_kept_with_the_entry(
        node: Node, store: FakeNodeStore, log_key: SigningKey) -> None:
    signed = node.send("message@1", ("RUS",), MESSAGE)
    item, _ = store.state.outbox[signed.entry.seq]
    assert item.sequenced_idx == 0 and item.receipt is not None
    kept = SignedAnswer.from_json(json.loads(item.receipt))
    kept.verify(log_key.verifier)
    assert read_receipt(kept).entry_id == signed.id_hex


def refusing(hub: FakeHub, refuse: RemoteError, when: str) -> None:
    """Make the hub, while up, refuse with ``refuse`` each entry whose subject is ``when``."""
    submit = hub.submit

    def picky(raw: bytes) -> dict[str, object]:
        body = parse_signed_entry(raw, max_bytes=1 << 22).entry.body
        if not hub.down and body.get("subject") == when:
            raise refuse
        return submit(raw)

    hub.submit = picky  # type: ignore[method-assign]


def test_an_entry_refused_for_good_leaves_the_outbox_and_holds_up_nothing(
        node: Node, store: FakeNodeStore, hub: FakeHub) -> None:
    refusing(hub, RemoteError(422, {"error": "invalid_form_body", "message": "no"}), "bad")
    hub.down = True
    node.send("message@1", ("RUS",), MESSAGE)
    node.send("message@1", ("RUS",), {**MESSAGE, "subject": "bad"})
    third = node.send("message@1", ("RUS",), {**MESSAGE, "subject": "after"})
    assert third.entry.seq == 3
    hub.down = False
    node.flush_outbox()
    sent = [parse_signed_entry(raw, max_bytes=1 << 22).entry for raw in hub.received]
    # The party's sequence stays without a gap: the entry after the refused one is signed again.
    assert [(e.seq, e.body["subject"]) for e in sent] == [
        (1, MESSAGE["subject"]), (2, "after")]
    assert pending(store) == []
    with store.uow() as uow:
        refused = uow.repo.refused()
    assert len(refused) == 1 and "invalid_form_body" in refused[0][1]
    assert [r["error"] for r in node.status()["outbox_refused"]] == [refused[0][1]]
    assert node.send("message@1", ("RUS",), MESSAGE).entry.seq == 3


def test_a_later_entry_naming_a_resigned_one_names_its_new_id(
        node: Node, store: FakeNodeStore, hub: FakeHub) -> None:
    refusing(hub, RemoteError(403, {"error": "missing_right", "message": "no"}), "bad")
    hub.down = True
    node.send("message@1", ("RUS",), {**MESSAGE, "subject": "bad"})
    first = node.send("message@1", ("RUS",), {**MESSAGE, "subject": "first"})
    node.send("message@1", ("RUS",), {**MESSAGE, "subject": "reply",
                                      "text": first.id_hex}, refs=[first.id_hex])
    hub.down = False
    node.flush_outbox()
    resent, reply = (parse_signed_entry(raw, max_bytes=1 << 22) for raw in hub.received)
    assert resent.id_hex != first.id_hex and resent.entry.seq == 1
    assert list(reply.entry.refs) == [resent.id_hex] and reply.entry.seq == 2
    assert reply.entry.body["text"] == resent.id_hex


def test_a_confirmed_send_the_hub_refused_says_so_when_posted_again(
        node: Node, store: FakeNodeStore, hub: FakeHub) -> None:
    refusing(hub, RemoteError(422, {"error": "procedure", "message": "the draft is closed"}),
             "bad")
    node.send_confirmed("message@1", ("RUS",), {**MESSAGE, "subject": "bad"}, (), "token-1")
    with pytest.raises(EntryError, match="refused by the hub.*the draft is closed"):
        node.send_confirmed("message@1", ("RUS",), {**MESSAGE, "subject": "bad"}, (), "token-1")
