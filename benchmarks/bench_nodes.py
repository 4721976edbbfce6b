"""Time from submission to finality with witnessing nodes, and a node's catch-up rate.

Prints, in one run on this machine:
- the ceiling (``benchmarks/ceiling.py``): Ed25519 verifications per second of every library on
  one thread, on one thread per core and on one process per core; every rate below is a ratio
  of the best of them on all cores, and CPU per entry is counted in verifications of PyNaCl on
  one thread;
- the time from a submission until the hub reports its entry final (DESIGN.md §4: a checkpoint
  covering it carries the regime's quorum of witness cosignatures), median and p99, with a hub
  process and N ``gulfsec node serve`` processes on loopback, each node on its own SQLite
  database (its process alone: no page workers, as no delegate reads a page here), for each N
  of ``--nodes`` with the regime's quorum, and with a majority quorum for the largest N. The
  Gulf regime has 14 participating states (witnesses); for more, a benchmark regime file adds
  made-up states ``XAA``, ``XAB``… The secretariat, which runs no node, submits a message to
  all at a steady pace; every node verifies it, cosigns the checkpoint and acknowledges the
  message, as ``gulfsec node serve`` does; an alarm any node raises is reported;
- a fresh node catching up on a hub process that holds each of ``--catchup`` entries (10^4 and
  10^5 by default: one history, the hub grown from one size to the next), every entry
  addressed to the node's party or to all: entries verified and stored per second
  (acknowledgements off, so only taking them in is measured), the node's and the hub's CPU per
  entry; and, first, the hub alone serving the same pages of entries to a client that only
  fetches them (one at a time, as a node asks), and its entry bundles (as many at once as a
  node asks): what the node's rate could be at most, were the hub the bottleneck.

    python benchmarks/bench_nodes.py [--nodes 5,20] [--entries N] [--rate R]
                                     [--catchup 10000,100000] [--sync-ms 300] [--peers]
                                     [--profile] [--quick]

Every process and temporary directory is removed at the end, also on failure or Ctrl-C.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import cProfile
import io
import math
import os
import pstats
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from gulfsec.adapters.clock import ManualClock, SystemClock
from gulfsec.adapters.hubclient import HubClient
from gulfsec.adapters.storage.engine import create_db_engine
from gulfsec.adapters.storage.migrate import migrate
from gulfsec.bootstrap import init_hub, init_node
from gulfsec.config import Settings, load_settings
from gulfsec.domain.entry import ALL, Audience, Entry, parse_signed_entry, sign_entry
from gulfsec.domain.keys import SigningKey, VerifierKey
from gulfsec.domain.regime import Regime, default_regime
from gulfsec.ledger import tiles
from gulfsec.services.hub import Hub, Receipt
from gulfsec.services.node import Node, intake, sync
from gulfsec.services.participant import canonical_entry, compose, registration_request

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ceiling import measure, measured  # noqa: E402

Echo = Callable[[str], None]
HOST = "127.0.0.1"
START_TIMEOUT_S = 90.0
FINAL_POLL_S = 0.02


# -- a regime with as many witnesses as wanted: benchmarks/regimes.py -------------------------

from regimes import write_regime  # noqa: E402

# -- processes --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def clean_env(**values: str) -> dict[str, str]:
    """This environment without any GULFSEC_* setting meant for something else, plus ``values``."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("GULFSEC_")}
    env.update(GULFSEC_ENV="development", GULFSEC_LOG_LEVEL="warning", **values)
    return env


def settings_for(directory: Path, regime_path: Path | None) -> Settings:
    return load_settings(data_dir=directory, env="development", database_url=None,
                         log_key_file=None, regime_path=regime_path, passphrase=None, peers="")


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    url: str

    def tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Processes:
    """Every process this benchmark started; :meth:`stop` ends them all, whatever happened."""

    items: list[Process] = field(default_factory=list)

    def start(self, name: str, args: Sequence[str], env: dict[str, str], log: Path,
              url: str) -> Process:
        with log.open("wb") as out:
            popen = subprocess.Popen([sys.executable, "-m", "gulfsec.cli.main", *args], env=env,
                                     stdin=subprocess.DEVNULL, stdout=out,
                                     stderr=subprocess.STDOUT)
        proc = Process(name, popen, log, url)
        self.items.append(proc)
        return proc

    def check_alive(self) -> None:
        for proc in self.items:
            if proc.popen.poll() is not None:
                raise RuntimeError(f"{proc.name} exited with status {proc.popen.returncode}:\n"
                                   + proc.tail())

    def stop(self) -> None:
        # Nodes first (they were started last), then the hub they talk to.
        for proc in reversed(self.items):
            if proc.popen.poll() is None:
                proc.popen.terminate()
        for proc in reversed(self.items):
            try:
                proc.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.popen.kill()
                proc.popen.wait(timeout=15)
        self.items.clear()


