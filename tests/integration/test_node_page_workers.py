"""A node's pages served by a page worker, apart from the node's process that syncs and signs.

IRN's node in this test is the node's process: its whole app is served on a Unix socket, as
``gulfsec node serve --workers N`` serves it. The page worker is a second node over the same
database, as a worker process opens it, following what the node's process stores
(:class:`Follower`) and handing every write to it (:class:`PageWorker`). Personas: IRN's
officer reads and writes through the worker; RUS writes to IRN.
"""

from __future__ import annotations

import re
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import uvicorn
from support.inprocess import BASE_URL, Browser, NodeNet, TestClient, add_user, text_of

from gulfsec.adapters.clock import ManualClock
from gulfsec.adapters.storage.engine import create_db_engine
from gulfsec.bootstrap import build_node_app
from gulfsec.domain.compliance import Finding
from gulfsec.domain.entry import ALL
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import Regime
from gulfsec.services.node import Node, views
from gulfsec.services.node.loop import Follower
from gulfsec.services.participant import compose
from gulfsec.services.shared.scorecards import Scorecards
from gulfsec.web.node import pages
from gulfsec.web.workers import PageWorker, answered_here


@pytest.fixture
def worker_node(net: NodeNet, regime: Regime, clock: ManualClock,
                party_keys: dict[str, SigningKey], log_key: SigningKey,
                as_party: Any) -> Iterator[Node]:
    """IRN's node as a page worker opens it: the same database, loaded, never synced."""
    engine = net.nodes["IRN"].engine
    assert engine is not None
    node = Node(regime, create_db_engine(engine.url.render_as_string(hide_password=False)),
                "IRN", party_keys["IRN"], as_party("IRN"), log_key.verifier, clock)
    node.load()
    yield node
    node.close()


@pytest.fixture
def follower(worker_node: Node) -> Follower:
    following = Follower(worker_node)
    following.start()
    views.follow_with(worker_node, following.follow)
    return following


def _message(node: Node, to: tuple[str, ...], subject: str) -> str:
    return node.send("message@1", to, {"subject": subject, "text": "Text."}).id_hex


# -- following the node's process ----------------------------------------------------------------


def test_a_worker_follows_the_entries_leaves_and_finality_the_node_process_stores(
        net: NodeNet, worker_node: Node, follower: Follower) -> None:
    irn = net.nodes["IRN"]
    sent = _message(net.nodes["RUS"], ("IRN",), "Naval exercise next month")
    net.settle()
    assert worker_node.core.copy.tree.size < irn.core.copy.tree.size  # not followed yet
    follower.follow()
    copy, truth = worker_node.core.copy, irn.core.copy
    assert (copy.tree.size, copy.tree.root()) == (truth.tree.size, truth.tree.root())
    assert worker_node.final_size == irn.final_size == truth.tree.size
    assert copy.last_seq == truth.last_seq
    assert sorted(map(repr, copy.keyring.records())) == sorted(map(repr,
                                                                   truth.keyring.records()))
    rows = {row.entry_id: row for row in views.inbox(worker_node, views.InboxFilter()).rows}
    assert rows[sent].state == "acknowledged"
    index = rows[sent].index
    assert index is not None and worker_node.final_at(index) == irn.final_at(index)


def test_a_worker_follows_a_key_rotation(net: NodeNet, worker_node: Node, follower: Follower,
                                        party_keys: dict[str, SigningKey],
                                        clock: ManualClock) -> None:
    new_key = SigningKey.generate("USA")
    rotation = compose(party_keys["USA"], "USA", form="key-rotation@1", audience=ALL,
                       body={"vkey": new_key.verifier.encode()}, seq=1,
                       now=clock.now()).countersigned(new_key)
    net.hub.submit(rotation.raw)
    net.settle()
    follower.follow()
    held = worker_node.core.copy.keyring.records()
    assert sorted(map(repr, held)) == sorted(map(repr,
                                                 net.nodes["IRN"].core.copy.keyring.records()))
    assert new_key.key_id_hex in {record.key.key_id_hex for record in held}


def test_a_worker_takes_in_only_what_changed(net: NodeNet, worker_node: Node,
                                             follower: Follower) -> None:
    before = follower.catch_ups
    follower.follow()
    follower.follow()
    assert follower.catch_ups == before  # nothing moved: nothing read again
    _message(net.nodes["SAU"], ("IRN",), "A question")
    net.settle()
    follower.follow()
    follower.follow()
    assert follower.catch_ups == before + 1


def test_inbox_rows_read_in_a_worker_are_those_of_the_node_process(
        net: NodeNet, worker_node: Node, follower: Follower, clock: ManualClock) -> None:
    _message(net.nodes["IRN"], ("USA",), "To a party with no node")
    _message(net.nodes["IRN"], ("RUS",), "To Russia")
    net.settle()
    clock.advance(timedelta(hours=25))  # the one to USA is overdue now
    for flt in (views.InboxFilter(), views.InboxFilter(status="overdue"),
                views.InboxFilter(direction="sent"), views.InboxFilter(sender="RUS")):
        assert views.inbox(worker_node, flt) == views.inbox(net.nodes["IRN"], flt)


