"""The hub's pages: the public log (no sign-in) and the secretariat's overview (signed in).

Personas: IRN writes to all and to RUS alone; the public must see the first and nothing of the
second; the secretariat sees each participant's key and node health, never a bilateral body.
"""

from __future__ import annotations

import re

import pytest
from support.inprocess import PASSWORD, Browser, NodeNet, TestClient, text_of

from gulfsec.domain.entry import ALL
from gulfsec.services.hub import Hub
from gulfsec.services.shared.accounts import create_account


@pytest.fixture
def entries(net: NodeNet) -> dict[str, str]:
    irn = net.nodes["IRN"]
    public = irn.send("message@1", ALL, {"subject": "Confidence-building in the Gulf",
                                         "text": "A proposal to all participants."})
    private = irn.send("message@1", ("RUS",), {"subject": "Joint naval exercise",
                                                "text": "For Russia only."})
    net.settle()
    return {"public": public.id_hex, "private": private.id_hex}


@pytest.fixture
def public(api: TestClient) -> Browser:
    return Browser(api)


@pytest.fixture
def staff(api: TestClient, hub: Hub) -> Browser:
    create_account(hub.engine, "sami", PASSWORD, "secretariat")
    browser = Browser(api)
    assert browser.sign_in("sami").status_code == 303
    return browser


def test_the_public_page_shows_the_latest_checkpoint_and_who_cosigned_it(
        public: Browser, entries: dict[str, str], hub: Hub) -> None:
    page = public.get("/")
    assert page.status_code == 200
    text = text_of(page.text)
    assert f"{hub.state.size} entries" in text
    assert "Latest final checkpoint" in text
    final = re.search(r'id="final-cosignatures">(.*?)</table>', page.text, re.S)
    assert final is not None
    cosigners = set(re.findall(r"<td>([A-Z]{3})</td>", final.group(1)))
    assert len(cosigners) >= hub.regime.witness_quorum and cosigners <= {"IRN", "RUS", "SAU",
                                                                          "QAT"}
    assert "Confidence-building in the Gulf" in text
    assert "Joint naval exercise" not in text


def test_published_entries_are_those_addressed_to_all_and_only_those(
        public: Browser, entries: dict[str, str]) -> None:
    listing = public.get("/published").text
    assert entries["public"] in listing and entries["private"] not in listing
    page = public.get(f"/published/{entries['public']}")
    assert page.status_code == 200
    assert "A proposal to all participants." in text_of(page.text)
    hidden = public.get(f"/published/{entries['private']}")
    assert hidden.status_code == 404
    assert "For Russia only." not in hidden.text
    assert public.get(f"/published/{'0' * 64}").status_code == 404
    by_form = public.get("/published?form=acknowledgement@1").text
    assert entries["public"] not in by_form


def test_the_verify_page_gives_the_command_and_the_log_key(public: Browser, hub: Hub) -> None:
    page = public.get("/verify").text
    assert "gulfsec verify-log --hub http://testserver --log-key log.vkey" in page
    assert hub.log_key.verifier.encode() in page


def test_the_secretariat_needs_a_signed_in_account(public: Browser, hub: Hub) -> None:
    page = public.get("/secretariat")
    assert page.status_code == 303
    assert page.headers["location"].startswith("/sign-in?next=%2Fsecretariat")
    create_account(hub.engine, "sami", PASSWORD, "secretariat")
    assert public.sign_in("sami", "wrong password!").status_code == 400


def test_the_secretariat_sees_each_participants_node_health(
        staff: Browser, entries: dict[str, str], hub: Hub) -> None:
    page = staff.get("/secretariat")
    assert page.status_code == 200
    rows = {code: health for health, code in
            re.findall(r'<tr class="health-([a-z]+)" id="participant-([A-Z]+)">', page.text)}
    assert rows["IRN"] == "healthy" and rows["QAT"] == "healthy"
    assert rows["USA"] == "silent"  # registered, a witness, but no node cosigns for it
    assert rows["GBR"] == "unregistered"
    assert rows["GCC"] == "unregistered"
    text = text_of(page.text)
    assert f"{hub.state.size} entries" in text
    assert "For Russia only." not in page.text


