"""The hotline's pages — a node's ``/hotline`` and its mark in every page's header, and the
secretariat's ``/secretariat/hotline`` — over a real hub and real nodes, on SQLite and
PostgreSQL.

Personas: leila, IRN's officer, writes on the hotline; victor, IRN's viewer, only reads; sara,
SAU's officer, receives; QAT's node is the outsider that holds nothing to open; RUS has a node
without hotline keys; USA has no node, and so no encryption key. sami is the secretariat's
account on the hub's pages; the public sees nothing of the hotline. Time is the test's clock: a
receipt is due within five minutes of the message's sequencing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta

import pytest
from support.databases import Databases
from support.inprocess import (
    BASE_URL,
    PASSWORD,
    Browser,
    NodeNet,
    TestClient,
    add_user,
    csrf_of,
    node_browser,
    text_of,
)

from gulfsec.adapters.clock import ManualClock
from gulfsec.adapters.hotline_keys import MemoryEncryptionKeys
from gulfsec.adapters.hubclient import HubClient
from gulfsec.adapters.storage.engine import create_db_engine
from gulfsec.adapters.storage.migrate import migrate
from gulfsec.bootstrap import build_hub_app
from gulfsec.domain.entry import parse_signed_entry
from gulfsec.domain.forms.hotline import HOTLINE
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import Regime
from gulfsec.services.hub import Hub
from gulfsec.services.hub.hotline import SecretariatHotline
from gulfsec.services.node import Node
from gulfsec.services.shared.accounts import create_account

NODES = ("IRN", "SAU", "QAT")
FLASH = "Two fast boats closing on the tanker lane at 0412, heading 140: yours? Answer now."
MINUTE = timedelta(minutes=1)


@dataclass
class Line:
    """The hub, the nodes with their encryption keys, and the secretariat's end of the line."""

    hub: Hub
    nodes: dict[str, Node]
    secretariat: SecretariatHotline

    def settle(self, only: Sequence[str] = NODES, rounds: int = 40) -> list[str]:
        """Run the secretariat's end and sync the ``only`` nodes until nothing moves; the
        alarms raised on the way."""
        alarms: list[str] = []
        for _ in range(rounds):
            size = self.hub.state.size
            self.secretariat.run_once()
            busy = self.hub.state.size != size
            for party in only:
                node = self.nodes[party]
                report = node.sync_once()
                assert node.last_error is None, node.last_error
                alarms += report.alarms
                busy = busy or bool(report.new_leaves or report.new_entries
                                    or report.acknowledged or report.newly_final
                                    or report.cosigned is not None)
            if not busy:
                return alarms
        raise AssertionError(f"no quiet round after {rounds} rounds")

    def sent(self, party: str) -> list[str]:
        """The hotline entries ``party``'s node signed."""
        with self.nodes[party].uow() as uow:
            items = uow.repo.outbox_items()
        found = [parse_signed_entry(i.raw, max_bytes=1 << 22) for i in items]
        return [s.id_hex for s in found if s.entry.form == HOTLINE]


@pytest.fixture
def line(hub: Hub, as_party: Callable[..., HubClient], party_keys: dict[str, SigningKey],
         clock: ManualClock, regime: Regime, log_key: SigningKey,
         databases: Databases) -> Iterator[Line]:
    """IRN's, SAU's and QAT's nodes, each with its encryption keys, and the secretariat's end
    of the hotline; settled: every key registered."""
    nodes: dict[str, Node] = {}
    try:
        for party in NODES:
            engine = create_db_engine(databases.new(f"node_{party.lower()}"))
            migrate(engine, "node")
            nodes[party] = Node(regime, engine, party, party_keys[party], as_party(party),
                                log_key.verifier, clock, hotline_keys=MemoryEncryptionKeys())
            nodes[party].load()
        sec = SecretariatHotline(hub, party_keys["SEC"], MemoryEncryptionKeys())
        network = Line(hub, nodes, sec)
        assert network.settle() == []
        yield network
    finally:
        for node in nodes.values():
            node.close()


