"""Deciding together, clicked through in a real browser (Debian's Chromium, driven by Playwright).

A hub and the nodes of Iran, Russia and Saudi Arabia (three witnesses: the quorum) on loopback,
syncing in the background as in ``gulfsec demo``, on the real clock. Russia proposes a
designation that every member joins and that closes within seconds; Saudi Arabia proposes a
hotline under silence procedure. Iran's officer opens the draft from the list of drafts waiting
for Iran's position, objects with a reason in one click, and sees Iran's position on the draft's
page once it is final; then anyone sees the adopted designation on the hub's public list. With
GULFSEC_SCREENSHOTS=DIR the test also saves screenshots of the pages.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support.inprocess import served_demo

from gulfsec.demo import DEMO_PASSWORD, Network
from gulfsec.domain.encoding import format_time
from gulfsec.domain.forms.decisions import DRAFT, POSITION
from gulfsec.domain.procedures.decisions import draft_audience
from gulfsec.errors import NotFound
from gulfsec.services.hub.records import PUBLIC, DecisionsByViewer
from gulfsec.services.node import Node

pytestmark = pytest.mark.slow
PARTIES = ("IRN", "RUS", "SAU")
SHOTS = os.environ.get("GULFSEC_SCREENSHOTS")


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    with served_demo(tmp_path_factory.mktemp("e2e-decisions") / "net", PARTIES) as net:
        yield net


def shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=False)


def propose(node: Node, title: str, closes_at: datetime, **body: Any) -> str:
    fields = {"kind": "text", "title": title, "text": "The participants agree.",
              "format": "all", "procedure": "silence", "content": {}, **body,
              "closes_at": format_time(closes_at.replace(microsecond=0))}
    return node.send(DRAFT, draft_audience(node.regime, "all"), fields).id_hex


def position_of(node: Node, draft: str, party: str) -> str | None:
    """``party``'s position that counts on ``draft``, as ``node`` judges it now."""
    try:
        decision = node.decisions.decision(draft, datetime.now(UTC))
    except NotFound:
        return None
    step = decision.positions.get(party)
    return None if step is None else step.kind


def test_an_officer_objects_with_a_reason_and_the_public_sees_the_designation_list(
        page: Any, network: Network) -> None:
    irn, rus, sau = (network.nodes[p] for p in PARTIES)
    now = datetime.now(UTC)
    designation = propose(rus, "Designate the Example Group", now + timedelta(seconds=15),
                          kind="designation", procedure="consensus", content={
                              "name": "Example Group",
                              "aliases": [{"name": "مجموعة المثال", "script": "Arab"}],
                              "entity_type": "organisation",
                              "grounds": "Attacks on merchant shipping.",
                              "references": ["UNSC report S/2026/1"]})
    hotline = propose(sau, "Maritime hotline", now + timedelta(hours=1))
    assert network.wait(lambda: _holds(irn, hotline) and _holds(irn, designation), 30)
    for node in (irn, rus, sau):
        node.send(POSITION, draft_audience(node.regime, "all"),
                  {"draft": designation, "position": "join"}, refs=[designation])

    # Iran's officer: the draft waits for Iran's position; one click objects, with a reason.
    irn_url = network.node_urls["IRN"]
    page.goto(irn_url + "/decisions")
    page.fill("#name", "officer")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#sign-in-button")
    page.wait_for_url("**/decisions")
    waiting = page.locator("#waiting-drafts tr", has_text="Maritime hotline")
    assert "silence procedure" in waiting.inner_text()
    shot(page, "decisions")
    waiting.locator("a").click()
    page.wait_for_url(f"**/decisions/{hotline}")
    assert page.inner_text("h1") == "Maritime hotline"
    assert "does not break silence" in page.inner_text("#finality-rule")
    page.fill("#position-reason", "The area is too wide.")
    shot(page, "decision-draft")
    page.click("#object")
    page.wait_for_url(f"**/decisions/{hotline}?sent=1*")
    assert "Signed and handed to the outbox" in page.inner_text("#sent-notice")

    # Once final, the draft's page shows Iran's position and its reason.
    assert network.wait(lambda: position_of(irn, hotline, "IRN") == "object", 45)
    page.goto(f"{irn_url}/decisions/{hotline}")
    assert "objects" in page.inner_text("#position-IRN")
    assert "The area is too wide." in page.inner_text("#position-IRN")
    assert "IRN objects" in page.inner_text("#my-position")
    shot(page, "decision-position")

    # The designation every member joined is adopted at its closing time: the public list.
    records = DecisionsByViewer(network.hub).for_viewer(PUBLIC)
    assert network.wait(lambda: bool(records.designation_list(datetime.now(UTC)).current), 45)
    page.goto(network.hub_url + "/designations")
    current = page.inner_text("#current-entities")
    assert "Example Group" in current and "مجموعة المثال" in current
    assert page.locator("#downloads a").count() == 2
    shot(page, "designations")


def _holds(node: Node, draft: str) -> bool:
    try:
        node.decisions.decision(draft, datetime.now(UTC))
    except NotFound:
        return False
    return True
