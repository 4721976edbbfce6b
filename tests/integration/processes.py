"""Real participant nodes in their own processes, each over a fresh database of its own.

``NodeProcess`` serves one party's node with the installed ``gulfsec node serve`` on a free
loopback port, with its own data directory, database and a clean ``GULFSEC_*`` environment.
Short commands (``node init``, ``node sync``, ``verify``...) run the same click command line
in-process with that environment (:func:`gulfsec_in_process`), as ``test_cli.py`` does, which
spares a Python start for each; :meth:`NodeProcess.cli_process` runs the console script.
``fresh_database`` makes the extra databases such a network needs: a SQLite file, or a new
PostgreSQL database on the test server (the same way the ``database_url`` fixture in
``tests/conftest.py`` does), dropped again by :meth:`Database.drop`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from hub_process import PASSPHRASE, clean_env, free_port, gulfsec_command

from gulfsec.adapters import keystore
from gulfsec.adapters.storage.engine import create_db_engine
from gulfsec.cli.main import cli
from gulfsec.domain.keys import SigningKey

PG_URL = os.environ.get(
    "GULFSEC_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


# -- databases ---------------------------------------------------------------------------------


@dataclass
class Database:
    """One process's database; ``pg_name`` is set when it is a PostgreSQL database to drop."""

    url: str
    pg_name: str | None = None

    def engine(self) -> sa.Engine:
        return create_db_engine(self.url)

    def drop(self) -> None:
        if self.pg_name is None:
            return
        admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)'))
        finally:
            admin.dispose()


def fresh_database(kind: str, directory: Path, name: str) -> Database:
    """An empty database for one process: ``kind`` is ``sqlite`` or ``postgres``."""
    if kind == "sqlite":
        directory.mkdir(parents=True, exist_ok=True)
        return Database(f"sqlite:///{directory / f'{name}.db'}")
    pg_name = f"gulfsec_t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{pg_name}"'))
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {PG_URL}: {exc.__class__.__name__} "
                    "(start it, or set GULFSEC_TEST_PG_URL)")
    finally:
        admin.dispose()
    url = sa.make_url(PG_URL).set(database=pg_name).render_as_string(hide_password=False)
    return Database(url, pg_name)


# -- the command line in-process --------------------------------------------------------------


def gulfsec_in_process(env: Mapping[str, str], *args: str, check: bool = True) -> Result:
    """``gulfsec ARGS`` through click, with exactly the ``GULFSEC_*`` settings in ``env``."""
    settings: dict[str, str | None] = {
        name: None for name in os.environ if name.upper().startswith("GULFSEC_")}
    settings.update({k: v for k, v in env.items() if k.upper().startswith("GULFSEC_")})
    result = CliRunner(env=settings).invoke(cli, list(args), prog_name="gulfsec")
    if check and result.exit_code != 0:
        raise AssertionError(f"gulfsec {' '.join(args)} exited {result.exit_code}:\n"
                             f"{result.output}\n{result.exception!r}")
    return result


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


# -- nodes -------------------------------------------------------------------------------------


class NodeProcess:
    """One party's node: a data directory and a database, served by ``gulfsec node serve``."""

    def __init__(self, party: str, data_dir: Path, database: Database, *,
                 sync_interval_ms: int = 250) -> None:
        self.party = party
        self.data_dir = data_dir
        self.database = database
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir.parent / f"{data_dir.name}-serve.log"
        self.peers: Sequence[str] = ()
        self.sync_interval_ms = sync_interval_ms
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._http = httpx.Client(base_url=self.url, timeout=10.0)

    @property
    def env(self) -> dict[str, str]:
        return clean_env(
            GULFSEC_DATA_DIR=str(self.data_dir),
            GULFSEC_DATABASE_URL=self.database.url,
            GULFSEC_PASSPHRASE=PASSPHRASE,
            GULFSEC_SYNC_INTERVAL_MS=str(self.sync_interval_ms),
            GULFSEC_PEERS=",".join(self.peers),
            GULFSEC_LOG_LEVEL="warning",
        )

    # -- the command line ------------------------------------------------------------------

    def cli(self, *args: str, check: bool = True) -> Result:
        """``gulfsec ARGS`` with this node's settings, in-process."""
        return gulfsec_in_process(self.env, *args, check=check)

    def cli_process(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """``gulfsec ARGS`` run as the console script, with this node's environment."""
        done = subprocess.run([*gulfsec_command(), *args], env=self.env, capture_output=True,
                              text=True, timeout=120, check=False)
        if check and done.returncode != 0:
            raise AssertionError(f"{self.party}: gulfsec {' '.join(args)} exited "
                                 f"{done.returncode}:\n{done.stdout}{done.stderr}")
        return done

    # -- keys and database -----------------------------------------------------------------

    @property
    def key_path(self) -> Path:
        return self.data_dir / "keys" / f"{self.party}.key"

    def key(self) -> SigningKey:
        name, seed = keystore.load_key(self.key_path, PASSPHRASE)
        return SigningKey(name, seed)

    # -- the server ------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def launch(self) -> None:
        """Start ``gulfsec node serve`` without waiting (see :meth:`wait_ready`)."""
        assert self._proc is None, f"{self.party}'s node is already running"
        self._log = self.log_path.open("ab")
        self._proc = subprocess.Popen(
            [*gulfsec_command(), "node", "serve", "--port", str(self.port)],
            env=self.env, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 30.0) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + timeout
        while True:
            if self._proc.poll() is not None:
                self._reap()
                raise AssertionError(f"{self.party}'s node exited at start:\n{self.log_tail()}")
            try:
                if self._http.get("/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"{self.party}'s node did not answer in {timeout}s:\n"
                                     f"{self.log_tail()}")
            time.sleep(0.05)

    def start(self) -> None:
        self.launch()
        self.wait_ready()

    def kill(self) -> None:
        """SIGKILL: whatever the node was doing stops there."""
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
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        self._reap()

    def close(self) -> None:
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

    # -- its HTTP API ----------------------------------------------------------------------

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
