"""Hub throughput, CPU per entry and submission latency, against this machine's real ceiling.

Prints, in one run on this machine:
- Ed25519 verifications per second with every maintained library, on one thread and on every
  core (``ceiling.py``); every figure below is a ratio of the best all-cores rate;
- the hub's sustained append rate (parse, regime and form checks, signature check, sequencing,
  durable batched commit with one signed checkpoint per batch) on SQLite and PostgreSQL, in
  process (batches of 64 handed to ``Hub.prepare_batch``, as the batch route does) and over
  HTTP (``POST /v1/entries/batch``, 64 per request, one client per sender), at two log sizes;
- beside each rate, the hub's CPU time per appended entry in units of one signature
  verification on one thread with the library gulfsec uses (a figure that stays honest when
  the machine is busy);
- single-entry submission over HTTP (``POST /v1/entries``) from 50 concurrent senders, each
  sending its entries one after the other: the latency distribution, and one sender alone
  sending several in a row (no batch window to wait for before its next sequence number).

    python benchmarks/bench_hub.py [--append N] [--http N] [--single N]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa

from gulfsec.adapters.clock import ManualClock
from gulfsec.adapters.storage.engine import create_db_engine
from gulfsec.adapters.storage.migrate import migrate
from gulfsec.domain.entry import ALL, Entry, SignedEntry, sign_entry
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import Regime, default_regime
from gulfsec.services.hub import Hub
from gulfsec.services.participant import registration_request

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ceiling import measured  # noqa: E402

PG_URL = os.environ.get("GULFSEC_TEST_PG_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NOW = datetime.now(UTC).replace(microsecond=0)
BATCH = 64
SENDERS = 50


class History:
    """Signed entries from every participant, as a regime's log would hold them."""

    def __init__(self, n: int, seed: int = 7, regime: Regime | None = None) -> None:
        self.regime = regime or default_regime()
        self.sec = SigningKey.generate("SEC")
        self.log_key = SigningKey.generate(self.regime.log_origin)
        parties = list(self.regime.participants)
        self.parties = parties
        self.keys = {p: SigningKey.generate(p) for p in parties}
        rng = random.Random(seed)
        genesis = sign_entry(Entry("key-registration@1", "SEC", self.sec.key_id_hex, 0, NOW, ALL,
                                   {"party": "SEC", "vkey": self.sec.verifier.encode()}),
                             self.sec)
        self.setup: list[SignedEntry] = [genesis] + [
            registration_request(self.keys[p], p, NOW).countersigned(self.sec) for p in parties
        ]
        self.seq = dict.fromkeys(parties, 1)
        self.entries: list[bytes] = []
        self.senders: list[str] = []
        self._rng = rng
        self.extend(n)

    def extend(self, n: int) -> None:
        parties, rng = self.parties, self._rng
        text = "Notification under the regime. " * 8
        for _ in range(n):
            i = len(self.entries)
            party = parties[i % len(parties)]
            other = rng.choice([p for p in parties if p != party])
            audience: Any = ALL if i % 3 == 0 else tuple(sorted({other}))
            entry = Entry("message@1", party, self.keys[party].key_id_hex, self.seq[party], NOW,
                          audience, {"subject": f"item {i}", "text": text})
            self.seq[party] += 1
            self.entries.append(sign_entry(entry, self.keys[party]).raw)
            self.senders.append(party)

    def streams(self, start: int, stop: int) -> list[list[bytes]]:
        """Entries ``start:stop`` split by sender, each in its sequence order."""
        by_sender: dict[str, list[bytes]] = {}
        for i in range(start, stop):
            by_sender.setdefault(self.senders[i], []).append(self.entries[i])
        return list(by_sender.values())


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


T = TypeVar("T")


def _with_database(kind: str, work: Callable[[str], T]) -> T:
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


@dataclass(frozen=True)
class Rate:
    """Entries per second, and the hub's CPU seconds per entry."""

    per_s: float
    cpu_per_entry_s: float


def _batches(raws: list[bytes]) -> list[bytes]:
    return [b"[" + b",".join(raws[i : i + BATCH]) + b"]" for i in range(0, len(raws), BATCH)]