def signed_in(node: Node, name: str, role: str = "officer") -> Browser:
    add_user(node.engine, name, role)
    browser = node_browser(node)
    assert browser.sign_in(name).status_code == 303
    return browser


def hotline_form(page: str, **fields: str | list[str]) -> dict[str, str | list[str]]:
    """The hotline form's CSRF and confirmation tokens, with ``fields``."""
    form = re.search(r'<form[^>]*id="hotline-form".*?</form>', page, re.S)
    assert form is not None, "no hotline form on the page"
    token = re.search(r'name="confirmation" value="([^"]+)"', form.group(0))
    assert token is not None
    return {"csrf_token": csrf_of(page), "confirmation": token.group(1), **fields}


def message_block(page: str, entry_id: str) -> str:
    found = re.search(rf'<li id="message-{entry_id[:12]}" class="hotline-message.*?</li>\s*'
                      r'(?=<li id="message-[0-9a-f]{12}" class|</ol>)', page, re.S)
    assert found is not None, f"no message {entry_id[:12]} on the page"
    return found.group(0)


def header(page: str) -> str:
    found = re.search(r'<header class="site-header">.*?</header>', page, re.S)
    assert found is not None
    return found.group(0)


def unread_in_header(page: str) -> int | None:
    found = re.search(r'id="hotline-unread">(\d+)<', header(page))
    return None if found is None else int(found.group(1))


@pytest.fixture
def leila(line: Line) -> Browser:
    return signed_in(line.nodes["IRN"], "leila")


@pytest.fixture
def sara(line: Line) -> Browser:
    return signed_in(line.nodes["SAU"], "sara")


# -- a message and its receipt -------------------------------------------------------------------


def test_an_officer_sends_a_flash_once_and_the_recipient_reads_it_then_it_shows_received(
        line: Line, leila: Browser, sara: Browser) -> None:
    page = leila.get("/hotline")
    assert page.status_code == 200
    assert 'id="nav-hotline" aria-current="page"' in page.text
    # Only the parties whose key the log holds can be chosen; the others are named.
    boxes = set(re.findall(r'name="to" value="([A-Z]+)"', page.text))
    assert boxes == {"SAU", "QAT", "SEC"}
    hint = re.search(r'id="hotline-to-hint">(.*?)</p>', page.text, re.S)
    assert hint is not None
    keyless = re.search(r"No key yet: ([A-Z, ]+) \(", text_of(hint.group(1)))
    assert keyless is not None
    assert {"RUS", "USA"} <= set(keyless.group(1).split(", ")) and "SAU" not in keyless.group(1)

    form = hotline_form(page.text, to=["SAU"], priority="flash", text=FLASH)
    first = leila.post("/hotline", form)
    assert first.status_code == 303
    assert first.headers["location"].startswith("/hotline?sent=1#message-")
    again = leila.post("/hotline", form)  # a reload, a double click: signed once
    assert again.status_code == 303
    assert again.headers["location"].startswith("/hotline?sent=again#message-")
    entry_id, = line.sent("IRN")
    assert first.headers["location"].endswith(entry_id[:12])

    mine = leila.get("/hotline?sent=1")
    assert "Sealed for each recipient, signed" in text_of(mine.text)
    block = message_block(mine.text, entry_id)
    assert 'class="hotline-message hotline-sent priority-flash' in block
    assert '<span class="precedence precedence-flash">FLASH</span>' in block
    said = text_of(block)
    assert "Sent by IRN to SAU" in said and FLASH in said
    assert ("Receipt from SAU: waiting (the hub has not sequenced the message yet: a receipt "
            "is due 5 minutes after it does)") in said

    # SAU's node has not synced: nothing on its pages yet.
    assert unread_in_header(sara.get("/inbox").text) is None
    assert line.settle() == []

    inbox = sara.get("/inbox")
    assert unread_in_header(inbox.text) == 1
    assert 'id="hotline-alarm-mark"' not in header(inbox.text)
    for other in ("/threads", "/compliance", "/alarms"):  # every page's header says it
        assert unread_in_header(sara.get(other).text) == 1, other
    opened = sara.get("/hotline")
    block = message_block(opened.text, entry_id)
    assert 'class="hotline-message hotline-received priority-flash unread"' in block
    said = text_of(block)
    assert "FLASH Received from IRN" in said and FLASH in said
    assert "receipt sent to IRN" in said
    assert "1 unread, 1 FLASH." in text_of(opened.text)
    # Opened: read now, for this account.
    assert unread_in_header(sara.get("/inbox").text) is None
    assert "unread" not in message_block(sara.get("/hotline").text, entry_id)

    received = leila.get("/hotline")
    said = text_of(message_block(received.text, entry_id))
    assert re.search(r"Receipt from SAU: received at 23 Nov 2026 12:0\d:\d\d UTC", said)
    # The outsider holds nothing of it.
    qat = signed_in(line.nodes["QAT"], "qasim")
    assert FLASH not in qat.get("/hotline").text
    assert unread_in_header(qat.get("/inbox").text) is None


