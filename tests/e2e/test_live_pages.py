"""Pages that follow the node's state, in a real browser: an entry's page and the inbox change
on their own, without a reload, as the node's state changes (server-sent events).

One network serves the module, as in ``test_pages``: a hub and the nodes of Iran, Russia, Qatar
and Saudi Arabia on loopback, syncing in the background. IRN's officer keeps a page open; RUS
writes to IRN.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from support.inprocess import served_demo

from gulfsec.demo import DEMO_PASSWORD, Network
from gulfsec.services.node.views import STATE_WORDS

pytestmark = pytest.mark.slow
PARTIES = ("IRN", "RUS", "QAT", "SAU")
WAIT_MS = 45_000


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    with served_demo(tmp_path_factory.mktemp("e2e-live") / "net", PARTIES) as net:
        yield net


def sign_in(page: Any, url: str) -> None:
    page.goto(url + "/inbox")
    page.fill("#name", "officer")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#sign-in-button")
    page.wait_for_url("**/inbox")


def watch_requests(page: Any) -> list[str]:
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    return asked


def test_an_entrys_page_shows_it_become_final_without_a_reload(page: Any,
                                                               network: Network) -> None:
    irn, url = network.nodes["IRN"], network.node_urls["IRN"]
    sign_in(page, url)
    asked = watch_requests(page)
    with irn.core.lock:  # IRN's node does not sync meanwhile: the page opens before it learns
        signed = irn.send("message@1", ("RUS",), {"subject": "Watched as it becomes final",
                                                  "text": "Sent while its page is open."})
        page.goto(f"{url}/entries/{signed.id_hex}?sent=1")
        before = page.inner_text("#entry-state")
        assert before in {STATE_WORDS["pending"], STATE_WORDS["sequenced"]}, before
        page.evaluate("window.gulfsecNotReloaded = true")
    done = f"^({re.escape(STATE_WORDS['final'])}|{re.escape(STATE_WORDS['acknowledged'])})$"
    expect(page.locator("#entry-state")).to_have_text(re.compile(done), timeout=WAIT_MS)
    assert page.evaluate("window.gulfsecNotReloaded === true")
    assert "Final (the time that counts)" in page.inner_text("#entry-meta")
    expect(page.locator("#entry-status")).to_have_text(re.compile(r"^Updated at .+\.$"))
    assert page.locator("#entry-status[aria-live='polite']").count() == 1
    assert any(u.endswith("/events") for u in asked), asked
    assert not any("/inbox/updates.json" in u for u in asked)  # no polling


def test_the_inbox_shows_an_arriving_entry_without_a_reload(page: Any,
                                                            network: Network) -> None:
    sign_in(page, network.node_urls["IRN"])
    asked = watch_requests(page)
    page.evaluate("window.gulfsecNotReloaded = true")
    subject = "Arrives while the inbox is open"
    assert page.locator("#inbox-rows tr", has_text=subject).count() == 0
    network.nodes["RUS"].send("message@1", ("IRN",), {"subject": subject,
                                                       "text": "Russia writes to Iran."})
    expect(page.locator("#inbox-rows tr", has_text=subject)).to_have_count(1, timeout=WAIT_MS)
    assert page.evaluate("window.gulfsecNotReloaded === true")
    expect(page.locator("#inbox-status")).to_contain_text("New entries have arrived.")
    assert not any("/inbox/updates.json" in u for u in asked)  # no polling


def test_a_browser_without_event_source_asks_every_ten_seconds_instead(
        browser: Any, network: Network) -> None:
    context = browser.new_context()
    context.add_init_script("delete window.EventSource;")
    try:
        page = context.new_page()
        sign_in(page, network.node_urls["IRN"])
        asked = watch_requests(page)
        subject = "Arrives while an older browser has the inbox open"
        network.nodes["RUS"].send("message@1", ("IRN",), {"subject": subject,
                                                           "text": "Asked for, not pushed."})
        expect(page.locator("#inbox-rows tr", has_text=subject)).to_have_count(
            1, timeout=WAIT_MS)
        assert any("/inbox/updates.json" in u for u in asked)
        assert not any(u.endswith("/events") for u in asked)
    finally:
        context.close()
