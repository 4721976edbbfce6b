"""E-mail notifications for a node's delegates, through a real SMTP server (aiosmtpd on a free
loopback port), over a real hub and real nodes, on SQLite and PostgreSQL.

Personas: IRN writes; RUS's node receives. On RUS's node, rustam (officer) asked for
everything at rustam@mfa.example; vera (viewer) asked for nothing; oleg asked for alarms only.
QAT is the outsider whose node holds nothing of a bilateral entry, and so tells nobody of it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from support.databases import Databases
from support.inprocess import (
    BASE_URL,
    Browser,
    NodeNet,
    TestClient,
    add_user,
    csrf_of,
    text_of,
)
from support.ports import reserve_port

from gulfsec.adapters.clock import ManualClock
from gulfsec.adapters.mail import SmtpMailer, SmtpServer
from gulfsec.adapters.storage import node as node_store
from gulfsec.adapters.storage.accounts import NODE_TABLES
from gulfsec.adapters.storage.engine import create_db_engine
from gulfsec.adapters.storage.migrate import migrate
from gulfsec.adapters.storage.node import HotlineRow
from gulfsec.adapters.storage.notifications import NotificationRepository
from gulfsec.bootstrap import build_node_app
from gulfsec.domain.encoding import format_time
from gulfsec.domain.entry import ALL
from gulfsec.domain.forms.decisions import DRAFT, POSITION
from gulfsec.domain.forms.meetings import MEETING as MEETING_FORM
from gulfsec.domain.forms.meetings import MEETING_REPLY
from gulfsec.domain.procedures.meetings import step_audience
from gulfsec.services.node import Node
from gulfsec.services.node.core import SyncReport
from gulfsec.services.node.notifications import Notifications, Notifier

PUBLIC = "https://rus-node.mfa.example/gulfsec"
SECRET_SUBJECT = "Submarine transit through Hormuz"
SECRET_TEXT = "Periscope depth, 0300 local, two escorts."
EVERYTHING = {"address": "rustam@mfa.example", "language": "en", "entries": "1", "due": "1",
              "alarms": "1"}


# -- a real SMTP server ----------------------------------------------------------------------


@dataclass
class Mailbox:
    """What the SMTP server on ``port`` took, as (recipients, parsed message)."""

    port: int
    got: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.got.append((list(envelope.rcpt_tos), parsed))
        self.arrived.set()
        return "250 OK"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[EmailMessage]:
        return [message for rcpts, message in self.got if address in rcpts]


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox(reserve_port())
    box.start()
    yield box
    box.stop()


def notifications_of(node: Node, box: Mailbox) -> Notifications:
    server = SmtpServer("127.0.0.1", box.port, "gulfsec-rus@mfa.example", starttls=False,
                        timeout_s=5)
    return Notifications(node, SmtpMailer(server), PUBLIC)


def account_id(node: Node, name: str) -> int:
    assert node.engine is not None
    with node.engine.connect() as conn:
        return int(conn.execute(sa.select(NODE_TABLES.accounts.c.id)
                                .where(NODE_TABLES.accounts.c.name == name)).scalar_one())


@dataclass
class Rus:
    net: NodeNet
    node: Node
    notes: Notifications
    box: Mailbox

    def send_from_irn(self, subject: str = SECRET_SUBJECT) -> str:
        signed = self.net.nodes["IRN"].send("message@1", ("RUS",),
                                            {"subject": subject, "text": SECRET_TEXT})
        self.net.settle()
        return signed.id_hex


@pytest.fixture
def rus(net: NodeNet, mailbox: Mailbox) -> Rus:
    """RUS's node with its three delegates' choices saved, and its cursors set (nothing that
    arrived before is told)."""
    node = net.nodes["RUS"]
    notes = notifications_of(node, mailbox)
    for name, role in (("rustam", "officer"), ("vera", "viewer"), ("oleg", "officer")):
        add_user(node.engine, name, role)
    _, problems = notes.save(account_id(node, "rustam"), EVERYTHING)
    assert problems == {}
    _, problems = notes.save(account_id(node, "oleg"), {
        "address": "oleg@mfa.example", "language": "en", "alarms": "1"})
    assert problems == {}
    assert notes.run_once() == (0, 0)
    return Rus(net, node, notes, mailbox)


# -- entries ---------------------------------------------------------------------------------


def test_a_delegate_who_asked_gets_one_mail_per_entry_with_its_link_and_never_its_words(
        rus: Rus) -> None:
    first = rus.send_from_irn()
    second = rus.send_from_irn("Second notice")
    assert rus.notes.run_once() == (2, 2)
    mails = rus.box.to("rustam@mfa.example")
    assert len(mails) == 2
    for mail, eid in zip(mails, (first, second), strict=True):
        assert mail["Subject"] == "gulfsec RUS: new entry from IRN (Consultation message)"
        assert mail["From"] == "gulfsec-rus@mfa.example"
        body = mail.get_content()
        assert f"{PUBLIC}/entries/{eid}" in body
        assert "IRN" in body and "Log index:" in body
        for secret in (SECRET_SUBJECT, SECRET_TEXT, "Second notice"):
            assert secret not in body and secret not in str(mail["Subject"])
    assert rus.notes.run_once() == (0, 0)  # never twice
    assert len(rus.box.got) == 2  # vera asked for nothing, oleg for alarms only


def test_a_node_that_holds_no_entry_tells_nobody_of_it(net: NodeNet, mailbox: Mailbox) -> None:
    qat = net.nodes["QAT"]
    add_user(qat.engine, "qasim", "officer")
    notes = notifications_of(qat, mailbox)
    notes.save(account_id(qat, "qasim"), {**EVERYTHING, "address": "qasim@mofa.example"})
    notes.run_once()
    net.nodes["IRN"].send("message@1", ("RUS",), {"subject": SECRET_SUBJECT, "text": "x"})
    net.settle()
    assert notes.run_once() == (0, 0)
    assert mailbox.got == []


def test_the_mail_is_in_the_language_the_delegate_chose(rus: Rus) -> None:
    rustam = account_id(rus.node, "rustam")
    rus.notes.save(rustam, {**EVERYTHING, "language": "ar"})
    eid = rus.send_from_irn()
    rus.notes.run_once()
    (mail,) = rus.box.to("rustam@mfa.example")
    body = mail.get_content()
    assert f"{PUBLIC}/entries/{eid}" in body
    assert any("\u0600" <= ch <= "\u06ff" for ch in body)  # written in Arabic
    assert SECRET_SUBJECT not in body


# -- alarms and the hotline: at once ---------------------------------------------------------


def test_an_alarm_and_a_hotline_message_are_mailed_at_once_without_the_message(
        rus: Rus) -> None:
    notifier = Notifier(rus.notes, tick_s=60)  # only a wake-up can make it run in time
    notifier.start()
    try:
        rus.box.arrived.clear()
        rus.node.core.raise_alarm(SyncReport(), "split_view", "two trees of size 9",
                                  {"checkpoint_a": "x"})
        notifier.wake()
        assert rus.box.arrived.wait(10)
        _wait_for(lambda: len(rus.box.got) == 2)  # rustam and oleg
        for address in ("rustam@mfa.example", "oleg@mfa.example"):
            (alarm,) = rus.box.to(address)
            assert "ALARM split_view" in alarm["Subject"]
            assert f"{PUBLIC}/alarms" in alarm.get_content()
        with rus.node.uow() as uow:
            for kind, sender in (("test", "SEC"), ("message", "SAU")):
                uow.repo.add_hotline(HotlineRow(
                    bytes([len(kind)]) * 32, "received", sender, ("RUS",), kind, 1,
                    f'{{"text": "{SECRET_TEXT}"}}', None, _micros(rus.net)))
            uow.commit()
        notifier.wake()
        _wait_for(lambda: len(rus.box.got) == 4)
    finally:
        notifier.stop()
    hotline = [m for m in rus.box.to("oleg@mfa.example") if "hotline" in m["Subject"]]
    assert len(hotline) == 1  # the line's test is no news
    assert hotline[0]["Subject"] == "gulfsec RUS: hotline message from SAU"
    body = hotline[0].get_content()
    assert f"{PUBLIC}/hotline" in body and SECRET_TEXT not in body
    assert rus.notes.run_once() == (0, 0)


def _micros(net: NodeNet) -> int:
    node = next(iter(net.nodes.values()))
    return int(node.clock.now().timestamp() * 1_000_000)


def _wait_for(condition: Callable[[], bool], timeout_s: float = 10) -> None:
    end = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


# -- an acknowledgement due soon ---------------------------------------------------------------


def test_an_acknowledgement_due_within_a_day_is_told_once(rus: Rus, clock: ManualClock) -> None:
    rus.node.sync.acknowledge = False  # RUS's node leaves it to be done
    rustam = account_id(rus.node, "rustam")
    rus.notes.save(rustam, {**EVERYTHING, "entries": ""})
    eid = rus.send_from_irn()
    assert rus.notes.run_once() == (1, 1)
    (mail,) = rus.box.to("rustam@mfa.example")
    assert mail["Subject"].startswith("gulfsec RUS: acknowledgement due by ")
    assert f"{PUBLIC}/entries/{eid}" in mail.get_content()
    clock.advance(timedelta(hours=1))
    assert rus.notes.run_once() == (0, 0)  # once per duty
    assert rus.box.to("oleg@mfa.example") == []


def test_an_acknowledgement_the_node_signed_is_not_told(rus: Rus) -> None:
    rustam = account_id(rus.node, "rustam")
    rus.notes.save(rustam, {**EVERYTHING, "entries": ""})
    rus.send_from_irn()  # the node acknowledges it as it syncs
    assert rus.notes.run_once() == (0, 0)


# -- other obligations due soon: reports, replies, draft decisions closing ---------------------

EXCHANGE = {"year": 2027, "command_organisation": [{"ref": "GS", "name": "General Staff"}],
            "units": []}
EXCHANGE_DUE = datetime(2026, 12, 15, 23, 59, 59, tzinfo=UTC)
"""When RUS's annual exchange for 2027 is due (the regime's 15 December, at the day's end)."""
MEETING = {"title": SECRET_SUBJECT, "level": "expert", "starts_at": "2026-12-01T09:00:00Z",
           "timezone": "Asia/Tehran", "duration_minutes": 90, "place": "Bandar Abbas",
           "agenda": ["Opening", SECRET_TEXT]}


