"""The hub publishes its checkpoint and tiles to an S3-compatible bucket; readers read the log
from there, verified exactly as from the hub.

A real S3 API (moto's server, on loopback in this process) holds one fresh bucket per test,
readable anonymously as a public bucket is. The hub is the ``hub`` fixture (the secretariat and
the personas registered), on each database.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer
from support.databases import Databases
from support.inprocess import BASE_URL, NODES, TestClient
from support.ports import reserve_port
from support.processes import gulfsec_in_process, wait_until

from gulfsec.adapters.clock import ManualClock
from gulfsec.adapters.hubclient import HubClient, LogMirror
from gulfsec.adapters.objectstore import ObjectConflict, ObjectStore, ObjectStoreError
from gulfsec.adapters.storage.engine import create_db_engine
from gulfsec.adapters.storage.migrate import migrate
from gulfsec.bootstrap import init_hub, open_hub
from gulfsec.config import load_settings
from gulfsec.domain.entry import ALL
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import Regime
from gulfsec.errors import ConfigError, LogVerificationError
from gulfsec.ledger import tiles
from gulfsec.services.hub import Hub
from gulfsec.services.hub.publish import (
    CHECKPOINT,
    Publisher,
    PublishRefused,
    tiles_between,
)
from gulfsec.services.node import Node
from gulfsec.services.participant import audit_log, compose, registration_request

ACCESS = {"access_key_id": "gulfsec-test", "secret_access_key": "gulfsec-test-secret"}


# -- a real S3 API on loopback -----------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server, in a thread of this process, for the whole module."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=reserve_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@dataclass(frozen=True)
class Bucket:
    endpoint: str
    name: str

    @property
    def public_url(self) -> str:
        """Where anyone reads the log: the bucket's public base URL (path style)."""
        return f"{self.endpoint}/{self.name}"

    def store(self, **kw: Any) -> ObjectStore:
        return ObjectStore(self.endpoint, self.name, **ACCESS, **kw)


@pytest.fixture
def bucket(s3_endpoint: str) -> Bucket:
    """A fresh bucket that anyone may read, as a published log's is."""
    name = f"gulfsec-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                      aws_access_key_id=ACCESS["access_key_id"],
                      aws_secret_access_key=ACCESS["secret_access_key"])
    s3.create_bucket(Bucket=name)
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                       "Resource": f"arn:aws:s3:::{name}/*"}]}))
    return Bucket(s3_endpoint, name)


def fill(hub: Hub, party_keys: dict[str, SigningKey], clock: ManualClock, count: int) -> int:
    """``count`` more entries from the personas, in batches as the batch route takes them;
    the log's size after."""
    senders = [*NODES, "USA"]
    seq = {party: int(hub.party_status(party)["next_seq"]) for party in senders}
    raws: list[bytes] = []
    for i in range(count):
        party = senders[i % len(senders)]
        raws.append(compose(party_keys[party], party, form="message@1", audience=ALL,
                            body={"subject": f"item {i}", "text": "published"},
                            seq=seq[party], now=clock.now()).raw)
        seq[party] += 1
    for start in range(0, len(raws), 200):
        body = b"[" + b",".join(raws[start : start + 200]) + b"]"
        outcomes = hub.enqueue_many(hub.prepare_batch(body)).result(timeout=60)
        refused = [o for o in outcomes if isinstance(o, Exception)]
        assert not refused, refused[0]
    return hub.state.size