@contextlib.contextmanager
def workspace(prefix: str) -> Iterator[tuple[Path, Processes]]:
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    procs = Processes()
    try:
        yield tmp, procs
    finally:
        procs.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def wait_healthy(procs: Processes, targets: Sequence[Process], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    waiting = list(targets)
    with httpx.Client(timeout=2) as http:
        while waiting:
            procs.check_alive()
            still = []
            for proc in waiting:
                try:
                    ok = http.get(f"{proc.url}/healthz").status_code == 200
                except httpx.HTTPError:
                    ok = False
                if not ok:
                    still.append(proc)
            waiting = still
            if waiting and time.monotonic() > deadline:
                raise RuntimeError(f"{', '.join(p.name for p in waiting)} did not start in "
                                   f"{timeout:.0f} s:\n{waiting[0].tail()}")
            if waiting:
                time.sleep(0.1)


def start_hub(procs: Processes, tmp: Path, data_dir: Path, regime_path: Path | None,
              **env: str) -> Process:
    port = free_port()
    args = ["--data-dir", str(data_dir)]
    if regime_path is not None:
        args += ["--regime", str(regime_path)]
    hub = procs.start("hub", [*args, "hub", "serve", "--port", str(port)],
                      clean_env(GULFSEC_DATA_DIR=str(data_dir), **env), tmp / "hub.log",
                      f"http://{HOST}:{port}")
    wait_healthy(procs, [hub], START_TIMEOUT_S)
    return hub


# -- 1. time from submission to finality -----------------------------------------------------


@dataclass
class FinalityResult:
    nodes: int
    witnesses: int
    quorum: int
    latencies: list[float]
    submit_s: list[float]
    missing: int
    setup_s: float
    nodes_up_s: float
    log: LogActivity

    @property
    def median(self) -> float:
        return statistics.median(self.latencies) if self.latencies else math.nan

    @property
    def p99(self) -> float:
        return percentile(self.latencies, 0.99)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (with 100 samples, p99 is the second largest)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


class FinalityWatch:
    """Polls the hub's ``GET /v1/cosignatures`` (its ``final_size``: every entry below it is
    final) every 20 ms and notes when it grows."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.changes: list[tuple[float, int]] = [(time.perf_counter(), 0)]
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-final-poll", daemon=True)

    @property
    def final_size(self) -> int:
        return self.changes[-1][1]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=10) as http:
            while not self._stop.is_set():
                try:
                    response = http.get("/v1/cosignatures",
                                        params={"since": 2**62, "limit": 1})
                    response.raise_for_status()
                    size = int(response.json()["final_size"])
                except (httpx.HTTPError, KeyError, ValueError) as exc:
                    self.error = f"{exc.__class__.__name__}: {exc}"
                    size = -1
                now = time.perf_counter()
                if size > self.final_size:
                    self.changes.append((now, size))
                self._stop.wait(FINAL_POLL_S)

    def final_time(self, index: int) -> float | None:
        """When the hub was first seen to hold a final checkpoint covering ``index``."""
        for when, size in self.changes:
            if size > index:
                return when
        return None


@dataclass(frozen=True)
class LogActivity:
    """What the hub did during a run: read from its database once the run is over."""

    entries: int
    checkpoints: int
    cosigned: int
    cosignatures: int
    most_cosigned: int

    @classmethod
    def read(cls, db: Path, after: int) -> LogActivity:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            size, made = conn.execute(
                "SELECT max(size), count(*) FROM checkpoints WHERE size > ?",
                (after,)).fetchone()
            cosigned, total, most = conn.execute(
                "SELECT count(*), coalesce(sum(n), 0), coalesce(max(n), 0) FROM "
                "(SELECT count(*) AS n FROM cosignatures WHERE size > ? GROUP BY size)",
                (after,)).fetchone()
        return cls((size or after) - after, made, cosigned, total, most)


def hub_size(http: httpx.Client) -> int:
    return int(http.get("/healthz").json()["size"])


def wait_settled(http: httpx.Client, watch: FinalityWatch, procs: Processes,
                 timeout: float) -> bool:
    """Wait until every entry in the log is final and the log has stopped growing for 1 s."""
    deadline = time.monotonic() + timeout
    stable_since = time.monotonic()
    last = -1
    while time.monotonic() < deadline:
        procs.check_alive()
        size = hub_size(http)
        if size != last:
            last, stable_since = size, time.monotonic()
        if watch.final_size >= size and time.monotonic() - stable_since > 1.0:
            return True
        time.sleep(0.1)
    return False


def finality_run(n_nodes: int, quorum: int | None, entries: int, rate: float, sync_ms: int,
                 peers: bool, echo: Echo) -> FinalityResult:
    setup_started = time.perf_counter()
    with workspace("gulfsec-bench-nodes-") as (tmp, procs):
        regime_path = tmp / "regime.toml"
        regime = write_regime(regime_path, n_nodes, quorum)
        witnesses = regime.witnesses()
        if regime.witness_quorum > n_nodes:
            raise ValueError(f"quorum {regime.witness_quorum} needs at least that many nodes")
        hub_dir = tmp / "hub"
        _, sec = init_hub(settings_for(hub_dir, regime_path))
        hub = start_hub(procs, tmp, hub_dir, regime_path,
                        GULFSEC_REGIME_PATH=str(regime_path))
        with HubClient(hub.url) as client:
            pinned = VerifierKey.parse(client.log_info()["log_key"])
            parties = list(witnesses[:n_nodes])
            for party in parties:
                result = init_node(settings_for(tmp / "nodes" / party, regime_path), party,
                                   hub.url, pinned)
                if not result.submitted:
                    raise RuntimeError(f"{party}: {result.message}")
            # The secretariat compares fingerprints (here: trusts itself) and admits them all.
            pending = {p["party"]: p for p in client.pending_registrations()}
            admit = [parse_signed_entry(canonical_entry(pending[p]["entry"]),
                                        max_bytes=1 << 16).countersigned(sec).raw
                     for p in parties]
            for outcome in client.submit_batch(admit):
                if not outcome.get("ok"):
                    raise RuntimeError(f"admission refused: {outcome}")
        ports = {party: free_port() for party in parties}
        urls = {party: f"http://{HOST}:{port}" for party, port in ports.items()}
        nodes = []
        for party in parties:
            # No delegate reads a page here: the node's process alone, no page workers.
            env = clean_env(GULFSEC_DATA_DIR=str(tmp / "nodes" / party),
                            GULFSEC_REGIME_PATH=str(regime_path),
                            GULFSEC_SYNC_INTERVAL_MS=str(sync_ms), GULFSEC_NODE_WORKERS="0")
            if peers:
                env["GULFSEC_PEERS"] = ",".join(u for q, u in urls.items() if q != party)
            nodes.append(procs.start(f"node {party}", [
                "--data-dir", str(tmp / "nodes" / party), "--regime", str(regime_path),
                "node", "serve", "--port", str(ports[party])],
                env, tmp / f"node-{party}.log", urls[party]))
        wait_healthy(procs, nodes, START_TIMEOUT_S + 5 * n_nodes)
        nodes_up_s = time.perf_counter() - setup_started
        watch = FinalityWatch(hub.url)
        watch.start()
        try:
            with httpx.Client(base_url=hub.url, timeout=30) as http:
                if not wait_settled(http, watch, procs, 120):
                    echo(f"  (warning: the log of {hub_size(http)} setup entries was not all "
                         f"final after 120 s; final up to {watch.final_size})")
                setup_s = time.perf_counter() - setup_started
                size_before = hub_size(http)
                with HubClient(hub.url, party="SEC", key=sec) as client:
                    submitted = submit_steadily(client, sec, entries, rate, procs)
                last_index = max(index for _, index, _ in submitted)
                deadline = time.monotonic() + 60
                while watch.final_size <= last_index and time.monotonic() < deadline:
                    procs.check_alive()
                    time.sleep(0.05)
        finally:
            watch.stop()
        activity = LogActivity.read(hub_dir / "hub.db", size_before)
        if watch.error and watch.final_size <= last_index:
            echo(f"  (the finality poll last failed with {watch.error})")
        for node in nodes:  # an honest run raises no alarm: say so loudly if one did
            raised = [line for line in node.log.read_text(errors="replace").splitlines()
                      if " ALARM " in line]
            if raised:
                echo(f"  WARNING: {node.name} raised {len(raised)} alarms, first: {raised[0]}")
        latencies, missing = [], 0
        for started, index, _ in submitted:
            final = watch.final_time(index)
            if final is None:
                missing += 1
            else:
                latencies.append(final - started)
        return FinalityResult(n_nodes, len(witnesses), regime.witness_quorum, latencies,
                              [s for _, _, s in submitted], missing, setup_s, nodes_up_s,
                              activity)


def submit_steadily(client: HubClient, sec: SigningKey, count: int, rate: float,
                    procs: Processes) -> list[tuple[float, int, float]]:
    """Submit ``count`` messages from the secretariat to all at ``rate`` per second, one after
    the other (a sender's entries must arrive in sequence). Returns, for each, (perf_counter
    at the submit call, its index, seconds the call took)."""
    seq = int(client.party_status()["next_seq"])
    text = "A message from the secretariat to every participant, to time its finality. " * 3
    out: list[tuple[float, int, float]] = []
    start = time.perf_counter()
    for i in range(count):
        due = start + i / rate
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        if i % 10 == 0:
            procs.check_alive()
        signed = compose(sec, "SEC", form="message@1", audience=ALL,
                         body={"subject": f"benchmark message {i}", "text": text},
                         seq=seq + i, now=datetime.now(UTC))
        started = time.perf_counter()
        receipt = client.submit(signed.raw)
        out.append((started, int(receipt["index"]), time.perf_counter() - started))
    return out


# -- 2. a node's catch-up ---------------------------------------------------------------------


class CatchupHistory:
    """Signed entries from every participant but ``party``, each addressed to it or to all."""

    def __init__(self, regime: Regime, party: str, n: int, now: datetime, seed: int = 11) -> None:
        self.regime = regime
        self.party = party
        self.sec = SigningKey.generate(regime.secretariat.code)
        self.log_key = SigningKey.generate(regime.log_origin)
        parties = list(regime.participants)
        self.keys = {p: SigningKey.generate(p) for p in parties}
        self.genesis = sign_entry(
            Entry("key-registration@1", "SEC", self.sec.key_id_hex, 0, now, ALL,
                  {"party": "SEC", "vkey": self.sec.verifier.encode()}), self.sec)
        self.registrations = [registration_request(self.keys[p], p, now).countersigned(self.sec)
                              for p in parties]
        senders = [p for p in parties if p != party]
        rng = random.Random(seed)
        seq = dict.fromkeys(senders, 1)
        text = "Notification under the regime. " * 8
        self.entries: list[bytes] = []
        for i in range(n):
            sender = senders[i % len(senders)]
            audience: Audience = ALL if rng.random() < 0.5 else (party,)
            entry = Entry("message@1", sender, self.keys[sender].key_id_hex, seq[sender], now,
                          audience, {"subject": f"item {i}", "text": text})
            seq[sender] += 1
            self.entries.append(sign_entry(entry, self.keys[sender]).raw)

    def visible(self, n: int) -> int:
        """Entries the node's party may read in a log of the setup and ``n`` entries: all."""
        return 1 + len(self.registrations) + n


def load_hub(history: CatchupHistory, url: str, now: datetime, held: int, n: int) -> None:
    """Sequence entries ``held`` to ``n`` of the history through the hub service in process
    (prepare + enqueue), the setup first on an empty log."""
    engine = create_db_engine(url)
    migrate(engine, "hub")
    hub = Hub(history.regime, engine, history.log_key, ManualClock(now))
    hub.start()
    try:
        if hub.state.size == 0:
            hub.submit_signed(hub.prepare(history.genesis.raw, genesis=True))
            setup: list[Future[Receipt]] = [hub.enqueue(hub.prepare(s.raw))
                                            for s in history.registrations]
            for fut in setup:
                fut.result(timeout=60)
        futures = [hub.enqueue(hub.prepare(raw)) for raw in history.entries[held:n]]
        for fut in futures:
            fut.result(timeout=120)
    finally:
        hub.stop()
        engine.dispose()


def cpu_of(pid: int) -> float | None:
    """CPU seconds process ``pid`` used so far (Linux), or None where that cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def cpu_used(start: float | None, end: float | None) -> float | None:
    return None if start is None or end is None else end - start


@dataclass
class ServingResult:
    """The hub serving on its own, to a client that only fetches: pages of entries (one
    request at a time, as a node asks them) and entry bundles (as many at once as a node)."""

    entries: int
    pages: int
    seconds: float
    leaves: int
    bundles: int
    bundle_seconds: float
    hub_cpu_s: float | None

    @property
    def rate(self) -> float:
        return self.entries / self.seconds

    @property
    def leaf_rate(self) -> float:
        return self.leaves / self.bundle_seconds


def hub_serving(url: str, history: CatchupHistory, hub_pid: int) -> ServingResult:
    """Fetch every page of entries the party may read and every entry bundle, as a node would,
    checking only that each answer is signed by the log key (one signature a page)."""
    party = history.party
    with HubClient(url, party=party, key=history.keys[party], log_key=history.log_key.verifier,
                   timeout=120) as client:
        client.entries(after=-1, limit=1, raw=True)  # a first answer: the hub's imports, caches
        client.tile(tiles.entries_path(0, tiles.tile_width(0, 0, 1)))
        cpu_before = cpu_of(hub_pid)
        started = time.perf_counter()
        after, entries, pages = -1, 0, 0
        while True:
            served = client.entries(after=after, limit=intake.PAGE, raw=True)
            items = served["entries"]
            if not items:
                break
            entries += len(items)
            pages += 1
            after = items[-1]["index"]
        seconds = time.perf_counter() - started
        size = int(client.log_info()["size"])
        wanted = [tiles.entries_path(i, tiles.tile_width(0, i, size))
                  for i in range(-(-size // tiles.TILE_WIDTH))]
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=sync.TILES_IN_FLIGHT) as pool:
            leaves = sum(len(tiles.parse_entry_bundle(b)) for b in pool.map(client.tile, wanted))
        bundle_seconds = time.perf_counter() - started
        hub_cpu = cpu_used(cpu_before, cpu_of(hub_pid))
    return ServingResult(entries, pages, seconds, leaves, len(wanted), bundle_seconds, hub_cpu)


@dataclass
class CatchupResult:
    entries: int
    leaves: int
    seconds: float
    rounds: int
    node_cpu_s: float
    hub_cpu_s: float | None
    serving: ServingResult
    profile: str | None
    load: str
    """The machine's load averages right after the catch-up."""

    @property
    def rate(self) -> float:
        return self.entries / self.seconds


def catch_up(url: str, history: CatchupHistory, expected: int, tmp: Path, hub_pid: int,
             profile: bool) -> tuple[int, int, float, int, float, float | None, str | None]:
    """A fresh node syncs until it holds every entry (acknowledgements off)."""
    regime, party = history.regime, history.party
    engine = create_db_engine(f"sqlite:///{tmp / f'node-{expected}.db'}")
    migrate(engine, "node")
    client = HubClient(url, party=party, key=history.keys[party], timeout=120,
                       log_key=history.log_key.verifier)  # as a node's: every answer checked
    node = Node(regime, engine, party, history.keys[party], client, history.log_key.verifier,
                SystemClock(), acknowledge=False)
    node.load()
    profiler = cProfile.Profile() if profile else None
    stored = leaves = rounds = 0
    try:
        cpu_before, hub_before = time.process_time(), cpu_of(hub_pid)
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        while True:
            report = node.sync_once()
            rounds += 1
            if node.last_error:
                raise RuntimeError(f"node sync failed: {node.last_error}")
            if report.alarms or report.quarantined:
                raise RuntimeError(f"node raised alarms: {report.alarms[:3]}")
            stored += report.new_entries
            leaves += report.new_leaves
            if stored >= expected or (report.new_entries == 0 and rounds > 1):
                break
        seconds = time.perf_counter() - started
        node_cpu, hub_cpu = time.process_time() - cpu_before, cpu_used(hub_before,
                                                                       cpu_of(hub_pid))
        if profiler is not None:
            profiler.disable()
    finally:
        node.close()
    if stored != expected:
        raise RuntimeError(f"the node stored {stored} entries, expected {expected}")
    text = None
    if profiler is not None:
        buffer = io.StringIO()
        stats = pstats.Stats(profiler, stream=buffer)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)
        text = buffer.getvalue()
    return stored, leaves, seconds, rounds, node_cpu, hub_cpu, text