def only_due(rus: Rus) -> None:
    rus.notes.save(account_id(rus.node, "rustam"), {**EVERYTHING, "entries": "",
                                                    "alarms": ""})


def test_a_report_falling_due_within_a_day_is_told_once(rus: Rus, clock: ManualClock) -> None:
    only_due(rus)
    clock.set(EXCHANGE_DUE - timedelta(hours=25))
    assert rus.notes.run_once() == (0, 0)  # not within a day yet
    clock.advance(timedelta(hours=2))
    assert rus.notes.run_once() == (1, 1)  # RUS's own report: not IRN's, SAU's or QAT's
    (mail,) = rus.box.to("rustam@mfa.example")
    assert mail["Subject"] == ("gulfsec RUS: due by 15 Dec 2026 23:59:59 UTC: "
                               "Annual exchange of military information")
    body = mail.get_content()
    assert "RUS owes this, and it is due by 15 Dec 2026 23:59:59 UTC" in body
    assert "for the year 2027" in body and f"{PUBLIC}/compliance" in body
    clock.advance(timedelta(hours=1))
    assert rus.notes.run_once() == (0, 0)  # once per obligation
    assert rus.box.to("oleg@mfa.example") == []  # oleg asked for alarms only
    with rus.node.uow() as uow:
        (kept,) = NotificationRepository(uow.repo.conn).mails()
    assert kept.event == "owed:annual-exchange:2027"


