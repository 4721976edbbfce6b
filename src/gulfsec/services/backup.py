"""Backups of a hub or a node, and restoring one: checked before anything serves from it.

**What a backup holds** (one tar archive, :mod:`gulfsec.adapters.storage.backup`):

- the database, copied while the server runs and consistent as of one commit: on SQLite
  through SQLite's online backup API, on PostgreSQL through ``pg_dump --format=custom``;
- the files of the data directory that the server needs to run again: the encrypted keys
  (``keys/``: the hub's log and secretariat keys, a node's party key, the hotline keys), the
  log's verifier key (``log.vkey``) and the news store (``news.db``, if there is one) of a hub;
  a node's API token and registration request;
- a manifest: role, party, time, the log's size, and each file's SHA-256.

Without its keys a backup could never be restored into service (a hub that cannot sign
checkpoints, a node that cannot sign), so they are in it — encrypted under the passphrase, which
is never in a backup. A backup is as secret as the data directory: it holds bilateral content.

**What a restore checks, before anything is put in place.** The archive is unpacked into a
staging directory inside the target data directory (which must be empty: ``force`` moves what
is there aside, never deletes it) and the database into the target (on PostgreSQL: an empty
database, emptied again if the checks fail). Then:

- the archive: every file its manifest lists, each matching its SHA-256;
- the keys: they decrypt with the passphrase in force;
- a hub's log (:func:`check_hub_log`): the stored tree hashes to the latest checkpoint, signed
  by the log key; every entry's form, signatures, sequence and keys, replayed from scratch
  (:meth:`Hub.audit`); every checkpoint it ever signed, signed by that key and matching the
  tree at its size;
- against the nodes (:func:`compare_with_peers`): the checkpoints each node was shown and
  cosigned (its ``/v1/witness``), signed by the same log key, must be of the restored tree at
  their size. A node holding a *newer* checkpoint means the hub signed a tree that the backup
  lacks: serving the backup would make the hub sign other trees at sizes it has signed
  already — a fork. That restore is refused;
- a node's copy (:meth:`Node.verify_all`): every entry, leaf, checkpoint and cosignature; then,
  put in place, one sync round catches it up with the hub (so its next sequence number is known
  before anyone signs).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, Protocol

from gulfsec import __version__
from gulfsec.adapters.files import PRIVATE_FILE, PUBLIC_FILE
from gulfsec.adapters.storage import backup as store
from gulfsec.adapters.storage.engine import sqlite_file
from gulfsec.config import Settings
from gulfsec.domain.keys import VerifierKey
from gulfsec.errors import (
    CheckpointError,
    ConfigError,
    GulfsecError,
    InconsistentCheckpoint,
    LogVerificationError,
    StorageError,
    TransportError,
)
from gulfsec.ledger.note import verify_checkpoint
from gulfsec.ledger.tree import MerkleTree
from gulfsec.services.hub import Hub
from gulfsec.services.node import Node, SyncReport

__all__ = [
    "BackupDone",
    "HubRestored",
    "LogChecked",
    "NodeRestored",
    "PeerSeen",
    "back_up",
    "check_hub_log",
    "compare_with_peers",
    "restore_hub",
    "restore_node",
]

Role = Literal["hub", "node"]

NEWS_DB: Final = "news.db"
KEYS_DIR: Final = "keys"
HUB_FILES: Final = ("log.vkey",)
NODE_FILES: Final = ("api-token",)
PUBLIC: Final = frozenset({"log.vkey"})
"""Files kept readable by all (mode 0644): the log's verifier key, handed out anyway."""


class OpenNode(Protocol):
    """:func:`gulfsec.bootstrap.open_node`, as a restore calls it."""

    def __call__(self, settings: Settings, *, check_tree: bool = True) -> Node: ...


WitnessOf = Callable[[str], Mapping[str, Any]]
"""What a node at a base URL answers on ``/v1/witness``: the checkpoint it was shown
(``checkpoint``) and the one it cosigned (``cosigned``), as signed notes (None if none)."""


# -- backing up ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupDone:
    path: Path
    role: Role
    party: str | None
    engine: str
    log_size: int
    log_size_exact: bool
    files: list[str]


