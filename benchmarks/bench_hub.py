"""Hub throughput and audit cost, side by side with the raw Ed25519 verify rate.

Prints, in one run on this machine:
- the raw Ed25519 verifications per second of ``cryptography`` (the ceiling);
- the hub's sustained append rate (parse, regime and form checks, signature check, sequencing,
  durable batched commit with one signed checkpoint per batch) on SQLite and PostgreSQL, in
  process and over HTTP;
- the time to audit N entries (parse, verify every signature, replay keys and sequences,
  recompute the root) against the time to verify N signatures alone.

    python benchmarks/bench_hub.py [--append N] [--audit N] [--pg URL]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from gulfsec.adapters.clock import ManualClock
from gulfsec.adapters.storage.engine import create_db_engine
from gulfsec.adapters.storage.migrate import migrate
from gulfsec.domain.entry import ALL, Entry, SignedEntry, sign_entry
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import default_regime
from gulfsec.ledger.note import Checkpoint
from gulfsec.services.hub import Hub, Receipt
from gulfsec.services.participant import registration_request
from gulfsec.services.shared.audit import audit_entries

PG_URL = os.environ.get("GULFSEC_TEST_PG_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NOW = datetime.now(UTC).replace(microsecond=0)


def verify_ceiling(n: int = 20_000) -> float:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    message = os.urandom(400)
    sig = key.sign(message)
    start = time.perf_counter()
    for _ in range(n):
        public.verify(sig, message)
    return n / (time.perf_counter() - start)


class History:
    """Signed entries from every participant, as a regime's log would hold them."""

    def __init__(self, n: int, seed: int = 7) -> None:
        self.regime = default_regime()
        self.sec = SigningKey.generate("SEC")
        self.log_key = SigningKey.generate(self.regime.log_origin)
        parties = list(self.regime.participants)
        self.keys = {p: SigningKey.generate(p) for p in parties}
        rng = random.Random(seed)
        genesis = sign_entry(Entry("key-registration@1", "SEC", self.sec.key_id_hex, 0, NOW, ALL,
                                   {"party": "SEC", "vkey": self.sec.verifier.encode()}),
                             self.sec)
        self.setup: list[SignedEntry] = [genesis] + [
            registration_request(self.keys[p], p, NOW).countersigned(self.sec) for p in parties
        ]
        seq = dict.fromkeys(parties, 1)
        self.entries: list[bytes] = []
        text = "Notification under the regime. " * 8
        for i in range(n):
            party = parties[i % len(parties)]
            other = rng.choice([p for p in parties if p != party])
            audience: Any = ALL if i % 3 == 0 else tuple(sorted({other}))
            entry = Entry("message@1", party, self.keys[party].key_id_hex, seq[party], NOW,
                          audience, {"subject": f"item {i}", "text": text})
            seq[party] += 1
            self.entries.append(sign_entry(entry, self.keys[party]).raw)


def _fresh_pg() -> tuple[str, str]:
    name = f"gulfsec_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, sa.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def _drop_pg(name: str) -> None:
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _with_database(kind: str, work: Callable[[str], float]) -> float:
    if kind == "sqlite":
        tmp = tempfile.mkdtemp(prefix="gulfsec-bench-")
        try:
            return work(f"sqlite:///{tmp}/hub.db")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    name, url = _fresh_pg()
    try:
        return work(url)
    finally:
        _drop_pg(name)


def append_in_process(history: History, url: str, n: int) -> float:
    """Entries per second through Hub.prepare + sequencer, durable, one producer thread."""
    engine = create_db_engine(url)
    migrate(engine, "hub")
    hub = Hub(history.regime, engine, history.log_key, ManualClock(NOW))
    hub.start()
    try:
        for signed in history.setup:
            hub.submit(signed.raw)
        raws = history.entries[:n]
        start = time.perf_counter()
        futures: list[Future[Receipt]] = [hub.enqueue(hub.prepare(raw)) for raw in raws]
        for fut in futures:
            fut.result()
        elapsed = time.perf_counter() - start
    finally:
        hub.stop()
        engine.dispose()
    return n / elapsed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def append_over_http(history: History, url: str, n: int, batch: int = 1) -> float:
    """Entries per second over HTTP: a hub process, one concurrent submitter per sender, each
    posting ``batch`` entries per request (1: ``POST /v1/entries``; more: the batch route)."""
    import httpx

    from gulfsec.adapters import keystore

    tmp = Path(tempfile.mkdtemp(prefix="gulfsec-bench-http-"))
    port = _free_port()
    (tmp / "log.seed").write_bytes(history.log_key.seed)
    env = dict(os.environ, GULFSEC_DATA_DIR=str(tmp), GULFSEC_DATABASE_URL=url,
               GULFSEC_LOG_KEY_FILE=str(tmp / "log.seed"), GULFSEC_ENV="development",
               GULFSEC_LOG_LEVEL="warning")
    del keystore
    proc = subprocess.Popen([sys.executable, "-m", "gulfsec.cli.main", "hub", "serve",
                             "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("hub did not start: " + (proc.stderr.read().decode()
                                                            if proc.stderr else ""))
            time.sleep(0.1)
        with httpx.Client(base_url=base) as client:
            for signed in history.setup:
                client.post("/v1/entries", content=signed.raw).raise_for_status()
        # Each sender's entries must arrive in sequence order: one client per sender stream.
        by_sender: dict[int, list[bytes]] = {}
        parties = list(history.regime.participants)
        for i, raw in enumerate(history.entries[:n]):
            by_sender.setdefault(i % len(parties), []).append(raw)
        streams = list(by_sender.values())

        def run(stream: list[bytes]) -> None:
            with httpx.Client(base_url=base, timeout=60) as client:
                if batch == 1:
                    for raw in stream:
                        client.post("/v1/entries", content=raw).raise_for_status()
                    return
                for i in range(0, len(stream), batch):
                    body = b"[" + b",".join(stream[i : i + batch]) + b"]"
                    response = client.post("/v1/entries/batch", content=body)
                    response.raise_for_status()
                    if not all(r["ok"] for r in response.json()["results"]):
                        raise RuntimeError("batch entry refused")

        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=len(streams)) as pool:
            list(pool.map(run, streams))
        return n / (time.perf_counter() - start)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