def test_a_message_to_several_parties_shows_each_receipt_and_tests_are_folded_away(
        line: Line, leila: Browser, clock: ManualClock) -> None:
    irn = line.nodes["IRN"]
    assert irn.hotline is not None
    assert irn.hotline.test_if_due() is None  # the first look: a test is due an hour later
    page = leila.get("/hotline")
    form = hotline_form(page.text, to=["QAT", "SAU"], priority="immediate",
                        text="Both of you: the ferry schedule changes tonight.")
    assert leila.post("/hotline", form).status_code == 303
    entry_id, = line.sent("IRN")
    assert line.settle() == []
    clock.advance(61 * MINUTE)
    assert irn.hotline.test_if_due() is not None
    assert line.settle() == []

    assert leila.sign_in("leila").status_code == 303  # an hour idle: signed out
    page = leila.get("/hotline")
    said = text_of(message_block(page.text, entry_id))
    assert "IMMEDIATE Sent by IRN to QAT, SAU" in said
    assert "Receipt from QAT: received at" in said and "Receipt from SAU: received at" in said
    # The tests — IRN's to the secretariat, the secretariat's to IRN — are apart, folded.
    messages = re.search(r'id="hotline-messages">.*?</ol>', page.text, re.S)
    assert messages is not None and "Hotline test" not in messages.group(0)
    tests = re.search(r'<details id="tests-details">.*?</details>', page.text, re.S)
    assert tests is not None
    folded = text_of(tests.group(0))
    assert "Sent by IRN to SEC" in folded and "Received from SEC" in folded
    assert "SEC: received at" in folded
    # A test is never unread.
    assert unread_in_header(leila.get("/inbox").text) is None


# -- who may write, and what is refused ----------------------------------------------------------


def test_a_viewer_reads_the_hotline_but_may_not_send(line: Line, leila: Browser) -> None:
    victor = signed_in(line.nodes["IRN"], "victor", "viewer")
    page = victor.get("/hotline")
    assert page.status_code == 200
    assert 'id="hotline-form"' not in page.text
    assert "You are signed in as a viewer" in text_of(page.text)
    refused = victor.post("/hotline", {"csrf_token": csrf_of(page.text),
                                       "confirmation": "viewer-try", "to": "SAU",
                                       "priority": "flash", "text": "Not mine to send."})
    assert refused.status_code == 403
    assert "Only an officer may send on the hotline" in text_of(refused.text)
    assert line.sent("IRN") == []
    # No CSRF token: refused before anything else.
    assert leila.post("/hotline", {"to": "SAU", "priority": "flash", "text": "x",
                                   "confirmation": "abc"}).status_code == 403
    assert line.sent("IRN") == []