@dataclass(frozen=True)
class _Target:
    """Where a role's database is: a SQLite file (``db_file``) or a PostgreSQL URL."""

    url: str
    db_file: Path | None

    @classmethod
    def of(cls, settings: Settings, role: Role) -> _Target:
        url = settings.effective_database_url(role)
        if url.startswith("sqlite"):
            path = sqlite_file(url)
            if path is None:
                raise ConfigError("an in-memory SQLite database cannot be backed up or restored")
            return cls(url, path)
        return cls(url, None)

    @property
    def engine(self) -> str:
        return "postgresql" if self.db_file is None else "sqlite"


def data_files(data_dir: Path, role: Role) -> list[tuple[str, Path]]:
    """The files of ``data_dir`` a backup of ``role`` carries besides the database, as (name
    in the archive, path): everything under ``keys/`` but keys put aside by an interrupted init
    (``*.unused-*``) and hidden files, and the role's own files."""
    found: list[tuple[str, Path]] = []
    keys = data_dir / KEYS_DIR
    if keys.is_dir():
        for path in sorted(keys.rglob("*")):
            relative = path.relative_to(data_dir)
            if (path.is_symlink() or not path.is_file() or ".unused-" in path.name
                    or any(part.startswith(".") for part in relative.parts)):
                continue
            found.append((relative.as_posix(), path))
    if role == "hub":
        names = list(HUB_FILES)
    else:
        names = [*NODE_FILES, *sorted(p.name for p in data_dir.glob("*.registration.json"))]
    found.extend((name, data_dir / name) for name in names if (data_dir / name).is_file())
    return found


def back_up(settings: Settings, role: Role, dest: Path, *, force: bool = False) -> BackupDone:
    """Write a backup of the hub or node of ``settings`` to the new archive ``dest`` (``force``:
    replace an existing one), while its server runs."""
    target = _Target.of(settings, role)
    if target.db_file is not None and not target.db_file.is_file():
        raise ConfigError(f"no {role} is set up in {settings.data_dir}: there is no database "
                          f"at {target.db_file}")
    data_dir = settings.data_dir
    with store.ArchiveWriter(dest, replace=force) as out:
        database = f"{role}.db" if target.db_file is not None else f"{role}.pgdump"
        copy = out.workdir / database
        if target.db_file is not None:
            store.copy_sqlite(target.db_file, copy)
            facts, exact = store.sqlite_facts(copy, role), True
        else:
            facts, exact = store.database_facts(target.url, role), False
            store.dump_postgres(target.url, copy)
        if role == "hub" and facts.size == 0:
            raise ConfigError(f"the hub in {data_dir} has not begun its log: nothing to back up")
        if role == "node" and facts.party is None:
            raise ConfigError(f"no node is set up in {data_dir}: nothing to back up")
        out.add(database, copy)
        for name, path in data_files(data_dir, role):
            out.add(name, path, mode=PUBLIC_FILE if name in PUBLIC else PRIVATE_FILE,
                    missing_ok=True)  # a hotline key may expire and go meanwhile
        if role == "hub" and (data_dir / NEWS_DB).is_file():
            store.copy_sqlite(data_dir / NEWS_DB, out.workdir / NEWS_DB)
            out.add(NEWS_DB, out.workdir / NEWS_DB)
        manifest = store.Manifest(role, facts.party, store.manifest_time(), database,
                                  target.engine, facts.size, exact, dict(out.members),
                                  __version__)
        out.finish(manifest)
    return BackupDone(dest, role, facts.party, target.engine, facts.size, exact,
                      sorted(manifest.members))


# -- checking a hub's log ----------------------------------------------------------------------


@dataclass(frozen=True)
class LogChecked:
    """A hub's log that checked out: its tree (size = the latest signed checkpoint's), the log
    key that signed it, and how many entries and checkpoints were checked."""

    tree: MerkleTree
    log_key: VerifierKey
    checkpoints: int

    @property
    def size(self) -> int:
        return self.tree.size


def check_hub_log(hub: Hub) -> LogChecked:
    """Check the whole log in ``hub``'s database from scratch (see the module's notes);
    LogVerificationError naming the first thing wrong."""
    key = hub.log_key.verifier
    try:
        hub.state.load(hub.engine, key)
        hub.require_genesis()
    except GulfsecError as exc:
        raise LogVerificationError(f"the backup's log does not check out: {exc.message}") from exc
    audit = hub.audit()
    if not audit.ok:
        raise LogVerificationError(
            f"the backup's log does not check out: {len(audit.problems)} problem(s); first: "
            f"{audit.problems[0]}")
    tree = hub.state.tree
    count = 0
    for size, root, note in store.stored_checkpoints(hub.engine):
        try:
            checkpoint, _signed = verify_checkpoint(note, key)
        except CheckpointError as exc:
            raise LogVerificationError(f"the backup's checkpoint of size {size}: "
                                       f"{exc.message}") from exc
        if (checkpoint.size != size or checkpoint.root != root or size > tree.size
                or tree.root(size) != root):
            raise InconsistentCheckpoint(f"the backup's checkpoint of size {size} is not the "
                                         "tree of its entries at that size")
        count += 1
    return LogChecked(tree, key, count)


