"""Loopback ports for every server the tests start: the one way to get them.

:func:`reserve_block` hands out ``count`` consecutive TCP ports on 127.0.0.1, every one of them
checked bindable, and :func:`reserve_port` one of them. A whole network reserves its ports in
one block (the hub first, then one per node, as ``gulfsec demo`` binds them), so a test never
picks one port and hopes the next few are free.

How collisions are avoided:

- the ports come from a range outside the kernel's ephemeral range
  (``/proc/sys/net/ipv4/ip_local_port_range``), so no outgoing connection of this machine takes
  one between the reservation and the server's bind; 20000–29999 if it cannot be read;
- concurrent pytest processes share a cursor kept in a file in the system's temporary
  directory, moved under an ``fcntl`` lock: each reservation starts where the last one, in any
  process, ended, and wraps around at the end of the range;
- this process never hands out the same port twice, even after the cursor wraps around;
- each port of a block must bind on 127.0.0.1 right now (a port in use, listening or in
  ``TIME_WAIT``, moves the search past it).
"""

from __future__ import annotations

import errno
import fcntl
import os
import socket
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PREFERRED = (20000, 30000)
"""The range used when it does not overlap the ephemeral range (the end is excluded)."""
LOWEST = 10000
"""No port below this is handed out (well-known and commonly configured ports live there)."""
MINIMUM_SPAN = 2000
"""A stretch beside the ephemeral range narrower than this is not worth it: PREFERRED then."""
EPHEMERAL = Path("/proc/sys/net/ipv4/ip_local_port_range")
CURSOR = Path(tempfile.gettempdir()) / f"gulfsec-test-ports-{os.getuid()}"

_handed_out: set[int] = set()
_lock = threading.Lock()


def port_range(ephemeral: Path = EPHEMERAL) -> tuple[int, int]:
    """The ports to hand out, ``(first, end)`` with ``end`` excluded: :data:`PREFERRED` unless
    the ephemeral range overlaps it, else the widest stretch beside the ephemeral range."""
    try:
        low, high = (int(part) for part in ephemeral.read_text().split())
    except (OSError, ValueError):
        return PREFERRED
    first, end = PREFERRED
    if end <= low or first > high:
        return PREFERRED
    below, above = (LOWEST, low), (high + 1, 65536)
    widest = max(below, above, key=lambda span: span[1] - span[0])
    return widest if widest[1] - widest[0] >= MINIMUM_SPAN else PREFERRED


def reserve_port() -> int:
    """One free loopback port, never handed out before in this test session."""
    return reserve_block(1)


def reserve_block(count: int) -> int:
    """The first of ``count`` consecutive free loopback ports, none handed out before in this
    session, each bindable on 127.0.0.1 now; they are the caller's from here on."""
    if count < 1:
        raise ValueError("a block holds at least one port")
    first, end = port_range()
    span = end - first
    if count > span:
        raise ValueError(f"a block of {count} ports does not fit in {first}–{end - 1}")
    with _lock, _locked_cursor() as cursor:
        base = _read_cursor(cursor, first, end)
        for _ in range(span):
            if base + count > end:
                base = first
            taken = _first_unavailable(range(base, base + count))
            if taken is None:
                _handed_out.update(range(base, base + count))
                _write_cursor(cursor, base + count if base + count < end else first)
                return base
            base = taken + 1
            if base >= end:
                base = first
        raise RuntimeError(f"no block of {count} free ports in {first}–{end - 1}")


def _first_unavailable(ports: range) -> int | None:
    """The first of ``ports`` already handed out or not bindable now; None if all are free."""
    for port in ports:
        if port in _handed_out or not _bindable(port):
            return port
    return None


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


@contextmanager
def _locked_cursor() -> Iterator[int]:
    """The shared cursor file, open and locked (``fcntl.flock``) for the block's duration."""
    fd = os.open(CURSOR, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)  # closing the file releases the lock


def _read_cursor(fd: int, first: int, end: int) -> int:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 64).decode("ascii", errors="replace").strip()
    try:
        value = int(text)
    except ValueError:
        return first
    return value if first <= value < end else first


def _write_cursor(fd: int, value: int) -> None:
    os.lseek(fd, 0, os.SEEK_SET)
    os.ftruncate(fd, 0)
    os.write(fd, f"{value}\n".encode("ascii"))
