"""Password guessing on the sign-in pages is throttled, per account name and per client address.

Personas: leila is IRN's officer and victor its viewer, each signing in from their office
(``OFFICE``); mallory guesses passwords from ``ATTACKER`` and, later, from ``ELSEWHERE``.
Every test runs on SQLite and on PostgreSQL, with the test's clock.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from support.inprocess import (
    BASE_URL,
    PASSWORD,
    Browser,
    NodeNet,
    TestClient,
    add_user,
    text_of,
)

from gulfsec.adapters.clock import ManualClock
from gulfsec.bootstrap import build_hub_app, build_node_app
from gulfsec.errors import AuthError, SignInThrottled
from gulfsec.services.hub import Hub
from gulfsec.services.node import Node
from gulfsec.services.shared.accounts import ThrottlePolicy, node_accounts

OFFICE = "198.51.100.7"
ATTACKER = "203.0.113.66"
ELSEWHERE = "192.0.2.200"
WRONG = "not the password"
WRONG_ANSWER = "The name or the password is wrong."


def waiting(wait: str) -> str:
    return f"Too many failed sign-ins. Wait {wait}, then try again."


@pytest.fixture
def node(make_net: Callable[..., NodeNet]) -> Node:
    """IRN's node with leila (officer) and victor (viewer)."""
    irn = make_net(["IRN"]).nodes["IRN"]
    add_user(irn.engine, "leila", "officer")
    add_user(irn.engine, "victor", "viewer")
    return irn


@pytest.fixture
def app(node: Node) -> FastAPI:
    return build_node_app(node, run_sync=False)


@pytest.fixture
def from_address(app: FastAPI) -> Callable[[str], Browser]:
    """``from_address("203.0.113.66")``: a browser on the node's pages whose connections come
    from that address (each call a new browser, with cookies of its own)."""

    def make(address: str) -> Browser:
        return Browser(TestClient(app, base_url=BASE_URL, client=(address, 50000)))

    return make


def error_of(page: httpx.Response) -> str:
    found = re.search(r'id="sign-in-error">([^<]*)<', page.text)
    assert found is not None, text_of(page.text)
    return text_of(found.group(1))


def signed_in(browser: Browser) -> bool:
    return browser.get("/inbox").status_code == 200


# -- the lock-out -----------------------------------------------------------------------------


def test_thirty_wrong_passwords_then_the_right_one_are_refused_after_the_fifth(
        from_address: Callable[[str], Browser]) -> None:
    mallory = from_address(ATTACKER)
    answers = [mallory.sign_in("leila", WRONG) for _ in range(30)]
    right = mallory.sign_in("leila", PASSWORD)

    assert [a.status_code for a in answers[:5]] == [400] * 5
    assert {error_of(a) for a in answers[:5]} == {WRONG_ANSWER}
    assert [a.status_code for a in answers[5:]] == [429] * 25
    assert {error_of(a) for a in answers[5:]} == {waiting("30 seconds")}
    assert right.status_code == 429 and error_of(right) == waiting("30 seconds")
    assert right.headers["retry-after"] == "30"
    assert not signed_in(mallory)


def test_after_the_wait_the_right_password_signs_in(
        from_address: Callable[[str], Browser], clock: ManualClock) -> None:
    leila = from_address(OFFICE)
    for _ in range(30):
        leila.sign_in("leila", WRONG)

    clock.advance(timedelta(seconds=29))
    early = leila.sign_in("leila", PASSWORD)
    assert early.status_code == 429 and error_of(early) == waiting("1 second")
    clock.advance(timedelta(seconds=1))
    assert leila.sign_in("leila", PASSWORD).status_code == 303
    assert signed_in(leila)


def test_a_name_without_an_account_is_throttled_exactly_like_a_real_one(
        from_address: Callable[[str], Browser]) -> None:
    real = [from_address(ATTACKER).sign_in("leila", WRONG) for _ in range(7)]
    made_up = [from_address(ELSEWHERE).sign_in("lejla", WRONG) for _ in range(7)]

    assert [r.status_code for r in real] == [m.status_code for m in made_up]
    assert [error_of(r) for r in real] == [error_of(m) for m in made_up]
    assert [r.headers.get("retry-after") for r in real] == [
        m.headers.get("retry-after") for m in made_up]


def test_the_lock_holds_for_the_account_from_every_address(
        from_address: Callable[[str], Browser]) -> None:
    for _ in range(5):
        from_address(ATTACKER).sign_in("leila", WRONG)

    from_office = from_address(OFFICE).sign_in("leila", PASSWORD)

    assert from_office.status_code == 429 and error_of(from_office) == waiting("30 seconds")


def test_another_account_from_the_same_address_is_throttled_too(
        from_address: Callable[[str], Browser]) -> None:
    for _ in range(30):
        from_address(ATTACKER).sign_in("leila", WRONG)

    same_address = from_address(ATTACKER)
    refused = same_address.sign_in("victor", PASSWORD)

    assert refused.status_code == 429 and error_of(refused) == waiting("30 seconds")
    assert not signed_in(same_address)


def test_another_address_can_still_sign_in_to_another_account(
        from_address: Callable[[str], Browser]) -> None:
    for _ in range(30):
        from_address(ATTACKER).sign_in("leila", WRONG)

    victor = from_address(OFFICE)

    assert victor.sign_in("victor", PASSWORD).status_code == 303
    assert signed_in(victor)


