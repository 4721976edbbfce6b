"""Fixtures for the hub's integration tests: the HTTP API over a started hub, and signed callers.

``api`` is a TestClient on the hub app (the ``hub`` fixture owns the hub's life cycle);
``as_party(code)`` gives a :class:`HubClient` that signs its requests as that persona, over the
TestClient's transport, so the real client code is exercised against the real app.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    # Starlette 1.10 would rather its TestClient ran on httpx2; the project (and HubClient)
    # use httpx, which the TestClient still supports. Only this import's warning is ignored.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

from gulfsec.adapters.clock import ManualClock
from gulfsec.adapters.hubclient import HubClient
from gulfsec.bootstrap import build_hub_app
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.request_auth import sign_request
from gulfsec.services.hub import Hub

BASE_URL = "http://testserver"


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
