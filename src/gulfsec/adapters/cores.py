"""Work spread over every core of this machine, from one process.

Ed25519 checks with libsodium release the GIL, so a pool of threads, one per core, checks
signatures on every core at once while the calling thread goes on with what needs the GIL.
Work is handed over in chunks, never one item at a time: handing a thread one small job costs
as much as the job.

A call made from inside a pool thread runs inline, so nested use cannot deadlock the pool.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_CHUNK = 64
"""Items per task: large enough that handing a task over costs little beside it."""

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_inside = threading.local()


def count() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def _mark_worker() -> None:
    _inside.worker = True


def _shared_pool() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=count(), thread_name_prefix="gulfsec-core",
                                       initializer=_mark_worker)
        return _pool


def map_chunks(work: Callable[[Sequence[T]], list[R]], items: Sequence[T],
               chunk: int = DEFAULT_CHUNK) -> list[R]:
    """``work`` applied to ``items`` in chunks on every core; the results in order.

    ``work`` takes a chunk and returns one result per item. Fewer items than two chunks, one
    core, or a call from inside the pool: done here, in this thread. Otherwise this thread
    takes the last chunk itself while the pool takes the others, instead of only waiting.
    """
    if len(items) < 2 * chunk or count() == 1 or getattr(_inside, "worker", False):
        return work(items)
    parts = [items[i : i + chunk] for i in range(0, len(items), chunk)]
    futures = [_shared_pool().submit(work, part) for part in parts[:-1]]
    try:
        last = work(parts[-1])
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    out: list[R] = []
    for future in futures:
        out.extend(future.result())
    out.extend(last)
    return out