def test_guesses_spread_over_many_names_are_throttled_per_address(
        from_address: Callable[[str], Browser], node: Node) -> None:
    add_user(node.engine, "mallory", "viewer")
    mallory = from_address(ATTACKER)
    names = ["ahmad", "leila", "sara", "victor"]
    assert [mallory.sign_in(name, WRONG).status_code for name in names] == [400] * 4
    # signing in to an account of one's own does not clear the address's count
    assert from_address(ATTACKER).sign_in("mallory", PASSWORD).status_code == 303
    assert mallory.sign_in("omar", WRONG).status_code == 400  # the fifth from this address

    refused = mallory.sign_in("yusuf", WRONG)
    assert refused.status_code == 429 and error_of(refused) == waiting("30 seconds")
    assert from_address(ATTACKER).sign_in("mallory", PASSWORD).status_code == 429
    assert from_address(OFFICE).sign_in("leila", PASSWORD).status_code == 303


def test_a_success_resets_the_account_count(
        from_address: Callable[[str], Browser]) -> None:
    office = from_address(OFFICE)
    assert [office.sign_in("leila", WRONG).status_code for _ in range(4)] == [400] * 4
    assert office.sign_in("leila", PASSWORD).status_code == 303

    travelling = from_address(ELSEWHERE)  # a fresh address: only the account's count matters
    assert [travelling.sign_in("leila", WRONG).status_code for _ in range(4)] == [400] * 4
    assert travelling.sign_in("leila", PASSWORD).status_code == 303


def test_the_wait_doubles_and_is_capped_at_five_minutes(
        from_address: Callable[[str], Browser], clock: ManualClock) -> None:
    mallory = from_address(ATTACKER)
    for _ in range(4):
        mallory.sign_in("leila", WRONG)
    waits: list[int] = []
    for _ in range(8):
        assert mallory.sign_in("leila", WRONG).status_code == 400
        refused = mallory.sign_in("leila", PASSWORD)
        assert refused.status_code == 429
        waits.append(int(refused.headers["retry-after"]))
        clock.advance(timedelta(seconds=waits[-1]))

    assert waits == [30, 60, 120, 240, 300, 300, 300, 300]
    assert mallory.sign_in("leila", WRONG).status_code == 400
    assert error_of(mallory.sign_in("leila", WRONG)) == waiting("5 minutes")
    clock.advance(timedelta(minutes=5))
    assert from_address(OFFICE).sign_in("leila", PASSWORD).status_code == 303


def test_failures_far_apart_never_lock(from_address: Callable[[str], Browser],
                                       clock: ManualClock) -> None:
    mallory = from_address(ATTACKER)
    for _ in range(8):
        assert mallory.sign_in("leila", WRONG).status_code == 400
        clock.advance(timedelta(minutes=16))
    assert mallory.sign_in("leila", PASSWORD).status_code == 303


# -- shared by every process, kept across restarts ----------------------------------------------


def test_the_counts_are_shared_by_the_processes_of_a_node_and_survive_a_restart(
        node: Node, clock: ManualClock) -> None:
    first = Browser(TestClient(build_node_app(node, run_sync=False), base_url=BASE_URL,
                               client=(ATTACKER, 50000)))
    for _ in range(5):
        first.sign_in("leila", WRONG)
    second = Browser(TestClient(build_node_app(node, run_sync=False), base_url=BASE_URL,
                                client=(ELSEWHERE, 50000)))

    assert second.sign_in("leila", PASSWORD).status_code == 429
    restarted = node_accounts(node.engine, clock)
    with pytest.raises(SignInThrottled) as caught:
        restarted.sign_in("leila", PASSWORD, client=OFFICE)
    assert caught.value.retry_after == 30


def test_a_burst_of_parallel_guesses_gets_no_more_than_five_answers(
        node: Node, clock: ManualClock) -> None:
    accounts = node_accounts(node.engine, clock)
    start = threading.Barrier(16)

    def guess(i: int) -> str:
        start.wait()
        try:
            accounts.sign_in("leila", f"guess number {i}", client=ATTACKER)
        except SignInThrottled:
            return "throttled"
        except AuthError:
            return "wrong"
        return "signed in"

    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(guess, range(16)))

    assert outcomes.count("wrong") == 5
    assert outcomes.count("throttled") == 11


def test_the_hub_pages_are_throttled_the_same_way(hub: Hub, clock: ManualClock) -> None:
    add_user(hub.engine, "sami", "secretariat")
    app = build_hub_app(hub, manage_lifecycle=False)
    mallory = Browser(TestClient(app, base_url=BASE_URL, client=(ATTACKER, 50000)))
    sami = Browser(TestClient(app, base_url=BASE_URL, client=(OFFICE, 50000)))

    assert [mallory.sign_in("sami", WRONG).status_code for _ in range(5)] == [400] * 5
    refused = sami.sign_in("sami")
    assert refused.status_code == 429 and error_of(refused) == waiting("30 seconds")
    clock.advance(timedelta(seconds=30))
    assert sami.sign_in("sami").status_code == 303


# -- the policy itself --------------------------------------------------------------------------


@pytest.mark.parametrize("policy", [
    {"account_failures": 0},
    {"address_failures": 0},
    {"first_delay": timedelta(0)},
    {"first_delay": timedelta(minutes=10), "max_delay": timedelta(minutes=5)},
    {"max_delay": timedelta(minutes=20)},  # longer than the window: counts would lapse
])
def test_a_throttle_that_could_not_work_is_refused(policy: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ThrottlePolicy(**policy)  # type: ignore[arg-type]


def test_the_default_delays_double_from_thirty_seconds_to_five_minutes() -> None:
    policy = ThrottlePolicy()
    assert [policy.delay(n).total_seconds() for n in range(7)] == [30, 60, 120, 240, 300,
                                                                   300, 300]
    assert policy.delay(10_000) == timedelta(minutes=5)
