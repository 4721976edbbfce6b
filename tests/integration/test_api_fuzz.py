"""The hub's and a node's HTTP API answer as their OpenAPI says, to requests generated from it.

Schemathesis reads each app's ``/v1/openapi.json`` and generates requests for every operation,
valid ones and invalid ones; each is sent in process through a TestClient over the app, signed
as a participant the way :class:`~gulfsec.adapters.hubclient.HubClient` signs (the signature
covers the method, the path with its query and the exact body bytes, so it is made by an
httpx event hook over the final request). Every answer must be no server error, of a status
the operation declares, and of the declared content type and schema.

Personas: IRN asks the hub (SEC asks its ``/v1/secretariat/`` routes); IRN's node is asked with
its API token, and its ``/v1/sent`` routes by RUS's node (a request signed with RUS's key).
The run is bounded and reproducible: derandomized, a few examples per operation and mode, no
example database. Only on SQLite: what is fuzzed here is the API's handling of requests, the
same on both databases.

Every error status either API answers is declared on every operation, with its JSON body
(``gulfsec.api.errors.ERROR_RESPONSES``). ``OPTIONS`` on every route of either API is refused
the same way: 405, with an ``Allow`` header naming every method the path has.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from support.databases import new_database
from support.inprocess import BASE_URL, NodeNet, TestClient

from gulfsec.adapters.clock import ManualClock
from gulfsec.bootstrap import build_hub_app, build_node_app
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.request_auth import sign_request
from gulfsec.services.hub import Hub

OPENAPI = "/v1/openapi.json"
TOKEN = "token-of-IRN"

FUZZ = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
"""Reproducible and bounded: the same requests at every run, a few per operation and mode."""

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only (see the module's docstring)."""
    return new_database("sqlite", tmp_path, "hub").url


Signer = Callable[[httpx.Request], None]


def hub_signer(party_keys: dict[str, SigningKey], clock: ManualClock) -> Signer:
    """Signs the request as it goes out, as IRN (or SEC, for the secretariat's routes)."""

    def sign(request: httpx.Request) -> None:
        target = request.url.raw_path.decode("ascii")
        party = "SEC" if request.url.path.startswith("/v1/secretariat/") else "IRN"
        request.headers.update(sign_request(party_keys[party], party, request.method, target,
                                            request.read(), clock.now()))

    return sign


def node_signer(party_keys: dict[str, SigningKey], clock: ManualClock) -> Signer:
    """RUS's node asking IRN's: a signed request (the node checks it over no body)."""

    def sign(request: httpx.Request) -> None:
        target = request.url.raw_path.decode("ascii")
        request.headers.update(sign_request(party_keys["RUS"], "RUS", request.method, target,
                                            b"", clock.now()))

    return sign


def send(client: TestClient, case: Case) -> httpx.Response:
    """The case, as schemathesis would send it with ``requests``, sent through httpx."""
    kwargs = case.as_transport_kwargs(base_url=BASE_URL)
    headers = dict(kwargs.get("headers") or {})
    cookies = kwargs.get("cookies")
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    extra: dict[str, Any] = {}
    if "json" in kwargs:
        extra["json"] = kwargs["json"]
    data = kwargs.get("data")
    if isinstance(data, bytes | str):
        extra["content"] = data
    elif data is not None:
        extra["data"] = data
    if kwargs.get("files"):
        extra["files"] = kwargs["files"]
    return client.request(kwargs["method"], kwargs["url"], params=kwargs.get("params"),
                          headers=headers, **extra)


def openapi_of(client: TestClient) -> schemathesis.BaseSchema:
    response = client.get(OPENAPI)
    assert response.status_code == 200
    return schemathesis.openapi.from_dict(response.json())


def fuzz(client: TestClient, subtests: Any) -> None:
    """Every operation of the client's app, with valid and with invalid requests; each
    operation and mode is a subtest, so that one failing does not hide the others."""
    schema = openapi_of(client)
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            with subtests.test(msg=f"{operation.label} ({mode.value})"):

                # A long poll waits for real time: a short one is as good a request.
                fixed = {"query": {"wait": 0.01}} if "wait" in operation.query else {}

                @FUZZ
                @given(case=operation.as_strategy(generation_mode=mode, **fixed))
                def check(case: Case) -> None:
                    case.validate_response(send(client, case), checks=CHECKS)

                try:
                    check()
                except Unsatisfiable:
                    # Every request the operation takes is valid (it has no parameter, or
                    # none a value can break): there is no invalid one to send.
                    if mode is GenerationMode.POSITIVE:
                        raise


# -- the hub -----------------------------------------------------------------------------------


