"""Real hubs, nodes and whole networks in processes of their own: the one way to start them.

- :class:`HubProcess` serves ``gulfsec hub serve``, :class:`NodeProcess` ``gulfsec node serve``,
  each on a reserved loopback port (:mod:`support.ports`) with its own data directory, database
  and a clean ``GULFSEC_*`` environment, so a developer's settings never leak in. Both stop
  cleanly (SIGTERM), die (SIGKILL), restart on the same data and show the tail of their log.
- :class:`ProcessNetwork` sets up a hub and one node per party the way the secretariat and the
  participants do, through the command line (``hub init``; ``node init`` per party;
  ``hub pending``; ``hub admit --party``), serves them all and waits until each answers. Its
  ports are reserved in one block, its databases (:mod:`support.databases`) are dropped when
  it closes.
- :func:`gulfsec_in_process` runs the click command line in this process with exactly the
  given settings (no Python start per command); :func:`gulfsec_process` runs the installed
  console script as a user would. Each process has both as ``cli`` and ``cli_process``.
- :func:`wait_until` polls for a condition and fails naming what it waited for.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import httpx
import sqlalchemy as sa
from click.testing import CliRunner, Result

from gulfsec.adapters import keystore
from gulfsec.adapters.hubclient import HubClient
from gulfsec.adapters.storage.engine import create_db_engine
from gulfsec.cli.main import cli
from gulfsec.config import load_settings
from gulfsec.domain.keys import SigningKey, VerifierKey
from gulfsec.services.hub.setup import load_secretariat_key
from gulfsec.services.participant import registration_request

from .databases import Databases, Kind
from .lying_hub import LyingHub
from .ports import reserve_block, reserve_port

PASSPHRASE = "integration-test-passphrase"
"""The passphrase every process's keys are stored under."""


# -- the command line --------------------------------------------------------------------------


def gulfsec_command() -> list[str]:
    """The ``gulfsec`` console script of the running interpreter's environment."""
    script = Path(sys.executable).with_name("gulfsec")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "gulfsec.cli.main"]


def clean_env(**settings: str) -> dict[str, str]:
    """The current environment without any ``GULFSEC_*`` variable, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("GULFSEC_")}
    env.update(settings)
    return env


def gulfsec_in_process(env: Mapping[str, str], *args: str, check: bool = True,
                       input: str | None = None) -> Result:
    """``gulfsec ARGS`` through click, with exactly the ``GULFSEC_*`` settings in ``env``."""
    settings: dict[str, str | None] = {
        name: None for name in os.environ if name.upper().startswith("GULFSEC_")}
    settings.update({k: v for k, v in env.items() if k.upper().startswith("GULFSEC_")})
    result = CliRunner(env=settings).invoke(cli, list(args), input=input, prog_name="gulfsec")
    if check and result.exit_code != 0:
        raise AssertionError(f"gulfsec {' '.join(args)} exited {result.exit_code}:\n"
                             f"{result.output}\n{result.exception!r}")
    return result


def gulfsec_process(env: Mapping[str, str], *args: str, check: bool = True,
                    input: str | None = None, cwd: Path | None = None,
                    timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``gulfsec ARGS`` run as the installed console script, with exactly ``env``."""
    done = subprocess.run([*gulfsec_command(), *args], env=dict(env), cwd=cwd,
                          capture_output=True, text=True, input=input, timeout=timeout,
                          check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"gulfsec {' '.join(args)} exited {done.returncode}:\n"
                             f"{done.stdout}{done.stderr}")
    return done


# -- waiting -----------------------------------------------------------------------------------


