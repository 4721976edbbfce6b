"""Consulting, clicked through in a real browser (Debian's Chromium, driven by Playwright).

A hub and the nodes of Iran, Russia and Saudi Arabia on loopback, syncing in the background as
in ``gulfsec demo``, on the real clock. Russia opens a thread with Iran and Saudi Arabia, and
Saudi Arabia invites Iran to a bilateral meeting: Iran's officer opens the thread, replies, and
accepts the meeting. Then Saudi Arabia asks Russia to mediate its dispute with Iran; Iran's
officer asks too, Russia's officer accepts, and the mediation is active. Iran's officer convenes
a meeting with Saudi Arabia from the pages, typing the time as it reads in Tehran. With
GULFSEC_SCREENSHOTS=DIR the test also saves screenshots of the pages.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from support.inprocess import served_demo

from gulfsec.demo import DEMO_PASSWORD, Network
from gulfsec.domain.encoding import format_time
from gulfsec.domain.forms.consultations import THREAD
from gulfsec.domain.forms.mediation import REQUEST
from gulfsec.domain.forms.meetings import MEETING
from gulfsec.domain.procedures.mediation import audience_of
from gulfsec.errors import NotFound
from gulfsec.i18n import format_day
from gulfsec.services.node import Node

pytestmark = pytest.mark.slow
PARTIES = ("IRN", "RUS", "SAU")
SHOTS = os.environ.get("GULFSEC_SCREENSHOTS")


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    with served_demo(tmp_path_factory.mktemp("e2e-consultations") / "net", PARTIES) as net:
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


def messages(node: Node, thread: str) -> int:
    try:
        return len(node.consultations.thread(thread).messages)
    except NotFound:
        return 0


def reply_of(node: Node, meeting: str, party: str) -> str | None:
    try:
        found = node.consultations.meeting(meeting, datetime.now(UTC)).meeting
    except NotFound:
        return None
    return found.replies[party].reply if party in found.replies else None


def status_of(node: Node, mediation: str) -> str | None:
    try:
        return node.consultations.mediation(mediation).status
    except NotFound:
        return None


def asked(node: Node, mediation: str) -> tuple[str, ...]:
    try:
        return node.consultations.mediation(mediation).requested_by
    except NotFound:
        return ()


def test_a_delegate_replies_in_a_thread_and_accepts_a_meeting(
        page: Any, network: Network) -> None:
    irn, rus, sau = (network.nodes[p] for p in PARTIES)
    thread = rus.send(THREAD, ("IRN", "SAU"), {"subject": "Incidents at sea",
                                                "level": "expert",
                                                "text": "Shall our experts meet?"}).id_hex
    starts = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    meeting = sau.send(MEETING, ("IRN",), {
        "title": "Hotline talks", "level": "expert", "starts_at": format_time(starts),
        "timezone": "Asia/Tehran", "place": "Muscat", "agenda": ["Opening"]}).id_hex
    assert network.wait(lambda: messages(irn, thread) == 1
                        and reply_of(irn, meeting, "IRN") is None
                        and bool(irn.consultations.meetings(datetime.now(UTC))), 30)

    irn_url = network.node_urls["IRN"]
    sign_in(page, irn_url + "/threads")
    row = page.locator("#threads tr", has_text="Incidents at sea")
    assert "unread" in row.inner_text()
    shot(page, "threads")
    row.locator("a").click()
    page.wait_for_url(f"**/threads/{thread}")
    assert page.inner_text("h1") == "Incidents at sea"
    assert "Signature verified by this node" in page.inner_text("#message-list")
    page.fill("#reply-text", "Yes, in Muscat, at expert level.")
    page.click("#reply-send")
    page.wait_for_url(f"**/threads/{thread}?sent=1*")
    assert "Signed and handed to the outbox" in page.inner_text("#sent-notice")
    assert network.wait(lambda: messages(irn, thread) == 2, 45)
    page.goto(f"{irn_url}/threads/{thread}")
    assert "Yes, in Muscat, at expert level." in page.inner_text("#message-list")
    shot(page, "thread")

    page.goto(irn_url + "/meetings")
    page.locator("#upcoming-meetings a", has_text="Hotline talks").click()
    page.wait_for_url(f"**/meetings/{meeting}")
    assert "Asia/Tehran" in page.inner_text("#meeting-starts")
    page.click("#accept")
    page.wait_for_url(f"**/meetings/{meeting}?sent=1*")
    assert network.wait(lambda: reply_of(irn, meeting, "IRN") == "accept", 45)
    page.goto(f"{irn_url}/meetings/{meeting}")
    assert "accepted" in page.inner_text("#reply-IRN")
    shot(page, "meeting")


def test_a_mediation_is_active_when_the_last_party_asks_and_the_mediator_accepts(
        page: Any, network: Network) -> None:
    irn, rus, sau = (network.nodes[p] for p in PARTIES)
    mediation = "IRN+SAU/RUS"
    sau.send(REQUEST, audience_of(("IRN", "SAU"), "RUS", "SAU"),
             {"parties": ["IRN", "SAU"], "mediator": "RUS"})
    assert network.wait(lambda: status_of(irn, mediation) == "requested", 30)

    irn_url, rus_url = network.node_urls["IRN"], network.node_urls["RUS"]
    sign_in(page, f"{irn_url}/mediation/{mediation}")
    assert "not yet by IRN" in page.inner_text("#mediation-summary")
    page.click("#request-send")
    page.wait_for_url(f"**/mediation/{mediation}?sent=1*")
    assert network.wait(lambda: asked(rus, mediation) == ("SAU", "IRN"), 45)

    sign_in(page, f"{rus_url}/mediation/{mediation}")
    assert "Every party has asked" in page.inner_text("#mediation-summary")
    page.click("#answer-accept")
    page.wait_for_url(f"**/mediation/{mediation}?sent=1*")
    assert network.wait(lambda: status_of(irn, mediation) == "active", 45)
    page.goto(f"{irn_url}/mediation/{mediation}")
    assert "Active" in page.inner_text("#mediation-summary")
    shot(page, "mediation")


def titles_of(node: Node) -> list[str]:
    return [v.meeting.title for v in node.consultations.meetings(datetime.now(UTC))]


def test_a_delegate_convenes_a_meeting_in_the_local_time_of_where_it_is_held(
        page: Any, network: Network) -> None:
    sau = network.nodes["SAU"]
    tehran = ZoneInfo("Asia/Tehran")
    day = (datetime.now(tehran) + timedelta(days=3)).date()
    starts = datetime(day.year, day.month, day.day, 10, 0, tzinfo=tehran).astimezone(UTC)

    irn_url = network.node_urls["IRN"]
    sign_in(page, irn_url + "/meetings")
    page.click("#convene-link")
    page.wait_for_url("**/meetings/new")
    page.fill("#convene-title", "Fisheries talks")
    page.select_option("#convene-party", "SAU")
    page.fill("#convene-date", day.isoformat())
    page.fill("#convene-time", "10:00")
    page.select_option("#convene-timezone", "Asia/Tehran")
    page.check("#convene-online")
    page.fill("#convene-agenda", "Opening\nFishing quotas")
    page.click("#convene-preview-button")
    page.wait_for_selector("#convene-canonical")
    assert format_time(starts) in page.inner_text("#convene-canonical")
    when = page.inner_text("#convene-when")
    assert f"{format_day(day, 'en')} 10:00 Asia/Tehran" in when
    assert f"{format_day(starts.date(), 'en')} {starts:%H:%M} UTC" in when
    shot(page, "convene-preview")
    page.click("#convene-send")
    page.wait_for_url("**/meetings?sent=1*")
    assert "Signed and handed to the outbox" in page.inner_text("#sent-notice")
    assert network.wait(lambda: "Fisheries talks" in titles_of(sau), 45)
    page.goto(irn_url + "/meetings")
    assert "Fisheries talks" in page.inner_text("#upcoming-meetings")
