"""Files and directories gulfsec creates are its user's alone, whatever the umask."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from gulfsec.adapters import files
from gulfsec.adapters.files import ensure_private_file, private_dir, write_private, write_public
from gulfsec.errors import FileError

UMASKS = [0o000, 0o022, 0o077]


@pytest.fixture(params=UMASKS, ids=lambda m: f"umask{m:03o}")
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """The process umask for the test (restored after it)."""
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


# -- directories ----------------------------------------------------------------------------


def test_private_dir_creates_every_missing_level_0700(tmp_path: Path, umask: int) -> None:
    target = tmp_path / "data" / "node" / "keys"

    assert private_dir(target) == target

    for level in (tmp_path / "data", tmp_path / "data" / "node", target):
        assert level.is_dir() and mode(level) == 0o700, level


def test_private_dir_leaves_an_existing_directory_as_its_owner_made_it(
        tmp_path: Path, umask: int) -> None:
    shared = tmp_path / "srv"
    shared.mkdir()
    shared.chmod(0o755)

    private_dir(shared / "gulfsec")
    private_dir(shared)

    assert mode(shared) == 0o755
    assert mode(shared / "gulfsec") == 0o700


def test_private_dir_refuses_a_file_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a directory")

    with pytest.raises(FileError, match="data: exists and is not a directory"):
        private_dir(tmp_path / "data" / "keys")


# -- files ----------------------------------------------------------------------------------


def test_write_private_makes_a_0600_file(tmp_path: Path, umask: int) -> None:
    path = tmp_path / "api-token"

    write_private(path, b"secret\n")

    assert path.read_bytes() == b"secret\n" and mode(path) == 0o600
    assert leftovers(tmp_path) == []


def test_write_public_makes_a_0644_file_to_hand_out(tmp_path: Path, umask: int) -> None:
    path = tmp_path / "log.vkey"

    write_public(path, b"gulf-log+0123abcd+AAAA\n")

    assert path.read_bytes() == b"gulf-log+0123abcd+AAAA\n" and mode(path) == 0o644


def test_an_existing_file_is_replaced_whole_and_made_private(tmp_path: Path,
                                                             umask: int) -> None:
    path = tmp_path / "registration.json"
    path.write_bytes(b"an older, much longer content that must not survive in part")
    path.chmod(0o644)
    with path.open("rb") as reader:  # a reader of the old file keeps reading it whole
        write_private(path, b"new")
        assert reader.read() == b"an older, much longer content that must not survive in part"

    assert path.read_bytes() == b"new" and mode(path) == 0o600
    assert leftovers(tmp_path) == []


def test_a_failed_write_leaves_the_old_file_whole_and_no_temporary_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "api-token"
    write_private(path, b"old token\n")

    def broken_disk(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(files.os, "fsync", broken_disk)
    with pytest.raises(FileError, match="api-token: cannot write the file"):
        write_private(path, b"new token\n")

    assert path.read_bytes() == b"old token\n"
    assert leftovers(tmp_path) == []


def test_without_replace_an_existing_file_is_never_touched(tmp_path: Path) -> None:
    path = tmp_path / "hub.key"
    path.write_bytes(b"the first key")

    with pytest.raises(FileError, match="refusing to replace it"):
        write_private(path, b"a second key", replace=False)

    assert path.read_bytes() == b"the first key"
    assert leftovers(tmp_path) == []
    write_private(tmp_path / "other.key", b"a new key", replace=False)
    assert (tmp_path / "other.key").read_bytes() == b"a new key"


def test_writing_into_a_missing_directory_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(FileError, match=r"nowhere/api-token: cannot create a file"):
        write_private(tmp_path / "nowhere" / "api-token", b"x")


def test_ensure_private_file_precreates_an_empty_0600_file(tmp_path: Path, umask: int) -> None:
    path = tmp_path / "hub.db"

    assert ensure_private_file(path) is True

    assert path.read_bytes() == b"" and mode(path) == 0o600


def test_ensure_private_file_leaves_an_existing_file_and_warns_if_others_may_read_it(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    private = tmp_path / "private.db"
    private.write_bytes(b"data")
    private.chmod(0o600)
    shared = tmp_path / "shared.db"
    shared.write_bytes(b"data")
    shared.chmod(0o644)

    with caplog.at_level(logging.WARNING, logger="gulfsec.files"):
        assert ensure_private_file(private) is False
        assert caplog.records == []
        assert ensure_private_file(shared) is False

    assert private.read_bytes() == shared.read_bytes() == b"data"
    assert mode(shared) == 0o644
    assert [r.getMessage() for r in caplog.records] == [
        f"{shared} is open to other users (mode 0644): run chmod 600 on it"]


def test_ensure_private_file_refuses_a_directory(tmp_path: Path) -> None:
    with pytest.raises(FileError, match="not a regular file"):
        ensure_private_file(tmp_path)
