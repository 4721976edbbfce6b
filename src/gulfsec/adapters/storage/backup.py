"""Backups on disk: a consistent copy of a database in use, and the archive that carries it.

- :func:`copy_sqlite` copies a SQLite database while its server runs, with SQLite's online
  backup API (``sqlite3.Connection.backup``): one read transaction, so the copy is the database
  as one commit left it (in WAL mode the server's writes go on meanwhile). The copy is made a
  self-contained file (rollback journal, no ``-wal``), checked (``PRAGMA quick_check``) and
  fsynced.
- :func:`dump_postgres` runs ``pg_dump --format=custom`` (one snapshot of the whole database,
  taken while the server runs) and :func:`restore_postgres` ``pg_restore`` into an empty
  database, all in one transaction. Without the tool on ``PATH`` the error gives the command to
  run by hand (:func:`pg_dump_command`). The password never goes on a command line: it is
  handed over in ``PGPASSWORD``.
- :class:`ArchiveWriter` writes a backup archive: a tar file, written under a temporary name
  beside its destination, fsynced, then put in place in one step — never over an existing file
  unless asked (``replace``). :func:`read_archive` reads one back, and :meth:`Archive.extract`
  writes out the files its manifest lists, each checked against its SHA-256 as it comes.
- :func:`prepare_target`, :func:`set_aside` and :func:`put_in_place` move a checked restore
  into a data directory (and the SQLite file, wherever the settings put it).

An archive mirrors the data directory it was taken from, plus its manifest::

    gulfsec-backup.json      the manifest (format, role, party, time, log size, files, SHA-256)
    hub.db | node.db         the SQLite database (or hub.pgdump / node.pgdump: pg_dump's file)
    keys/…                   the encrypted keys
    log.vkey, api-token, …   the other files of the data directory that the role needs

Every failure leaves this module as a :class:`~gulfsec.errors.FileError` (the archive or a
path), a :class:`~gulfsec.errors.StorageError` (a database or its tools) or a
:class:`~gulfsec.errors.ConfigError` (a tool that is not installed).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import tarfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Final

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from gulfsec.adapters.files import PRIVATE_FILE, PUBLIC_FILE, ensure_private_file, private_dir
from gulfsec.adapters.storage import hub as hub_tables
from gulfsec.adapters.storage import node as node_tables
from gulfsec.adapters.storage.engine import create_db_engine, redact
from gulfsec.errors import ConfigError, FileError, StorageError

__all__ = [
    "FORMAT",
    "MANIFEST",
    "Archive",
    "ArchiveWriter",
    "DatabaseFacts",
    "Manifest",
    "Member",
    "copy_sqlite",
    "database_facts",
    "database_tables",
    "drop_tables",
    "dump_postgres",
    "manifest_time",
    "pg_dump_command",
    "pg_restore_command",
    "prepare_target",
    "put_in_place",
    "read_archive",
    "restore_postgres",
    "set_aside",
    "sqlite_facts",
    "stored_checkpoints",
]

FORMAT: Final = "gulfsec-backup/1"
MANIFEST: Final = "gulfsec-backup.json"
STAGING_PREFIX: Final = ".gulfsec-restore-"
"""Where a restore unpacks and checks a backup, inside the data directory, before anything of
it is put in place."""
ASIDE_PREFIX: Final = "before-restore-"
"""Where ``--force`` moves what was in a data directory: never deleted."""

_CHUNK: Final = 1 << 20
_NAME_PART = re.compile(r"[A-Za-z0-9_+@-][A-Za-z0-9._+@-]*")
_MAX_MANIFEST: Final = 16 << 20
_SYNC_NOFOLLOW: Final = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


# -- files -------------------------------------------------------------------------------------


def _why(exc: OSError) -> str:
    return exc.strerror or exc.__class__.__name__


def _fsync_path(path: Path, *, directory: bool = False) -> None:
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | (
        getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise FileError(str(path), f"cannot open it to sync it ({_why(exc)})") from exc
    try:
        os.fsync(fd)
    except OSError as exc:
        if not directory or exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise FileError(str(path), f"cannot sync it ({_why(exc)})") from exc
    finally:
        os.close(fd)


def safe_name(name: str) -> bool:
    """Whether ``name`` is a plain relative path in an archive: no ``..``, no absolute path,
    no hidden component, nothing but letters, digits and ``._+@-``."""
    path = PurePosixPath(name)
    return (not path.is_absolute() and 0 < len(path.parts) <= 8 and str(path) == name
            and all(_NAME_PART.fullmatch(part) for part in path.parts))


# -- databases ---------------------------------------------------------------------------------


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy the SQLite database ``source`` (which its server may be writing) to the new file
    ``target`` (mode 0600), consistently, with SQLite's online backup API; check and fsync it."""
    if not source.is_file():
        raise StorageError(f"no database at {source}")
    if not ensure_private_file(target):
        raise FileError(str(target), "exists already; refusing to replace it")
    try:
        src = sqlite3.connect(str(source), timeout=30)
        try:
            dst = sqlite3.connect(str(target))
            try:
                src.backup(dst)  # every page in one step: one read transaction
                dst.execute("PRAGMA journal_mode=DELETE")
                verdict = dst.execute("PRAGMA quick_check").fetchone()
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise StorageError(f"cannot copy the database {source}: {exc}") from exc
    if verdict is None or verdict[0] != "ok":
        raise StorageError(f"the copy of {source} fails SQLite's check: {verdict}")
    _fsync_path(target)