@dataclass(frozen=True)
class PeerSeen:
    """The newest checkpoint signed by the log key that a node holds (shown or cosigned)."""

    url: str
    party: str | None
    size: int


def compare_with_peers(log: LogChecked, peers: Sequence[str],
                       witness_of: WitnessOf) -> list[PeerSeen]:
    """What each node in ``peers`` holds, each checked against ``log``: refused (with how to
    get out) if a node holds a checkpoint the log lacks or contradicts, or cannot be asked."""
    seen: list[PeerSeen] = []
    for url in peers:
        try:
            view = witness_of(url)
        except TransportError as exc:
            raise TransportError(f"cannot ask the node at {url} what it holds ({exc.message}); "
                                 "a restore compares with every node it is given: start it, "
                                 "or leave it out") from exc
        party = view.get("party")
        newest = 0
        for what in ("checkpoint", "cosigned"):
            note = view.get(what)
            if note is None:
                continue
            if not isinstance(note, str):
                raise LogVerificationError(f"the node at {url} answered a malformed {what}")
            try:
                checkpoint, _signed = verify_checkpoint(note, log.log_key)
            except CheckpointError as exc:
                raise LogVerificationError(
                    f"the node at {url} holds a checkpoint that this backup's log key did not "
                    f"sign ({exc.message}): is this a backup of the hub that node follows?"
                ) from exc
            if checkpoint.size > log.size:
                raise LogVerificationError(
                    f"the node at {url} ({party}) holds a checkpoint of size {checkpoint.size} "
                    f"signed by this hub, but the backup's log ends at size {log.size}: the "
                    "hub signed a newer tree than this backup holds, and serving it would sign "
                    "other trees at sizes it has signed already (a fork). Nothing was "
                    f"restored. Restore a newer backup, one whose log holds at least "
                    f"{checkpoint.size} entries; without one, the entries at indexes "
                    f"{log.size} to {checkpoint.size - 1} must be recovered before the hub "
                    "serves again (README, Backups and restore)")
            if log.tree.root(checkpoint.size) != checkpoint.root:
                raise InconsistentCheckpoint(
                    f"the node at {url} ({party}) holds a checkpoint of size {checkpoint.size} "
                    "signed by this hub whose tree is not the backup's at that size: the backup "
                    "is not a past state of the log the nodes follow. Nothing was restored")
            newest = max(newest, checkpoint.size)
        seen.append(PeerSeen(url, None if party is None else str(party), newest))
    return seen


# -- restoring ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class HubRestored:
    size: int
    root: bytes
    checkpoints: int
    created_at: str
    peers: list[PeerSeen]
    set_aside: Path | None


@dataclass(frozen=True)
class NodeRestored:
    party: str
    size: int
    entries: int
    checkpoints: int
    alarms: int
    created_at: str
    set_aside: Path | None
    caught_up: SyncReport | None = None
    sync_error: str | None = None


