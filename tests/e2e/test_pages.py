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
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support.inprocess import served_demo

from gulfsec import i18n
from gulfsec.demo import DEMO_PASSWORD, Network
from gulfsec.domain.entry import ALL
from gulfsec.services.hub.views import HEALTH_WORDS, secretariat_overview
from gulfsec.services.node import views
from gulfsec.services.node.views import STATE_WORDS
from gulfsec.services.shared.scorecards import STATUS_WORDS

pytestmark = pytest.mark.slow
PARTIES = ("IRN", "RUS", "QAT", "SAU")
SHOTS = os.environ.get("GULFSEC_SCREENSHOTS")


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    with served_demo(tmp_path_factory.mktemp("e2e") / "net", PARTIES) as net:
        yield net


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
    subject = "P5+1 and Iran meeting"
    network.nodes["RUS"].send("message@1", ("IRN",), {
        "subject": subject, "text": "Russia proposes a meeting on the concept."})
    # IRN's node receives it, verifies it and signs its acknowledgement, which the hub sequences.
    assert network.wait(lambda: _state_at(network, "IRN", subject) == "acknowledged", 45)
    sign_in(page, network.node_urls["IRN"])
    assert page.locator("h1").first.inner_text() == "Inbox"
    rows = page.locator("#inbox-rows tr[data-index]")
    assert rows.count() >= 1
    shown = rows.locator("td .badge").all_inner_texts()
    assert len(shown) == rows.count()  # every row says its state, in the pages' words
    assert set(shown) <= set(STATE_WORDS.values()), shown
    row = rows.filter(has_text=subject)
    assert row.locator("td").nth(2).inner_text().startswith("RUS")
    assert row.locator(".badge").inner_text() == STATE_WORDS["acknowledged"]
    row.locator("a").first.click()
    page.wait_for_url("**/entries/*")
    assert page.inner_text("#entry-state") == STATE_WORDS["acknowledged"]
    checks = page.inner_text("#verification")
    assert "Signature valid: RUS's key" in checks
    assert "in checkpoint of size" in checks and "signed by the pinned log key" in checks
    assert page.locator("#verification li.failed").count() == 0
    assert "IRN: acknowledgement at index" in page.inner_text("#acknowledgements")
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
    page.wait_for_url("**/entries/*?sent=1")
    assert "Signed and handed to the outbox" in page.inner_text("#sent-notice")
    assert "Northern Lights" in page.inner_text("h1")
    just_sent = {STATE_WORDS[s] for s in ("pending", "sequenced", "final")}
    assert page.inner_text("#entry-state") in just_sent

    # At the addressee's node: the notification arrives, verified, becomes final, and RUS's node
    # acknowledges it.
    assert network.wait(lambda: _final_at(network, "RUS", "Northern Lights")
                        and _state_at(network, "RUS", "Northern Lights") == "acknowledged", 45)
    viewer = page.context.browser.new_page()
    try:
        sign_in(viewer, network.node_urls["RUS"], name="viewer")
        row = viewer.locator("#inbox-rows tr[data-index]", has_text="Northern Lights")
        assert row.locator(".badge").inner_text() == STATE_WORDS["acknowledged"]
        shot(viewer, "inbox-final")
        row.locator("a").first.click()
        viewer.wait_for_url("**/entries/*")
        assert "Final (the time that counts)" in viewer.inner_text("#entry-meta")
        assert viewer.inner_text("#entry-state") == STATE_WORDS["acknowledged"]
        assert "RUS: acknowledgement at index" in viewer.inner_text("#acknowledgements")
    finally:
        viewer.close()

    # At the sender's node: every addressee that owes one has acknowledged, and it says so.
    assert network.wait(lambda: _state_at(network, "IRN", "Northern Lights") == "acknowledged", 45)
    [sent] = [e for e in _held(network, "IRN") if b"Northern Lights" in e.raw]
    owed = {p for p in PARTIES if p != "IRN" and (sent.audience is None or p in sent.audience)}
    assert "RUS" in owed
    page.goto(f"{irn_url}/entries/{sent.entry_id.hex()}")
    assert page.inner_text("#entry-state") == STATE_WORDS["acknowledged"]
    acknowledgements = page.locator("#acknowledgements li").all_inner_texts()
    assert {line.split(":")[0] for line in acknowledgements} == owed, acknowledgements
    assert page.locator("#awaiting").count() == 0

    # The compliance finding changes: notified 12 days ahead where 42 are owed.
    assert network.wait(lambda: _final_at(network, "IRN", "Northern Lights"), 45)
    page.goto(irn_url + "/compliance")
    rows = page.locator("#findings tr.finding", has_text="Northern Lights").all()
    found = [tuple(row.locator("td").all_inner_texts()[:2]) for row in rows]
    assert (STATUS_WORDS["late"], "IRN") in found, found  # (status, party)
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
        assert "Joint naval exercise" in sign_in_page.inner_text("h1")
        assert sign_in_page.inner_text("#entry-state") in STATE_WORDS.values()
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
        rows = page.locator("#inbox-rows tr[data-index]")
        assert rows.count() >= 1
        shown = rows.locator("td .badge").all_inner_texts()
        assert len(shown) == rows.count() and set(shown) <= set(STATE_WORDS.values()), shown
    finally:
        context.close()


