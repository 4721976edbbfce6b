"""RFC 9162 §2.1.3.2 and §2.1.4.2 proof verifiers: pure arithmetic over bytes.

``verify_inclusion``, ``verify_consistency`` and ``root_from_inclusion_proof`` follow the RFC's
algorithms step by step (the steps are labelled): they return ``None`` (or the computed root)
or raise ``InclusionProofError`` / ``ConsistencyProofError``. They need nothing but hashes and
sizes; the tree that builds proofs is :class:`gulfsec.ledger.tree.MerkleTree`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from gulfsec.errors import ConsistencyProofError, InclusionProofError
from gulfsec.ledger.tree import EMPTY_ROOT, HASH_SIZE, MAX_SIZE

__all__ = ["root_from_inclusion_proof", "verify_consistency", "verify_inclusion"]

_NODE_PREFIX = b"\x01"
_sha256 = hashlib.sha256



def _is_hash(value: object) -> bool:
    return isinstance(value, bytes | bytearray) and len(value) == HASH_SIZE


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """Return the root that ``proof`` gives for leaf ``index`` of a tree of ``size`` leaves.

    Runs RFC 9162 §2.1.3.2 steps 1-4 and the size check of step 5; raises
    ``InclusionProofError`` if the arguments or the proof's length cannot be right.
    """
    if not isinstance(index, int) or not isinstance(size, int):
        raise InclusionProofError("leaf index and tree size must be integers")
    if index < 0 or size < 0 or size >= MAX_SIZE:
        raise InclusionProofError(f"leaf index {index} or tree size {size} is out of range")
    # Step 1.
    if index >= size:
        raise InclusionProofError(f"leaf index {index} is not below tree size {size}")
    if not _is_hash(leaf_hash):
        raise InclusionProofError(f"leaf hash must be {HASH_SIZE} bytes")
    for n, p in enumerate(proof):
        if not _is_hash(p):
            raise InclusionProofError(f"proof hash {n} is not {HASH_SIZE} bytes")
    sha = _sha256
    prefix = _NODE_PREFIX
    # Steps 2 and 3.
    fn = index
    sn = size - 1
    r = bytes(leaf_hash)
    # Step 4.
    for p in proof:
        if sn == 0:
            raise InclusionProofError(f"proof is longer than a tree of size {size} allows")
        if fn & 1 or fn == sn:
            r = sha(prefix + p + r).digest()
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = sha(prefix + r + p).digest()
        fn >>= 1
        sn >>= 1
    # Step 5, first half.
    if sn != 0:
        raise InclusionProofError(f"proof is shorter than a tree of size {size} needs")
    return r


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``proof`` shows leaf ``index`` with ``leaf_hash`` in the tree of ``size``
    leaves whose root is ``root`` (RFC 9162 §2.1.3.2); raise ``InclusionProofError`` if not."""
    if not _is_hash(root):
        raise InclusionProofError(f"root hash must be {HASH_SIZE} bytes")
    computed = root_from_inclusion_proof(leaf_hash, index, size, proof)
    if not hmac.compare_digest(computed, root):
        raise InclusionProofError(
            f"inclusion proof for leaf {index} does not lead to the root of tree size {size}"
        )


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that ``proof`` shows the tree of ``old_size`` leaves with ``old_root`` is a prefix
    of the tree of ``new_size`` leaves with ``new_root`` (RFC 9162 §2.1.4.2); raise
    ``ConsistencyProofError`` if not.

    Equal sizes need an empty proof and equal roots. The empty tree (``old_size`` 0, whose
    root must be ``EMPTY_ROOT``) is consistent with every tree and needs an empty proof.
    """
    if not isinstance(old_size, int) or not isinstance(new_size, int):
        raise ConsistencyProofError("tree sizes must be integers")
    if old_size < 0 or new_size < 0 or new_size >= MAX_SIZE:
        raise ConsistencyProofError(f"tree sizes {old_size} and {new_size} are out of range")
    if old_size > new_size:
        raise ConsistencyProofError(f"old size {old_size} is larger than new size {new_size}")
    if not _is_hash(old_root) or not _is_hash(new_root):
        raise ConsistencyProofError(f"root hashes must be {HASH_SIZE} bytes")
    for n, p in enumerate(proof):
        if not _is_hash(p):
            raise ConsistencyProofError(f"proof hash {n} is not {HASH_SIZE} bytes")
    if old_size == 0 and not hmac.compare_digest(old_root, EMPTY_ROOT):
        raise ConsistencyProofError("the root of the empty tree must be SHA-256 of nothing")
    if old_size == new_size:
        if proof:
            raise ConsistencyProofError("the proof between equal tree sizes must be empty")
        if not hmac.compare_digest(old_root, new_root):
            raise ConsistencyProofError(f"two different roots for tree size {new_size}")
        return
    if old_size == 0:
        if proof:
            raise ConsistencyProofError("the proof from the empty tree must be empty")
        return
    # Step 1.
    if not proof:
        raise ConsistencyProofError(f"empty proof between tree sizes {old_size} and {new_size}")
    # Step 2.
    path: list[bytes] = [bytes(p) for p in proof]
    if old_size & (old_size - 1) == 0:
        path.insert(0, bytes(old_root))
    sha = _sha256
    prefix = _NODE_PREFIX
    # Step 3.
    fn = old_size - 1
    sn = new_size - 1
    # Step 4.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # Step 5.
    fr = sr = path[0]
    # Step 6.
    for c in path[1:]:
        if sn == 0:
            raise ConsistencyProofError(
                f"proof is longer than tree sizes {old_size} and {new_size} allow"
            )
        if fn & 1 or fn == sn:
            fr = sha(prefix + c + fr).digest()
            sr = sha(prefix + c + sr).digest()
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = sha(prefix + sr + c).digest()
        fn >>= 1
        sn >>= 1
    # Step 7.
    if sn != 0:
        raise ConsistencyProofError(
            f"proof is shorter than tree sizes {old_size} and {new_size} need"
        )
    if not hmac.compare_digest(fr, old_root):
        raise ConsistencyProofError(f"proof does not lead to the root of tree size {old_size}")
    if not hmac.compare_digest(sr, new_root):
        raise ConsistencyProofError(f"proof does not lead to the root of tree size {new_size}")