def catchup_runs(sizes: Sequence[int], profile: bool, echo: Echo) -> list[CatchupResult]:
    """For each size, smallest first: the hub grown to that many entries (one history, loaded
    in steps), its serving rate on its own, then a fresh node's catch-up."""
    regime = default_regime()
    party = regime.witnesses()[0]
    now = datetime.now(UTC).replace(microsecond=0)
    results: list[CatchupResult] = []
    with workspace("gulfsec-bench-catchup-") as (tmp, procs):
        started = time.perf_counter()
        history = CatchupHistory(regime, party, max(sizes), now)
        echo(f"  generated {max(sizes):,} signed entries to {party} or to all "
             f"({time.perf_counter() - started:.0f} s)")
        hub_dir = tmp / "hub"
        hub_dir.mkdir()
        seed_file = tmp / "log.seed"
        seed_file.write_text(base64.b64encode(history.log_key.seed).decode() + "\n")
        seed_file.chmod(0o600)
        held = 0
        for n in sorted(sizes):
            started = time.perf_counter()
            load_hub(history, f"sqlite:///{hub_dir / 'hub.db'}", now, held, n)
            held = n
            echo(f"  the hub holds {n:,} entries (sequenced through the hub service in "
                 f"process, {time.perf_counter() - started:.0f} s)")
            hub = start_hub(procs, tmp, hub_dir, None, GULFSEC_LOG_KEY_FILE=str(seed_file))
            try:
                serving = hub_serving(hub.url, history, hub.popen.pid)
                stored, leaves, seconds, rounds, node_cpu, hub_cpu, text = catch_up(
                    hub.url, history, history.visible(n), tmp, hub.popen.pid, profile)
            finally:
                procs.stop()
            results.append(CatchupResult(stored, leaves, seconds, rounds, node_cpu, hub_cpu,
                                         serving, text, machine_load()))
    return results


