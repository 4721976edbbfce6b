"""The hub's tlog-tiles tree (``/log/``) has a static file server's manners, as C2SP tlog-tiles
(https://c2sp.org/tlog-tiles) and Sunlight serve it: ``HEAD`` answered as ``GET``, tiles cached
for good (partial ones too), the checkpoint never served stale, entry bundles gzipped for a
client that accepts gzip — and every answer still signed by the log key over what the client
reads, so a node that pinned the key still syncs.

The ``hub`` fixture's log holds six entries (the secretariat's key and five registrations).
"""

from __future__ import annotations

import gzip
from typing import Any

import httpx
import pytest
from support.databases import Databases
from support.inprocess import BASE_URL, NODES, NodeNet, start_nodes

from gulfsec.adapters.clock import ManualClock
from gulfsec.adapters.hubclient import HubClient
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import Regime
from gulfsec.errors import AnswerSignatureError
from gulfsec.ledger import tiles
from gulfsec.ledger.answers import H_PARTY, H_SIGNATURE, H_TIME, SignedAnswer, answer_from_headers
from gulfsec.ledger.note import verify_checkpoint
from gulfsec.services.hub import Hub
from gulfsec.services.participant import audit_log

GENESIS = 6
IMMUTABLE = "public, max-age=31536000, immutable"
PER_ANSWER = {"date", "server-timing", "x-request-id", H_TIME.lower(), H_SIGNATURE.lower()}
"""Headers that differ from one answer to the next (when it was given, how long it took, the
request's id, its signature, which covers the method)."""
IDENTITY = {"Accept-Encoding": "identity"}
GZIP = {"Accept-Encoding": "gzip"}


def answer_of(response: httpx.Response, origin: str) -> SignedAnswer:
    request = response.request
    return answer_from_headers(origin, request.method, request.url.raw_path.decode(),
                               response.status_code, response.content, response.headers)


def lasting(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k not in PER_ANSWER}


def raw_get(api: Any, target: str, headers: dict[str, str]) -> tuple[httpx.Response, bytes]:
    """A GET and the bytes that came over the wire, before httpx undoes any content coding."""
    with api.stream("GET", target, headers=headers) as response:
        return response, b"".join(response.iter_raw())


def grow(hub: Hub, writers: dict[str, Any], count: int) -> int:
    """Add ``count`` entries from IRN; the log's new size."""
    pending = [hub.enqueue(hub.prepare(writers["IRN"].entry(audience=["RUS"]).raw))
               for _ in range(count)]
    for receipt in pending:
        receipt.result(timeout=60)
    return hub.state.size


@pytest.fixture
def grown(hub: Hub, writers: dict[str, Any]) -> int:
    """The hub's log grown past one full tile: 300 entries, a full tile and a partial one."""
    size = grow(hub, writers, 300 - GENESIS)
    assert size == 300
    return size


# -- HEAD ---------------------------------------------------------------------------------------


TARGETS = ["/log/checkpoint", "/log/tile/0/000.p/6", "/log/tile/entries/000.p/6",
           "/log/tile/0/000.p/2", "/log/tile/entries/000.p/1"]


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
@pytest.mark.parametrize("target", TARGETS)
def test_head_is_answered_with_the_status_and_headers_of_get_and_no_body(
        api: Any, hub: Hub, log_key: SigningKey, target: str, encoding: str) -> None:
    asked = {"Accept-Encoding": encoding}
    got, head = api.get(target, headers=asked), api.head(target, headers=asked)

    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert lasting(head) == lasting(got)
    assert int(head.headers["content-length"]) == len(raw_get(api, target, asked)[1]) > 0
    # The HEAD answer is signed as what it is: the answer to HEAD, with no content.
    answer_of(head, hub.regime.log_origin).verify(log_key.verifier)
    assert answer_of(head, hub.regime.log_origin).method == "HEAD"
    answer_of(got, hub.regime.log_origin).verify(log_key.verifier)


def test_head_of_full_and_higher_tiles_is_answered_as_get(api: Any, grown: int) -> None:
    for target in ("/log/tile/0/000", "/log/tile/entries/000", "/log/tile/0/001.p/44",
                   "/log/tile/entries/001.p/44", "/log/tile/1/000.p/1"):
        got, head = api.get(target), api.head(target)
        assert head.status_code == got.status_code == 200, target
        assert head.content == b""
        assert lasting(head) == lasting(got), target