def append_in_process(history: History, url: str, sizes: list[int]) -> list[Rate]:
    """For each of ``sizes`` (cumulative): entries per second through ``Hub.prepare_batch``
    and the sequencer, durable, one producer thread handing batches of 64, and the CPU time
    this process spent per entry (all its threads)."""
    engine = create_db_engine(url)
    migrate(engine, "hub")
    hub = Hub(history.regime, engine, history.log_key, ManualClock(NOW))
    hub.start()
    rates = []
    try:
        hub.submit_signed(hub.prepare(history.setup[0].raw, genesis=True))
        for signed in history.setup[1:]:
            hub.submit(signed.raw)
        done = 0
        for size in sizes:
            # fill up to the size quietly, then time the next chunk at that size
            _append_all(hub, history.entries[done : size - min(size, 20_000) // 2])
            done = size - min(size, 20_000) // 2
            timed = history.entries[done:size]
            cpu, start = time.process_time(), time.perf_counter()
            _append_all(hub, timed)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
            done = size
            rates.append(Rate(len(timed) / elapsed, cpu / len(timed)))
    finally:
        hub.stop()
        engine.dispose()
    return rates


def _append_all(hub: Hub, raws: list[bytes]) -> None:
    waiting: list[Future[list[Any]]] = []
    for body in _batches(raws):
        waiting.append(hub.enqueue_many(hub.prepare_batch(body)))
        if len(waiting) > 8:  # keep a few batches in flight, as concurrent requests would
            _settle(waiting.pop(0))
    for future in waiting:
        _settle(future)


def _settle(future: Future[list[Any]]) -> None:
    for outcome in future.result(timeout=120):
        if isinstance(outcome, Exception):
            raise outcome


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ServedHub:
    """A ``gulfsec hub serve`` process on loopback, for as long as the ``with`` lasts."""

    def __init__(self, history: History, url: str, regime_path: Path | None = None) -> None:
        self.history, self.url, self.regime_path = history, url, regime_path

    def __enter__(self) -> ServedHub:
        import httpx

        self.tmp = Path(tempfile.mkdtemp(prefix="gulfsec-bench-http-"))
        port = _free_port()
        (self.tmp / "log.seed").write_bytes(self.history.log_key.seed)
        env = dict(os.environ, GULFSEC_DATA_DIR=str(self.tmp), GULFSEC_DATABASE_URL=self.url,
                   GULFSEC_LOG_KEY_FILE=str(self.tmp / "log.seed"), GULFSEC_ENV="development",
                   GULFSEC_LOG_LEVEL="warning")
        if self.regime_path is not None:
            env["GULFSEC_REGIME_PATH"] = str(self.regime_path)
        # the genesis entry goes in as `gulfsec hub init` puts it, never over the network
        engine = create_db_engine(self.url)
        migrate(engine, "hub")
        hub = Hub(self.history.regime, engine, self.history.log_key, ManualClock(NOW))
        hub.start()
        hub.submit_signed(hub.prepare(self.history.setup[0].raw, genesis=True))
        hub.stop()
        engine.dispose()
        self.proc = subprocess.Popen([sys.executable, "-m", "gulfsec.cli.main", "hub", "serve",
                                      "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.base}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("hub did not start: " + (
                    self.proc.stderr.read().decode() if self.proc.stderr else ""))
            time.sleep(0.1)
        with httpx.Client(base_url=self.base) as client:
            for signed in self.history.setup[1:]:
                client.post("/v1/entries", content=signed.raw).raise_for_status()
        return self

    def cpu_s(self) -> float:
        return _cpu_s(self.proc.pid)

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        shutil.rmtree(self.tmp, ignore_errors=True)


def _post_batches(base: str, stream: list[bytes]) -> None:
    import httpx

    with httpx.Client(base_url=base, timeout=120) as client:
        for body in _batches(stream):
            response = client.post("/v1/entries/batch", content=body)
            response.raise_for_status()
            if not all(r["ok"] for r in response.json()["results"]):
                raise RuntimeError(f"batch entry refused: {response.text[:300]}")


def append_over_http(history: History, url: str, sizes: list[int]) -> list[Rate]:
    """For each of ``sizes``: entries per second over HTTP with the batch route (64 entries
    per request, one client per sender, all senders at once) and the hub process's CPU time
    per entry."""
    rates = []
    with ServedHub(history, url) as hub:
        done = 0
        for size in sizes:
            fill = size - min(size, 10_000) // 2
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(lambda s: _post_batches(hub.base, s),
                              history.streams(done, fill)))
            streams = history.streams(fill, size)
            cpu, start = hub.cpu_s(), time.perf_counter()
            with ThreadPoolExecutor(max_workers=len(streams)) as pool:
                list(pool.map(lambda s: _post_batches(hub.base, s), streams))
            elapsed, cpu = time.perf_counter() - start, hub.cpu_s() - cpu
            rates.append(Rate((size - fill) / elapsed, cpu / (size - fill)))
            done = size
    return rates


@dataclass(frozen=True)
class Latency:
    p50_ms: float
    p99_ms: float
    per_s: float
    cpu_per_entry_s: float
    alone_p50_ms: float
    window_ms: float


def single_entry_latency(url: str, per_sender: int) -> Latency:
    """``SENDERS`` concurrent senders, each posting its entries one at a time to
    ``POST /v1/entries`` and waiting for each receipt; then one sender alone."""
    import httpx
    from regimes import write_regime

    tmp = Path(tempfile.mkdtemp(prefix="gulfsec-bench-regime-"))
    try:
        regime = write_regime(tmp / "regime.toml", SENDERS + 2)
        history = History(0, regime=regime)
        senders = [p for p in history.parties if p != regime.secretariat.code][:SENDERS]
        if len(senders) < SENDERS:
            raise RuntimeError(f"the regime has only {len(senders)} senders")
        history.parties = senders
        history.extend(SENDERS * per_sender + 50)
        streams = history.streams(0, SENDERS * per_sender)
        alone = history.entries[SENDERS * per_sender:]
        with ServedHub(history, url, tmp / "regime.toml") as hub:
            latencies: list[float] = []
            lock = threading.Lock()

            def send(stream: list[bytes]) -> None:
                mine = []
                with httpx.Client(base_url=hub.base, timeout=60) as client:
                    for raw in stream:
                        start = time.perf_counter()
                        client.post("/v1/entries", content=raw).raise_for_status()
                        mine.append(time.perf_counter() - start)
                with lock:
                    latencies.extend(mine)

            cpu, start = hub.cpu_s(), time.perf_counter()
            with ThreadPoolExecutor(max_workers=SENDERS) as pool:
                list(pool.map(send, streams))
            elapsed, cpu = time.perf_counter() - start, hub.cpu_s() - cpu
            n = len(latencies)
            # one sender alone, several in a row: each next entry can go as soon as the last
            # is answered
            alone_ms = []
            with httpx.Client(base_url=hub.base, timeout=60) as client:
                last = history.senders[SENDERS * per_sender]
                for raw, sender in zip(alone, history.senders[SENDERS * per_sender:],
                                       strict=True):
                    if sender != last:
                        continue
                    start = time.perf_counter()
                    client.post("/v1/entries", content=raw).raise_for_status()
                    alone_ms.append((time.perf_counter() - start) * 1000)
        latencies.sort()
        return Latency(
            p50_ms=statistics.median(latencies) * 1000,
            p99_ms=latencies[min(n - 1, math.ceil(0.99 * n) - 1)] * 1000,
            per_s=n / elapsed, cpu_per_entry_s=cpu / n,
            alone_p50_ms=statistics.median(alone_ms),
            window_ms=regime.batching.max_delay.total_seconds() * 1000)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(append_n: int = 100_000, http_n: int = 20_000, single: int = 40,
        echo: Callable[[str], None] = print) -> dict[str, float]:
    figures: dict[str, float] = {}
    ceiling = measured(echo)
    best, unit = ceiling.best, ceiling.one_verify_s()
    figures["ceiling_per_s"] = best
    sizes = [append_n // 10, append_n]
    history = History(append_n)

    def show(what: str, size: int, rate: Rate, key: str) -> None:
        figures[key] = rate.per_s
        figures[key + "_cpu"] = rate.cpu_per_entry_s / unit
        echo(f"hub append, {what:28} at {size:>9,}: {rate.per_s:8,.0f} /s  "
             f"{rate.per_s / best:5.0%} of ceiling  CPU/entry {rate.cpu_per_entry_s / unit:4.1f}")

    for kind in ("sqlite", "postgres"):
        rates = _with_database(kind, lambda url: append_in_process(history, url, sizes))
        for size, rate in zip(sizes, rates, strict=True):
            show(f"in process, {kind}", size, rate, f"append_{kind}_{size}")
    http_sizes = [http_n // 10, http_n]
    for kind in ("sqlite", "postgres"):
        rates = _with_database(kind, lambda url: append_over_http(history, url, http_sizes))
        for size, rate in zip(http_sizes, rates, strict=True):
            show(f"HTTP batch of {BATCH}, {kind}", size, rate, f"append_http_{kind}_{size}")
    for kind in ("sqlite", "postgres"):
        lat = _with_database(kind, lambda url: single_entry_latency(url, single))
        figures[f"single_{kind}_p50_ms"] = lat.p50_ms
        figures[f"single_{kind}_p99_ms"] = lat.p99_ms
        echo(f"HTTP one entry per request, {SENDERS} senders, {kind:8}: p50 {lat.p50_ms:6.1f} ms"
             f"  p99 {lat.p99_ms:6.1f} ms  ({lat.per_s:,.0f} /s, CPU/entry "
             f"{lat.cpu_per_entry_s / unit:4.1f})")
        echo(f"  one sender alone, several in a row: p50 {lat.alone_p50_ms:5.1f} ms per entry "
             f"(the regime's batch window is {lat.window_ms:.0f} ms)")
    return figures


ACCEPTS_QUICK = True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--append", type=int, default=100_000,
                        help="the larger log size in process (the smaller is a tenth)")
    parser.add_argument("--http", type=int, default=20_000,
                        help="the larger log size over HTTP (the smaller is a tenth)")
    parser.add_argument("--single", type=int, default=40,
                        help="entries each of the 50 single-entry senders sends")
    parser.add_argument("--quick", action="store_true", help="small sizes")
    args = parser.parse_args()
    if args.quick:
        args.append, args.http, args.single = 4_000, 2_000, 5
    run(args.append, args.http, args.single)


if __name__ == "__main__":
    main()