# -- the run ----------------------------------------------------------------------------------


def machine_load() -> str:
    """The load averages now: the figures hold for an otherwise idle machine only."""
    try:
        one, five, _fifteen = os.getloadavg()
    except OSError:
        return "load unknown"
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} CPUs"


def run(nodes: Sequence[int], entries: int, rate: float, catchup: Sequence[int], sync_ms: int,
        peers: bool, majority: bool, profile: bool, echo: Echo = print) -> dict[str, float]:
    figures: dict[str, float] = {}
    echo(f"({machine_load()} before this run)")
    ceiling = measured(echo)
    best, unit = ceiling.best, ceiling.one_verify_s()
    figures["ceiling_per_s"] = best
    runs: list[tuple[int, int | None, str]] = [(n, None, "regime quorum") for n in nodes]
    if majority and nodes:
        largest = max(nodes)
        if largest // 2 + 1 != default_regime().witness_quorum:
            runs.append((largest, largest // 2 + 1, "majority quorum"))
    if runs:
        echo(f"submission → final at the hub: a hub and N `gulfsec node serve` processes on "
             f"loopback (SQLite, sync interval {sync_ms} ms{', peers on' if peers else ''}); "
             f"the secretariat sends {entries} messages to all at {rate:g}/s; every node "
             "verifies, cosigns and acknowledges")
    for n, quorum, label in runs:
        result = finality_run(n, quorum, entries, rate, sync_ms, peers, echo)
        key = f"final_{n}_nodes_q{result.quorum}"
        figures[f"{key}_median_s"] = result.median
        figures[f"{key}_p99_s"] = result.p99
        echo(f"  {n:2} nodes, {label} {result.quorum} of {result.witnesses} witnesses: "
             f"median {result.median:5.2f} s   p99 {result.p99:5.2f} s   "
             f"max {max(result.latencies, default=math.nan):5.2f} s   "
             f"(submit call: median {statistics.median(result.submit_s):.2f} s; "
             f"{len(result.latencies)} final"
             + (f", {result.missing} NOT final after 60 s" if result.missing else "")
             + f"; setup {result.setup_s:.0f} s, nodes up after {result.nodes_up_s:.0f} s)")
        log = result.log
        echo(f"      ({machine_load()} at its end)")
        echo(f"      meanwhile the log grew by {log.entries} entries ({entries} messages, the "
             f"rest acknowledgements) in {log.checkpoints} checkpoints; {log.cosigned} of them "
             f"were cosigned ({log.cosignatures} cosignatures, at most {log.most_cosigned} on "
             "one)")
    if catchup:
        echo(f"node catch-up: a fresh node verifies and stores every entry of a hub process "
             f"holding {' and '.join(f'{n:,}' for n in sorted(catchup))} entries "
             "(acknowledgements off); the hub alone first serves them to a client that only "
             "fetches")
        results = catchup_runs(catchup, profile, echo)
        # The machine may be shared: take the ceiling again after the catch-ups, and compare
        # with the higher of the two (the ratios err low rather than high).
        again = measure()
        best = max(best, again.best)
        echo(f"  (the ceiling measured again after: {again.best:,.0f} /s; ratios below are "
             f"of {best:,.0f} /s; {machine_load()})")
        for size, caught in zip(sorted(catchup), results, strict=True):
            serving = caught.serving
            figures[f"catchup_{size}_per_s"] = caught.rate
            figures[f"catchup_{size}_ratio"] = caught.rate / best
            figures[f"hub_pages_{size}_per_s"] = serving.rate
            echo(f"  {size:>9,} entries: catch-up {caught.entries:,} entries "
                 f"({caught.leaves:,} leaves) in {caught.seconds:5.1f} s = "
                 f"{caught.rate:7,.0f} /s  {caught.rate / best:5.0%} of ceiling  "
                 f"({caught.seconds / caught.entries * 1e6:.0f} µs an entry, {caught.rounds} "
                 "rounds)" + ("  (cProfile on: slower than without)" if profile else ""))
            hub_cpu = ("?" if caught.hub_cpu_s is None
                       else f"{caught.hub_cpu_s / caught.entries / unit:4.1f}")
            echo(f"      CPU per entry: node {caught.node_cpu_s / caught.entries / unit:4.1f}, "
                 f"hub {hub_cpu} (in verifications); {caught.load} just after")
            serving_cpu = ("" if serving.hub_cpu_s is None else
                           f", hub CPU per entry {serving.hub_cpu_s / serving.entries / unit:.1f}")
            echo(f"      the hub alone: pages of {intake.PAGE} at {serving.rate:7,.0f} entries/s "
                 f"({serving.rate / best:.0%} of ceiling, {serving.pages} pages); entry bundles "
                 f"{sync.TILES_IN_FLIGHT} at a time at {serving.leaf_rate:,.0f} leaves/s "
                 f"({serving.bundles} bundles){serving_cpu}")
            if caught.profile:
                echo(caught.profile)
    return figures


def _terminate(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwinds through every ``finally``: processes, temp dirs


ACCEPTS_QUICK = True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--nodes", default="5,20",
                        help="comma-separated node counts for the finality runs ('' for none)")
    parser.add_argument("--entries", type=int, default=90,
                        help="messages submitted in each finality run")
    parser.add_argument("--rate", type=float, default=3.0, help="messages per second")
    parser.add_argument("--catchup", default="10000,100000",
                        help="comma-separated log sizes a fresh node catches up on ('' for none)")
    parser.add_argument("--sync-ms", type=int, default=300,
                        help="GULFSEC_SYNC_INTERVAL_MS of every node")
    parser.add_argument("--peers", action="store_true",
                        help="nodes compare views with every other node each round")
    parser.add_argument("--no-majority", action="store_true",
                        help="skip the majority-quorum run for the largest node count")
    parser.add_argument("--profile", action="store_true",
                        help="run the catch-up under cProfile and print where time goes")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes, a smoke run (5 nodes, 30 messages; 1,000 and "
                             "5,000 entries)")
    args = parser.parse_args()
    if args.quick:
        args.nodes, args.entries, args.catchup, args.no_majority = "5", 30, "1000,5000", True
    nodes = [int(n) for n in args.nodes.split(",") if n.strip()]
    catchup = [int(n) for n in args.catchup.split(",") if n.strip()]
    signal.signal(signal.SIGTERM, _terminate)
    run(nodes, args.entries, args.rate, catchup, args.sync_ms, args.peers,
        not args.no_majority, args.profile)


if __name__ == "__main__":
    main()
