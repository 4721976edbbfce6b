"""How long the log stops when the hub process that sequences it dies.

Three ``gulfsec hub serve`` processes share one PostgreSQL database (:mod:`gulfsec.services.hub
.shared`): one sequences, the others answer reads and pass entries on. A sender submits
entries one after another through the two that do not sequence; the one that does is killed
with SIGKILL, and after each kill it is started again (it then waits as a front end that does
not sequence). For each of ``--kills`` kills this prints:

- the takeover time: from the kill until another process says it sequences (``/healthz``);
- the failover time: from the kill until the first entry sent after it is acknowledged (the
  longest a sender waits is about this plus one entry);

as median, p99 and maximum, and checks that every acknowledged entry is in the log at the
index its receipt gave (none lost, none twice).

    python benchmarks/bench_failover.py [--kills 20] [--quick]

Every process, database and temporary directory is removed at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from gulfsec.adapters.hubclient import HubClient
from gulfsec.config import load_settings
from gulfsec.domain.entry import ALL
from gulfsec.domain.keys import SigningKey
from gulfsec.errors import GulfsecError
from gulfsec.services.hub.setup import load_secretariat_key
from gulfsec.services.participant import compose, registration_request

ACCEPTS_QUICK = True
PG_URL = os.environ.get("GULFSEC_TEST_PG_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
HOST = "127.0.0.1"
FRONT_ENDS = 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


@dataclass
class FrontEnd:
    port: int
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "gulfsec.cli.main", "hub", "serve", "--port",
                 str(self.port)], env=self.env, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not self.health():
            if self.popen.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"a hub front end did not start:\n"
                                   f"{self.log.read_text()[-2000:]}")
            time.sleep(0.05)

    def health(self) -> dict[str, Any] | None:
        try:
            answer = httpx.get(f"{self.url}/healthz", timeout=1)
        except httpx.HTTPError:
            return None
        return dict(answer.json()) if answer.status_code == 200 else None

    def sequencing(self) -> bool:
        health = self.health()
        return bool(health and health.get("sequencing"))

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        if self.popen is not None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(timeout=30)
            self.popen = None

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=15)
        self.popen = None


@dataclass
class Sender:
    party: str
    key: SigningKey
    seq: int = 1
    acked: list[tuple[str, int, float, float]] = field(default_factory=list)
    """(entry id, index, when first sent, when acknowledged: monotonic seconds)."""
    errors: int = 0

    def flow(self, urls: list[str], stop: threading.Event) -> None:
        clients = [HubClient(url, timeout=30) for url in urls]
        turn = 0
        signed = self.next()
        sent = time.monotonic()
        try:
            while not stop.is_set():
                client = clients[turn % len(clients)]
                turn += 1
                try:
                    receipt = client.submit(signed.raw)
                except GulfsecError:
                    self.errors += 1
                    time.sleep(0.02)
                    continue
                self.acked.append((signed.id_hex, int(receipt["index"]), sent,
                                   time.monotonic()))
                self.seq += 1
                signed = self.next()
                sent = time.monotonic()
        finally:
            for c in clients:
                c.close()

    def next(self) -> Any:
        return compose(self.key, self.party, form="message@1", audience=ALL,
                       body={"subject": f"{self.party} {self.seq}", "text": "failover"},
                       seq=self.seq, now=datetime.now(UTC))


def run(kills: int) -> None:
    name = f"gulfsec_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    tmp = Path(tempfile.mkdtemp(prefix="gulfsec-failover-"))
    data = tmp / "hub"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GULFSEC_")}
    env.update(GULFSEC_DATA_DIR=str(data), GULFSEC_DATABASE_URL=url,
               GULFSEC_LOG_LEVEL="warning", GULFSEC_BATCH_DELAY_MS="5")
    fronts = [FrontEnd(free_port(), env, tmp / f"hub-{n}.log") for n in range(FRONT_ENDS)]
    try:
        subprocess.run([sys.executable, "-m", "gulfsec.cli.main", "hub", "init"], env=env,
                       check=True, capture_output=True)
        for front in fronts:
            front.start()
        sec = load_secretariat_key(load_settings(data_dir=data))
        senders = [Sender(p, SigningKey.generate(p)) for p in ("IRN", "SAU", "QAT")]
        with HubClient(fronts[0].url) as client:
            for s in senders:
                request = registration_request(s.key, s.party, datetime.now(UTC))
                client.submit(request.countersigned(sec).raw)
        takeovers: list[float] = []
        failovers: list[float] = []
        for _ in range(kills):
            leader = next(f for f in fronts if f.sequencing())
            others = [f.url for f in fronts if f is not leader]
            stop = threading.Event()
            threads = [threading.Thread(target=s.flow, args=(others, stop), daemon=True)
                       for s in senders]
            for t in threads:
                t.start()
            time.sleep(0.5)
            killed_at = time.monotonic()
            leader.kill()
            while not any(f.sequencing() for f in fronts if f is not leader):
                time.sleep(0.005)
            takeovers.append(time.monotonic() - killed_at)
            def after_kill(killed_at: float = killed_at) -> list[float]:
                return [done for s in senders for _, _, sent, done in list(s.acked)
                        if sent > killed_at]
            while not after_kill():
                time.sleep(0.005)
            failovers.append(min(after_kill()) - killed_at)
            time.sleep(0.3)
            stop.set()
            for t in threads:
                t.join(timeout=60)
            leader.start()
        check(url, senders)
        acked = sum(len(s.acked) for s in senders)
        errors = sum(s.errors for s in senders)
        print(f"   {kills} kills of the sequencing process, {FRONT_ENDS} front ends on one "
              f"PostgreSQL database; {acked} entries acknowledged, none lost or twice; "
              f"{errors} submissions answered with an error (then sent again)")
        print(f"   {'':<34}{'p50':>9}{'p99':>9}{'max':>9}")
        for label, values in (("takeover (another one sequences)", takeovers),
                              ("failover (an entry sent after it)", failovers)):
            print(f"   {label:<34}{statistics.median(values):>8.2f}s"
                  f"{percentile(values, 0.99):>8.2f}s{max(values):>8.2f}s")
    finally:
        for front in fronts:
            front.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def check(url: str, senders: list[Sender]) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT idx, entry_id FROM entries ORDER BY idx")).all()
    finally:
        engine.dispose()
    ids = [bytes(r.entry_id).hex() for r in rows]
    assert [r.idx for r in rows] == list(range(len(rows))), "the log has holes"
    assert len(set(ids)) == len(ids), "an entry is in the log twice"
    for s in senders:
        for entry_id, index, _, _ in s.acked:
            assert ids[index] == entry_id, f"acknowledged entry {entry_id} lost"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="3 kills, a smoke run")
    args = parser.parse_args()
    run(3 if args.quick else args.kills)


if __name__ == "__main__":
    main()
