"""The pages, clicked through in a real browser (Debian's Chromium, driven by Playwright).

One network serves the whole module: a hub and the nodes of Iran, Russia, Qatar and Saudi
Arabia on loopback, each with its own SQLite database, syncing, witnessing and acknowledging
in the background as in ``gulfsec demo``. Delegates sign in, read, compose with a mistake and
then correctly, and watch an entry become final at the addressee's node; Qatar's delegates see
nothing of a bilateral thread. With GULFSEC_SCREENSHOTS=DIR the tests also save the
screenshots the README shows (``scripts/screenshots`` does that).
"""

from __future__ import annotations

import os
import random
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gulfsec.demo import DEMO_PASSWORD, Network, start_network
from gulfsec.domain.entry import ALL

pytestmark = pytest.mark.slow
PARTIES = ("IRN", "RUS", "QAT", "SAU")
SHOTS = os.environ.get("GULFSEC_SCREENSHOTS")


def _free_block(count: int) -> int:
    for _ in range(200):
        base = random.randint(20_000, 40_000)
        try:
            for port in range(base, base + count):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no block of free ports")


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    net = start_network(tmp_path_factory.mktemp("e2e") / "net", PARTIES,
                        port=_free_block(len(PARTIES) + 1))
    try:
        yield net
    finally:
        net.stop()


def shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=False)


def sign_in(page: Any, url: str, name: str = "officer") -> None:
    page.goto(url + "/inbox")
    assert "/sign-in" in page.url
    page.fill("#name", name)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#sign-in-button")
    page.wait_for_url("**/inbox")


def _day(offset: int) -> str:
    return (datetime.now(UTC) + timedelta(days=offset)).date().isoformat()


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(
        page: Any, network: Network) -> None:
    page.goto(network.node_urls["IRN"] + "/sign-in")
    page.fill("#name", "officer")
    page.fill("#password", "not the password")
    page.click("#sign-in-button")
    assert "/sign-in" in page.url
    body = page.inner_text("body").lower()
    assert "the name or the password is wrong" in body
    shot(page, "sign-in")


def test_a_delegate_signs_in_and_reads_the_inbox_with_each_entrys_state(
        page: Any, network: Network) -> None:
    rus = network.nodes["RUS"]
    rus.send("message@1", ("IRN",), {"subject": "P5+1 and Iran meeting",
                                     "text": "Russia proposes a meeting on the concept."})
    assert network.wait(lambda: _held_by(network, "IRN", "P5+1 and Iran meeting"))
    sign_in(page, network.node_urls["IRN"])
    assert page.locator("h1").first.inner_text()
    row = page.locator("#inbox-rows tr[data-index]", has_text="P5+1 and Iran meeting")
    row.wait_for()
    assert "RUS" in row.inner_text()
    row.locator("a").first.click()
    page.wait_for_url("**/entries/*")
    details = page.inner_text("main")
    assert "Signature valid" in details or "signature valid" in details.lower()
    assert "checkpoint" in details.lower()
    shot(page, "entry")
    page.goto(network.node_urls["IRN"] + "/inbox")
    shot(page, "inbox")


def test_a_notification_with_a_mistake_is_refused_field_by_field_then_sent_and_becomes_final(
        page: Any, network: Network) -> None:
    irn_url = network.node_urls["IRN"]
    sign_in(page, irn_url)
    page.goto(irn_url + "/compliance")
    before = page.inner_text("main")
    assert "Northern Lights" not in before

    page.goto(irn_url + "/compose/activity-notification@1")
    # Before submission: the browser itself holds back a required field left empty.
    page.click("#preview-button")
    assert "/compose/activity-notification@1" in page.url
    assert page.eval_on_selector("#f-body-name", "el => !el.validity.valid")
    # After submission: the server names the field at fault (the end before the start).
    page.select_option("#f-body-kind", "land")
    page.fill("#f-body-name", "Northern Lights")
    page.fill("#f-body-purpose", "Land forces exercise near the border.")
    page.fill("#f-body-start", _day(12))
    page.fill("#f-body-end", _day(10))
    page.select_option("#f-body-area-choice", "circle")
    page.fill("#f-body-area--circle-centre-lat", "31.5")
    page.fill("#f-body-area--circle-centre-lon", "48.2")
    page.fill("#f-body-area--circle-radius_km", "50")
    page.fill("#f-body-forces-troops", "12000")
    page.click("#preview-button")
    page.locator("#error-summary").wait_for()
    summary = page.inner_text("#error-summary")
    assert "end" in summary.lower()
    assert page.locator("#f-body-end[aria-invalid='true']").count() == 1
    shot(page, "compose-error")

    page.fill("#f-body-end", _day(14))
    page.click("#preview-button")
    page.locator("#canonical-entry").wait_for()
    canonical = page.inner_text("#canonical-entry")
    assert '"name":"Northern Lights"' in canonical
    shot(page, "compose-preview")
    page.check("#confirm")
    page.click("#sign-and-send")
    page.wait_for_load_state()
    assert "Northern Lights" in page.inner_text("main")

    # At the addressee's node: the notification arrives, verified, and becomes final.
    viewer = page.context.browser.new_page()
    try:
        sign_in(viewer, network.node_urls["RUS"], name="viewer")
        assert network.wait(lambda: _final_at(network, "RUS", "Northern Lights"), 45)
        viewer.goto(network.node_urls["RUS"] + "/inbox")
        row = viewer.locator("#inbox-rows tr[data-index]", has_text="Northern Lights")
        row.wait_for()
        state = row.inner_text().lower()
        assert "final" in state or "acknowledged" in state  # acknowledged implies final
        shot(viewer, "inbox-final")
        row.locator("a").first.click()
        viewer.wait_for_url("**/entries/*")
        assert "Final (the time that counts)" in viewer.inner_text("main")
    finally:
        viewer.close()

    # The compliance finding changes: notified 12 days ahead where 42 are owed.
    assert network.wait(lambda: _final_at(network, "IRN", "Northern Lights"), 45)
    page.goto(irn_url + "/compliance")
    findings = page.locator("#findings")
    findings.wait_for()
    text = findings.inner_text()
    assert "Northern Lights" in text
    assert "late" in text.lower()
    shot(page, "compliance")


