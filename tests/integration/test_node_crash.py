"""Crash safety of a participant's node: a ``gulfsec node serve`` process SIGKILLed again and
again, at random moments, while it syncs, verifies, witnesses, acknowledges and sends.

Four parties (the regime's witness quorum is three, so the log goes on becoming final while the
victim is down); QAT's node is the victim. Its delegates keep sending entries through it —
threads opened on its API with its token (answered by the node's process, which may die under
the request) and messages with ``gulfsec node send`` — while the other parties' nodes open
threads addressed to QAT, which it owes acknowledgements of. The victim is killed after a
random delay, restarted, killed again; at the end the network settles and the log the hub
holds is read directly:

- every entry a delegate was told was taken is in the log exactly once, and QAT's sequence
  numbers have no gap and no repeat;
- the victim's copy verifies (``gulfsec verify``);
- every checkpoint the victim cosigned is a checkpoint of the real log, and it never cosigned a
  smaller tree after a larger one;
- no node raised an alarm (the victim none that is false, the others none at all);
- each entry addressed to QAT is acknowledged once, and nothing else is.

The run is random: its seed is printed first (pytest shows it with a failure) and named in
each assertion; ``GULFSEC_CRASH_SEED=<seed>`` replays its choices (not the machine's timing).
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from support.processes import NodeProcess, ProcessNetwork

from gulfsec.adapters.storage import hub as hub_db
from gulfsec.domain.duties import AcknowledgementDuty
from gulfsec.domain.entry import parse_signed_entry
from gulfsec.domain.forms.acknowledgement import ACKNOWLEDGEMENT
from gulfsec.domain.forms.consultations import THREAD
from gulfsec.domain.regime import default_regime
from gulfsec.ledger.note import Checkpoint, parse_note, verify_cosignature
from gulfsec.ledger.tree import MerkleTree

pytestmark = pytest.mark.slow(minutes=3)  # each case, on a busy two-core machine

PARTIES = ("IRN", "RUS", "SAU", "QAT")
VICTIM = "QAT"
KILLS = {"sqlite": 50, "postgres": 25}
"""SIGKILLs of the victim's node per run, by database."""
MAX_LIFE_S = 1.5
"""The victim is killed at most this long after it answers again."""
EARLY_KILLS = 0.2
"""The share of kills that come while the node is still starting (before it answers)."""
SENT_FORMS = (THREAD, "message@1")
"""What the delegates send (the node itself sends acknowledgements and hotline keys)."""
SEED = int(os.environ.get("GULFSEC_CRASH_SEED") or random.SystemRandom().randrange(2**32))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def net(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ProcessNetwork]:
    # The victim compares its view with the others' (as a node does after each restart); they
    # do not poll it, which spares two busy cores.
    peers = {VICTIM: [p for p in PARTIES if p != VICTIM]}
    with ProcessNetwork(tmp_path, request.param, PARTIES, peers=peers) as network:
        network.settle()
        yield network


# -- the delegates -----------------------------------------------------------------------------


@dataclass
class Delegates:
    """Delegates sending entries through one node, one after another, keeping what they were
    told was taken (entry id → subject) and every subject they tried."""

    node: NodeProcess
    rng: random.Random
    draft_dir: Path
    cli_share: float = 0.0
    """How many of the sends go through ``gulfsec node send`` instead of the API."""
    addressees: tuple[str, ...] = ()
    pause_s: float = 0.3
    """The longest pause between two sends."""
    taken: dict[str, str] = field(default_factory=dict)
    tried: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    """Answers that were neither a taken entry nor a node gone away (should stay empty)."""
    failure: str | None = None

    def run(self, stop: threading.Event) -> None:
        token = (self.node.data_dir / "api-token").read_text().strip()
        with httpx.Client(base_url=self.node.url, timeout=60,
                          headers={"Authorization": f"Bearer {token}"}) as client:
            try:
                n = 0
                while not stop.is_set():
                    n += 1
                    subject = f"{self.node.party} {n}"
                    self.tried.append(subject)
                    if self.rng.random() < self.cli_share:
                        self._send_cli(subject)
                    elif not self._send_api(client, subject):
                        stop.wait(0.1)  # the node is down: try again in a moment
                    stop.wait(self.rng.uniform(0.0, self.pause_s))
            except BaseException as exc:  # a thread's exception must reach the test
                self.failure = f"{self.node.party}: {exc.__class__.__name__}: {exc}"

    def _send_api(self, client: httpx.Client, subject: str) -> bool:
        """Open a thread through the node's API; False if the node did not answer."""
        parties = self.rng.sample(self.addressees, self.rng.randint(1, len(self.addressees)))
        try:
            answer = client.post("/v1/threads", json={
                "subject": subject, "level": "expert", "parties": sorted(parties),
                "text": "Crash test."})
        except httpx.TransportError:
            return False  # killed under the request: the delegate never saw an answer
        if answer.status_code == 503:  # a page worker: the node's process died under it
            return False
        if answer.status_code in (201, 202):
            self.taken[answer.json()["entry_id"]] = subject
        else:
            self.refused.append(f"{subject}: {answer.status_code} {answer.text[:300]}")
        return True

    def _send_cli(self, subject: str) -> None:
        draft = self.draft_dir / f"{subject.replace(' ', '-')}.json"
        draft.write_text(json.dumps({"form": "message@1", "audience": "all",
                                     "body": {"subject": subject, "text": "Crash test."}}))
        done = self.node.cli("node", "send", str(draft), check=False)
        if done.exit_code != 0:
            self.refused.append(f"{subject}: node send exited {done.exit_code}: "
                                f"{done.output[-300:]} {done.exception!r}")
            return
        entry_id = str(done.stdout).split("signed entry ", 1)[1].split(" ", 1)[0]
        self.taken[entry_id] = subject


