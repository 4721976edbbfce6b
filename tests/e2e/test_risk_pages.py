"""Reducing risk, clicked through in a real browser (Debian's Chromium, driven by Playwright).

A hub and the nodes of Iran, Russia and Saudi Arabia on loopback, syncing in the background as
in ``gulfsec demo``, on the real clock. Saudi Arabia's officer reports an unsafe encounter with
Iranian boats from the pages; Iran's officer opens the report and responds with Iran's own
account, which disputes the closest approach; both accounts then stand side by side on one page
at both nodes, and the map shows the incident. With GULFSEC_SCREENSHOTS=DIR the test also saves
screenshots of the pages.
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
from gulfsec.services.node import Node

pytestmark = pytest.mark.slow
PARTIES = ("IRN", "RUS", "SAU")
SHOTS = os.environ.get("GULFSEC_SCREENSHOTS")


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    with served_demo(tmp_path_factory.mktemp("e2e-risk") / "net", PARTIES) as net:
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


def reports(node: Node) -> list[str]:
    return [i.id for i in node.risk.incidents()]


def final_reports(node: Node) -> list[str]:
    """The incident reports the node holds, final (a response's deadline runs from then)."""
    return [i.id for i in node.risk.incidents() if i.report.final_at is not None]


def final_responses(node: Node, report: str) -> int:
    """How many responses to ``report`` the node holds, final."""
    found = [i for i in node.risk.incidents() if i.id == report]
    return sum(1 for r in found[0].responses if r.final_at is not None) if found else 0


def test_a_delegate_reports_an_incident_the_other_party_responds_both_on_one_page(
        page: Any, network: Network) -> None:
    irn, sau = network.nodes["IRN"], network.nodes["SAU"]
    irn_url, sau_url = network.node_urls["IRN"], network.node_urls["SAU"]
    occurred = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")

    sign_in(page, sau_url + "/incidents")
    page.click("#report-link")
    page.wait_for_url("**/incidents/new")
    page.select_option("#report-other_party", "IRN")
    page.fill("#report-occurred_at", occurred)
    page.fill("#report-lat", "26.8")
    page.fill("#report-lon", "53.3")
    page.fill("#report-area_name", "Off Abu Musa")
    page.select_option("#report-unit-1-kind", "ship")
    page.fill("#report-unit-1-name", "HMS Example")
    page.fill("#report-unit-1-hull_number", "F-0")
    page.select_option("#report-unit-2-party", "IRN")
    page.select_option("#report-unit-2-kind", "boat")
    page.fill("#report-cpa_metres", "80")
    page.check("#report-event-unsafe-manoeuvre")
    page.check("#report-event-weapons-aimed")
    page.fill("#report-account", "Four fast boats crossed our bow at 80 m, guns manned.")
    page.click("#report-preview-button")
    page.wait_for_selector("#report-canonical")
    assert "incident-report@1" in page.inner_text("#report-canonical")
    shot(page, "incident-preview")
    page.click("#report-send")
    page.wait_for_url("**/incidents?sent=1*")
    assert "Signed and handed to the outbox" in page.inner_text("#sent-notice")
    assert network.wait(lambda: bool(reports(irn)) and bool(reports(sau)), 45)
    report = reports(irn)[0]
    assert network.wait(lambda: report in final_reports(irn), 45)

    sign_in(page, f"{irn_url}/incidents")
    page.locator("#incidents a", has_text="SAU and IRN").click()
    page.wait_for_url(f"**/incidents/{report}")
    assert "Response by IRN due by" in page.inner_text("#deadlines")
    page.fill("#respond-account", "Our patrol kept 700 m off and called on VHF 16.")
    page.fill("#respond-disputed", "The distance, and no weapon was aimed.")
    page.fill("#respond-cpa_metres", "700")
    page.click("#respond-send")
    page.wait_for_url(f"**/incidents/{report}?sent=1*")
    assert network.wait(lambda: final_responses(sau, report) == 1
                        and final_responses(irn, report) == 1, 45)

    for url in (f"{sau_url}/incidents/{report}", f"{irn_url}/incidents/{report}"):
        page.goto(url)
        table = page.inner_text("#accounts-table")
        assert "Four fast boats crossed our bow at 80 m" in table
        assert "Our patrol kept 700 m off" in table
        cpa = page.inner_text("#field-cpa_metres")
        assert "80 m" in cpa and "700 m" in cpa and "differs from the report" in cpa
        assert "— met (response log #" in page.inner_text("#deadlines")
    shot(page, "incident")

    page.goto(f"{irn_url}/risk")
    svg = page.locator("svg#gulf-map")
    assert svg.get_attribute("role") == "img"
    assert svg.bounding_box()["width"] > 300
    marker = page.locator(f"#gulf-map-incidents a[href='/incidents/{report}']")
    assert marker.count() == 1
    assert "26.80° N, 53.30° E" in page.inner_text("#map-list-incident")
    shot(page, "risk-map")
