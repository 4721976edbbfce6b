"""Odd numbers and dates at every boundary: each gets one clear 4xx, never a server error, on
SQLite and on PostgreSQL alike; and no database driver's message ever reaches a client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from support.inprocess import Browser, NodeNet, add_user, node_browser

from gulfsec.api.deps import MAX_INT
from gulfsec.errors import StorageError
from gulfsec.services.hub import Hub

HUGE = "99999999999999999999"
"""Past what a database integer holds (2^63 - 1 is 9223372036854775807)."""


def refused(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid_request"
    assert field in body["message"]


def test_cosignatures_since_a_huge_time_is_a_422(api: Any) -> None:
    refused(api.get(f"/v1/cosignatures?since={HUGE}"), "since")


def test_a_cosignature_on_a_huge_size_is_a_422(api: Any) -> None:
    response = api.post("/v1/cosignatures",
                        json={"size": 2**70, "signature": "— IRN AAAAAAAAAAAAAAAA"})
    refused(response, "size")


@pytest.mark.parametrize("target", [
    "/v1/proof/inclusion?index={n}",
    "/v1/proof/inclusion?index=0&size={n}",
    "/v1/proof/consistency?old={n}",
    "/v1/proof/consistency?old=1&new={n}",
    "/v1/checkpoints/{n}",
    "/v1/checkpoint?wait_after={n}&wait=0",
    "/v1/cosignatures?since={n}",
])
def test_every_integer_parameter_of_the_hub_is_bounded(api: Any, target: str) -> None:
    over = api.get(target.format(n=MAX_INT + 1))
    assert over.status_code == 422, over.text
    at_most = api.get(target.format(n=MAX_INT))
    assert at_most.status_code < 500, at_most.text


def test_a_reader_asking_for_entries_after_a_huge_index_gets_a_422(
        signed_get: Callable[..., Any]) -> None:
    refused(signed_get("IRN", f"/v1/entries?after={HUGE}"), "after")
    assert signed_get("IRN", f"/v1/entries?after={MAX_INT}").json()["entries"] == []


def test_a_storage_failure_tells_the_client_nothing_of_the_driver(
        api: Any, hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any) -> None:
        raise StorageError("database error: DataError: (psycopg.errors.NumericValueOutOfRange) "
                           "bigint out of range [SQL: SELECT secret_table]")

    monkeypatch.setattr(hub.witnesses, "cosignatures_since", broken)
    response = api.get("/v1/cosignatures?since=1")
    assert response.status_code == 503
    assert response.json()["error"] == "storage"
    for leak in ("psycopg", "bigint", "SQL", "secret_table"):
        assert leak not in response.text


# -- a node ------------------------------------------------------------------------------------


@pytest.fixture
def officer(net: NodeNet) -> Browser:
    engine = net.nodes["IRN"].engine
    assert engine is not None
    add_user(engine, "leila", "officer")
    browser = node_browser(net.nodes["IRN"])
    assert browser.sign_in("leila").status_code == 303
    return browser


def test_a_nodes_entries_after_a_huge_index_is_a_422(officer: Browser) -> None:
    refused(officer.get("/v1/entries", params={"after": "9223372036854775809"}), "after")
    assert officer.get("/v1/entries", params={"after": str(MAX_INT)}).json() == {"entries": []}


@pytest.mark.parametrize(("params", "problem"), [
    ({"until": "9999-12-31"}, "out of range"),
    ({"since": "0001-01-01"}, "out of range"),
    ({"since": "2026-13-01"}, "not a date"),
    ({"before": "²"}, "must be a log index"),
    ({"before": HUGE}, "must be a log index"),
])
def test_an_inbox_filter_out_of_range_is_named_and_ignored(
        officer: Browser, params: dict[str, str], problem: str) -> None:
    page = officer.get("/inbox", params=params)
    assert page.status_code == 200, page.text
    assert problem in page.text
