"""Participants' nodes end to end (DESIGN §3–5): real hub and node processes over HTTP.

One network per database (SQLite, then PostgreSQL), set up once for the module through the CLI:
``gulfsec hub init``; ``gulfsec node init`` for IRN, RUS, QAT and SAU (four states, so the
regime's witness quorum of three is reachable); ``gulfsec hub admit --party`` for each. The hub
and the nodes then run as ``gulfsec hub serve`` and ``gulfsec node serve`` processes on loopback,
each over a database of its own. Short commands run the click command line in-process with the
process's settings (as in ``test_cli.py``), ``gulfsec node send`` as the console script. USA and
CHN are registered without a node, to send floods of entries straight to the hub.

Personas: IRN sends, RUS is addressed, QAT is the outsider who must see nothing of a bilateral
entry. The last test runs the hub and the nodes in-process on one manual clock, to follow
acknowledgement deadlines over a simulated week.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from support.databases import Kind
from support.inprocess import NodeNet
from support.processes import NodeProcess, ProcessNetwork, ServedProcess, wait_until

from gulfsec.adapters import keystore
from gulfsec.adapters.clock import ManualClock
from gulfsec.adapters.hubclient import HubClient
from gulfsec.domain.encoding import canonical, parse_time
from gulfsec.domain.entry import Audience, SignedEntry, check_signatures, parse_signed_entry
from gulfsec.domain.keys import SigningKey, VerifierKey
from gulfsec.domain.regime import Regime
from gulfsec.errors import RemoteError
from gulfsec.services.hub import Hub
from gulfsec.services.participant import compose

pytestmark = pytest.mark.slow

NODES = ("IRN", "RUS", "QAT", "SAU")
SENDERS = ("USA", "CHN")
SUBJECT = "Joint naval exercise"


# -- a sender without a node -------------------------------------------------------------------


@dataclass
class Sender:
    """A registered party that submits straight to the hub, keeping its own sequence."""

    party: str
    key: SigningKey
    seq: int = 1
    sent: list[str] = field(default_factory=list)

    def send(self, hub_url: str, count: int, audience: Audience, *, chunk: int = 64,
             pause: float = 0.0) -> list[str]:
        ids: list[str] = []
        with HubClient(hub_url) as client:
            for start in range(0, count, chunk):
                batch = [self._next(audience) for _ in range(min(chunk, count - start))]
                results = client.submit_batch([s.raw for s in batch])
                assert all(r["ok"] for r in results), [r for r in results if not r["ok"]]
                ids.extend(r["entry_id"] for r in results)
                time.sleep(pause)
        self.sent.extend(ids)
        return ids

    def _next(self, audience: Audience) -> SignedEntry:
        signed = compose(self.key, self.party, form="message@1", audience=audience,
                         body={"subject": f"{self.party} report", "text": f"number {self.seq}"},
                         seq=self.seq, now=datetime.now(UTC))
        self.seq += 1
        return signed


# -- the network -------------------------------------------------------------------------------


class Network(ProcessNetwork):
    """The module's network: :class:`ProcessNetwork` with the senders that have no node."""

    def __init__(self, root: Path, kind: Kind) -> None:
        # QAT's node compares what it is shown with what the others were shown (split views).
        # Only QAT's: each comparison asks every peer, and four nodes doing so every round
        # swamp a small host.
        super().__init__(root, kind, NODES, peers={"QAT": [p for p in NODES if p != "QAT"]})
        self.senders: dict[str, Sender] = {}

    def visible_at_hub(self, party: str) -> list[tuple[int, str]]:
        """(index, entry id) of every entry the hub serves to ``party``."""
        out: list[tuple[int, str]] = []
        after = -1
        with self.client(party) as client:
            while True:
                page = client.entries(after=after, limit=1000)["entries"]
                if not page:
                    return out
                out.extend((item["index"], item["entry_id"]) for item in page)
                after = page[-1]["index"]

    def hub_leaves(self) -> list[bytes]:
        return _column(self.hub, "SELECT entry_id FROM entries ORDER BY idx")


def content(item: dict[str, Any]) -> dict[str, Any]:
    """The entry itself, inside a served item (``{"entry": {"entry": ..., "signatures": ...}}``)."""
    inner = item["entry"]["entry"]
    assert isinstance(inner, dict)
    return inner


