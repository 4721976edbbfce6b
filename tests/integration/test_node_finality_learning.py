"""What a node learns of finality reads only the cosignatures it has not checked yet, and checks
every one of them (DESIGN.md §4).

Each round the node keeps the cosignatures the hub received since its cursor and verifies them
against its own tree, in bulk; it does not read its whole history of cosignatures again. These
tests hold it to checking each cosignature once it can, wherever its size lies: beyond the
node's tree when it arrives (checked once the tree reaches it), or on an old size, long checked
(a witness's late delivery, or a lie). Personas: IRN runs the node; RUS is a witness that runs
none and cosigns through the hub; the hub's operator may add a line of its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
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
from gulfsec.api.hub import create_hub_app
from gulfsec.domain.encoding import parse_json
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import Regime
from gulfsec.ledger.note import Checkpoint, cosign
from gulfsec.services.hub import Hub
from gulfsec.services.node import Node


class Hooked(httpx.BaseTransport):
    """The hub's app as IRN's node reaches it, with something done before a request is
    answered (``before``, once) or a list of cosignatures rewritten (``cosignatures``)."""

    def __init__(self, app: httpx.BaseTransport) -> None:
        self.app = app
        self.before: dict[str, Callable[[], None]] = {}
        self.cosignatures: Callable[[list[dict[str, Any]]], None] | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        hook = self.before.pop(request.url.path, None)
        if hook is not None:
            hook()
        response = self.app.handle_request(request)
        if (self.cosignatures is None or request.url.path != "/v1/cosignatures"
                or response.status_code != 200):
            return response
        served = parse_json(response.read())
        self.cosignatures(served["cosignatures"])
        return httpx.Response(200, content=json.dumps(served).encode(), request=request,
                              headers={"content-type": "application/json"})


@pytest.fixture
def transport(hub: Hub) -> Iterator[Hooked]:
    with TestClient(create_hub_app(hub, manage_lifecycle=False), base_url=BASE_URL) as client:
        yield Hooked(client._transport)


@pytest.fixture
def irn(databases: Databases, regime: Regime, party_keys: dict[str, SigningKey],
        log_key: SigningKey, clock: ManualClock, transport: Hooked) -> Iterator[Node]:
    engine = create_db_engine(databases.new("node_irn"))
    migrate(engine, "node")
    client = HubClient(BASE_URL, party="IRN", key=party_keys["IRN"], clock=clock,
                       transport=transport)
    node = Node(regime, engine, "IRN", party_keys["IRN"], client, log_key.verifier, clock,
                acknowledge=False)
    node.load()
    yield node
    node.close()


def cosign_at(hub: Hub, key: SigningKey, size: int, clock: ManualClock) -> str:
    """``key``'s cosignature line on the hub's checkpoint of ``size``, delivered to the hub."""
    checkpoint = Checkpoint(hub.regime.log_origin, size, hub.state.tree.root(size))
    line = cosign(checkpoint, key, int(clock.now().timestamp())).to_note_signature().line()
    assert hub.add_cosignature(size, line)
    return line


def verified(node: Node) -> set[tuple[str, int]]:
    with node.uow() as uow:
        return {(party, size) for party, size, _when, _line in uow.repo.verified_cosignatures()}


def unverified(node: Node) -> set[tuple[str, int]]:
    with node.uow() as uow:
        return {(party, size) for size, party, _line in uow.repo.unverified_cosignatures(2**40)}


def grow(hub: Hub, writers: Any, clock: ManualClock) -> int:
    clock.advance(timedelta(seconds=5))
    hub.submit(writers["USA"].entry().raw)
    return hub.state.size


def test_a_cosignature_beyond_the_nodes_tree_is_checked_once_the_tree_reaches_it(
        hub, writers, irn, transport, party_keys, clock):
    irn.sync_once()
    held = irn.core.copy.tree.size
    ahead: list[int] = []

    def meanwhile() -> None:  # the log grows and RUS cosigns after the node took its checkpoint
        ahead.append(grow(hub, writers, clock))
        cosign_at(hub, party_keys["RUS"], ahead[0], clock)

    transport.before["/v1/cosignatures"] = meanwhile
    report = irn.sync_once()

    assert report.alarms == [] and irn.core.copy.tree.size == held
    assert ("RUS", ahead[0]) in unverified(irn) and ("RUS", ahead[0]) not in verified(irn)

    report = irn.sync_once()

    assert report.alarms == [] and irn.core.copy.tree.size == ahead[0]
    assert ("RUS", ahead[0]) in verified(irn) and unverified(irn) == set()
    assert ("IRN", ahead[0]) in verified(irn)


def test_a_late_cosignature_on_a_size_long_checked_is_checked_and_counted(
        hub, writers, irn, party_keys, clock):
    early = hub.state.size
    for _ in range(3):
        grow(hub, writers, clock)
        irn.sync_once()
    assert irn.core.copy.tree.size > early
    assert ("RUS", early) not in verified(irn)

    clock.advance(timedelta(seconds=5))
    cosign_at(hub, party_keys["RUS"], early, clock)  # delivered late, on an old checkpoint
    report = irn.sync_once()

    assert report.alarms == []
    assert ("RUS", early) in verified(irn) and unverified(irn) == set()
    assert irn.core.copy.finality.vouchers(early - 1).get("RUS") is not None


def test_a_bad_cosignature_on_a_size_long_checked_is_proven_and_not_counted(
        hub, writers, irn, transport, party_keys, clock):
    early = hub.state.size
    for _ in range(3):
        grow(hub, writers, clock)
        irn.sync_once()
    # The operator's own line in RUS's name on the early tree, signed with another key.
    impostor = SigningKey.generate("RUS")
    forged = cosign(Checkpoint(hub.regime.log_origin, early, hub.state.tree.root(early)),
                    impostor, int(clock.now().timestamp())).to_note_signature().line()

    def add_forged(items: list[dict[str, Any]]) -> None:
        items.append({"size": early, "party": "RUS", "line": forged,
                      "received_at": 2**52})

    transport.cosignatures = add_forged
    report = irn.sync_once()

    assert report.alarms == [f"bad_cosignature: RUS on size {early}"]
    assert ("RUS", early) not in verified(irn) and unverified(irn) == set()
    assert "RUS" not in irn.core.copy.finality.vouchers(early - 1)
