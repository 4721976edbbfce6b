"""Clock discipline: a node whose clock is beyond the regime's allowance from the hub's says so
at once — one ``clock_drift`` alarm per episode, a banner on every page and its status — and
stops saying so when the clock is set right (:mod:`gulfsec.services.node.clock`).

IRN's node runs on a manual clock of its own (its HubClient signs by it too, as a real node's
does), beside the hub's; the test moves it away from the hub's and back.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from support.databases import Databases
from support.inprocess import BASE_URL, TestClient, add_user, node_browser, text_of

from gulfsec.adapters.clock import ManualClock
from gulfsec.adapters.hubclient import HubClient
from gulfsec.adapters.storage.engine import create_db_engine
from gulfsec.adapters.storage.migrate import migrate
from gulfsec.adapters.storage.node import Alarm
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import Regime
from gulfsec.errors import NotProven
from gulfsec.ledger.answers import SignedAnswer
from gulfsec.ledger.evidence import verify_evidence
from gulfsec.services.hub import Hub
from gulfsec.services.node import Node
from gulfsec.services.node.core import SyncReport


@pytest.fixture
def node_clock(clock: ManualClock) -> ManualClock:
    """IRN's machine's clock, at first the hub's time."""
    return ManualClock(clock.now())


@pytest.fixture
def irn(hub: Hub, api: TestClient, party_keys: dict[str, SigningKey], regime: Regime,
        log_key: SigningKey, databases: Databases, node_clock: ManualClock) -> Iterator[Node]:
    engine = create_db_engine(databases.new("node_irn"))
    migrate(engine, "node")
    client = HubClient(BASE_URL, party="IRN", key=party_keys["IRN"], clock=node_clock,
                       transport=api._transport, log_key=log_key.verifier)
    node = Node(regime, engine, "IRN", party_keys["IRN"], client, log_key.verifier, node_clock)
    node.load()
    add_user(engine, "leila", "viewer")
    yield node
    node.close()


@pytest.fixture
def allowance(regime: Regime) -> timedelta:
    return regime.limits.clock_skew


def drift_alarms(node: Node) -> list[Alarm]:
    with node.uow() as uow:
        return [a for a in uow.repo.alarms() if a.kind == "clock_drift"]


def page_text(node: Node, path: str = "/inbox") -> tuple[str, str]:
    """A page as a delegate signed in now sees it: (its HTML, its text)."""
    browser = node_browser(node)
    assert browser.sign_in("leila").status_code == 303
    page = browser.get(path)
    assert page.status_code == 200, page.text
    return page.text, text_of(page.text)


def test_a_clock_within_the_allowance_raises_nothing(irn: Node, node_clock: ManualClock,
                                                      allowance: timedelta) -> None:
    node_clock.advance(allowance - timedelta(seconds=5))

    report = irn.sync_once()

    assert report.alarms == [] and irn.last_error is None
    status = irn.status()
    assert status["clock_ok"] is True
    low, high = status["clock_offset_bounds_s"]
    assert low <= allowance.total_seconds() - 5 <= high
    assert status["clock_allowance_s"] == allowance.total_seconds()
    html, _ = page_text(irn)
    assert 'id="clock-banner"' not in html


def test_a_clock_ahead_beyond_the_allowance_raises_one_alarm_and_a_banner_until_set_right(
        irn: Node, node_clock: ManualClock, clock: ManualClock, log_key: SigningKey) -> None:
    assert irn.sync_once().alarms == []
    assert irn.status()["clock_ok"] is True

    node_clock.advance(timedelta(minutes=10))
    report = irn.sync_once()

    (raised,) = [a for a in report.alarms if a.startswith("clock_drift:")]
    (alarm,) = drift_alarms(irn)
    assert "600 s ahead of the hub's" in alarm.message
    assert "300 s the regime allows" in alarm.message and "NTP" in alarm.message
    assert raised == f"clock_drift: {alarm.message}"
    status = irn.status()
    assert status["clock_ok"] is False
    low, high = status["clock_offset_bounds_s"]
    assert low <= 600 <= high and high - low <= 1
    assert abs(status["clock_offset_s"] - 600) <= 1
    html, text = page_text(irn)
    assert 'id="clock-banner"' in html
    assert "This node's clock is 600 seconds ahead of the hub's" in text
    assert "NTP" in text
    _, alarms_page = page_text(irn, "/alarms")
    assert "This node's clock is off" in alarms_page

    for _ in range(3):  # still off: no new alarm
        assert not any(a.startswith("clock_drift") for a in irn.sync_once().alarms)
    assert len(drift_alarms(irn)) == 1

    node_clock.set(clock.now())
    report = irn.sync_once()

    assert report.alarms == [] and irn.last_error is None
    assert irn.status()["clock_ok"] is True
    html, _ = page_text(irn)
    assert 'id="clock-banner"' not in html
    assert len(drift_alarms(irn)) == 1  # the alarm stays, a record of what happened


