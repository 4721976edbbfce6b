"""A real hub in its own process, for the crash and CLI tests.

``HubProcess`` runs the installed ``gulfsec`` command: ``hub init`` once, then ``hub serve`` on a
free loopback port, with its own data directory and the test's database. Everything it needs
comes from a clean ``GULFSEC_*`` environment, so a developer's settings never leak in.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx

from gulfsec.config import load_settings
from gulfsec.domain.keys import SigningKey, VerifierKey
from gulfsec.services.hub.setup import load_secretariat_key

PASSPHRASE = "integration-test-passphrase"


def free_port() -> int:
    """A loopback TCP port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


class HubProcess:
    """One hub: a data directory and a database, served by a ``gulfsec hub serve`` process."""

    def __init__(self, data_dir: Path, database_url: str, *, batch_delay_ms: int = 10) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir.parent / f"{data_dir.name}-serve.log"
        self.env = clean_env(
            GULFSEC_DATA_DIR=str(data_dir),
            GULFSEC_DATABASE_URL=database_url,
            GULFSEC_PASSPHRASE=PASSPHRASE,
            GULFSEC_BATCH_DELAY_MS=str(batch_delay_ms),
            GULFSEC_LOG_LEVEL="warning",
        )
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    # -- the command line ------------------------------------------------------------------

    def cli(self, *args: str, check: bool = True,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``gulfsec ARGS`` with this hub's environment."""
        done = subprocess.run([*gulfsec_command(), *args], env=self.env, capture_output=True,
                              text=True, input=input, timeout=60, check=False)
        if check and done.returncode != 0:
            raise AssertionError(f"gulfsec {' '.join(args)} exited {done.returncode}:\n"
                                 f"{done.stdout}{done.stderr}")
        return done

    def init(self) -> subprocess.CompletedProcess[str]:
        return self.cli("hub", "init")

    # -- keys ------------------------------------------------------------------------------

    @property
    def log_vkey_path(self) -> Path:
        return self.data_dir / "log.vkey"

    @property
    def log_key(self) -> VerifierKey:
        return VerifierKey.parse(self.log_vkey_path.read_text().strip())

    def secretariat_key(self) -> SigningKey:
        return load_secretariat_key(load_settings(data_dir=self.data_dir, passphrase=PASSPHRASE,
                                                  env="test"))

    # -- the server ------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 30.0) -> None:
        """Start ``gulfsec hub serve`` and wait until ``/healthz`` answers."""
        assert self._proc is None, "the hub is already running"
        self._log = self.log_path.open("ab")
        self._proc = subprocess.Popen(
            [*gulfsec_command(), "hub", "serve", "--port", str(self.port)],
            env=self.env, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=1.0) as http:
            while True:
                if self._proc.poll() is not None:
                    self._reap()
                    raise AssertionError(f"the hub exited at start:\n{self.log_tail()}")
                try:
                    if http.get(f"{self.url}/healthz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    self.kill()
                    raise AssertionError(f"the hub did not answer in {timeout}s:\n"
                                         f"{self.log_tail()}")
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no flush, nothing runs after this."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGKILL)
        self._proc.wait(timeout=30)
        self._reap()

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
                self._proc.wait(timeout=15)
        self._reap()

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
