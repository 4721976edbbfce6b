"""The pages' cache: one computation per state, shared by every request that waits for it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from gulfsec.services.shared.cache import StateCache


class Gate:
    """A computation that counts its calls and, until opened, blocks each of them."""

    def __init__(self, value: str = "value") -> None:
        self.calls = 0
        self.value = value
        self.opened = threading.Event()
        self.entered = threading.Event()
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            self.calls += 1
        self.entered.set()
        assert self.opened.wait(10), "the gate was never opened"
        return f"{self.value} #{self.calls}"


def in_threads(count: int, target: Callable[[], str]) -> tuple[list[threading.Thread],
                                                                list[str]]:
    results: list[str] = []
    lock = threading.Lock()

    def run() -> None:
        value = target()
        with lock:
            results.append(value)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads, results


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "it never happened"
        time.sleep(0.005)


def test_twenty_requests_at_a_new_state_share_one_computation() -> None:
    cache: StateCache[str] = StateCache()
    gate = Gate()
    threads, results = in_threads(20, lambda: cache.get("inbox", 1, gate))
    assert gate.entered.wait(10)
    time.sleep(0.05)  # the other nineteen are waiting for the one computing
    gate.opened.set()
    for thread in threads:
        thread.join(10)
    assert gate.calls == 1
    assert results == ["value #1"] * 20


def test_a_kept_value_is_served_until_the_state_changes_then_computed_again() -> None:
    cache: StateCache[str] = StateCache()
    gate = Gate()
    gate.opened.set()
    assert cache.get("inbox", 1, gate) == "value #1"
    assert cache.get("inbox", 1, gate) == "value #1"
    assert gate.calls == 1
    assert cache.get("inbox", 2, gate) == "value #2"
    assert gate.calls == 2


def test_keys_are_computed_apart() -> None:
    cache: StateCache[str] = StateCache()
    assert cache.get("inbox?sender=SAU", 1, lambda: "SAU") == "SAU"
    assert cache.get("inbox?sender=RUS", 1, lambda: "RUS") == "RUS"
    assert cache.get("inbox?sender=SAU", 1, lambda: "again") == "SAU"


def test_an_error_reaches_every_waiting_request_and_is_not_kept() -> None:
    cache: StateCache[str] = StateCache()
    started, release = threading.Event(), threading.Event()
    calls = 0

    def failing() -> str:
        nonlocal calls
        calls += 1
        started.set()
        release.wait(10)
        raise ValueError("the database went away")

    errors: list[BaseException] = []

    def request() -> None:
        try:
            cache.get("inbox", 1, failing)
        except ValueError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=request) for _ in range(5)]
    for thread in threads:
        thread.start()
    assert started.wait(10)
    time.sleep(0.05)
    release.set()
    for thread in threads:
        thread.join(10)
    assert calls == 1 and len(errors) == 5
    assert cache.get("inbox", 1, lambda: "recovered") == "recovered"


def test_when_only_time_moves_on_the_kept_value_is_served_while_one_refresh_runs() -> None:
    cache: StateCache[str] = StateCache()
    assert cache.get("compliance", 1, lambda: "at minute 0", tick=0) == "at minute 0"
    gate = Gate("at minute 1")
    # The minute changed, the log did not: nobody waits, one refresh starts.
    assert cache.get("compliance", 1, gate, tick=1) == "at minute 0"
    assert cache.get("compliance", 1, gate, tick=1) == "at minute 0"
    assert gate.entered.wait(10)
    gate.opened.set()
    wait_until(lambda: cache.get("compliance", 1, gate, tick=1) == "at minute 1 #1")
    assert gate.calls == 1


def test_a_value_kept_from_longer_ago_is_computed_again_before_it_is_served() -> None:
    cache: StateCache[str] = StateCache()
    cache.get("inbox", 1, lambda: "yesterday", tick=0)
    assert cache.get("inbox", 1, lambda: "a day later", tick=1440) == "a day later"


def test_a_refresh_overtaken_by_a_new_state_does_not_bring_back_the_old_one() -> None:
    cache: StateCache[str] = StateCache()
    cache.get("compliance", 1, lambda: "state 1", tick=0)
    gate = Gate("state 1, minute 1")
    assert cache.get("compliance", 1, gate, tick=1) == "state 1"
    assert gate.entered.wait(10)
    assert cache.get("compliance", 2, lambda: "state 2", tick=1) == "state 2"
    gate.opened.set()
    time.sleep(0.1)
    assert cache.get("compliance", 2, lambda: "computed again", tick=1) == "state 2"


def test_the_least_recently_read_key_goes_first() -> None:
    cache: StateCache[str] = StateCache(max_keys=2)
    cache.get("a", 1, lambda: "a")
    cache.get("b", 1, lambda: "b")
    cache.get("a", 1, lambda: "not again")
    cache.get("c", 1, lambda: "c")
    assert cache.get("a", 1, lambda: "not again") == "a"
    assert cache.get("b", 1, lambda: "b again") == "b again"


@pytest.mark.parametrize("requests", [2, 50])
def test_concurrent_requests_for_two_states_compute_each_once(requests: int) -> None:
    cache: StateCache[str] = StateCache()
    gates = {1: Gate("one"), 2: Gate("two")}
    threads = []
    for state, gate in gates.items():
        more, _ = in_threads(requests, lambda s=state, g=gate: cache.get("inbox", s, g))
        threads += more
    for gate in gates.values():
        assert gate.entered.wait(10)
        gate.opened.set()
    for thread in threads:
        thread.join(10)
    assert [gate.calls for gate in gates.values()] == [1, 1]
