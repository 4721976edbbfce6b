"""The Merkle tree, its proofs and verifiers against RFC 9162 §2.1.

Three independent checks: the classic RFC 6962 test vectors (checked in under tests/vectors),
a naive recursive reference written straight from the RFC text below, and tampering with
valid proofs.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gulfsec.errors import ConsistencyProofError, InclusionProofError, NotFound, StorageError
from gulfsec.ledger.proofs import root_from_inclusion_proof, verify_consistency, verify_inclusion
from gulfsec.ledger.tree import BLOCK, EMPTY_ROOT, MerkleTree, leaf_hash, node_hash

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent.parent / "vectors" / "rfc6962_classic.json").read_text()
)
CLASSIC_LEAVES = [bytes.fromhex(leaf) for leaf in VECTORS["leaves"]]
CLASSIC_ROOTS = {int(size): bytes.fromhex(root) for size, root in VECTORS["roots"].items()}
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")

# -- the reference: RFC 9162 §2.1, recursively, over D[a:b] of LEAVES --------------------------

MAX_SIZE = 3000
LEAVES = [hashlib.sha256(b"entry %d" % i).digest() for i in range(MAX_SIZE)]


def largest_power_of_two_below(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


@cache
def ref_mth(a: int, b: int) -> bytes:
    """MTH(D[a:b])."""
    n = b - a
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + LEAVES[a]).digest()
    k = largest_power_of_two_below(n)
    return hashlib.sha256(b"\x01" + ref_mth(a, a + k) + ref_mth(a + k, b)).digest()


def ref_path(m: int, a: int, b: int) -> list[bytes]:
    """PATH(m, D[a:b]), m counted from a."""
    n = b - a
    if n == 1:
        return []
    k = largest_power_of_two_below(n)
    if m < k:
        return ref_path(m, a, a + k) + [ref_mth(a + k, b)]
    return ref_path(m - k, a + k, b) + [ref_mth(a, a + k)]


def ref_subproof(m: int, a: int, b: int, complete: bool) -> list[bytes]:
    """SUBPROOF(m, D[a:b], complete), m counted from a."""
    n = b - a
    if m == n:
        return [] if complete else [ref_mth(a, b)]
    k = largest_power_of_two_below(n)
    if m <= k:
        return ref_subproof(m, a, a + k, complete) + [ref_mth(a + k, b)]
    return ref_subproof(m - k, a + k, b, False) + [ref_mth(a, a + k)]


def ref_proof(m: int, n: int) -> list[bytes]:
    """PROOF(m, D[n])."""
    return ref_subproof(m, 0, n, True)


TREE = MerkleTree()
for _entry in LEAVES:
    TREE.append(_entry)


class Stored:
    """The leaves a settled tree reads back, counting the reads; ``changed`` tampers with them."""

    def __init__(self, leaves: list[bytes]) -> None:
        self.leaves = list(leaves)
        self.reads = 0

    def __call__(self, start: int, end: int) -> list[bytes]:
        self.reads += 1
        return self.leaves[start:end]


def settled_tree(leaves: list[bytes], steps: list[int]) -> MerkleTree:
    """A tree over ``leaves`` grown in ``steps`` (bulk and one by one), settled after each."""
    tree = MerkleTree(Stored(leaves))
    done = 0
    for n, step in enumerate(steps):
        piece = leaves[done : done + step]
        if n % 2:
            for item in piece:
                tree.append(item)
        else:
            tree.extend(piece)
        done += len(piece)
        tree.settle(done)
    return tree


SETTLED = settled_tree(LEAVES, [1, 300, 255, 2, 700, 1, 1000, MAX_SIZE])
BOTH_TREES = [TREE, SETTLED]
BOTH_IDS = ["in memory", "settled"]


@st.composite
def size_and_index(draw: st.DrawFn, min_size: int = 1) -> tuple[int, int]:
    size = draw(st.integers(min_size, MAX_SIZE))
    return size, draw(st.integers(0, size - 1))


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    new = draw(st.integers(2, MAX_SIZE))
    return draw(st.integers(1, new - 1)), new


def flip(proof: list[bytes], item: int, bit: int) -> list[bytes]:
    wrong = list(proof)
    changed = bytearray(wrong[item])
    changed[bit // 8] ^= 1 << (bit % 8)
    wrong[item] = bytes(changed)
    return wrong


def classic_tree() -> MerkleTree:
    return MerkleTree.from_entry_ids(CLASSIC_LEAVES)


# -- hashing ------------------------------------------------------------------------------------


def test_leaf_and_node_hashes_use_the_rfc_domain_prefixes() -> None:
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert (
        node_hash(b"L" * 32, b"R" * 32) == hashlib.sha256(b"\x01" + b"L" * 32 + b"R" * 32).digest()
    )


def test_the_empty_tree_has_the_hash_of_nothing_as_root() -> None:
    assert EMPTY_ROOT == bytes.fromhex(VECTORS["empty_root"])
    assert MerkleTree().root() == EMPTY_ROOT
    assert TREE.root(0) == EMPTY_ROOT


# -- the classic vectors ------------------------------------------------------------------------


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_the_classic_vectors(size: int) -> None:
    assert classic_tree().root(size) == CLASSIC_ROOTS[size]
    assert MerkleTree.from_entry_ids(CLASSIC_LEAVES[:size]).root() == CLASSIC_ROOTS[size]


@pytest.mark.parametrize("case", VECTORS["inclusion"], ids=lambda c: f"{c['index']}-{c['size']}")
def test_inclusion_proofs_match_and_verify_the_classic_vectors(case: dict[str, Any]) -> None:
    index, size = case["index"], case["size"]
    expected = [bytes.fromhex(h) for h in case["proof"]]
    assert classic_tree().inclusion_proof(index, size) == expected
    verify_inclusion(leaf_hash(CLASSIC_LEAVES[index]), index, size, expected, CLASSIC_ROOTS[size])


@pytest.mark.parametrize(
    "case", VECTORS["consistency"], ids=lambda c: f"{c['old_size']}-{c['new_size']}"
)
def test_consistency_proofs_match_and_verify_the_classic_vectors(case: dict[str, Any]) -> None:
    old, new = case["old_size"], case["new_size"]
    expected = [bytes.fromhex(h) for h in case["proof"]]
    assert classic_tree().consistency_proof(old, new) == expected
    verify_consistency(old, new, CLASSIC_ROOTS[old], CLASSIC_ROOTS[new], expected)


def inclusion_corruptions(
    index: int, size: int, proof: list[bytes], root: bytes, leaf: bytes
) -> list[tuple[str, int, int, list[bytes], bytes, bytes]]:
    """The probes of transparency-dev/merkle's corruptInclusionProof."""
    probes = [
        ("index - 1", index - 1, size, proof, root, leaf),
        ("index + 1", index + 1, size, proof, root, leaf),
        ("index ^ 2", index ^ 2, size, proof, root, leaf),
        ("size * 2", index, size * 2, proof, root, leaf),
        ("size // 2", index, size // 2, proof, root, leaf),
        ("wrong leaf", index, size, proof, root, leaf_hash(b"WrongLeaf")),
        ("empty root", index, size, proof, EMPTY_ROOT, leaf),
        ("random root", index, size, proof, SOME_HASH, leaf),
        ("trailing garbage", index, size, [*proof, b""], root, leaf),
        ("trailing root", index, size, [*proof, root], root, leaf),
        ("preceding garbage", index, size, [b"", *proof], root, leaf),
        ("preceding root", index, size, [root, *proof], root, leaf),
    ]
    for i in range(len(proof)):
        probes.append((f"flipped bit in proof[{i}]", index, size, flip(proof, i, 3), root, leaf))
    if proof:
        probes.append(("removed last hash", index, size, proof[:-1], root, leaf))
    if len(proof) > 1:
        inserted = [proof[0], SOME_HASH, *proof[1:]]
        probes.append(("inserted hash", index, size, inserted, root, leaf))
    return probes


@pytest.mark.parametrize("case", VECTORS["inclusion"], ids=lambda c: f"{c['index']}-{c['size']}")
def test_tampered_classic_inclusion_proofs_are_rejected(case: dict[str, Any]) -> None:
    index, size = case["index"], case["size"]
    proof = [bytes.fromhex(h) for h in case["proof"]]
    leaf = leaf_hash(CLASSIC_LEAVES[index])
    for desc, i, n, p, root, lh in inclusion_corruptions(
        index, size, proof, CLASSIC_ROOTS[size], leaf
    ):
        with pytest.raises(InclusionProofError):
            verify_inclusion(lh, i, n, p, root)
            pytest.fail(f"accepted: {desc}")


@pytest.mark.parametrize(
    "case",
    [c for c in VECTORS["consistency"] if c["proof"]],
    ids=lambda c: f"{c['old_size']}-{c['new_size']}",
)
def test_tampered_classic_consistency_proofs_are_rejected(case: dict[str, Any]) -> None:
    old, new = case["old_size"], case["new_size"]
    proof = [bytes.fromhex(h) for h in case["proof"]]
    r1, r2 = CLASSIC_ROOTS[old], CLASSIC_ROOTS[new]
    probes = [
        ("old - 1", old - 1, new, r1, r2, proof),
        ("old + 1", old + 1, new, r1, r2, proof),
        ("old ^ 2", old ^ 2, new, r1, r2, proof),
        ("new * 2", old, new * 2, r1, r2, proof),
        ("new // 2", old, new // 2, r1, r2, proof),
        ("wrong old root", old, new, SOME_HASH, r2, proof),
        ("wrong new root", old, new, r1, SOME_HASH, proof),
        ("swapped roots", old, new, r2, r1, proof),
        ("empty proof", old, new, r1, r2, []),
        ("trailing garbage", old, new, r1, r2, [*proof, b""]),
        ("trailing old root", old, new, r1, r2, [*proof, r1]),
        ("trailing new root", old, new, r1, r2, [*proof, r2]),
        ("preceding garbage", old, new, r1, r2, [b"", *proof]),
        ("preceding old root", old, new, r1, r2, [r1, *proof]),
        ("preceding new root", old, new, r1, r2, [r2, *proof]),
        ("preceding proof[0]", old, new, r1, r2, [proof[0], *proof]),
        ("truncated", old, new, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        probes.append((f"flipped bit in proof[{i}]", old, new, r1, r2, flip(proof, i, 4)))
    for desc, m, n, root1, root2, p in probes:
        with pytest.raises(ConsistencyProofError):
            verify_consistency(m, n, root1, root2, p)
            pytest.fail(f"accepted: {desc}")


# -- against the reference ----------------------------------------------------------------------


@pytest.mark.parametrize("tree", BOTH_TREES, ids=BOTH_IDS)
def test_roots_match_the_reference_for_every_size(tree: MerkleTree) -> None:
    for size in range(MAX_SIZE + 1):
        assert tree.root(size) == ref_mth(0, size)


@pytest.mark.parametrize("tree", BOTH_TREES, ids=BOTH_IDS)
def test_every_complete_subtree_hash_is_the_reference_hash_of_its_leaves(tree: MerkleTree) -> None:
    level = 0
    while (MAX_SIZE >> level) > 0:
        width = 1 << level
        for index in range(MAX_SIZE >> level):
            assert tree.hash_at(level, index) == ref_mth(index * width, (index + 1) * width)
        level += 1
    with pytest.raises(NotFound):
        tree.hash_at(level, 0)


@pytest.mark.parametrize("tree", BOTH_TREES, ids=BOTH_IDS)
def test_every_inclusion_proof_in_small_trees_matches_the_reference_and_verifies(
    tree: MerkleTree
) -> None:
    for size in range(1, 130):
        root = tree.root(size)
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            assert proof == ref_path(index, 0, size)
            verify_inclusion(tree.leaf_hash_at(index), index, size, proof, root)


@pytest.mark.parametrize("tree", BOTH_TREES, ids=BOTH_IDS)
def test_every_consistency_proof_in_small_trees_matches_the_reference_and_verifies(
    tree: MerkleTree
) -> None:
    for new in range(1, 130):
        new_root = tree.root(new)
        for old in range(1, new + 1):
            proof = tree.consistency_proof(old, new)
            assert proof == ref_proof(old, new)
            verify_consistency(old, new, tree.root(old), new_root, proof)


@settings(max_examples=400, deadline=None)
@given(size_and_index())
@pytest.mark.parametrize("tree", BOTH_TREES, ids=BOTH_IDS)
def test_inclusion_proofs_match_the_reference_and_verify(
    tree: MerkleTree, case: tuple[int, int]
) -> None:
    size, index = case
    proof = tree.inclusion_proof(index, size)
    assert proof == ref_path(index, 0, size)
    leaf = leaf_hash(LEAVES[index])
    assert root_from_inclusion_proof(leaf, index, size, proof) == ref_mth(0, size)
    verify_inclusion(leaf, index, size, proof, tree.root(size))


@settings(max_examples=400, deadline=None)
@given(two_sizes())
@pytest.mark.parametrize("tree", BOTH_TREES, ids=BOTH_IDS)
def test_consistency_proofs_match_the_reference_and_verify(
    tree: MerkleTree, sizes: tuple[int, int]
) -> None:
    old, new = sizes
    proof = tree.consistency_proof(old, new)
    assert proof == ref_proof(old, new)
    verify_consistency(old, new, ref_mth(0, old), ref_mth(0, new), proof)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 300), max_size=12), st.booleans())
def test_bulk_construction_gives_the_same_tree_as_appending_one_by_one(
    chunks: list[int], as_hashes: bool
) -> None:
    size = min(sum(chunks), MAX_SIZE)
    bulk = MerkleTree()
    done = 0
    for chunk in chunks:
        piece = LEAVES[done : min(done + chunk, size)]
        first = (
            bulk.extend_leaf_hashes([leaf_hash(e) for e in piece])
            if as_hashes
            else bulk.extend(piece)
        )
        assert first == done
        done += len(piece)
    assert bulk.size == size
    assert bulk.root() == TREE.root(size)
    for level in range(size.bit_length()):
        count = size >> level
        assert bulk.hashes_at(level, 0, count) == TREE.hashes_at(level, 0, count)


def test_a_tree_rebuilt_from_its_leaf_hashes_is_the_same_tree() -> None:
    hashes = TREE.hashes_at(0, 0, TREE.size)
    for rebuilt in (
        MerkleTree.from_leaf_hashes(hashes),
        MerkleTree.from_leaf_hashes(bytearray(hashes)),
        MerkleTree.from_leaf_hashes(TREE.leaf_hash_at(i) for i in range(TREE.size)),
        MerkleTree.from_entry_ids(iter(LEAVES)),
    ):
        assert rebuilt.size == TREE.size
        assert rebuilt.root() == TREE.root()
        assert rebuilt.consistency_proof(1000, 2999) == TREE.consistency_proof(1000, 2999)


def test_append_returns_consecutive_indexes_and_the_leaf_hash_is_kept() -> None:
    tree = MerkleTree()
    assert [tree.append(e) for e in LEAVES[:5]] == [0, 1, 2, 3, 4]
    assert tree.append_leaf_hash(leaf_hash(LEAVES[5])) == 5
    assert tree.extend(LEAVES[6:9]) == 6
    assert len(tree) == tree.size == 9
    assert tree.leaf_hash_at(7) == leaf_hash(LEAVES[7])
    assert tree.root() == TREE.root(9)


def test_proofs_verify_in_a_tree_of_seventy_thousand_leaves() -> None:
    entries = [hashlib.sha256(b"big %d" % i).digest() for i in range(70_000)]
    tree = MerkleTree.from_entry_ids(entries)
    for size in (1, 255, 256, 257, 65_535, 65_536, 65_537, 69_999, 70_000):
        root = tree.root(size)
        for index in {0, size // 3, size - 2 if size > 1 else 0, size - 1}:
            proof = tree.inclusion_proof(index, size)
            verify_inclusion(leaf_hash(entries[index]), index, size, proof, root)
        for old in (1, 3, 256, 4097, 65_536, 69_998):
            if old <= size:
                proof = tree.consistency_proof(old, size)
                verify_consistency(old, size, tree.root(old), root, proof)


# -- a settled tree: blocks read back from storage ----------------------------------------------


def test_a_settled_tree_lets_go_of_its_lower_levels_and_reads_them_back_when_asked() -> None:
    stored = Stored(LEAVES)
    tree = MerkleTree(stored)
    tree.extend(LEAVES)
    tree.settle(tree.size)
    assert stored.reads == 0
    levels, dropped = tree._snap
    assert dropped == MAX_SIZE // BLOCK
    assert len(levels[0]) == (MAX_SIZE % BLOCK) * 32  # only the block being filled
    assert tree.root() == TREE.root() and tree.root(1000) == TREE.root(1000)
    assert tree.inclusion_proof(5, 2999) == TREE.inclusion_proof(5, 2999)
    reads = stored.reads
    assert tree.inclusion_proof(6, 2999) == TREE.inclusion_proof(6, 2999)
    assert stored.reads == reads  # the block is cached
    # A tile that spans read-back blocks and the kept tail.
    assert tree.hashes_at(0, 2000, 900) == TREE.hashes_at(0, 2000, 900)
    assert tree.hashes_at(3, 10, 300) == TREE.hashes_at(3, 10, 300)


def test_a_tree_without_a_loader_keeps_everything_when_told_to_settle() -> None:
    tree = MerkleTree.from_entry_ids(LEAVES)
    tree.settle(tree.size)
    assert tree._snap[1] == 0 and tree.root() == TREE.root()


def test_settling_beyond_the_tree_or_backwards_changes_nothing() -> None:
    tree = MerkleTree(Stored(LEAVES))
    tree.extend(LEAVES[:600])
    tree.settle(10_000)
    assert tree._snap[1] == 2
    tree.settle(100)
    assert tree._snap[1] == 2
    tree.extend(LEAVES[600:])
    assert tree.root() == TREE.root() and tree.size == MAX_SIZE


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 600), max_size=10), st.data())
def test_a_tree_settled_as_it_grows_is_the_same_tree(steps: list[int], data: st.DataObject) -> None:
    tree = settled_tree(LEAVES, steps)
    size = tree.size
    assert size == min(sum(steps), MAX_SIZE)
    assert tree.root() == TREE.root(size)
    if size:
        index = data.draw(st.integers(0, size - 1))
        assert tree.inclusion_proof(index, size) == TREE.inclusion_proof(index, size)
        old = data.draw(st.integers(0, size))
        assert tree.consistency_proof(old, size) == TREE.consistency_proof(old, size)
        assert tree.leaf_hash_at(index) == leaf_hash(LEAVES[index])


