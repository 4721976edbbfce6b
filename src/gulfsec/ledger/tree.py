"""RFC 9162 §2.1 Merkle trees: hashing and the in-memory append-only tree that builds proofs.

The tree hash of a list of leaves ``D[n]`` is the one RFC 9162 (and RFC 6962 before it) defines::

    MTH({})    = SHA-256()
    MTH({d0})  = SHA-256(0x00 || d0)
    MTH(D[n])  = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))   k = largest power of 2 < n

The log's leaves are 32-byte entry ids, so a leaf hash is ``SHA-256(0x00 || entry_id)``.

``MerkleTree`` keeps the hash of every complete subtree, level by level, in one contiguous
``bytearray`` per level: level 0 holds the leaf hashes, level ``k`` the hashes of the complete
subtrees of ``2**k`` leaves, in order. Complete subtrees never change once written, so the same
storage answers for every historical tree size: the root of the first ``size`` leaves, and any
inclusion or consistency proof, needs O(log n) lookups and hashes only for the incomplete
subtrees on the right edge. An append costs two hashes amortised and the tree takes about
64 bytes per leaf.

The proofs it builds are checked by the pure verifiers in :mod:`gulfsec.ledger.proofs`, which
know nothing of this class.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from itertools import islice

from gulfsec.errors import NotFound

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MAX_SIZE",
    "MerkleTree",
    "leaf_hash",
    "node_hash",
]

HASH_SIZE = 32
"""Length in bytes of every hash in the tree (SHA-256)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""Root hash of the empty tree: SHA-256 of the empty string."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
MAX_SIZE = 1 << 64
"""Verifiers refuse tree sizes at or above this: no real log gets there, and it bounds the work."""
_BULK_CHUNK = 1 << 16
"""Entries hashed per batch by ``extend``: bounds the temporary memory for huge iterables."""
_EDGE_CACHE_MAX = 4096
"""Right-edge subtree hashes remembered by a tree before the memo is cleared."""

