"""What the pages compute once per state of what they show, not once per request.

A :class:`StateCache` keeps, for each key (a page and its filter), the value computed last and
the *state* it was computed at: a cheap token that changes whenever what the value depends on
changes (a node's :func:`gulfsec.services.node.views.log_state`, the hub's log size). Then:

- a request at the state kept gets the value kept, at once;
- the first request at a new state computes the value, and every other request for the same key
  and state waits for that one computation (single flight): a new state is computed once, not by
  every request in flight; an error reaches each of them and nothing is kept;
- when only time moved on, by one ``tick`` (the minute, for what became overdue), the value
  kept is served while one background thread computes it again: nobody waits for the clock.
  Kept from an earlier tick than the one before, it is computed again before it is served.

Values are shared between threads and must not be changed by whoever reads them.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

log = logging.getLogger("gulfsec.cache")

V = TypeVar("V")

KEPT_KEYS = 256
"""Keys (pages, filters) a cache keeps at most; the least recently read goes first."""


@dataclass
class _Kept(Generic[V]):
    state: Hashable
    tick: int
    value: V


class _Flight(Generic[V]):
    """One computation under way, which other requests for the same key and state wait on."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: V | None = None
        self.error: BaseException | None = None


class StateCache(Generic[V]):
    """Values by key, each computed once per state (see the module's notes); thread-safe."""

    def __init__(self, *, max_keys: int = KEPT_KEYS) -> None:
        self.max_keys = max_keys
        self._lock = threading.Lock()
        self._kept: OrderedDict[Hashable, _Kept[V]] = OrderedDict()
        self._flights: dict[tuple[Hashable, Hashable, int], _Flight[V]] = {}
        self._refreshing: set[Hashable] = set()

    def get(self, key: Hashable, state: Hashable, compute: Callable[[], V], *,
            tick: int = 0) -> V:
        """The value of ``key`` at ``state`` and ``tick``: kept, computed by another request
        under way, or computed now by ``compute``."""
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and kept.state == state and tick - 1 <= kept.tick <= tick:
                self._kept.move_to_end(key)
                if kept.tick != tick and key not in self._refreshing:
                    self._refreshing.add(key)
                    threading.Thread(target=self._refresh, args=(key, state, tick, compute),
                                     name="gulfsec-cache-refresh", daemon=True).start()
                return kept.value
            flight = self._flights.get((key, state, tick))
            owner = flight is None
            if flight is None:
                flight = self._flights[(key, state, tick)] = _Flight()
        if not owner:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return flight.value  # type: ignore[return-value]  # set with done
        try:
            value = compute()
        except BaseException as exc:
            flight.error = exc
            raise
        else:
            flight.value = value
            with self._lock:
                self._keep(key, state, tick, value)
            return value
        finally:
            with self._lock:
                del self._flights[(key, state, tick)]
            flight.done.set()

    def clear(self) -> None:
        """Forget every value kept (computations under way finish and are kept)."""
        with self._lock:
            self._kept.clear()

    def _keep(self, key: Hashable, state: Hashable, tick: int, value: V) -> None:
        kept = self._kept.get(key)
        if kept is not None and kept.state == state and kept.tick > tick:
            return  # a later tick's value is kept already
        self._kept[key] = _Kept(state, tick, value)
        self._kept.move_to_end(key)
        while len(self._kept) > self.max_keys:
            self._kept.popitem(last=False)

    def _refresh(self, key: Hashable, state: Hashable, tick: int,
                 compute: Callable[[], V]) -> None:
        try:
            value = compute()
        except Exception:  # the value kept stays; the next tick tries again
            log.exception("a page's value could not be computed again")
            with self._lock:
                self._refreshing.discard(key)
            return
        with self._lock:
            self._refreshing.discard(key)
            kept = self._kept.get(key)
            if kept is not None and kept.state == state:  # not overtaken by a newer state
                self._keep(key, state, tick, value)
