"""Hubs' and nodes' apps in this process: node networks on the test's clock, a browser-ish
client for the pages, and the demo's served network for the real browser.

- :func:`start_nodes` runs the personas' nodes (IRN, RUS, SAU and QAT by default: four
  witnesses, so the regime's quorum of three is reachable) beside the test's hub, over its app,
  each with a database of its own (:mod:`support.databases`), on the test's manual clock;
  :meth:`NodeNet.settle` syncs them until nothing moves. :meth:`NodeNet.close` closes them.
- :class:`Browser` wraps a TestClient on a node's or the hub's app and signs in the way a
  person does: it reads the sign-in form, then posts it back. :func:`node_browser` makes one on
  a node's app; :func:`text_of` and :func:`csrf_of` read a page.
- :func:`served_demo` serves ``gulfsec demo``'s network (a hub and a node per party on
  uvicorn threads) on a block of reserved ports (:mod:`support.ports`), for the browser tests.
- :data:`TestClient` is Starlette's, imported without its warning about httpx.
"""

from __future__ import annotations

import html
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    # Starlette 1.10 would rather its TestClient ran on httpx2; the project (and HubClient)
    # use httpx, which the TestClient still supports. Only this import's warning is ignored.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

from gulfsec.adapters.clock import ManualClock
from gulfsec.adapters.hubclient import HubClient
from gulfsec.adapters.storage.engine import create_db_engine
from gulfsec.adapters.storage.migrate import migrate
from gulfsec.bootstrap import build_node_app
from gulfsec.demo import Network, start_network
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import Regime
from gulfsec.services.hub import Hub
from gulfsec.services.node import Node
from gulfsec.services.shared.accounts import create_account

from .databases import Databases
from .ports import reserve_block

NODES = ("IRN", "RUS", "SAU", "QAT")
PASSWORD = "correct horse battery"
BASE_URL = "http://testserver"

__all__ = ["BASE_URL", "NODES", "PASSWORD", "Browser", "NodeNet", "TestClient", "add_user",
           "csrf_of", "node_browser", "served_demo", "start_nodes",
           "text_of"]


# -- nodes -------------------------------------------------------------------------------------


@dataclass
class NodeNet:
    """Nodes in this process beside a hub in this process, synced only when a test says so."""

    hub: Hub
    nodes: dict[str, Node]

    def settle(self, rounds: int = 30, *, only: Iterable[str] | None = None) -> None:
        """Sync every node (or the ``only`` ones) in turn until a whole round changes nothing
        and the hub's log is final; no sync may fail or raise an alarm."""
        syncing = [self.nodes[p] for p in (self.nodes if only is None else only)]
        for _ in range(rounds):
            busy = False
            for node in syncing:
                report = node.sync_once()
                assert node.last_error is None, node.last_error
                assert report.alarms == [], report.alarms
                busy = busy or bool(report.new_leaves or report.new_entries
                                    or report.acknowledged or report.newly_final
                                    or report.cosigned is not None)
            if not busy and self.hub.state.finality.final_size == self.hub.state.size:
                return
        raise AssertionError(f"no quiet round after {rounds} rounds")

    def close(self) -> None:
        for node in self.nodes.values():
            node.close()


def start_nodes(hub: Hub, as_party: Callable[..., HubClient], party_keys: dict[str, SigningKey],
                clock: ManualClock, regime: Regime, log_key: SigningKey, dbs: Databases,
                parties: Iterable[str] = NODES) -> NodeNet:
    """Loaded nodes for ``parties``, each over a new database from ``dbs`` and talking to the
    hub through ``as_party`` (the ``as_party`` fixture: the hub app's own transport)."""
    net = NodeNet(hub, {})
    try:
        for party in parties:
            engine = create_db_engine(dbs.new(f"node_{party.lower()}"))
            migrate(engine, "node")
            node = Node(regime, engine, party, party_keys[party], as_party(party),
                        log_key.verifier, clock)
            net.nodes[party] = node
            node.load()
    except BaseException:
        net.close()
        raise
    return net


# -- a browser ---------------------------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_SIGNIN = re.compile(r'name="signin_token" value="([^"]+)"')


def csrf_of(page: str) -> str:
    found = _CSRF.search(page)
    assert found is not None, "no CSRF token in the page"
    return html.unescape(found.group(1))


def text_of(page: str) -> str:
    """The page's text, tags removed and whitespace squeezed (to look for sentences)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


class Browser:
    """A TestClient that keeps cookies and follows no redirect unless asked."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.client.get(url, follow_redirects=False, **kw)

    def post(self, url: str, data: Any, **kw: Any) -> httpx.Response:
        """POST a form: a mapping, or (name, value) pairs (a name may repeat)."""
        if not isinstance(data, dict):
            pairs: dict[str, list[str]] = {}
            for name, value in data:
                pairs.setdefault(name, []).append(value)
            data = pairs
        return self.client.post(url, data=data, follow_redirects=False, **kw)

    def sign_in(self, name: str, password: str = PASSWORD,
                next_path: str | None = None) -> httpx.Response:
        form = self.get("/sign-in", params={"next": next_path} if next_path else None)
        assert form.status_code == 200, form.text
        token = _SIGNIN.search(form.text)
        assert token is not None
        data = {"signin_token": html.unescape(token.group(1)), "name": name,
                "password": password, "next": next_path or ""}
        return self.post("/sign-in", data)

    def csrf(self, url: str = "/inbox") -> str:
        return csrf_of(self.get(url).text)


def node_browser(node: Node) -> Browser:
    """A browser on the node's pages (the app's sync loop off: tests sync when they mean to)."""
    app = build_node_app(node, run_sync=False)
    return Browser(TestClient(app, base_url=BASE_URL))


def add_user(engine: sa.Engine | None, name: str, role: str) -> None:
    """An account with :data:`PASSWORD` on the node's or hub's database."""
    assert engine is not None
    create_account(engine, name, PASSWORD, role)


# -- the demo's network, served ----------------------------------------------------------------


@contextmanager
def served_demo(directory: Path, parties: Sequence[str]) -> Iterator[Network]:
    """``gulfsec demo``'s network for ``parties``, served on loopback, syncing in the
    background: the hub on the first port of a reserved block and node ``i`` on the
    ``1 + i``-th, as :func:`gulfsec.demo.start_network` binds them. Stopped at the end."""
    net = start_network(directory, parties, port=reserve_block(1 + len(parties)))
    try:
        yield net
    finally:
        net.stop()
