"""Backups and restore an operator can trust (README, "Backups and restore").

- A hub backed up while entries flow restores into a fresh data directory and database, and the
  restored log verifies and serves (SQLite through its online backup API, PostgreSQL through
  pg_dump).
- A restore is checked before anything is put in place: a backup whose entries, checkpoints or
  keys were altered, or whose archive is damaged, is refused and leaves the target empty; so is
  a backup older than what a node holds (serving it would fork the log), while a current one
  restores under the running nodes, which go on without an alarm.
- A node backed up while it serves restores and catches up; a node whose data is lost is
  rebuilt from the hub around its own key, and re-sends nothing it sent or acknowledged.

The hub's tests use real ``gulfsec hub serve`` processes (:mod:`support.processes`); the checks
on altered backups run the command line in this process on one backup made once.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sqlite3
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path

import pytest
import sqlalchemy as sa
from support.databases import Databases
from support.ports import reserve_port
from support.processes import (
    PASSPHRASE,
    HubProcess,
    NodeProcess,
    ProcessNetwork,
    gulfsec_in_process,
    wait_until,
)

from gulfsec.adapters import keystore
from gulfsec.adapters.hubclient import HubClient
from gulfsec.adapters.storage import hub as hub_tables
from gulfsec.adapters.storage.backup import MANIFEST, dump_postgres, read_archive
from gulfsec.adapters.storage.engine import create_db_engine
from gulfsec.bootstrap import open_hub
from gulfsec.config import load_settings
from gulfsec.domain.entry import ALL, SignedEntry
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import default_regime
from gulfsec.errors import ConfigError
from gulfsec.ledger.note import Checkpoint, parse_note, sign_checkpoint, verify_checkpoint
from gulfsec.ledger.tree import MerkleTree
from gulfsec.services.hub.setup import load_secretariat_key
from gulfsec.services.participant import compose, registration_request

# -- helpers -----------------------------------------------------------------------------------


def env_of(data_dir: Path, regime: Path | None = None) -> dict[str, str]:
    env = {"GULFSEC_DATA_DIR": str(data_dir), "GULFSEC_PASSPHRASE": PASSPHRASE,
           "GULFSEC_LOG_LEVEL": "warning"}
    if regime is not None:
        env["GULFSEC_REGIME_PATH"] = str(regime)
    return env


@pytest.fixture(scope="module")
def one_witness(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Gulf regime with a witness quorum of one: a network of one node reaches finality."""
    text = files("gulfsec").joinpath("regimes/gulf.toml").read_text(encoding="utf-8")
    assert "\nquorum = 3\n" in text
    path = tmp_path_factory.mktemp("regime") / "one-witness.toml"
    path.write_text(text.replace("\nquorum = 3\n", "\nquorum = 1\n"), encoding="utf-8")
    return path


def message(key: SigningKey, seq: int, audience: object = ALL) -> SignedEntry:
    return compose(key, key.name, form="message@1", audience=audience,  # type: ignore[arg-type]
                   body={"subject": f"{key.name} {seq}", "text": f"entry {seq}"}, seq=seq,
                   now=datetime.now(UTC))


def register(url: str, sec: SigningKey, *parties: str) -> dict[str, SigningKey]:
    keys = {party: SigningKey.generate(party) for party in parties}
    with HubClient(url) as client:
        for party, key in keys.items():
            client.submit(registration_request(key, party, datetime.now(UTC))
                          .countersigned(sec).raw)
    return keys


def stored_ids(url: str) -> list[bytes]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            return [bytes(r) for r in conn.execute(
                sa.select(hub_tables.entries.c.entry_id).order_by(hub_tables.entries.c.idx))
                .scalars()]
    finally:
        engine.dispose()


def data_dir_is_empty(path: Path) -> bool:
    return not path.exists() or not any(path.iterdir())


class Traffic:
    """Parties submitting entries one after another to a hub, each in a thread of its own."""

    def __init__(self, url: str, keys: dict[str, SigningKey]) -> None:
        self.url = url
        self.keys = keys
        self.stop = threading.Event()
        self.failures: list[str] = []
        self.count = 0
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._flow, args=(key,), daemon=True)
                        for key in keys.values()]

    def __enter__(self) -> Traffic:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=15)
        assert self.failures == []

    def _flow(self, key: SigningKey) -> None:
        try:
            with HubClient(self.url, timeout=10) as client:
                seq = 1
                while not self.stop.is_set():
                    client.submit(message(key, seq).raw)
                    seq += 1
                    with self._lock:
                        self.count += 1
        except BaseException as exc:  # a thread's failure must reach the test
            self.failures.append(f"{key.name}: {exc.__class__.__name__}: {exc}")

    def wait_for(self, count: int) -> None:
        wait_until(lambda: self.count >= count or self.failures, 30,
                   f"{count} entries to be sequenced")
        assert self.failures == []