@pytest.mark.parametrize("target", ["/log/tile/0/001", "/log/tile/entries/000.p/7",
                                    "/log/tile/0/x000/000", "/log/tile/64/000",
                                    "/log/tile/entries/000.p/0", "/log/tile/nothing"])
def test_tiles_the_log_does_not_have_are_a_plain_404_to_get_and_head(
        api: Any, hub: Hub, log_key: SigningKey, target: str) -> None:
    got, head = api.get(target), api.head(target)

    assert got.status_code == head.status_code == 404
    assert got.json()["error"] == "not_found"
    assert got.headers["content-type"] == head.headers["content-type"] == "application/json"
    assert head.content == b""
    # A 404 is not a tile: nothing tells a cache to keep it.
    assert "cache-control" not in got.headers and "content-encoding" not in got.headers
    for response in (got, head):
        answer_of(response, hub.regime.log_origin).verify(log_key.verifier)


def test_other_methods_are_still_refused(api: Any) -> None:
    for method in ("POST", "PUT", "DELETE"):
        assert api.request(method, "/log/tile/0/000.p/6").status_code == 405
        assert api.request(method, "/log/checkpoint").status_code == 405


# -- caching ------------------------------------------------------------------------------------


def test_the_checkpoint_is_never_served_from_a_cache_without_asking(
        api: Any, log_key: SigningKey) -> None:
    response = api.get("/log/checkpoint")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=2"
    assert "content-encoding" not in response.headers
    checkpoint, _ = verify_checkpoint(response.text, log_key.verifier)
    assert checkpoint.size == GENESIS


def test_full_and_partial_tiles_and_bundles_are_cached_for_good(api: Any, grown: int) -> None:
    full = ["/log/tile/0/000", "/log/tile/entries/000"]
    partial = ["/log/tile/0/001.p/44", "/log/tile/entries/001.p/44", "/log/tile/1/000.p/1",
               "/log/tile/0/000.p/6", "/log/tile/entries/000.p/200"]
    for target in full + partial:
        response = api.get(target, headers=IDENTITY)
        assert response.status_code == 200, target
        assert response.headers["content-type"] == "application/octet-stream"
        assert response.headers["cache-control"] == IMMUTABLE
        assert response.headers["vary"] == "Accept-Encoding"
    assert len(api.get("/log/tile/0/000").content) == tiles.TILE_WIDTH * 32


def test_a_partial_tile_is_the_same_bytes_after_the_log_grows(
        api: Any, hub: Hub, writers: dict[str, Any]) -> None:
    """What makes caching a partial tile for good right: its bytes never change."""
    before = {t: api.get(t).content for t in ("/log/tile/0/000.p/6", "/log/tile/entries/000.p/6")}
    grow(hub, writers, 10)
    after = {t: api.get(t).content for t in before}

    assert after == before
    assert api.get("/log/tile/entries/000.p/16").content.startswith(
        before["/log/tile/entries/000.p/6"])


# -- compression --------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["/log/tile/entries/000.p/6", "/log/tile/entries/000"])
def test_an_entry_bundle_is_gzipped_for_a_client_that_accepts_gzip(
        api: Any, hub: Hub, writers: dict[str, Any], log_key: SigningKey, target: str) -> None:
    if target == "/log/tile/entries/000":
        grow(hub, writers, 256 - GENESIS)
    plain, plain_raw = raw_get(api, target, IDENTITY)
    zipped, zipped_raw = raw_get(api, target, GZIP)

    assert plain.status_code == zipped.status_code == 200
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert plain.headers["vary"] == zipped.headers["vary"] == "Accept-Encoding"
    assert plain.headers["content-type"] == zipped.headers["content-type"] \
        == "application/octet-stream"
    assert int(zipped.headers["content-length"]) == len(zipped_raw)
    assert gzip.decompress(zipped_raw) == plain_raw
    assert zipped_raw != plain_raw
    ids = tiles.parse_entry_bundle(plain_raw)
    assert len(ids) == (6 if target.endswith(".p/6") else 256)
    # The same bytes each time, as a file would be.
    assert raw_get(api, target, GZIP)[1] == zipped_raw


