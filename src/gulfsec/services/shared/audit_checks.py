"""The audit's checks that need no other entry, run on a chunk of stored entries on any core.

For each stored entry of a chunk, :func:`check_chunk` checks what does not depend on its place
in the log: its size, JSON and shape, that it is stored in canonical form, its body against its
form, and the number of its signatures. For an entry that does not change the keys it also
checks the signature, with the key that the entry's key id names among the keys announced in
the log (``announced``: every key a registration or rotation proposes, whether or not the log
accepted it). Whether that was the sender's valid key at the entry's index is for the replay in
log order (:mod:`.audit`) to say: it takes the verdict only for the very key it resolves itself,
and checks the entry again itself otherwise. Key entries are always checked again in log order.

The outcome of each entry (:class:`ChunkChecks`) is one of:

- ``GOOD``: the signature verifies with the key :attr:`ChunkChecks.signers` names for it;
- ``BAD``: it does not verify with that key (the problem is in :attr:`ChunkChecks.problems`);
- ``FAILED``: a check above failed, the same at any index (the problem is in ``problems``);
- ``KEY_ENTRY``: a registration, rotation or revocation, checked in log order;
- ``UNRESOLVED``: no key announced under the entry's key id.

The chunk also gives the tree hash of its leaves (each leaf is SHA-256 of the stored bytes,
whatever they hold), which :class:`Frontier` combines into the root one chunk at a time.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from gulfsec.domain.entry import SignedEntry, check_signatures, parse_signed_entry
from gulfsec.domain.forms import get_form
from gulfsec.domain.forms.keys import (
    REGISTRATION,
    REVOCATION,
    ROTATION,
    KeyRegistration,
    KeyRotation,
)
from gulfsec.domain.keys import VerifierKey
from gulfsec.errors import BadSignature, GulfsecError, MalformedEntry
from gulfsec.ledger.tree import EMPTY_ROOT, MerkleTree, node_hash

GOOD = 0
BAD = 1
FAILED = 2
KEY_ENTRY = 3
UNRESOLVED = 4

Announced = Mapping[tuple[str, str], bytes]
"""(party, key id hex) -> the public key a key entry of the log proposes under that id."""

Signer = tuple[str, str, bytes]
"""(party, key id hex, public key): who signed an entry, with which key."""

KEY_FORMS = frozenset({REGISTRATION, ROTATION, REVOCATION})

_KEY_ENTRY_MARK = b'"form":"key-r'
"""In canonical JSON a registration or a rotation holds these bytes (quotes inside strings are
escaped, so only a ``form`` member can); an entry without them proposes no key."""


def stored_entry(raw: bytes, max_bytes: int) -> SignedEntry:
    """The stored entry ``raw``, parsed; MalformedEntry unless it is stored in canonical form."""
    signed = parse_signed_entry(raw, max_bytes=max_bytes)
    if signed.raw != raw:
        raise MalformedEntry("stored entry is not in canonical form")
    return signed


@dataclass(frozen=True)
class ChunkChecks:
    """What :func:`check_chunk` found in a chunk, compact enough to hand between processes."""

    root: bytes
    """The tree hash of the chunk's leaves."""
    outcomes: bytes
    """One of GOOD, BAD, FAILED, KEY_ENTRY, UNRESOLVED per entry."""
    signers: list[Signer]
    signer_of: array[int]
    """For a GOOD or BAD entry, its signer's place in :attr:`signers`."""
    seqs: array[int]
    """For a GOOD or BAD entry, its sequence number."""
    problems: dict[int, str]
    """For a BAD or FAILED entry (by its place in the chunk), what to report."""
    runs: list[tuple[int, int, int]] | None
    """When every entry is GOOD, each sender has one signer and each sender's sequence numbers
    follow on one from the other: (signer, first sequence number, count) per signer, so that
    the replay can take the chunk whole. None otherwise."""


class _Unresolved(Exception):
    pass


def check_chunk(raws: Sequence[bytes], max_bytes: int, announced: Announced) -> ChunkChecks:
    """Check each stored entry of ``raws`` on its own (see the module)."""
    verifiers: dict[tuple[str, str], VerifierKey] = {}
    places: dict[Signer, int] = {}
    outcomes = bytearray(len(raws))
    signer_of = array("I", bytes(4 * len(raws)))
    seqs = array("q", bytes(8 * len(raws)))
    problems: dict[int, str] = {}
    for offset, raw in enumerate(raws):
        outcome, signer, seq, problem = _check_one(raw, max_bytes, announced, verifiers)
        outcomes[offset] = outcome
        if signer is not None:
            place = places.get(signer)
            if place is None:
                place = places[signer] = len(places)
            signer_of[offset] = place
            seqs[offset] = seq
        if problem is not None:
            problems[offset] = problem
    signers = list(places)
    root = MerkleTree.from_entry_ids(hashlib.sha256(raw).digest() for raw in raws).root()
    runs = _runs(signers, signer_of, seqs) if outcomes.count(GOOD) == len(raws) else None
    return ChunkChecks(root, bytes(outcomes), signers, signer_of, seqs, problems, runs)


