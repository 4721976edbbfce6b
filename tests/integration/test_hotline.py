"""The hotline end to end, on SQLite and on PostgreSQL: a real hub in this process, the nodes of
IRN, SAU and QAT beside it (three witnesses, the regime's quorum) with their encryption keys,
and the secretariat's end of the line run by the hub (:class:`SecretariatHotline`).

Personas: IRN sends, SAU receives, QAT is the outsider who sees that a message passed and holds
nothing to open; USA has no node (it signs straight to the hub, to send what a node would not).
Time is the test's clock: a receipt is due within five minutes of the message's sequencing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from support.databases import Databases
from support.inprocess import BASE_URL, TestClient

from gulfsec.adapters.clock import ManualClock
from gulfsec.adapters.hotline_keys import MemoryEncryptionKeys
from gulfsec.adapters.hubclient import HubClient
from gulfsec.adapters.storage.engine import create_db_engine
from gulfsec.adapters.storage.migrate import migrate
from gulfsec.bootstrap import build_hub_app, build_node_app
from gulfsec.domain.entry import parse_signed_entry
from gulfsec.domain.forms.hotline import ENCRYPTION_KEY, HOTLINE
from gulfsec.domain.hotline import b64url
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import Regime
from gulfsec.domain.request_auth import sign_request
from gulfsec.errors import NotFound
from gulfsec.ledger.tree import leaf_hash
from gulfsec.services.hub import Hub
from gulfsec.services.hub.hotline import SecretariatHotline
from gulfsec.services.node import Node
from gulfsec.services.node.hotline import HotlineScheduler
from gulfsec.services.participant import compose

NODES = ("IRN", "SAU", "QAT")
SECRET = "Two unidentified fast boats heading for the tanker lane at 0412: yours? Reply now."
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass
class Line:
    """The hub, the nodes and the secretariat's end, synced when a test says so."""

    hub: Hub
    nodes: dict[str, Node]
    keys: dict[str, MemoryEncryptionKeys]
    secretariat: SecretariatHotline
    clock: ManualClock

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

    def alarms(self, party: str, kind: str) -> list[Any]:
        with self.nodes[party].uow() as uow:
            return [a for a in uow.repo.alarms() if a.kind == kind]


@pytest.fixture
def line(hub: Hub, as_party: Callable[..., HubClient], party_keys: dict[str, SigningKey],
         clock: ManualClock, regime: Regime, log_key: SigningKey,
         databases: Databases) -> Iterator[Line]:
    """IRN's, SAU's and QAT's nodes, each with its encryption keys, and the secretariat's end
    of the hotline; settled: every key registered."""
    nodes: dict[str, Node] = {}
    keys = {party: MemoryEncryptionKeys() for party in NODES}
    try:
        for party in NODES:
            engine = create_db_engine(databases.new(f"node_{party.lower()}"))
            migrate(engine, "node")
            nodes[party] = Node(regime, engine, party, party_keys[party], as_party(party),
                                log_key.verifier, clock, hotline_keys=keys[party])
            nodes[party].load()
        sec = SecretariatHotline(hub, party_keys["SEC"], MemoryEncryptionKeys())
        network = Line(hub, nodes, keys, sec, clock)
        assert network.settle() == []
        yield network
    finally:
        for node in nodes.values():
            node.close()


def node_api(node: Node) -> TestClient:
    """A client on the node's API, presenting its API token."""
    token = f"token-of-{node.party}"
    with node.uow() as uow:
        uow.repo.set_meta("api_token_sha256", hashlib.sha256(token.encode()).hexdigest())
        uow.commit()
    return TestClient(build_node_app(node, run_sync=False), base_url=BASE_URL,
                      headers={"Authorization": f"Bearer {token}"})


def send(line: Line, text: str = SECRET, to: Sequence[str] = ("SAU",),
         priority: str = "flash") -> str:
    """IRN's delegate sends through its node's API; the entry id (sequenced by the hub)."""
    with node_api(line.nodes["IRN"]) as api:
        answer = api.post("/v1/hotline", json={"to": list(to), "text": text,
                                                "priority": priority})
    assert answer.status_code == 201, answer.text
    assert answer.json()["sequenced"] is True
    return str(answer.json()["entry_id"])