def every_tile(size: int) -> list[str]:
    """Every tile and entry bundle a reader of the tree of ``size`` may ask for (naively: each
    position of each level, with its width in that tree)."""
    paths = []
    level = 0
    while size >> (tiles.TILE_HEIGHT * level):
        count = size >> (tiles.TILE_HEIGHT * level)
        for index in range(-(-count // tiles.TILE_WIDTH)):
            width = tiles.tile_width(level, index, size)
            if level == 0:
                paths.append(tiles.entries_path(index, width))
            paths.append(tiles.tile_path(level, index, width))
        level += 1
    return paths


def assert_bucket_mirrors_the_hub(bucket: Bucket, api: TestClient, size: int) -> None:
    """The bucket's checkpoint and every tile of it, read anonymously, are the bytes the hub
    serves at ``/log/...``."""
    with httpx.Client(base_url=bucket.public_url) as public:
        assert public.get("/checkpoint").content == api.get("/log/checkpoint").content
        for path in every_tile(size):
            served = public.get(f"/{path}")
            assert served.status_code == 200, path
            assert served.content == api.get(f"/log/{path}").content, path


def audit_from_bucket(bucket: Bucket, log_key: SigningKey) -> int:
    """The size of the bucket's checkpoint, once the whole log read from the bucket verifies."""
    with LogMirror(bucket.public_url) as mirror:
        return audit_log(mirror, log_key.verifier).size


# -- settings ----------------------------------------------------------------------------------


@pytest.fixture
def no_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("GULFSEC_"):
            monkeypatch.delenv(name)


S3 = {"s3_endpoint": "https://s3.example.org/", "s3_bucket": "gulfsec-log",
      "s3_access_key_id": "AKID", "s3_secret_access_key": "secret"}


@pytest.mark.usefixtures("no_settings")
def test_object_store_settings_are_read_with_their_secrets_from_files(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "id").write_text("AKID\n")
    (tmp_path / "secret").write_text("s3cr3t\n")
    monkeypatch.setenv("GULFSEC_S3_ENDPOINT", "https://s3.example.org/")
    monkeypatch.setenv("GULFSEC_S3_BUCKET", "gulfsec-log")
    monkeypatch.setenv("GULFSEC_S3_PREFIX", "/gulf/log/")
    monkeypatch.setenv("GULFSEC_S3_ACCESS_KEY_ID_FILE", str(tmp_path / "id"))
    monkeypatch.setenv("GULFSEC_S3_SECRET_ACCESS_KEY_FILE", str(tmp_path / "secret"))
    monkeypatch.setenv("GULFSEC_TILES_URL", "https://log.example.org/gulf/log/")

    settings = load_settings()

    assert (settings.s3_endpoint, settings.s3_bucket, settings.s3_prefix, settings.s3_region) == (
        "https://s3.example.org", "gulfsec-log", "gulf/log", "us-east-1")
    assert settings.s3_access_key_id is not None and settings.s3_secret_access_key is not None
    assert settings.s3_access_key_id.get_secret_value() == "AKID"
    assert settings.s3_secret_access_key.get_secret_value() == "s3cr3t"
    assert "s3cr3t" not in repr(settings)
    assert settings.tiles_url == "https://log.example.org/gulf/log"


@pytest.mark.usefixtures("no_settings")
@pytest.mark.parametrize(("given", "variable", "fragment"), [
    ({"s3_bucket": "gulfsec-log"}, "GULFSEC_S3_ENDPOINT", "required with GULFSEC_S3_BUCKET"),
    ({**S3, "s3_secret_access_key": None}, "GULFSEC_S3_SECRET_ACCESS_KEY", "credentials"),
    ({**S3, "s3_access_key_id": " "}, "GULFSEC_S3_ACCESS_KEY_ID", "is empty"),
    ({"s3_endpoint": "https://s3.example.org"}, "GULFSEC_S3_ENDPOINT", "without GULFSEC_S3_B"),
    ({"s3_secret_access_key": "x"}, "GULFSEC_S3_SECRET_ACCESS_KEY", "without GULFSEC_S3_B"),
    ({**S3, "s3_bucket": "Not_A_Bucket"}, "GULFSEC_S3_BUCKET", "not a bucket name"),
    ({**S3, "s3_endpoint": "s3.example.org"}, "GULFSEC_S3_ENDPOINT", "http:// or https://"),
    ({**S3, "s3_prefix": "log/../other"}, "GULFSEC_S3_PREFIX", "not a key prefix"),
    ({**S3, "s3_region": "Europe West"}, "GULFSEC_S3_REGION", "not a region name"),
    ({"tiles_url": "log.example.org"}, "GULFSEC_TILES_URL", "http:// or https://"),
])
def test_an_incomplete_or_malformed_object_store_setting_is_one_error_line(
        given: dict[str, Any], variable: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(**{k: v for k, v in given.items() if v is not None})
    message = raised.value.message
    assert "\n" not in message
    assert message.startswith(f"{variable}: "), message
    assert fragment in message


# -- what is published -------------------------------------------------------------------------


def test_tiles_between_covers_every_tile_of_the_new_tree_that_the_old_one_lacked() -> None:
    assert tiles_between(0, 0) == []
    assert tiles_between(0, 1) == ["tile/entries/000.p/1", "tile/0/000.p/1"]
    assert tiles_between(0, 256) == ["tile/entries/000", "tile/0/000", "tile/1/000.p/1"]
    assert tiles_between(256, 300) == ["tile/entries/001.p/44", "tile/0/001.p/44",
                                       "tile/1/000.p/1"]
    # published size by size, the union is everything the final tree has
    for final in (1, 255, 256, 257, 70_000, 256 * 256 * 3 + 5):
        union: set[str] = set()
        previous = 0
        for size in sorted({1, final // 3, final // 2, final - 1, final} - {0}):
            union.update(tiles_between(previous, size))
            previous = size
        assert set(every_tile(final)) <= union
        assert sorted(tiles_between(0, final)) == sorted(every_tile(final))
    with pytest.raises(ValueError):
        tiles_between(10, 9)


# -- the bucket's conditional writes -----------------------------------------------------------


def test_a_create_writes_once_accepts_the_same_bytes_again_and_refuses_others(
        bucket: Bucket) -> None:
    store = bucket.store(prefix="log")

    assert store.get("tile/0/000") is None
    assert store.create("tile/0/000", b"A" * 32, "application/octet-stream") is True
    assert store.create("tile/0/000", b"A" * 32, "application/octet-stream") is False
    with pytest.raises(ObjectConflict, match="already holds other bytes"):
        store.create("tile/0/000", b"B" * 32, "application/octet-stream")

    found = store.get("tile/0/000")
    assert found is not None and found.data == b"A" * 32
    assert httpx.get(f"{bucket.public_url}/log/tile/0/000").content == b"A" * 32


def test_a_checkpoint_swap_with_a_stale_etag_loses_and_overwrites_nothing(
        bucket: Bucket) -> None:
    # Two writers read the same checkpoint; the first swap wins, the second is refused.
    store = bucket.store()
    first = store.replace(CHECKPOINT, b"size 1", "text/plain", None)
    with pytest.raises(ObjectConflict):  # "create-only" for the very first checkpoint
        store.replace(CHECKPOINT, b"size 1 again", "text/plain", None)
    read_by_both = store.get(CHECKPOINT)
    assert read_by_both is not None and read_by_both.etag == first

    won = store.replace(CHECKPOINT, b"size 2", "text/plain", read_by_both.etag)
    with pytest.raises(ObjectConflict, match="changed since it was read"):
        store.replace(CHECKPOINT, b"size 3 from the other", "text/plain", read_by_both.etag)

    now = store.get(CHECKPOINT)
    assert now is not None and (now.data, now.etag) == (b"size 2", won)


def test_an_unreachable_store_is_an_object_store_error(bucket: Bucket) -> None:
    down = ObjectStore(f"http://127.0.0.1:{reserve_port()}", bucket.name, **ACCESS)
    with pytest.raises(ObjectStoreError, match="cannot write"):
        down.create("tile/0/000", b"x", "application/octet-stream")
    with pytest.raises(ObjectStoreError, match="cannot read"):
        down.get(CHECKPOINT)


# -- publishing --------------------------------------------------------------------------------


def test_the_hub_publishes_its_checkpoint_and_every_tile_as_it_serves_them(
        hub: Hub, api: TestClient, bucket: Bucket, party_keys: dict[str, SigningKey],
        clock: ManualClock, log_key: SigningKey) -> None:
    publisher = Publisher(hub, bucket.store(prefix="gulf/log"))
    hub.publisher = publisher  # stopped with the hub
    publisher.start()

    size = fill(hub, party_keys, clock, 600)  # two full tiles, a partial one, level 1

    assert publisher.wait_published(size, timeout=60), publisher.status()
    assert publisher.status().behind == 0
    prefixed = Bucket(bucket.endpoint, f"{bucket.name}/gulf/log")
    assert_bucket_mirrors_the_hub(prefixed, api, size)
    assert audit_from_bucket(prefixed, log_key) == size


def test_the_hub_opened_with_a_bucket_publishes_while_it_runs(
        tmp_path: Path, bucket: Bucket, no_settings: None) -> None:
    from datetime import UTC, datetime

    settings = load_settings(data_dir=tmp_path / "hub", s3_endpoint=bucket.endpoint,
                             s3_bucket=bucket.name, s3_access_key_id=ACCESS["access_key_id"],
                             s3_secret_access_key=ACCESS["secret_access_key"])
    initialised, sec = init_hub(settings)  # the genesis entry, published as the hub stops

    genesis = initialised.publisher
    assert genesis is not None and genesis.status().published == 1
    hub = open_hub(settings)
    hub.start()
    try:
        party = SigningKey.generate("IRN")
        hub.submit(registration_request(party, "IRN", datetime.now(UTC)).countersigned(sec).raw)
        assert hub.publisher is not None
        assert hub.publisher.wait_published(2, timeout=60), hub.publisher.status()
        note = hub.checkpoint().note
    finally:
        hub.stop()
        hub.engine.dispose()
    assert httpx.get(f"{bucket.public_url}/checkpoint").text == note
    assert audit_from_bucket(bucket, hub.log_key) == 2


@pytest.mark.postgres
def test_of_several_front_ends_the_one_that_sequences_publishes_and_the_next_takes_over(
        make_hub: Any, bucket: Bucket, party_keys: dict[str, SigningKey],
        clock: ManualClock, log_key: SigningKey) -> None:
    from support.databases import new_pg_database

    database = new_pg_database()
    try:
        first: Hub = make_hub(database.url)
        first.bootstrap(party_keys["SEC"])
        second: Hub = make_hub(database.url)
        assert first.leading and not second.leading
        for hub in (first, second):
            hub.publisher = Publisher(hub, bucket.store())
            hub.publisher.start()
        for party in NODES:
            request = registration_request(party_keys[party], party, clock.now())
            second.submit(request.countersigned(party_keys["SEC"]).raw)
        assert first.publisher is not None and second.publisher is not None
        assert first.publisher.wait_published(first.state.size, timeout=60)
        assert second.publisher.status().published is None  # it never wrote a thing

        first.stop()  # the sequencer goes: the other sequences, and publishes
        wait_until(lambda: second.leading, 10, "the second front end to sequence")
        request = registration_request(party_keys["USA"], "USA", clock.now())
        receipt = second.submit(request.countersigned(party_keys["SEC"]).raw)
        assert second.publisher.wait_published(receipt.checkpoint_size, timeout=60)
        assert audit_from_bucket(bucket, log_key) == second.state.size
        second.stop()
    finally:
        database.drop()


class Crash(BaseException):
    """The publishing process stops dead here (not an error it could handle)."""


class Watched(ObjectStore):
    """The bucket, checked after every write: whatever checkpoint a reader can see then, the
    whole log it names reads and verifies from the bucket. ``crash_at`` makes the n-th write
    (counting from 1) stop the process before it happens; ``before_swap`` runs before each
    checkpoint swap."""

    def __init__(self, bucket: Bucket, log_key: SigningKey, *, crash_at: int | None = None,
                 before_swap: Callable[[], None] | None = None) -> None:
        super().__init__(bucket.endpoint, bucket.name, **ACCESS)
        self.public, self.log_key = bucket, log_key
        self.crash_at, self.before_swap = crash_at, before_swap
        self.writes = 0
        self.seen: list[int] = []
        self._lock = threading.Lock()

    def _count(self) -> None:
        with self._lock:
            self.writes += 1
            if self.writes == self.crash_at:
                raise Crash()

    def _check(self) -> None:
        if self.get(CHECKPOINT) is not None:
            self.seen.append(audit_from_bucket(self.public, self.log_key))

    def create(self, key: str, data: bytes, content_type: str, *,
               cache_control: str | None = None) -> bool:
        self._count()
        done = super().create(key, data, content_type, cache_control=cache_control)
        self._check()
        return done

    def replace(self, key: str, data: bytes, content_type: str, etag: str | None, *,
                cache_control: str | None = None) -> str:
        self._count()
        if self.before_swap is not None:
            self.before_swap()
        done = super().replace(key, data, content_type, etag, cache_control=cache_control)
        self._check()
        return done


@pytest.mark.parametrize("crash", ["before the checkpoint swap", "between two tiles"])
def test_a_crash_while_publishing_is_healed_by_the_next_publisher_and_no_reader_sees_a_gap(
        crash: str, hub: Hub, api: TestClient, bucket: Bucket,
        party_keys: dict[str, SigningKey], clock: ManualClock, log_key: SigningKey) -> None:
    first = Publisher(hub, Watched(bucket, log_key))
    published = first.publish_once()
    assert published == hub.state.size

    size = fill(hub, party_keys, clock, 300)  # completes tile 0, starts tile 1
    writes = len(tiles_between(published, size))
    crashing = Watched(bucket, log_key,
                       crash_at=writes + 1 if crash == "before the checkpoint swap" else 3)
    with pytest.raises(Crash):
        Publisher(hub, crashing).publish_once()

    # The reader still sees the old checkpoint, and all it needs.
    assert audit_from_bucket(bucket, log_key) == published
    assert crashing.writes >= 3

    size = fill(hub, party_keys, clock, 40)
    restarted = Watched(bucket, log_key)
    assert Publisher(hub, restarted).publish_once() == size  # tiles written before: identical

    assert_bucket_mirrors_the_hub(bucket, api, size)
    # After every write, the checkpoint a reader could see verified in full from the bucket.
    assert restarted.seen[-1] == size
    assert set(crashing.seen + restarted.seen) == {published, size}


def test_two_publishers_racing_never_overwrite_a_newer_checkpoint(
        hub: Hub, api: TestClient, bucket: Bucket, party_keys: dict[str, SigningKey],
        clock: ManualClock, log_key: SigningKey) -> None:
    winner = Publisher(hub, bucket.store())
    winner.publish_once()
    late_store = Watched(bucket, log_key)
    late = Publisher(hub, late_store)
    assert late.publish_once() == hub.state.size  # nothing to do: both read the same ETag

    older = fill(hub, party_keys, clock, 20)

    def the_winner_goes_first() -> None:
        late_store.before_swap = None
        fill(hub, party_keys, clock, 20)
        winner.publish_once()

    late_store.before_swap = the_winner_goes_first
    before = bucket.store().get(CHECKPOINT)
    assert late.publish_once() > older  # its swap lost; it read the winner's, newer one

    after = bucket.store().get(CHECKPOINT)
    assert before is not None and after is not None and after.etag != before.etag
    assert after.data == api.get("/log/checkpoint").content  # the winner's, not overwritten
    assert late.status().published == winner.status().published == hub.state.size


def test_a_bucket_emptied_behind_the_publishers_back_is_filled_again_from_the_start(
        hub: Hub, api: TestClient, bucket: Bucket, party_keys: dict[str, SigningKey],
        clock: ManualClock, s3_endpoint: str) -> None:
    publisher = Publisher(hub, bucket.store())
    fill(hub, party_keys, clock, 280)
    publisher.publish_once()
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                      aws_access_key_id=ACCESS["access_key_id"],
                      aws_secret_access_key=ACCESS["secret_access_key"])
    for item in s3.list_objects_v2(Bucket=bucket.name)["Contents"]:
        s3.delete_object(Bucket=bucket.name, Key=item["Key"])

    size = fill(hub, party_keys, clock, 5)
    assert publisher.publish_once() == size  # its swap found no checkpoint: from size 0

    assert_bucket_mirrors_the_hub(bucket, api, size)


def test_a_checkpoint_of_another_log_in_the_bucket_is_never_overwritten(
        hub: Hub, bucket: Bucket, caplog: pytest.LogCaptureFixture) -> None:
    from gulfsec.ledger.note import Checkpoint, sign_checkpoint

    impostor = SigningKey.generate(hub.regime.log_origin)  # the same origin, another key
    foreign = sign_checkpoint(Checkpoint(hub.regime.log_origin, 1, b"\x01" * 32), impostor)
    store = bucket.store()
    store.replace(CHECKPOINT, foreign.encode(), "text/plain", None)

    publisher = Publisher(hub, store)
    hub.publisher = publisher
    with caplog.at_level(logging.ERROR, logger="gulfsec.hub.publish"):
        publisher.start()
        assert not publisher.wait_published(hub.state.size, timeout=60)
        publisher.stop()

    assert "not a checkpoint of this hub's log" in (publisher.status().refused or "")
    assert "stopped for good" in caplog.text
    found = store.get(CHECKPOINT)
    assert found is not None and found.data == foreign.encode()
    with pytest.raises(PublishRefused):
        publisher.publish_once()


@pytest.mark.parametrize("other", ["a different history", "a longer history"])
def test_a_bucket_whose_log_is_not_a_prefix_of_the_hubs_is_refused(
        other: str, hub: Hub, make_hub: Any, databases: Databases, bucket: Bucket,
        party_keys: dict[str, SigningKey], clock: ManualClock) -> None:
    # Another hub with the same log key: the same genesis entry, then its own entries.
    elsewhere: Hub = make_hub(databases.new("elsewhere"))
    elsewhere.bootstrap(party_keys["SEC"])
    parties = ["USA"] if other == "a different history" else [
        "IRN", "RUS", "QAT", "SAU", "USA"]  # as the hub fixture registers them
    for party in parties:
        request = registration_request(party_keys[party], party, clock.now())
        elsewhere.submit(request.countersigned(party_keys["SEC"]).raw)
    if other == "a longer history":  # the hub's log, and one entry more
        fill(elsewhere, party_keys, clock, 1)
    Publisher(elsewhere, bucket.store()).publish_once()
    theirs = bucket.store().get(CHECKPOINT)

    publisher = Publisher(hub, bucket.store())
    with pytest.raises(PublishRefused, match="not a prefix" if other == "a different history"
                       else "more than this hub's log"):
        publisher.publish_once()

    assert bucket.store().get(CHECKPOINT) == theirs
    assert publisher.status().refused is not None


class Flaky(ObjectStore):
    """A bucket that is down until ``up`` is set."""

    def __init__(self, bucket: Bucket) -> None:
        super().__init__(bucket.endpoint, bucket.name, **ACCESS)
        self.up = threading.Event()

    def get(self, key: str) -> Any:
        if not self.up.is_set():
            raise ObjectStoreError("the bucket is down", key=key)
        return super().get(key)


def test_a_bucket_that_is_down_neither_blocks_sequencing_nor_is_given_up(
        hub: Hub, api: TestClient, bucket: Bucket, party_keys: dict[str, SigningKey],
        clock: ManualClock, caplog: pytest.LogCaptureFixture) -> None:
    flaky = Flaky(bucket)
    publisher = Publisher(hub, flaky, min_backoff_s=0.01, max_backoff_s=0.05)
    hub.publisher = publisher
    with caplog.at_level(logging.WARNING, logger="gulfsec.hub.publish"):
        publisher.start()
        size = fill(hub, party_keys, clock, 30)  # sequenced while the bucket is down
        wait_until(lambda: publisher.status().last_error, 60, "a failed publication")
        assert publisher.status().published is None
        assert publisher.status().behind == size

        flaky.up.set()
        assert publisher.wait_published(size, timeout=60), publisher.status()

    assert "entries behind the hub" in caplog.text
    assert publisher.status().last_error is None
    assert_bucket_mirrors_the_hub(bucket, api, size)


# -- readers -----------------------------------------------------------------------------------


def test_verify_log_reads_and_verifies_the_log_from_the_bucket_alone(
        hub: Hub, bucket: Bucket, party_keys: dict[str, SigningKey], clock: ManualClock,
        log_key: SigningKey, tmp_path: Path, no_settings: None) -> None:
    publisher = Publisher(hub, bucket.store())
    publisher.publish_once()
    nowhere = f"http://127.0.0.1:{reserve_port()}"  # the hub is not asked for anything
    vkey = log_key.verifier.encode()
    state = tmp_path / "seen.checkpoint"

    def verify_log(*more: str, key: str = vkey) -> Any:
        return gulfsec_in_process({}, "verify-log", "--hub", nowhere, "--log-key", key,
                                  "--tiles-url", bucket.public_url, *more, check=False)

    first = verify_log("--state", str(state))
    assert first.exit_code == 0, first.output
    assert f"log verified: {hub.state.size} entries" in first.stdout
    assert bucket.public_url in first.stdout

    size = fill(hub, party_keys, clock, 270)
    publisher.publish_once()
    again = verify_log("--state", str(state))
    assert again.exit_code == 0, again.output
    assert f"log verified: {size} entries" in again.stdout
    assert "consistent with the checkpoint of size 6 seen before" in again.stdout

    other_key = SigningKey.generate(hub.regime.log_origin).verifier.encode()
    refused = verify_log(key=other_key)
    assert refused.exit_code == 1
    assert "not signed by the pinned log key" in refused.stderr


def test_a_tampered_tile_in_the_bucket_fails_verification(
        hub: Hub, bucket: Bucket, party_keys: dict[str, SigningKey], clock: ManualClock,
        log_key: SigningKey, s3_endpoint: str) -> None:
    size = fill(hub, party_keys, clock, 10)
    Publisher(hub, bucket.store()).publish_once()
    # A copy of the bucket where one entry bundle was changed: the checkpoint is still genuine.
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                      aws_access_key_id=ACCESS["access_key_id"],
                      aws_secret_access_key=ACCESS["secret_access_key"])
    path = tiles.entries_path(0, size)
    body = s3.get_object(Bucket=bucket.name, Key=path)["Body"].read()
    s3.put_object(Bucket=bucket.name, Key=path, Body=body[:-1] + bytes([body[-1] ^ 1]))

    with pytest.raises(LogVerificationError, match="do not hash to the signed root"):
        audit_from_bucket(bucket, log_key)


class Counting(httpx.BaseTransport):
    """The hub's transport, noting each path asked of the hub."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return self.inner.handle_request(request)


def test_a_node_takes_its_tiles_from_the_bucket_and_from_the_hub_what_it_lacks(
        hub: Hub, api: TestClient, bucket: Bucket, party_keys: dict[str, SigningKey],
        clock: ManualClock, regime: Regime, log_key: SigningKey, databases: Databases) -> None:
    publisher = Publisher(hub, bucket.store())
    size = fill(hub, party_keys, clock, 300)
    publisher.publish_once()
    to_hub = Counting(api._transport)
    client = HubClient(BASE_URL, party="IRN", key=party_keys["IRN"], clock=clock,
                       transport=to_hub, log_key=log_key.verifier, tiles_url=bucket.public_url)
    engine = create_db_engine(databases.new("node_irn"))
    migrate(engine, "node")
    node = Node(regime, engine, "IRN", party_keys["IRN"], client, log_key.verifier, clock)
    try:
        node.load()
        report = node.sync_once()
        assert node.last_error is None, node.last_error
        assert report.alarms == []
        assert (report.size, report.new_leaves) == (size, size)
        assert not [p for p in to_hub.paths if p.startswith("/log/")]

        # The bucket trails the hub (its publisher is behind): the rest comes from the hub.
        more = fill(hub, party_keys, clock, 20)
        report = node.sync_once()
        assert node.last_error is None, node.last_error
        assert (report.size, report.new_leaves, report.alarms) == (more, more - size, [])
        assert [p for p in to_hub.paths if p.startswith("/log/")] == [
            f"/log/{tiles.entries_path(1, more - 256)}"]
    finally:
        node.close()


def test_a_node_opened_with_a_tiles_url_reads_its_tiles_there() -> None:
    client = HubClient("http://hub.example.org", tiles_url="http://bucket.example.org/log/")
    try:
        assert client.mirror is not None
        assert client.mirror.base_url == "http://bucket.example.org/log"
    finally:
        client.close()
    plain = HubClient("http://hub.example.org")
    assert plain.mirror is None
    plain.close()


def test_a_log_mirror_that_lacks_a_file_says_which_and_where(bucket: Bucket) -> None:
    from gulfsec.adapters.hubclient import MirrorError

    with LogMirror(bucket.public_url) as mirror, pytest.raises(MirrorError) as raised:
        mirror.checkpoint()
    assert raised.value.status == 404
    assert bucket.public_url in raised.value.message
