"""Page speed under load: a node holding 10^4 and 10^5 entries, its pages and the hub's.

For each size, a hub and one node (Iran's) are set up and filled in this process — that many
entries signed by every other participant to Iran or to all, sequenced by the hub in batches,
then fetched, verified and stored by Iran's node as its sync does (real signed, verified
entries) — and served by real ``gulfsec hub serve`` and ``gulfsec node serve`` processes: the
node's sync loop in its own process, its pages in page workers (``--workers``). For each page,
20 signed-in clients on loopback request it as fast as they can for 30 s; the server's own
time per request comes from the ``Server-Timing`` header (the target: p99 at most 200 ms), the
client's from the clock around it. The Ed25519 ceiling of this machine is printed first, for
context (:mod:`ceiling`).

    python benchmarks/bench_pages.py [--entries 10000,100000] [--clients 20] [--seconds 30]
                                     [--workers N] [--keep DIR]

Filling 10^5 entries takes minutes: ``--keep DIR`` keeps each filled hub and node in
``DIR/<entries>`` and uses them again on the next run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from gulfsec.adapters.hubclient import HubClient
from gulfsec.adapters.storage import views as views_db
from gulfsec.bootstrap import init_hub, init_node, open_hub, open_node
from gulfsec.config import load_settings
from gulfsec.domain.entry import ALL, Entry, sign_entry
from gulfsec.domain.keys import SigningKey
from gulfsec.services.participant import canonical_entry
from gulfsec.services.shared.accounts import create_account

PASSWORD = "benchmark-password"
TARGET_P99_MS = 200.0
_SIGNIN = re.compile(r'name="signin_token" value="([^"]+)"')
FIRST_PAGE_S = 600.0
"""How long the first request of a page may take (the hub computes its first scorecard)."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server at {url} exited")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not start")


