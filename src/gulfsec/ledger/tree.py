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

A tree given a ``leaves`` loader can also let go of what its owner has stored: after
``settle(size)`` it keeps only the hashes of subtrees of ``BLOCK`` leaves or more (half a byte
per leaf) and the lower levels of the block still being filled, and reads the entry ids of an
older block back through the loader when a proof or a tile needs them (checked against the
block's kept hash; a few recent blocks are cached). Its memory then stays flat as the log grows,
the way a tiled log keeps only its right edge in memory and its tiles in storage.

The proofs it builds are checked by the pure verifiers in :mod:`gulfsec.ledger.proofs`, which
know nothing of this class.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from itertools import islice

from gulfsec.errors import NotFound, StorageError

__all__ = [
    "BLOCK",
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

BLOCK_HEIGHT = 8
BLOCK = 1 << BLOCK_HEIGHT
"""Leaves in a block: what a settled tree reads back from storage at once (one level-0 tile)."""
_BLOCKS_CACHED = 64
"""Blocks read back that a settled tree keeps, most recently used first (about 16 KiB each)."""

LeafLoader = Callable[[int, int], Sequence[bytes]]
"""``loader(start, end)``: the leaves' data (entry ids) at ``start`` ≤ index < ``end``."""

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

    The tree is not locked: use it from one writer (``settle`` included). Reads for a size
    already published are safe alongside appends under the GIL, since written hashes never
    change and each read works on one snapshot of the levels.
    """

    __slots__ = ("_blocks", "_blocks_lock", "_edge", "_leaves", "_snap")

    def __init__(self, leaves: LeafLoader | None = None) -> None:
        self._snap: tuple[list[bytearray], int] = ([bytearray()], 0)
        """The levels, and how many blocks were settled and let go (the levels below
        ``BLOCK_HEIGHT`` start after them): one value, so that a read sees both as one."""
        self._leaves = leaves
        self._blocks: OrderedDict[int, list[bytes]] = OrderedDict()
        self._blocks_lock = threading.Lock()
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

    def extend_stored(self, entry_ids: Iterable[bytes]) -> int:
        """As :meth:`extend`, for leaves already stored where the loader reads them: each
        complete block is let go of as the leaves come (:meth:`settle`), so that loading a
        long log never holds its lower levels whole. Returns the first new index."""
        first = self.size
        it = iter(entry_ids)
        while True:
            chunk = list(islice(it, _BULK_CHUNK))
            if not chunk:
                return first
            self.extend(chunk)
            self.settle(self.size)

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
        levels, dropped = self._snap
        level = levels[0]
        index = (dropped << BLOCK_HEIGHT) + (len(level) >> 5)
        level += hash_
        n = index
        k = 0
        sha = _sha256
        prefix = _NODE_PREFIX
        # The new node at level k has index n; while n is odd it closes a pair, and the pair
        # is the last 64 bytes of level k (left sibling, then the new node; a pair never spans
        # two blocks, so both are kept).
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
        levels, dropped = self._snap
        levels[0] += joined
        sha = _sha256
        prefix = _NODE_PREFIX
        k = 0
        while True:
            below = levels[k]
            below_from = _first_kept(k, dropped)
            pairs = (below_from + (len(below) >> 5)) >> 1
            if pairs == 0:
                return
            if k + 1 == len(levels):
                levels.append(bytearray())
            above = levels[k + 1]
            have = _first_kept(k + 1, dropped) + (len(above) >> 5)
            if have == pairs:
                return
            with memoryview(below) as view:
                above += b"".join(
                    [
                        sha(prefix + view[i : i + 64]).digest()
                        for i in range((2 * have - below_from) << 5,
                                       (2 * pairs - below_from) << 5, 64)
                    ]
                )
            k += 1

    def settle(self, size: int) -> None:
        """Say the first ``size`` leaves are stored where the loader reads them: the tree may
        let go of the lower levels of every complete block among them. Without a loader this
        does nothing. Call it from the writer, only once what the loader reads is committed."""
        if self._leaves is None:
            return
        levels, dropped = self._snap
        blocks = min(size, self.size) >> BLOCK_HEIGHT
        if blocks <= dropped:
            return
        cut = blocks - dropped
        kept = [bytearray(levels[lvl][(cut << (BLOCK_HEIGHT - lvl)) << 5:])
                for lvl in range(BLOCK_HEIGHT)]
        self._snap = ([*kept, *levels[BLOCK_HEIGHT:]], blocks)

    # -- reading ------------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Number of leaves in the tree."""
        levels, dropped = self._snap
        return (dropped << BLOCK_HEIGHT) + (len(levels[0]) >> 5)

    def __len__(self) -> int:
        return self.size

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
        snap = self._snap
        levels, dropped = snap
        first = _first_kept(level, dropped)
        have = first + (len(levels[level]) >> 5) if level < len(levels) else 0
        if start + count > have:
            raise NotFound(
                f"the tree has {have} complete subtrees at level {level}, not {start} + {count}"
            )
        if start >= first:
            return bytes(levels[level][(start - first) << 5 : (start - first + count) << 5])
        parts = []
        at, end = start, start + count
        per_block = 1 << (BLOCK_HEIGHT - level)
        while at < end and at < first:
            block, within = divmod(at, per_block)
            upto = min(end, (block + 1) * per_block)
            parts.append(self._block(snap, block)[level][within << 5 : (upto - at + within) << 5])
            at = upto
        if at < end:
            parts.append(bytes(levels[level][(at - first) << 5 : (end - first) << 5]))
        return b"".join(parts)

    def root(self, size: int | None = None) -> bytes:
        """Return the root hash of the tree of the first ``size`` leaves (default: all)."""
        snap = self._snap
        n = self._check_size(snap, size)
        if n == 0:
            return EMPTY_ROOT
        return self._range_hash(snap, 0, n)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """Return PATH(index, D[size]) of RFC 9162 §2.1.3.1: the audit path, leaf side first."""
        snap = self._snap
        n = self._check_size(snap, size)
        if index < 0:
            raise ValueError(f"leaf index must be >= 0, got {index}")
        if index >= n:
            raise NotFound(f"leaf {index} is not in the tree of size {n}")
        node = self._node
        top: list[bytes] = []
        a, b = 0, n
        # While [a, b) is not a perfect subtree, split it at k = largest power of 2 < b - a.
        # Only the first step to the left can have an incomplete sibling (on the right edge).
        while (b - a) & (b - a - 1):
            k = 1 << ((b - a).bit_length() - 1)
            if index < a + k:
                top.append(self._range_hash(snap, a + k, b))
                b = a + k
            else:
                lvl = k.bit_length() - 1
                top.append(node(snap, lvl, a >> lvl))
                a += k
        # [a, b) is perfect: the rest of the path is the stored sibling at each level.
        proof = [node(snap, lvl, (index >> lvl) ^ 1) for lvl in range((b - a).bit_length() - 1)]
        top.reverse()
        proof.extend(top)
        return proof

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """Return PROOF(old_size, D[new_size]) of RFC 9162 §2.1.4.1.

        Empty when ``old_size`` is 0 or equal to ``new_size``.
        """
        if old_size < 0:
            raise ValueError(f"old size must be >= 0, got {old_size}")
        snap = self._snap
        n = self._check_size(snap, new_size)
        if old_size > n:
            raise ValueError(f"old size {old_size} is larger than new size {n}")
        m = old_size
        if m == 0 or m == n:
            return []
        proof: list[bytes] = []
        complete = True  # the SUBPROOF flag "b": [a, b) is still the whole old tree's prefix
        a, b = 0, n
        while m != b:
            k = 1 << ((b - a - 1).bit_length() - 1)
            if m - a <= k:
                proof.append(self._range_hash(snap, a + k, b))
                b = a + k
            else:
                lvl = k.bit_length() - 1
                proof.append(self._node(snap, lvl, a >> lvl))
                a += k
                complete = False
        if not complete:
            proof.append(self._range_hash(snap, a, b))
        proof.reverse()
        return proof

    @staticmethod
    def _check_size(snap: tuple[list[bytearray], int], size: int | None) -> int:
        levels, dropped = snap
        have = (dropped << BLOCK_HEIGHT) + (len(levels[0]) >> 5)
        if size is None:
            return have
        if size < 0:
            raise ValueError(f"tree size must be >= 0, got {size}")
        if size > have:
            raise NotFound(f"the tree has {have} leaves, not {size}")
        return size

    def _node(self, snap: tuple[list[bytearray], int], level: int, index: int) -> bytes:
        """The stored hash of complete subtree ``index`` at ``level`` (which must exist),
        read back from its block when the tree let go of it."""
        levels, dropped = snap
        at = index - _first_kept(level, dropped)
        if at >= 0:
            return bytes(levels[level][at << 5 : (at + 1) << 5])
        block, within = divmod(index, 1 << (BLOCK_HEIGHT - level))
        return self._block(snap, block)[level][within << 5 : (within + 1) << 5]

    def _block(self, snap: tuple[list[bytearray], int], block: int) -> list[bytes]:
        """The hashes of levels 0 .. BLOCK_HEIGHT - 1 of a settled block, read back through the
        loader and checked against the block's kept hash."""
        with self._blocks_lock:
            found = self._blocks.get(block)
            if found is not None:
                self._blocks.move_to_end(block)
                return found
        loader = self._leaves
        if loader is None:  # pragma: no cover - only a tree with a loader lets blocks go
            raise NotFound(f"block {block} is not held")
        ids = loader(block << BLOCK_HEIGHT, (block + 1) << BLOCK_HEIGHT)
        if len(ids) != BLOCK:
            raise StorageError(f"the stored leaves of block {block} (indexes "
                               f"{block << BLOCK_HEIGHT} to {((block + 1) << BLOCK_HEIGHT) - 1})"
                               f" are {len(ids)}, not {BLOCK}")
        sha = _sha256
        level = b"".join([sha(_LEAF_PREFIX + data).digest() for data in ids])
        hashes = [level]
        for _ in range(BLOCK_HEIGHT):
            level = b"".join([sha(_NODE_PREFIX + level[i : i + 64]).digest()
                              for i in range(0, len(level), 64)])
            hashes.append(level)
        if hashes.pop() != bytes(snap[0][BLOCK_HEIGHT][block << 5 : (block + 1) << 5]):
            raise StorageError(f"the stored leaves of block {block} do not hash to the tree's "
                               "hash of that block: the database was changed")
        with self._blocks_lock:
            self._blocks[block] = hashes
            while len(self._blocks) > _BLOCKS_CACHED:
                self._blocks.popitem(last=False)
        return hashes

    def _range_hash(self, snap: tuple[list[bytearray], int], start: int, end: int) -> bytes:
        """MTH(D[start:end]) for ``start < end`` with ``start`` a multiple of the smallest
        power of 2 >= ``end - start`` (true of every range the RFC's recursion visits).

        The range splits into complete subtrees, one per set bit of ``end - start``, largest
        first; they are folded right to left.
        """
        node = self._node
        width = end - start
        if width & (width - 1) == 0:
            lvl = width.bit_length() - 1
            return node(snap, lvl, start >> lvl)
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
        acc = node(snap, lvl, pos >> lvl)
        width ^= low
        while width:
            low = width & -width
            lvl = low.bit_length() - 1
            pos -= low
            acc = sha(prefix + node(snap, lvl, pos >> lvl) + acc).digest()
            width ^= low
        if len(memo) >= _EDGE_CACHE_MAX:
            memo.clear()
        memo[key] = acc
        return acc


def _first_kept(level: int, dropped: int) -> int:
    """Index of the first hash a level keeps once ``dropped`` blocks were let go."""
    return dropped << (BLOCK_HEIGHT - level) if level < BLOCK_HEIGHT else 0
