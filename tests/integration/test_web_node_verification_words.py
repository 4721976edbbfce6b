"""An entry's verification and the alarms' titles and evidence read in the reader's language:
each is a whole message of the catalogs, looked up where the page shows it.

A stand-in catalog for Arabic puts every message it is asked for between ⟦ ⟧, so that a text
which went through the catalogs shows so on an Arabic page (Accept-Language: ar), whatever the
real catalogs hold yet; and each message asked for is one ``pybabel extract`` finds.
"""

from __future__ import annotations

import gettext as _gettext
from functools import cache
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from support.inprocess import Browser, NodeNet, TestClient, add_user, node_browser, text_of

from gulfsec import i18n
from gulfsec.domain.entry import ALL
from gulfsec.services.node import detail as details

DETAIL = Path(details.__file__)
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
ARABIC = {"Accept-Language": "ar"}


class Marked(_gettext.NullTranslations):
    """A catalog that marks each message it is asked for, and keeps which."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def gettext(self, message: str) -> str:
        self.asked.add(message)
        return f"⟦{message}⟧"

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        self.asked.add(msgid1)
        return f"⟦{msgid1 if n == 1 else msgid2}⟧"

    def pgettext(self, context: str, message: str) -> str:
        return f"⟦{message}⟧"

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        return f"⟦{msgid1 if n == 1 else msgid2}⟧"


@cache
def marked_in_detail() -> frozenset[str]:
    """The msgids ``pybabel extract`` finds in the module that writes the checks and alarms."""
    found = set()
    for _line, message, _comments, _context in extract_from_file("python", str(DETAIL),
                                                                 keywords=KEYWORDS):
        found.add(message[0] if isinstance(message, tuple) else message)
    return frozenset(found)


@pytest.fixture
def marked(monkeypatch: pytest.MonkeyPatch) -> Marked:
    catalog = Marked()
    real = i18n.catalog
    monkeypatch.setattr(i18n, "catalog", lambda code: catalog if code == "ar" else real(code))
    return catalog


@pytest.fixture
def officer(net: NodeNet) -> Browser:
    add_user(net.nodes["IRN"].engine, "leila", "officer")
    browser = node_browser(net.nodes["IRN"])
    assert browser.sign_in("leila").status_code == 303
    return browser


def test_every_alarm_title_and_evidence_label_is_marked_for_the_catalogs() -> None:
    found = marked_in_detail()
    assert set(details.ALARM_WORDS.values()) <= found
    assert set(details.EVIDENCE_LABELS.values()) <= found


def test_an_arabic_entry_page_shows_its_checks_through_the_catalogs(
        net: NodeNet, officer: Browser, marked: Marked) -> None:
    irn = net.nodes["IRN"]
    held = irn.send("message@1", ALL, {"subject": "Checked", "text": "In every language."})
    net.settle()
    pending = irn.send("message@1", ("RUS",), {"subject": "Sent", "text": "Not synced yet."})
    for entry_id, first in ((held.id_hex, "Signature valid: IRN's key"),
                            (pending.id_hex, "Signed by this node with the party's key")):
        found = details.entry_detail(irn, entry_id)
        assert found is not None and found.checks
        with i18n.use("en"):
            english = [check.text for check in found.checks]
        assert english[0].startswith(first) and not any("⟦" in text for text in english)
        page = officer.get(f"/entries/{entry_id}", headers=ARABIC)
        assert page.status_code == 200 and '<html lang="ar" dir="rtl">' in page.text
        text = text_of(page.text)
        for words in english:
            assert f"⟦{words}⟧" in text, words
        marked.asked.clear()
        with i18n.use("ar"):
            shown = [check.text for check in found.checks]
        assert shown == [f"⟦{words}⟧" for words in english]
        assert marked.asked and marked.asked <= marked_in_detail(), marked.asked


def test_an_arabic_alarms_page_shows_titles_and_evidence_through_the_catalogs(
        net: NodeNet, officer: Browser, marked: Marked) -> None:
    irn = net.nodes["IRN"]
    with irn.uow() as uow:
        held = uow.repo.latest_checkpoint()
        assert held is not None
        forged = held.note.replace(held.note.split("\n")[1], str(held.size + 99), 1)
        irn.core.alarm(uow.repo, "split_view", "the hub signed two different trees (at size 9)",
                       {"checkpoint": held.note, "conflicting_checkpoint": forged, "peer": "RUS"})
        uow.commit()
    text = text_of(officer.get("/alarms", headers=ARABIC).text)
    for words in ("Split view: the hub showed different logs", "Checkpoint the hub served",
                  "Conflicting checkpoint", "Peer node"):
        assert f"⟦{words}⟧" in text, words
    english = text_of(officer.get("/alarms").text)
    assert "Split view: the hub showed different logs" in english and "⟦" not in english


def test_the_hubs_arabic_published_list_shows_each_summary_through_the_catalogs(
        net: NodeNet, api: TestClient, marked: Marked) -> None:
    net.nodes["IRN"].send("message@1", ALL, {"subject": "Shipping lanes", "text": "To all."})
    net.settle()
    listing = Browser(api).get("/published", headers=ARABIC)
    assert listing.status_code == 200
    assert "⟦Shipping lanes⟧" in text_of(listing.text)
    assert "Shipping lanes" in text_of(Browser(api).get("/published").text)