def test_a_report_already_filed_is_not_told(rus: Rus, clock: ManualClock) -> None:
    only_due(rus)
    rus.node.send("annual-exchange@1", ALL, EXCHANGE)
    rus.net.settle()  # final: met
    clock.set(EXCHANGE_DUE - timedelta(hours=2))
    assert rus.notes.run_once() == (0, 0)
    assert rus.box.got == []


def test_a_reply_owed_to_a_meeting_is_told_once_and_not_once_given(
        rus: Rus, clock: ManualClock) -> None:
    only_due(rus)
    irn = rus.net.nodes["IRN"]
    owed = irn.send(MEETING_FORM, ("RUS",), MEETING).id_hex
    second = irn.send(MEETING_FORM, ("RUS",), {**MEETING, "title": "Follow-up"})
    answered = second.id_hex
    rus.net.settle()
    rus.node.send(MEETING_REPLY, step_audience(second, "RUS"),
                  {"meeting": answered, "reply": "accept"}, refs=[answered])
    rus.net.settle()
    assert rus.notes.run_once() == (0, 0)  # due in two days
    clock.advance(timedelta(hours=25))
    assert rus.notes.run_once() == (1, 1)
    (mail,) = rus.box.to("rustam@mfa.example")
    subject = str(mail["Subject"]).strip()  # the stdlib folds this one after "Subject:"
    assert subject.startswith("gulfsec RUS: due by ")
    assert subject.endswith(": Reply to a meeting's invitation")
    body = mail.get_content()
    assert f"{PUBLIC}/meetings/{owed}" in body and "log index" in body
    for secret in (SECRET_SUBJECT, SECRET_TEXT, "Bandar Abbas", answered):
        assert secret not in body and secret not in str(mail["Subject"])
    clock.advance(timedelta(hours=1))
    assert rus.notes.run_once() == (0, 0)


