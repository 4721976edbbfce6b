"""A hub served over loopback in the test's process, and one clock for the hub, the nodes and
every command (held still by time_machine): what the CLI tests share.

Import the fixtures into a test module (``from support.served import clock, hub_url``); they
build on the ``clock`` and ``hub`` fixtures of ``tests/conftest.py``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
import uvicorn

from gulfsec.adapters.clock import ManualClock
from gulfsec.bootstrap import build_hub_app
from gulfsec.services.hub import Hub
from support.ports import reserve_port


class TravellingClock(ManualClock):
    """The system's clock, held still by time_machine: what ``advance`` moves is what the hub,
    the nodes and every command read."""

    def __init__(self, traveller: time_machine.Coordinates) -> None:
        super().__init__(datetime.now(UTC))
        self.traveller = traveller

    def now(self) -> datetime:
        return datetime.now(UTC)

    def advance(self, delta: timedelta) -> None:
        self.traveller.shift(delta)


@pytest.fixture
def clock(clock: ManualClock) -> Iterator[ManualClock]:
    """The test's clock (its start), now everyone's."""
    with time_machine.travel(clock.now(), tick=False) as traveller:
        yield TravellingClock(traveller)


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # not the main thread
        pass


@contextmanager
def served(app: Any, name: str = "served-hub") -> Iterator[str]:
    """``app`` served over loopback while the block runs: its base URL."""
    port = reserve_port()
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                    access_log=False))
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the app did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def hub_url(hub: Hub) -> Iterator[str]:
    """The test's hub served over loopback, as ``gulfsec hub serve`` serves it."""
    with served(build_hub_app(hub, manage_lifecycle=False)) as url:
        yield url
