"""Setting up a hub is all or nothing, and nobody can make themselves the secretariat.

``gulfsec hub init`` is killed at random moments (SIGKILL, a real process); each time, running
it again finishes the init or cleanly starts it over, and the hub that comes out serves a log
whose genesis entry is the secretariat's key in ``keys/``. A hub whose init did not finish
refuses to serve, and no entry — above all a self-signed secretariat key — is taken before
the genesis entry, nor a secretariat key from the network ever.
"""

from __future__ import annotations

import random
import signal
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from support.databases import Database, new_database
from support.processes import PASSPHRASE, HubProcess, gulfsec_command

from gulfsec.adapters import keystore
from gulfsec.adapters.hubclient import HubClient
from gulfsec.domain.keys import SigningKey, VerifierKey
from gulfsec.domain.request_auth import sign_request
from gulfsec.errors import RemoteError
from gulfsec.services.participant import registration_request

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def hub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HubProcess]:
    database: Database = new_database(request.param, tmp_path / "db", "hub")
    process = HubProcess(tmp_path / "hub", database.url)
    try:
        yield process
    finally:
        process.close()
        database.drop()


def _init_killed_after(hub: HubProcess, seconds: float) -> int:
    """Start ``gulfsec hub init`` and SIGKILL it after ``seconds`` (if still running)."""
    proc = subprocess.Popen([*gulfsec_command(), "hub", "init"], env=hub.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    return proc.returncode


def _genesis_is_the_secretariats_key(hub: HubProcess) -> None:
    name, seed = keystore.load_key(hub.data_dir / "keys" / "SEC.key", PASSPHRASE)
    sec = SigningKey(name, seed)
    log_key = VerifierKey.parse((hub.data_dir / "log.vkey").read_text().strip())
    with HubClient(hub.url, log_key=log_key) as client:
        keys = client.keys()
        assert client.log_info()["log_key"] == log_key.encode()
    assert [(k["party"], k["key_id"], k["registered_at"]) for k in keys] == [
        ("SEC", sec.key_id_hex, 0)]


def test_an_init_killed_at_any_moment_is_finished_or_restarted_by_running_it_again(
        hub: HubProcess) -> None:
    rng = random.Random(9)
    outcomes = [_init_killed_after(hub, rng.uniform(0.05, 2.5)) for _ in range(6)]
    while True:  # what an operator does: run it again until it says the hub is set up
        done = hub.cli("hub", "init", check=False)
        if done.exit_code == 0 or "already set up" in done.output:
            break
        raise AssertionError(f"a re-run of hub init failed: {done.output}")
    again = hub.cli("hub", "init", check=False)
    assert again.exit_code == 1 and "already set up" in again.output
    hub.start()
    _genesis_is_the_secretariats_key(hub)
    assert outcomes  # some of the runs were killed part-way (the rest finished)


def test_a_hub_whose_init_did_not_finish_refuses_to_serve_and_a_rerun_finishes_it(
        hub: HubProcess) -> None:
    hub.init()
    # What a kill between the keys and the genesis leaves: the keys, an empty log.
    engine = hub.engine()
    with engine.begin() as conn:
        for table in ("cosignatures", "checkpoints", "keys", "entry_audience", "entries"):
            conn.exec_driver_sql(f"DELETE FROM {table}")
    engine.dispose()
    served = subprocess.run([*gulfsec_command(), "hub", "serve", "--port", str(hub.port)],
                            env=hub.env, capture_output=True, text=True, timeout=60)
    assert served.returncode == 1
    assert "no genesis entry" in served.stderr and "hub init" in served.stderr
    finished = hub.cli("hub", "init")
    assert finished.exit_code == 0
    hub.start()
    _genesis_is_the_secretariats_key(hub)


def test_nobody_becomes_the_secretariat_over_the_network(hub: HubProcess) -> None:
    hub.init()
    hub.start()
    usurper = SigningKey.generate("SEC")
    claim = registration_request(usurper, "SEC", _now())
    with HubClient(hub.url) as client:
        with pytest.raises(RemoteError) as refused:
            client.submit(claim.raw)
        assert "never over the network" in refused.value.message
        with pytest.raises(RemoteError):
            client.register(claim.raw)
        assert [k["party"] for k in client.keys()] == ["SEC"]


def test_a_captured_signed_request_replayed_is_refused(hub: HubProcess) -> None:
    hub.init()
    hub.start()
    sec = hub.secretariat_key()
    headers = sign_request(sec, "SEC", "GET", "/v1/me", b"", _now())
    first = httpx.get(f"{hub.url}/v1/me", headers=headers, timeout=10)
    assert first.status_code == 200
    replayed = httpx.get(f"{hub.url}/v1/me", headers=headers, timeout=10)
    assert replayed.status_code == 401
    assert "replay" in replayed.json()["message"]
    fresh = sign_request(sec, "SEC", "GET", "/v1/me", b"", _now())
    assert httpx.get(f"{hub.url}/v1/me", headers=fresh, timeout=10).status_code == 200


def _now() -> datetime:
    return datetime.now(UTC)