def wait_until(ready: Callable[[], Any], timeout: float, what: str,
               describe: Callable[[], str] | None = None) -> Any:
    """Poll ``ready`` until it returns something true; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = ready()
        if value:
            return value
        if time.monotonic() > deadline:
            detail = f"\n{describe()}" if describe is not None else ""
            raise AssertionError(f"timed out after {timeout}s waiting for {what}{detail}")
        time.sleep(0.05)


# -- one served process ------------------------------------------------------------------------


class ServedProcess:
    """What a hub and a node process share: a data directory, a database, a port, a log file,
    and ``gulfsec <role> serve`` started, stopped, killed and restarted on them."""

    role = ""
    """``hub`` or ``node``: the command group that serves it."""

    def __init__(self, name: str, data_dir: Path, database_url: str, port: int | None) -> None:
        self.regime_path: Path | None = None
        """Another regime file than the packaged one, for the process and its commands."""
        self.name = name
        self.data_dir = data_dir
        self.database_url = database_url
        self.port = reserve_port() if port is None else port
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir.parent / f"{data_dir.name}-serve.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._http = httpx.Client(base_url=self.url, timeout=10.0)

    @property
    def env(self) -> dict[str, str]:
        """The process's whole environment: no ``GULFSEC_*`` setting but its own."""
        regime = {} if self.regime_path is None else {
            "GULFSEC_REGIME_PATH": str(self.regime_path)}
        return clean_env(GULFSEC_DATA_DIR=str(self.data_dir),
                         GULFSEC_DATABASE_URL=self.database_url,
                         GULFSEC_PASSPHRASE=PASSPHRASE, GULFSEC_LOG_LEVEL="warning",
                         **regime, **self.settings())

    def settings(self) -> dict[str, str]:
        """The ``GULFSEC_*`` settings of this role, beside the data directory and database."""
        return {}

    # -- the command line ------------------------------------------------------------------

    def cli(self, *args: str, check: bool = True, input: str | None = None) -> Result:
        """``gulfsec ARGS`` with this process's settings, in-process."""
        return gulfsec_in_process(self.env, *args, check=check, input=input)

    def cli_process(self, *args: str, check: bool = True,
                    input: str | None = None) -> subprocess.CompletedProcess[str]:
        """``gulfsec ARGS`` run as the console script, with this process's environment."""
        return gulfsec_process(self.env, *args, check=check, input=input)

    def engine(self) -> sa.Engine:
        """A new engine on its database, to read or tamper with (the caller disposes of it)."""
        return create_db_engine(self.database_url)

    # -- the server ------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def launch(self) -> None:
        """Start ``gulfsec <role> serve`` without waiting (see :meth:`wait_ready`)."""
        assert self._proc is None, f"{self.name} is already running"
        self._log = self.log_path.open("ab")
        self._proc = subprocess.Popen(
            [*gulfsec_command(), self.role, "serve", "--port", str(self.port)],
            env=self.env, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait until ``/healthz`` answers; fail with the log's tail if it exits or never
        answers."""
        assert self._proc is not None, f"{self.name} was not launched"
        deadline = time.monotonic() + timeout
        while True:
            if self._proc.poll() is not None:
                self._reap()
                raise AssertionError(f"{self.name} exited at start:\n{self.log_tail()}")
            try:
                if self._http.get("/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"{self.name} did not answer in {timeout}s:\n"
                                     f"{self.log_tail()}")
            time.sleep(0.05)

    def start(self, timeout: float = 30.0) -> None:
        """Start serving and wait until it answers."""
        self.launch()
        self.wait_ready(timeout)

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no flush; whatever it was doing stops there."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGKILL)
        self._reap()

    def terminate(self) -> None:
        """Ask for a clean stop (SIGTERM) without waiting: :meth:`stop` then waits."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)

    def stop(self) -> None:
        """A clean stop (SIGTERM), or SIGKILL if it does not stop in time."""
        if self._proc is None:
            return
        self.terminate()
        try:
            self._proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._proc.kill()
        self._reap()

    def close(self) -> None:
        """Stop it and close the client that talked to it (it cannot be started again)."""
        self.stop()
        self._http.close()

    def _reap(self) -> None:
        if self._proc is not None:
            self._proc.wait(timeout=30)
            self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"


class HubProcess(ServedProcess):
    """One hub: a data directory and a database, served by a ``gulfsec hub serve`` process."""

    role = "hub"

    def __init__(self, data_dir: Path, database_url: str, *, port: int | None = None,
                 batch_delay_ms: int = 10) -> None:
        super().__init__("the hub", data_dir, database_url, port)
        self.batch_delay_ms = batch_delay_ms
        self._secretariat: SigningKey | None = None

    def settings(self) -> dict[str, str]:
        return {"GULFSEC_BATCH_DELAY_MS": str(self.batch_delay_ms)}

    def init(self) -> str:
        """``gulfsec hub init``; its standard output."""
        return self.cli("hub", "init").stdout

    @property
    def log_vkey_path(self) -> Path:
        return self.data_dir / "log.vkey"

    @property
    def log_key(self) -> VerifierKey:
        return VerifierKey.parse(self.log_vkey_path.read_text().strip())

    def secretariat_key(self) -> SigningKey:
        if self._secretariat is None:
            settings = load_settings(data_dir=self.data_dir, passphrase=PASSPHRASE, env="test")
            self._secretariat = load_secretariat_key(settings)
        return self._secretariat

    def size(self) -> int:
        """The size of the log the hub serves."""
        response = self._http.get("/v1/log")
        response.raise_for_status()
        return int(response.json()["size"])


class NodeProcess(ServedProcess):
    """One party's node: a data directory and a database, served by ``gulfsec node serve``."""

    role = "node"

    def __init__(self, party: str, data_dir: Path, database_url: str, *,
                 port: int | None = None, sync_interval_ms: int = 250) -> None:
        super().__init__(f"{party}'s node", data_dir, database_url, port)
        self.party = party
        self.peers: Sequence[str] = ()
        """The URLs of the peer nodes it compares checkpoints with."""
        self.sync_interval_ms = sync_interval_ms

    def settings(self) -> dict[str, str]:
        return {"GULFSEC_SYNC_INTERVAL_MS": str(self.sync_interval_ms),
                "GULFSEC_PEERS": ",".join(self.peers)}

    @property
    def key_path(self) -> Path:
        return self.data_dir / "keys" / f"{self.party}.key"

    def key(self) -> SigningKey:
        name, seed = keystore.load_key(self.key_path, PASSPHRASE)
        return SigningKey(name, seed)

    # -- its HTTP API, with the API token ``node init`` wrote ------------------------------

    def get(self, path: str, **params: Any) -> Any:
        token = (self.data_dir / "api-token").read_text().strip()
        response = self._http.get(path, params=params,
                                  headers={"Authorization": f"Bearer {token}"})
        response.raise_for_status()
        return response.json()

    def status(self) -> dict[str, Any]:
        return dict(self.get("/v1/status"))

    def entries(self) -> list[dict[str, Any]]:
        """Every entry the node serves on ``/v1/entries``, page by page."""
        out: list[dict[str, Any]] = []
        after = -1
        while True:
            page = self.get("/v1/entries", after=after, limit=1000)["entries"]
            if not page:
                return out
            out.extend(page)
            after = page[-1]["index"]


# -- a whole network ---------------------------------------------------------------------------


class ProcessNetwork:
    """A hub and one node per party, each its own process over a database of its own.

    ``with ProcessNetwork(root, "sqlite", ["IRN", "RUS"]) as net:`` sets it up through the
    command line, serves it and waits until every process answers; leaving the block stops
    every process and drops the databases. ``peers`` maps a party to the parties whose nodes
    its node compares checkpoints with. What each set-up command printed is kept in
    :attr:`setup_output`, by command (``"hub init"``, ``"node init IRN"``, ``"hub admit IRN"``,
    ``"hub pending"`` before admission and ``"hub pending after"``).
    """

    def __init__(self, root: Path, kind: Kind, parties: Sequence[str], *,
                 peers: Mapping[str, Sequence[str]] | None = None, batch_delay_ms: int = 10,
                 sync_interval_ms: int = 250, fronts: bool = False,
                 regime: Path | None = None) -> None:
        """With ``fronts``, each node reaches the hub through a :class:`LyingHub` of its own
        (``self.fronts[party]``), which tells the truth until a test makes it lie. ``regime``:
        another regime file for the hub and every node."""
        self.root = root
        self.with_fronts = fronts
        self.fronts: dict[str, LyingHub] = {}
        self.kind = kind
        self.databases = Databases(kind, root / "db")
        self.setup_output: dict[str, str] = {}
        self.keys: dict[str, SigningKey] = {}
        """The keys of the parties registered without a node (:meth:`register`)."""
        base = reserve_block(1 + len(parties))  # the hub's port, then one per node
        try:
            self.hub = HubProcess(root / "hub", self.databases.new("hub"), port=base,
                                  batch_delay_ms=batch_delay_ms)
            self.nodes = {
                party: NodeProcess(party, root / f"node-{party}",
                                   self.databases.new(f"node-{party}"), port=base + 1 + i,
                                   sync_interval_ms=sync_interval_ms)
                for i, party in enumerate(parties)}
        except BaseException:
            self.databases.drop()
            raise
        for party, others in (peers or {}).items():
            self.nodes[party].peers = [self.nodes[other].url for other in others]
        for process in (self.hub, *self.nodes.values()):
            process.regime_path = regime

    def __enter__(self) -> ProcessNetwork:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def start(self) -> None:
        """``hub init``, ``hub serve``; ``node init`` for each party; ``hub admit`` each;
        then every ``node serve``, waiting until each answers."""
        out = self.setup_output
        hub = self.hub
        out["hub init"] = hub.init()
        hub.start()
        if self.with_fronts:
            name, seed = keystore.load_key(hub.data_dir / "keys" / "log.key", PASSPHRASE)
            log_key = SigningKey(name, seed)
            for party in self.nodes:
                self.fronts[party] = LyingHub(hub.url, log_key).__enter__()
        for node in self.nodes.values():
            url = self.fronts[node.party].url if node.party in self.fronts else hub.url
            out[f"node init {node.party}"] = node.cli(
                "node", "init", "--party", node.party, "--hub", url,
                "--log-key", str(hub.log_vkey_path)).stdout
        out["hub pending"] = self.hub_cli("hub", "pending", "--hub", hub.url)
        for party in self.nodes:
            out[f"hub admit {party}"] = self.hub_cli("hub", "admit", "--party", party, "--yes",
                                                     "--hub", hub.url)
        out["hub pending after"] = self.hub_cli("hub", "pending", "--hub", hub.url)
        self.up()

    def close(self) -> None:
        """Stop every process and drop every database."""
        try:
            for node in self.nodes.values():
                node.terminate()  # all at once: each takes a moment to stop
            for node in self.nodes.values():
                node.close()
            for front in self.fronts.values():
                front.__exit__(None, None, None)
            self.hub.close()
        finally:
            self.databases.drop()

    # -- parties -----------------------------------------------------------------------------

    def register(self, *parties: str) -> dict[str, SigningKey]:
        """Register parties without a node: a key each, its registration countersigned by the
        secretariat and submitted to the hub. Their keys (also in :attr:`keys`)."""
        sec = self.hub.secretariat_key()
        made: dict[str, SigningKey] = {}
        with HubClient(self.hub.url) as client:
            for party in parties:
                key = SigningKey.generate(party)
                client.submit(registration_request(key, party, datetime.now(UTC))
                              .countersigned(sec).raw)
                made[party] = key
        self.keys.update(made)
        return made

    def client(self, party: str) -> HubClient:
        """A HubClient signing as ``party`` (with its node's key, or the one it registered
        with); the caller closes it."""
        key = self.nodes[party].key() if party in self.nodes else self.keys[party]
        return HubClient(self.hub.url, party=party, key=key)

    def hub_cli(self, *args: str) -> str:
        """``gulfsec ARGS`` with the hub's settings (in-process); its standard output."""
        return self.hub.cli(*args).stdout

    # -- the processes -----------------------------------------------------------------------

    def up(self) -> None:
        """Start every node that is not running (all at once), and wait until each answers."""
        stopped = [node for node in self.nodes.values() if not node.running]
        for node in stopped:
            node.launch()
        for node in stopped:
            node.wait_ready()

    def statuses(self) -> str:
        lines = [f"hub size {self.hub.size()}"]
        for node in self.nodes.values():
            lines.append(f"{node.party}: {node.status() if node.running else 'stopped'}")
        return "\n".join(lines)

    def describe(self) -> str:
        """The statuses and each node's log tail, for a failure message."""
        tails = "\n".join(f"--- {n.party} log:\n{n.log_tail(1500)}" for n in self.nodes.values())
        return f"{self.statuses()}\n{tails}"

    def settle(self, timeout: float = 45.0) -> int:
        """Wait until the log is quiet: every running node holds all of it, final, and has
        nothing left to send, and stays so through a whole sync round of its own (a node
        acknowledges what became final at the end of a round); no node raised an alarm.
        Returns the log's size."""
        running = [n for n in self.nodes.values() if n.running]
        seen: dict[str, Any] = {}
        """The size and each node's last sync when the log was first seen quiet."""

        def quiet() -> int | None:
            size = self.hub.size()
            for node in running:
                status = node.status()
                if (status["size"], status["final_size"], status["outbox_pending"]) != (
                        size, size, 0):
                    return None
            return size if self.hub.size() == size else None

        def quiet_for_a_round() -> int | None:
            size = quiet()
            if size is None:
                seen.clear()
                return None
            syncs = {node.party: node.status()["last_sync"] for node in running}
            if seen.get("size") != size:
                seen.update(size=size, syncs=syncs)
                return None
            done = all(syncs[party] != seen["syncs"][party] for party in syncs)
            return size if done else None

        size = int(wait_until(quiet_for_a_round, timeout, "the network to settle",
                              self.describe))
        for node in running:
            assert node.get("/v1/alarms")["alarms"] == [], (node.party, node.get("/v1/alarms"))
        return size
