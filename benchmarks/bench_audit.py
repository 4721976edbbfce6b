"""The audit on every core against verifying the same signatures alone, and the resident memory
of a hub and of a node holding the log.

Prints, in one run on this machine:
- the ceiling (``ceiling.py``): Ed25519 verifications per second of every library, on one
  thread, one thread per core and one process per core;
- for each N of ``--sizes`` (10^5 and 10^6): the time to audit N signed entries from every
  participant (``audit_entries``: size, JSON, canonical form, form, each signature with the
  key valid at its index, sequences, the tree to the checkpoint; on every core, starting its
  processes included), the time to verify the same N signatures alone on every core (PyNaCl,
  the best library, ``VerifierKey.verify`` over one thread per core with ``map_chunks``), the
  time the ceiling's best rate would take, and the ratios; with the CPU seconds of each;
- for each N of ``--memory``: the resident memory of a fresh process that starts a ``Hub``
  over a SQLite database holding N entries (peak, VmHWM), and then audits that database
  (``Hub.audit``, entries streamed from SQLite); and of a fresh process that loads a ``Node``
  whose SQLite database holds N entries and their leaves; and what each entry adds.

    cd benchmarks && python bench_audit.py [--sizes 100000,1000000] [--memory 100000,1000000]
                                           [--quick]

The databases are filled through the storage layer (the rows and the signed checkpoint the
sequencer and a node's sync would write), not by sequencing, to keep the set-up short.
"""

from __future__ import annotations

import argparse
import base64
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ceiling import measure  # noqa: E402

from gulfsec.adapters.cores import map_chunks  # noqa: E402
from gulfsec.domain.keys import VerifierKey  # noqa: E402

if TYPE_CHECKING:
    from bench_hub import History

Echo = Callable[[str], None]
NODE_PARTY = "IRN"
BATCH = 20_000
"""Rows written per statement when filling a database."""


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _verify_chunk(chunk: Sequence[tuple[VerifierKey, bytes, bytes]]) -> list[bool]:
    return [key.verify(message, sig) for key, message, sig in chunk]


@dataclass(frozen=True)
class Parsed:
    """What the benchmark needs of one signed entry, parsed once."""

    raw: bytes
    entry_id: bytes
    sender: str
    seq: int
    form: str
    audience: tuple[str, ...] | None
    claimed_time: str
    key: VerifierKey
    message: bytes
    sig: bytes


def parse_history(history: History) -> list[Parsed]:
    from gulfsec.domain.encoding import format_time
    from gulfsec.domain.entry import ALL, parse_signed_entry

    keys = {p: k.verifier for p, k in history.keys.items()} | {"SEC": history.sec.verifier}
    out = []
    for raw in [s.raw for s in history.setup] + history.entries:
        signed = parse_signed_entry(raw, max_bytes=1 << 16)
        entry = signed.entry
        audience = None if entry.audience == ALL else tuple(entry.audience)
        out.append(Parsed(raw, signed.id, entry.sender, entry.seq, entry.form, audience,
                          format_time(entry.time), keys[entry.sender], signed.signing_bytes,
                          signed.signatures[0].sig))
    return out


def _tree_root(entries: Sequence[Parsed]) -> tuple[int, bytes]:
    from gulfsec.ledger.tree import MerkleTree

    tree = MerkleTree.from_entry_ids(p.entry_id for p in entries)
    return tree.size, tree.root()


# -- the audit against verifying alone ----------------------------------------------------------


@dataclass(frozen=True)
class AuditFigures:
    n: int
    audit_s: float
    audit_cpu_s: float
    verify_s: float
    verify_cpu_s: float
    ceiling_s: float


