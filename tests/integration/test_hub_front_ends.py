"""Several hub front ends on one PostgreSQL database, one sequencer (:mod:`gulfsec.services.hub
.shared`): three ``gulfsec hub serve`` processes; senders submit through the two that do not
sequence while the one that does is killed with SIGKILL, again and again. Every entry
acknowledged is in the log, once, at the index its receipt gave; another process took over
sequencing each time; the log verifies and every front end serves the same checkpoint.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from support.databases import new_pg_database
from support.processes import HubProcess, wait_until

from gulfsec.adapters.hubclient import HubClient
from gulfsec.adapters.storage import hub as db
from gulfsec.adapters.storage.engine import create_db_engine
from gulfsec.domain.entry import ALL, SignedEntry
from gulfsec.domain.keys import SigningKey
from gulfsec.errors import GulfsecError
from gulfsec.ledger.note import verify_checkpoint
from gulfsec.ledger.tree import MerkleTree
from gulfsec.services.participant import audit_log, compose, registration_request

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

SENDERS = ("IRN", "SAU", "QAT", "RUS", "USA", "CHN")
KILLS = 3


@dataclass
class Sender:
    party: str
    key: SigningKey
    next_seq: int = 1
    acked: list[tuple[SignedEntry, dict[str, Any]]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def entry(self, seq: int) -> SignedEntry:
        return compose(self.key, self.party, form="message@1", audience=ALL,
                       body={"subject": f"{self.party} {seq}", "text": f"entry {seq}"},
                       seq=seq, now=datetime.now(UTC))

    def flow(self, urls: list[str], stop: threading.Event) -> None:
        """Submit one entry after another, each through the next front end in turn; a front
        end that fails to answer is asked again with the same entry (as a node's outbox
        would), so that every entry ends acknowledged."""
        turn = 0
        clients = [HubClient(url, timeout=20) for url in urls]
        try:
            signed = self.entry(self.next_seq)
            while not stop.is_set():
                client = clients[turn % len(clients)]
                turn += 1
                try:
                    receipt = client.submit(signed.raw)
                except GulfsecError as exc:
                    self.failures.append(exc.message)
                    time.sleep(0.05)
                    continue
                self.acked.append((signed, receipt))
                self.next_seq += 1
                signed = self.entry(self.next_seq)
        finally:
            for c in clients:
                c.close()


def acknowledged(senders: list[Sender]) -> int:
    return sum(len(s.acked) for s in senders)


def sequencing(hub: HubProcess) -> bool:
    try:
        answer = httpx.get(f"{hub.url}/healthz", timeout=2).json()
    except httpx.HTTPError:
        return False
    return bool(answer.get("sequencing"))


@pytest.fixture
def front_ends(tmp_path: Path) -> Iterator[list[HubProcess]]:
    database = new_pg_database()
    hubs = [HubProcess(tmp_path / "hub", database.url, batch_delay_ms=5) for _ in range(3)]
    for n, hub in enumerate(hubs):
        hub.log_path = tmp_path / f"hub-{n}-serve.log"
    try:
        yield hubs
    finally:
        for hub in hubs:
            hub.close()
        database.drop()


def read_log(url: str) -> tuple[list[bytes], int, bytes, dict[str, list[int]]]:
    """(entry ids in index order, latest checkpoint size and root, seqs by sender)."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(db.entries.c.idx, db.entries.c.entry_id,
                                          db.entries.c.sender, db.entries.c.seq)
                                .order_by(db.entries.c.idx)).all()
            latest = db.HubRepository(conn).latest_checkpoint()
    finally:
        engine.dispose()
    assert [r.idx for r in rows] == list(range(len(rows))), "the stored log has holes"
    assert latest is not None
    seqs: dict[str, list[int]] = {}
    for r in rows:
        seqs.setdefault(r.sender, []).append(int(r.seq))
    return [bytes(r.entry_id) for r in rows], latest.size, latest.root, seqs


def test_the_sequencer_killed_under_load_is_replaced_and_nothing_acknowledged_is_lost(
        front_ends: list[HubProcess]) -> None:
    first = front_ends[0]
    first.init()
    for hub in front_ends:
        hub.start()
    assert sequencing(first), "the first front end started should sequence"
    assert not any(sequencing(h) for h in front_ends[1:])
    log_key = first.log_key
    sec = first.secretariat_key()
    senders = [Sender(party, SigningKey.generate(party)) for party in SENDERS]
    with HubClient(front_ends[1].url) as client:  # through a front end that does not sequence
        for s in senders:
            request = registration_request(s.key, s.party, datetime.now(UTC))
            assert client.submit(request.countersigned(sec).raw)["duplicate"] is False

    killed = 0
    while killed < KILLS:
        leader = next(h for h in front_ends if h.running and sequencing(h))
        others = [h.url for h in front_ends if h is not leader and h.running]
        stop = threading.Event()
        threads = [threading.Thread(target=s.flow, args=(others, stop), daemon=True)
                   for s in senders]
        before = acknowledged(senders)
        for t in threads:
            t.start()
        try:
            wait_until(lambda before=before: acknowledged(senders) >= before + 30, 30,
                       "entries to flow through the front ends that do not sequence")
            leader.kill()
            killed += 1
            took_over = wait_until(
                lambda: [h for h in front_ends if h.running and sequencing(h)], 20,
                "another front end to take over sequencing")
            assert len(took_over) == 1
            after = acknowledged(senders)
            wait_until(lambda after=after: acknowledged(senders) >= after + 30, 30,
                       "entries to flow again after the takeover")
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=30)
        assert not any(t.is_alive() for t in threads)
        leader.start()  # back, as a front end that does not sequence
        assert not sequencing(leader)

    ids, size, root, seqs = read_log(first.database_url)
    tree = MerkleTree()
    tree.extend(ids)
    assert (tree.size, tree.root(tree.size)) == (size, root)
    assert len(set(ids)) == len(ids), "an entry is in the log twice"
    for s in senders:
        assert seqs[s.party] == list(range(s.next_seq)), f"{s.party}: {s.failures}"
        for signed, receipt in s.acked:
            assert receipt["entry_id"] == signed.id_hex
            assert ids[receipt["index"]] == signed.id, f"{s.party}: {receipt}"
            assert receipt["index"] < receipt["checkpoint_size"] <= size
    assert sum(len(s.acked) for s in senders) >= KILLS * 60

    # Every front end serves the same log, which verifies from scratch.
    def same_checkpoint() -> bool:
        notes = {httpx.get(f"{h.url}/v1/checkpoint", timeout=5).text for h in front_ends}
        return len(notes) == 1
    wait_until(same_checkpoint, 10, "every front end to serve the same checkpoint")
    for hub in front_ends:
        with HubClient(hub.url) as public:
            report = audit_log(public, log_key, None)
            assert (report.size, report.root) == (size, root)
        checkpoint, _ = verify_checkpoint(httpx.get(f"{hub.url}/v1/checkpoint").text, log_key)
        assert checkpoint.size == size


def test_several_workers_need_postgresql(tmp_path: Path) -> None:
    from support.databases import new_database

    sqlite = new_database("sqlite", tmp_path, "hub")
    hub = HubProcess(tmp_path / "hub", sqlite.url)
    hub.init()
    result = hub.cli("hub", "serve", "--workers", "2", check=False)
    assert result.exit_code != 0
    assert "--workers needs PostgreSQL" in result.output
