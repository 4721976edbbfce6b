"""The secretariat's early-warning pages on the hub: the tension heat map and alerts, a pair's
plot with the events behind it, and the possible un-notified activities with their "explained"
form — over a news store filled from ``tests/data/news/history.jsonl`` by the services' ingest.

Personas: sami, the secretariat's account, reads everything; the public is sent to sign in.
The hub's log holds no activity notification, so every report of a participant's military
activity in the news is a possible un-notified one.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.inprocess import BASE_URL, PASSWORD, Browser, TestClient, csrf_of, text_of

from gulfsec.adapters.feeds import read_source
from gulfsec.bootstrap import LazyNewsStore, build_hub_app
from gulfsec.services.hub import Hub
from gulfsec.services.news import ingest
from gulfsec.services.shared.accounts import create_account

HISTORY = Path(__file__).parents[1] / "data" / "news" / "history.jsonl"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def news(tmp_path: Path) -> Iterator[LazyNewsStore]:
    source = LazyNewsStore(None, tmp_path / "news.db")
    yield source
    source.close()


@pytest.fixture
def filled(news: LazyNewsStore) -> LazyNewsStore:
    news.url = f"sqlite:///{news.path}"
    store = news()
    assert store is not None
    ingest(store, read_source(str(HISTORY)), datetime(2024, 1, 1, tzinfo=UTC))
    return news


def _client(hub: Hub, news: LazyNewsStore) -> Iterator[TestClient]:
    with TestClient(build_hub_app(hub, manage_lifecycle=False, news=news),
                    base_url=BASE_URL) as client:
        yield client


@pytest.fixture
def staff(hub: Hub, filled: LazyNewsStore) -> Iterator[Browser]:
    create_account(hub.engine, "sami", PASSWORD, "secretariat")
    for client in _client(hub, filled):
        browser = Browser(client)
        assert browser.sign_in("sami").status_code == 303
        yield browser


def _svg(page: str, ident: str) -> ET.Element:
    found = re.search(rf'<svg [^>]*id="{ident}".*?</svg>', page, re.S)
    assert found is not None, f"no SVG {ident}"
    return ET.fromstring(found.group(0))


def _titles(svg: ET.Element) -> list[str]:
    return [t.text or "" for t in svg.iter(f"{SVG}title")]


def _headings_walk(page: str) -> None:
    levels = [int(level) for level in re.findall(r"<h([1-6])[\s>]", page)]
    assert levels.count(1) == 1 and levels[0] == 1, levels
    for before, after in zip(levels, levels[1:], strict=False):
        assert after <= before + 1, levels


def test_the_public_is_sent_to_sign_in(hub: Hub, filled: LazyNewsStore) -> None:
    for client in _client(hub, filled):
        public = Browser(client)
        for path in ("/secretariat/news", "/secretariat/news/pair/IRN-SAU",
                     "/secretariat/news/unnotified"):
            answer = public.get(path)
            assert answer.status_code == 303
            assert answer.headers["location"].startswith("/sign-in")
        assert public.post("/secretariat/news/unnotified/news-1/explain",
                           {"reason": "x"}).status_code in (303, 403)


def test_without_a_news_store_the_pages_say_how_to_fill_one(hub: Hub,
                                                            news: LazyNewsStore) -> None:
    create_account(hub.engine, "sami", PASSWORD, "secretariat")
    for client in _client(hub, news):
        browser = Browser(client)
        assert browser.sign_in("sami").status_code == 303
        for path in ("/secretariat/news", "/secretariat/news/pair/IRN-SAU",
                     "/secretariat/news/unnotified"):
            page = browser.get(path)
            assert page.status_code == 200
            assert "gulfsec news ingest" in page.text
            _headings_walk(page.text)
    assert news.path is not None and not news.path.exists()  # nothing created by a visit


def test_the_heat_map_shows_every_participant_pair_with_a_table_and_the_alerts(
        staff: Browser) -> None:
    page = staff.get("/secretariat/news")
    assert page.status_code == 200, page.text
    _headings_walk(page.text)
    svg = _svg(page.text, "tension-heat-map")
    titles = _titles(svg)
    latest = re.search(r"Heat map, (\S+)</h2>", page.text)
    assert latest is not None
    assert any(t.startswith("IRN\u2013SAU, " + latest.group(1) + ": index") for t in titles)
    assert any(a.get("href") == "/secretariat/news/pair/IRN-SAU" for a in svg.iter(f"{SVG}a"))
    assert 'id="tension-table"' in page.text
    assert 'id="news-alerts"' in page.text
    text = text_of(page.text)
    alerts = text[text.index("Alerts"):]
    assert "IRN–SAU" in alerts and "2016-01" in alerts
    assert 'id="nav-news"' in page.text


def test_a_pairs_page_plots_its_index_and_lists_the_events_behind_each_period(
        staff: Browser) -> None:
    page = staff.get("/secretariat/news/pair/SAU-IRN")
    assert page.status_code == 200, page.text
    _headings_walk(page.text)
    svg = _svg(page.text, "tension-plot")
    titles = _titles(svg)
    assert titles[0] == "Tension index of IRN\u2013SAU"
    assert any(t.startswith("IRN\u2013SAU, 2016-01: index") for t in titles)
    assert 'id="period-2016-01"' in page.text
    section = page.text[page.text.index('id="period-2016-01"'):]
    section = section[:section.index("</section>")]
    assert "<blockquote>" in section and "2016-01-" in section
    assert staff.get("/secretariat/news/pair/nonsense").status_code == 404


def test_an_unnotified_activity_can_be_explained_and_the_reason_is_kept(
        staff: Browser) -> None:
    page = staff.get("/secretariat/news/unnotified")
    assert page.status_code == 200, page.text
    _headings_walk(page.text)
    ids = re.findall(r'<section class="news-finding" id="finding-(news-[0-9]+)"', page.text)
    assert ids, "no possible un-notified activity in the history"
    assert "The search made" in page.text
    first = ids[0]
    token = csrf_of(page.text)
    empty = staff.post(f"/secretariat/news/unnotified/{first}/explain",
                       {"csrf_token": token, "reason": "  "})
    assert empty.status_code == 422
    assert 'aria-invalid="true"' in empty.text
    forged = staff.post(f"/secretariat/news/unnotified/{first}/explain",
                        {"csrf_token": "wrong", "reason": "Notified after all."})
    assert forged.status_code == 403
    done = staff.post(f"/secretariat/news/unnotified/{first}/explain",
                      {"csrf_token": token, "reason": "Notified by entry 7 after all."})
    assert done.status_code == 303
    after = staff.get(done.headers["location"].split("#")[0])
    assert "The explanation of " + first + " is recorded" in after.text
    assert "Explained: Notified by entry 7 after all." in after.text
    unknown = staff.post("/secretariat/news/unnotified/news-999999/explain",
                         {"csrf_token": token, "reason": "whatever"})
    assert unknown.status_code == 404
