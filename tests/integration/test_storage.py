"""The node's store on SQLite and PostgreSQL: what one transaction may do after streaming."""

from __future__ import annotations

import sqlalchemy as sa

from gulfsec.adapters.storage.engine import create_db_engine
from gulfsec.adapters.storage.migrate import migrate
from gulfsec.adapters.storage.node import NodeEntry, NodeRepository


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