def test_stored_leaves_that_were_changed_or_lost_are_refused() -> None:
    changed = Stored(LEAVES)
    tree = MerkleTree(changed)
    tree.extend(LEAVES[:1000])
    tree.settle(1000)
    changed.leaves[300] = hashlib.sha256(b"another entry").digest()
    with pytest.raises(StorageError, match="block 1 do not hash"):
        tree.inclusion_proof(300, 1000)
    assert tree.inclusion_proof(5, 1000) == TREE.inclusion_proof(5, 1000)  # block 0 is fine
    lost = Stored(LEAVES[:600])
    tree = MerkleTree(lost)
    tree.extend(LEAVES[:1000])
    lost.leaves = LEAVES[:700]
    tree.settle(1000)
    with pytest.raises(StorageError, match="are 188, not 256"):
        tree.leaf_hash_at(600)


# -- tampering ----------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(size_and_index(min_size=2), st.data())
def test_an_inclusion_proof_with_any_bit_flipped_is_rejected(
    case: tuple[int, int], data: st.DataObject
) -> None:
    size, index = case
    proof = TREE.inclusion_proof(index, size)
    item = data.draw(st.integers(0, len(proof) - 1))
    bit = data.draw(st.integers(0, 255))
    with pytest.raises(InclusionProofError):
        verify_inclusion(
            TREE.leaf_hash_at(index), index, size, flip(proof, item, bit), TREE.root(size)
        )