@dataclass(frozen=True)
class DatabaseFacts:
    """What a hub's or node's database says of itself: its latest checkpoint's size (0: none
    yet) and, for a node, its party."""

    size: int
    party: str | None = None


def database_facts(url: str, store: str) -> DatabaseFacts:
    """The :class:`DatabaseFacts` of the ``store`` (``hub`` or ``node``) database at ``url``."""
    engine = create_db_engine(url)
    try:
        return _facts(engine, store)
    finally:
        engine.dispose()


def sqlite_facts(path: Path, store: str) -> DatabaseFacts:
    """The :class:`DatabaseFacts` of a SQLite copy, read as it is (no journal mode set)."""
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        return _facts(engine, store)
    finally:
        engine.dispose()


def _facts(engine: sa.Engine, store: str) -> DatabaseFacts:
    try:
        with engine.connect() as conn:
            if store == "hub":
                size = conn.execute(sa.select(sa.func.max(hub_tables.checkpoints.c.size))
                                    ).scalar()
                return DatabaseFacts(int(size or 0))
            size = conn.execute(sa.select(sa.func.max(node_tables.checkpoints.c.size))).scalar()
            party = conn.execute(sa.select(node_tables.meta.c.value)
                                 .where(node_tables.meta.c.key == "party")).scalar()
            return DatabaseFacts(int(size or 0), None if party is None else str(party))
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot read the {store}'s database: "
                           f"{str(exc).splitlines()[0]}") from exc


def stored_checkpoints(engine: sa.Engine) -> Iterator[tuple[int, bytes, str]]:
    """Every checkpoint a hub's database holds, as (size, root, signed note), smallest first."""
    table = hub_tables.checkpoints
    try:
        with engine.connect() as conn:
            rows = conn.execution_options(yield_per=1000).execute(
                sa.select(table.c.size, table.c.root, table.c.note).order_by(table.c.size))
            for row in rows:
                yield int(row.size), bytes(row.root), str(row.note)
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot read the hub's checkpoints: "
                           f"{str(exc).splitlines()[0]}") from exc


def database_tables(url: str) -> list[str]:
    """The tables of the database at ``url`` (its default schema)."""
    engine = create_db_engine(url)
    try:
        return sorted(sa.inspect(engine).get_table_names())
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot open database {redact(url)}: "
                           f"{str(exc).splitlines()[0]}") from exc
    finally:
        engine.dispose()


