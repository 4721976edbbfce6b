"""The node's background sync: :meth:`Node.sync_once` in a thread, until stopped."""

from __future__ import annotations

import threading

from gulfsec.services.node.core import log
from gulfsec.services.node.node import Node


class SyncLoop:
    """Runs :meth:`Node.sync_once` until stopped; a failed round is logged and retried."""

    def __init__(self, node: Node, interval_s: float) -> None:
        self.node = node
        self.interval = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"gulfsec-sync-{self.node.party}",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                report = self.node.sync_once(wait_s=self.interval)
                busy = report.new_leaves or report.acknowledged or report.newly_final
            except Exception:  # keep syncing: the next round may succeed; the error is logged
                log.exception("%s: sync round failed", self.node.party)
                busy = False
            if not busy:
                self._stop.wait(self.interval / 4)