@settings(max_examples=200, deadline=None)
@given(size_and_index(), st.data())
def test_an_inclusion_proof_for_another_index_is_rejected(
    case: tuple[int, int], data: st.DataObject
) -> None:
    size, index = case
    proof = TREE.inclusion_proof(index, size)
    other = data.draw(st.integers(-3, size + 3).filter(lambda i: i != index))
    with pytest.raises(InclusionProofError):
        verify_inclusion(TREE.leaf_hash_at(index), other, size, proof, TREE.root(size))


@settings(max_examples=200, deadline=None)
@given(size_and_index(min_size=2), st.booleans())
def test_a_truncated_or_extended_inclusion_proof_is_rejected(
    case: tuple[int, int], extend: bool
) -> None:
    size, index = case
    proof = TREE.inclusion_proof(index, size)
    wrong = [*proof, SOME_HASH] if extend else proof[:-1]
    with pytest.raises(InclusionProofError):
        verify_inclusion(TREE.leaf_hash_at(index), index, size, wrong, TREE.root(size))


@settings(max_examples=200, deadline=None)
@given(two_sizes(), st.data())
def test_a_consistency_proof_with_any_bit_flipped_is_rejected(
    sizes: tuple[int, int], data: st.DataObject
) -> None:
    old, new = sizes
    proof = TREE.consistency_proof(old, new)
    item = data.draw(st.integers(0, len(proof) - 1))
    bit = data.draw(st.integers(0, 255))
    with pytest.raises(ConsistencyProofError):
        verify_consistency(old, new, TREE.root(old), TREE.root(new), flip(proof, item, bit))