def test_the_public_hub_page_shows_the_checkpoint_its_witnesses_and_how_to_verify(
        page: Any, network: Network) -> None:
    hub = network.hub
    assert network.wait(lambda: hub.state.finality.final_size > 0, 45)
    page.goto(network.hub_url + "/")
    assert re.fullmatch(r"[0-9]+ entries", page.inner_text("#log-size"))
    assert "Root hash" in page.inner_text("#final-checkpoint")
    witnesses = page.locator("#final-cosignatures tbody tr td:first-child").all_inner_texts()
    assert len(set(witnesses) & set(PARTIES)) >= hub.regime.witness_quorum, witnesses
    shot(page, "hub-public")
    page.goto(network.hub_url + "/verify")
    assert page.inner_text("#log-key") == hub.log_key.verifier.encode()
    assert page.inner_text("#verify-command").startswith(
        f"gulfsec verify-log --hub {network.hub_url} --log-key log.vkey")
    network.nodes["RUS"].send("message@1", ALL, {"subject": "Statement to all",
                                                 "text": "Published to all participants."})
    assert network.wait(lambda: _held_by(network, "IRN", "Statement to all"), 45)
    page.goto(network.hub_url + "/published")
    assert "Statement to all" in page.inner_text("main")
    assert "Joint naval exercise" not in page.inner_text("main")  # bilateral: never published


def test_the_secretariat_sees_every_participants_health_and_compliance(
        page: Any, network: Network) -> None:
    # Every witness node has cosigned (it may not yet have, in a module run from here alone).
    assert network.wait(lambda: all(p.health == "healthy" for p in
                                    secretariat_overview(network.hub).participants
                                    if p.code in PARTIES), 45)
    page.goto(network.hub_url + "/secretariat")
    assert "/sign-in" in page.url
    page.fill("#name", "secretariat")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#sign-in-button")
    page.wait_for_url("**/secretariat")
    for party in PARTIES:
        row = page.locator(f"tr#participant-{party}")
        assert row.locator(".badge").inner_text() == HEALTH_WORDS["healthy"], party
        key = network.nodes[party].key
        assert key.key_id_hex in row.inner_text()
        assert row.locator("code.fingerprint").inner_text() == key.verifier.fingerprint
    shot(page, "secretariat")
    page.goto(network.hub_url + "/secretariat/compliance")
    rows = page.locator("#findings tr.finding")
    assert rows.count() >= 1
    for cells in (row.locator("td").all_inner_texts() for row in rows.all()):
        assert cells[0] in STATUS_WORDS.values() and cells[1] in network.hub.regime.participants


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


