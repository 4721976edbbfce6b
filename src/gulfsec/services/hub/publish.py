"""Publishing the log to an S3-compatible bucket, as Sunlight and Trillian Tessera do: readers
then take the checkpoint and the tiles from the bucket's public URL instead of from the hub.

After each checkpoint the sequencer commits, the :class:`Publisher` (in a thread of its own:
the sequencer only wakes it) writes, in this order:

1. every tile completed since the bucket's checkpoint — hash tiles at every level and entry
   bundles — and the partial tiles of the new tree, each **create-only** (an object already
   there must hold the same bytes: it was written before a crash; other bytes are another
   log's, and publishing stops);
2. only then the checkpoint, by **compare-and-swap** on the ETag of the one it replaces (the
   first one create-only), so that a reader never sees a checkpoint whose tiles are missing,
   and a second writer never silently overwrites the first.

At start it reads the bucket's checkpoint and catches up from there: a crash between the tiles
and the checkpoint leaves the old checkpoint in place with tiles it does not need yet, and the
next round writes them again (identical, so accepted) before swapping. A checkpoint in the
bucket that is not signed by this hub's log key, or whose tree is not a prefix of this hub's
log, makes the publisher refuse — log an error and stop publishing — rather than overwrite it.
A bucket that fails is retried with backoff; sequencing never waits for it.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

from gulfsec.adapters.objectstore import ObjectConflict, ObjectStore
from gulfsec.errors import ConfigError, LogVerificationError
from gulfsec.ledger import tiles
from gulfsec.ledger.note import verify_checkpoint
from gulfsec.services.shared.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from gulfsec.adapters.storage.hub import StoredCheckpoint
    from gulfsec.services.hub.hub import Hub

__all__ = ["CHECKPOINT", "PublishRefused", "PublishStatus", "Publisher", "tiles_between"]

log = logging.getLogger("gulfsec.hub.publish")

CHECKPOINT = "checkpoint"
"""The checkpoint's key in the bucket (under the prefix), as tlog-tiles names it."""
CHECKPOINT_TYPE = "text/plain; charset=utf-8"
TILE_TYPE = "application/octet-stream"
TILES_IN_FLIGHT = 8
"""Tiles written at once while a round catches up on many."""
SWAP_ATTEMPTS = 3
"""Checkpoint swaps one round tries while other writers keep winning, before backing off."""