def test_an_outsiders_node_holds_nothing_of_a_bilateral_entry(
        page: Any, network: Network) -> None:
    irn = network.nodes["IRN"]
    signed = irn.send("message@1", ("RUS",), {"subject": "Joint naval exercise",
                                              "text": "Dates and area, for Russia only."})
    assert network.wait(lambda: _held_by(network, "RUS", "Joint naval exercise"), 45)
    assert network.wait(lambda: network.nodes["QAT"].status()["size"] > _index(irn, signed), 45)
    sign_in(page, network.node_urls["QAT"])
    assert "Joint naval exercise" not in page.inner_text("main")
    response = page.goto(network.node_urls["QAT"] + f"/entries/{signed.id_hex}")
    assert response is not None and response.status == 404
    sign_in_page = page.context.browser.new_page()
    try:
        sign_in(sign_in_page, network.node_urls["RUS"], name="viewer")
        sign_in_page.goto(network.node_urls["RUS"] + f"/entries/{signed.id_hex}")
        assert "Joint naval exercise" in sign_in_page.inner_text("main")
    finally:
        sign_in_page.close()


def test_an_alarm_cannot_be_missed_and_shows_its_evidence(page: Any, network: Network) -> None:
    sau = network.nodes["SAU"]
    with sau.uow() as uow:
        uow.repo.add_alarm("split_view", "the hub signed two different trees (at size 9)",
                           {"checkpoint": "first note", "conflicting_checkpoint": "second note"},
                           0)
        uow.commit()
    sign_in(page, network.node_urls["SAU"], name="viewer")
    banner = page.locator("#alarm-banner")
    assert banner.is_visible()
    banner.locator("a").first.click()
    page.wait_for_url("**/alarms")
    body = page.inner_text("main")
    assert "two different trees" in body
    assert "first note" in body and "second note" in body
    shot(page, "alarms")


def test_arabic_labels_are_laid_out_right_to_left(page: Any, network: Network) -> None:
    sign_in(page, network.node_urls["IRN"])
    page.goto(network.node_urls["IRN"] + "/language?lang=ar&next=/inbox")
    page.wait_for_url("**/inbox")
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.get_attribute("html", "lang") == "ar"
    page.goto(network.node_urls["IRN"] + "/language?lang=en&next=/inbox")
    assert page.get_attribute("html", "dir") == "ltr"


def test_the_inbox_reads_without_javascript(browser: Any, network: Network) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, network.node_urls["IRN"])
        assert page.locator("#inbox-rows tr[data-index]").count() >= 1
    finally:
        context.close()


def test_the_public_hub_page_shows_the_checkpoint_its_witnesses_and_how_to_verify(
        page: Any, network: Network) -> None:
    page.goto(network.hub_url + "/")
    text = page.inner_text("main")
    assert "checkpoint" in text.lower()
    assert any(party in text for party in PARTIES)
    shot(page, "hub-public")
    page.goto(network.hub_url + "/verify")
    assert "gulfsec verify-log" in page.inner_text("main")
    network.nodes["RUS"].send("message@1", ALL, {"subject": "Statement to all",
                                                 "text": "Published to all participants."})
    assert network.wait(lambda: _held_by(network, "IRN", "Statement to all"), 45)
    page.goto(network.hub_url + "/published")
    assert "Statement to all" in page.inner_text("main")


def test_the_secretariat_sees_every_participants_health_and_compliance(
        page: Any, network: Network) -> None:
    page.goto(network.hub_url + "/secretariat")
    assert "/sign-in" in page.url
    page.fill("#name", "secretariat")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#sign-in-button")
    page.wait_for_url("**/secretariat")
    for party in PARTIES:
        assert page.locator(f"tr#participant-{party}").count() == 1
    shot(page, "secretariat")
    page.goto(network.hub_url + "/secretariat/compliance")
    assert page.locator("#findings").count() == 1


def test_a_tablet_width_keeps_the_inbox_readable(browser: Any, network: Network) -> None:
    context = browser.new_context(viewport={"width": 768, "height": 1024})
    try:
        page = context.new_page()
        sign_in(page, network.node_urls["IRN"])
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 768 + 1, width
    finally:
        context.close()


# -- helpers ---------------------------------------------------------------------------------


def _held(network: Network, party: str) -> list[Any]:
    node = network.nodes[party]
    with node.uow() as uow:
        return list(uow.repo.iter_entries())


def _held_by(network: Network, party: str, subject: str) -> bool:
    return any(subject.encode() in e.raw for e in _held(network, party))


def _final_at(network: Network, party: str, name: str) -> bool:
    node = network.nodes[party]
    return any(name.encode() in e.raw and node.final_at(e.index) is not None
               for e in _held(network, party))


def _index(node: Any, signed: Any) -> int:
    with node.uow() as uow:
        for item in uow.repo.outbox_items():
            if item.entry_id == signed.id and item.sequenced_idx is not None:
                return int(item.sequenced_idx)
    return 1 << 30