@settings(max_examples=200, deadline=None)
@given(two_sizes(), st.sampled_from(["truncated", "extended", "prepended", "swapped roots"]))
def test_a_truncated_extended_or_misapplied_consistency_proof_is_rejected(
    sizes: tuple[int, int], how: str
) -> None:
    old, new = sizes
    proof = TREE.consistency_proof(old, new)
    r1, r2 = TREE.root(old), TREE.root(new)
    if how == "truncated":
        proof = proof[:-1]
    elif how == "extended":
        proof = [*proof, SOME_HASH]
    elif how == "prepended":
        proof = [SOME_HASH, *proof]
    else:
        r1, r2 = r2, r1
    with pytest.raises(ConsistencyProofError):
        verify_consistency(old, new, r1, r2, proof)


# -- verifier edge cases ------------------------------------------------------------------------


def test_a_single_leaf_tree_needs_an_empty_proof_and_its_root_is_the_leaf_hash() -> None:
    leaf = leaf_hash(b"data")
    verify_inclusion(leaf, 0, 1, [], leaf)
    with pytest.raises(InclusionProofError):
        verify_inclusion(leaf, 0, 1, [], SOME_HASH)
    with pytest.raises(InclusionProofError):
        verify_inclusion(leaf, 0, 1, [SOME_HASH], leaf)
    with pytest.raises(InclusionProofError):
        verify_inclusion(b"", 0, 1, [], leaf)
    with pytest.raises(InclusionProofError):
        verify_inclusion(leaf, 0, 1, [], b"")


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (1, 1), (2, 1), (-1, 5), (5, 5)])
def test_an_index_not_below_the_size_is_rejected(index: int, size: int) -> None:
    with pytest.raises(InclusionProofError):
        verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)