def audit_against_verify(history: History, parsed: Sequence[Parsed], n: int,
                         best_rate: float) -> AuditFigures:
    from gulfsec.ledger.note import Checkpoint
    from gulfsec.services.shared.audit import audit_entries

    entries = parsed[: len(history.setup) + n]
    size, root = _tree_root(entries)
    checkpoint = Checkpoint(history.regime.log_origin, size, root)
    raws = [p.raw for p in entries]
    pairs = [(p.key, p.message, p.sig) for p in entries]
    cpu, start = _cpu(), time.perf_counter()
    verified = map_chunks(_verify_chunk, pairs)
    verify_s, verify_cpu = time.perf_counter() - start, _cpu() - cpu
    if not all(verified):
        raise RuntimeError("a signature did not verify")
    del pairs, verified
    cpu, start = _cpu(), time.perf_counter()
    result = audit_entries(history.regime, raws, checkpoint)
    audit_s, audit_cpu = time.perf_counter() - start, _cpu() - cpu
    if not result.ok or result.size != size:
        raise RuntimeError(f"audit failed: {result.problems[:3]}")
    return AuditFigures(size, audit_s, audit_cpu, verify_s, verify_cpu, size / best_rate)


# -- resident memory ----------------------------------------------------------------------------


def fill_hub(url: str, history: History, entries: Sequence[Parsed], now: datetime) -> None:
    """The rows the sequencer writes for ``entries``, their keys and a signed checkpoint."""
    from gulfsec.adapters.storage.engine import create_db_engine
    from gulfsec.adapters.storage.hub import NewEntry, StoredCheckpoint
    from gulfsec.adapters.storage.migrate import migrate
    from gulfsec.domain.keyring import Keyring
    from gulfsec.ledger.note import Checkpoint, sign_checkpoint
    from gulfsec.services.shared.time import micros
    from gulfsec.services.shared.unit_of_work import UnitOfWork

    engine = create_db_engine(url)
    migrate(engine, "hub")
    keyring = Keyring(history.regime.secretariat.code)
    for index, signed in enumerate(history.setup):
        keyring.apply(signed, index)
    size, root = _tree_root(entries)
    note = sign_checkpoint(Checkpoint(history.regime.log_origin, size, root), history.log_key,
                           timestamp=int(now.timestamp()))
    stamp = micros(now)
    try:
        with UnitOfWork(engine) as uow:
            for start in range(0, len(entries), BATCH):
                uow.repo.insert_entries([
                    NewEntry(index, p.entry_id, p.sender, p.seq, p.form, p.audience,
                             p.claimed_time, stamp, p.raw)
                    for index, p in enumerate(entries[start : start + BATCH], start)
                ])
            for record in keyring.records():
                uow.repo.upsert_key(record.party, record.key.key_id_hex, record.key.encode(),
                                    record.registered_at, record.revoked_at)
            uow.repo.insert_checkpoint(StoredCheckpoint(size, root, note, stamp))
            uow.commit()
    finally:
        engine.dispose()


def fill_node(url: str, history: History, entries: Sequence[Parsed], now: datetime) -> None:
    """A node's leaves, entries and latest checkpoint, as its sync stores them."""
    from gulfsec.adapters.storage.engine import create_db_engine
    from gulfsec.adapters.storage.migrate import migrate
    from gulfsec.adapters.storage.node import NodeCheckpoint, NodeEntry, NodeRepository
    from gulfsec.ledger.note import Checkpoint, sign_checkpoint
    from gulfsec.services.shared.time import micros
    from gulfsec.services.shared.unit_of_work import SqlUnitOfWork

    engine = create_db_engine(url)
    migrate(engine, "node")
    size, root = _tree_root(entries)
    note = sign_checkpoint(Checkpoint(history.regime.log_origin, size, root), history.log_key,
                           timestamp=int(now.timestamp()))
    stamp = micros(now)
    try:
        with SqlUnitOfWork(engine, NodeRepository) as uow:
            for start in range(0, len(entries), BATCH):
                part = entries[start : start + BATCH]
                uow.repo.add_leaves(start, [p.entry_id for p in part])
                uow.repo.add_entries(
                    [NodeEntry(index, p.entry_id, p.sender, p.seq, p.form, p.audience, stamp,
                               stamp, p.raw) for index, p in enumerate(part, start)],
                    [p.claimed_time for p in part])
            uow.repo.put_checkpoint(NodeCheckpoint(size, root, note, stamp, stamp, None, ()))
            uow.commit()
    finally:
        engine.dispose()