def _column(served: ServedProcess, query: str) -> list[Any]:
    """One query's rows (single values for one column) from a process's database."""
    engine = served.engine()
    try:
        with engine.connect() as conn:
            return [row[0] if len(row) == 1 else tuple(row) for row in conn.execute(sa.text(query))]
    finally:
        engine.dispose()


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def network(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    """A hub and four nodes set up through the CLI and served, each on its own database; USA
    and CHN registered without a node."""
    kind = request.param
    with Network(tmp_path_factory.mktemp(f"network-{kind}"), kind) as net:
        for party, key in net.register(*SENDERS).items():
            net.senders[party] = Sender(party, key)
        net.settle()
        yield net


def node_snapshot(node: NodeProcess) -> dict[str, list[Any]]:
    """What a node's database holds, apart from checkpoints (finality may arrive any time)."""
    return {
        "leaves": _column(node, "SELECT entry_id FROM node_leaves ORDER BY idx"),
        "entries": _column(node, "SELECT idx, entry_id, raw FROM node_entries ORDER BY idx"),
        "outbox": _column(node,
                          "SELECT seq, entry_id, sequenced_idx FROM node_outbox ORDER BY seq"),
        "alarms": _column(node, "SELECT kind, message FROM node_alarms ORDER BY id"),
        "quarantine": _column(node, "SELECT idx, reason FROM node_quarantine ORDER BY id"),
        "witness": _column(node, "SELECT size, delivered FROM node_witness"),
    }


def assert_converged(net: Network, node: NodeProcess) -> None:
    """The node holds the hub's leaves, exactly the entries it may read, and verifies."""
    size = net.settle()
    leaves = _column(node, "SELECT entry_id FROM node_leaves ORDER BY idx")
    assert len(leaves) == size
    assert [bytes(leaf) for leaf in leaves] == [bytes(leaf) for leaf in net.hub_leaves()]
    held = [(index, bytes(eid).hex()) for index, eid in
            _column(node, "SELECT idx, entry_id FROM node_entries ORDER BY idx")]
    assert held == net.visible_at_hub(node.party)
    assert [(e["index"], e["entry_id"]) for e in node.entries()] == held
    done = node.cli("verify")
    assert "everything verifies" in done.stdout


def acknowledged(net: Network, sender: str, *, by: str) -> list[str]:
    """The ids ``by`` acknowledged to ``sender``, as the hub serves them to ``sender``, one
    item per acknowledgement (so a repeated one shows twice)."""
    acked: list[str] = []
    with net.client(sender) as client:
        after = -1
        while page := client.entries(after=after, limit=1000)["entries"]:
            acked.extend(eid for item in page
                         if content(item)["form"] == "acknowledgement@1"
                         and content(item)["sender"] == by
                         for eid in content(item)["body"]["entries"])
            after = page[-1]["index"]
    return acked


# -- set-up ------------------------------------------------------------------------------------


def test_the_hub_and_four_nodes_are_set_up_through_the_cli(network: Network) -> None:
    out = network.setup_output
    assert "log key (give it to every participant to pin)" in out["hub init"]
    for party in NODES:
        assert f"node for {party} set up" in out[f"node init {party}"]
        assert "registration sent to the hub" in out[f"node init {party}"]
        assert party in out["hub pending"]
        assert f"admitted {party}" in out[f"hub admit {party}"]
    assert "no registrations are waiting" in out["hub pending after"]
    keys = {k["party"] for k in httpx.get(f"{network.hub.url}/v1/keys", timeout=10).json()}
    assert {"SEC", *NODES, *SENDERS} <= keys
    for party, node in network.nodes.items():
        assert node.status()["party"] == party
        assert node.status()["last_error"] is None


# -- a bilateral entry -------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    entry_id: str
    index: int


@pytest.fixture(scope="module")
def bilateral(network: Network) -> Sent:
    """IRN sends RUS a message with ``gulfsec node send`` (the console script, while IRN's
    node serves); RUS's node receives it."""
    network.up()
    network.settle()
    draft = network.root / "bilateral.json"
    draft.write_text(json.dumps({"form": "message@1", "audience": ["RUS"],
                                 "body": {"subject": SUBJECT, "text": "Iran informs Russia."}}))
    out = network.nodes["IRN"].cli_process("node", "send", str(draft)).stdout
    match = re.search(r"signed entry ([0-9a-f]{64})", out)
    assert match, out
    entry_id = match.group(1)

    def received() -> int | None:
        for item in network.nodes["RUS"].entries():
            if item["entry_id"] == entry_id:
                return int(item["index"])
        return None

    index = wait_until(received, 30, "RUS's node to receive the entry", network.describe)
    network.settle()
    return Sent(entry_id, index)


def test_a_bilateral_entry_reaches_its_addressee_and_no_one_else(network: Network,
                                                                  bilateral: Sent) -> None:
    [item] = [e for e in network.nodes["RUS"].entries() if e["entry_id"] == bilateral.entry_id]
    assert item["sender"] == "IRN"
    assert content(item)["audience"] == ["RUS"]
    assert content(item)["body"]["subject"] == SUBJECT
    for outsider in ("QAT", "SAU"):
        node = network.nodes[outsider]
        assert node.status()["size"] > bilateral.index  # it holds the log past the entry...
        assert bilateral.entry_id not in {e["entry_id"] for e in node.entries()}  # ...not it
        stored = _column(node, "SELECT entry_id FROM node_entries")
        assert bytes.fromhex(bilateral.entry_id) not in {bytes(e) for e in stored}
        assert _column(node, "SELECT reason FROM node_quarantine") == []
    with network.client("QAT") as qat, pytest.raises(RemoteError) as refused:
        qat.entry(bilateral.entry_id)
    assert refused.value.status == 404


def test_the_addressee_acknowledges_with_a_signed_entry(network: Network,
                                                         bilateral: Sent) -> None:
    acks = [e for e in network.nodes["IRN"].entries()
            if e["form"] == "acknowledgement@1" and e["sender"] == "RUS"
            and bilateral.entry_id in content(e)["body"]["entries"]]
    assert len(acks) == 1
    ack = parse_signed_entry(canonical(acks[0]["entry"]), max_bytes=1 << 20)
    assert ack.entry.audience == ("IRN",)
    assert bilateral.entry_id in ack.entry.refs
    name, public = keystore.read_public(network.nodes["RUS"].key_path)
    rus_key = VerifierKey(name, public)
    check_signatures(ack, [("RUS", rus_key.key_id_hex)], lambda _party, _kid: rus_key)
    status = network.nodes["IRN"].cli("node", "status").stdout
    assert status.startswith("IRN: log size")
    assert not [line for line in status.splitlines()
                if bilateral.entry_id[:16] in line and "by RUS" in line], status


def test_the_entry_becomes_final_on_the_hub_and_on_the_nodes(network: Network,
                                                              bilateral: Sent) -> None:
    finals = set()
    for party in ("IRN", "RUS"):
        with network.client(party) as client:
            served = client.entry(bilateral.entry_id)
        assert served["final"] is True
        finals.add(served["final_at"])
        [held] = [e for e in network.nodes[party].entries()
                  if e["entry_id"] == bilateral.entry_id]
        assert held["final"] is True
        finals.add(held["final_at"])
    [final_at] = finals  # the hub and both nodes agree on when it became final
    assert parse_time(final_at) <= datetime.now(UTC)


# -- a tampered database -----------------------------------------------------------------------


def _execute(served: ServedProcess, query: str, **params: Any) -> None:
    engine = served.engine()
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(query), params)
    finally:
        engine.dispose()