# -- a hub backed up under traffic -------------------------------------------------------------


@pytest.mark.slow
def test_a_hub_backed_up_under_traffic_restores_into_a_fresh_directory_verifies_and_serves(
        tmp_path: Path, database_url: str) -> None:
    more = Databases.like(database_url, tmp_path / "more")
    hub = HubProcess(tmp_path / "hub", database_url, batch_delay_ms=5)
    restored = HubProcess(tmp_path / "restored", more.new("restored"))
    try:
        hub.init()
        hub.start()
        keys = register(hub.url, hub.secretariat_key(), "IRN", "SAU", "QAT")
        dest = tmp_path / "hub-backup.tar"
        with Traffic(hub.url, keys) as traffic:
            traffic.wait_for(30)
            before = hub.size()
            out = hub.cli("hub", "backup", str(dest)).stdout
            after = hub.size()
            traffic.wait_for(traffic.count + 30)  # and entries go on flowing after it
        final = hub.size()
        hub.stop()

        manifest = read_archive(dest).manifest
        assert f"backup written to {dest}" in out
        assert manifest.role == "hub" and manifest.party is None
        assert before <= manifest.log_size <= after < final
        assert {"keys/log.key", "keys/SEC.key", "log.vkey"} <= set(manifest.members)
        assert manifest.database in ("hub.db", "hub.pgdump")

        # A node that cannot be asked is no proof: refused, and nothing is left behind.
        refused = restored.cli("hub", "restore", str(dest), "--peer",
                               f"http://127.0.0.1:{reserve_port()}", check=False)
        assert refused.exit_code == 1
        assert "cannot ask the node" in refused.output
        assert data_dir_is_empty(restored.data_dir)

        done = restored.cli("hub", "restore", str(dest), "--unsafe-no-peers").stdout
        restored.start()
        size = restored.size()
        assert f"log size {size}," in done
        assert (size == manifest.log_size if manifest.log_size_exact
                else manifest.log_size <= size <= final)
        # (in a process of its own: `hub audit` leaves its engine to the garbage collector)
        assert "audit passed" in restored.cli_process("hub", "audit").stdout

        # The restored log is what the hub had signed at that size: a prefix of the full log.
        with HubClient(restored.url) as client:
            checkpoint, _ = verify_checkpoint(client.checkpoint(), hub.log_key)
        tree = MerkleTree()
        tree.extend(stored_ids(database_url))
        assert tree.size == final
        assert (checkpoint.size, checkpoint.root) == (size, tree.root(size))

        # And it serves: it sequences new entries on top of the restored log.
        register(restored.url, hub.secretariat_key(), "OMN")
        assert restored.size() == size + 1
    finally:
        restored.close()
        hub.close()
        more.drop()


# -- altered and damaged backups ---------------------------------------------------------------


