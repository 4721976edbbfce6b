"""Run every benchmark in one go and print their figures (``make bench``).

Each benchmark prints its own table with ratios against a baseline measured in the same run
(the raw Ed25519 verify rate, pymerkle), which stay meaningful on a noisy machine where absolute
times do not. ``--quick`` runs smaller sizes, for a check that everything still runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

SUITES = ("bench_merkle", "bench_hub", "bench_nodes", "bench_compliance", "bench_pages",
          "bench_event_coding", "bench_audit", "bench_reads", "bench_failover", "bench_soak")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    parser.add_argument("suites", nargs="*", default=list(SUITES), help="which to run")
    args = parser.parse_args()
    for name in args.suites:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            print(f"== {name}: not available ({exc})")
            continue
        print(f"== {name}")
        started = time.perf_counter()
        argv = ["--quick"] if args.quick else []
        saved = sys.argv
        sys.argv = [name, *argv] if getattr(module, "ACCEPTS_QUICK", False) else [name]
        try:
            module.main()
        finally:
            sys.argv = saved
        print(f"   ({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