@contextmanager
def tampered(served: ServedProcess, table: str, column: str, index: int,
             change: Callable[[bytes], bytes]) -> Iterator[None]:
    """Change one stored value of the row at ``index`` for the block's duration."""
    [original] = _column(served, f"SELECT {column} FROM {table} WHERE idx = {index}")
    original = bytes(original)
    update = f"UPDATE {table} SET {column} = :value WHERE idx = :idx"
    _execute(served, update, value=change(original), idx=index)
    try:
        yield
    finally:
        _execute(served, update, value=original, idx=index)


def test_verify_fails_when_the_node_database_is_tampered_with(network: Network,
                                                               bilateral: Sent) -> None:
    network.up()
    network.settle()
    rus = network.nodes["RUS"]
    subject = SUBJECT.encode()
    with tampered(rus, "node_entries", "raw", bilateral.index,
                  lambda raw: raw.replace(subject, subject.upper())):
        done = rus.cli("verify", check=False)
    assert done.exit_code == 1, done.output
    assert f"problem: entry {bilateral.index} (" in done.stderr
    assert "stored id does not match the content" in done.stderr

    with tampered(rus, "node_leaves", "entry_id", bilateral.index,
                  lambda leaf: bytes([leaf[0] ^ 1]) + leaf[1:]):
        done = rus.cli("verify", check=False)
    assert done.exit_code == 1, done.output
    assert f"problem: entry {bilateral.index} (" in done.stderr
    assert "not at its index in the log" in done.stderr
    assert "does not match the stored leaves" in done.stderr
    assert done.stderr.splitlines()[-1].startswith("gulfsec: error: ")

    assert "everything verifies" in rus.cli("verify").stdout


# -- a node killed while entries flow ----------------------------------------------------------