# -- what the hub holds ------------------------------------------------------------------------


@dataclass(frozen=True)
class Logged:
    idx: int
    entry_id: bytes
    sender: str
    seq: int
    form: str
    raw: bytes


def read_log(net: ProcessNetwork) -> list[Logged]:
    engine = net.hub.engine()
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(
                hub_db.entries.c.idx, hub_db.entries.c.entry_id, hub_db.entries.c.sender,
                hub_db.entries.c.seq, hub_db.entries.c.form, hub_db.entries.c.raw,
            ).order_by(hub_db.entries.c.idx)).all()
    finally:
        engine.dispose()
    log = [Logged(int(r.idx), bytes(r.entry_id), r.sender, int(r.seq), r.form, bytes(r.raw))
           for r in rows]
    assert [e.idx for e in log] == list(range(len(log))), "the hub's log has holes"
    return log


def hub_cosignatures(net: ProcessNetwork) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    since = 0
    with httpx.Client(base_url=net.hub.url, timeout=30) as client:
        while True:
            page = client.get("/v1/cosignatures", params={"since": since}).json()
            fresh = [c for c in page["cosignatures"] if c not in out]
            if not fresh:
                return out
            out.extend(fresh)
            since = max(int(c["received_at"]) for c in fresh)


# -- the checks --------------------------------------------------------------------------------


def check_sent_once(log: list[Logged], delegates: Delegates) -> None:
    """(a) No loss, no duplicate: QAT's sequence is contiguous, every entry a delegate was told
    was taken is in the log once, and nothing was sent that a delegate did not ask for."""
    mine = sorted((e for e in log if e.sender == VICTIM), key=lambda e: e.seq)
    assert [e.seq for e in mine] == list(range(len(mine))), (
        f"{VICTIM}'s sequence numbers have a gap or a repeat: {[e.seq for e in mine]}")
    ids = Counter(e.entry_id.hex() for e in mine)
    for entry_id, subject in delegates.taken.items():
        assert ids[entry_id] == 1, f"taken entry {subject!r} ({entry_id}) is in the log " \
                                   f"{ids[entry_id]} times"
    subjects = Counter(str(parse_signed_entry(e.raw, max_bytes=1 << 22).entry.body["subject"])
                       for e in mine if e.form in SENT_FORMS)
    twice = [s for s, n in subjects.items() if n > 1]
    assert not twice, f"sent more than once: {twice}"
    unasked = set(subjects) - set(delegates.tried)
    assert not unasked, f"in the log, though no delegate asked for it: {unasked}"


def check_cosigned_only_the_log(net: ProcessNetwork, log: list[Logged],
                                witness: NodeProcess) -> int:
    """(c) Every cosignature the victim gave (as the hub stored them) is on a checkpoint of the
    real log, and a later one never on a smaller tree; returns how many there are."""
    tree = MerkleTree()
    tree.extend(e.entry_id for e in log)
    key = witness.key().verifier
    origin = default_regime().log_origin
    given = [c for c in hub_cosignatures(net) if c["party"] == witness.party]
    stamped: list[tuple[int, int]] = []
    for c in given:
        size = int(c["size"])
        assert 0 < size <= tree.size, f"cosigned a tree of {size}, the log has {tree.size}"
        checkpoint = Checkpoint(origin, size, tree.root(size))
        sig = parse_note(checkpoint.body() + "\n" + c["line"].rstrip("\n") + "\n").signatures[0]
        stamped.append((verify_cosignature(checkpoint, sig, key).timestamp, size))
    stamped.sort()
    for (t1, s1), (t2, s2) in zip(stamped, stamped[1:], strict=False):
        assert t1 == t2 or s1 <= s2, f"cosigned size {s2} at {t2} after size {s1} at {t1}"
    shown = witness.get("/v1/witness")
    if shown["cosigned"] is not None:
        cosigned = Checkpoint.parse_body(parse_note(shown["cosigned"]).text)
        assert cosigned.root == tree.root(cosigned.size), "the witness state is not the log's"
    return len(given)


