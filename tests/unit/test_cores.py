"""Work spread over the cores comes back whole, in order, and a failure is not lost."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import pytest

from gulfsec.adapters import cores


def _square(part: Sequence[int]) -> list[int]:
    return [i * i for i in part]


@pytest.mark.parametrize("n", [0, 1, 7, 8, 15, 16, 17, 63, 64, 65, 200])
def test_results_come_back_in_order_whatever_the_chunks(n: int,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cores, "count", lambda: 2)
    assert cores.map_chunks(_square, list(range(n)), chunk=8) == [i * i for i in range(n)]


def test_the_calling_thread_takes_a_chunk_and_the_pool_the_others(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cores, "count", lambda: 2)
    seen: list[tuple[str, int]] = []

    def note(part: Sequence[int]) -> list[int]:
        seen.append((threading.current_thread().name, part[0]))
        return list(part)

    assert cores.map_chunks(note, list(range(32)), chunk=8) == list(range(32))
    here = threading.current_thread().name
    assert (here, 24) in seen
    assert sorted(first for name, first in seen if name != here) == [0, 8, 16]


def test_a_failure_in_any_chunk_is_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cores, "count", lambda: 2)

    def fail_on(bad: int) -> Callable[[Sequence[int]], list[int]]:
        def work(part: Sequence[int]) -> list[int]:
            if bad in part:
                raise RuntimeError(f"item {bad}")
            return list(part)
        return work

    for bad in (3, 20):  # a chunk in the pool, the chunk of the calling thread
        with pytest.raises(RuntimeError, match=f"item {bad}"):
            cores.map_chunks(fail_on(bad), list(range(24)), chunk=8)
