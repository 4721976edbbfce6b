"""Reading the log: from the hub, or from the bucket it publishes to.

A ``gulfsec hub serve`` process on loopback holds a log of ``--entries`` entries and publishes
its checkpoint and tiles to an S3-compatible object store (moto's server, a process of its own
on loopback, with a bucket anyone may read); once the bucket has caught up, ``--clients``
concurrent readers (threads spread over a few processes, one HTTP connection each) fetch, for
``--seconds`` each:

- the checkpoint, again and again (``/log/checkpoint`` from the hub; ``<bucket>/checkpoint``);
- tiles: full and partial hash tiles and entry bundles of the log, in random order
  (``/log/tile/...``; ``<bucket>/tile/...``), every byte compared with the hub's;

and prints requests per second, MB per second and the median latency of each source, and the
ratio of the bucket to the hub. The hub signs every answer (signed answers), the bucket serves
stored bytes; moto is a test double, not a production store (which scales out behind a CDN):
the ratio says what moving readers off the hub's process costs or gains on one machine.

    python benchmarks/bench_reads.py [--entries 10000] [--clients 16] [--seconds 10] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_hub import History, ServedHub, _free_port, _post_batches  # noqa: E402

from gulfsec.services.hub.publish import tiles_between  # noqa: E402

BUCKET = "gulfsec-bench-log"
ACCESS = ("gulfsec-bench", "gulfsec-bench-secret")


@dataclass(frozen=True)
class Figures:
    requests: int
    bytes: int
    errors: int
    seconds: float
    p50_ms: float

    @property
    def per_s(self) -> float:
        return self.requests / self.seconds

    @property
    def mb_per_s(self) -> float:
        return self.bytes / self.seconds / 1e6


def _read(base: str, paths: list[str], seconds: float, threads: int, seed: int
          ) -> tuple[int, int, int, list[float]]:
    """In one process: ``threads`` readers fetching ``paths`` (in random order) from ``base``
    for ``seconds``: (requests, bytes, errors, latencies in ms)."""
    done = [0, 0, 0]
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def reader(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        count = size = errors = 0
        mine: list[float] = []
        with httpx.Client(base_url=base, timeout=30) as http:
            while time.monotonic() < deadline:
                path = paths[rng.randrange(len(paths))]
                started = time.perf_counter()
                response = http.get(path)
                mine.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    errors += 1
                    continue
                count += 1
                size += len(response.content)
        with lock:
            done[0] += count
            done[1] += size
            done[2] += errors
            latencies.extend(mine)

    workers = [threading.Thread(target=reader, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return done[0], done[1], done[2], latencies


def measure(base: str, paths: list[str], clients: int, seconds: float) -> Figures:
    """``clients`` readers over a few processes (so that the readers' own Python is not what
    is measured), all at once."""
    processes = max(1, min(clients, os.cpu_count() or 1))
    shares = [clients // processes + (1 if i < clients % processes else 0)
              for i in range(processes)]
    with ProcessPoolExecutor(max_workers=processes) as pool:
        results = list(pool.map(_read, [base] * processes, [paths] * processes,
                                [seconds] * processes, shares, range(processes)))
    latencies = [ms for result in results for ms in result[3]]
    # each reader reads for ``seconds`` from its own start: the rate is over that window
    return Figures(sum(r[0] for r in results), sum(r[1] for r in results),
                   sum(r[2] for r in results), seconds,
                   statistics.median(latencies) if latencies else float("nan"))


@contextmanager
def object_store() -> Iterator[str]:
    """moto's S3 server in a process of its own on loopback, with a public bucket."""
    import boto3

    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                             str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{endpoint}/moto-api/", timeout=2)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the object store did not start") from None
                time.sleep(0.2)
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id=ACCESS[0], aws_secret_access_key=ACCESS[1])
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                           "Resource": f"arn:aws:s3:::{BUCKET}/*"}]}))
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _published_size(public: str) -> int:
    try:
        response = httpx.get(f"{public}/checkpoint", timeout=5)
    except httpx.HTTPError:
        return 0
    return int(response.text.split("\n")[1]) if response.status_code == 200 else 0


def run(entries: int = 10_000, clients: int = 16, seconds: float = 10.0,
        echo: Callable[[str], None] = print) -> dict[str, float]:
    figures: dict[str, float] = {}
    history = History(entries)
    with tempfile.TemporaryDirectory(prefix="gulfsec-bench-reads-") as tmp, \
            object_store() as endpoint:
        public = f"{endpoint}/{BUCKET}"
        os.environ.update(GULFSEC_S3_ENDPOINT=endpoint, GULFSEC_S3_BUCKET=BUCKET,
                          GULFSEC_S3_ACCESS_KEY_ID=ACCESS[0],
                          GULFSEC_S3_SECRET_ACCESS_KEY=ACCESS[1])
        try:
            with ServedHub(history, f"sqlite:///{tmp}/hub.db") as hub:
                for stream in history.streams(0, entries):
                    _post_batches(hub.base, stream)
                size = int(httpx.get(f"{hub.base}/healthz").json()["size"])
                started = time.perf_counter()
                deadline = started + 600
                while _published_size(public) < size:
                    if time.monotonic() > deadline:
                        raise RuntimeError("the bucket did not catch up with the hub")
                    time.sleep(0.2)
                echo(f"a log of {size:,} entries; the bucket caught up "
                     f"{time.perf_counter() - started:.1f} s after the last entry")
                paths = tiles_between(0, size)
                with httpx.Client() as http:  # the bucket holds the hub's very bytes
                    for path in paths:
                        mine = http.get(f"{hub.base}/log/{path}").content
                        if http.get(f"{public}/{path}").content != mine:
                            raise RuntimeError(f"the bucket's {path} is not the hub's")
                echo(f"{clients} concurrent readers, {seconds:.0f} s per line "
                     f"({len(paths)} tiles, {sum(1 for p in paths if '.p/' in p)} partial):")
                for what, hub_paths, bucket_paths in (
                        ("checkpoint", ["/log/checkpoint"], [f"/{BUCKET}/checkpoint"]),
                        ("tiles", [f"/log/{p}" for p in paths],
                         [f"/{BUCKET}/{p}" for p in paths])):
                    from_hub = measure(hub.base, hub_paths, clients, seconds)
                    from_bucket = measure(endpoint, bucket_paths, clients, seconds)
                    for source, got in (("hub", from_hub), ("bucket", from_bucket)):
                        figures[f"{what}_{source}_per_s"] = got.per_s
                        figures[f"{what}_{source}_mb_s"] = got.mb_per_s
                        echo(f"  {what:10} from the {source:6} {got.per_s:9,.0f} req/s  "
                             f"{got.mb_per_s:8.2f} MB/s  p50 {got.p50_ms:6.1f} ms  "
                             f"errors {got.errors}")
                    ratio = from_bucket.per_s / from_hub.per_s
                    figures[f"{what}_ratio"] = ratio
                    echo(f"  {what:10} bucket / hub: {ratio:5.2f}x the requests per second")
        finally:
            for name in ("GULFSEC_S3_ENDPOINT", "GULFSEC_S3_BUCKET", "GULFSEC_S3_ACCESS_KEY_ID",
                         "GULFSEC_S3_SECRET_ACCESS_KEY"):
                os.environ.pop(name, None)
    return figures


ACCEPTS_QUICK = True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--quick", action="store_true", help="1,000 entries, 3 s per line")
    args: Any = parser.parse_args()
    if args.quick:
        args.entries, args.seconds = 1_000, 3.0
    run(args.entries, args.clients, args.seconds)


if __name__ == "__main__":
    main()
