"""A node's pages follow its state: the server-sent events of ``/events`` and an entry's
``?fragment=state``.

Personas: IRN's officer has IRN's pages open; RUS writes to IRN; a reader who has not signed in
gets nothing. The streams run at a short pace (a read every 50 ms, a few seconds at most), so
that a test that waits in vain for an event ends with the stream instead of hanging.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import anyio
import pytest
from support.inprocess import (
    BASE_URL,
    PASSWORD,
    Browser,
    NodeNet,
    TestClient,
    add_user,
    node_browser,
    text_of,
)

from gulfsec.adapters.clock import ManualClock
from gulfsec.adapters.storage.engine import create_db_engine
from gulfsec.bootstrap import build_node_app
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import Regime
from gulfsec.services.node import Node, views
from gulfsec.services.node.loop import Follower
from gulfsec.services.shared.accounts import SessionPolicy
from gulfsec.web.node import events
from gulfsec.web.workers import PageWorker

PACE = events.Pace(poll_s=0.05, keep_alive_s=0.3, max_s=8.0)


@pytest.fixture
def officer(net: NodeNet) -> Browser:
    add_user(net.nodes["IRN"].engine, "leila", "officer")
    browser = node_browser(net.nodes["IRN"])
    events.install(browser.client.app.state.web, PACE)  # type: ignore[attr-defined]
    assert browser.sign_in("leila").status_code == 303
    return browser


def next_event(lines: Iterator[str], *, within: int = 2000) -> dict[str, Any]:
    """The next ``state`` event's data among the stream's ``lines`` (comments and the retry
    line skipped), reading at most ``within`` lines."""
    fields: dict[str, str] = {}
    for _n, line in zip(range(within), lines, strict=False):
        if line == "":
            if fields.get("event") == "state":
                data: dict[str, Any] = json.loads(fields["data"])
                return data
            fields = {}
        elif not line.startswith(":"):
            name, _sep, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
    raise AssertionError("no state event came")


def event_where(lines: Iterator[str], wanted: Callable[[dict[str, Any]], bool],
                *, among: int = 50) -> dict[str, Any]:
    """The first of the next ``among`` state events that is ``wanted`` (a sync goes through
    several states: the stream may tell those in between)."""
    for _n in range(among):
        event = next_event(lines)
        if wanted(event):
            return event
    raise AssertionError(f"none of {among} state events was the one wanted")


def message(node: Node, to: tuple[str, ...], subject: str) -> str:
    return node.send("message@1", to, {"subject": subject, "text": "Text."}).id_hex


# -- the stream -----------------------------------------------------------------------------------


def test_a_reader_who_has_not_signed_in_gets_401_and_no_stream(net: NodeNet) -> None:
    browser = node_browser(net.nodes["IRN"])
    answer = browser.get("/events", headers={"Accept": "text/event-stream"})
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/json")


def test_the_first_event_tells_the_state_then_each_change_brings_another(
        net: NodeNet, officer: Browser) -> None:
    irn = net.nodes["IRN"]
    with officer.client.stream("GET", "/events") as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert stream.headers["cache-control"] == "no-store"
        assert stream.headers["x-accel-buffering"] == "no"
        lines = stream.iter_lines()
        assert next(lines) == "retry: 5000"
        first = next_event(lines)
        assert first["latest"] == views.read_state(irn).latest_index
        assert (first["alarms"], first["pending"]) == (0, 0)

        message(irn, ("RUS",), "Signed while the page is open")  # and handed to the hub
        signed = next_event(lines)
        assert signed["token"] != first["token"] and signed["latest"] == first["latest"]

        message(net.nodes["RUS"], ("IRN",), "Arrives while the page is open")
        net.settle()
        settled = views.read_state(irn)
        assert settled.latest_index > first["latest"]
        # The stream may tell states met on the way (IRN's acknowledgement in the outbox...).
        arrived = event_where(lines, lambda event: event["latest"] == settled.latest_index
                              and event["pending"] == 0)
        assert arrived["token"] == events.state_token(settled) and arrived["alarms"] == 0


def test_a_quiet_stream_says_it_is_alive_and_ends_by_itself(net: NodeNet,
                                                            officer: Browser) -> None:
    events.install(officer.client.app.state.web,  # type: ignore[attr-defined]
                   events.Pace(poll_s=0.05, keep_alive_s=0.2, max_s=1.0, retry_ms=1234))
    with officer.client.stream("GET", "/events") as stream:
        lines = list(stream.iter_lines())  # ends: the stream lasts a second
    assert lines[0] == "retry: 1234"
    assert sum(1 for line in lines if line == "event: state") == 1  # nothing changed
    assert ": keep-alive" in lines


class GoesAway:
    """A request whose reader goes away after ``calls`` looks."""

    def __init__(self, calls: int) -> None:
        self.calls = calls

    async def is_disconnected(self) -> bool:
        self.calls -= 1
        return self.calls < 0


def test_a_stream_stops_when_the_reader_goes_away(net: NodeNet) -> None:
    async def read() -> list[str]:
        request: Any = GoesAway(3)
        return [text async for text in events.state_events(request, net.nodes["IRN"], PACE,
                                                             lasting_s=600)]

    started = time.monotonic()
    # In a thread of its own: in a whole run, the browser tests' Playwright keeps an event
    # loop running in the main thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        said = pool.submit(anyio.run, read).result()
    assert time.monotonic() - started < PACE.max_s
    assert len(said) == 1 and "event: state" in said[0]


# -- an entry's state, as a fragment ---------------------------------------------------------------


def _parts(page: str) -> dict[str, str]:
    found = re.findall(r'<div data-live-part="(\w+)">(.*?)\n</div>', page, flags=re.S)
    return dict(found)


def test_an_entrys_state_fragment_is_the_pages_own_changing_parts(
        net: NodeNet, officer: Browser) -> None:
    irn = net.nodes["IRN"]
    entry_id = message(irn, ("RUS",), "Watched from its page")
    before = officer.get(f"/entries/{entry_id}?fragment=state")
    assert before.status_code == 200 and "<html" not in before.text
    assert set(_parts(before.text)) == {"meta", "checks", "acks"}
    assert views.STATE_WORDS["sequenced"] in text_of(_parts(before.text)["meta"])
    assert _parts(officer.get(f"/entries/{entry_id}").text) == _parts(before.text)

    net.settle()
    after = officer.get(f"/entries/{entry_id}?fragment=state")
    page = officer.get(f"/entries/{entry_id}").text
    assert _parts(page) == _parts(after.text)
    assert 'id="acknowledgements"' in after.text and 'id="verification"' in after.text
    assert views.STATE_WORDS["sequenced"] not in text_of(_parts(after.text)["meta"])
    assert "Final (the time that counts)" in text_of(_parts(after.text)["meta"])


def test_an_entrys_page_says_where_it_follows_its_state_and_how_to_reload_without_script(
        net: NodeNet, officer: Browser) -> None:
    entry_id = message(net.nodes["IRN"], ("RUS",), "Its page")
    page = officer.get(f"/entries/{entry_id}?sent=1").text
    assert 'data-events-url="/events"' in page
    assert f'data-fragment-url="/entries/{entry_id}?fragment=state"' in page
    assert re.search(r'<p id="entry-status" class="live-status" role="status" '
                     r'aria-live="polite"></p>', page)
    noscript = re.search(r"<noscript>(.*?)</noscript>", page, flags=re.S)
    assert noscript is not None
    assert "does not update itself without JavaScript" in text_of(noscript.group(1))
    assert f'href="/entries/{entry_id}"' in noscript.group(1)
    assert "Updated at {time}." in page  # the words the script fills in


def test_the_inbox_says_how_to_reload_without_script(officer: Browser) -> None:
    page = officer.get("/inbox").text
    assert 'data-events-url="/events"' in page and 'data-alarms="0"' in page
    noscript = re.search(r"<noscript>(.*?)</noscript>", page, flags=re.S)
    assert noscript is not None and 'href="/inbox"' in noscript.group(1)


def test_an_unknown_entry_has_no_fragment(officer: Browser) -> None:
    assert officer.get(f"/entries/{'0' * 64}?fragment=state").status_code == 404


# -- in a page worker ------------------------------------------------------------------------------


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


def test_a_page_worker_streams_what_the_node_process_stores(net: NodeNet,
                                                            worker_node: Node) -> None:
    following = Follower(worker_node)
    following.start()
    views.follow_with(worker_node, following.follow)
    app = build_node_app(worker_node, run_sync=False)
    site = app.state.web
    events.install(site, PACE)
    add_user(net.nodes["IRN"].engine, "leila", "viewer")
    token = site.accounts.sign_in("leila", PASSWORD).token
    # No node process behind it: the worker answers the stream itself, pinning each request's
    # state as it does (which the stream must not read again and again).
    worker = PageWorker(app, "/nonexistent/node.sock", follow=following.follow,
                        pin=lambda state: views.pin_state(worker_node, state), node_start_s=0)
    with TestClient(worker, base_url=BASE_URL, cookies={site.cookie: token}) as client:
        with client.stream("GET", "/events") as stream:
            assert stream.status_code == 200
            lines = stream.iter_lines()
            first = next_event(lines)
            message(net.nodes["RUS"], ("IRN",), "Stored by the node's process")
            net.settle()
            newest = views.log_state(net.nodes["IRN"]).latest_index
            assert newest > first["latest"]
            event_where(lines, lambda event: event["latest"] == newest)


def test_a_stream_ends_when_its_session_would(net: NodeNet) -> None:
    add_user(net.nodes["IRN"].engine, "leila", "viewer")
    app = build_node_app(net.nodes["IRN"], run_sync=False,
                         policy=SessionPolicy(absolute=timedelta(seconds=1)))
    events.install(app.state.web, PACE)
    browser = Browser(TestClient(app, base_url=BASE_URL))
    browser.sign_in("leila")
    started = time.monotonic()
    with browser.client.stream("GET", "/events") as stream:
        lines = list(stream.iter_lines())  # a second to live (on the test's clock, stopped)
    assert time.monotonic() - started < PACE.max_s
    assert lines.count("event: state") == 1