def test_the_secretariat_sees_compliance_across_all_participants(
        staff: Browser, entries: dict[str, str]) -> None:
    page = staff.get("/secretariat/compliance")
    assert page.status_code == 200
    assert 'id="findings"' in page.text
    links = set(re.findall(r'href="/published/([0-9a-f]{64})"', page.text))
    assert entries["private"] not in links
    one = staff.get("/secretariat/compliance?party=IRN").text
    parties = set(re.findall(r'<tr class="finding[^"]*">\s*<td>.*?</td>\s*<td>([A-Z]+)</td>',
                             one, re.S))
    assert parties <= {"IRN"}


def test_signing_out_of_the_hub_ends_the_session(staff: Browser) -> None:
    csrf = staff.csrf("/secretariat")
    out = staff.post("/sign-out", {"csrf_token": csrf})
    assert out.status_code == 303
    assert staff.get("/secretariat").status_code == 303


def _rows(page: str) -> list[tuple[str, str]]:
    """(status, party) of each finding listed."""
    return re.findall(r'<tr class="finding[^"]*">\s*<td><span class="badge finding-([a-z]+)">'
                      r'.*?</td>\s*<td>([A-Z]+)</td>', page, re.S)


def test_the_secretariats_compliance_is_grouped_filtered_and_summarises_parties_without_node(
        staff: Browser, entries: dict[str, str]) -> None:
    page = staff.get("/secretariat/compliance").text
    groups = re.findall(r'<tr class="group[^"]*" id="group-([A-Z]+)-([a-z-]+)">', page)
    assert ("SAU", "acknowledgement") in groups and ("USA", "acknowledgement") in groups
    # USA (a key, no node) has never acknowledged: counted, not listed one by one.
    assert 'id="summarised-USA"' in page and 'id="summarised-IRN"' not in page
    listed = _rows(page)
    usa_acks = _rows(staff.get("/secretariat/compliance?party=USA&rule=acknowledgement").text)
    usa_other = _rows(staff.get("/secretariat/compliance?party=USA&rule=annual-exchange").text)
    assert usa_acks and {party for _, party in usa_acks} == {"USA"}
    assert len([row for row in listed if row[1] == "USA"]) == len(usa_other)
    met = staff.get("/secretariat/compliance?status=met").text
    assert _rows(met) and {status for status, _ in _rows(met)} == {"met"}
    odd = staff.get("/secretariat/compliance?status=nonsense&rule=nonsense&party=XYZ")
    assert odd.status_code == 200 and _rows(odd.text) == listed


def _counts(page: str) -> str:
    found = re.search(r'<p class="summary-counts" id="compliance-counts">(.*?)</p>', page, re.S)
    assert found is not None
    return text_of(found.group(1))


def test_the_secretariats_counts_follow_the_log_and_the_readers_language(
        staff: Browser, entries: dict[str, str], net: NodeNet) -> None:
    before = _counts(staff.get("/secretariat/compliance").text)
    assert re.search(r"[0-9]+ met", before)
    assert _counts(staff.get("/secretariat/compliance").text) == before  # kept, the same
    net.nodes["SAU"].send("message@1", ALL, {"subject": "Another", "text": "To all."})
    net.settle()
    after = _counts(staff.get("/secretariat/compliance").text)
    assert after != before  # the log changed: counted again, not the kept counts
    assert staff.get("/language?lang=ar&next=/secretariat/compliance").status_code == 303
    arabic = _counts(staff.get("/secretariat/compliance").text)
    assert re.search("[٠-٩]", arabic) and not re.search("[0-9]", arabic.replace("UTC", ""))