def tiles_between(old_size: int, new_size: int) -> list[str]:
    """The tile and entry-bundle paths that a bucket published at ``old_size`` lacks for
    readers of the tree of ``new_size``: every full tile completed since, at every level,
    and the partial tiles of ``new_size`` (entry bundles before the hash tiles of each
    position)."""
    if not 0 <= old_size <= new_size:
        raise ValueError(f"cannot publish from size {old_size} to size {new_size}")
    paths: list[str] = []
    level = 0
    while new_size >> (tiles.TILE_HEIGHT * level):
        new_count = new_size >> (tiles.TILE_HEIGHT * level)
        old_count = old_size >> (tiles.TILE_HEIGHT * level)
        for index in range(old_count // tiles.TILE_WIDTH, new_count // tiles.TILE_WIDTH):
            if level == 0:
                paths.append(tiles.entries_path(index))
            paths.append(tiles.tile_path(level, index))
        width = new_count % tiles.TILE_WIDTH
        if width:
            index = new_count // tiles.TILE_WIDTH
            if level == 0:
                paths.append(tiles.entries_path(index, width))
            paths.append(tiles.tile_path(level, index, width))
        level += 1
    return paths


class PublishRefused(ConfigError):
    """The bucket holds what this hub must not overwrite: another log's checkpoint or tiles,
    or a tree that is not a prefix of this hub's log (the wrong bucket, or another writer)."""

    code = "publish_refused"


@dataclass(frozen=True)
class PublishStatus:
    """How far the bucket is: ``published``, the size of its checkpoint as last written or
    read (None before the bucket was read); ``hub_size``, the log's; ``refused``, why the
    publisher stopped for good; ``last_error``, the failure it is retrying after."""

    published: int | None
    hub_size: int
    refused: str | None = None
    last_error: str | None = None

    @property
    def behind(self) -> int:
        """Entries the hub holds that the bucket's checkpoint does not cover yet."""
        return self.hub_size - (self.published or 0)


class Publisher:
    """Publishes the hub's log to ``store`` while the hub runs (:meth:`start`, :meth:`stop`;
    :class:`~gulfsec.services.hub.hub.Hub` calls both); :meth:`publish_once` is one round,
    in the caller's thread."""

    def __init__(self, hub: Hub, store: ObjectStore, *, min_backoff_s: float = 0.5,
                 max_backoff_s: float = 30.0) -> None:
        self.hub = hub
        self.store = store
        self.min_backoff_s = min_backoff_s
        self.max_backoff_s = max_backoff_s
        self._published: int | None = None
        self._etag: str | None = None
        self._refused: str | None = None
        self._last_error: str | None = None
        self._round = threading.Lock()
        self._progress = threading.Condition()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Catch up from the bucket's checkpoint, then follow every new checkpoint."""
        if self._thread is not None:
            return
        self._stopping.clear()
        self.hub.state.listeners.append(self._on_checkpoint)
        self._wake.set()
        self._thread = threading.Thread(target=self._run, name="gulfsec-publisher",
                                        daemon=True)
        self._thread.start()
        log.info("publishing the log to %s", self.store.where())

    def stop(self, timeout: float = 15.0) -> None:
        """Stop after one last round (none if the bucket is failing); the bucket may stay
        behind, the next start catches up."""
        if self._on_checkpoint in self.hub.state.listeners:
            self.hub.state.listeners.remove(self._on_checkpoint)
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stopping.set()
        self._wake.set()
        thread.join(timeout=timeout)
        if thread.is_alive():
            log.warning("publishing to %s did not stop within %.0f s; it is left behind",
                        self.store.where(), timeout)

    def _on_checkpoint(self, _size: int) -> None:
        # Called from the sequencer's thread: only wake the publisher's own.
        self._wake.set()

    def status(self) -> PublishStatus:
        return PublishStatus(self._published, self.hub.state.size, self._refused,
                             self._last_error)

    def wait_published(self, size: int, timeout: float) -> bool:
        """Wait until the bucket's checkpoint covers ``size`` entries (or publishing was
        refused); whether it does."""
        with self._progress:
            self._progress.wait_for(
                lambda: (self._published or 0) >= size or self._refused is not None, timeout)
            return (self._published or 0) >= size

    def _run(self) -> None:
        delay = 0.0
        while True:
            if delay:
                self._stopping.wait(delay)
            else:
                self._wake.wait()
            self._wake.clear()
            stopping = self._stopping.is_set()
            if stopping and delay:
                break  # the bucket is failing: do not hold the hub's stop up
            try:
                # Of several front ends on one database, the one that sequences publishes
                # (the others' copies follow it); it is woken when it takes over.
                if self.hub.leading:
                    self.publish_once()
            except PublishRefused as exc:
                log.error("publishing to %s stopped for good: %s", self.store.where(),
                          exc.message)
                break
            except Exception as exc:  # the bucket down, or anything: retry, never give up
                delay = min(self.max_backoff_s, max(self.min_backoff_s, delay * 2))
                error = getattr(exc, "message", None) or repr(exc)
                log.warning("publishing to %s failed (%s); the bucket is %d entries behind "
                            "the hub; trying again in %.1f s", self.store.where(), error,
                            self.status().behind, delay)
                self._last_error = error
            else:
                if delay:
                    log.info("publishing to %s works again: the bucket is at size %s",
                             self.store.where(), self._published)
                delay = 0.0
                self._last_error = None
            if stopping:
                break

    # -- one round -------------------------------------------------------------------------

    def publish_once(self) -> int:
        """Bring the bucket up to the hub's latest checkpoint: its size. Raises
        :class:`PublishRefused` (for good) or an
        :class:`~gulfsec.adapters.objectstore.ObjectStoreError` (try again later)."""
        with self._round:
            if self._refused is not None:
                raise PublishRefused(self._refused)
            for _attempt in range(SWAP_ATTEMPTS):
                if self._published is None:
                    self._adopt_bucket_checkpoint()
                published = self._published or 0
                target = self.hub.state.checkpoint
                if target is None or target.size <= published:
                    return published
                self._write_tiles(published, target.size)
                if self._swap_checkpoint(target):
                    return target.size
            raise ObjectConflict(f"{self.store.where(CHECKPOINT)} changed behind this hub's "
                                 f"back at each of {SWAP_ATTEMPTS} tries", key=CHECKPOINT)

    def _adopt_bucket_checkpoint(self) -> None:
        """Read the bucket's checkpoint and take it as the starting point, if it is this log's
        and a prefix of this hub's log; else refuse."""
        found = self.store.get(CHECKPOINT)
        if found is None:
            self._set_published(0, None)
            return
        where = self.store.where(CHECKPOINT)
        try:
            checkpoint, _ = verify_checkpoint(found.data, self.hub.log_key.verifier)
        except LogVerificationError as exc:
            self._refuse(f"{where} is not a checkpoint of this hub's log ({exc.message})")
        state = self.hub.state
        with state.lock:
            hub_size = state.size
            root = state.tree.root(checkpoint.size) if checkpoint.size <= hub_size else None
        if root is None:
            # Ahead of this process's copy: fine if the database holds that very checkpoint
            # (another front end on the same PostgreSQL database sequenced and published it).
            with UnitOfWork(self.hub.engine) as uow:
                stored = uow.repo.checkpoint_at(checkpoint.size)
            if stored is None:
                self._refuse(f"{where} has {checkpoint.size} entries, more than this hub's log "
                             f"({hub_size}): another hub publishes there, or this hub's "
                             "database is older than the bucket")
            root = stored.root
        if root != checkpoint.root:
            self._refuse(f"{where} (size {checkpoint.size}) is not a prefix of this hub's "
                         "log: its root differs from the hub's tree at that size")
        self._set_published(checkpoint.size, found.etag)

    def _write_tiles(self, old_size: int, new_size: int) -> None:
        paths = tiles_between(old_size, new_size)

        def write(path: str) -> None:
            try:
                self.store.create(path, self.hub.tile(path), TILE_TYPE,
                                  cache_control=tiles.TILE_CACHE)
            except ObjectConflict as exc:
                self._refuse(f"{exc.message}: this hub's {path} differs, so the bucket holds "
                             "another log")

        if len(paths) <= 2:
            for path in paths:
                write(path)
            return
        with ThreadPoolExecutor(max_workers=TILES_IN_FLIGHT,
                                thread_name_prefix="gulfsec-publish") as pool:
            list(pool.map(write, paths))

    def _swap_checkpoint(self, target: StoredCheckpoint) -> bool:
        """Replace the bucket's checkpoint by ``target``'s if it is still the one read; False
        if another writer swapped it since (then it is read again: refused unless it is
        this log's, and the next try starts from it — never replacing it by a smaller one)."""
        try:
            etag = self.store.replace(CHECKPOINT, target.note.encode(), CHECKPOINT_TYPE,
                                      self._etag, cache_control=tiles.CHECKPOINT_CACHE)
        except ObjectConflict:
            log.warning("the checkpoint at %s changed behind this hub's back; reading it again",
                        self.store.where(CHECKPOINT))
            self._published = None
            return False
        self._set_published(target.size, etag)
        log.debug("published the checkpoint of size %d to %s", target.size, self.store.where())
        return True

    def _set_published(self, size: int, etag: str | None) -> None:
        with self._progress:
            self._published, self._etag = size, etag
            self._progress.notify_all()

    def _refuse(self, why: str) -> NoReturn:
        with self._progress:
            self._refused = why
            self._progress.notify_all()
        raise PublishRefused(why)
