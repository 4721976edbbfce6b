"""A participant's node: it keeps its own verified copy, witnesses checkpoints, and raises alarms.

:class:`Node` is the face the API, the pages and the CLI use; the work is done by its parts,
each in its own module and all sharing one :class:`~.core.NodeCore`:

- :mod:`.outbox`: sign, store, deliver (a confirmation is kept with the entry it made);
- :mod:`.sync`: one round — checkpoint, leaves, split-view checks, then the parts below;
- :mod:`.clock`: the node's clock against the hub's signed time, each round;
- :mod:`.intake`: fetch and verify the entries addressed to this party;
- :mod:`.witness`: cosign consistent checkpoints;
- :mod:`.finality`: learn what is final from cosignatures verified against the node's tree;
- :mod:`.acknowledgements`: what this party owes, and what it is owed;
- :mod:`.attachments`: the files its party attaches, and those of the entries it holds;
- :mod:`.hotline`: its end of the hotline (sealed messages, receipts, tests, keys);
- :mod:`.audit`: re-check everything from scratch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from gulfsec.adapters.clock import Clock
from gulfsec.adapters.hubclient import HubClient
from gulfsec.adapters.storage.node import NodeRepository
from gulfsec.domain.encoding import format_time
from gulfsec.domain.entry import Audience, SignedEntry
from gulfsec.domain.keys import SigningKey, VerifierKey
from gulfsec.domain.regime import Regime
from gulfsec.errors import NotFound
from gulfsec.ledger.evidence import evidence_document
from gulfsec.services.node.acknowledgements import Acknowledgements, Unacknowledged
from gulfsec.services.node.attachments import HeldFile, NodeAttachments
from gulfsec.services.node.audit import VerifyReport, verify_all
from gulfsec.services.node.clock import ClockState, read_clock
from gulfsec.services.node.core import NodeCore, PeerFetcher, SyncReport, UnitOfWorkFactory
from gulfsec.services.node.finality import FinalityLearner
from gulfsec.services.node.hotline import NodeHotline
from gulfsec.services.node.intake import Intake
from gulfsec.services.node.outbox import Outbox
from gulfsec.services.node.outcomes import OutcomeCheck
from gulfsec.services.node.records import NodeRecords
from gulfsec.services.node.sync import Sync
from gulfsec.services.node.withheld import SentEntries
from gulfsec.services.node.witness import Witness
from gulfsec.services.shared.consultations import CONSULTATION_FORMS, Consultations
from gulfsec.services.shared.decisions import DECISION_FORMS, DecisionRecords
from gulfsec.services.shared.hotline import EncryptionKeys
from gulfsec.services.shared.risk import RISK_FORMS, RiskRecords
from gulfsec.services.shared.time import from_micros
from gulfsec.services.shared.unit_of_work import AbstractUnitOfWork, SqlUnitOfWork

__all__ = ["Node", "SyncReport", "Unacknowledged", "VerifyReport"]


class Node:
    """One participant's node. One sync or send at a time (a lock guards them)."""

    def __init__(self, regime: Regime, engine: Engine | None, party: str, key: SigningKey,
                 client: HubClient, log_key: VerifierKey, clock: Clock, *,
                 peers: Sequence[str] = (), peer_fetcher: PeerFetcher | None = None,
                 acknowledge: bool = True, witness: bool | None = None,
                 uow: UnitOfWorkFactory | None = None,
                 hotline_keys: EncryptionKeys | None = None) -> None:
        """``engine`` is the node's database; ``uow`` replaces it with another unit of work
        (an in-memory fake in tests); ``hotline_keys`` holds the party's hotline encryption
        keys (without them, the node takes no part in the hotline)."""
        if uow is None:
            if engine is None:
                raise ValueError("a node needs a database engine or a unit of work")
            bound = engine

            def sql() -> AbstractUnitOfWork[NodeRepository]:
                return SqlUnitOfWork(bound, NodeRepository)

            uow = sql
        self.engine = engine
        self.core = NodeCore(regime, uow, party, key, client, log_key, clock)
        self.outbox = Outbox(self.core)
        self.acknowledgements = Acknowledgements(self.core, self.outbox)
        self.intake = Intake(self.core)
        self.intake.on_stored.append(self.acknowledgements.note_stored)
        self.intake.on_failed.append(self.acknowledgements.forget)
        self.core.on_load.append(self.acknowledgements.forget)
        self.witness = Witness(self.core)
        self.attachments = NodeAttachments(self.core)
        self.sent = SentEntries(self.core)
        self.finality = FinalityLearner(self.core)
        self.sync = Sync(self.core, self.outbox, self.intake, self.witness, self.finality,
                         self.acknowledgements, peers=peers, peer_fetcher=peer_fetcher,
                         acknowledge=acknowledge,
                         cosign=regime.has_right(party, "witness") if witness is None
                         else witness)
        self.decisions = DecisionRecords(regime, NodeRecords(self.core, forms=DECISION_FORMS))
        """The draft decisions this node holds and where each stands."""
        self.sync.after_round.append(OutcomeCheck(self.core, self.decisions).run)
        self.consultations = Consultations(
            regime, NodeRecords(self.core, forms=CONSULTATION_FORMS), self.decisions)
        """The threads, meetings and mediations this node's party takes part in."""
        self.hotline: NodeHotline | None = None
        """The hotline (:mod:`.hotline`), when the node keeps encryption keys."""
        if hotline_keys is not None:
            self.hotline = NodeHotline(self.core, self.outbox, self.intake, hotline_keys)
            self.sync.after_round.append(self.hotline.run)
        self.risk = RiskRecords(NodeRecords(self.core, forms=RISK_FORMS))
        """The unusual-activity cases and hazardous incidents this node holds."""

    # -- who and where ---------------------------------------------------------------------

    @property
    def regime(self) -> Regime:
        return self.core.regime

    @property
    def party(self) -> str:
        return self.core.party

    @property
    def key(self) -> SigningKey:
        return self.core.key

    @property
    def clock(self) -> Clock:
        return self.core.clock

    @property
    def client(self) -> HubClient:
        return self.core.client

    @property
    def log_key(self) -> VerifierKey:
        return self.core.log_key

    @property
    def last_error(self) -> str | None:
        return self.sync.last_error

    def uow(self) -> AbstractUnitOfWork[NodeRepository]:
        return self.core.uow()

    # -- life cycle ------------------------------------------------------------------------

    def load(self, *, check_tree: bool = True) -> None:
        """Rebuild the in-memory copy from the node's own database, checking it."""
        self.core.load(check_tree=check_tree)

    def close(self) -> None:
        """Close the hub client, the peers' client and the database's pooled connections."""
        self.core.client.close()
        closer = getattr(self.sync.checks.peer_fetcher, "close", None)
        if callable(closer):
            closer()
        if self.engine is not None:
            self.engine.dispose()

    # -- what delegates do -----------------------------------------------------------------

    def send(self, form: str, audience: Audience, body: dict[str, Any],
             refs: Sequence[str] = ()) -> SignedEntry:
        """Sign an entry as the party's next, store it in the outbox, then try to deliver it."""
        signed, _ = self.outbox.send(form, audience, body, refs)
        return signed

    def send_confirmed(self, form: str, audience: Audience, body: dict[str, Any],
                       refs: Sequence[str], confirmation: str,
                       previewed: tuple[int, datetime] | None = None
                       ) -> tuple[SignedEntry, bool]:
        """As :meth:`send`, once per ``confirmation``: (entry, False) when it was already
        used — even before a crash — and the entry signed then is returned. With
        ``previewed`` (sequence number, time shown), signed exactly as shown or not at all
        (:class:`~gulfsec.errors.PreviewChanged`)."""
        return self.outbox.send(form, audience, body, refs, confirmation=confirmation,
                                previewed=previewed)

    def attach(self, data: bytes, media_type: str, name: str) -> dict[str, Any]:
        """Check a file, keep it and upload it to the hub; the attachment object to put in
        the ``attachments`` of an entry's body (:mod:`.attachments`)."""
        return self.attachments.attach(data, media_type, name)

    def attachment(self, sha256: str) -> tuple[bytes, str]:
        """The bytes and type of a file this node keeps or holds an entry naming (fetched
        from the hub and checked against its SHA-256); NotFound otherwise."""
        held = self.attachments.file(sha256)
        return held.data, held.media_type

    def attachment_file(self, sha256: str) -> HeldFile:
        """As :meth:`attachment`, with the file's name."""
        return self.attachments.file(sha256)

    def flush_outbox(self) -> int:
        return self.outbox.flush()

    def sync_once(self, *, wait_s: float = 0.0) -> SyncReport:
        return self.sync.once(wait_s=wait_s)

    # -- what it knows ---------------------------------------------------------------------

    def final_at(self, index: int) -> datetime | None:
        return self.core.final_at(index)

    def finality_table(self) -> Callable[[int], datetime | None]:
        """A function index → final time."""
        return self.core.final_at

    @property
    def final_size(self) -> int:
        return self.core.copy.finality.final_size

    def unacknowledged(self) -> list[Unacknowledged]:
        return self.acknowledgements.unacknowledged()

    def witness_view(self) -> dict[str, Any]:
        return self.witness.view()

    def verify_all(self) -> VerifyReport:
        return verify_all(self.core, self.acknowledgements)

    def evidence(self, alarm_id: int) -> dict[str, Any]:
        """Alarm ``alarm_id`` as one self-contained evidence document
        (:mod:`gulfsec.ledger.evidence`); NotFound if there is none."""
        with self.uow() as uow:
            alarm = next((a for a in uow.repo.alarms() if a.id == alarm_id), None)
        if alarm is None:
            raise NotFound(f"{self.party}'s node raised no alarm #{alarm_id}")
        return evidence_document(alarm.kind, alarm.message, alarm.evidence, party=self.party,
                                 raised_at=format_time(from_micros(alarm.created_at)),
                                 log_key=self.log_key)

    def status(self) -> dict[str, Any]:
        with self.uow() as uow:
            latest = uow.repo.latest_checkpoint()
            alarms = uow.repo.alarms()
            entries = uow.repo.entry_count()
            pending = len(uow.repo.outbox_items(pending_only=True))
            refused = uow.repo.refused()
            clock = read_clock(uow.repo)
        last_sync = self.sync.last_sync
        return {
            "party": self.party,
            "size": 0 if latest is None else latest.size,
            "final_size": self.final_size,
            "entries": entries,
            "outbox_pending": pending,
            "outbox_refused": [{"entry_id": eid.hex(), "error": error,
                                "refused_at": format_time(from_micros(at))}
                               for eid, error, at in refused],
            "alarms": len(alarms),
            "last_sync": None if last_sync is None else format_time(last_sync),
            "last_error": self.last_error,
            "peers": self.sync.checks.peer_status(),
            # The node's clock against the hub's signed time (:mod:`.clock`), as last judged;
            # None before the first measurement.
            "clock_ok": None if clock is None else clock.ok,
            "clock_offset_s": None if clock is None else clock.offset_s,
            "clock_offset_bounds_s": None if clock is None else [clock.low_s, clock.high_s],
            "clock_allowance_s": int(self.regime.limits.clock_skew.total_seconds()),
        }

    def clock_state(self) -> ClockState | None:
        """The node's clock against the hub's, as the syncing process last judged it
        (:mod:`.clock`; None before the first measurement). Read from the node's database,
        so a page worker sees it too."""
        with self.uow() as uow:
            return read_clock(uow.repo)

    def public_status(self) -> dict[str, Any]:
        """What anyone may know of this node: whose it is and how far it follows the log."""
        with self.uow() as uow:
            latest = uow.repo.latest_checkpoint()
        last_sync = self.sync.last_sync
        return {"party": self.party, "size": 0 if latest is None else latest.size,
                "final_size": self.final_size,
                "last_sync": None if last_sync is None else format_time(last_sync)}
