"""Files and directories gulfsec creates: private to the user it runs as, whatever the umask.

A node's or the hub's data directory holds bilateral content, password hashes and encrypted
keys, so everything gulfsec creates there is for its own user only:

- :func:`private_dir` creates a directory (and any missing parent) with mode 0700. A directory
  that already exists is left as it is: it may be the operator's (``/var/lib/gulfsec``, a home
  directory, a mounted volume) and changing its mode would surprise them; the files gulfsec
  puts in it are private anyway, so others can at most see their names.
- :func:`write_private` writes a file with mode 0600, atomically: a temporary file in the same
  directory (created with ``O_CREAT | O_EXCL``, mode 0600 from its first byte), written and
  fsynced, then renamed over the target and the directory fsynced. A reader sees the old file
  or the new one whole, never a mixture, and a crash leaves no half-written file under the name.
  With ``replace=False`` an existing file is never replaced (the new file is hard-linked into
  place, which fails if the name is taken).
- :func:`write_public` does the same with mode 0644, for a file meant to be handed out (the
  hub's ``log.vkey``, the log's verifier key).
- :func:`ensure_private_file` creates an empty file with mode 0600 before a library opens it
  (SQLite creates a missing database file 0644 under a usual umask; it gives the ``-wal``,
  ``-shm`` and ``-journal`` files beside it the database file's own mode). An existing file is
  left as it is, with a warning in the log if other users may read it.

The modes are set with ``fchmod``/``chmod`` after creation, so the process umask can neither
widen nor narrow them. Failures are :class:`~gulfsec.errors.FileError` naming the path.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import secrets
import stat
from pathlib import Path
from typing import Final

from gulfsec.errors import FileError

__all__ = [
    "PRIVATE_DIR",
    "PRIVATE_FILE",
    "PUBLIC_FILE",
    "ensure_private_file",
    "private_dir",
    "write_private",
    "write_public",
]

PRIVATE_DIR: Final = 0o700
PRIVATE_FILE: Final = 0o600
PUBLIC_FILE: Final = 0o644

log = logging.getLogger("gulfsec.files")

_NOFOLLOW: Final = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC: Final = getattr(os, "O_CLOEXEC", 0)
_DIRECTORY: Final = getattr(os, "O_DIRECTORY", 0)


def _why(exc: OSError) -> str:
    return exc.strerror or exc.__class__.__name__


def private_dir(path: Path) -> Path:
    """Make ``path`` a directory, creating it and any missing parent with mode 0700.

    Directories that already exist keep their mode (see the module's notes). Returns ``path``.
    FileError if a component exists and is not a directory, or cannot be created.
    """
    path = Path(path)
    missing: list[Path] = []
    here = path
    while not here.is_dir():
        if here.exists() or here.is_symlink():
            raise FileError(str(here), "exists and is not a directory")
        missing.append(here)
        if here.parent == here:
            break
        here = here.parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, PRIVATE_DIR)
        except FileExistsError:
            if not directory.is_dir():
                raise FileError(str(directory), "exists and is not a directory") from None
            continue  # made by someone else meanwhile: not ours to tighten
        except OSError as exc:
            raise FileError(str(directory), f"cannot create the directory ({_why(exc)})") from exc
        try:
            os.chmod(directory, PRIVATE_DIR)  # the umask may have taken bits away
        except OSError as exc:
            raise FileError(str(directory), f"cannot set its mode ({_why(exc)})") from exc
    return path


def write_private(path: Path, data: bytes, *, replace: bool = True) -> None:
    """Write ``data`` to ``path`` atomically, mode 0600 (see the module's notes).

    With ``replace=False``, FileError if ``path`` exists (it is left untouched).
    """
    _write_atomic(Path(path), data, PRIVATE_FILE, replace)


def write_public(path: Path, data: bytes, *, replace: bool = True) -> None:
    """Write ``data`` to ``path`` atomically, mode 0644: for a file meant to be handed out."""
    _write_atomic(Path(path), data, PUBLIC_FILE, replace)


def ensure_private_file(path: Path) -> bool:
    """Create ``path`` empty with mode 0600 unless it exists; True if it was created here.

    An existing file keeps its mode; if group or others may read or write it, a warning names
    it and says how to fix it. FileError if it cannot be created or is not a regular file.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC,
                     PRIVATE_FILE)
    except FileExistsError:
        _check_existing(path)
        return False
    except OSError as exc:
        raise FileError(str(path), f"cannot create the file ({_why(exc)})") from exc
    try:
        os.fchmod(fd, PRIVATE_FILE)
        os.fsync(fd)
    except OSError as exc:
        raise FileError(str(path), f"cannot set its mode ({_why(exc)})") from exc
    finally:
        os.close(fd)
    _sync_dir(path.parent)
    return True


def _check_existing(path: Path) -> None:
    try:
        info = path.stat()
    except OSError as exc:
        raise FileError(str(path), f"cannot read its status ({_why(exc)})") from exc
    if not stat.S_ISREG(info.st_mode):
        raise FileError(str(path), "exists and is not a regular file")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        log.warning("%s is open to other users (mode %04o): run chmod 600 on it", path, mode)


def _write_atomic(path: Path, data: bytes, mode: int, replace: bool) -> None:
    directory = path.parent
    if not replace and (path.exists() or path.is_symlink()):
        raise FileError(str(path), "exists already; refusing to replace it")
    tmp = directory / f".{path.name}.{secrets.token_hex(8)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, mode)
    except OSError as exc:
        raise FileError(str(path), f"cannot create a file in {directory} ({_why(exc)})") from exc
    try:
        try:
            os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        if replace:
            os.replace(tmp, path)
        else:
            _link_new(tmp, path)
    except OSError as exc:
        raise FileError(str(path), f"cannot write the file ({_why(exc)})") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    _sync_dir(directory)


def _link_new(tmp: Path, path: Path) -> None:
    """Put ``tmp`` in place at ``path`` only if no file has that name (atomic with a hard link;
    where the file system has none, checked just before an ordinary rename)."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise FileError(str(path), "exists already; refusing to replace it") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV,
                             errno.EMLINK, errno.ENOSYS):
            raise
        if path.exists() or path.is_symlink():
            raise FileError(str(path), "exists already; refusing to replace it") from None
        os.replace(tmp, path)


def _sync_dir(directory: Path) -> None:
    """fsync ``directory`` so that a new name in it survives a crash."""
    try:
        fd = os.open(directory, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    except OSError as exc:
        raise FileError(str(directory), f"cannot open the directory to sync it "
                                        f"({_why(exc)})") from exc
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise FileError(str(directory), f"cannot sync the directory ({_why(exc)})") from exc
    finally:
        os.close(fd)
