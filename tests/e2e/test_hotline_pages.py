"""The hotline, clicked through in a real browser (Debian's Chromium, driven by Playwright).

A hub and the nodes of Iran and Saudi Arabia on loopback, syncing in the background as in
``gulfsec demo``, on the real clock; each node registers its hotline encryption key on its first
sync. Iran's officer sends a FLASH message to Saudi Arabia from the hotline page; Saudi Arabia's
officer sees the unread count in the header of every page, opens the hotline and reads it
decrypted; Iran's page then shows Saudi Arabia's receipt as received. With
GULFSEC_SCREENSHOTS=DIR the test also saves screenshots of the pages.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from support.inprocess import served_demo

from gulfsec.demo import DEMO_PASSWORD, Network
from gulfsec.services.node import Node

pytestmark = pytest.mark.slow
PARTIES = ("IRN", "SAU")
SHOTS = os.environ.get("GULFSEC_SCREENSHOTS")
FLASH = "Two fast boats closing on the tanker lane, heading 140: yours? Answer now."


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    with served_demo(tmp_path_factory.mktemp("e2e-hotline") / "net", PARTIES) as net:
        yield net


def shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=False)


def sign_in(page: Any, url: str) -> None:
    page.goto(url)
    page.fill("#name", "officer")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#sign-in-button")
    page.wait_for_url(url)


def keyed(node: Node, party: str) -> bool:
    """Whether ``node`` holds ``party``'s hotline encryption key, valid now."""
    assert node.hotline is not None
    return node.hotline.directory().current(party, datetime.now(UTC)) is not None


def opened(node: Node, text: str) -> bool:
    assert node.hotline is not None
    return any(m["text"] == text for m in node.hotline.conversation()
               if m["direction"] == "received")


def receipt_of(node: Node, text: str, party: str) -> str | None:
    assert node.hotline is not None
    for m in node.hotline.conversation():
        if m["direction"] == "sent" and m["text"] == text:
            return str(m["receipts"][party]["state"])
    return None


def test_a_flash_message_goes_across_is_read_and_its_receipt_comes_back(
        page: Any, network: Network) -> None:
    irn, sau = network.nodes["IRN"], network.nodes["SAU"]
    assert network.wait(lambda: keyed(irn, "SAU") and keyed(sau, "IRN"), 45)
    irn_url, sau_url = network.node_urls["IRN"], network.node_urls["SAU"]

    sign_in(page, irn_url + "/hotline")
    assert page.is_visible("#nav-hotline")
    page.check("#hotline-to-SAU")
    page.check("#hotline-priority-flash")
    page.fill("#hotline-text", FLASH)
    shot(page, "hotline-compose")
    page.click("#hotline-send")
    page.wait_for_url("**/hotline?sent=1*")
    assert "Sealed for each recipient, signed" in page.inner_text("#sent-notice")
    sent = page.locator("#hotline-messages li.hotline-message", has_text=FLASH)
    assert sent.locator(".precedence-flash").inner_text() == "FLASH"
    assert "Sent by IRN to SAU" in sent.inner_text()

    # Saudi Arabia's node opens it on its next round; the header of every page counts it.
    assert network.wait(lambda: opened(sau, FLASH), 45)
    sign_in(page, sau_url + "/inbox")
    assert page.inner_text("#hotline-unread").startswith("1")
    shot(page, "hotline-unread")
    page.goto(sau_url + "/threads")
    assert page.inner_text("#hotline-unread").startswith("1")
    page.click("#nav-hotline")
    page.wait_for_url("**/hotline")
    got = page.locator("#hotline-messages li.hotline-message", has_text=FLASH)
    assert got.locator(".precedence-flash").inner_text() == "FLASH"
    assert "Received from IRN" in got.inner_text() and "unread" in got.inner_text()
    # FLASH cannot be missed: the message stands out in red (the stylesheet, no script).
    assert got.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(253, 232, 232)"
    assert got.locator(".precedence-flash").evaluate(
        "e => getComputedStyle(e).backgroundColor") == "rgb(163, 22, 26)"
    shot(page, "hotline-received")
    assert page.locator("#hotline-unread").count() == 0  # opened: read now

    # Iran's node holds the receipt: its page says so.
    assert network.wait(lambda: receipt_of(irn, FLASH, "SAU") == "received", 45)
    page.goto(irn_url + "/hotline")  # still signed in there: each node has its own cookie
    sent = page.locator("#hotline-messages li.hotline-message", has_text=FLASH)
    assert "Receipt from SAU: received at" in sent.inner_text()
    shot(page, "hotline-receipt")