def audit_cost(history: History, n: int) -> tuple[float, float]:
    """(seconds to audit n entries, seconds to verify n signatures alone)."""
    from gulfsec.domain.entry import parse_signed_entry
    from gulfsec.ledger.tree import MerkleTree

    raws = [s.raw for s in history.setup] + history.entries[:n]
    pairs = []
    for raw in history.entries[:n]:
        signed = parse_signed_entry(raw, max_bytes=1 << 16)
        key = history.keys[signed.entry.sender].verifier
        pairs.append((key, signed.signing_bytes, signed.signatures[0].sig))
    tree = MerkleTree()
    for raw in raws:
        tree.append(parse_signed_entry(raw, max_bytes=1 << 16).id)
    checkpoint = Checkpoint(history.regime.log_origin, tree.size, tree.root())
    del tree
    start = time.perf_counter()
    for key, message, sig in pairs:
        if not key.verify(message, sig):
            raise RuntimeError("signature did not verify")
    verify_only = time.perf_counter() - start
    start = time.perf_counter()
    result = audit_entries(history.regime, raws, checkpoint)
    audit = time.perf_counter() - start
    if not result.ok:
        raise RuntimeError(f"audit failed: {result.problems[:3]}")
    return audit, verify_only


def run(append_n: int = 20_000, http_n: int = 5_000, audit_n: int = 1_000_000,
        echo: Callable[[str], None] = print) -> dict[str, float]:
    figures: dict[str, float] = {}
    history = History(max(append_n, http_n))
    ceiling = verify_ceiling()
    figures["verify_per_s"] = ceiling
    echo(f"raw Ed25519 verify (cryptography, 1 core):   {ceiling:10,.0f} /s   (the ceiling)")
    for kind in ("sqlite", "postgres"):
        rate = _with_database(kind, lambda url: append_in_process(history, url, append_n))
        figures[f"append_{kind}_per_s"] = rate
        echo(f"hub append, in process, {kind:8}:         {rate:10,.0f} /s   "
             f"{rate / ceiling:5.0%} of ceiling")
    for kind in ("sqlite", "postgres"):
        for batch in (1, 64):
            rate = _with_database(
                kind, lambda url, b=batch: append_over_http(history, url, http_n, b))
            figures[f"append_http{batch}_{kind}_per_s"] = rate
            how = "one per request" if batch == 1 else f"{batch} per request"
            echo(f"hub append, HTTP {how:>15}, {kind:8}: {rate:8,.0f} /s   "
                 f"{rate / ceiling:5.0%} of ceiling")
    echo(f"generating {audit_n:,} signed entries from "
         f"{len(default_regime().participants)} participants for the audit …")
    started = time.perf_counter()
    history = History(audit_n)
    echo(f"  ({time.perf_counter() - started:.0f} s)")
    audit, verify_only = audit_cost(history, audit_n)
    figures["audit_s"] = audit
    figures["verify_only_s"] = verify_only
    echo(f"audit {audit_n:,} entries:                 {audit:10.1f} s    "
         f"verify alone {verify_only:.1f} s, ratio {audit / verify_only:.2f}×")
    return figures


ACCEPTS_QUICK = True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--append", type=int, default=20_000)
    parser.add_argument("--http", type=int, default=5_000)
    parser.add_argument("--audit", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="small sizes")
    args = parser.parse_args()
    if args.quick:
        args.append, args.http, args.audit = 2_000, 500, 5_000
    run(args.append, args.http, args.audit)


if __name__ == "__main__":
    main()
