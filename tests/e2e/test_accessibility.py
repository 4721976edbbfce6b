"""Every kind of page passes axe-core, in English and in Arabic: no serious or critical issue.

axe-core (from the npm registry, pinned in ``tests/e2e/package.json``; ``make test`` installs
it) is injected into each page by Playwright; the pages' Content-Security-Policy would refuse a
script that did not come from the site, so the browser context bypasses it for the test only.
The network is ``gulfsec demo``'s, served on loopback; detail pages are reached by following
the first link of their kind on a list page, so that each kind is checked with real content.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.inprocess import served_demo

from gulfsec.demo import DEMO_PASSWORD, Network

pytestmark = pytest.mark.slow

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
PARTIES = ("IRN", "RUS", "QAT", "SAU")

NODE_PAGES = (
    ("/inbox", None), ("/inbox", 'a[href^="/entries/"]'), ("/compose", None),
    ("/compose/activity-notification@1", None), ("/compliance", None), ("/alarms", None),
    ("/hotline", None), ("/decisions", None), ("/decisions/new", None),
    ("/decisions", 'a[href^="/decisions/"]:not([href="/decisions/new"])'),
    ("/concept", None), ("/designations", None), ("/threads", None), ("/threads/new", None),
    ("/threads", 'a[href^="/threads/"]:not([href="/threads/new"])'), ("/meetings", None),
    ("/meetings/new", None), ("/meetings", 'a[href^="/meetings/"]:not([href="/meetings/new"])'),
    ("/mediation", None), ("/risk", None), ("/incidents", None), ("/incidents/new", None),
    ("/incidents", 'a[href^="/incidents/"]:not([href="/incidents/new"])'),
    ("/unusual", None), ("/unusual/new", None), ("/early-warning", None),
    ("/no/such/page", None),
)
HUB_PUBLIC = (("/", None), ("/published", None), ("/published", 'a[href^="/published/"]'),
              ("/verify", None), ("/decisions", None), ("/concept", None),
              ("/designations", None), ("/risk", None))
HUB_SECRETARIAT = (("/secretariat", None), ("/secretariat/compliance", None),
                   ("/secretariat/hotline", None), ("/secretariat/decisions", None),
                   ("/secretariat/meetings", None), ("/secretariat/risk", None),
                   ("/secretariat/news", None))


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run make test (it installs axe-core with npm)")
    with served_demo(tmp_path_factory.mktemp("a11y") / "net", PARTIES) as net:
        yield net


def _serious(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations
          .filter(v => v.impact === "serious" || v.impact === "critical")
          .map(v => ({id: v.id, impact: v.impact, help: v.help,
                      where: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
    }""")
    return found


def _sign_in(page: Any, url: str, name: str, home: str) -> None:
    page.goto(url + "/sign-in")
    page.fill("#name", name)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#sign-in-button")
    page.wait_for_url(f"**{home}")


def _check(page: Any, base: str, pages: tuple[tuple[str, str | None], ...],
           problems: dict[str, list[dict[str, Any]]]) -> int:
    checked = 0
    for path, follow in pages:
        page.goto(base + path)
        if follow is not None:
            link = page.locator(follow).first
            if link.count() == 0:
                continue
            link.click()
            page.wait_for_load_state()
        found = _serious(page)
        checked += 1
        if found:
            problems[page.url] = found
    return checked


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_no_page_has_a_serious_accessibility_problem(
        browser: Any, network: Network, lang: str) -> None:
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    problems: dict[str, list[dict[str, Any]]] = {}
    try:
        page = context.new_page()
        page.set_default_timeout(20_000)
        node = network.node_urls["IRN"]
        page.goto(f"{node}/language?lang={lang}&next=/sign-in")
        assert _serious(page) == [], "the sign-in page"
        _sign_in(page, node, "officer", "/inbox")
        checked = _check(page, node, NODE_PAGES, problems)
        page.goto(f"{network.hub_url}/language?lang={lang}&next=/")
        checked += _check(page, network.hub_url, HUB_PUBLIC, problems)
        _sign_in(page, network.hub_url, "secretariat", "/secretariat")
        checked += _check(page, network.hub_url, HUB_SECRETARIAT, problems)
    finally:
        context.close()
    assert checked >= 35
    assert problems == {}, "\n".join(f"{url}: {found}" for url, found in problems.items())
