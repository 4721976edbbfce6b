"""Crash safety (DESIGN §5): a hub killed with SIGKILL while entries flow loses nothing it
acknowledged, never leaves a tree that disagrees with its signed checkpoint, and picks up
sequencing where the database left off.

A real ``gulfsec hub serve`` process runs on the test's database (SQLite and PostgreSQL);
sender threads submit signed entries over HTTP and keep every receipt; the process is killed
after a different number of acknowledgements in each round, and restarted on the same data.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from support.processes import HubProcess

from gulfsec.adapters.hubclient import HubClient
from gulfsec.adapters.storage import hub as db
from gulfsec.adapters.storage.engine import create_db_engine
from gulfsec.domain.entry import ALL, SignedEntry
from gulfsec.domain.keys import SigningKey, VerifierKey
from gulfsec.errors import RemoteError, TransportError
from gulfsec.ledger.note import Checkpoint, verify_checkpoint
from gulfsec.ledger.tree import MerkleTree
from gulfsec.services.participant import audit_log, compose, registration_request

pytestmark = pytest.mark.slow

SENDERS = ("IRN", "SAU", "QAT", "RUS", "USA", "CHN")
KILLS = ((5, 0.0), (60, 0.004), (150, 0.011))
"""When each round's kill comes: after this many acknowledgements, then this many seconds more,
so that it lands at different points of a batch (waiting, writing, committing, answering)."""


@dataclass
class Sender:
    """One party submitting its entries one after another, keeping what the hub answered."""

    party: str
    key: SigningKey
    next_seq: int = 1
    acked: list[tuple[SignedEntry, dict[str, Any]]] = field(default_factory=list)
    in_flight: SignedEntry | None = None
    failure: str | None = None

    def entry(self, seq: int) -> SignedEntry:
        return compose(self.key, self.party, form="message@1", audience=ALL,
                       body={"subject": f"{self.party} {seq}", "text": f"entry {seq}"},
                       seq=seq, now=datetime.now(UTC))

    def record(self, signed: SignedEntry, receipt: dict[str, Any]) -> None:
        self.acked.append((signed, receipt))
        self.in_flight = None
        self.next_seq = signed.entry.seq + 1

    def flow(self, url: str, acks: AckCounter, stop: threading.Event) -> None:
        """Submit until the hub goes away; remember the entry it was sending then."""
        try:
            with HubClient(url, timeout=10) as client:
                while not stop.is_set():
                    signed = self.entry(self.next_seq)
                    self.in_flight = signed
                    try:
                        receipt = client.submit(signed.raw)
                    except RemoteError as exc:
                        self.failure = f"{self.party}: {exc.message}"
                        return
                    except TransportError:
                        return  # killed under us: the entry may or may not be stored
                    self.record(signed, receipt)
                    acks.add()
        except BaseException as exc:  # a thread's exception must reach the test
            self.failure = f"{self.party}: {exc.__class__.__name__}: {exc}"


class AckCounter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def add(self) -> None:
        with self._lock:
            self.count += 1


@dataclass(frozen=True)
class Stored:
    """What the database holds, read directly with the hub down."""

    ids: list[bytes]
    by_party: dict[str, list[tuple[int, bytes]]]
    """party -> [(seq, entry id)] in seq order."""
    checkpoint: Checkpoint
    checkpoint_sizes: set[int]


def read_database(url: str, log_key: VerifierKey) -> Stored:
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(db.entries.c.idx, db.entries.c.entry_id, db.entries.c.sender,
                          db.entries.c.seq).order_by(db.entries.c.idx)
            ).all()
            latest = db.HubRepository(conn).latest_checkpoint()
            sizes = set(conn.execute(sa.select(db.checkpoints.c.size)).scalars())
    finally:
        engine.dispose()
    assert [r.idx for r in rows] == list(range(len(rows))), "the stored log has holes"
    assert latest is not None
    checkpoint, _ = verify_checkpoint(latest.note, log_key)
    by_party: dict[str, list[tuple[int, bytes]]] = {}
    for r in sorted(rows, key=lambda r: (r.sender, r.seq)):
        by_party.setdefault(r.sender, []).append((int(r.seq), bytes(r.entry_id)))
    return Stored([bytes(r.entry_id) for r in rows], by_party, checkpoint, sizes)


@pytest.fixture
def hub_proc(tmp_path: Path, database_url: str) -> Iterator[HubProcess]:
    hub = HubProcess(tmp_path / "hub", database_url, batch_delay_ms=5)
    try:
        yield hub
    finally:
        hub.close()


def register(hub: HubProcess) -> list[Sender]:
    sec = hub.secretariat_key()
    senders = [Sender(party, SigningKey.generate(party)) for party in SENDERS]
    with HubClient(hub.url) as client:
        for s in senders:
            request = registration_request(s.key, s.party, datetime.now(UTC))
            client.submit(request.countersigned(sec).raw)
    return senders


def flow_until_killed(hub: HubProcess, senders: list[Sender], kill_after: int,
                      then_wait: float) -> None:
    acks = AckCounter()
    stop = threading.Event()
    threads = [threading.Thread(target=s.flow, args=(hub.url, acks, stop), daemon=True)
               for s in senders]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    try:
        while acks.count < kill_after:
            assert not any(s.failure for s in senders), [s.failure for s in senders]
            assert time.monotonic() < deadline, f"only {acks.count} acknowledgements in 20 s"
            time.sleep(0.001)
        time.sleep(then_wait)
        hub.kill()
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=15)
    assert not any(t.is_alive() for t in threads)
    assert [s.failure for s in senders if s.failure] == []


def check_nothing_acknowledged_was_lost(stored: Stored, senders: list[Sender]) -> None:
    # The stored tree is exactly the one the latest signed checkpoint commits to.
    tree = MerkleTree()
    tree.extend(stored.ids)
    assert (tree.size, tree.root(tree.size)) == (stored.checkpoint.size, stored.checkpoint.root), (
        f"the stored tree ({tree.size} entries) disagrees with the latest signed checkpoint "
        f"(size {stored.checkpoint.size})")
    for s in senders:
        for signed, receipt in s.acked:
            assert receipt["entry_id"] == signed.id_hex
            index = receipt["index"]
            assert index < len(stored.ids), f"acknowledged {s.party} entry lost: {receipt}"
            assert stored.ids[index] == signed.id, f"another entry at {index}: {receipt}"
            assert index < receipt["checkpoint_size"] <= stored.checkpoint.size
            assert receipt["checkpoint_size"] in stored.checkpoint_sizes


def check_each_sender_stops_at_acked_or_in_flight(stored: Stored,
                                                  senders: list[Sender]) -> None:
    for s in senders:
        seqs = stored.by_party[s.party]
        assert [seq for seq, _ in seqs] == list(range(len(seqs))), f"{s.party} has a gap"
        last_seq, last_id = seqs[-1]
        if last_seq == s.next_seq:  # stored, but the kill came before the answer
            assert s.in_flight is not None and s.in_flight.id == last_id
        else:
            assert last_seq == s.next_seq - 1, (s.party, last_seq, s.next_seq)
            if s.acked:
                assert s.acked[-1][0].id == last_id


def resume_after_restart(hub: HubProcess, senders: list[Sender], stored: Stored) -> None:
    """Each sender learns its next number, resends what was in flight, and goes on."""
    for s in senders:
        with HubClient(hub.url, party=s.party, key=s.key) as client:
            status = client.party_status()
            stored_seqs = stored.by_party[s.party]
            assert status["next_seq"] == stored_seqs[-1][0] + 1
            assert status["size"] >= stored.checkpoint.size
            if s.in_flight is not None:
                receipt = client.submit(s.in_flight.raw)
                was_stored = status["next_seq"] > s.in_flight.entry.seq
                assert receipt["duplicate"] is was_stored
                if was_stored:
                    assert stored.ids[receipt["index"]] == s.in_flight.id
                else:
                    assert receipt["index"] >= stored.checkpoint.size
                s.record(s.in_flight, receipt)
            assert client.party_status()["next_seq"] == s.next_seq
            signed = s.entry(s.next_seq)
            receipt = client.submit(signed.raw)
            assert receipt["duplicate"] is False
            s.record(signed, receipt)


def test_a_hub_killed_mid_flow_keeps_every_acknowledged_entry_and_resumes(
        hub_proc: HubProcess) -> None:
    hub_proc.init()
    hub_proc.start()
    log_key = hub_proc.log_key
    senders = register(hub_proc)
    previous: Checkpoint | None = None

    for kill_after, then_wait in KILLS:
        flow_until_killed(hub_proc, senders, kill_after, then_wait)
        stored = read_database(hub_proc.database_url, log_key)
        check_nothing_acknowledged_was_lost(stored, senders)
        check_each_sender_stops_at_acked_or_in_flight(stored, senders)
        if previous is not None:
            assert stored.checkpoint.size > previous.size

        hub_proc.start()
        with HubClient(hub_proc.url) as public:
            report = audit_log(public, log_key, previous)
            assert report.size == stored.checkpoint.size
            assert report.root == stored.checkpoint.root
        resume_after_restart(hub_proc, senders, stored)
        with HubClient(hub_proc.url) as public:
            previous, _ = verify_checkpoint(public.checkpoint(), log_key)

    hub_proc.stop()
    final = read_database(hub_proc.database_url, log_key)
    assert previous is not None
    check_nothing_acknowledged_was_lost(final, senders)
    assert final.checkpoint.size == previous.size
    assert sum(len(s.acked) for s in senders) + len(SENDERS) + 1 == final.checkpoint.size
