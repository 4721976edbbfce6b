"""Load held: a hub with witnessing nodes under a steady stream of entries for minutes.

A hub process and ``--nodes`` ``gulfsec node serve`` processes (each a witness with its own
SQLite database, a quorum of a majority of them) run on loopback. Senders that run no node
submit ``--rate`` entries per second for ``--minutes`` minutes, mixed: half one entry per
request, half in batches of ``--batch``; a third to all, the rest bilateral (to one node's
party). Meanwhile every node syncs, verifies, cosigns and acknowledges what is addressed to it.
Printed, per minute of the run: entries submitted, errors, finality median and p99 (from the
submit call until the hub holds a final checkpoint covering the entry), and the resident memory
of the hub and of the largest node; at the end, entries lost (acknowledged but not in the log),
and each process's memory at the first and the last minute.

    python benchmarks/bench_soak.py [--minutes 10] [--rate 200] [--nodes 6] [--quick]

Every process and temporary directory is removed at the end, also on failure or Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sqlite3
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_nodes import (  # noqa: E402
    HOST,
    START_TIMEOUT_S,
    FinalityWatch,
    Process,
    clean_env,
    free_port,
    percentile,
    settings_for,
    start_hub,
    wait_healthy,
    workspace,
)
from regimes import write_regime  # noqa: E402

from gulfsec.adapters.hubclient import HubClient  # noqa: E402
from gulfsec.bootstrap import init_hub, init_node  # noqa: E402
from gulfsec.domain.entry import ALL, parse_signed_entry  # noqa: E402
from gulfsec.domain.keys import SigningKey, VerifierKey  # noqa: E402
from gulfsec.errors import GulfsecError  # noqa: E402
from gulfsec.services.participant import (  # noqa: E402
    canonical_entry,
    compose,
    registration_request,
)

ACCEPTS_QUICK = True


@dataclass
class Sent:
    started: float
    index: int
    entry_id: bytes


@dataclass
class Sender:
    party: str
    key: SigningKey
    rate: float
    batch: int
    nodes: list[str]
    seq: int = 1
    sent: list[Sent] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    ids: dict[bytes, bytes] = field(default_factory=dict)

    def entry(self, n: int) -> bytes:
        audience = ALL if n % 3 == 0 else (self.nodes[n % len(self.nodes)],)
        signed = compose(self.key, self.party, form="message@1", audience=audience,
                         body={"subject": f"soak {self.party} {self.seq}",
                               "text": "A steady stream of entries. " * 4},
                         seq=self.seq, now=datetime.now(UTC))
        self.seq += 1
        self.ids[signed.raw] = signed.id
        return signed.raw

    def run(self, url: str, until: float) -> None:
        """Alternate one entry per request and a batch, at the sender's rate."""
        n = 0
        begun = time.perf_counter()
        with HubClient(url, timeout=60) as client:
            while time.perf_counter() < until:
                single = n % (self.batch + 1) == 0
                count = 1 if single else self.batch
                raws = [self.entry(n + i) for i in range(count)]
                started = time.perf_counter()
                try:
                    if single:
                        outcomes = [{"ok": True, **client.submit(raws[0])}]
                    else:
                        outcomes = client.submit_batch(raws)
                    for raw, outcome in zip(raws, outcomes, strict=True):
                        if outcome.get("ok"):
                            self.sent.append(Sent(started, int(outcome["index"]),
                                                  self.ids.pop(raw)))
                        else:
                            self.errors.append(str(outcome))
                except GulfsecError as exc:
                    self.errors.append(exc.message)
                    return  # the sequence is broken for this sender: stop it, say so
                n += count
                pause = begun + n / self.rate - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def soak(minutes: float, rate: float, n_nodes: int, batch: int) -> None:
    with workspace("gulfsec-bench-soak-") as (tmp, procs):
        quorum = n_nodes // 2 + 1
        regime_path = tmp / "regime.toml"
        regime = write_regime(regime_path, n_nodes, quorum)
        parties = list(regime.witnesses()[:n_nodes])
        others = [p for p in regime.witnesses() if p not in parties][:8]
        hub_dir = tmp / "hub"
        _, sec = init_hub(settings_for(hub_dir, regime_path))
        hub = start_hub(procs, tmp, hub_dir, regime_path, GULFSEC_REGIME_PATH=str(regime_path))
        senders = [Sender(p, SigningKey.generate(p), rate / len(others), batch, parties)
                   for p in others]
        with HubClient(hub.url) as client:
            pinned = VerifierKey.parse(client.log_info()["log_key"])
            for party in parties:
                init_node(settings_for(tmp / "nodes" / party, regime_path), party, hub.url,
                          pinned)
            pending = {p["party"]: p for p in client.pending_registrations()}
            admit = [parse_signed_entry(canonical_entry(pending[p]["entry"]),
                                        max_bytes=1 << 16).countersigned(sec).raw
                     for p in parties]
            admit += [registration_request(s.key, s.party, datetime.now(UTC))
                      .countersigned(sec).raw for s in senders]
            for outcome in client.submit_batch(admit):
                if not outcome.get("ok"):
                    raise RuntimeError(f"admission refused: {outcome}")
        nodes: list[Process] = []
        for party in parties:
            port = free_port()
            env = clean_env(GULFSEC_DATA_DIR=str(tmp / "nodes" / party),
                            GULFSEC_REGIME_PATH=str(regime_path), GULFSEC_NODE_WORKERS="0")
            nodes.append(procs.start(f"node {party}", [
                "--data-dir", str(tmp / "nodes" / party), "--regime", str(regime_path),
                "node", "serve", "--port", str(port)], env, tmp / f"node-{party}.log",
                f"http://{HOST}:{port}"))
        wait_healthy(procs, nodes, START_TIMEOUT_S + 5 * n_nodes)
        watch = FinalityWatch(hub.url)
        watch.start()
        memory: list[tuple[float, int, int]] = []  # (seconds into the run, hub, largest node)
        node_first: dict[str, int] = {}
        node_last: dict[str, int] = {}
        half: dict[str, int] = {}  # each process's memory at the first sample of the second half
        begun = time.perf_counter()
        until = begun + minutes * 60
        threads = [threading.Thread(target=s.run, args=(hub.url, until), daemon=True)
                   for s in senders]
        for t in threads:
            t.start()
        try:
            while any(t.is_alive() for t in threads):
                procs.check_alive()
                now = time.perf_counter() - begun
                sizes = {p.name: rss_kib(p.popen.pid) for p in nodes}
                memory.append((now, rss_kib(hub.popen.pid), max(sizes.values())))
                for name, kib in sizes.items():
                    node_first.setdefault(name, kib)
                    node_last[name] = kib
                if now >= minutes * 30 and not half:
                    half.update(sizes, hub=memory[-1][1])
                time.sleep(5)
            for t in threads:
                t.join()
            last = max((s.index for snd in senders for s in snd.sent), default=-1)
            deadline = time.monotonic() + 120
            while watch.final_size <= last and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            watch.stop()
        with contextlib.closing(sqlite3.connect(f"file:{hub_dir / 'hub.db'}?mode=ro",
                                                uri=True)) as db:
            stored = dict(db.execute("SELECT idx, entry_id FROM entries"))
        report(senders, watch, memory, node_first, node_last, begun, minutes, nodes,
               rate, n_nodes, quorum, stored)
        if half:
            last = {**node_last, "hub": memory[-1][1]}
            print(f"   memory over the second half ({minutes / 2:g} min): "
                  + ", ".join(f"{name.removeprefix('node ')} {(last[name] - kib) / 1024:+.1f} MiB"
                              for name, kib in sorted(half.items())))


