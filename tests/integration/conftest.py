"""Fixtures for the hub's integration tests: the HTTP API over a started hub, and signed callers.

``api`` is a TestClient on the hub app (the ``hub`` fixture owns the hub's life cycle);
``as_party(code)`` gives a :class:`HubClient` that signs its requests as that persona, over the
TestClient's transport, so the real client code is exercised against the real app.
``make_net(parties)`` runs participants' nodes in this process beside that hub, each on a
database of its own (:func:`support.inprocess.start_nodes`); ``net`` is the four personas'
nodes, settled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpx
import pytest
from support.databases import Databases
from support.inprocess import BASE_URL, NODES, NodeNet, TestClient, start_nodes

from gulfsec.adapters.clock import ManualClock
from gulfsec.adapters.hubclient import HubClient
from gulfsec.bootstrap import build_hub_app
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import Regime
from gulfsec.domain.request_auth import sign_request
from gulfsec.services.hub import Hub


@pytest.fixture
def api(hub: Hub) -> Iterator[TestClient]:
    with TestClient(build_hub_app(hub, manage_lifecycle=False), base_url=BASE_URL) as client:
        yield client


@pytest.fixture
def as_party(api: TestClient, party_keys: dict[str, SigningKey],
             clock: ManualClock) -> Iterator[Callable[..., HubClient]]:
    """``as_party("IRN")``: a HubClient signing as IRN (``key=`` to sign with another key)."""
    clients: list[HubClient] = []

    def factory(party: str, key: SigningKey | None = None) -> HubClient:
        client = HubClient(BASE_URL, party=party, key=key or party_keys[party], clock=clock,
                           transport=api._transport)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def signed_get(api: TestClient, party_keys: dict[str, SigningKey],
               clock: ManualClock) -> Callable[..., httpx.Response]:
    """``signed_get("QAT", "/v1/entries/<id>")``: a raw GET signed as a persona (any status)."""

    def get(party: str, target: str, *, key: SigningKey | None = None,
            **headers: Any) -> httpx.Response:
        signing = key or party_keys[party]
        auth = sign_request(signing, party, "GET", target, b"", clock.now())
        auth.update(headers)
        return api.get(target, headers=auth)

    return get


@pytest.fixture
def make_net(hub: Hub, as_party: Callable[..., HubClient], party_keys: dict[str, SigningKey],
             clock: ManualClock, regime: Regime, log_key: SigningKey,
             databases: Databases) -> Iterator[Callable[..., NodeNet]]:
    """``make_net(["IRN"])``: loaded nodes in this process for those parties (default the four
    personas with nodes), on the hub's app and the test's clock; closed at the end."""
    nets: list[NodeNet] = []

    def factory(parties: Iterable[str] = NODES) -> NodeNet:
        net = start_nodes(hub, as_party, party_keys, clock, regime, log_key, databases, parties)
        nets.append(net)
        return net

    yield factory
    for net in nets:
        net.close()


@pytest.fixture
def net(make_net: Callable[..., NodeNet]) -> NodeNet:
    """The nodes of IRN, RUS, SAU and QAT, synced until nothing moves."""
    network = make_net()
    network.settle()
    return network