def test_the_last_leaf_of_every_small_tree_verifies() -> None:
    for size in range(1, 70):
        proof = TREE.inclusion_proof(size - 1, size)
        verify_inclusion(TREE.leaf_hash_at(size - 1), size - 1, size, proof, TREE.root(size))


def test_inclusion_proof_hashes_must_be_32_bytes() -> None:
    proof = TREE.inclusion_proof(3, 10)
    proof[1] = proof[1] + b"\x00"
    with pytest.raises(InclusionProofError):
        verify_inclusion(TREE.leaf_hash_at(3), 3, 10, proof, TREE.root(10))


R1 = hashlib.sha256(b"root one").digest()
R2 = hashlib.sha256(b"root two").digest()


@pytest.mark.parametrize(
    ("old", "new", "root1", "root2", "proof"),
    [
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, []),
        (0, 1, EMPTY_ROOT, R2, []),
        (0, 12345, EMPTY_ROOT, R2, []),
        (1, 1, R1, R1, []),
        (7, 7, R2, R2, []),
    ],
)
def test_trivially_consistent_trees_verify(
    old: int, new: int, root1: bytes, root2: bytes, proof: list[bytes]
) -> None:
    verify_consistency(old, new, root1, root2, proof)


@pytest.mark.parametrize(
    ("old", "new", "root1", "root2", "proof"),
    [
        (0, 0, R1, R2, []),  # roots differ
        (1, 1, R1, R2, []),  # roots differ
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT]),  # equal sizes need an empty proof
        (0, 1, EMPTY_ROOT, R2, [EMPTY_ROOT]),  # from the empty tree the proof is empty
        (1, 1, R1, R1, [R1]),  # equal sizes need an empty proof
        (0, 5, R1, R2, []),  # the empty tree's root is the hash of nothing
        (1, 0, R1, R2, []),  # time travel
        (2, 1, R1, R2, []),  # time travel
        (1, 2, R1, R2, []),  # an empty proof for growth
        (1, 2, R1[:31], R2, [R1]),  # short root
        (1, 2, R1, R2 + b"\x00", [R1]),  # long root
        (1, 2, R1, R2, [R1[:16]]),  # short proof hash
        (-1, 2, R1, R2, [R1]),
        (1, 1 << 64, R1, R2, [R1]),
    ],
)
def test_impossible_consistency_claims_are_rejected(
    old: int, new: int, root1: bytes, root2: bytes, proof: list[bytes]
) -> None:
    with pytest.raises(ConsistencyProofError):
        verify_consistency(old, new, root1, root2, proof)