def test_the_alarms_evidence_holds_the_hubs_signed_answer_and_proves_nothing_of_the_hub(
        irn: Node, node_clock: ManualClock, clock: ManualClock, log_key: SigningKey) -> None:
    node_clock.advance(timedelta(minutes=10))
    irn.sync_once()

    (alarm,) = drift_alarms(irn)
    (kept,) = alarm.evidence["answers"]
    answer = SignedAnswer.from_json(kept["answer"])
    answer.verify(log_key.verifier)
    assert answer.target.startswith("/v1/checkpoint")
    assert answer.time == int(clock.now().timestamp())  # the hub's time, signed
    assert kept["received_at"] == (clock.now() + timedelta(minutes=10)).isoformat() \
        .replace("+00:00", "Z")  # the node's, its word alone
    assert alarm.evidence["allowance_s"] == 300
    with pytest.raises(NotProven, match="no evidence a third party can check"):
        verify_evidence(irn.evidence(alarm.id), log_key.verifier)


def test_a_clock_behind_is_named_as_the_cause_and_the_hub_is_not_accused(
        irn: Node, node_clock: ManualClock, clock: ManualClock) -> None:
    node_clock.advance(-timedelta(minutes=10))

    report = irn.sync_once()

    # The hub's checkpoint is dated after the node's clock allows, but not after the hub's
    # own signed answer: no future_checkpoint alarm, and nothing taken in meanwhile.
    assert [a.split(":")[0] for a in report.alarms] == ["clock_drift"]
    (alarm,) = drift_alarms(irn)
    assert "600 s behind the hub's" in alarm.message
    assert irn.status()["size"] == 0
    _, text = page_text(irn)
    assert "This node's clock is 600 seconds behind the hub's" in text

    node_clock.set(clock.now())
    report = irn.sync_once()

    assert report.alarms == [] and irn.last_error is None
    assert irn.status()["size"] > 0 and irn.status()["clock_ok"] is True
    html, _ = page_text(irn)
    assert 'id="clock-banner"' not in html


def test_each_episode_of_drift_raises_its_own_alarm(irn: Node, node_clock: ManualClock,
                                                     clock: ManualClock) -> None:
    for episode in (1, 2):
        node_clock.set(clock.now() + timedelta(minutes=10))
        irn.sync_once()
        assert len(drift_alarms(irn)) == episode
        node_clock.set(clock.now())
        irn.sync_once()
        clock.advance(timedelta(minutes=1))
    assert irn.status()["clock_ok"] is True


def test_one_slow_answer_neither_raises_nor_ends_an_episode(
        irn: Node, node_clock: ManualClock, clock: ManualClock) -> None:
    watch = irn.sync.clock_watch

    def slow_answer() -> None:
        """The hub's answer to a request sent 20 minutes before it was heard (a long poll):
        alone, it proves the clock neither right nor off."""
        irn.client.checkpoint()
        received = node_clock.now()
        watch.observe(irn.client.last_answer(), received - timedelta(minutes=20), received)
        watch.judge(SyncReport())

    irn.sync_once()
    slow_answer()
    assert irn.status()["clock_ok"] is True and drift_alarms(irn) == []

    node_clock.advance(timedelta(minutes=10))
    irn.sync_once()
    assert irn.status()["clock_ok"] is False
    node_clock.set(clock.now())
    slow_answer()
    assert irn.status()["clock_ok"] is False
    assert len(drift_alarms(irn)) == 1
    irn.sync_once()  # a quick answer: the episode ends
    assert irn.status()["clock_ok"] is True


def test_a_page_worker_reads_the_banner_from_the_nodes_database(
        irn: Node, node_clock: ManualClock, regime: Regime, party_keys: dict[str, SigningKey],
        log_key: SigningKey, api: TestClient) -> None:
    node_clock.advance(timedelta(minutes=10))
    irn.sync_once()
    assert irn.engine is not None
    # Another Node over the same database that never syncs, as a page worker's.
    worker = Node(regime, create_db_engine(irn.engine.url.render_as_string(
        hide_password=False)), "IRN", party_keys["IRN"],
        HubClient(BASE_URL, party="IRN", key=party_keys["IRN"], transport=api._transport),
        log_key.verifier, node_clock)
    try:
        worker.load()
        _, text = page_text(worker)
        assert "This node's clock is 600 seconds ahead of the hub's" in text
        assert worker.status()["clock_ok"] is False
    finally:
        worker.close()
