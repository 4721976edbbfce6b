"""The node's background work, and how a process that does none of it keeps up.

- :class:`SyncLoop` runs :meth:`Node.sync_once` in a thread, until stopped: in the node's own
  process, the one that syncs, signs and sends.
- :class:`Follower` keeps the in-memory copy of a node that does not sync (a page worker's,
  serving the pages from a process of its own, apart from the sync loop) up to date with what
  the node's process stored: on each page, it reads the node's :class:`~.views.LogState` and,
  when the log moved on, takes in only what is new (leaves, key entries, verified
  cosignatures), reading everything again only when an entry landed behind the newest.
"""

from __future__ import annotations

import threading
from typing import Final, Protocol

from gulfsec.adapters.storage import views as views_db
from gulfsec.domain.entry import parse_signed_entry
from gulfsec.domain.forms import registry
from gulfsec.ledger.finality import WitnessFinality
from gulfsec.services.node.core import Copy, log
from gulfsec.services.node.node import Node
from gulfsec.services.node.views import LogState, log_state

KEY_FORMS: Final = tuple(sorted(form for form in registry() if form.startswith("key-")))
"""The forms that change the keyring (:meth:`gulfsec.services.node.core.NodeCore.load`)."""


class Alongside(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


class SyncLoop:
    """Runs :meth:`Node.sync_once` until stopped; a failed round is logged and retried."""

    def __init__(self, node: Node, interval_s: float) -> None:
        self.node = node
        self.interval = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.alongside: list[Alongside] = []
        """Threads of their own started after the loop and stopped before it (the e-mail
        notifier, :mod:`.notifications`): they run only where the node syncs."""

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"gulfsec-sync-{self.node.party}",
                                        daemon=True)
        self._thread.start()
        for part in self.alongside:
            part.start()

    def stop(self) -> None:
        for part in reversed(self.alongside):
            part.stop()
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


class Follower:
    """Keeps a node that does not sync up to date with the node's database (see the module's
    notes). The node must be loaded (:meth:`Node.load`) before the first :meth:`follow`."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.state: LogState | None = None
        """The state the in-memory copy was last brought to."""
        self.catch_ups = 0
        """How many times the copy took in something new (for the tests)."""
        self._entries_after = -1
        """The entries up to this index were taken in (their keys and sequence numbers)."""
        self._lock = threading.Lock()

    def start(self) -> LogState:
        """Bring the copy :meth:`Node.load` read up to the node's state now, and mark it."""
        with self._lock:
            state = log_state(self.node)
            self._catch_up(state)
            self.state = state
            return state

    def follow(self) -> LogState:
        """The node's state now, with the in-memory copy brought to it first if its log moved
        on: one thread takes in what is new while the others wait for it."""
        state = log_state(self.node)
        if self.state is not None and self.state.log == state.log:
            return state
        with self._lock:
            if self.state is None or self.state.log != state.log:
                self._catch_up(state)
                self.state = state
                self.catch_ups += 1
        return state

    def _catch_up(self, state: LogState) -> None:
        node = self.node
        core = node.core
        held = self.state
        copy = core.copy
        if held is not None and (state.withheld != held.withheld or state.size < copy.tree.size
                                 or state.latest_index < held.latest_index):
            self._reload(state)
            return
        with node.uow() as uow:
            latest = uow.repo.latest_checkpoint()
            size = 0 if latest is None else latest.size
            leaves = views_db.node_leaves_from(uow.repo.conn, copy.tree.size, size)
            keys = uow.repo.entries_from(self._entries_after, forms=KEY_FORMS)
            if held is None:
                last_seq = uow.repo.last_seqs()
            else:
                last_seq = dict(copy.last_seq)
                for sender, seq in views_db.node_senders_after(uow.repo.conn,
                                                                self._entries_after):
                    last_seq[sender] = max(seq, last_seq.get(sender, -1))
            verified = (None if held is not None and state.cosigned == held.cosigned
                        else uow.repo.verified_cosignatures())
        tree = copy.tree
        if size > tree.size:
            tree.extend(leaves)  # append-only: what readers asked of smaller sizes holds
            if latest is None or tree.size != size or tree.root() != latest.root:
                self._reload(state)  # what was stored does not add up: read it all again
                return
            tree.settle(size)
        for item in keys:  # applying a key entry again changes nothing
            copy.keyring.apply(parse_signed_entry(item.raw, max_bytes=1 << 20), item.index)
        self._entries_after = max([self._entries_after, state.latest_index,
                                   *(item.index for item in keys)])
        finality = copy.finality
        if verified is not None:
            finality = WitnessFinality(core.regime.witness_quorum)
            for party, cosigned_size, timestamp, _line in verified:
                finality.add(party, cosigned_size, timestamp)
        core.copy = Copy(tree, copy.keyring, last_seq, finality)
        for hook in core.on_load:
            hook()

    def _reload(self, state: LogState) -> None:
        self.node.load()  # reads at least what ``state`` says: key entries from there on
        self._entries_after = state.latest_index