# -- programming mistakes and missing data ------------------------------------------------------


def test_reading_beyond_the_tree_raises_not_found() -> None:
    tree = MerkleTree.from_entry_ids(LEAVES[:10])
    for call in (
        lambda: tree.root(11),
        lambda: tree.leaf_hash_at(10),
        lambda: tree.hash_at(1, 5),
        lambda: tree.hash_at(4, 0),
        lambda: tree.hashes_at(0, 8, 3),
        lambda: tree.inclusion_proof(10, 10),
        lambda: tree.inclusion_proof(0, 0),
        lambda: tree.inclusion_proof(0, 11),
        lambda: tree.consistency_proof(1, 11),
        lambda: MerkleTree().leaf_hash_at(0),
    ):
        with pytest.raises(NotFound):
            call()


def test_arguments_that_cannot_be_right_raise_value_error() -> None:
    tree = MerkleTree.from_entry_ids(LEAVES[:10])
    for call in (
        lambda: tree.root(-1),
        lambda: tree.leaf_hash_at(-1),
        lambda: tree.hash_at(-1, 0),
        lambda: tree.hash_at(0, -1),
        lambda: tree.hashes_at(0, 0, -1),
        lambda: tree.inclusion_proof(-1, 5),
        lambda: tree.inclusion_proof(0, -1),
        lambda: tree.consistency_proof(-1, 5),
        lambda: tree.consistency_proof(6, 5),
        lambda: tree.append_leaf_hash(b"short"),
        lambda: tree.extend_leaf_hashes([b"x" * 31]),
        lambda: MerkleTree.from_leaf_hashes(b"x" * 33),
    ):
        with pytest.raises(ValueError):
            call()
    assert tree.size == 10


def test_trivial_consistency_proofs_are_empty() -> None:
    assert TREE.consistency_proof(0, 100) == []
    assert TREE.consistency_proof(100, 100) == []
    assert TREE.consistency_proof(0, 0) == []


def test_leaves_loaded_from_storage_are_let_go_of_as_they_come() -> None:
    stored = Stored(LEAVES)
    tree = MerkleTree(stored)
    assert tree.extend_stored(iter(LEAVES[:1000])) == 0
    assert tree.extend_stored(LEAVES[1000:]) == 1000
    assert tree._snap[1] == MAX_SIZE // BLOCK and tree.size == MAX_SIZE
    assert tree.root() == TREE.root()
    assert tree.inclusion_proof(7, 2500) == TREE.inclusion_proof(7, 2500)