@pytest.mark.parametrize(("accept", "zipped"), [
    ("gzip", True), ("gzip, deflate, br", True), ("br;q=1.0, gzip;q=0.5", True),
    ("x-gzip", True), ("*", True), ("GZIP", True), ("identity", False), ("", False),
    ("gzip;q=0", False), ("gzip;q=0, *", False), ("*;q=0", False), ("br", False),
    ("gzip;q=nonsense", False),
])
def test_gzip_is_used_only_where_accept_encoding_allows_it(api: Any, accept: str,
                                                           zipped: bool) -> None:
    response, raw = raw_get(api, "/log/tile/entries/000.p/6", {"Accept-Encoding": accept})

    assert response.status_code == 200
    assert (response.headers.get("content-encoding") == "gzip") is zipped
    assert len(tiles.parse_entry_bundle(gzip.decompress(raw) if zipped else raw)) == GENESIS


def test_hash_tiles_are_not_compressed_but_say_vary(api: Any) -> None:
    plain, plain_raw = raw_get(api, "/log/tile/0/000.p/6", IDENTITY)
    asked, asked_raw = raw_get(api, "/log/tile/0/000.p/6", GZIP)

    assert "content-encoding" not in asked.headers
    assert asked_raw == plain_raw and len(plain_raw) == GENESIS * 32
    assert asked.headers["vary"] == plain.headers["vary"] == "Accept-Encoding"


def test_a_gzipped_bundle_is_signed_over_the_bundle_a_client_reads(
        api: Any, hub: Hub, log_key: SigningKey) -> None:
    target = "/log/tile/entries/000.p/6"
    plain, zipped = api.get(target, headers=IDENTITY), api.get(target, headers=GZIP)
    assert zipped.headers["content-encoding"] == "gzip"

    for response in (plain, zipped):
        answer = answer_of(response, hub.regime.log_origin)
        answer.verify(log_key.verifier)
        assert answer.body == plain.content
    # Signed over the content, not over the gzip stream that carried it.
    over_the_wire = answer_from_headers(hub.regime.log_origin, "GET", target, 200,
                                        raw_get(api, target, GZIP)[1], zipped.headers)
    with pytest.raises(AnswerSignatureError):
        over_the_wire.verify(log_key.verifier)


# -- readers ------------------------------------------------------------------------------------


def test_a_client_that_pinned_the_log_key_reads_gzipped_bundles_and_audits_the_log(
        api: Any, hub: Hub, writers: dict[str, Any], log_key: SigningKey) -> None:
    size = grow(hub, writers, 300 - GENESIS)
    with HubClient(BASE_URL, transport=api._transport, log_key=log_key.verifier) as client:
        # httpx asks for gzip by default, and undoes it before the client checks the answer.
        assert "gzip" in client._http.headers["accept-encoding"]
        bundle = client.tile(tiles.entries_path(1, size - 256))
        kept = client.last_answer()
        assert kept is not None and kept.body == bundle
        assert len(tiles.parse_entry_bundle(bundle)) == size - 256
        report = audit_log(client, log_key.verifier)
    assert report.size == size


def test_nodes_that_pinned_the_log_key_still_sync_over_gzipped_bundles(
        api: Any, hub: Hub, writers: dict[str, Any], party_keys: dict[str, SigningKey],
        clock: ManualClock, regime: Regime, log_key: SigningKey, databases: Databases) -> None:
    clients: list[HubClient] = []

    def pinned(party: str) -> HubClient:
        client = HubClient(BASE_URL, party=party, key=party_keys[party], clock=clock,
                           transport=api._transport, log_key=log_key.verifier)
        clients.append(client)
        return client

    grow(hub, writers, 270 - GENESIS)
    net: NodeNet = start_nodes(hub, pinned, party_keys, clock, regime, log_key, databases, NODES)
    try:
        net.settle()
        for party, node in net.nodes.items():
            assert node.core.copy.tree.size == hub.state.size, party
            assert node.core.copy.tree.root() == hub.state.tree.root(), party
            kept = node.core.client.last_answer()
            assert kept is not None
            kept.verify(log_key.verifier)
    finally:
        net.close()
        for client in clients:
            client.close()


def test_answers_still_name_no_party_for_an_anonymous_reader(api: Any) -> None:
    assert api.head("/log/checkpoint").headers[H_PARTY] == "-"
    assert api.get("/log/tile/entries/000.p/6", headers=GZIP).headers[H_PARTY] == "-"


def test_the_checkpoints_origin_is_the_regimes_schemeless_url(api: Any, hub: Hub,
                                                              log_key: SigningKey) -> None:
    note = api.get("/log/checkpoint").text

    assert note.splitlines()[0] == hub.regime.log_origin == "gulfsec.example/gulf-log"
    assert log_key.name == hub.regime.log_origin
    assert f"\u2014 {hub.regime.log_origin} " in note

