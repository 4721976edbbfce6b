"""``gulfsec node user`` and ``gulfsec hub user``: accounts for the web pages, from the CLI.

Run in-process through click's CliRunner, on SQLite in the test's directory.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import Result
from support.processes import gulfsec_in_process

from gulfsec.adapters.storage.engine import create_db_engine
from gulfsec.adapters.storage.migrate import migrate
from gulfsec.adapters.storage.node import NodeRepository
from gulfsec.services.shared.accounts import hub_accounts, node_accounts
from gulfsec.services.shared.unit_of_work import SqlUnitOfWork

PASSWORD = "correct horse battery"


def gulfsec(*args: str, input: str | None = None) -> Result:
    """``gulfsec ARGS`` in-process, with the settings the test put in the environment."""
    return gulfsec_in_process(os.environ, *args, check=False, input=input)


@pytest.fixture(autouse=True)
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.upper().startswith("GULFSEC_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GULFSEC_PASSPHRASE", "a test passphrase")
    monkeypatch.setenv("GULFSEC_BATCH_DELAY_MS", "5")


@pytest.fixture
def node_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A node's data directory whose database is set up for IRN (no hub needed)."""
    directory = tmp_path / "node"
    directory.mkdir()
    engine = create_db_engine(f"sqlite:///{directory / 'node.db'}")
    migrate(engine, "node")
    with SqlUnitOfWork(engine, NodeRepository) as uow:
        uow.repo.set_meta("party", "IRN")
        uow.commit()
    engine.dispose()
    monkeypatch.setenv("GULFSEC_DATA_DIR", str(directory))
    return directory


def test_node_user_add_reads_the_password_file_and_user_list_shows_the_roles(
        node_dir: Path, tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text(PASSWORD + "\n")
    added = gulfsec("node", "user", "add", "leila", "--role", "officer",
                    "--password-file", str(secret))
    assert added.exit_code == 0, added.output
    assert "account leila created (officer)" in added.output
    prompted = gulfsec("node", "user", "add", "victor", "--role", "viewer",
                       input=f"{PASSWORD}\n{PASSWORD}\n")
    assert prompted.exit_code == 0, prompted.output
    listed = gulfsec("node", "user", "list")
    assert listed.exit_code == 0
    lines = [line.split()[:2] for line in listed.output.splitlines()]
    assert lines == [["leila", "officer"], ["victor", "viewer"]]
    engine = create_db_engine(f"sqlite:///{node_dir / 'node.db'}")
    try:
        assert node_accounts(engine).sign_in("leila", PASSWORD).session.account.role == "officer"
    finally:
        engine.dispose()


def test_node_user_mistakes_end_as_one_error_line(node_dir: Path, tmp_path: Path) -> None:
    weak = tmp_path / "weak"
    weak.write_text("short\n")
    result = gulfsec("node", "user", "add", "leila", "--role", "officer",
                     "--password-file", str(weak))
    assert result.exit_code == 1
    assert result.output.strip() == ("gulfsec: error: the password must have at least 10 "
                                     "characters")
    bad_role = gulfsec("node", "user", "add", "leila", "--role", "admin",
                       "--password-file", str(weak))
    assert bad_role.exit_code == 2


def test_node_user_needs_a_node_set_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GULFSEC_DATA_DIR", str(tmp_path / "nothing"))
    (tmp_path / "nothing").mkdir()
    result = gulfsec("node", "user", "list")
    assert result.exit_code == 1
    assert "no node is set up" in result.output and "gulfsec node init" in result.output


def test_hub_user_add_and_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GULFSEC_DATA_DIR", str(tmp_path / "hub"))
    missing = gulfsec("hub", "user", "list")
    assert missing.exit_code == 1 and "gulfsec hub init" in missing.output
    assert gulfsec("hub", "init").exit_code == 0
    secret = tmp_path / "password"
    secret.write_text(PASSWORD)
    added = gulfsec("hub", "user", "add", "sami", "--password-file", str(secret))
    assert added.exit_code == 0, added.output
    assert "account sami created (secretariat)" in added.output
    again = gulfsec("hub", "user", "add", "sami", "--password-file", str(secret))
    assert again.exit_code == 1 and "already an account named 'sami'" in again.output
    assert gulfsec("hub", "user", "list").output.split()[:2] == ["sami", "secretariat"]
    engine = create_db_engine(f"sqlite:///{tmp_path / 'hub' / 'hub.db'}")
    try:
        assert hub_accounts(engine).sign_in("sami", PASSWORD).session.account.name == "sami"
    finally:
        engine.dispose()