def _status_kib() -> dict[str, int]:
    """VmRSS and VmHWM of this process, in KiB."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            out[name] = int(value.split()[0])
    return out


def resident(kind: str, url: str, seeds: Path) -> dict[str, Any]:
    """In a fresh process: start a hub (and audit its database) or load a node over ``url``,
    and say how much memory it holds."""
    from gulfsec.adapters.clock import ManualClock, SystemClock
    from gulfsec.adapters.hubclient import HubClient
    from gulfsec.adapters.storage.engine import create_db_engine
    from gulfsec.domain.keys import SigningKey
    from gulfsec.domain.regime import default_regime
    from gulfsec.services.hub import Hub
    from gulfsec.services.node import Node

    regime = default_regime()
    keys = json.loads(seeds.read_text())
    log_key = SigningKey(regime.log_origin, base64.b64decode(keys["log"]))
    engine = create_db_engine(url)
    figures: dict[str, Any] = {"before": _status_kib()}
    if kind == "hub":
        hub = Hub(regime, engine, log_key, ManualClock(datetime.now(UTC)))
        hub.start()
        figures["loaded"] = _status_kib()
        figures["size"] = hub.state.size
        start = time.perf_counter()
        result = hub.audit()
        figures["audit_s"] = time.perf_counter() - start
        figures["audited"] = _status_kib()
        if not result.ok:
            raise RuntimeError(f"the hub's audit failed: {result.problems[:3]}")
        hub.stop()
    else:
        key = SigningKey(NODE_PARTY, base64.b64decode(keys["node"]))
        client = HubClient("http://127.0.0.1:9")
        node = Node(regime, engine, NODE_PARTY, key, client, log_key.verifier, SystemClock(),
                    acknowledge=False)
        node.load()
        figures["loaded"] = _status_kib()
        figures["size"] = node.core.copy.tree.size
        node.close()
    engine.dispose()
    return figures


def _in_fresh_process(kind: str, url: str, seeds: Path) -> dict[str, Any]:
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--resident", kind,
                           url, str(seeds)], capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"the {kind} process failed: {done.stderr[-2000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return figures


@dataclass(frozen=True)
class MemoryFigures:
    n: int
    hub: dict[str, Any]
    node: dict[str, Any]


def memory(history: History, parsed: Sequence[Parsed], n: int, now: datetime,
           echo: Echo) -> MemoryFigures:
    entries = parsed[: len(history.setup) + n]
    tmp = Path(tempfile.mkdtemp(prefix="gulfsec-bench-audit-"))
    try:
        seeds = tmp / "seeds.json"
        seeds.write_text(json.dumps({
            "log": base64.b64encode(history.log_key.seed).decode(),
            "node": base64.b64encode(history.keys[NODE_PARTY].seed).decode(),
        }))
        seeds.chmod(0o600)
        started = time.perf_counter()
        fill_hub(f"sqlite:///{tmp / 'hub.db'}", history, entries, now)
        fill_node(f"sqlite:///{tmp / 'node.db'}", history, entries, now)
        echo(f"  filled a hub's and a node's SQLite databases with {len(entries):,} entries "
             f"({time.perf_counter() - started:.0f} s)")
        hub = _in_fresh_process("hub", f"sqlite:///{tmp / 'hub.db'}", seeds)
        node = _in_fresh_process("node", f"sqlite:///{tmp / 'node.db'}", seeds)
        for kind, figures in (("hub", hub), ("node", node)):
            if figures["size"] != len(entries):
                raise RuntimeError(f"the {kind} holds {figures['size']} entries, "
                                   f"not {len(entries)}")
        return MemoryFigures(len(entries), hub, node)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _mib(kib: int) -> str:
    return f"{kib / 1024:7,.0f} MiB"


# -- the run ------------------------------------------------------------------------------------


def run(sizes: Sequence[int], memory_sizes: Sequence[int], echo: Echo = print) -> dict[str, float]:
    from bench_hub import NOW, History

    figures: dict[str, float] = {}
    ceiling = measure()
    for line in ceiling.lines():
        echo(line)
    best = ceiling.best
    figures["ceiling_per_s"] = best
    largest = max([*sizes, *memory_sizes])
    started = time.perf_counter()
    history = History(largest)
    parsed = parse_history(history)
    echo(f"generated and parsed {largest:,} signed entries from "
         f"{len(history.regime.participants)} participants "
         f"({time.perf_counter() - started:.0f} s)")
    audits = [audit_against_verify(history, parsed, n, best) for n in sizes]
    for a in audits:
        rows = [
            (f"audit {a.n:,} entries, every core", a.audit_s,
             f"(CPU {a.audit_cpu_s:6.1f} s, {a.audit_cpu_s / a.n * 1e6:4.0f} us/entry)"),
            (f"  verify alone, {ceiling.cores} threads", a.verify_s,
             f"(CPU {a.verify_cpu_s:6.1f} s, {a.verify_cpu_s / a.n * 1e6:4.0f} us/entry)   "
             f"audit/verify {a.audit_s / a.verify_s:4.2f}x "
             f"(CPU {a.audit_cpu_s / a.verify_cpu_s:4.2f}x)"),
            (f"  at the ceiling ({ceiling.best_label})", a.ceiling_s,
             f"audit/ceiling {a.audit_s / a.ceiling_s:4.2f}x"),
        ]
        for label, seconds, rest in rows:
            echo(f"{label + ':':40} {seconds:7.1f} s   {rest}")
        figures[f"audit_{a.n}_s"] = a.audit_s
        figures[f"audit_{a.n}_ratio"] = a.audit_s / a.verify_s
    memories = [memory(history, parsed, n, NOW, echo) for n in memory_sizes]
    for m in memories:
        hub, node = m.hub, m.node
        echo(f"hub  holding {m.n:>9,} entries: peak RSS {_mib(hub['loaded']['VmHWM'])} "
             f"(before loading {_mib(hub['before']['VmRSS'])}); auditing its database "
             f"{hub['audit_s']:.1f} s, peak RSS then {_mib(hub['audited']['VmHWM'])}")
        echo(f"node holding {m.n:>9,} entries: peak RSS {_mib(node['loaded']['VmHWM'])} "
             f"(before loading {_mib(node['before']['VmRSS'])})")
        figures[f"hub_{m.n}_rss_mib"] = hub["loaded"]["VmHWM"] / 1024
        figures[f"node_{m.n}_rss_mib"] = node["loaded"]["VmHWM"] / 1024
    for low, high in zip(memories, memories[1:], strict=False):
        for kind in ("hub", "node"):
            grown = getattr(high, kind)["loaded"]["VmHWM"] - getattr(low, kind)["loaded"]["VmHWM"]
            echo(f"{kind:4} memory grows {grown * 1024 / (high.n - low.n):5.0f} bytes per entry "
                 f"from {low.n:,} to {high.n:,} entries")
    return figures


ACCEPTS_QUICK = True


def _sizes(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--sizes", type=_sizes, default=[100_000, 1_000_000],
                        help="entries to audit, comma-separated")
    parser.add_argument("--memory", type=_sizes, default=[100_000, 1_000_000],
                        help="entries held by the hub and the node, comma-separated")
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--resident", nargs=3, metavar=("KIND", "URL", "SEEDS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.resident:
        kind, url, seeds = args.resident
        print(json.dumps(resident(kind, url, Path(seeds))))
        return
    if args.quick:
        args.sizes, args.memory = [2_000, 20_000], [2_000, 20_000]
    run(args.sizes, args.memory)


if __name__ == "__main__":
    main()
