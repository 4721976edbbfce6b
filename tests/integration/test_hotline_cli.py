"""The hotline from the command line, and where its keys live, on SQLite and on PostgreSQL.

Nodes set up as a participant sets one up (``init_node`` in a data directory of its own, opened
by ``open_node``): IRN sends, SAU receives, QAT witnesses. The hub is served over loopback in
this process (:mod:`support.served`); each command runs in the party's data directory.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from support.databases import Databases
from support.inprocess import NodeNet
from support.processes import PASSPHRASE, gulfsec_in_process
from support.served import clock, hub_url

from gulfsec.adapters import keystore
from gulfsec.adapters.clock import ManualClock
from gulfsec.bootstrap import (
    hotline_keys,
    init_hub,
    init_node,
    open_hub,
    open_node,
    open_secretariat_hotline,
)
from gulfsec.config import load_settings
from gulfsec.domain.keys import SigningKey
from gulfsec.services.hub import Hub

__all__ = ["clock", "hub_url"]  # the fixtures from support.served these tests use

SECRET = "Fishing fleet adrift near the median line; no hostile intent."


@pytest.fixture
def network(hub: Hub, hub_url: str, party_keys: dict[str, SigningKey], log_key: SigningKey,
            tmp_path: Path, database_url: str, clock: ManualClock,
            databases: Databases) -> Iterator[tuple[NodeNet, dict[str, dict[str, str]]]]:
    """IRN's, SAU's and QAT's nodes in data directories of their own, settled (each has
    registered its encryption key), and each party's ``GULFSEC_*`` settings."""
    envs: dict[str, dict[str, str]] = {}
    nodes = NodeNet(hub, {})
    try:
        for party in ("IRN", "SAU", "QAT"):
            env = {"GULFSEC_DATA_DIR": str(tmp_path / f"node-{party}"),
                   "GULFSEC_PASSPHRASE": PASSPHRASE}
            if not database_url.startswith("sqlite"):
                env["GULFSEC_DATABASE_URL"] = databases.new(f"node_{party.lower()}")
            envs[party] = env
            settings = load_settings(data_dir=Path(env["GULFSEC_DATA_DIR"]),
                                     database_url=env.get("GULFSEC_DATABASE_URL"),
                                     passphrase=PASSPHRASE)
            init_node(settings, party, hub_url, log_key.verifier, key=party_keys[party])
            key_file = settings.data_dir / "keys" / f"{party}.key"
            key_file.unlink()  # the same key, at scrypt's least cost: each command opens it
            keystore.save_key(key_file, party, party_keys[party].seed, PASSPHRASE,
                              n=keystore.MIN_N)
            nodes.nodes[party] = open_node(settings)
        nodes.settle()
        yield nodes, envs
    finally:
        nodes.close()


def run(envs: dict[str, dict[str, str]], party: str, *args: str) -> Result:
    return gulfsec_in_process(envs[party], *args, check=False)


def ok(result: Result) -> str:
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    return result.stdout


def as_json(result: Result) -> Any:
    return json.loads(ok(result))


def messages(envs: dict[str, dict[str, str]], party: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = as_json(run(envs, party, "hotline", "--format", "json"))
    return found


def test_a_message_sent_from_the_command_line_is_read_and_received(
        network: tuple[NodeNet, dict[str, dict[str, str]]]) -> None:
    nodes, envs = network
    out = ok(run(envs, "IRN", "hotline", "send", "--to", "SAU", SECRET, "--priority", "flash"))
    assert out.startswith("hotline message to SAU: ") and "sequenced by the hub" in out
    nodes.settle()

    got, = messages(envs, "SAU")
    assert (got["from"], got["text"], got["priority"], got["kind"]) == (
        "IRN", SECRET, "flash", "message")
    table = ok(run(envs, "IRN", "hotline"))
    assert "→ SAU  flash  message  [SAU received]" in table and SECRET in table
    assert "[receipt sent]" in ok(run(envs, "SAU", "hotline"))
    assert messages(envs, "QAT") == []
    assert "no hotline messages at QAT's node" in ok(run(envs, "QAT", "hotline"))


def test_recipients_repeat_or_go_comma_separated(
        network: tuple[NodeNet, dict[str, dict[str, str]]]) -> None:
    nodes, envs = network
    ok(run(envs, "IRN", "hotline", "send", "--to", "SAU,QAT", "First."))
    ok(run(envs, "IRN", "hotline", "send", "--to", "QAT", "--to", "SAU", "Second."))
    nodes.settle()
    sent = messages(envs, "IRN")
    assert [(m["text"], m["to"]) for m in sent] == [("Second.", ["QAT", "SAU"]),
                                                   ("First.", ["QAT", "SAU"])]
    assert all(r["state"] == "received" for m in sent for r in m["receipts"].values())


def test_a_recipient_without_a_key_is_one_error_line(
        network: tuple[NodeNet, dict[str, dict[str, str]]]) -> None:
    _nodes, envs = network
    result = run(envs, "IRN", "hotline", "send", "--to", "USA", "Hello?")
    assert result.exit_code == 1, result.output
    line, = result.stderr.splitlines()
    assert line.startswith("gulfsec: error: ") and "USA has registered no hotline" in line
    usage = run(envs, "IRN", "hotline", "send", "--to", "SAU", "x", "--priority", "urgent")
    assert usage.exit_code == 2


@pytest.mark.parametrize(("args", "fragments"), [
    (("hotline", "--help"), ("conversation", "--format", "received, waiting, overdue")),
    (("hotline", "send", "--help"), ("TEXT", "--to", "comma-separated", "--priority",
                                     "flash|immediate|routine")),
])
def test_the_help_says_how(args: Sequence[str], fragments: Sequence[str]) -> None:
    out = ok(gulfsec_in_process({}, *args, check=False))
    for fragment in fragments:
        assert fragment in out, (fragment, out)


# -- where the keys live -----------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_makes_each_first_key_private_and_the_hub_runs_the_secretariats_end(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = load_settings(data_dir=tmp_path / "hub", passphrase=PASSPHRASE,
                             database_url=None, regime_path=None, log_key_file=None)
    init_hub(settings)
    directory = settings.data_dir / "keys" / "SEC.hotline"
    key_file, = directory.iterdir()
    assert _mode(directory) == 0o700 and _mode(key_file) == 0o600
    held, = hotline_keys(settings, "SEC").keys()
    assert key_file.name == f"{held.key_id}.key"

    hub = open_hub(settings)
    try:
        assert open_secretariat_hotline(settings, hub) is not None
        (settings.data_dir / "keys" / "SEC.key").rename(tmp_path / "SEC.key.elsewhere")
        assert open_secretariat_hotline(settings, hub) is None
        assert "does not run here" in caplog.text
    finally:
        hub.engine.dispose()


def test_a_node_keeps_its_hotline_keys_beside_its_signing_key(
        network: tuple[NodeNet, dict[str, dict[str, str]]]) -> None:
    nodes, envs = network
    directory = Path(envs["IRN"]["GULFSEC_DATA_DIR"]) / "keys" / "IRN.hotline"
    key_file, = directory.iterdir()
    assert _mode(directory) == 0o700 and _mode(key_file) == 0o600
    irn = nodes.nodes["IRN"]
    assert irn.hotline is not None
    registered = irn.hotline.directory().keys_of("IRN")
    assert [k.key_id for k in registered] == [key_file.name.removesuffix(".key")]