def drop_tables(url: str) -> None:
    """Drop every table of the database at ``url`` (its default schema): what a refused
    restore had put into a database that was empty before it."""
    engine = create_db_engine(url)
    try:
        with engine.begin() as conn:
            for name in sa.inspect(conn).get_table_names():
                conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot empty database {redact(url)} again: "
                           f"{str(exc).splitlines()[0]}") from exc
    finally:
        engine.dispose()


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The libpq URL of a ``postgresql+psycopg://`` URL, without its password, and the
    environment that hands the password over."""
    parsed = sa.make_url(url)
    env = {k: v for k, v in os.environ.items() if k != "PGPASSWORD"}
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    plain = sa.URL.create("postgresql", username=parsed.username, host=parsed.host,
                          port=parsed.port, database=parsed.database, query=parsed.query)
    return plain.render_as_string(hide_password=False), env


def pg_dump_command(url: str, file: str) -> str:
    """The ``pg_dump`` command line that backs up the database at ``url`` into ``file``."""
    conninfo, _env = _libpq(url)
    return f"pg_dump --format=custom --no-owner --no-privileges --file={file} '{conninfo}'"


def pg_restore_command(url: str, file: str) -> str:
    """The ``pg_restore`` command line that loads ``file`` into the empty database at ``url``."""
    conninfo, _env = _libpq(url)
    return (f"pg_restore --no-owner --no-privileges --exit-on-error --single-transaction "
            f"--dbname='{conninfo}' {file}")


def _run_pg(tool: str, args: list[str], url: str, by_hand: str) -> None:
    exe = shutil.which(tool)
    if exe is None:
        raise ConfigError(f"{tool} is not on PATH: install the PostgreSQL client tools (of "
                          f"the server's version or newer) where gulfsec runs; what runs then "
                          f"is: {by_hand}")
    _conninfo, env = _libpq(url)
    try:
        done = subprocess.run([exe, *args], env=env, capture_output=True, text=True,
                              check=False)
    except OSError as exc:
        raise StorageError(f"cannot run {exe}: {_why(exc)}") from exc
    if done.returncode != 0:
        said = next((line for line in done.stderr.splitlines() if line.strip()), "")
        raise StorageError(f"{tool} failed (exit {done.returncode}): {said}")


def dump_postgres(url: str, target: Path) -> None:
    """``pg_dump --format=custom`` the database at ``url`` into the new file ``target``."""
    conninfo, _env = _libpq(url)
    if not ensure_private_file(target):
        raise FileError(str(target), "exists already; refusing to replace it")
    _run_pg("pg_dump", ["--format=custom", "--no-owner", "--no-privileges",
                        f"--file={target}", f"--dbname={conninfo}"],
            url, pg_dump_command(url, target.name))
    _fsync_path(target)


def restore_postgres(url: str, source: Path) -> None:
    """``pg_restore`` ``source`` (pg_dump's custom format) into the database at ``url``, all
    or nothing."""
    conninfo, _env = _libpq(url)
    _run_pg("pg_restore", ["--no-owner", "--no-privileges", "--exit-on-error",
                           "--single-transaction", f"--dbname={conninfo}", str(source)],
            url, pg_restore_command(url, source.name))


# -- the archive -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """One file of an archive: its SHA-256, size and mode (0600 or 0644)."""

    sha256: str
    size: int
    mode: int


@dataclass(frozen=True)
class Manifest:
    """What an archive says it holds (checked when it is read: :func:`read_archive`)."""

    role: str
    party: str | None
    created_at: str
    database: str
    """The archive's member holding the database: ``hub.db`` or ``hub.pgdump``, …"""
    engine: str
    """``sqlite`` or ``postgresql``."""
    log_size: int
    log_size_exact: bool
    """False when the size was read before pg_dump ran: the dump holds at least that much."""
    members: Mapping[str, Member]
    version: str

    def to_json(self) -> bytes:
        return (json.dumps({
            "format": FORMAT, "role": self.role, "party": self.party,
            "created_at": self.created_at, "gulfsec_version": self.version,
            "database": {"engine": self.engine, "file": self.database},
            "log": {"size": self.log_size, "exact": self.log_size_exact},
            "files": {name: {"sha256": m.sha256, "size": m.size, "mode": f"{m.mode:04o}"}
                      for name, m in sorted(self.members.items())},
        }, indent=2) + "\n").encode()

    @classmethod
    def parse(cls, data: bytes, where: str) -> Manifest:
        def bad(problem: str) -> FileError:
            return FileError(where, f"not a gulfsec backup: {problem}")

        try:
            obj = json.loads(data)
            if not isinstance(obj, dict) or obj.get("format") != FORMAT:
                raise bad(f"its manifest is not {FORMAT}")
            database, log, files = obj["database"], obj["log"], obj["files"]
            members = {str(name): Member(str(m["sha256"]), int(m["size"]),
                                         int(str(m["mode"]), 8))
                       for name, m in files.items()}
            manifest = cls(str(obj["role"]), None if obj["party"] is None else str(obj["party"]),
                           str(obj["created_at"]), str(database["file"]),
                           str(database["engine"]), int(log["size"]), bool(log["exact"]),
                           members, str(obj.get("gulfsec_version", "")))
        except FileError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise bad(f"its manifest is malformed ({exc.__class__.__name__})") from None
        if manifest.role not in ("hub", "node") or manifest.engine not in ("sqlite",
                                                                           "postgresql"):
            raise bad("its manifest names an unknown role or database")
        if manifest.database not in manifest.members:
            raise bad("its manifest names no database file")
        for name, member in manifest.members.items():
            if (not safe_name(name) or name == MANIFEST or member.size < 0
                    or member.mode not in (PRIVATE_FILE, PUBLIC_FILE)
                    or not re.fullmatch(r"[0-9a-f]{64}", member.sha256)):
                raise bad(f"its manifest lists {name!r} wrongly")
        return manifest


class _Hashing:
    """A file read through, its SHA-256 and length counted as tarfile copies it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.sha.update(data)
        self.size += len(data)
        return data


class ArchiveWriter:
    """A backup archive being written to a temporary file beside ``dest``; :meth:`finish` puts
    it in place, :meth:`abort` (or leaving a ``with`` block on an error) removes it."""

    def __init__(self, dest: Path, *, replace: bool) -> None:
        self.dest = dest
        self.replace = replace
        if dest.is_dir():
            raise FileError(str(dest), "is a directory; give the archive's file name")
        if not replace and (dest.exists() or dest.is_symlink()):
            raise FileError(str(dest), "exists already (--force replaces it)")
        parent = dest.absolute().parent
        if not parent.is_dir():
            raise FileError(str(parent), "is not a directory")
        self.tmp = parent / f".{dest.name}.{secrets.token_hex(6)}.tmp"
        self.workdir = parent / f".{dest.name}.{secrets.token_hex(6)}.work"
        """Where the database copy is made before it goes into the archive (same disk)."""
        try:
            fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _SYNC_NOFOLLOW,
                         PRIVATE_FILE)
            os.fchmod(fd, PRIVATE_FILE)
            self._file = os.fdopen(fd, "wb")
            private_dir(self.workdir)
        except OSError as exc:
            self._cleanup()
            raise FileError(str(dest), f"cannot write beside it ({_why(exc)})") from exc
        self._tar = tarfile.open(fileobj=self._file, mode="w", format=tarfile.PAX_FORMAT)
        self.members: dict[str, Member] = {}

    def __enter__(self) -> ArchiveWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_exc: object) -> None:
        if kind is not None:
            self.abort()

    def add(self, name: str, path: Path, *, mode: int = PRIVATE_FILE,
            missing_ok: bool = False) -> bool:
        """Add the file ``path`` as ``name``; False if it vanished and ``missing_ok``."""
        if not safe_name(name) or name == MANIFEST or name in self.members:
            raise ValueError(f"cannot add {name!r} to a backup archive")
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            if missing_ok:
                return False
            raise FileError(str(path), "is missing") from None
        except OSError as exc:
            raise FileError(str(path), f"cannot read it ({_why(exc)})") from exc
        with handle:
            try:
                size = os.fstat(handle.fileno()).st_size
                info = self._info(name, size, mode)
                reader = _Hashing(handle)
                self._tar.addfile(info, reader)
            except OSError as exc:
                raise FileError(str(self.dest), f"cannot write the archive ({_why(exc)}; "
                                f"reading {path})") from exc
        if reader.size != size:
            raise FileError(str(path), "changed while it was read")
        self.members[name] = Member(reader.sha.hexdigest(), size, mode)
        return True

    def _info(self, name: str, size: int, mode: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = size, mode, int(time.time())
        return info

    def finish(self, manifest: Manifest) -> None:
        """Write the manifest, close and fsync the archive, and put it at ``dest``."""
        data = manifest.to_json()
        try:
            self._tar.addfile(self._info(MANIFEST, len(data), PRIVATE_FILE), io.BytesIO(data))
            self._tar.close()
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            if self.replace:
                os.replace(self.tmp, self.dest)
            else:
                os.link(self.tmp, self.dest)  # fails if the name was taken meanwhile
        except FileExistsError:
            self.abort()
            raise FileError(str(self.dest), "exists already (--force replaces it)") from None
        except OSError as exc:
            self.abort()
            raise FileError(str(self.dest), f"cannot write the archive ({_why(exc)})") from exc
        self._cleanup()
        _fsync_path(self.dest.absolute().parent, directory=True)

    def abort(self) -> None:
        with contextlib.suppress(OSError, tarfile.TarError):
            self._tar.close()
        with contextlib.suppress(OSError):
            self._file.close()
        self._cleanup()

    def _cleanup(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.tmp.unlink()
        shutil.rmtree(self.workdir, ignore_errors=True)


@dataclass
class Archive:
    """A backup archive, its manifest read and checked (:func:`read_archive`)."""

    path: Path
    manifest: Manifest

    def extract(self, root: Path, *, names: set[str] | None = None) -> None:
        """Write the files the manifest lists (or those of ``names``) under ``root``, which
        must be empty; FileError if the archive holds anything else, lacks a listed file, or a
        file does not match its SHA-256 (a damaged or altered backup)."""
        wanted = set(self.manifest.members) if names is None else set(names)
        done: set[str] = set()
        try:
            with tarfile.open(self.path, mode="r:*") as tar:
                for info in tar:
                    if info.name == MANIFEST:
                        continue
                    if not info.isreg() or info.name not in self.manifest.members:
                        raise self._damaged(f"it holds {info.name!r}, which its manifest does "
                                            "not list")
                    if info.name not in wanted:
                        continue
                    if info.name in done:
                        raise self._damaged(f"it holds {info.name!r} twice")
                    self._write(tar, info, root)
                    done.add(info.name)
        except (tarfile.TarError, EOFError) as exc:
            raise FileError(str(self.path), f"cannot read the archive: {exc}") from exc
        except OSError as exc:
            raise FileError(str(self.path), f"cannot read the archive ({_why(exc)})") from exc
        missing = sorted(wanted - done)
        if missing:
            raise self._damaged(f"it lacks {', '.join(missing)}, which its manifest lists")

    def _write(self, tar: tarfile.TarFile, info: tarfile.TarInfo, root: Path) -> None:
        member = self.manifest.members[info.name]
        target = root.joinpath(*PurePosixPath(info.name).parts)
        private_dir(target.parent)
        source = tar.extractfile(info)
        if source is None:
            raise self._damaged(f"cannot read {info.name!r}")
        sha, size = hashlib.sha256(), 0
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _SYNC_NOFOLLOW, member.mode)
        try:
            os.fchmod(fd, member.mode)
            while chunk := source.read(_CHUNK):
                sha.update(chunk)
                size += len(chunk)
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        if size != member.size or sha.hexdigest() != member.sha256:
            raise self._damaged(f"{info.name} does not match its SHA-256 in the manifest")

    def _damaged(self, problem: str) -> FileError:
        return FileError(str(self.path), f"the backup is damaged or altered: {problem}")


def read_archive(path: Path) -> Archive:
    """The backup archive at ``path`` with its manifest (FileError if it is none)."""
    if not path.is_file():
        raise FileError(str(path), "no such backup file")
    try:
        with tarfile.open(path, mode="r:*") as tar:
            try:
                info = tar.getmember(MANIFEST)
            except KeyError:
                raise FileError(str(path), "not a gulfsec backup: it has no "
                                f"{MANIFEST}") from None
            handle = tar.extractfile(info) if info.isreg() else None
            if handle is None or info.size > _MAX_MANIFEST:
                raise FileError(str(path), f"not a gulfsec backup: bad {MANIFEST}")
            data = handle.read()
    except (tarfile.TarError, EOFError) as exc:
        raise FileError(str(path), f"not a backup archive: {exc}") from exc
    except OSError as exc:
        raise FileError(str(path), f"cannot read it ({_why(exc)})") from exc
    return Archive(path, Manifest.parse(data, str(path)))


# -- putting a restore in place ----------------------------------------------------------------


def _sqlite_companions(db: Path) -> list[Path]:
    return [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"),
            db.with_name(db.name + "-journal")]


def prepare_target(data_dir: Path, db_file: Path | None) -> tuple[Path, list[Path]]:
    """A fresh staging directory inside ``data_dir`` (made if missing), and what is in the way
    of a restore there: every entry of the data directory, and the SQLite file ``db_file`` (and
    its journal files) wherever it is. Staging directories an interrupted restore left are
    removed first."""
    private_dir(data_dir)
    in_way: list[Path] = []
    try:
        entries = sorted(data_dir.iterdir())
    except OSError as exc:
        raise FileError(str(data_dir), f"cannot list it ({_why(exc)})") from exc
    for entry in entries:
        if entry.name.startswith(STAGING_PREFIX) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            in_way.append(entry)
    if db_file is not None:
        in_way.extend(p for p in _sqlite_companions(db_file)
                      if (p.exists() or p.is_symlink()) and p.absolute().parent
                      != data_dir.absolute())
    stage = data_dir / f"{STAGING_PREFIX}{secrets.token_hex(6)}"
    private_dir(stage)
    return stage, in_way


def set_aside(data_dir: Path, paths: list[Path]) -> Path:
    """Move ``paths`` (what was in the way) into ``data_dir/before-restore-<time>/``, or for a
    database file outside the data directory, beside it under that suffix; never deletes."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = data_dir / f"{ASIDE_PREFIX}{stamp}-{secrets.token_hex(3)}"
    private_dir(aside)
    for path in paths:
        if path.absolute().parent == data_dir.absolute():
            target = aside / path.name
        else:
            target = path.with_name(f"{path.name}.{aside.name}")
        try:
            os.rename(path, target)
        except OSError as exc:
            raise FileError(str(path), f"cannot move it aside to {target} ({_why(exc)})") from exc
    _fsync_path(data_dir, directory=True)
    return aside


def put_in_place(stage: Path, data_dir: Path, database: str, db_file: Path | None) -> None:
    """Move the staged files into ``data_dir`` — the staged database ``database`` last, to
    ``db_file`` (None: it is not a file, PostgreSQL) — and remove the staging directory."""
    staged_db = stage / database
    for entry in sorted(stage.iterdir()):
        if entry == staged_db:
            continue
        _move(entry, data_dir / entry.name)
    if db_file is not None:
        private_dir(db_file.absolute().parent)
        _move(staged_db, db_file)
    shutil.rmtree(stage, ignore_errors=True)
    _fsync_path(data_dir, directory=True)
    if db_file is not None:
        _fsync_path(db_file.absolute().parent, directory=True)


def _move(source: Path, target: Path) -> None:
    if target.exists() or target.is_symlink():
        raise FileError(str(target), "exists already; nothing more was put in place")
    try:
        os.rename(source, target)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV or not source.is_file():
            raise FileError(str(target), f"cannot put it in place ({_why(exc)})") from exc
    # Another file system (a database file outside the data directory): copy, sync, rename.
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        shutil.copyfile(source, tmp)
        os.chmod(tmp, PRIVATE_FILE)
        _fsync_path(tmp)
        os.rename(tmp, target)
        source.unlink()
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise FileError(str(target), f"cannot put it in place ({_why(exc)})") from exc



def manifest_time() -> str:
    """Now, as a manifest writes it (UTC, to the second)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
