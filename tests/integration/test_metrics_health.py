"""What an operator watches: ``/metrics`` (Prometheus), ``/healthz`` and ``/readyz``, the
secretariat's words for the hub's health, and request ids in the logs.

Personas (tests/conftest.py): IRN writes; RUS is addressed by a bilateral entry whose parties
must not show in the hub's open ``/metrics``; the nodes of IRN, RUS, SAU and QAT witness.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from support.databases import new_database, new_pg_database
from support.inprocess import BASE_URL, PASSWORD, Browser, NodeNet, TestClient, text_of

from gulfsec.adapters.clock import ManualClock
from gulfsec.api.hub import create_hub_app
from gulfsec.bootstrap import build_node_app
from gulfsec.config import load_settings
from gulfsec.domain.keys import SigningKey
from gulfsec.errors import ConfigError
from gulfsec.logs import JsonFormatter, RequestIdFilter, uvicorn_log_config
from gulfsec.services.hub import Hub
from gulfsec.services.node import Node
from gulfsec.services.shared.accounts import create_account
from gulfsec.web.workers import answered_here

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: TestClient, **headers: str) -> Samples:
    """``/metrics`` parsed: (sample name, sorted labels) -> value."""
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(answer.text)
            for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sample of ``name`` with exactly ``labels`` (KeyError if there is none)."""
    return samples[(name, tuple(sorted(labels.items())))]


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum over the samples of ``name`` that carry ``labels`` (and any others)."""
    return sum(v for (n, have), v in samples.items()
               if n == name and set(labels.items()) <= set(have))


def with_token(node: Node) -> dict[str, str]:
    token = "metrics-test-token"
    with node.uow() as uow:
        uow.repo.set_meta("api_token_sha256", hashlib.sha256(token.encode()).hexdigest())
        uow.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def node_client() -> Iterator[Callable[[Node], TestClient]]:
    """``node_client(node)``: a TestClient on the node's app, its sync loop off."""
    clients: list[TestClient] = []

    def factory(node: Node) -> TestClient:
        client = TestClient(build_node_app(node, run_sync=False), base_url=BASE_URL)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """What the ``gulfsec`` loggers write meanwhile, as JSON lines with request ids."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("gulfsec")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield out
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def lines(log: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.getvalue().splitlines()]


# -- the hub's /metrics ----------------------------------------------------------------------------


def test_the_hubs_metrics_count_submissions_batches_and_requests_by_route(
        api: TestClient, hub: Hub, writers: dict[str, Any]) -> None:
    before = scrape(api)
    irn = writers["IRN"]
    first = irn.entry(audience=["RUS"], body={"subject": "Joint exercise", "text": "private"})
    second = irn.entry()
    for signed in (first, second):
        assert api.post("/v1/entries", content=signed.raw).status_code == 201
    assert api.post("/v1/entries", content=first.raw).status_code == 200  # a duplicate
    gap = irn.entry(seq=irn.seq + 5)
    assert api.post("/v1/entries", content=gap.raw).status_code == 409
    assert api.post("/v1/entries", content=b"{not json").status_code == 422
    assert api.get(f"/v1/entries/{first.id_hex}").status_code == 401

    after = scrape(api)
    submitted = "gulfsec_hub_submissions_total"
    assert value(after, submitted, outcome="accepted", error="") == 2
    assert value(after, submitted, outcome="duplicate", error="") == 1
    assert value(after, submitted, outcome="refused", error="sequence_gap") == 1
    assert value(after, submitted, outcome="refused", error="malformed_entry") == 1
    assert value(after, "gulfsec_hub_log_size") == hub.state.size
    assert value(after, "gulfsec_hub_log_size") == value(before, "gulfsec_hub_log_size") + 2
    assert value(after, "gulfsec_hub_sequencing") == 1
    assert value(after, "gulfsec_hub_ready") == 1
    assert value(after, "gulfsec_hub_finality_lag_entries") == (
        hub.state.size - hub.state.finality.final_size)
    assert value(after, "gulfsec_hub_sequencing_seconds_count") == 2  # the two logged
    batches = value(after, "gulfsec_hub_batch_entries_count")
    assert batches >= 2 and value(after, "gulfsec_hub_batch_entries_sum") >= batches
    latency = "gulfsec_http_request_duration_seconds_count"
    assert value(after, latency, method="POST", route="/v1/entries") == 5
    assert value(after, latency, method="GET", route="/v1/entries/{entry_id}") == 1
    assert value(after, "gulfsec_http_responses_total", method="POST", route="/v1/entries",
                 status="4xx") == 2
    assert total(after, "gulfsec_build_info") == 1


def test_the_hubs_metrics_reveal_no_entry_id_party_of_a_bilateral_entry_or_content(
        api: TestClient, writers: dict[str, Any]) -> None:
    signed = writers["IRN"].entry(audience=["RUS"],
                                  body={"subject": "Joint naval exercise", "text": "private"})
    assert api.post("/v1/entries", content=signed.raw).status_code == 201
    api.get(f"/v1/entries/{signed.id_hex}")
    api.get("/no/such/page/" + signed.id_hex)

    text = api.get("/metrics").text

    assert signed.id_hex not in text
    assert "Joint naval exercise" not in text and "message@1" not in text
    assert "RUS" not in text and "IRN" not in text
    assert 'route="unmatched"' in text


def test_the_hub_counts_each_witness_cosignature(net: NodeNet, api: TestClient,
                                                 hub: Hub) -> None:
    samples = scrape(api)

    cosigned = {dict(labels)["witness"]: v for (name, labels), v in samples.items()
                if name == "gulfsec_hub_cosignatures_total"}
    assert len(cosigned) >= hub.regime.witness_quorum
    assert set(cosigned) <= {"IRN", "RUS", "SAU", "QAT"} and min(cosigned.values()) >= 1
    assert value(samples, "gulfsec_hub_final_size") == hub.state.size
    assert value(samples, "gulfsec_hub_finality_lag_entries") == 0
    assert value(samples, "gulfsec_hub_cosigned_recently") == 1


# -- a node's /metrics -----------------------------------------------------------------------------


def test_a_nodes_metrics_are_for_its_own_token_and_follow_its_sync(
        make_net: Callable[..., NodeNet], node_client: Callable[[Node], TestClient],
        hub: Hub, clock: ManualClock) -> None:
    net = make_net(["IRN"])
    irn = net.nodes["IRN"]
    client = node_client(irn)
    assert client.get("/metrics").status_code == 401
    token = with_token(irn)
    never = scrape(client, **token)
    assert value(never, "gulfsec_node_ready") == 0
    assert ("gulfsec_node_last_sync_timestamp_seconds", ()) not in never
    assert ("gulfsec_node_sync_ok", ()) not in never

    irn.sync_once()
    with irn.uow() as uow:
        uow.repo.add_alarm("split_view", "two checkpoints of size 7", {}, 0)
        uow.commit()
    synced = scrape(client, **token)

    assert value(synced, "gulfsec_node_log_size") == hub.state.size
    assert value(synced, "gulfsec_node_hub_size") == hub.state.size
    assert value(synced, "gulfsec_node_sync_lag_entries") == 0
    assert value(synced, "gulfsec_node_sync_ok") == 1
    assert value(synced, "gulfsec_node_seconds_since_sync") == 0  # the test's clock stands
    assert value(synced, "gulfsec_node_last_sync_timestamp_seconds") == clock.now().timestamp()
    assert value(synced, "gulfsec_node_outbox_pending") == 0
    assert value(synced, "gulfsec_node_alarms", kind="split_view") == 1
    assert value(synced, "gulfsec_node_ready") == 1
    assert value(synced, "gulfsec_http_request_duration_seconds_count", method="GET",
                 route="/metrics") >= 2


# -- /healthz and /readyz --------------------------------------------------------------------------


def test_the_hub_is_live_and_ready(api: TestClient, hub: Hub) -> None:
    live = api.get("/healthz").json()
    assert live["ok"] is True and live["size"] == hub.state.size and live["sequencing"] is True

    ready = api.get("/readyz")

    assert ready.status_code == 200
    assert ready.json()["ready"] is True
    assert ready.json()["checks"] == {"database": True, "log": True, "intake": True}


def test_a_hub_whose_database_is_gone_is_live_but_not_ready_and_logs_why_with_the_request_id(
        make_hub: Callable[..., Hub], party_keys: dict[str, SigningKey], tmp_path: Path,
        json_log: io.StringIO) -> None:
    place = tmp_path / "db"
    place.mkdir()
    hub = make_hub(new_database("sqlite", place, "hub").url)
    hub.bootstrap(party_keys["SEC"])
    with TestClient(create_hub_app(hub, manage_lifecycle=False), base_url=BASE_URL) as client:
        assert client.get("/readyz").status_code == 200
        hub.engine.dispose()
        place.rename(tmp_path / "gone")  # SQLite cannot open a file in a missing directory

        ready = client.get("/readyz", headers={"X-Request-Id": "probe-7"})
        live = client.get("/healthz")

    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": False, "log": True, "intake": True}
    assert live.status_code == 200
    said = [line for line in lines(json_log) if line["request_id"] == "probe-7"]
    assert any("database does not answer" in line["message"] and line["level"] == "warning"
               for line in said)
    assert any(line["logger"] == "gulfsec.access" and line["status"] == 503
               and line["route"] == "/readyz" for line in said)


@pytest.mark.postgres
def test_a_front_end_that_does_not_sequence_is_ready_to_pass_entries_on(
        make_hub: Callable[..., Hub], party_keys: dict[str, SigningKey]) -> None:
    database = new_pg_database()
    try:
        first = make_hub(database.url)
        first.bootstrap(party_keys["SEC"])
        second = make_hub(database.url)
        with TestClient(create_hub_app(second, manage_lifecycle=False),
                        base_url=BASE_URL) as client:
            ready = client.get("/readyz")
            samples = scrape(client)
            live = client.get("/healthz").json()
        second.stop()
        first.stop()
    finally:
        database.drop()

    assert ready.status_code == 200
    assert ready.json()["sequencing"] is False and ready.json()["checks"]["intake"] is True
    assert live["sequencing"] is False
    assert value(samples, "gulfsec_hub_sequencing") == 0
    assert value(samples, "gulfsec_hub_ready") == 1


def test_a_node_is_ready_once_it_synced_and_not_when_its_sync_is_stale(
        make_net: Callable[..., NodeNet], node_client: Callable[[Node], TestClient],
        clock: ManualClock) -> None:
    irn = make_net(["IRN"]).nodes["IRN"]
    client = node_client(irn)
    assert client.get("/healthz").json() == {"ok": True, "party": "IRN"}

    never = client.get("/readyz")
    irn.sync_once()
    synced = client.get("/readyz")
    clock.advance(timedelta(minutes=5))
    stale = client.get("/readyz")

    assert never.status_code == 503
    assert never.json()["checks"] == {"database": True, "log": False, "synced": False}
    assert synced.status_code == 200 and synced.json()["ready"] is True
    assert stale.status_code == 503 and stale.json()["checks"]["synced"] is False


def test_a_page_worker_hands_readiness_and_metrics_to_the_nodes_process() -> None:
    for path in ("/readyz", "/metrics"):
        assert not answered_here({"type": "http", "method": "GET", "path": path})
    assert answered_here({"type": "http", "method": "GET", "path": "/healthz"})


# -- the secretariat's words ---------------------------------------------------------------------


def test_the_secretariat_reads_the_hubs_health_in_words(
        api: TestClient, hub: Hub, make_net: Callable[..., NodeNet]) -> None:
    create_account(hub.engine, "sami", PASSWORD, "secretariat")
    staff = Browser(api)
    assert staff.sign_in("sami").status_code == 303

    before = text_of(staff.get("/secretariat").text)
    make_net().settle()
    after = text_of(staff.get("/secretariat").text)

    assert "ready: the hub takes entries and serves the log" in before
    assert "this process sequences the log" in before
    assert f"{hub.state.size} entries not yet final" in before
    assert "none in the last 15 minutes" in before
    assert "every entry is final" in after
    assert "received in the last 15 minutes" in after


# -- request ids and JSON logs ---------------------------------------------------------------------


def test_a_request_id_is_echoed_generated_when_absent_and_replaced_when_implausible(
        api: TestClient, json_log: io.StringIO) -> None:
    given = api.get("/healthz", headers={"X-Request-Id": "edge-1f2e:3d.4c_5b-6a"})
    made = api.get("/v1/log")
    odd = [api.get("/healthz", headers={"X-Request-Id": bad}) for bad in
           ("x" * 129, "has space", "-leading-dash", "quote\"d")]

    assert given.headers["x-request-id"] == "edge-1f2e:3d.4c_5b-6a"
    generated = made.headers["x-request-id"]
    assert len(generated) == 32 and int(generated, 16) >= 0
    ids = {answer.headers["x-request-id"] for answer in odd}
    assert len(ids) == 4 and all(len(i) == 32 for i in ids)
    logged = {line["request_id"]: line for line in lines(json_log)
              if line["logger"] == "gulfsec.access"}
    assert logged["edge-1f2e:3d.4c_5b-6a"]["path"] == "/healthz"
    assert logged[generated]["route"] == "/v1/log" and logged[generated]["status"] == 200


def test_the_json_log_format_is_a_setting_that_fails_closed() -> None:
    assert load_settings().log_format == "text"
    assert load_settings(log_format="json").log_format == "json"
    with pytest.raises(ConfigError, match="GULFSEC_LOG_FORMAT"):
        load_settings(log_format="yaml")
    from uvicorn.config import LOGGING_CONFIG

    assert uvicorn_log_config(load_settings()) == LOGGING_CONFIG


def test_the_json_log_config_writes_every_loggers_records_as_json_lines(tmp_path: Path) -> None:
    program = (
        "import logging, logging.config\n"
        "from gulfsec.config import load_settings\n"
        "from gulfsec.logs import _request_id, uvicorn_log_config\n"
        "logging.config.dictConfig(uvicorn_log_config(load_settings(log_format='json',"
        " log_level='info')))\n"
        "logging.getLogger('uvicorn.error').info('Started server process')\n"
        "_request_id.set('req-9')\n"
        "logging.getLogger('gulfsec.hub').warning('the hub says %s', 'hello')\n"
        "logging.getLogger('gulfsec.hub').debug('not at info')\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60, check=True)

    written = [json.loads(line) for line in done.stderr.splitlines()]
    assert [(w["logger"], w["message"], w["request_id"]) for w in written] == [
        ("uvicorn.error", "Started server process", None),
        ("gulfsec.hub", "the hub says hello", "req-9")]
    assert written[1]["level"] == "warning" and written[1]["time"].endswith("+00:00")