@pytest.fixture(scope="module")
def backup(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A backup of a hub whose log holds several entries and checkpoints."""
    root = tmp_path_factory.mktemp("source")
    env = env_of(root / "hub")
    gulfsec_in_process(env, "hub", "init")
    settings = load_settings(data_dir=root / "hub", passphrase=PASSPHRASE, env="test",
                             batch_delay_ms=0)
    hub = open_hub(settings)
    hub.start()
    try:
        sec = load_secretariat_key(settings)
        keys = {party: SigningKey.generate(party) for party in ("IRN", "SAU")}
        for party, key in keys.items():
            hub.submit(registration_request(key, party, datetime.now(UTC))
                       .countersigned(sec).raw)
        for seq in (1, 2):
            hub.submit(message(keys["IRN"], seq).raw)
    finally:
        hub.stop()
        hub.engine.dispose()
    dest = root / "hub.tar"
    gulfsec_in_process(env, "hub", "backup", str(dest))
    return dest


def altered(source: Path, dest: Path, change: Callable[[Path], None], *,
            keep_manifest: bool = False) -> Path:
    """A copy of the backup ``source`` with ``change`` made to its unpacked files; its manifest
    made to match them (as one who alters a backup would), unless ``keep_manifest``."""
    work = dest.with_suffix(".work")
    with tarfile.open(source) as tar:
        tar.extractall(work, filter="data")
    change(work)
    manifest = json.loads((work / MANIFEST).read_text())
    if not keep_manifest:
        for name, member in manifest["files"].items():
            data = (work / name).read_bytes()
            member.update(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    with tarfile.open(dest, "w") as tar:
        for name in manifest["files"]:
            tar.add(work / name, arcname=name)
        data = json.dumps(manifest).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    shutil.rmtree(work)
    return dest


def on_database(change: Callable[[sqlite3.Connection], None]) -> Callable[[Path], None]:
    def run(work: Path) -> None:
        conn = sqlite3.connect(work / "hub.db")
        with conn:
            change(conn)
        conn.close()
    return run


def an_entry_edited(conn: sqlite3.Connection) -> None:
    raw = conn.execute("SELECT raw FROM entries WHERE idx = 3").fetchone()[0]
    conn.execute("UPDATE entries SET raw = ? WHERE idx = 3",
                 (bytes(raw).replace(b"entry 1", b"entry 9"),))


def the_latest_checkpoint_resigned(conn: sqlite3.Connection) -> None:
    size, note = conn.execute("SELECT size, note FROM checkpoints ORDER BY size DESC").fetchone()
    forger = SigningKey.generate(default_regime().log_origin)
    checkpoint = Checkpoint.parse_body(parse_note(note).text)
    conn.execute("UPDATE checkpoints SET note = ? WHERE size = ?",
                 (sign_checkpoint(checkpoint, forger), size))


def an_older_checkpoint_rerooted(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE checkpoints SET root = ? WHERE size = "
                 "(SELECT MIN(size) FROM checkpoints)", (bytes(32),))


def the_last_entries_dropped(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM entry_audience WHERE idx = (SELECT MAX(idx) FROM entries)")
    conn.execute("DELETE FROM hub_blob_refs WHERE entry_index = (SELECT MAX(idx) FROM entries)")
    conn.execute("DELETE FROM entries WHERE idx = (SELECT MAX(idx) FROM entries)")


def another_log_key(work: Path) -> None:
    key = SigningKey.generate(default_regime().log_origin)
    (work / "keys" / "log.key").unlink()
    keystore.save_key(work / "keys" / "log.key", key.name, key.seed, PASSPHRASE, n=2**14)


@pytest.mark.parametrize(("change", "said"), [
    (on_database(an_entry_edited), "does not check out"),
    (on_database(the_latest_checkpoint_resigned), "not signed by the pinned log key"),
    (on_database(an_older_checkpoint_rerooted), "is not the tree of its entries"),
    (on_database(the_last_entries_dropped), "does not match the latest signed checkpoint"),
    (another_log_key, "not signed by the pinned log key"),
], ids=["entry", "checkpoint-signature", "older-checkpoint", "entries-dropped", "log-key"])
def test_a_backup_whose_log_or_keys_were_altered_is_refused_and_nothing_is_put_in_place(
        backup: Path, tmp_path: Path, change: Callable[[Path], None], said: str) -> None:
    bad = altered(backup, tmp_path / "bad.tar", change)
    target = tmp_path / "target"
    result = gulfsec_in_process(env_of(target), "hub", "restore", str(bad), "--unsafe-no-peers",
                                check=False)
    assert result.exit_code == 1, result.output
    assert said in result.output
    assert data_dir_is_empty(target)


def test_a_damaged_archive_is_refused_file_by_file(backup: Path, tmp_path: Path) -> None:
    def flip(work: Path) -> None:
        data = bytearray((work / "keys" / "SEC.key").read_bytes())
        data[10] ^= 1
        (work / "keys" / "SEC.key").write_bytes(bytes(data))

    bad = altered(backup, tmp_path / "bad.tar", flip, keep_manifest=True)
    target = tmp_path / "target"
    result = gulfsec_in_process(env_of(target), "hub", "restore", str(bad), "--unsafe-no-peers",
                                check=False)
    assert result.exit_code == 1
    assert "damaged or altered: keys/SEC.key does not match its SHA-256" in result.output
    assert data_dir_is_empty(target)


def test_without_pg_dump_the_backup_says_which_command_it_needs_and_shows_no_password(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump on it
    with pytest.raises(ConfigError) as caught:
        dump_postgres("postgresql+psycopg://gulfsec:s3cret@db.example:5432/hub",
                      tmp_path / "hub.pgdump")
    said = caught.value.message
    assert "pg_dump is not on PATH" in said
    assert ("pg_dump --format=custom --no-owner --no-privileges --file=hub.pgdump "
            "'postgresql://gulfsec@db.example:5432/hub'") in said
    assert "s3cret" not in said


def test_a_backup_never_replaces_a_file_unless_forced(backup: Path, tmp_path: Path) -> None:
    source = backup.parent / "hub"
    dest = tmp_path / "again.tar"
    dest.write_bytes(b"an older backup")
    refused = gulfsec_in_process(env_of(source), "hub", "backup", str(dest), check=False)
    assert refused.exit_code == 1 and "exists already" in refused.output
    assert dest.read_bytes() == b"an older backup"
    gulfsec_in_process(env_of(source), "hub", "backup", str(dest), "--force")
    assert read_archive(dest).manifest.log_size == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.tar"]  # no temporary left


def test_a_restore_refuses_a_data_directory_in_use_unless_forced_and_sets_it_aside(
        backup: Path, tmp_path: Path) -> None:
    target = tmp_path / "target"
    env = env_of(target)
    result = gulfsec_in_process(env, "hub", "restore", str(backup), check=False)
    assert result.exit_code == 1 and "--unsafe-no-peers" in result.output  # peers are asked
    gulfsec_in_process(env, "hub", "restore", str(backup), "--unsafe-no-peers")
    (target / "hub.db").write_bytes(b"")  # someone's database
    again = gulfsec_in_process(env, "hub", "restore", str(backup), "--unsafe-no-peers",
                               check=False)
    assert again.exit_code == 1 and "is not empty" in again.output
    forced = gulfsec_in_process(env, "hub", "restore", str(backup), "--unsafe-no-peers",
                                "--force").stdout
    aside = [p for p in target.iterdir() if p.name.startswith("before-restore-")]
    assert len(aside) == 1 and f"now in {aside[0]}" in forced
    assert (aside[0] / "hub.db").read_bytes() == b""
    assert "audit passed: 5 entries" in gulfsec_in_process(env, "hub", "audit").stdout


# -- a hub restored under its nodes ------------------------------------------------------------


@pytest.mark.slow
def test_a_hub_backup_older_than_what_a_node_holds_is_refused_and_a_current_one_restores(
        tmp_path: Path, one_witness: Path) -> None:
    with ProcessNetwork(tmp_path / "net", "sqlite", ["IRN"], regime=one_witness) as net:
        node = net.nodes["IRN"]
        net.settle()
        old = tmp_path / "old.tar"
        net.hub_cli("hub", "backup", str(old))
        net.register("SAU", "QAT")  # the log grows; the node holds it, cosigned
        size = net.settle()
        original = net.hub
        original.close()

        restored = HubProcess(tmp_path / "restored", net.databases.new("restored"),
                              port=original.port)
        restored.regime_path = one_witness
        try:
            refused = restored.cli("hub", "restore", str(old), "--peer", node.url, check=False)
            assert refused.exit_code == 1
            behind = read_archive(old).manifest.log_size
            assert behind < size
            assert (f"holds a checkpoint of size {size} signed by this hub, but the backup's "
                    f"log ends at size {behind}") in refused.output
            assert "Nothing was restored" in refused.output
            assert data_dir_is_empty(restored.data_dir)

            current = tmp_path / "current.tar"
            original.cli("hub", "backup", str(current))  # of the hub at rest: the same
            done = restored.cli("hub", "restore", str(current), "--peer", node.url).stdout
            assert f"the node at {node.url} (IRN) holds size {size}: consistent" in done
            restored.start()
            net.hub = restored  # the network's hub, on the same port, for the node
            net.register("OMN")
            assert net.settle() == size + 1  # and no alarm on the node
        finally:
            restored.close()


# -- a node backed up, restored, rebuilt -------------------------------------------------------


def held(node: NodeProcess) -> list[tuple[int, str]]:
    return [(e["index"], e["entry_id"]) for e in node.entries()]


def sent_by(net: ProcessNetwork, party: str) -> list[tuple[int, int, str]]:
    """(seq, index, form) of each entry the hub's log holds from ``party``."""
    engine = net.hub.engine()
    try:
        with engine.connect() as conn:
            table = hub_tables.entries
            rows = conn.execute(sa.select(table.c.seq, table.c.idx, table.c.form)
                                .where(table.c.sender == party).order_by(table.c.seq))
            return [(int(r.seq), int(r.idx), str(r.form)) for r in rows]
    finally:
        engine.dispose()


def send_from_node(node: NodeProcess, tmp_path: Path, text: str) -> None:
    draft = tmp_path / f"draft-{time.monotonic_ns()}.json"
    draft.write_text(json.dumps({"form": "message@1", "audience": "all",
                                 "body": {"subject": text, "text": text}}))
    node.cli("node", "send", str(draft))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def network(request: pytest.FixtureRequest, tmp_path: Path,
            one_witness: Path) -> Iterator[ProcessNetwork]:
    """A hub and IRN's node; SAU registered without a node, and writing to IRN (whose node
    acknowledges it); IRN's node writing to all. Settled."""
    with ProcessNetwork(tmp_path / "net", request.param, ["IRN"], regime=one_witness) as net:
        sau = net.register("SAU")["SAU"]
        with net.client("SAU") as client:
            client.submit(message(sau, 1, ("IRN",)).raw)
        send_from_node(net.nodes["IRN"], tmp_path, "from IRN")
        net.settle()
        yield net


@pytest.mark.slow
def test_a_node_backed_up_while_it_serves_restores_verifies_and_catches_up(
        network: ProcessNetwork, tmp_path: Path) -> None:
    net = network
    node = net.nodes["IRN"]
    dest = tmp_path / "node.tar"
    out = node.cli("node", "backup", str(dest)).stdout
    manifest = read_archive(dest).manifest
    assert manifest.role == "node" and manifest.party == "IRN"
    assert {"keys/IRN.key", "api-token"} <= set(manifest.members) and "holds:" in out
    before = held(node)
    net.register("QAT")  # the log goes on after the backup
    node.close()

    restored = NodeProcess("IRN", tmp_path / "restored", net.databases.new("restored"),
                           port=node.port)
    restored.regime_path = node.regime_path
    net.nodes["IRN"] = restored
    done = restored.cli("node", "restore", str(dest)).stdout
    assert f"restored IRN's node from the backup of {manifest.created_at}" in done
    assert "caught up with the hub: log size" in done
    restored.start()
    size = net.settle()  # and no alarm
    assert held(restored)[:len(before)] == before
    assert restored.status()["size"] == size
    assert "everything verifies" in restored.cli("verify").stdout


@pytest.mark.slow
def test_a_node_is_rebuilt_from_the_hub_around_its_own_key_and_sends_nothing_twice(
        network: ProcessNetwork, tmp_path: Path) -> None:
    net = network
    node = net.nodes["IRN"]
    before = held(node)
    sent = sent_by(net, "IRN")
    assert "acknowledgement@1" in [form for _seq, _index, form in sent]
    node.close()

    stranger = tmp_path / "stranger"
    (stranger / "keys").mkdir(parents=True)
    other = SigningKey.generate("IRN")
    keystore.save_key(stranger / "keys" / "IRN.key", "IRN", other.seed, PASSPHRASE, n=2**14)
    refused = gulfsec_in_process(env_of(stranger, node.regime_path), "node", "rebuild",
                                 "--party", "IRN", "--hub", net.hub.url, "--log-key",
                                 str(net.hub.log_vkey_path), check=False)
    assert refused.exit_code == 1
    assert f"the hub does not know key {other.key_id_hex} as IRN's" in refused.output

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    shutil.copytree(node.data_dir / "keys", fresh / "keys")  # all the party kept
    rebuilt = NodeProcess("IRN", fresh, net.databases.new("rebuilt"), port=node.port)
    rebuilt.regime_path = node.regime_path
    net.nodes["IRN"] = rebuilt
    done = rebuilt.cli("node", "rebuild", "--party", "IRN", "--hub", net.hub.url,
                       "--log-key", str(net.hub.log_vkey_path)).stdout
    assert f"node for IRN rebuilt in {fresh} around key {node.key().key_id_hex}" in done
    assert "caught up with the hub" in done
    rebuilt.start()
    net.settle()
    assert held(rebuilt) == before
    assert sent_by(net, "IRN") == sent  # no acknowledgement, no entry sent twice

    send_from_node(rebuilt, tmp_path, "after the rebuild")
    net.settle()
    assert sent_by(net, "IRN")[-1][0] == sent[-1][0] + 1  # the next number, not a used one
    assert rebuilt.status()["outbox_refused"] == []


def test_a_node_is_not_rebuilt_without_its_key_or_its_hub(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    (fresh / "keys").mkdir(parents=True)
    key = SigningKey.generate("IRN")
    keystore.save_key(fresh / "keys" / "IRN.key", key.name, key.seed, PASSPHRASE, n=2**14)
    result = gulfsec_in_process(env_of(fresh), "node", "rebuild", "--party", "IRN", "--hub",
                                f"http://127.0.0.1:{reserve_port()}", "--log-key",
                                SigningKey.generate("x").verifier.encode(), check=False)
    assert result.exit_code == 1
    assert "cannot reach the hub" in result.output
    missing = gulfsec_in_process(env_of(tmp_path / "none"), "node", "rebuild", "--party", "IRN",
                                 "--log-key", key.verifier.encode(), check=False)
    assert missing.exit_code == 1 and "a node is rebuilt around the party's own key" in \
        missing.output