def conversation(node: Node) -> list[dict[str, Any]]:
    with node_api(node) as api:
        answer = api.get("/v1/hotline")
    assert answer.status_code == 200, answer.text
    assert answer.json()["party"] == node.party
    return list(answer.json()["messages"])


def hub_bytes(hub: Hub, database_url: str) -> bytes:
    """Everything the hub's database holds: the SQLite file (and its journal), or every text,
    character, JSON and bytea column of every table in PostgreSQL."""
    if database_url.startswith("sqlite"):
        path = sa.make_url(database_url).database
        assert path is not None
        files = sorted(Path(path).parent.glob(Path(path).name + "*"))
        assert files
        return b"".join(f.read_bytes() for f in files)
    found: list[bytes] = []
    with hub.engine.connect() as conn:
        columns = conn.execute(sa.text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN "
            "('text', 'character varying', 'character', 'bytea', 'json', 'jsonb')")).all()
        assert columns
        for table, column in columns:
            for (value,) in conn.execute(sa.text(f'SELECT "{column}" FROM "{table}"')):
                if value is not None:
                    found.append(bytes(value) if isinstance(value, bytes | memoryview)
                                 else str(value).encode("utf-8"))
    return b"\n".join(found)


# -- a message and its receipt -----------------------------------------------------------------


def test_irn_sends_sau_opens_and_answers_and_irn_sees_it_received(line: Line) -> None:
    entry_id = send(line)
    assert conversation(line.nodes["IRN"])[0]["receipts"]["SAU"]["state"] == "waiting"
    assert line.settle() == []

    sent, = [m for m in conversation(line.nodes["IRN"]) if m["kind"] == "message"]
    assert (sent["entry_id"], sent["direction"], sent["to"], sent["text"], sent["priority"]) == (
        entry_id, "sent", ["SAU"], SECRET, "flash")
    assert sent["receipts"]["SAU"]["state"] == "received"
    assert sent["receipts"]["SAU"]["late"] is False

    got, = [m for m in conversation(line.nodes["SAU"]) if m["kind"] == "message"]
    assert (got["entry_id"], got["direction"], got["from"], got["text"], got["priority"]) == (
        entry_id, "received", "IRN", SECRET, "flash")
    assert got["opened"] is True and got["receipt_sent"] is True
    assert line.alarms("IRN", "hotline_no_receipt") == []


