"""Page speed: the inbox of a node holding 10^4 entries and the compliance pages, under load.

A hub and one node (Iran's) are set up and filled in this process — 10^4 signed entries from
every participant to Iran or to all, sequenced by the hub, verified and stored by the node —
then served by real ``gulfsec hub serve`` and ``gulfsec node serve`` processes. For each page,
20 signed-in clients on loopback request it as fast as they can for 30 s; the server's own time
per request comes from the ``Server-Timing`` header, the client's from the clock around it.

    python benchmarks/bench_pages.py [--entries 10000] [--clients 20] [--seconds 30]
"""

from __future__ import annotations

import argparse
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
from gulfsec.bootstrap import init_hub, init_node, open_hub, open_node
from gulfsec.config import load_settings
from gulfsec.domain.entry import ALL, Entry, sign_entry
from gulfsec.domain.keys import SigningKey
from gulfsec.services.participant import canonical_entry
from gulfsec.services.shared.accounts import create_account

PASSWORD = "benchmark-password"
_SIGNIN = re.compile(r'name="signin_token" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
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
    """A hub and Iran's node holding ``entries`` entries; accounts on both."""
    hub_settings = load_settings(data_dir=root / "hub", env="development")
    _, sec = init_hub(hub_settings)
    hub = open_hub(hub_settings, )
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
        for party in hub.regime.participants:
            if party == "IRN":
                continue
            keys[party] = SigningKey.generate(party)
            from gulfsec.services.participant import registration_request

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
        echo(f"  {entries:,} entries sequenced ({time.perf_counter() - started:.0f} s)")
        started = time.perf_counter()
        node = open_node(node_settings)
        node.sync.acknowledge = False
        while node.sync_once().new_entries:
            pass
        echo(f"  Iran's node verified and stored {node.status()['entries']:,} entries "
             f"({time.perf_counter() - started:.0f} s)")
        create_account(node.engine, "officer", PASSWORD, "officer")
        create_account(hub.engine, "secretariat", PASSWORD, "secretariat")
        node.close()
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        hub.stop()
        hub.engine.dispose()
    return {"hub_dir": root / "hub", "node_dir": root / "IRN"}


def _countersigned(entry_json: Any, sec: SigningKey) -> bytes:
    from gulfsec.domain.entry import parse_signed_entry

    return parse_signed_entry(canonical_entry(entry_json), max_bytes=1 << 16) \
        .countersigned(sec).raw


def _serve(kind: str, data_dir: Path, port: int, hub_port: int | None = None
           ) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GULFSEC_")}
    env.update(GULFSEC_DATA_DIR=str(data_dir), GULFSEC_ENV="development",
               GULFSEC_LOG_LEVEL="warning", GULFSEC_SYNC_INTERVAL_MS="5000")
    args = [sys.executable, "-m", "gulfsec.cli.main", kind, "serve", "--port", str(port)]
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


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
    first = sessions[0].get(path)
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


def run(entries: int = 10_000, clients: int = 20, seconds: float = 30,
        echo: Callable[[str], None] = print) -> dict[str, float]:
    root = Path(tempfile.mkdtemp(prefix="gulfsec-bench-pages-"))
    procs: list[subprocess.Popen[bytes]] = []
    figures: dict[str, float] = {}
    try:
        echo(f"preparing a node holding {entries:,} entries …")
        dirs = prepare(root, entries, echo)
        hub_port, node_port = _free_port(), _free_port()
        procs.append(_serve("hub", dirs["hub_dir"], hub_port))
        hub_url = f"http://127.0.0.1:{hub_port}"
        _wait_healthy(hub_url, procs[-1])
        procs.append(_serve("node", dirs["node_dir"], node_port))
        node_url = f"http://127.0.0.1:{node_port}"
        _wait_healthy(node_url, procs[-1])
        pages = [
            ("node inbox (10^4 entries held)", node_url, "/inbox", "officer"),
            ("node inbox, filtered to one sender", node_url, "/inbox?sender=SAU", "officer"),
            ("node compliance, own scorecard", node_url, "/compliance", "officer"),
            ("secretariat compliance, all participants", hub_url, "/secretariat/compliance",
             "secretariat"),
        ]
        echo(f"{clients} signed-in clients per page, {seconds:.0f} s each (server time from "
             "Server-Timing; client time includes the wire and the queue):")
        for label, url, path, name in pages:
            server, client, errors = load(url, path, name, clients, seconds)
            key = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
            figures[f"{key}_p99_ms"] = _p(server, 0.99)
            echo(f"  {label:44} {len(server):6,} requests  server median "
                 f"{statistics.median(server):6.1f} ms  p99 {_p(server, 0.99):6.1f} ms   "
                 f"client median {statistics.median(client):6.0f} ms  p99 "
                 f"{_p(client, 0.99):6.0f} ms   errors {errors}")
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(root, ignore_errors=True)
    return figures


ACCEPTS_QUICK = True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--quick", action="store_true", help="1,000 entries, 5 s per page")
    args = parser.parse_args()
    if args.quick:
        args.entries, args.seconds = 1_000, 5
    run(args.entries, args.clients, args.seconds)


if __name__ == "__main__":
    main()