def test_the_form_names_each_field_at_fault_and_signs_nothing(
        line: Line, leila: Browser) -> None:
    page = leila.get("/hotline")
    empty = leila.post("/hotline", hotline_form(page.text, priority="urgent", text="  "))
    assert empty.status_code == 422
    errors = text_of(empty.text)
    assert "Nothing was signed: there is a problem" in errors
    assert "choose at least one recipient" in errors
    assert "choose the precedence: flash, immediate or routine" in errors
    assert "write the message" in errors
    assert 'id="hotline-text" name="text"' in empty.text and 'aria-invalid="true"' in empty.text

    keyless = leila.post("/hotline", hotline_form(page.text, to=["USA"], priority="routine",
                                                  text="Can you hear us?"))
    assert keyless.status_code == 422
    assert "USA has registered no hotline encryption key" in text_of(keyless.text)
    assert "Can you hear us?" in keyless.text  # what was written stays in the form
    too_long = leila.post("/hotline", hotline_form(page.text, to=["SAU"], priority="routine",
                                                   text="x" * 2001))
    assert too_long.status_code == 422
    assert "at most 2000 characters" in text_of(too_long.text)
    no_token = leila.post("/hotline", {**hotline_form(page.text, to=["SAU"], text="Hello",
                                                      priority="routine"), "confirmation": ""})
    assert no_token.status_code == 422
    assert "confirmation is missing" in text_of(no_token.text)
    assert line.sent("IRN") == []


# -- alarms --------------------------------------------------------------------------------------


def test_a_missing_receipt_marks_the_hotline_in_every_pages_header(
        line: Line, leila: Browser, clock: ManualClock) -> None:
    page = leila.get("/hotline")
    assert leila.post("/hotline", hotline_form(page.text, to=["SAU"], priority="flash",
                                               text=FLASH)).status_code == 303
    entry_id, = line.sent("IRN")
    assert 'id="hotline-alarm-mark"' not in header(leila.get("/inbox").text)
    # SAU's node does not run: nobody opens the message, and the deadline passes.
    assert line.settle(only=("IRN", "QAT")) == []
    clock.advance(7 * MINUTE)
    alarms = line.settle(only=("IRN", "QAT"))
    assert [a for a in alarms if a.startswith("hotline_no_receipt")], alarms

    for path in ("/inbox", "/threads", "/decisions", "/risk", "/alarms", "/hotline"):
        shown = header(leila.get(path).text)
        assert 'class="nav-hotline in-alarm"' in shown, path
        assert '<span class="nav-alarm" id="hotline-alarm-mark">alarm</span>' in shown, path
    page = leila.get("/hotline")
    notice = re.search(r'<div class="alarm" id="hotline-alarms".*?</div>', page.text, re.S)
    assert notice is not None
    assert "1 hotline alarm" in text_of(notice.group(0))
    assert "no receipt from SAU" in text_of(notice.group(0))
    assert re.search(r'href="/alarms#alarm-\d+"', notice.group(0))
    said = text_of(message_block(page.text, entry_id))
    assert re.search(r"Receipt from SAU: overdue — no receipt \(it was due by 23 Nov 2026 "
                     r"12:0\d:\d\d UTC\)", said)
    # Another delegate's header says it too; the alarm page names it.
    victor = signed_in(line.nodes["IRN"], "victor", "viewer")
    assert 'id="hotline-alarm-mark"' in header(victor.get("/inbox").text)