def test_the_hub_stores_ciphertext_only_and_logs_no_plaintext(
        line: Line, database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    entry_id = send(line)
    assert line.settle() == []
    with line.nodes["SAU"].uow() as uow:
        row, = [r for r in uow.repo.hotline_rows() if r.entry_id.hex() == entry_id]
    assert row.document is not None and SECRET in row.document  # the node holds it in clear
    inner_id = str(json.loads(row.document)["message"]["id"])

    stored = hub_bytes(line.hub, database_url)
    assert bytes.fromhex(entry_id) in stored or entry_id.encode() in stored  # it passed
    assert b"hotline@1" in stored and b'"enc":"' in stored  # the search reads what is kept
    for secret in (SECRET, "unidentified fast boats", "tanker lane", inner_id):
        assert secret.encode() not in stored, secret
    raw = line.hub.read_entry("SAU", entry_id).raw
    assert b"flash" not in raw and b"priority" not in raw and b"message" not in raw
    assert SECRET not in caplog.text and inner_id not in caplog.text
    assert all(SECRET not in str(record.args) for record in caplog.records)


def test_an_outsider_sees_that_a_message_passed_and_holds_nothing_to_open(line: Line) -> None:
    entry_id = send(line)
    assert line.settle() == []
    qat = line.nodes["QAT"]
    index = line.hub.read_entry("IRN", entry_id).index
    assert qat.core.copy.tree.leaf_hash_at(index) == leaf_hash(bytes.fromhex(entry_id))
    with qat.uow() as uow:
        assert uow.repo.entry_by_id(bytes.fromhex(entry_id)) is None
    assert conversation(qat) == []
    with pytest.raises(NotFound):
        line.hub.read_entry("QAT", entry_id)


def test_a_message_to_several_parties_is_sealed_for_each_and_each_answers(line: Line) -> None:
    entry_id = send(line, "Both of you: the ferry schedule changes tonight.", ("QAT", "SAU"),
                    "immediate")
    assert line.settle() == []
    body = parse_signed_entry(line.hub.read_entry("IRN", entry_id).raw,
                              max_bytes=1 << 20).entry.body
    assert [r["party"] for r in body["recipients"]] == ["QAT", "SAU"]
    assert len({r["enc"] for r in body["recipients"]}) == 2
    sent, = [m for m in conversation(line.nodes["IRN"]) if m["entry_id"] == entry_id]
    assert {p: r["state"] for p, r in sent["receipts"].items()} == {
        "QAT": "received", "SAU": "received"}


def test_a_message_to_the_secretariat_is_opened_and_answered_by_its_end_in_the_hub(
        line: Line) -> None:
    entry_id = send(line, "To the Centre: request an urgent call with SAU.", ("SEC",),
                    "immediate")
    assert line.settle() == []
    said, = line.secretariat.messages()
    assert (said["entry_id"], said["from"], said["text"], said["priority"]) == (
        entry_id, "IRN", "To the Centre: request an urgent call with SAU.", "immediate")
    assert said["receipt_sent"] is True
    sent, = [m for m in conversation(line.nodes["IRN"]) if m["entry_id"] == entry_id]
    assert sent["receipts"]["SEC"]["state"] == "received"

    # The hub restarts: its end reads the log again, opens what it holds the key for, and
    # answers nothing twice.
    again = SecretariatHotline(line.hub, line.secretariat.key, line.secretariat.keys)
    size = line.hub.state.size
    again.run_once()
    assert line.hub.state.size == size
    assert [m["text"] for m in again.messages()] == [said["text"]]
    # Each round reads on from the log's size, not from the last line entry it found: a log
    # of other entries is not read again every round.
    assert again._after == again._every_after == size - 1


# -- what goes wrong ---------------------------------------------------------------------------


def test_a_missing_receipt_raises_the_alarm_at_the_sender_and_a_late_one_does_not_clear_it(
        line: Line) -> None:
    entry_id = send(line)
    # SAU's node does not run: nobody opens the message.
    assert line.settle(only=("IRN", "QAT")) == []
    line.clock.advance(4 * MINUTE)
    assert line.settle(only=("IRN", "QAT")) == []
    assert conversation(line.nodes["IRN"])[0]["receipts"]["SAU"]["state"] == "waiting"

    line.clock.advance(3 * MINUTE)  # past the deadline, and the hub signs nothing more
    alarms = line.settle(only=("IRN", "QAT"))
    assert [a for a in alarms if a.startswith("hotline_no_receipt")], alarms
    alarm, = line.alarms("IRN", "hotline_no_receipt")
    assert entry_id in alarm.message and "SAU" in alarm.message
    assert alarm.evidence["entry_id"] == entry_id and alarm.evidence["recipient"] == "SAU"
    assert parse_signed_entry(alarm.evidence["entry"].encode(), max_bytes=1 << 20
                              ).id_hex == entry_id
    state = conversation(line.nodes["IRN"])[0]["receipts"]["SAU"]
    assert state["state"] == "overdue"
    # Escalated at the secretariat, from what the log shows of the message (not its text).
    line.secretariat.run_once()
    missed, = line.secretariat.missed_receipts()
    assert (missed["entry_id"], missed["from"], missed["to"]) == (entry_id, "IRN", "SAU")
    assert "text" not in missed

    # SAU's node comes back: it opens the message and answers, late. The alarm stays, once.
    assert line.settle() == []
    state = conversation(line.nodes["IRN"])[0]["receipts"]["SAU"]
    assert (state["state"], state["late"]) == ("received", True)
    assert len(line.alarms("IRN", "hotline_no_receipt")) == 1
    line.secretariat.run_once()
    assert line.secretariat.missed_receipts() == []


def test_a_message_that_does_not_open_raises_the_alarm_at_the_recipient_with_the_entry(
        line: Line, party_keys: dict[str, SigningKey]) -> None:
    key_id = line.keys["SAU"].keys()[-1].key_id
    garbage = b64url(bytes(range(256)) * 2)
    bad = compose(party_keys["USA"], "USA", form=HOTLINE, audience=("SAU",),
                  body={"recipients": [{"party": "SAU", "key": key_id, "enc": garbage}]},
                  seq=1, now=line.clock.now())
    line.hub.submit(bad.raw)
    alarms = line.settle()
    assert [a for a in alarms if a.startswith("hotline_bad_message")], alarms
    alarm, = line.alarms("SAU", "hotline_bad_message")
    assert alarm.evidence["entry_id"] == bad.id_hex
    assert alarm.evidence["entry"] == bad.raw.decode()
    assert "does not decrypt" in alarm.evidence["reason"]
    failed, = [m for m in conversation(line.nodes["SAU"]) if m["from"] == "USA"]
    assert failed["opened"] is False and failed["receipt_sent"] is False
    # The node goes on: IRN's next message opens and is answered.
    send(line)
    assert line.settle() == []
    assert conversation(line.nodes["IRN"])[0]["receipts"]["SAU"]["state"] == "received"


def test_a_recipient_without_a_key_or_an_unknown_party_is_refused_before_signing(
        line: Line) -> None:
    with node_api(line.nodes["IRN"]) as api:
        before = api.get("/v1/status").json()
        no_key = api.post("/v1/hotline", json={"to": "USA", "text": "hello"})
        unknown = api.post("/v1/hotline", json={"to": ["XYZ"], "text": "hello"})
        bad_priority = api.post("/v1/hotline", json={"to": ["SAU"], "text": "hi",
                                                     "priority": "urgent"})
        too_long = api.post("/v1/hotline", json={"to": ["SAU"], "text": "x" * 2001})
        after = api.get("/v1/status").json()
    assert (no_key.status_code, no_key.json()["error"]) == (422, "hotline")
    assert "USA has registered no hotline encryption key" in no_key.json()["message"]
    assert (unknown.status_code, unknown.json()["error"]) == (422, "invalid_form_body")
    assert bad_priority.status_code == 422 and too_long.status_code == 422
    assert before["entries"] == after["entries"] and after["outbox_pending"] == 0


def test_the_routes_are_in_the_openapi_and_the_secretariats_line_is_its_own(
        line: Line, party_keys: dict[str, SigningKey]) -> None:
    with node_api(line.nodes["IRN"]) as api:
        spec = api.get("/v1/openapi.json").json()
    assert set(spec["paths"]["/v1/hotline"]) == {"get", "post"}
    body = spec["paths"]["/v1/hotline"]["post"]["requestBody"]["content"]["application/json"]
    assert set(body["schema"]["properties"]) == {"to", "text", "priority"}

    app = build_hub_app(line.hub, manage_lifecycle=False, hotline=line.secretariat)
    with TestClient(app, base_url=BASE_URL) as hub_api:
        target = "/v1/secretariat/hotline"
        as_sec = hub_api.get(target, headers=sign_request(
            party_keys["SEC"], "SEC", "GET", target, b"", line.clock.now()))
        as_irn = hub_api.get(target, headers=sign_request(
            party_keys["IRN"], "IRN", "GET", target, b"", line.clock.now()))
    assert as_sec.status_code == 200, as_sec.text
    assert {r["party"] for r in as_sec.json()["lines"]} >= set(NODES)
    assert as_irn.status_code == 403


# -- the hourly tests --------------------------------------------------------------------------


def test_the_hourly_tests_go_both_ways_and_the_secretariat_sees_each_line(line: Line) -> None:
    irn = line.nodes["IRN"]
    assert irn.hotline is not None
    assert irn.hotline.test_if_due() is None  # the first look: a test is due an hour later
    line.clock.advance(30 * MINUTE)
    assert irn.hotline.test_if_due() is None
    line.clock.advance(31 * MINUTE)
    test = irn.hotline.test_if_due()
    assert test is not None and test.entry.audience == ("SEC",)
    assert irn.hotline.test_if_due() is None  # the next, an hour after this one
    # The secretariat answers IRN's test, and tests every party on the line (it began an hour
    # ago); each node answers.
    assert line.settle() == []

    mine, = [m for m in conversation(irn) if m["direction"] == "sent"]
    assert (mine["kind"], mine["to"], mine["receipts"]["SEC"]["state"]) == (
        "test", ["SEC"], "received")
    theirs, = [m for m in conversation(irn) if m["direction"] == "received"]
    assert (theirs["kind"], theirs["from"], theirs["receipt_sent"]) == ("test", "SEC", True)

    health = {h["party"]: h for h in line.secretariat.line_health()}
    assert health["IRN"]["status"] == "ok" and health["IRN"]["alarms"] == []
    assert line.secretariat.lines_in_alarm() == []
    assert health["IRN"]["receipt"] == "received" and health["IRN"]["receipt_sent"] is True
    assert health["IRN"]["last_test_received"] is not None
    assert health["SAU"]["receipt"] == "received" and health["SAU"]["last_test_received"] is None
    assert health["USA"]["status"] == "no-key" and health["USA"]["key_id"] is None

    # SAU's node stops: the secretariat's next test goes unanswered, and it shows.
    line.clock.advance(HOUR + MINUTE)
    line.settle(only=("IRN", "QAT"))
    line.clock.advance(6 * MINUTE)
    line.settle(only=("IRN", "QAT"))
    health = {h["party"]: h for h in line.secretariat.line_health()}
    assert health["SAU"]["status"] == "alarm" and health["SAU"]["receipt"] == "overdue"
    assert any("no receipt from SAU" in a for a in health["SAU"]["alarms"])
    assert any("no test from SAU" in a for a in health["SAU"]["alarms"])
    assert health["QAT"]["receipt"] == "received"
    in_alarm = [party for party, h in health.items() if h["status"] == "alarm"]
    assert "SAU" in in_alarm and line.secretariat.lines_in_alarm() == in_alarm


def test_every_pages_alarm_lines_never_wait_for_a_round_in_progress(line: Line) -> None:
    sec = line.secretariat
    assert sec.lines_in_alarm() == []
    line.clock.advance(3 * HOUR)  # nobody tested anybody: every line on the hotline in alarm
    held = threading.Event()
    release = threading.Event()

    def round_holding_the_lock() -> None:
        with sec._lock:  # as a round waiting for the hub to sequence its test does
            held.set()
            release.wait(10)

    busy = threading.Thread(target=round_holding_the_lock)
    busy.start()
    try:
        assert held.wait(10)
        # What the last look found: had it waited for the round, it would have looked again.
        assert sec.lines_in_alarm() == []
    finally:
        release.set()
        busy.join()
    in_alarm = [h["party"] for h in sec.line_health() if h["status"] == "alarm"]
    assert in_alarm and sec.lines_in_alarm() == in_alarm  # the round over: looked again


def test_the_scheduler_sends_the_test_in_a_thread_of_its_own(line: Line) -> None:
    irn = line.nodes["IRN"]
    assert irn.hotline is not None
    irn.hotline.test_if_due()
    line.clock.advance(HOUR)
    scheduler = HotlineScheduler(irn.hotline, tick_s=0.01)
    scheduler.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(
                m["kind"] == "test" for m in irn.hotline.conversation()):
            time.sleep(0.02)
    finally:
        scheduler.stop()
    tests = [m for m in irn.hotline.conversation() if m["kind"] == "test"]
    assert len(tests) == 1 and tests[0]["to"] == ["SEC"]


# -- keys --------------------------------------------------------------------------------------


def test_keys_rotate_before_they_expire_and_old_messages_stay_read(line: Line) -> None:
    first = line.keys["SAU"].keys()[-1]
    old = send(line, "Before the rotation.")
    assert line.settle() == []

    line.clock.advance(25 * DAY)  # a fifth of the key's life is left: the next one is made
    line.settle()
    second = line.keys["SAU"].keys()[-1]
    assert second.key_id != first.key_id
    assert [k.key_id for k in line.keys["SAU"].keys()] == [first.key_id, second.key_id]
    registered = [parse_signed_entry(e.raw, max_bytes=1 << 20).entry.body["key_id"]
                  for e in _entries(line.nodes["IRN"], ENCRYPTION_KEY) if e.sender == "SAU"]
    assert registered == [first.key_id, second.key_id]

    new = send(line, "After the rotation.")
    assert line.settle() == []
    body = parse_signed_entry(line.hub.read_entry("IRN", new).raw, max_bytes=1 << 20).entry.body
    assert body["recipients"][0]["key"] == second.key_id

    line.clock.advance(6 * DAY)  # the first key expired: its private half is destroyed
    line.settle()
    assert [k.key_id for k in line.keys["SAU"].keys()] == [second.key_id]
    texts = {m["entry_id"]: m["text"] for m in conversation(line.nodes["SAU"])}
    assert texts[old] == "Before the rotation." and texts[new] == "After the rotation."


def _entries(node: Node, form: str) -> list[Any]:
    with node.uow() as uow:
        return uow.repo.entries_from(-1, forms={form})