def _draft(clock: ManualClock, title: str, closes_in: timedelta) -> dict[str, str]:
    return {"kind": "text", "title": title, "text": f"The parties agree: {SECRET_TEXT}",
            "format": "all", "procedure": "consensus",
            "closes_at": format_time(clock.now() + closes_in)}


def test_a_draft_decision_closing_without_my_position_is_told_once(
        rus: Rus, clock: ManualClock) -> None:
    only_due(rus)
    sau = rus.net.nodes["SAU"]
    silent = sau.send(DRAFT, ALL, _draft(clock, SECRET_SUBJECT, timedelta(hours=30))).id_hex
    joined = sau.send(DRAFT, ALL, _draft(clock, "Joined", timedelta(hours=30))).id_hex
    rus.net.settle()
    rus.node.send(POSITION, ALL, {"draft": joined, "position": "join"}, refs=[joined])
    rus.net.settle()  # final: RUS's position on it counts
    assert rus.notes.run_once() == (0, 0)  # closes in more than a day
    clock.advance(timedelta(hours=7))
    assert rus.notes.run_once() == (1, 1)
    (mail,) = rus.box.to("rustam@mfa.example")
    assert mail["Subject"].startswith("gulfsec RUS: a draft decision closes at ")
    body = mail.get_content()
    assert "proposed by Kingdom of Saudi Arabia (SAU)" in body
    assert "RUS has taken no position on it yet" in body
    assert f"{PUBLIC}/decisions/{silent}" in body and joined not in body
    for secret in (SECRET_SUBJECT, SECRET_TEXT):
        assert secret not in body and secret not in str(mail["Subject"])
    clock.advance(timedelta(hours=1))
    assert rus.notes.run_once() == (0, 0)  # once per draft
    rus.node.send(POSITION, ALL, {"draft": silent, "position": "stand-aside"},
                  refs=[silent])
    rus.net.settle()
    assert rus.notes.run_once() == (0, 0)
    with rus.node.uow() as uow:
        (kept,) = NotificationRepository(uow.repo.conn).mails()
    assert kept.event == f"closing:{silent}"


def test_a_position_sent_before_the_window_is_not_told_even_unfinal(
        rus: Rus, clock: ManualClock) -> None:
    only_due(rus)
    draft = rus.net.nodes["SAU"].send(DRAFT, ALL, _draft(clock, "Soon", timedelta(hours=20)))
    rus.net.settle()
    rus.node.send(POSITION, ALL, {"draft": draft.id_hex, "position": "join"},
                  refs=[draft.id_hex])
    rus.node.sync_once()  # sequenced, not final yet
    decision = rus.node.decisions.decision(draft.id_hex, clock.now())
    assert "RUS" not in decision.positions  # no position that counts yet
    assert [s.final_at for s in decision.steps if s.party == "RUS"] == [None]
    assert rus.notes.run_once() == (0, 0)


# -- the SMTP server down ----------------------------------------------------------------------


def test_a_mail_server_down_loses_nothing_and_sends_each_mail_once_when_back(
        rus: Rus, clock: ManualClock) -> None:
    rus.box.stop()
    eid = rus.send_from_irn()
    assert rus.notes.run_once() == (1, 0)
    with rus.node.uow() as uow:
        (waiting,) = NotificationRepository(uow.repo.conn).mails()
    assert waiting.sent_at is None and waiting.failed_at is None
    assert waiting.attempts == 1 and "cannot reach the SMTP server" in (waiting.last_error or "")
    rus.box.start()
    assert rus.notes.run_once() == (0, 0)  # not before its next try
    clock.advance(timedelta(minutes=2))
    assert rus.notes.run_once() == (0, 1)
    (mail,) = rus.box.to("rustam@mfa.example")
    assert eid in mail.get_content()
    clock.advance(timedelta(hours=2))
    assert rus.notes.run_once() == (0, 0)
    assert len(rus.box.got) == 1


