"""Signed requests cannot be replayed: each carries a nonce, remembered for as long as its
signed time is acceptable (the regime's clock skew, either side of the hub's clock).

A request outside that window is refused for its time already; inside it, a nonce seen before
for the same party is refused as a replay. The memory is this process's: the hub process, or a
node's, answers the requests it authenticates.
"""

from __future__ import annotations

import heapq
import threading
from datetime import datetime, timedelta

from gulfsec.errors import AuthError

MAX_REMEMBERED = 1_000_000
"""Nonces kept at most; past it the oldest are forgotten first (they expire first)."""


class ReplayGuard:
    def __init__(self, window: timedelta) -> None:
        self.window = window
        self._seen: dict[tuple[str, str], float] = {}
        self._expiry: list[tuple[float, str, str]] = []
        self._lock = threading.Lock()

    def check(self, party: str, nonce: str, signed_at: datetime, now: datetime) -> None:
        """Remember ``nonce`` for ``party``; AuthError if it was seen before and not expired."""
        expires = max(signed_at, now).timestamp() + self.window.total_seconds()
        key = (party, nonce)
        with self._lock:
            self._forget(now.timestamp())
            if key in self._seen:
                raise AuthError("this signed request was made before: a replay is refused "
                                "(each request carries a fresh nonce)")
            self._seen[key] = expires
            heapq.heappush(self._expiry, (expires, party, nonce))
            while len(self._seen) > MAX_REMEMBERED:
                _, old_party, old_nonce = heapq.heappop(self._expiry)
                self._seen.pop((old_party, old_nonce), None)

    def _forget(self, now: float) -> None:
        while self._expiry and self._expiry[0][0] < now:
            _, party, nonce = heapq.heappop(self._expiry)
            self._seen.pop((party, nonce), None)
