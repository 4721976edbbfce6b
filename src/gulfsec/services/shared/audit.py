"""Audit a copy of the log from scratch: every entry's form, signatures and sequence, replayed in
log order with the keys as they stood at each point, and the tree recomputed to the checkpoint.

Used on the hub's own database (``gulfsec hub audit``) and by anyone who holds the entries.

The entries are read a chunk at a time. What each entry's check needs of no other entry (its
shape and canonical form, its body, its signature with the key its key id names) runs on every
core, a few chunks ahead, in processes and in this thread (:mod:`.audit_checks`); what depends
on the order (which key was valid at that index, each sender's sequence, the key entries
themselves) is replayed here, in log order, taking a signature's verdict only for the very key
it resolves itself. Problems, their wording and their order are those of checking one entry
after another. Memory stays bounded: a few chunks in flight and O(log n) hashes of the tree.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Generator, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from itertools import chain, islice

from gulfsec.adapters.cores import count
from gulfsec.domain.forms import get_form
from gulfsec.domain.keyring import Keyring
from gulfsec.domain.keys import VerifierKey
from gulfsec.domain.regime import Regime
from gulfsec.errors import GulfsecError, LogVerificationError
from gulfsec.ledger.note import Checkpoint
from gulfsec.services.shared.audit_checks import (
    BAD,
    FAILED,
    GOOD,
    Announced,
    ChunkChecks,
    Frontier,
    announced_keys,
    check_chunk,
    stored_entry,
)

CHUNK = 1024
"""Entries handed to a core at a time: a power of two, so that each chunk is a subtree."""
PARALLEL_CHUNKS = 16
"""From this many chunks on, the audit runs on every core; below, starting the processes
costs more than it saves."""
AHEAD = 2
"""Chunks in flight per core, so that no process waits while the replay takes a result."""


@dataclass
class AuditResult:
    size: int = 0
    root: bytes = b""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def audit_entries(regime: Regime, raws: Iterable[bytes], checkpoint: Checkpoint | None,
                  *, max_problems: int = 100, workers: int | None = None,
                  chunk: int = CHUNK) -> AuditResult:
    """Replay ``raws`` (the stored canonical entries in log order) and compare with
    ``checkpoint``. Problems are collected, not raised, so one report lists them all.

    ``workers``: processes to check on (default: one per core; 1: all in this process).
    ``chunk``: entries per chunk, a power of two.
    """
    result = AuditResult()
    frontier = Frontier(chunk)
    replay = _Replay(regime, result, max_problems)
    announce = _Announcements(regime.limits.max_entry_bytes)
    chunks = _chunks(raws, chunk)
    head = list(islice(chunks, PARALLEL_CHUNKS))
    cores = count() if workers is None else workers
    if cores > 1 and len(head) == PARALLEL_CHUNKS:
        checked = _checked_on_every_core(chain(head, chunks), announce, cores)
    else:
        checked = _checked_here(chain(head, chunks), announce)
    with closing(checked):  # on a failure, stop the processes now
        for part, checks in checked:
            replay.chunk(frontier.size, part, checks)
            frontier.add(len(part), checks.root)
    result.size = frontier.size
    result.root = frontier.root()
    if checkpoint is not None:
        if checkpoint.size != result.size:
            replay.problem(f"the copy holds {result.size} entries, the checkpoint says "
                           f"{checkpoint.size}")
        elif checkpoint.root != result.root:
            replay.problem(f"the entries do not hash to the checkpoint's root at size "
                           f"{result.size}")
    return result


def require_ok(result: AuditResult) -> None:
    if not result.ok:
        raise LogVerificationError(
            f"audit found {len(result.problems)} problem(s); first: {result.problems[0]}"
        )


Checked = tuple[list[bytes], ChunkChecks]
"""A chunk of stored entries, with what :func:`check_chunk` found in it."""


def _chunks(raws: Iterable[bytes], size: int) -> Generator[list[bytes], None, None]:
    it = iter(raws)
    while part := list(islice(it, size)):
        yield part


class _Announcements:
    """The keys that the key entries read so far propose, for the checks to verify with."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._keys: dict[tuple[str, str], bytes] = {}

    def scan(self, part: Sequence[bytes]) -> Announced:
        """Take the chunk's proposals (the first under each id stays) and return every key
        proposed so far; the mapping returned is never changed afterwards."""
        keys = self._keys
        for party, kid, public in announced_keys(part, self.max_bytes):
            if (party, kid) not in keys:
                keys = dict(keys) if keys is self._keys else keys
                keys[(party, kid)] = public
        self._keys = keys
        return keys


def _checked_here(chunks: Iterable[list[bytes]],
                  announce: _Announcements) -> Generator[Checked, None, None]:
    for part in chunks:
        yield part, check_chunk(part, announce.max_bytes, announce.scan(part))