def test_a_node_without_hotline_keys_says_so_on_its_page(
        make_net: Callable[..., NodeNet]) -> None:
    net = make_net(("RUS",))
    rus = net.nodes["RUS"]
    assert rus.hotline is None
    browser = signed_in(rus, "ruslan")
    inbox = browser.get("/inbox")
    assert 'id="nav-hotline"' in header(inbox.text)  # the link is always there
    assert unread_in_header(inbox.text) is None
    page = browser.get("/hotline")
    assert page.status_code == 200
    assert ("The hotline is not set up on this node: it runs without hotline encryption keys"
            in text_of(page.text))
    assert "keys/RUS.hotline/" in page.text
    assert 'id="hotline-form"' not in page.text
    refused = browser.post("/hotline", {"csrf_token": csrf_of(page.text),
                                        "confirmation": "abc", "to": "SAU",
                                        "priority": "routine", "text": "hello"})
    assert refused.status_code == 409
    assert "the hotline is not set up on this node" in text_of(refused.text)


# -- the secretariat -----------------------------------------------------------------------------


def hub_browser(hub: Hub, secretariat: SecretariatHotline | None) -> TestClient:
    return TestClient(build_hub_app(hub, manage_lifecycle=False, hotline=secretariat),
                      base_url=BASE_URL)


def test_the_secretariat_sees_each_line_with_those_in_alarm_first_and_what_came_to_it(
        line: Line, leila: Browser, clock: ManualClock) -> None:
    irn, qat = line.nodes["IRN"], line.nodes["QAT"]
    assert irn.hotline is not None and qat.hotline is not None
    for node in (irn, qat):
        assert node.hotline is not None and node.hotline.test_if_due() is None
    page = leila.get("/hotline")
    assert leila.post("/hotline", hotline_form(
        page.text, to=["SEC"], priority="immediate",
        text="To the Centre: request an urgent call with SAU.")).status_code == 303
    assert line.settle() == []
    # An hour on, IRN and QAT test their lines; SAU's node has stopped and answers nothing.
    clock.advance(61 * MINUTE)
    for node in (irn, qat):
        assert node.hotline is not None and node.hotline.test_if_due() is not None
    line.settle(only=("IRN", "QAT"))
    clock.advance(6 * MINUTE)
    line.settle(only=("IRN", "QAT"))

    create_account(line.hub.engine, "sami", PASSWORD, "secretariat")
    staff = Browser(hub_browser(line.hub, line.secretariat))
    assert staff.sign_in("sami").status_code == 303
    shown = staff.get("/secretariat/hotline")
    assert shown.status_code == 200
    rows = re.findall(r'<tr id="line-([A-Z]+)" class="line line-([a-z-]+)">', shown.text)
    assert rows[0] == ("SAU", "alarm")
    status = dict(rows)
    assert (status["IRN"], status["QAT"], status["USA"], status["RUS"]) == (
        "ok", "ok", "no-key", "no-key")
    sau = re.search(r'<tr id="line-SAU".*?</tr>', shown.text, re.S)
    assert sau is not None
    said = text_of(sau.group(0))
    assert "ALARM: the line failed" in said and "overdue — no receipt" in said
    assert "no receipt from SAU" in said and "no test from SAU" in said
    irn_row = re.search(r'<tr id="line-IRN".*?</tr>', shown.text, re.S)
    assert irn_row is not None
    assert re.search(r"received at 23 Nov 2026 13:0\d:\d\d UTC", text_of(irn_row.group(0)))
    assert "receipt sent" in text_of(irn_row.group(0))
    assert "1 line in alarm: SAU." in text_of(shown.text)
    # What IRN wrote to the secretariat, opened; not the tests.
    messages = re.search(r'id="secretariat-messages">.*?</ol>', shown.text, re.S)
    assert messages is not None
    said = text_of(messages.group(0))
    assert "IMMEDIATE From IRN" in said and "request an urgent call with SAU" in said
    assert "Hotline test" not in said and "receipt sent to IRN" in said

    # Escalation: the overview names the line and links here; every header marks it.
    overview = staff.get("/secretariat")
    escalation = re.search(r'<p class="notice alarm-notice" id="hotline-escalation".*?</p>',
                           overview.text, re.S)
    assert escalation is not None
    assert "the line with SAU is in alarm" in text_of(escalation.group(0))
    assert 'href="/secretariat/hotline"' in escalation.group(0)
    assert 'id="hotline-alarm-mark"' in header(overview.text)


