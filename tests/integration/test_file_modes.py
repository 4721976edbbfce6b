"""What gulfsec writes to disk is its user's alone, whatever the umask it runs under.

A hub's and a node's data directories hold encrypted keys, the node's API token, databases
with bilateral content and password hashes: every file is 0600 and every directory gulfsec
creates 0700. Only the log's verifier key (``log.vkey``), made to be handed to every
participant, is 0644. The hub and the node are set up and served by the real ``gulfsec``
command under ``umask 000``, on SQLite (the databases in the data directories) and on
PostgreSQL (no database file at all).
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from support.databases import Databases
from support.processes import HubProcess, NodeProcess

from gulfsec.adapters.files import ensure_private_file
from gulfsec.adapters.storage.engine import create_db_engine
from gulfsec.adapters.storage.migrate import migrate

PUBLIC = {"log.vkey"}
"""Files meant to be handed out, 0644."""


@pytest.fixture
def open_umask() -> Iterator[None]:
    """Umask 000 for this process and every process it starts (restored after the test)."""
    old = os.umask(0o000)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def modes(root: Path) -> dict[str, int]:
    """Every directory and file under ``root`` (itself included, as ``.``) and its mode."""
    found = {".": mode(root)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root)) + ("/" if path.is_dir() else "")] = mode(path)
    return found


def wrong(root: Path, found: dict[str, int], expected: dict[str, int]) -> list[str]:
    return [f"{root.name}/{name}: {found[name]:04o}, not {want:04o}"
            for name, want in expected.items() if found[name] != want]


# -- SQLite's own files --------------------------------------------------------------------------


def test_a_new_sqlite_database_its_directory_and_its_wal_and_shm_files_are_private(
        tmp_path: Path, open_umask: None) -> None:
    path = tmp_path / "made-by-gulfsec" / "node.db"
    engine = create_db_engine(f"sqlite:///{path}")
    try:
        migrate(engine, "node")
        with engine.connect() as conn:  # open: the -wal and -shm files exist now
            conn.execute(sa.text("SELECT 1"))
            found = modes(path.parent)
    finally:
        engine.dispose()

    assert {"node.db", "node.db-wal", "node.db-shm"} <= found.keys()
    expected = {name: 0o700 if name == "." else 0o600 for name in found}
    assert wrong(path.parent, found, expected) == []


def test_an_existing_directory_keeps_its_mode_and_the_database_in_it_is_private(
        tmp_path: Path, open_umask: None) -> None:
    shared = tmp_path / "srv"
    shared.mkdir()
    shared.chmod(0o755)
    engine = create_db_engine(f"sqlite:///{shared / 'hub.db'}")
    try:
        migrate(engine, "hub")
    finally:
        engine.dispose()

    assert mode(shared) == 0o755
    assert mode(shared / "hub.db") == 0o600


def test_sqlite_gives_a_rollback_journal_the_database_file_s_mode(
        tmp_path: Path, open_umask: None) -> None:
    path = tmp_path / "journal.db"
    ensure_private_file(path)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("CREATE TABLE t (x)")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t VALUES (1)")
        conn.execute("INSERT INTO t SELECT x + 1 FROM t")  # the journal exists mid-transaction
        journal = tmp_path / "journal.db-journal"
        assert journal.exists() and mode(journal) == 0o600
        conn.execute("COMMIT")
    finally:
        conn.close()


# -- a hub and a node, set up and served by the command line -----------------------------------


@pytest.fixture
def data_dirs(tmp_path: Path, databases: Databases, open_umask: None) -> Iterator[list[Path]]:
    """``gulfsec hub init``, ``hub serve``, ``node init`` and ``node serve`` under umask 000,
    into data directories gulfsec creates; the two data directories once all have stopped."""
    root = tmp_path / "run"
    root.mkdir()
    hub_dir, node_dir = root / "hub", root / "node-IRN"
    sqlite = databases.kind == "sqlite"
    hub = HubProcess(hub_dir, f"sqlite:///{hub_dir / 'hub.db'}" if sqlite
                     else databases.new("hub"))
    node = NodeProcess("IRN", node_dir, f"sqlite:///{node_dir / 'node.db'}" if sqlite
                       else databases.new("node"))
    try:
        hub.cli_process("hub", "init")
        hub.start()
        node.cli_process("node", "init", "--party", "IRN", "--hub", hub.url,
                         "--log-key", str(hub.log_vkey_path))
        node.start()
        node.stop()
        hub.stop()
    finally:
        node.close()
        hub.close()
    yield [hub_dir, node_dir]


def test_keys_databases_and_the_api_token_are_private(data_dirs: list[Path],
                                                      databases: Databases) -> None:
    hub_dir, node_dir = data_dirs
    expected = [hub_dir / "keys" / "log.key", hub_dir / "keys" / "SEC.key",
                node_dir / "keys" / "IRN.key", node_dir / "api-token"]
    if databases.kind == "sqlite":
        expected += [hub_dir / "hub.db", node_dir / "node.db"]
        expected += [p for d in data_dirs for p in d.glob("*.db-*")]
    problems = [f"{p}: {mode(p):04o}" for p in expected if mode(p) != 0o600]
    assert not problems, "\n".join(problems)


def test_every_directory_gulfsec_creates_is_private(data_dirs: list[Path]) -> None:
    problems = []
    for root in data_dirs:
        found = modes(root)
        problems += wrong(root, found, {name: 0o700 for name in found
                                  if name == "." or name.endswith("/")})
    assert not problems, "\n".join(problems)


def test_every_file_is_private_but_the_log_verifier_key(data_dirs: list[Path]) -> None:
    problems = []
    for root in data_dirs:
        found = modes(root)
        problems += wrong(root, found, {name: 0o644 if name in PUBLIC else 0o600 for name in found
                                  if name != "." and not name.endswith("/")})
    assert not problems, "\n".join(problems)
    assert (data_dirs[0] / "log.vkey").exists()
    assert (data_dirs[1] / "IRN.registration.json").exists()