def _checked_on_every_core(chunks: Iterable[list[bytes]], announce: _Announcements,
                           cores: int) -> Generator[Checked, None, None]:
    """The chunks checked on one process per core but one, and on this thread: whenever the
    next result is not ready (while the processes start, say), it checks a chunk itself."""
    processes = cores - 1
    pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"))
    pending: deque[tuple[list[bytes], Future[ChunkChecks] | ChunkChecks]] = deque()
    in_pool = 0
    upcoming = iter(chunks)
    more = True

    def take() -> list[bytes] | None:
        nonlocal more
        part = next(upcoming, None) if more else None
        more = part is not None
        return part

    try:
        while True:
            while in_pool < AHEAD * processes and len(pending) < AHEAD * cores:
                part = take()
                if part is None:
                    break
                pending.append((part, pool.submit(check_chunk, part, announce.max_bytes,
                                                  announce.scan(part))))
                in_pool += 1
            if not pending:
                return
            first, checks = pending[0]
            if isinstance(checks, Future):
                if not checks.done() and len(pending) < AHEAD * cores:
                    part = take()
                    if part is not None:
                        pending.append((part, check_chunk(part, announce.max_bytes,
                                                          announce.scan(part))))
                        continue
                in_pool -= 1
                checks = checks.result()
            pending.popleft()
            yield first, checks
    finally:
        pool.shutdown(cancel_futures=True)


class _Replay:
    """What depends on the order of the log: keys, sequences, the key entries themselves."""

    def __init__(self, regime: Regime, result: AuditResult, max_problems: int) -> None:
        self.keyring = Keyring(regime.secretariat.code)
        self.next_seq: dict[str, int] = {}
        self.max_bytes = regime.limits.max_entry_bytes
        self.result = result
        self.max_problems = max_problems
        self._resolved: dict[tuple[str, str], VerifierKey | GulfsecError] = {}

    def problem(self, text: str) -> None:
        if len(self.result.problems) < self.max_problems:
            self.result.problems.append(text)

    def chunk(self, first: int, raws: Sequence[bytes], checks: ChunkChecks) -> None:
        """Replay the chunk of ``raws`` that starts at index ``first``."""
        if checks.runs is not None and self._whole(checks):
            return
        signers = checks.signers
        for offset, outcome in enumerate(checks.outcomes):
            index = first + offset
            if outcome == GOOD or outcome == BAD:
                sender, kid, public = signers[checks.signer_of[offset]]
                key = self._resolve(sender, kid)
                if isinstance(key, GulfsecError):
                    self.problem(f"entry {index}: {key.message}")
                    continue
                if key.public == public:
                    if outcome == BAD:
                        self.problem(f"entry {index}: {checks.problems[offset]}")
                    else:
                        self._sequence(index, sender, checks.seqs[offset])
                    continue
            elif outcome == FAILED:
                self.problem(f"entry {index}: {checks.problems[offset]}")
                continue
            self.entry(index, raws[offset])

    def _whole(self, checks: ChunkChecks) -> bool:
        """Take a chunk whose every entry is good at once, when each signer's key is valid
        and each sender's sequence numbers follow on from its last: nothing to report then,
        exactly as entry by entry. False (and nothing done) otherwise."""
        for place, first, _ in checks.runs or ():
            sender, kid, public = checks.signers[place]
            key = self._resolve(sender, kid)
            if isinstance(key, GulfsecError) or key.public != public:
                return False
            if self.next_seq.get(sender, 0) != first:
                return False
        for place, first, length in checks.runs or ():
            self.next_seq[checks.signers[place][0]] = first + length
        return True

    def entry(self, index: int, raw: bytes) -> None:
        """Check one entry from scratch against the keys and sequences as they stand."""
        try:
            signed = stored_entry(raw, self.max_bytes)
            entry = signed.entry
            get_form(entry.form).validate(entry.body)
            self.keyring.verify(signed)
            self._sequence(index, entry.sender, entry.seq)
            if self.keyring.changed_by(signed):
                self._resolved.clear()
                self.keyring.apply(signed, index)
        except GulfsecError as exc:
            self.problem(f"entry {index}: {exc.message}")

    def _sequence(self, index: int, sender: str, seq: int) -> None:
        expected = self.next_seq.get(sender, 0)
        if seq != expected:
            self.problem(f"entry {index}: {sender} sequence {seq}, expected {expected}")
        self.next_seq[sender] = seq + 1

    def _resolve(self, party: str, kid: str) -> VerifierKey | GulfsecError:
        """The key the keyring resolves now, or the error it raises (remembered until the
        keys change)."""
        found = self._resolved.get((party, kid))
        if found is None:
            try:
                found = self.keyring.resolve(party, kid)
            except GulfsecError as exc:
                found = exc
            self._resolved[(party, kid)] = found
        return found