# -- computed once per change -------------------------------------------------------------------


def test_an_inbox_page_is_computed_once_for_many_requests_and_again_when_the_log_changes(
        net: NodeNet, monkeypatch: pytest.MonkeyPatch) -> None:
    irn = net.nodes["IRN"]
    computed: list[views.LogState] = []
    release = threading.Event()
    real = views._inbox

    def counted(node: Node, state: views.LogState, *args: Any) -> views.Inbox:
        computed.append(state)
        release.wait(10)
        return real(node, state, *args)

    monkeypatch.setattr(views, "_inbox", counted)
    flt = views.InboxFilter(direction="received")
    results: list[views.Inbox] = []
    threads = [threading.Thread(target=lambda: results.append(views.inbox(irn, flt)))
               for _ in range(20)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    release.set()
    for thread in threads:
        thread.join(10)
    assert len(computed) == 1 and len(results) == 20
    assert all(result is results[0] for result in results)
    views.inbox(irn, flt)
    assert len(computed) == 1
    sent = _message(net.nodes["RUS"], ("IRN",), "Something new")
    net.settle()
    fresh = views.inbox(irn, flt)
    assert len(computed) == 2 and fresh.rows[0].entry_id == sent


class CountingCompliance:
    """A compliance engine that counts the times it is asked, and answers after ``release``."""

    def __init__(self, findings: list[Finding]) -> None:
        self.found = findings
        self.asked = 0
        self.release = threading.Event()
        self.release.set()

    def findings(self, now: datetime, party: str | None = None,
                 year: int | None = None) -> list[Finding]:
        self.asked += 1
        assert self.release.wait(10)
        return [f for f in self.found if party in (None, f.party)]


def _finding(party: str, status: str) -> Finding:
    return Finding(party=party, rule="acknowledgement", status=status, due=None,
                   evidence=("ab" * 32,), detail="", year=None, subject=None)


def test_scorecards_are_computed_once_per_state_for_every_party_and_every_request(
        regime: Regime, clock: ManualClock) -> None:
    engine = CountingCompliance([_finding("IRN", "missing"), _finding("RUS", "met"),
                                 _finding("IRN", "met")])
    state = [1]
    cards = Scorecards(regime, engine, clock).following(lambda: state[0])  # type: ignore[arg-type]
    engine.release.clear()
    found: list[Any] = []
    threads = [threading.Thread(target=lambda p=party: found.append(cards.scorecard(p)))
               for party in ("IRN", "RUS", None) * 7]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    engine.release.set()
    for thread in threads:
        thread.join(10)
    assert engine.asked == 1 and len(found) == 21
    irn = cards.scorecard("IRN")
    assert [row.status for row in irn.rows] == ["missing", "met"] and irn.total == 2
    assert cards.scorecard(None).total == 3 and engine.asked == 1
    state[0] = 2  # the log changed
    assert cards.scorecard("RUS").total == 1 and engine.asked == 2


def test_a_scorecard_follows_the_clock_without_making_anyone_wait(
        regime: Regime, clock: ManualClock) -> None:
    engine = CountingCompliance([_finding("IRN", "pending")])
    cards = Scorecards(regime, engine, clock).following(lambda: 1)  # type: ignore[arg-type]
    first = cards.scorecard("IRN")
    clock.advance(timedelta(minutes=1))
    assert cards.scorecard("IRN") is first  # kept while it is computed again
    deadline = time.monotonic() + 10
    while cards.scorecard("IRN") is first:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert engine.asked == 2
    clock.advance(timedelta(days=1))
    assert cards.scorecard("IRN").at == clock.now()  # a day on: computed before shown


# -- the pages, through a worker ----------------------------------------------------------------


class Recorded:
    """ASGI: the node process's app, noting each request that reaches it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests: list[tuple[str, str]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.requests.append((scope["method"], scope["path"]))
        await self.app(scope, receive, send)


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # not the main thread
        pass


@pytest.fixture
def node_process(net: NodeNet) -> Iterator[tuple[Recorded, str]]:
    """IRN's node app (sync loop off: the test syncs) on a Unix socket, as the node's process
    serves it to its workers."""
    app = Recorded(build_node_app(net.nodes["IRN"], run_sync=False))
    with tempfile.TemporaryDirectory(prefix="gulfsec-test-") as directory:
        socket_path = str(Path(directory) / "node.sock")
        server = _Server(uvicorn.Config(app, uds=socket_path, log_level="warning",
                                        access_log=False, proxy_headers=True,
                                        forwarded_allow_ips="*"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "it did not start"
            time.sleep(0.02)
        try:
            yield app, socket_path
        finally:
            server.should_exit = True
            thread.join(timeout=10)


@pytest.fixture
def worker(node_process: tuple[Recorded, str], worker_node: Node,
           follower: Follower) -> Iterator[Browser]:
    app = build_node_app(worker_node, run_sync=False)
    site = app.state.web
    page_worker = PageWorker(app, node_process[1], follow=follower.follow,
                             pin=lambda state: views.pin_state(worker_node, state),
                             warm=lambda: pages.warm(site))
    with TestClient(page_worker, base_url=BASE_URL) as client:
        yield Browser(client)


def test_a_worker_answers_page_reads_and_hands_everything_else_to_the_node_process(
        net: NodeNet, node_process: tuple[Recorded, str], worker: Browser) -> None:
    recorded, _ = node_process
    add_user(net.nodes["IRN"].engine, "leila", "officer")
    assert worker.sign_in("leila").status_code == 303
    assert recorded.requests == [("POST", "/sign-in")]
    inbox = worker.get("/inbox")
    assert inbox.status_code == 200 and "Inbox" in inbox.text
    assert worker.get("/compliance").status_code == 200
    assert recorded.requests == [("POST", "/sign-in")]  # the pages read in the worker
    net.settle()
    status = worker.get("/v1/status")  # the API, with the sync's news: the node process's
    assert status.status_code == 200 and status.json()["last_sync"] is not None


def test_an_officer_signs_and_sends_through_a_worker_and_sees_it_there(
        net: NodeNet, node_process: tuple[Recorded, str], worker: Browser) -> None:
    recorded, _ = node_process
    add_user(net.nodes["IRN"].engine, "leila", "officer")
    worker.sign_in("leila")
    csrf = worker.csrf("/compose/message@1")
    form = {"csrf_token": csrf, "audience_kind": "parties", "audience_parties": "RUS",
            "body.subject": "Through a page worker", "body.text": "Signed once."}
    preview = worker.post("/compose/message@1", form)
    assert preview.status_code == 200, text_of(preview.text)[:500]
    confirmation = re.search(r'name="confirmation" value="([^"]+)"', preview.text)
    body = re.search(r'name="body_json" value="([^"]+)"', preview.text)
    assert confirmation and body
    send = {"csrf_token": csrf, "audience_kind": "parties", "audience_parties": "RUS",
            "refs": "", "body_json": text_of(body.group(1)), "confirm": "yes",
            "confirmation": confirmation.group(1)}
    sent = worker.post("/compose/message@1/send", send)
    assert sent.status_code == 303, text_of(sent.text)[:500]
    assert ("POST", "/compose/message@1/send") in recorded.requests
    entry_id = sent.headers["location"].split("/entries/")[1].split("?")[0]
    again = worker.post("/compose/message@1/send", send)  # the same click twice: signed once
    assert again.headers["location"].startswith(f"/entries/{entry_id}?sent=again")
    shown = worker.get(sent.headers["location"])
    assert shown.status_code == 200 and "Through a page worker" in text_of(shown.text)
    net.settle()
    assert entry_id in worker.get("/inbox").text
    rows = {row.entry_id: row for row in views.inbox(net.nodes["RUS"],
                                                     views.InboxFilter()).rows}
    assert rows[entry_id].sender == "IRN"
    assert "acknowledged" in text_of(worker.get(f"/entries/{entry_id}").text)


def test_the_client_address_reaches_the_node_process_for_sign_in_throttling(
        net: NodeNet, worker: Browser, node_process: tuple[Recorded, str]) -> None:
    add_user(net.nodes["IRN"].engine, "leila", "officer")
    for _ in range(3):
        assert worker.sign_in("leila", password="wrong password").status_code != 303
    engine = net.nodes["IRN"].engine
    assert engine is not None
    with engine.connect() as conn:
        subjects = {str(row.subject) for row in conn.execute(sa.text(
            "SELECT scope, subject FROM node_signin_failures"))}
    assert any("testclient" in subject for subject in subjects), subjects


def test_only_page_reads_are_answered_in_a_worker() -> None:
    assert answered_here({"type": "http", "method": "GET", "path": "/inbox"})
    assert answered_here({"type": "http", "method": "HEAD", "path": "/entries/ab"})
    assert not answered_here({"type": "http", "method": "POST", "path": "/compose/x/send"})
    assert not answered_here({"type": "http", "method": "GET", "path": "/v1/status"})
    assert not answered_here({"type": "http", "method": "GET", "path": "/v1"})


def test_a_worker_without_the_node_process_says_so(worker_node: Node,
                                                    follower: Follower) -> None:
    app = build_node_app(worker_node, run_sync=False)
    lonely = PageWorker(app, "/nonexistent/node.sock", follow=follower.follow,
                        node_start_s=0.3)
    with TestClient(lonely, base_url=BASE_URL) as client:
        answer = client.post("/sign-in", data={"name": "leila"})
    assert answer.status_code == 503 and "not answering" in answer.text