def test_a_node_killed_mid_sync_restarts_and_converges(network: Network) -> None:
    network.up()
    sau = network.nodes["SAU"]
    usa = network.senders["USA"]
    before = sau.status()["entries"]
    failure: list[BaseException] = []

    def flow() -> None:
        try:
            usa.send(network.hub.url, 600, ("SAU",), chunk=25, pause=0.05)
        except BaseException as exc:  # the test thread reports it
            failure.append(exc)

    sender = threading.Thread(target=flow, daemon=True)
    sender.start()
    try:
        # Kill it while it verifies and stores the flow; it restarts while the flow goes on.
        wait_until(lambda: sau.status()["entries"] > before + 40, 30,
                   "SAU's node to take in part of the flow", network.describe)
        sau.kill()
        sau.start()
    finally:
        sender.join(timeout=60)
    assert not failure, failure
    assert_converged(network, sau)
    held = {e["entry_id"] for e in sau.entries()}
    assert set(usa.sent) <= held
    # The kill lost no acknowledgement and repeated none.
    assert sorted(acknowledged(network, "USA", by="SAU")) == sorted(usa.sent)


# -- a node offline while the log grows --------------------------------------------------------


def test_an_offline_node_catches_up_idempotently(network: Network) -> None:
    network.up()
    qat = network.nodes["QAT"]
    chn = network.senders["CHN"]
    qat.stop()
    sent = chn.send(network.hub.url, 320, ("QAT",))
    qat.start()
    visible = wait_until(
        lambda: (v := network.visible_at_hub("QAT")) and len(v) == qat.status()["entries"] and v,
        60, "QAT's node to catch up", network.describe)
    assert_converged(network, qat)
    assert set(sent) <= {eid for _, eid in visible}

    # Each of CHN's entries is acknowledged exactly once, by a signed entry from QAT.
    assert sorted(acknowledged(network, "CHN", by="QAT")) == sorted(sent)

    # Syncing again, twice, changes nothing (QAT's node stays stopped for that).
    qat.stop()
    before = node_snapshot(qat)
    for _ in range(2):
        out = qat.cli("node", "sync").stdout
        assert "0 new entries verified, 0 acknowledged" in out, out
        assert node_snapshot(qat) == before


# -- a week offline, in-process on a manual clock ----------------------------------------------


def test_a_node_offline_for_a_week_catches_up_and_acknowledges_late(
        hub: Hub, make_net: Callable[..., NodeNet], clock: ManualClock, regime: Regime) -> None:
    net = make_net(NODES)
    nodes = net.nodes
    irn, qat = nodes["IRN"], nodes["QAT"]
    online = ("IRN", "RUS", "SAU")
    net.settle()

    # QAT goes offline for a week; every other day IRN writes to QAT and RUS, SAU to QAT.
    sent: list[SignedEntry] = []
    start = clock.now()
    for day in (0, 2, 4, 6):
        clock.set(start + timedelta(days=day))
        sent.append(irn.send("message@1", ("QAT", "RUS"),
                             {"subject": "Report", "text": f"day {day}"}))
        nodes["SAU"].send("message@1", ("QAT",), {"subject": "Bulletin", "text": f"day {day}"})
        net.settle(only=online)
    clock.set(start + timedelta(days=7, hours=1))

    # Before QAT's acknowledgements arrive, IRN's node reports them overdue; RUS's are in.
    ids = {s.id_hex for s in sent}
    waiting = [u for u in irn.unacknowledged() if u.entry_id in ids]
    assert {u.entry_id for u in waiting} == ids
    assert {u.party for u in waiting} == {"QAT"}
    assert all(u.overdue and u.due is not None and u.due < clock.now() for u in waiting)

    # QAT comes back: it catches up in one round and acknowledges everything it was sent.
    report = qat.sync_once()
    assert (report.new_entries, report.acknowledged) == (8, 8)
    net.settle()
    assert qat.status()["size"] == hub.state.size
    assert not [u for u in irn.unacknowledged() if u.entry_id in ids]
    with qat.uow() as uow:
        assert {e.entry_id.hex() for e in uow.repo.iter_entries()} >= ids

    # The acknowledgements are late: final more than 24 hours after what they acknowledge.
    within = regime.commitments.acknowledgement.within
    index_of: dict[str, int] = {}
    acked_at: dict[tuple[str, str], int] = {}
    with irn.uow() as uow:
        for item in uow.repo.iter_entries():
            index_of[item.entry_id.hex()] = item.index
            if item.form == "acknowledgement@1":
                body = parse_signed_entry(item.raw, max_bytes=1 << 20).entry.body
                for eid in body["entries"]:
                    acked_at[(eid, item.sender)] = item.index
    for signed in sent:
        final = irn.final_at(index_of[signed.id_hex])
        by_qat = irn.final_at(acked_at[(signed.id_hex, "QAT")])
        by_rus = irn.final_at(acked_at[(signed.id_hex, "RUS")])
        assert final is not None and by_qat is not None and by_rus is not None
        assert by_qat - final > within
        assert by_rus - final <= within