def _state_at(network: Network, party: str, subject: str) -> str | None:
    """The state ``party``'s inbox gives the entry whose summary names ``subject``."""
    rows = views.inbox(network.nodes[party], views.InboxFilter()).rows
    return next((row.state for row in rows if subject in row.summary), None)


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


@pytest.mark.parametrize("code", ["ar", "fa", "en", "ru", "zh", "fr"])
def test_each_language_reads_in_its_words_digits_and_direction(
        page: Any, network: Network, code: str) -> None:
    url = network.node_urls["IRN"]
    sign_in(page, url)
    page.goto(url + f"/language?lang={code}&next=/inbox")
    page.wait_for_url("**/inbox")
    rtl = code in ("ar", "fa")
    assert page.get_attribute("html", "lang") == code
    assert page.get_attribute("html", "dir") == ("rtl" if rtl else "ltr")
    with i18n.use(code):
        inbox, compose = i18n.gettext("Inbox"), i18n.gettext("Compose")
    assert page.locator("h1").first.inner_text() == inbox
    assert page.locator("nav.main-nav").get_by_text(compose, exact=True).count() == 1
    table = page.locator("#inbox-rows").first
    assert table.evaluate("e => getComputedStyle(e).direction") == ("rtl" if rtl else "ltr")
    times = " ".join(page.locator("#inbox-rows tr[data-index] td:nth-child(2)")
                     .all_inner_texts())
    if code == "fa":
        assert re.search("[۰-۹]", times) and not re.search("[0-9]", times.replace("UTC", ""))
    elif code == "ar":
        assert re.search("[٠-٩]", times) and not re.search("[0-9]", times.replace("UTC", ""))
    else:
        assert re.search("[0-9]", times)
    assert "UTC" in times
    if code == "ar":
        shot(page, "inbox-ar")
    page.goto(url + "/compose/activity-notification@1")
    form = page.locator("form").last
    assert form.evaluate("e => getComputedStyle(e).direction") == ("rtl" if rtl else "ltr")
    with i18n.use(code):
        label = i18n.gettext("Live firing")
    assert page.get_by_text(label, exact=True).count() >= 1
    if code == "ar":
        shot(page, "compose-ar")
    page.goto(url + "/language?lang=en&next=/inbox")


def test_the_api_documentation_opens_with_no_way_out_of_the_machine(
        browser: Any, network: Network) -> None:
    context = browser.new_context()
    asked: list[str] = []

    def only_here(route: Any) -> None:
        asked.append(route.request.url)
        if route.request.url.startswith(("http://127.0.0.1", "http://localhost")):
            route.continue_()
        else:
            route.abort()

    try:
        page = context.new_page()
        page.route("**/*", only_here)
        for url in (network.node_urls["IRN"], network.hub_url):
            page.goto(url + "/v1/docs")
            page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
            assert "gulfsec" in page.locator(".swagger-ui .info .title").inner_text()
            assert page.locator(".opblock").count() > 5
        assert asked and all(a.startswith(("http://127.0.0.1", "http://localhost"))
                             for a in asked), asked
    finally:
        context.close()


def test_an_unknown_address_gets_the_pages_error_page_and_the_api_json(
        page: Any, network: Network) -> None:
    for url in (network.node_urls["IRN"], network.hub_url):
        response = page.goto(url + "/no/such/page")
        assert response is not None and response.status == 404
        assert "text/html" in response.headers["content-type"]
        assert page.locator("h1").inner_text() == "Page not found"
        assert page.locator("a.skip-link").count() == 1      # the pages' own frame
        answer = page.request.get(url + "/v1/no/such/route")
        assert answer.status == 404 and answer.json()["error"] == "http"
        icon = page.request.get(url + "/favicon.ico")
        assert icon.ok and icon.headers["content-type"].startswith("image/svg+xml")