def check_acknowledged_once(log: list[Logged]) -> int:
    """(e) Each entry QAT owes an acknowledgement of is acknowledged by exactly one of its
    acknowledgements, and nothing else is; returns how many it owed."""
    duty = AcknowledgementDuty(default_regime())
    joined: dict[str, int] = {}
    for e in log:
        if e.seq == 0:
            joined.setdefault(e.sender, e.idx)
    owed: set[str] = set()
    acked: Counter[str] = Counter()
    for e in log:
        entry = parse_signed_entry(e.raw, max_bytes=1 << 22).entry
        if e.sender == VICTIM and e.form == ACKNOWLEDGEMENT:
            acked.update(str(x) for x in entry.body["entries"])
        elif duty.owes(VICTIM, e.sender, entry.audience, e.form, e.idx, joined):
            owed.add(e.entry_id.hex())
    twice = {eid: n for eid, n in acked.items() if n > 1}
    assert not twice, f"acknowledged more than once: {twice}"
    assert set(acked) == owed, (f"not acknowledged: {sorted(owed - set(acked))}; "
                                f"acknowledged though not owed: {sorted(set(acked) - owed)}")
    return len(owed)


# -- the test ----------------------------------------------------------------------------------


def test_a_node_killed_again_and_again_loses_nothing_repeats_nothing_and_raises_no_alarm(
        net: ProcessNetwork, tmp_path: Path) -> None:
    print(f"seed {SEED}: GULFSEC_CRASH_SEED={SEED} replays it")  # noqa: T201
    rng = random.Random(SEED)
    victim = net.nodes[VICTIM]
    others = [net.nodes[p] for p in PARTIES if p != VICTIM]
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    mine = Delegates(victim, random.Random(rng.random()), drafts, cli_share=0.25,
                     addressees=tuple(p for p in PARTIES if p != VICTIM))
    theirs = [Delegates(node, random.Random(rng.random()), drafts, addressees=(VICTIM,),
                        pause_s=1.5) for node in others]
    everyone = [mine, *theirs]
    stop = threading.Event()
    threads = [threading.Thread(target=d.run, args=(stop,), daemon=True) for d in everyone]
    kills = KILLS[net.kind]
    started = time.monotonic()

    def context() -> str:
        return f"seed {SEED}; {time.monotonic() - started:.0f}s in"

    for t in threads:
        t.start()
    try:
        time.sleep(rng.uniform(0.0, MAX_LIFE_S))
        for kill in range(kills):
            victim.kill()
            assert not [d.failure for d in everyone if d.failure], (kill, context())
            if rng.random() < EARLY_KILLS:
                victim.launch()  # killed while it loads and starts serving, or just after
                time.sleep(rng.uniform(0.0, 3.0))
            else:
                victim.start(timeout=60)
                time.sleep(rng.uniform(0.0, MAX_LIFE_S))
        if not victim.running:
            victim.kill()  # reaped
            victim.start(timeout=60)
        else:
            victim.wait_ready(timeout=60)
        time.sleep(2.0)  # a little more of everything with the victim up
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), context()
    assert [d.failure for d in everyone if d.failure] == [], context()
    assert [r for d in everyone for r in d.refused] == [], context()
    assert mine.taken and all(d.taken for d in theirs), context()

    net.settle(timeout=120)  # quiet, final, nothing to send, and no alarm on any node
    for node in net.nodes.values():
        assert node.get("/v1/alarms")["alarms"] == [], (node.party, context())

    log = read_log(net)
    try:
        check_sent_once(log, mine)
        for d in theirs:
            taken = {e.entry_id.hex() for e in log if e.sender == d.node.party}
            assert set(d.taken) <= taken, d.node.party
        cosigned = check_cosigned_only_the_log(net, log, victim)
        owed = check_acknowledged_once(log)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{context()}") from exc
    verified = victim.cli("verify", check=False)
    assert verified.exit_code == 0, f"{verified.output}\n{context()}"
    assert "everything verifies" in verified.output
    print(f"{kills} kills, seed {SEED}: {len(mine.taken)} entries taken through "  # noqa: T201
          f"{VICTIM}'s node of {len(mine.tried)} tried, {owed} acknowledged, {cosigned} "
          f"cosignatures, log of {len(log)}, in {time.monotonic() - started:.0f}s")