def test_without_a_mail_server_nothing_is_noticed_or_sent(net: NodeNet) -> None:
    notes = Notifications(net.nodes["RUS"], None, None)
    assert not notes.enabled
    assert notes.run_once() == (0, 0)


# -- the page ----------------------------------------------------------------------------------


def page_of(node: Node, notes: Notifications | None, name: str) -> Browser:
    add_user(node.engine, name, "viewer")
    browser = Browser(TestClient(build_node_app(node, run_sync=False, notifications=notes),
                                 base_url=BASE_URL))
    assert browser.sign_in(name).status_code == 303
    return browser


def test_a_delegate_sets_their_notifications_on_their_own_page(net: NodeNet,
                                                               mailbox: Mailbox) -> None:
    node = net.nodes["RUS"]
    notes = notifications_of(node, mailbox)
    browser = page_of(node, notes, "vera")
    page = browser.get("/settings/notifications")
    assert page.status_code == 200
    assert 'id="nav-notifications"' in page.text and 'id="notifications-off"' not in page.text
    token = csrf_of(page.text)

    refused = browser.post("/settings/notifications", {
        "csrf_token": token, "address": "vera at mfa", "language": "ru", "entries": "1"})
    assert refused.status_code == 422
    text = text_of(refused.text)
    assert "Nothing was saved" in text and "This is not an e-mail address" in text
    assert 'value="vera at mfa"' in refused.text  # what was typed is kept
    assert 'id="notify-entries" name="entries" value="1" aria-describedby="notify-entries-hint"' \
        ' checked' in refused.text
    assert notes.preferences(account_id(node, "vera")).address == ""

    saved = browser.post("/settings/notifications", {
        "csrf_token": token, "address": "vera@mfa.example", "language": "ru", "alarms": "1"})
    assert saved.status_code == 303
    assert saved.headers["location"] == "/settings/notifications?saved=1"
    shown = browser.get(saved.headers["location"]).text
    assert 'id="saved-notice"' in shown and 'value="vera@mfa.example"' in shown
    prefs = notes.preferences(account_id(node, "vera"))
    assert (prefs.address, prefs.entries, prefs.due, prefs.alarms, prefs.language) == (
        "vera@mfa.example", False, False, True, "ru")


def test_the_page_refuses_a_form_without_its_csrf_token(net: NodeNet, mailbox: Mailbox) -> None:
    node = net.nodes["RUS"]
    notes = notifications_of(node, mailbox)
    browser = page_of(node, notes, "vera")
    for token in (None, "forged"):
        data = {"address": "vera@mfa.example", "language": "en", "alarms": "1"}
        if token is not None:
            data["csrf_token"] = token
        assert browser.post("/settings/notifications", data).status_code == 403
    assert notes.preferences(account_id(node, "vera")).alarms is False


def test_the_page_needs_a_signed_in_delegate(net: NodeNet) -> None:
    client = TestClient(build_node_app(net.nodes["RUS"], run_sync=False), base_url=BASE_URL)
    answer = client.get("/settings/notifications", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in")


def test_without_a_mail_server_the_page_says_notifications_are_off(net: NodeNet) -> None:
    browser = page_of(net.nodes["RUS"], None, "vera")
    page = browser.get("/settings/notifications").text
    assert 'id="notifications-off"' in page and "GULFSEC_SMTP_HOST" in page


# -- the schema --------------------------------------------------------------------------------


def test_the_migration_makes_the_tables_the_code_describes(databases: Databases) -> None:
    engine = create_db_engine(databases.new("node_notify_schema"))
    try:
        migrate(engine, "node")
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), node_store.metadata)
    finally:
        engine.dispose()
    touching = [d for d in diffs if "node_notify" in repr(d)]
    assert touching == [], touching


# -- where it runs -----------------------------------------------------------------------------


def test_the_notifier_runs_beside_the_node_apps_sync_loop(rus: Rus) -> None:
    app = build_node_app(rus.node, sync_interval_s=0.05, notifications=rus.notes)
    with TestClient(app, base_url=BASE_URL):  # its lifespan starts the loop and the notifier
        eid = rus.net.nodes["IRN"].send("message@1", ("RUS",),
                                        {"subject": SECRET_SUBJECT, "text": SECRET_TEXT}).id_hex
        assert rus.box.arrived.wait(20), "no mail came"
    (mail,) = rus.box.to("rustam@mfa.example")
    assert f"{PUBLIC}/entries/{eid}" in mail.get_content()