def test_the_public_cannot_see_the_secretariats_hotline_and_a_hub_without_its_end_says_so(
        line: Line, hub: Hub) -> None:
    public = Browser(hub_browser(hub, line.secretariat))
    asked = public.get("/secretariat/hotline")
    assert asked.status_code == 303
    assert asked.headers["location"].startswith("/sign-in")
    front = public.get("/")
    assert 'id="nav-hotline"' not in front.text  # the public's header has no hotline link

    create_account(hub.engine, "sami", PASSWORD, "secretariat")
    staff = Browser(hub_browser(hub, None))
    assert staff.sign_in("sami").status_code == 303
    page = staff.get("/secretariat/hotline")
    assert page.status_code == 200
    assert "This hub does not run the secretariat's end of the hotline" in text_of(page.text)
    assert 'id="hotline-escalation"' not in staff.get("/secretariat").text


# -- every page: one h1, headings in order, labels on every field, the reader's language ---------


def test_the_hotline_pages_are_accessible_and_in_the_readers_language(
        line: Line, leila: Browser, sara: Browser) -> None:
    page = leila.get("/hotline")
    assert leila.post("/hotline", hotline_form(page.text, to=["SAU", "SEC"], priority="flash",
                                               text=FLASH)).status_code == 303
    assert line.settle() == []
    create_account(line.hub.engine, "sami", PASSWORD, "secretariat")
    staff = Browser(hub_browser(line.hub, line.secretariat))
    assert staff.sign_in("sami").status_code == 303
    pages = {"IRN /hotline": leila.get("/hotline"), "SAU /hotline": sara.get("/hotline"),
             "IRN errors": leila.post("/hotline", hotline_form(leila.get("/hotline").text,
                                                               text="")),
             "hub /secretariat/hotline": staff.get("/secretariat/hotline")}
    for path, shown in pages.items():
        assert shown.status_code == (422 if path == "IRN errors" else 200), path
        levels = [int(n) for n in re.findall(r"<h([1-6])[\s>]", shown.text)]
        assert levels.count(1) == 1, path
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), (path, levels)
        labels = set(re.findall(r'<label for="([^"]+)"', shown.text))
        fields = set(re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', shown.text))
        assert fields <= labels, (path, fields - labels)
        ids = re.findall(r' id="([^"]+)"', shown.text)
        assert len(ids) == len(set(ids)), (path, sorted({i for i in ids if ids.count(i) > 1}))
        assert " style=" not in shown.text, path  # the CSP allows no inline style
    # Every link of the error summary leads to its field.
    errors = pages["IRN errors"].text
    summary = re.search(r'<div class="error-summary".*?</div>', errors, re.S)
    assert summary is not None
    anchors = re.findall(r'href="#([^"]+)"', summary.group(0))
    assert set(anchors) == {"hotline-to", "hotline-priority", "hotline-text"}
    assert all(f'id="{anchor}"' in errors for anchor in anchors)

    assert leila.get("/language?lang=fa&next=/hotline").status_code == 303
    persian = leila.get("/hotline").text
    assert '<html lang="fa" dir="rtl">' in persian
    assert '<h1>خط ویژه</h1>' in persian
    assert ">خط ویژه</a></li>" in header(persian)
    assert leila.get("/language?lang=ar&next=/hotline").status_code == 303
    arabic = leila.get("/inbox").text
    assert '<html lang="ar" dir="rtl">' in arabic and ">الخط الساخن</a></li>" in header(arabic)
    assert staff.get("/language?lang=fr&next=/secretariat/hotline").status_code == 303
    french = staff.get("/secretariat/hotline").text
    assert "<h1>Ligne directe</h1>" in french and "État des lignes" in french