class _Restore:
    """One restore of ``role`` from ``source`` into the data directory and database of
    ``settings``: staged, checked by the caller, then put in place or thrown away."""

    def __init__(self, settings: Settings, role: Role, source: Path, *, force: bool) -> None:
        self.settings = settings
        self.archive = store.read_archive(source)
        manifest = self.archive.manifest
        if manifest.role != role:
            raise ConfigError(f"{source} is a backup of a {manifest.role}, not of a {role}")
        self.target = _Target.of(settings, role)
        if manifest.engine != self.target.engine:
            raise ConfigError(f"{source} holds a {manifest.engine} database, but the settings "
                              f"name a {self.target.engine} one: restore into the kind it was "
                              "taken from")
        if self.target.db_file is None and store.database_tables(self.target.url):
            raise ConfigError("the PostgreSQL database to restore into is not empty: restore "
                              "into a new, empty database (createdb), never over one in use")
        self.database_loaded = False
        self.stage, self.in_way = store.prepare_target(settings.data_dir, self.target.db_file)
        if self.in_way and not force:
            self.throw_away()
            shown = ", ".join(p.name for p in self.in_way[:5])
            raise ConfigError(f"{settings.data_dir} is not empty ({shown}"
                              f"{', …' if len(self.in_way) > 5 else ''}): restore into an "
                              "empty data directory, or stop the server and give --force to "
                              "move what is there aside")

    @property
    def manifest(self) -> store.Manifest:
        return self.archive.manifest

    def unpack(self) -> Settings:
        """Unpack the archive into the staging directory (and a PostgreSQL dump into the
        target database); the settings that open what was unpacked."""
        self.archive.extract(self.stage)
        if self.target.db_file is None:
            dump = self.stage / self.manifest.database
            self.database_loaded = True
            store.restore_postgres(self.target.url, dump)
            dump.unlink()
            return self.settings.model_copy(update={"data_dir": self.stage})
        return self.settings.model_copy(update={"data_dir": self.stage, "database_url": None})

    def commit(self) -> Path | None:
        """Put the checked restore in place; where what was in the way went (``force``)."""
        aside = store.set_aside(self.settings.data_dir, self.in_way) if self.in_way else None
        store.put_in_place(self.stage, self.settings.data_dir, self.manifest.database,
                           self.target.db_file)
        return aside

    def throw_away(self, reason: BaseException | None = None) -> None:
        """Remove what was staged, and empty the PostgreSQL database again if it was filled.
        If it cannot be, StorageError says so beside ``reason`` (why the restore was refused):
        nothing may serve from that database."""
        shutil.rmtree(self.stage, ignore_errors=True)
        if not self.database_loaded:
            return
        try:
            store.drop_tables(self.target.url)
        except GulfsecError as exc:
            why = reason.message if isinstance(reason, GulfsecError) else repr(reason)
            raise StorageError(f"{why}; and the database it was loaded into could not be "
                               f"emptied again ({exc.message}): drop its tables before anything "
                               "serves from it") from reason


def restore_hub(settings: Settings, source: Path, *, open_hub: Callable[[Settings], Hub],
                peers: Sequence[str], witness_of: WitnessOf, force: bool = False,
                unsafe_no_peers: bool = False) -> HubRestored:
    """Restore the hub backup ``source`` into the empty data directory and database of
    ``settings``, once its log checks out and no node in ``peers`` holds a newer or other
    tree (see the module's notes). ``unsafe_no_peers``: restore without asking any node."""
    if not peers and not unsafe_no_peers:
        raise ConfigError("name the nodes to compare the backup with (--peer URL, repeated, or "
                          "GULFSEC_PEERS): a backup older than what the nodes hold must never "
                          "be served; --unsafe-no-peers skips this check")
    restore = _Restore(settings, "hub", source, force=force)
    try:
        staged = restore.unpack()
        hub = open_hub(staged)
        try:
            log = check_hub_log(hub)
        finally:
            hub.engine.dispose()
        seen = compare_with_peers(log, peers, witness_of)
    except BaseException as exc:
        restore.throw_away(exc)
        raise
    aside = restore.commit()
    return HubRestored(log.size, log.tree.root(), log.checkpoints,
                       restore.manifest.created_at, seen, aside)


def restore_node(settings: Settings, source: Path, *, open_node: OpenNode,
                 force: bool = False) -> NodeRestored:
    """Restore the node backup ``source`` into the empty data directory and database of
    ``settings`` once everything it holds verifies; then one sync round with the hub (its
    failure is reported, not raised: the node catches up when it serves)."""
    restore = _Restore(settings, "node", source, force=force)
    try:
        staged = restore.unpack()
        node = open_node(staged, check_tree=False)  # verify_all reports a broken tree
        try:
            report = node.verify_all()
            party = node.party
            with node.uow() as uow:
                alarms = len(uow.repo.alarms())
        finally:
            node.close()
        if party != restore.manifest.party:
            raise LogVerificationError(f"the backup's database is {party}'s node, its manifest "
                                       f"says {restore.manifest.party}'s")
        if not report.ok:
            raise LogVerificationError(
                f"the backup's copy of the log does not verify: {len(report.problems)} "
                f"problem(s); first: {report.problems[0]}")
    except BaseException as exc:
        restore.throw_away(exc)
        raise
    aside = restore.commit()
    node = open_node(settings)
    try:
        caught_up = node.sync_once()
        error = node.last_error
    finally:
        node.close()
    return NodeRestored(party, report.leaves, report.entries, report.checkpoints, alarms,
                        restore.manifest.created_at, aside, caught_up, error)