@pytest.fixture
def hub_app(hub: Hub, writers: dict[str, Any]) -> FastAPI:
    """The hub with its pages, its log holding an entry to all and a bilateral one."""
    hub.submit(writers["IRN"].entry().raw)
    hub.submit(writers["IRN"].entry(audience=["RUS"]).raw)
    return build_hub_app(hub, manage_lifecycle=False)


@pytest.fixture
def hub_client(hub_app: FastAPI, party_keys: dict[str, SigningKey],
               clock: ManualClock) -> Iterator[TestClient]:
    sign = hub_signer(party_keys, clock)
    with TestClient(hub_app, base_url=BASE_URL) as client:
        client.event_hooks["request"] = [sign]
        yield client


@pytest.mark.slow
def test_the_hub_answers_generated_requests_as_its_openapi_says(hub_client: TestClient,
                                                                subtests: Any):
    fuzz(hub_client, subtests)


# -- a node ------------------------------------------------------------------------------------


@pytest.fixture
def node_app(make_net: Callable[..., NodeNet]) -> FastAPI:
    """IRN's node with its pages, synced once, with an API token."""
    net = make_net(["IRN"])
    node = net.nodes["IRN"]
    node.sync_once()
    with node.uow() as uow:
        uow.repo.set_meta("api_token_sha256", hashlib.sha256(TOKEN.encode()).hexdigest())
        uow.commit()
    return build_node_app(node, run_sync=False)


@pytest.fixture
def node_client(node_app: FastAPI, party_keys: dict[str, SigningKey],
                clock: ManualClock) -> Iterator[TestClient]:
    sign = node_signer(party_keys, clock)
    with TestClient(node_app, base_url=BASE_URL,
                    headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        client.event_hooks["request"] = [sign]
        yield client


@pytest.mark.slow
def test_a_node_answers_generated_requests_as_its_openapi_says(node_client: TestClient,
                                                               subtests: Any):
    fuzz(node_client, subtests)


# -- OPTIONS -----------------------------------------------------------------------------------


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def methods_by_path(client: TestClient) -> dict[str, set[str]]:
    """Each path of the app's OpenAPI with its operations' methods, a path parameter given
    as ``x``."""
    paths = client.get(OPENAPI).json()["paths"]
    return {re.sub(r"\{[^}]+\}", "x", path): {method.upper() for method in operations}
            for path, operations in paths.items()}


def test_options_on_every_api_route_is_405_naming_every_method_of_the_path(
        hub_app: FastAPI, node_app: FastAPI):
    """``Allow`` names the methods the path is answered with, however many routes answer
    them (``/v1/entries/batch`` is also an entry id): each one named is not a 405, each one
    not named is."""
    for app in (hub_app, node_app):
        with TestClient(app, base_url=BASE_URL) as client:
            for path, documented in methods_by_path(client).items():
                answer = client.options(path)

                assert answer.status_code == 405, (path, answer.text)
                assert answer.json()["error"] == "http"
                allowed = set(answer.headers["allow"].split(", "))
                assert documented <= allowed, path
                for method in METHODS:
                    refused = client.request(method, path).status_code == 405
                    assert refused is (method not in allowed), (method, path, allowed)


def test_a_path_with_a_get_and_a_post_route_names_both_when_refusing_a_method(
        hub_app: FastAPI):
    with TestClient(hub_app, base_url=BASE_URL) as client:
        answer = client.delete("/v1/entries")

    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, POST"


# -- what the OpenAPI declares -----------------------------------------------------------------


ERRORS = ("400", "401", "403", "404", "409", "413", "422")


def test_every_operation_declares_the_errors_with_their_json_body(hub_app: FastAPI,
                                                                  node_app: FastAPI):
    for app in (hub_app, node_app):
        with TestClient(app, base_url=BASE_URL) as client:
            paths = client.get(OPENAPI).json()["paths"]
        for path, operations in paths.items():
            for method, operation in operations.items():
                responses = operation["responses"]
                assert set(ERRORS) <= set(responses), (method, path)
                for status in ERRORS:
                    content = responses[status].get("content")
                    if content is not None:  # a route's own description may stand alone
                        assert list(content) == ["application/json"], (method, path, status)
                        assert content["application/json"]["schema"]["required"] == [
                            "error", "message"]


def test_a_forms_json_schema_is_answered_as_its_openapi_says(hub_app: FastAPI):
    with TestClient(hub_app, base_url=BASE_URL) as client:
        answer = client.get("/v1/forms/message@1/schema")
        declared = client.get(OPENAPI).json()["paths"]["/v1/forms/{form_id}/schema"]["get"]

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/schema+json"
    assert list(declared["responses"]["200"]["content"]) == ["application/schema+json"]
