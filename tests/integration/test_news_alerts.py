"""The secretariat's early-warning alerts reach the parties they concern: the hub gives each
party the alerts of the pairs that include it (a signed answer), and its node's page shows them.

Personas: the secretariat reads the dated news of tests/data/news/history.jsonl; IRN sees the
IRN–SAU rise of January 2016, QAT the alerts of June 2017, and neither sees the other's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.inprocess import NodeNet, TestClient, add_user, node_browser, text_of

from gulfsec.adapters.feeds import read_source
from gulfsec.bootstrap import LazyNewsStore
from gulfsec.services.news import ingest

HISTORY = Path(__file__).parents[1] / "data" / "news" / "history.jsonl"


@pytest.fixture
def news(api: TestClient, tmp_path: Path) -> LazyNewsStore:
    source = LazyNewsStore(f"sqlite:///{tmp_path / 'news.db'}", tmp_path / "news.db")
    store = source()
    assert store is not None
    ingest(store, read_source(str(HISTORY)), datetime(2024, 1, 1, tzinfo=UTC))
    api.app.state.news = source  # as build_hub_app gives it the hub's news store
    return source


def test_each_party_gets_the_alerts_of_its_own_pairs_and_its_node_shows_them(
        news: LazyNewsStore, make_net: Callable[..., NodeNet]) -> None:
    net = make_net(["IRN", "QAT"])
    irn, qat = net.nodes["IRN"], net.nodes["QAT"]
    mine = irn.core.client.news_alerts()
    assert mine and all("IRN" in a["pair"].split("-") for a in mine)
    assert any(a["pair"] == "IRN-SAU" and a["period"] == "2016-01" for a in mine)
    theirs = qat.core.client.news_alerts()
    assert any(a["pair"] == "QAT-SAU" and a["period"] == "2017-06" for a in theirs)
    assert all("QAT" in a["pair"].split("-") for a in theirs)

    add_user(irn.engine, "leila", "viewer")
    browser = node_browser(irn)
    browser.sign_in("leila")
    page = browser.get("/early-warning")
    assert page.status_code == 200
    assert 'id="alert-IRN-SAU-2016-01"' in page.text
    assert "QAT-SAU" not in text_of(page.text)
    news.close()


def test_a_hub_without_news_says_so_on_the_node(make_net: Callable[..., NodeNet]) -> None:
    net = make_net(["IRN"])
    add_user(net.nodes["IRN"].engine, "leila", "viewer")
    browser = node_browser(net.nodes["IRN"])
    browser.sign_in("leila")
    page = browser.get("/early-warning")
    assert page.status_code == 200
    assert "no news store yet" in page.text
