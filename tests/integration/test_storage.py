"""The node's store on SQLite and PostgreSQL: what one transaction may do after streaming."""

from __future__ import annotations

import threading

import sqlalchemy as sa
from support.fakes import FakeHub

from gulfsec.adapters.clock import ManualClock
from gulfsec.adapters.storage.engine import create_db_engine
from gulfsec.adapters.storage.migrate import migrate
from gulfsec.adapters.storage.node import NodeEntry, NodeRepository
from gulfsec.domain.entry import SignedEntry
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import default_regime
from gulfsec.services.node import Node


def test_a_transaction_writes_after_it_streamed_rows(database_url: str) -> None:
    """Streaming (a server-side cursor on PostgreSQL) is an option of the one statement: the
    same transaction then still writes (an alarm raised while checking held entries)."""
    engine = create_db_engine(database_url)
    try:
        migrate(engine, "node")
        with engine.begin() as conn:
            repo = NodeRepository(conn)
            repo.add_entries([NodeEntry(i, bytes([i]) * 32, "IRN", i, "message@1", None, 1, 1,
                                        b"{}") for i in range(3)], ["t"] * 3)
        with engine.begin() as conn:
            repo = NodeRepository(conn)
            assert [e.index for e in repo.iter_entries()] == [0, 1, 2]
            assert len(list(repo.all_leaves())) == 0
            repo.add_alarm("bad_entry", "m", {"index": 1}, 5)
            repo.set_meta("k", "v")
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM node_alarms")).scalar_one() == 1
    finally:
        engine.dispose()


def test_an_outbox_entry_refused_for_good_moves_out_and_the_next_takes_its_place(
        database_url: str) -> None:
    engine = create_db_engine(database_url)
    try:
        migrate(engine, "node")
        with engine.begin() as conn:
            repo = NodeRepository(conn)
            for seq in (1, 2, 3):
                repo.add_outbox(seq, bytes([seq]) * 32, b"raw%d" % seq, seq, f"token-{seq}")
        with engine.begin() as conn:
            repo = NodeRepository(conn)
            repo.refuse_outbox(2, "hub refused (422 procedure): closed", 10)
            repo.resequence_outbox(3, 2, bytes([9]) * 32, b"again")
        with engine.begin() as conn:
            repo = NodeRepository(conn)
            items = repo.outbox_items(pending_only=True)
            assert [(i.seq, i.entry_id[0], i.raw) for i in items] == [(1, 1, b"raw1"),
                                                                       (2, 9, b"again")]
            assert repo.refused() == [(bytes([2]) * 32, "hub refused (422 procedure): closed",
                                       10)]
            assert repo.refused_confirmed("token-2") == "hub refused (422 procedure): closed"
            assert repo.refused_confirmed("token-3") is None
            assert repo.outbox_confirmed("token-3") is not None
            assert repo.max_outbox_seq() == 2
    finally:
        engine.dispose()


def test_two_processes_of_one_node_signing_at_once_take_a_sequence_number_each(
        database_url: str, party_keys: dict[str, SigningKey], clock: ManualClock,
        log_key: SigningKey) -> None:
    """``gulfsec node send`` beside the serving node: two processes, each with an engine of
    its own on the node's database, sign the party's next entry at the same moment. The
    second waits until the first has stored its entry, then takes the next number; it used to
    read the same last number and fail on the outbox's key (a database error, nothing sent)."""
    engines = [create_db_engine(database_url) for _ in range(2)]
    try:
        migrate(engines[0], "node")
        serving, cli = (Node(default_regime(), engine, "IRN", party_keys["IRN"],
                             FakeHub(log_key), log_key.verifier, clock)  # type: ignore[arg-type]
                        for engine in engines)
        serving.load()
        cli.load()
        body = {"subject": "Joint naval exercise", "text": "Dates and area attached."}
        beside: dict[str, SignedEntry | Exception] = {}

        def send_beside() -> None:
            try:
                beside["signed"] = cli.outbox.send("message@1", ("RUS",), body,
                                                   deliver=False)[0]
            except Exception as exc:
                beside["error"] = exc

        other = threading.Thread(target=send_beside)

        def while_storing(_repo: NodeRepository, _signed: SignedEntry) -> None:
            other.start()  # it reads the outbox, or waits to, before this commits
            other.join(timeout=1.0)

        first, _ = serving.outbox.send("message@1", ("RUS",), body, deliver=False,
                                       within=while_storing)
        other.join()
        assert "error" not in beside, beside["error"]
        second = beside["signed"]
        assert isinstance(second, SignedEntry)
        assert second.entry.seq == first.entry.seq + 1
        with engines[0].connect() as conn:
            seqs = conn.execute(sa.text("SELECT seq FROM node_outbox ORDER BY seq")).scalars()
            assert list(seqs) == [first.entry.seq, second.entry.seq]
    finally:
        for engine in engines:
            engine.dispose()