def report(senders: list[Sender], watch: FinalityWatch, memory: list[tuple[float, int, int]],
           node_first: dict[str, int], node_last: dict[str, int], begun: float,
           minutes: float, nodes: list[Process], rate: float, n_nodes: int,
           quorum: int, stored: dict[int, bytes]) -> None:
    sent = [s for snd in senders for s in snd.sent]
    errors = [e for snd in senders for e in snd.errors]
    lost = sum(1 for s in sent if stored.get(s.index) != s.entry_id)
    print(f"   {len(sent)} entries acknowledged in {minutes:g} min at a target of {rate:g}/s "
          f"({len(sent) / (minutes * 60):.0f}/s), {n_nodes} witnessing nodes (quorum "
          f"{quorum}); errors {len(errors)}; lost {lost}"
          + (f"; first error: {errors[0][:200]}" if errors else ""))
    print(f"   {'minute':>6}{'entries':>9}{'final p50':>11}{'final p99':>11}{'not final':>11}"
          f"{'hub MiB':>9}{'node MiB':>10}")
    for minute in range(math.ceil(minutes)):
        window = [s for s in sent if minute * 60 <= s.started - begun < (minute + 1) * 60]
        latencies = []
        missing = 0
        for s in window:
            final = watch.final_time(s.index)
            if final is None:
                missing += 1
            else:
                latencies.append(final - s.started)
        mem = [m for m in memory if minute * 60 <= m[0] < (minute + 1) * 60] or memory[-1:]
        hub_mib = max(m[1] for m in mem) / 1024
        node_mib = max(m[2] for m in mem) / 1024
        p50 = statistics.median(latencies) if latencies else math.nan
        print(f"   {minute + 1:>6}{len(window):>9}{p50:>10.2f}s"
              f"{percentile(latencies, 0.99):>10.2f}s{missing:>11}{hub_mib:>9.0f}"
              f"{node_mib:>10.0f}")
    first, last = memory[0], memory[-1]
    print(f"   memory (resident), first sample → last: hub {first[1] / 1024:.0f} → "
          f"{last[1] / 1024:.0f} MiB; nodes "
          + ", ".join(f"{name.removeprefix('node ')} {node_first[name] / 1024:.0f} → "
                      f"{node_last[name] / 1024:.0f}" for name in sorted(node_first)))
    for node in nodes:
        raised = [line for line in node.log.read_text(errors="replace").splitlines()
                  if " ALARM " in line]
        if raised:
            print(f"   WARNING: {node.name} raised {len(raised)} alarms, first: {raised[0]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--nodes", type=int, default=6)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="one minute at 50/s, 4 nodes")
    args = parser.parse_args()
    if args.quick:
        soak(1.0, 50.0, 4, args.batch)
    else:
        soak(args.minutes, args.rate, args.nodes, args.batch)


if __name__ == "__main__":
    main()
