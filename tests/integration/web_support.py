"""Helpers for the web pages' tests: nodes in-process beside the test hub, and a browser-ish client.

``NodeNet`` runs the personas' nodes (IRN, RUS, SAU and QAT: four witnesses, so the regime's
quorum of three is reachable) in this process over the hub's app, each with a database of its
own, on the test's manual clock. ``Browser`` wraps a TestClient on a node's or the hub's app and
signs in the way a person does: it reads the sign-in form, then posts it back.
"""

from __future__ import annotations

import html
import re
import uuid
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

from gulfsec.adapters.clock import ManualClock
from gulfsec.adapters.hubclient import HubClient
from gulfsec.adapters.storage.engine import create_db_engine
from gulfsec.adapters.storage.migrate import migrate
from gulfsec.bootstrap import build_node_app
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import Regime
from gulfsec.services.hub import Hub
from gulfsec.services.node import Node
from gulfsec.services.shared.accounts import create_account

NODES = ("IRN", "RUS", "SAU", "QAT")
PASSWORD = "correct horse battery"


# -- databases ---------------------------------------------------------------------------------


@dataclass
class Databases:
    """Extra databases beside the test's own: SQLite files, or PostgreSQL databases to drop."""

    database_url: str
    directory: Path
    created: list[str] = field(default_factory=list)

    def new(self, name: str) -> str:
        if self.database_url.startswith("sqlite"):
            return f"sqlite:///{self.directory}/{name}.db"
        base = sa.make_url(self.database_url)
        db = f"{base.database}_{name}_{uuid.uuid4().hex[:6]}"
        admin = sa.create_engine(self.database_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{db}"'))
        finally:
            admin.dispose()
        self.created.append(db)
        return base.set(database=db).render_as_string(hide_password=False)

    def drop(self) -> None:
        if not self.created:
            return
        admin = sa.create_engine(self.database_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                for db in self.created:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        finally:
            admin.dispose()


# -- nodes -------------------------------------------------------------------------------------


@dataclass
class NodeNet:
    hub: Hub
    nodes: dict[str, Node]

    def settle(self, rounds: int = 30) -> None:
        """Sync every node in turn until a whole round changes nothing."""
        for _ in range(rounds):
            busy = False
            for node in self.nodes.values():
                report = node.sync_once()
                assert node.last_error is None, node.last_error
                busy = busy or bool(report.new_leaves or report.new_entries
                                    or report.acknowledged or report.newly_final
                                    or report.cosigned is not None)
            if not busy and self.hub.state.finality.final_size == self.hub.state.size:
                return
        raise AssertionError(f"no quiet round after {rounds} rounds")

    def close(self) -> None:
        for node in self.nodes.values():
            node.client.close()
            node.engine.dispose()


def start_nodes(hub: Hub, as_party: Callable[..., HubClient], party_keys: dict[str, SigningKey],
                clock: ManualClock, regime: Regime, log_key: SigningKey, dbs: Databases,
                parties: Iterable[str] = NODES) -> NodeNet:
    nodes: dict[str, Node] = {}
    for party in parties:
        engine = create_db_engine(dbs.new(f"node_{party.lower()}"))
        migrate(engine, "node")
        node = Node(regime, engine, party, party_keys[party], as_party(party), log_key.verifier,
                    clock)
        node.load()
        nodes[party] = node
    return NodeNet(hub, nodes)


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
    app = build_node_app(node, run_sync=False)
    return Browser(TestClient(app, base_url="http://testserver"))


def add_user(engine: sa.Engine, name: str, role: str) -> None:
    create_account(engine, name, PASSWORD, role)


__all__ = ["Browser", "Databases", "NodeNet", "PASSWORD", "add_user", "csrf_of",
           "node_browser", "pytest", "start_nodes", "text_of"]
