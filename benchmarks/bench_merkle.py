"""Benchmark gulfsec's MerkleTree against pymerkle's InmemoryTree.

Run ``python benchmarks/bench_merkle.py [--n 1000000]`` or call ``run(n)``. Both trees are
built leaf by leaf from the same ``n`` 32-byte entry ids (pymerkle is stopped early and the
comparison made at the size it reached if it would take more than ``PYMERKLE_BUDGET_S``); then,
at that equal size, the median and p99 time of inclusion proofs for random leaves, of
consistency proofs from random older sizes, and of verifying each. Times are per call.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import random
import statistics
import time
from collections.abc import Callable, Sequence
from functools import partial

from pymerkle import InmemoryTree

from gulfsec.ledger.proofs import verify_consistency, verify_inclusion
from gulfsec.ledger.tree import MerkleTree, leaf_hash

PYMERKLE_BUDGET_S = 120.0
SAMPLES = 1000
SEED = 9162


def _entry_ids(n: int) -> list[bytes]:
    return [hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(n)]


def _timed(calls: Sequence[Callable[[], object]]) -> list[float]:
    """Seconds taken by each call, in order."""
    out = []
    clock = time.perf_counter
    for call in calls:
        t0 = clock()
        call()
        out.append(clock() - t0)
    return out


def _median(xs: list[float]) -> float:
    return statistics.median(xs)


def _p99(xs: list[float]) -> float:
    return sorted(xs)[min(len(xs) - 1, int(len(xs) * 0.99))]


def run(n: int = 1_000_000, *, pymerkle_budget_s: float = PYMERKLE_BUDGET_S) -> dict[str, float]:
    """Build both trees of ``n`` leaves and time them; return the figures (seconds, per call,
    unless the key says otherwise)."""
    rng = random.Random(SEED)
    ids = _entry_ids(n)
    r: dict[str, float] = {"n": float(n), "pymerkle_budget_s": pymerkle_budget_s}

    # -- building ---------------------------------------------------------------------------
    gc.collect()
    ours = MerkleTree()
    append = ours.append
    t0 = time.perf_counter()
    for entry_id in ids:
        append(entry_id)
    r["ours_append_per_s"] = n / (time.perf_counter() - t0)

    t0 = time.perf_counter()
    bulk = MerkleTree.from_entry_ids(ids)
    r["ours_bulk_build_s"] = time.perf_counter() - t0
    assert bulk.root() == ours.root()
    del bulk
    r["ours_bytes_per_leaf"] = sum(len(level) for level in ours._levels) / n

    gc.collect()
    theirs = InmemoryTree()
    append_entry = theirs.append_entry
    t0 = time.perf_counter()
    built = 0
    deadline = t0 + pymerkle_budget_s
    for entry_id in ids:
        append_entry(entry_id)
        built += 1
        if built % 10_000 == 0 and time.perf_counter() > deadline:
            break
    r["pymerkle_append_per_s"] = built / (time.perf_counter() - t0)
    r["compared_size"] = float(built)
    size = built
    root = ours.root(size)
    if theirs.get_root() != root:
        raise AssertionError("pymerkle and gulfsec disagree on the root")

    # -- inclusion proofs --------------------------------------------------------------------
    indexes = [rng.randrange(size) for _ in range(SAMPLES)]
    ours_incl = _timed([partial(ours.inclusion_proof, i, size) for i in indexes])
    theirs_incl = _timed([partial(theirs.prove_inclusion, i + 1, size) for i in indexes])
    r["ours_inclusion_median_s"] = _median(ours_incl)
    r["ours_inclusion_p99_s"] = _p99(ours_incl)
    r["pymerkle_inclusion_median_s"] = _median(theirs_incl)
    r["pymerkle_inclusion_p99_s"] = _p99(theirs_incl)

    # The first proof at each size has to hash its right edge: random historical sizes.
    sizes = [rng.randrange(1, size + 1) for _ in range(SAMPLES)]
    cold = _timed([partial(ours.inclusion_proof, rng.randrange(s), s) for s in sizes])
    r["ours_inclusion_random_size_median_s"] = _median(cold)
    r["ours_inclusion_random_size_p99_s"] = _p99(cold)

    # -- consistency proofs ------------------------------------------------------------------
    olds = [rng.randrange(1, size) for _ in range(SAMPLES)]
    ours_cons = _timed([partial(ours.consistency_proof, m, size) for m in olds])
    theirs_cons = _timed([partial(theirs.prove_consistency, m, size) for m in olds])
    r["ours_consistency_median_s"] = _median(ours_cons)
    r["ours_consistency_p99_s"] = _p99(ours_cons)
    r["pymerkle_consistency_median_s"] = _median(theirs_cons)
    r["pymerkle_consistency_p99_s"] = _p99(theirs_cons)

    # -- verification ------------------------------------------------------------------------
    leaves = [leaf_hash(ids[i]) for i in indexes]
    ours_verify = [
        partial(verify_inclusion, leaf, i, size, ours.inclusion_proof(i, size), root)
        for leaf, i in zip(leaves, indexes, strict=True)
    ]
    theirs_verify = [
        partial(theirs.prove_inclusion(i + 1, size).verify, leaf, root)
        for leaf, i in zip(leaves, indexes, strict=True)
    ]
    r["ours_verify_inclusion_median_s"] = _median(_timed(ours_verify))
    r["pymerkle_verify_inclusion_median_s"] = _median(_timed(theirs_verify))
    ours_cverify = [
        partial(verify_consistency, m, size, ours.root(m), root, ours.consistency_proof(m, size))
        for m in olds
    ]
    theirs_cverify = [
        partial(theirs.prove_consistency(m, size).verify, ours.root(m), root) for m in olds
    ]
    r["ours_verify_consistency_median_s"] = _median(_timed(ours_cverify))
    r["pymerkle_verify_consistency_median_s"] = _median(_timed(theirs_cverify))
    return r


def _report(r: dict[str, float]) -> str:
    n = int(r["n"])
    size = int(r["compared_size"])
    lines = [f"Merkle tree benchmark: {n:,} leaves, {SAMPLES} random samples per figure"]
    if size < n:
        lines.append(
            f"pymerkle was stopped at {size:,} leaves after {r['pymerkle_budget_s']:.0f} s; "
            f"proofs are compared at that size (gulfsec's tree holds {n:,})."
        )
    else:
        lines.append(f"Both trees hold {size:,} leaves; proofs are at that size.")
    lines.append("")
    head = f"{'':34} {'gulfsec':>12} {'pymerkle':>12} {'ours/theirs':>12} {'speed-up':>9}"
    lines += [head, "-" * len(head)]

    def rate(label: str, key: str) -> None:
        ours, theirs = r[f"ours_{key}"], r[f"pymerkle_{key}"]
        lines.append(
            f"{label:34} {ours:>12,.0f} {theirs:>12,.0f} {ours / theirs:>12.2f} "
            f"{ours / theirs:>8.1f}x"
        )

    def time_row(label: str, key: str) -> None:
        ours, theirs = r[f"ours_{key}"], r[f"pymerkle_{key}"]
        lines.append(
            f"{label:34} {ours * 1e6:>10.1f}us {theirs * 1e6:>10.1f}us {ours / theirs:>12.3f} "
            f"{theirs / ours:>8.1f}x"
        )

    rate("appends per second", "append_per_s")
    time_row("inclusion proof, median", "inclusion_median_s")
    time_row("inclusion proof, p99", "inclusion_p99_s")
    time_row("consistency proof, median", "consistency_median_s")
    time_row("consistency proof, p99", "consistency_p99_s")
    time_row("verify inclusion, median", "verify_inclusion_median_s")
    time_row("verify consistency, median", "verify_consistency_median_s")
    lines += [
        "",
        f"gulfsec only: bulk build of {n:,} leaves {r['ours_bulk_build_s']:.2f} s; "
        f"{r['ours_bytes_per_leaf']:.1f} bytes of hashes per leaf;",
        f"  inclusion proof at a random historical size (right edge not memoised): median "
        f"{r['ours_inclusion_random_size_median_s'] * 1e6:.1f}us, "
        f"p99 {r['ours_inclusion_random_size_p99_s'] * 1e6:.1f}us",
    ]
    return "\n".join(lines)


ACCEPTS_QUICK = True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=1_000_000, help="leaves (default 1,000,000)")
    parser.add_argument("--quick", action="store_true", help="10,000 leaves")
    args = parser.parse_args()
    print(_report(run(10_000 if args.quick else args.n)))


if __name__ == "__main__":
    main()