def _runs(signers: list[Signer], signer_of: array[int],
          seqs: array[int]) -> list[tuple[int, int, int]] | None:
    if len({party for party, _, _ in signers}) != len(signers):
        return None
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for place, seq in zip(signer_of, seqs, strict=True):
        if place in last:
            if seq != last[place] + 1:
                return None
        else:
            first[place] = seq
        last[place] = seq
    return [(place, first[place], last[place] - first[place] + 1) for place in first]


_verifiers: dict[tuple[str, bytes], VerifierKey] = {}
"""The keys met so far by this process, built once each (a process checks many chunks)."""


def _verifier(party: str, public: bytes) -> VerifierKey:
    key = _verifiers.get((party, public))
    if key is None:
        key = _verifiers[(party, public)] = VerifierKey(party, public)
    return key


def _check_one(raw: bytes, max_bytes: int, announced: Announced,
               verifiers: dict[tuple[str, str], VerifierKey]
               ) -> tuple[int, Signer | None, int, str | None]:
    used: list[VerifierKey] = []

    def resolve(party: str, kid: str) -> VerifierKey:
        key = verifiers.get((party, kid))
        if key is None:
            public = announced.get((party, kid))
            if public is None:
                raise _Unresolved
            try:
                key = verifiers[(party, kid)] = _verifier(party, public)
            except GulfsecError:
                raise _Unresolved from None
        used.append(key)
        return key

    try:
        signed = stored_entry(raw, max_bytes)
        entry = signed.entry
        get_form(entry.form).validate(entry.body)
        if entry.form in KEY_FORMS:
            return KEY_ENTRY, None, 0, None
        check_signatures(signed, [(entry.sender, entry.key)], resolve)
    except _Unresolved:
        return UNRESOLVED, None, 0, None
    except BadSignature as exc:
        if not used:  # refused before any key was needed: the same at every index
            return FAILED, None, 0, exc.message
        return BAD, (entry.sender, entry.key, used[0].public), entry.seq, exc.message
    except GulfsecError as exc:
        return FAILED, None, 0, exc.message
    return GOOD, (entry.sender, entry.key, used[0].public), entry.seq, None


def announced_keys(raws: Iterable[bytes], max_bytes: int) -> list[Signer]:
    """(party, key id, public key) of each key that a well-formed registration or rotation
    among ``raws`` proposes, in order. A guess for :func:`check_chunk`, never a verdict."""
    found: list[Signer] = []
    for raw in [raw for raw in raws if _KEY_ENTRY_MARK in raw]:
        try:
            entry = stored_entry(raw, max_bytes).entry
            if entry.form not in (REGISTRATION, ROTATION):
                continue
            proposal = get_form(entry.form).parse(entry.body)
            if not isinstance(proposal, KeyRegistration | KeyRotation):
                continue
            key = VerifierKey.parse(proposal.vkey)
        except (GulfsecError, ValueError):
            continue
        if key.name != entry.sender:  # the keyring refuses it: nothing to verify with
            continue
        found.append((entry.sender, key.key_id_hex, key.public))
    return found


class Frontier:
    """The RFC 9162 tree hash of a log taken ``chunk`` leaves at a time, in O(log n) memory.

    ``chunk`` is a power of two and every chunk but the last is full, so chunk hashes are the
    hashes of complete subtrees; two adjacent complete subtrees of one size pair into the next
    size up, as a binary counter carries. The root folds what is left from the right: the last
    chunk, full or not, is the right-most subtree of the tree hash's split.
    """

    def __init__(self, chunk: int) -> None:
        if chunk < 1 or chunk & (chunk - 1):
            raise ValueError(f"a chunk holds a power of two of leaves, not {chunk}")
        self.chunk = chunk
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []

    def add(self, count: int, subtree_root: bytes) -> None:
        """Add the tree hash of the next ``count`` leaves (``chunk``, or fewer at the end)."""
        if self.size % self.chunk or not 0 < count <= self.chunk:
            raise ValueError(f"chunks hold {self.chunk} leaves, fewer only at the end")
        stack = self._stack
        stack.append((count, subtree_root))
        self.size += count
        while len(stack) >= 2 and stack[-1][0] == stack[-2][0]:
            size, right = stack.pop()
            _, left = stack.pop()
            stack.append((2 * size, node_hash(left, right)))

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        root = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            root = node_hash(left, root)
        return root
