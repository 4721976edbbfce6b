"""The secretariat's early-warning pages in a real browser: the tension heat map and a pair's
plot are drawn (SVG with a size on the page, not only markup), each cell and point leading on.

Persona: sami, the secretariat's account, over a news store filled from
``tests/data/news/history.jsonl``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from support.inprocess import PASSWORD
from support.served import served

from gulfsec.adapters.feeds import read_source
from gulfsec.bootstrap import LazyNewsStore, build_hub_app
from gulfsec.services.hub import Hub
from gulfsec.services.news import ingest
from gulfsec.services.shared.accounts import create_account

HISTORY = Path(__file__).parents[1] / "data" / "news" / "history.jsonl"
SHOTS = os.environ.get("GULFSEC_SCREENSHOTS")


@pytest.fixture
def hub_url(hub: Hub, tmp_path: Path) -> Iterator[str]:
    news = LazyNewsStore(f"sqlite:///{tmp_path / 'news.db'}", tmp_path / "news.db")
    store = news()
    assert store is not None
    ingest(store, read_source(str(HISTORY)), datetime(2024, 1, 1, tzinfo=UTC))
    create_account(hub.engine, "sami", PASSWORD, "secretariat")
    try:
        with served(build_hub_app(hub, manage_lifecycle=False, news=news)) as url:
            yield url
    finally:
        news.close()


def test_the_heat_map_and_a_pairs_plot_are_drawn_and_lead_to_the_events(
        page: Any, hub_url: str) -> None:
    page.goto(hub_url + "/secretariat/news")
    page.fill("#name", "sami")
    page.fill("#password", PASSWORD)
    page.click("#sign-in-button")
    page.wait_for_url("**/secretariat/news")
    heat = page.locator("svg").first
    box = heat.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 200, box
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "news-heatmap.png"))
    page.goto(hub_url + "/secretariat/news/pair/IRN-SAU")
    plot = page.locator("svg").first
    box = plot.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 100, box
    assert "2016-01" in page.inner_text("main")
    assert page.locator("svg a").count() > 0  # each point leads to its period's events