_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """Return the RFC 9162 leaf hash of ``data``: SHA-256(0x00 || data)."""
    return _sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 9162 interior node hash: SHA-256(0x01 || left || right)."""
    return _sha256(_NODE_PREFIX + left + right).digest()


class MerkleTree:
    """An in-memory, append-only RFC 9162 Merkle tree over SHA-256.

    Leaves are appended as data (``append``/``extend``: the log appends 32-byte entry ids,
    hashed as ``SHA-256(0x00 || entry_id)``) or as ready-made leaf hashes
    (``append_leaf_hash``, ``from_leaf_hashes``). Every read takes an optional historical
    ``size`` and answers exactly as the tree of the first ``size`` leaves would.

    Arguments that cannot be right (negative numbers, ``old_size > new_size``) raise
    ``ValueError``; asking for a leaf, node or size the tree does not have raises
    ``gulfsec.errors.NotFound``.

    The hashes of incomplete right-edge ranges (roots, the odd sibling in a proof) are
    memoised, so repeated proofs against one tree size do no hashing at all.

    The tree is not locked: use it from one writer. Reads for a size already published are
    safe alongside appends under the GIL, since written hashes never change.
    """

    __slots__ = ("_edge", "_levels")

    def __init__(self) -> None:
        self._levels: list[bytearray] = [bytearray()]
        # MTH of incomplete ranges [start, end) (roots and right-edge siblings), which proofs
        # for the same tree size ask for again and again. Leaves never change, so entries never
        # go stale; the memo is only cleared to bound its size.
        self._edge: dict[tuple[int, int], bytes] = {}

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_entry_ids(cls, entry_ids: Iterable[bytes]) -> MerkleTree:
        """Build a tree from the leaves' data (entry ids) in one bulk pass."""
        tree = cls()
        tree.extend(entry_ids)
        return tree

    @classmethod
    def from_leaf_hashes(cls, hashes: bytes | bytearray | Iterable[bytes]) -> MerkleTree:
        """Build a tree from leaf hashes already computed, in one bulk pass.

        ``hashes`` is either the concatenated 32-byte hashes or an iterable of them.
        """
        tree = cls()
        tree.extend_leaf_hashes(hashes)
        return tree

    # -- appending ----------------------------------------------------------------------------

    def append(self, entry_id: bytes) -> int:
        """Append one leaf whose data is ``entry_id``; return its index."""
        return self._push(_sha256(_LEAF_PREFIX + entry_id).digest())

    def append_leaf_hash(self, hash_: bytes) -> int:
        """Append one leaf given its leaf hash; return its index."""
        if len(hash_) != HASH_SIZE:
            raise ValueError(f"a leaf hash is {HASH_SIZE} bytes, got {len(hash_)}")
        return self._push(bytes(hash_))

    def extend(self, entry_ids: Iterable[bytes]) -> int:
        """Append many leaves (their data, e.g. entry ids) in bulk; return the first new index.

        Faster than calling ``append`` in a loop: each level is extended in one pass.
        """
        first = self.size
        it = iter(entry_ids)
        sha = _sha256
        prefix = _LEAF_PREFIX
        while True:
            chunk = [sha(prefix + data).digest() for data in islice(it, _BULK_CHUNK)]
            if not chunk:
                return first
            self._extend_level0(b"".join(chunk))

    def extend_leaf_hashes(self, hashes: bytes | bytearray | Iterable[bytes]) -> int:
        """Append many leaves given their leaf hashes; return the first new index.

        ``hashes`` is either the concatenated 32-byte hashes or an iterable of them.
        """
        first = self.size
        if isinstance(hashes, bytes | bytearray):
            if len(hashes) % HASH_SIZE:
                raise ValueError(f"leaf hashes must fill a multiple of {HASH_SIZE} bytes")
            joined = bytes(hashes)
        else:
            items = list(hashes)
            for item in items:
                if len(item) != HASH_SIZE:
                    raise ValueError(f"a leaf hash is {HASH_SIZE} bytes, got {len(item)}")
            joined = b"".join(items)
        if joined:
            self._extend_level0(joined)
        return first

    def _push(self, hash_: bytes) -> int:
        """Append a leaf hash and the complete subtrees it closes; return the leaf index."""
        levels = self._levels
        level = levels[0]
        index = len(level) >> 5
        level += hash_
        n = index
        k = 0
        sha = _sha256
        prefix = _NODE_PREFIX
        # The new node at level k has index n; while n is odd it closes a pair, and the pair
        # is the last 64 bytes of level k (left sibling, then the new node).
        while n & 1:
            parent = sha(prefix + levels[k][-64:]).digest()
            k += 1
            if k == len(levels):
                levels.append(bytearray())
            levels[k] += parent
            n >>= 1
        return index

    def _extend_level0(self, joined: bytes) -> None:
        """Append concatenated leaf hashes, then every complete subtree they close."""
        levels = self._levels
        levels[0] += joined
        sha = _sha256
        prefix = _NODE_PREFIX
        k = 0
        while True:
            below = levels[k]
            pairs = len(below) >> 6
            if pairs == 0:
                return
            if k + 1 == len(levels):
                levels.append(bytearray())
            above = levels[k + 1]
            have = len(above) >> 5
            if have == pairs:
                return
            with memoryview(below) as view:
                above += b"".join(
                    [
                        sha(prefix + view[i : i + 64]).digest()
                        for i in range(have * 64, pairs * 64, 64)
                    ]
                )
            k += 1

    # -- reading ------------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Number of leaves in the tree."""
        return len(self._levels[0]) >> 5

    def __len__(self) -> int:
        return len(self._levels[0]) >> 5

    def leaf_hash_at(self, index: int) -> bytes:
        """Return the leaf hash at ``index``."""
        return self.hash_at(0, index)

    def hash_at(self, level: int, index: int) -> bytes:
        """Return the hash of complete subtree ``index`` of ``2**level`` leaves.

        That subtree covers leaves ``index * 2**level`` to ``(index + 1) * 2**level - 1``.
        """
        return self.hashes_at(level, index, 1)

    def hashes_at(self, level: int, start: int, count: int) -> bytes:
        """Return the concatenated hashes of complete subtrees ``start .. start+count-1``
        at height ``level`` (32 bytes each), as tiles need them."""
        if level < 0 or start < 0 or count < 0:
            raise ValueError(f"level {level}, start {start} and count {count} must be >= 0")
        have = len(self._levels[level]) >> 5 if level < len(self._levels) else 0
        if start + count > have:
            raise NotFound(
                f"the tree has {have} complete subtrees at level {level}, not {start} + {count}"
            )
        return bytes(self._levels[level][start << 5 : (start + count) << 5])

    def root(self, size: int | None = None) -> bytes:
        """Return the root hash of the tree of the first ``size`` leaves (default: all)."""
        n = self._check_size(size)
        if n == 0:
            return EMPTY_ROOT
        return self._range_hash(0, n)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """Return PATH(index, D[size]) of RFC 9162 §2.1.3.1: the audit path, leaf side first."""
        n = self._check_size(size)
        if index < 0:
            raise ValueError(f"leaf index must be >= 0, got {index}")
        if index >= n:
            raise NotFound(f"leaf {index} is not in the tree of size {n}")
        levels = self._levels
        top: list[bytes] = []
        a, b = 0, n
        # While [a, b) is not a perfect subtree, split it at k = largest power of 2 < b - a.
        # Only the first step to the left can have an incomplete sibling (on the right edge).
        while (b - a) & (b - a - 1):
            k = 1 << ((b - a).bit_length() - 1)
            if index < a + k:
                top.append(self._range_hash(a + k, b))
                b = a + k
            else:
                lvl = k.bit_length() - 1
                i = a >> lvl
                top.append(bytes(levels[lvl][i << 5 : (i + 1) << 5]))
                a += k
        # [a, b) is perfect: the rest of the path is the stored sibling at each level.
        proof = []
        for lvl in range((b - a).bit_length() - 1):
            i = (index >> lvl) ^ 1
            proof.append(bytes(levels[lvl][i << 5 : (i + 1) << 5]))
        top.reverse()
        proof.extend(top)
        return proof

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """Return PROOF(old_size, D[new_size]) of RFC 9162 §2.1.4.1.

        Empty when ``old_size`` is 0 or equal to ``new_size``.
        """
        if old_size < 0:
            raise ValueError(f"old size must be >= 0, got {old_size}")
        n = self._check_size(new_size)
        if old_size > n:
            raise ValueError(f"old size {old_size} is larger than new size {n}")
        m = old_size
        if m == 0 or m == n:
            return []
        levels = self._levels
        proof: list[bytes] = []
        complete = True  # the SUBPROOF flag "b": [a, b) is still the whole old tree's prefix
        a, b = 0, n
        while m != b:
            k = 1 << ((b - a - 1).bit_length() - 1)
            if m - a <= k:
                proof.append(self._range_hash(a + k, b))
                b = a + k
            else:
                lvl = k.bit_length() - 1
                i = a >> lvl
                proof.append(bytes(levels[lvl][i << 5 : (i + 1) << 5]))
                a += k
                complete = False
        if not complete:
            proof.append(self._range_hash(a, b))
        proof.reverse()
        return proof

    def _check_size(self, size: int | None) -> int:
        have = len(self._levels[0]) >> 5
        if size is None:
            return have
        if size < 0:
            raise ValueError(f"tree size must be >= 0, got {size}")
        if size > have:
            raise NotFound(f"the tree has {have} leaves, not {size}")
        return size

    def _range_hash(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for ``start < end`` with ``start`` a multiple of the smallest
        power of 2 >= ``end - start`` (true of every range the RFC's recursion visits).

        The range splits into complete subtrees, one per set bit of ``end - start``, largest
        first; they are folded right to left.
        """
        levels = self._levels
        width = end - start
        if width & (width - 1) == 0:
            lvl = width.bit_length() - 1
            i = start >> lvl
            return bytes(levels[lvl][i << 5 : (i + 1) << 5])
        key = (start, end)
        memo = self._edge
        cached = memo.get(key)
        if cached is not None:
            return cached
        sha = _sha256
        prefix = _NODE_PREFIX
        low = width & -width
        lvl = low.bit_length() - 1
        pos = end - low
        i = pos >> lvl
        acc = bytes(levels[lvl][i << 5 : (i + 1) << 5])
        width ^= low
        while width:
            low = width & -width
            lvl = low.bit_length() - 1
            pos -= low
            i = pos >> lvl
            acc = sha(prefix + levels[lvl][i << 5 : (i + 1) << 5] + acc).digest()
            width ^= low
        if len(memo) >= _EDGE_CACHE_MAX:
            memo.clear()
        memo[key] = acc
        return acc