def prepare(root: Path, entries: int, echo: Callable[[str], None]) -> dict[str, Any]:
    """A hub and Iran's node holding ``entries`` entries; accounts on both. What the served
    processes need: the data directories, the hub's port (the node syncs with it there) and
    an entry held half-way down the node's log."""
    hub_settings = load_settings(data_dir=root / "hub", env="development")
    _, sec = init_hub(hub_settings)
    hub = open_hub(hub_settings)
    port = _free_port()
    import uvicorn

    from gulfsec.bootstrap import build_hub_app

    server = uvicorn.Server(uvicorn.Config(build_hub_app(hub), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    try:
        node_settings = load_settings(data_dir=root / "IRN", env="development")
        result = init_node(node_settings, "IRN", url, hub.log_key.verifier)
        assert result.submitted, result.message
        with HubClient(url) as client:
            pending = [p for p in client.pending_registrations() if p["party"] == "IRN"]
            client.submit(_countersigned(pending[-1]["entry"], sec))
        keys: dict[str, SigningKey] = {}
        from gulfsec.services.participant import registration_request

        for party in hub.regime.participants:
            if party == "IRN":
                continue
            keys[party] = SigningKey.generate(party)
            hub.submit(registration_request(keys[party], party, datetime.now(UTC))
                       .countersigned(sec).raw)
        started = time.perf_counter()
        senders = list(keys)
        seq = dict.fromkeys(senders, 1)
        rng = random.Random(1)
        now = datetime.now(UTC).replace(microsecond=0)
        futures = []
        for i in range(entries):
            party = senders[i % len(senders)]
            audience: Any = ALL if i % 2 else ("IRN",)
            entry = Entry("message@1", party, keys[party].key_id_hex, seq[party], now,
                          audience, {"subject": f"Item {i} on navigation in the Gulf",
                                     "text": "Text of the message. " * rng.randint(2, 20)})
            seq[party] += 1
            futures.append(hub.enqueue(hub.prepare(sign_entry(entry, keys[party]).raw)))
        for fut in futures:
            fut.result()
        echo(f"  {entries:,} entries signed and sequenced ({time.perf_counter() - started:.0f}"
             " s)")
        started = time.perf_counter()
        node = open_node(node_settings)
        while True:  # verified, stored, and acknowledged with signed entries, as served
            report = node.sync_once()
            if not (report.new_entries or report.new_leaves or report.acknowledged):
                break
        with node.uow() as uow:
            middle = views_db.node_entries(
                uow.repo.conn, views_db.EntryQuery(before_index=node.core.copy.tree.size // 2),
                limit=1)
        echo(f"  Iran's node verified, stored and acknowledged {node.status()['entries']:,} "
             f"entries ({time.perf_counter() - started:.0f} s)")
        assert node.engine is not None
        create_account(node.engine, "officer", PASSWORD, "officer")
        create_account(hub.engine, "secretariat", PASSWORD, "secretariat")
        node.close()
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        hub.stop()
        hub.engine.dispose()
    return {"hub_dir": str(root / "hub"), "node_dir": str(root / "IRN"), "hub_port": port,
            "entry": middle[0].entry_id.hex()}


def _countersigned(entry_json: Any, sec: SigningKey) -> bytes:
    from gulfsec.domain.entry import parse_signed_entry

    return parse_signed_entry(canonical_entry(entry_json), max_bytes=1 << 16) \
        .countersigned(sec).raw


def filled(keep: Path | None, entries: int, echo: Callable[[str], None]) -> dict[str, Any]:
    """A filled hub and node: kept in ``keep`` from an earlier run, or made now."""
    if keep is None:
        root = Path(tempfile.mkdtemp(prefix="gulfsec-bench-pages-"))
        return {**prepare(root, entries, echo), "root": str(root), "temporary": True}
    root = keep / str(entries)
    done = root / "filled.json"
    if done.exists():
        echo(f"  the hub and node filled with {entries:,} entries in {root}")
        return {**json.loads(done.read_text()), "root": str(root), "temporary": False}
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    made = prepare(root, entries, echo)
    done.write_text(json.dumps(made))
    return {**made, "root": str(root), "temporary": False}


def _serve(kind: str, data_dir: str, port: int, workers: int | None = None
           ) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GULFSEC_")}
    env.update(GULFSEC_DATA_DIR=data_dir, GULFSEC_ENV="development",
               GULFSEC_LOG_LEVEL="warning", GULFSEC_SYNC_INTERVAL_MS="1000")
    args = [sys.executable, "-m", "gulfsec.cli.main", kind, "serve", "--port", str(port)]
    if workers is not None:
        args += ["--workers", str(workers)]
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def _wait_quiet(url: str, node_dir: Path, timeout: float = 600) -> None:
    """Wait until the node has nothing left to send and its log stands still (what it holds
    is measured, not what it catches up on)."""
    token = (node_dir / "api-token").read_text().strip()
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        status = httpx.get(url + "/v1/status", headers=headers, timeout=30).json()
        now = (status["size"], status["entries"], status["outbox_pending"])
        if status["outbox_pending"] == 0 and now == last:
            return
        last = now
        time.sleep(2)
    raise RuntimeError("the node did not settle")


def _signed_in_client(url: str, name: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30)
    form = client.get("/sign-in")
    token = _SIGNIN.search(form.text)
    assert token is not None, "no sign-in token on the page"
    done = client.post("/sign-in", data={"signin_token": token.group(1), "name": name,
                                         "password": PASSWORD, "next": ""})
    assert done.status_code == 303, done.status_code
    return client


def load(url: str, path: str, name: str, clients: int, seconds: float
         ) -> tuple[list[float], list[float], int]:
    """(server ms, client ms, errors) for ``clients`` threads requesting ``path``."""
    server_ms: list[float] = []
    client_ms: list[float] = []
    errors = 0
    lock = threading.Lock()
    sessions = [_signed_in_client(url, name) for _ in range(clients)]
    first = sessions[0].get(path, timeout=FIRST_PAGE_S)
    assert first.status_code == 200, (path, first.status_code)
    deadline = time.monotonic() + seconds

    def work(client: httpx.Client) -> None:
        nonlocal errors
        while time.monotonic() < deadline:
            started = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
            timing = response.headers.get("server-timing", "")
            match = re.search(r"dur=([0-9.]+)", timing)
            with lock:
                if response.status_code != 200 or match is None:
                    errors += 1
                    continue
                server_ms.append(float(match.group(1)))
                client_ms.append(elapsed)

    threads = [threading.Thread(target=work, args=(c,)) for c in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in sessions:
        c.close()
    return server_ms, client_ms, errors


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def run_size(entries: int, clients: int, seconds: float, workers: int | None,
             keep: Path | None, echo: Callable[[str], None]) -> dict[str, float]:
    procs: list[subprocess.Popen[bytes]] = []
    figures: dict[str, float] = {}
    echo(f"a node holding {entries:,} entries:")
    made = filled(keep, entries, echo)
    try:
        hub_port, node_port = int(made["hub_port"]), _free_port()
        procs.append(_serve("hub", made["hub_dir"], hub_port))
        hub_url = f"http://127.0.0.1:{hub_port}"
        _wait_healthy(hub_url, procs[-1])
        started = time.perf_counter()
        procs.append(_serve("node", made["node_dir"], node_port, workers))
        node_url = f"http://127.0.0.1:{node_port}"
        _wait_healthy(node_url, procs[-1])
        echo(f"  `gulfsec node serve` answered after {time.perf_counter() - started:.0f} s "
             f"(page workers: {'the default' if workers is None else workers})")
        _wait_quiet(node_url, Path(made["node_dir"]))
        pages = [
            ("node inbox", node_url, "/inbox", "officer"),
            ("node inbox, filtered to one sender", node_url, "/inbox?sender=SAU", "officer"),
            ("node entry", node_url, f"/entries/{made['entry']}", "officer"),
            ("node compliance, own scorecard", node_url, "/compliance", "officer"),
            ("secretariat compliance, all participants", hub_url, "/secretariat/compliance",
             "secretariat"),
        ]
        echo(f"  {clients} signed-in clients per page, {seconds:.0f} s each; server time from "
             "Server-Timing (target p99 <= 200 ms), client time includes the wire and the "
             "queue:")
        for label, url, path, name in pages:
            server, client, errors = load(url, path, name, clients, seconds)
            key = re.sub(r"[^a-z0-9]+", "_", f"{label} {entries}".lower()).strip("_")
            figures[f"{key}_p50_ms"] = statistics.median(server)
            figures[f"{key}_p99_ms"] = _p(server, 0.99)
            mark = "ok" if _p(server, 0.99) <= TARGET_P99_MS else "OVER"
            echo(f"    {label:42} {len(server):6,} requests  server p50 "
                 f"{statistics.median(server):6.1f} ms  p99 {_p(server, 0.99):6.1f} ms {mark:4}"
                 f"  client p50 {statistics.median(client):5.0f} ms  p99 "
                 f"{_p(client, 0.99):5.0f} ms  errors {errors}")
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        if made.get("temporary"):
            shutil.rmtree(made["root"], ignore_errors=True)
    return figures


def run(sizes: tuple[int, ...] = (10_000, 100_000), clients: int = 20, seconds: float = 30,
        workers: int | None = None, keep: Path | None = None, ceiling_n: int = 20_000,
        echo: Callable[[str], None] = print) -> dict[str, float]:
    from ceiling import measure

    ceiling = measure(ceiling_n)
    echo(f"this machine ({ceiling.cores} cores), for context:")
    for line in ceiling.lines():
        echo(f"  {line}")
    figures: dict[str, float] = {}
    for entries in sizes:
        figures.update(run_size(entries, clients, seconds, workers, keep, echo))
    if len(sizes) > 1:
        small, large = min(sizes), max(sizes)
        for page in ("node_inbox", "node_inbox_filtered_to_one_sender"):
            ratio = figures[f"{page}_{large}_p50_ms"] / figures[f"{page}_{small}_p50_ms"]
            figures[f"{page}_p50_ratio"] = ratio
            echo(f"{page.replace('_', ' ')}: p50 at {large:,} entries is {ratio:.1f}x the p50 "
                 f"at {small:,} ({large // small}x the entries)")
    return figures


ACCEPTS_QUICK = True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--entries", default="10000,100000",
                        help="node sizes, comma-separated (default 10000,100000)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=None,
                        help="page workers of `gulfsec node serve` (default: its default)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep the filled hubs and nodes here, and use them again")
    parser.add_argument("--quick", action="store_true", help="1,000 entries, 5 s per page")
    args = parser.parse_args()
    sizes = tuple(int(n) for n in str(args.entries).split(","))
    ceiling_n = 20_000
    if args.quick:
        sizes, args.seconds, ceiling_n = (1_000,), 5, 2_000
    run(sizes, args.clients, args.seconds, args.workers, args.keep, ceiling_n)


if __name__ == "__main__":
    main()
