"""What the hub's pages show: the public log and the secretariat's overview. Read-only.

Public: the latest checkpoint and the latest final one with who cosigned them and when, and the
entries addressed to all. The secretariat: each participant's key and how its node is doing (its
last entry, its last cosignature as a witness), the log's size, and pending registrations.
Nothing here shows the content of an entry that is not addressed to all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal

from sqlalchemy.engine import Connection

from gulfsec.adapters.storage import views as views_db
from gulfsec.adapters.storage.hub import HubRepository
from gulfsec.domain.encoding import b64encode
from gulfsec.domain.entry import SignedEntry, parse_signed_entry
from gulfsec.domain.forms import FormSpec, registry
from gulfsec.errors import GulfsecError
from gulfsec.i18n import N_, gettext
from gulfsec.ledger.note import Checkpoint, parse_note
from gulfsec.services.hub import Hub
from gulfsec.services.shared.describe import form_title, party_name, summarise
from gulfsec.services.shared.time import from_micros
from gulfsec.services.shared.unit_of_work import UnitOfWork

PAGE_SIZE: Final = 50
_MAX_RAW = 1 << 22


@dataclass(frozen=True)
class CosignatureView:
    party: str
    key_id: str
    cosigned_at: datetime


@dataclass(frozen=True)
class CheckpointInfo:
    """A checkpoint, the witnesses' cosignatures on it, and whether its entries are final.

    ``vouchers`` are the witnesses whose cosignature (on this checkpoint or on a later one
    consistent with it) covers every entry in it, with the earliest such time; the checkpoint
    is final (``final_at``) once the regime's quorum of them did.
    """

    size: int
    root: str
    note: str
    created_at: datetime
    final_at: datetime | None
    cosignatures: list[CosignatureView]
    vouchers: list[CosignatureView]


@dataclass(frozen=True)
class PublicEntryRow:
    index: int
    entry_id: str
    sender: str
    form: str
    form_title: str
    summary: str
    sequenced_at: datetime
    final_at: datetime | None


@dataclass(frozen=True)
class PublicOverview:
    regime_name: str
    log_origin: str
    log_key: str
    size: int
    quorum: int
    latest: CheckpointInfo | None
    final: CheckpointInfo | None
    recent: list[PublicEntryRow]


def _checkpoint_info(hub: Hub, conn: Connection, size: int) -> CheckpointInfo | None:
    """The checkpoint of ``size`` entries, or the largest one below it."""
    row = views_db.hub_checkpoint_at_most(conn, size)
    if row is None:
        return None
    cosigs = HubRepository(conn).cosignatures_for(row.size)
    try:
        root = b64encode(Checkpoint.parse_body(parse_note(row.note).text).root)
    except GulfsecError:  # a stored note always parses; show the rest if it does not
        root = ""
    last = row.size - 1
    vouchers = sorted(hub.state.finality.vouchers(last).items(), key=lambda v: (v[1], v[0]))
    return CheckpointInfo(
        row.size, root, row.note, from_micros(row.created_at),
        hub.state.finality.final_at(last),
        [CosignatureView(c.party, c.key_id, from_micros(c.timestamp * 1_000_000))
         for c in sorted(cosigs, key=lambda c: (c.timestamp, c.party))],
        [CosignatureView(party, "", from_micros(when * 1_000_000)) for party, when in vouchers])


def _public_row(hub: Hub, row: views_db.HubEntryRow) -> PublicEntryRow:
    entry = parse_signed_entry(row.raw, max_bytes=_MAX_RAW).entry
    return PublicEntryRow(row.index, row.entry_id.hex(), row.sender, row.form,
                          form_title(row.form), summarise(row.form, entry.body),
                          from_micros(row.sequenced_at), hub.state.finality.final_at(row.index))


def public_overview(hub: Hub, recent: int = 10) -> PublicOverview:
    size = hub.state.size
    with UnitOfWork(hub.engine) as uow:
        conn = uow.repo.conn
        latest = _checkpoint_info(hub, conn, size) if size else None
        final_size = hub.state.finality.final_size
        final = _checkpoint_info(hub, conn, final_size) if final_size else None
        rows = views_db.hub_public_entries(conn, size, limit=recent)
    return PublicOverview(hub.regime.name, hub.regime.log_origin, hub.log_key.verifier.encode(),
                          size, hub.regime.witness_quorum, latest, final,
                          [_public_row(hub, r) for r in rows])


@dataclass(frozen=True)
class PublicEntries:
    rows: list[PublicEntryRow]
    form: str | None
    before: int | None
    next_before: int | None


def public_entries(hub: Hub, *, before: int | None = None, form: str | None = None,
                   limit: int = PAGE_SIZE) -> PublicEntries:
    """Entries addressed to all, newest first, a page at a time."""
    if form is not None and form not in registry():
        form = None
    size = hub.state.size
    with UnitOfWork(hub.engine) as uow:
        rows = views_db.hub_public_entries(uow.repo.conn, size, before_index=before, form=form,
                                           limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return PublicEntries([_public_row(hub, r) for r in rows], form, before,
                         rows[-1].index if more and rows else None)


@dataclass(frozen=True)
class PublicEntry:
    row: PublicEntryRow
    signed: SignedEntry
    spec: FormSpec | None
    raw_pretty: str

    @property
    def body(self) -> Mapping[str, Any]:
        return self.signed.entry.body


def public_entry(hub: Hub, entry_id: str) -> PublicEntry | None:
    """An entry addressed to all; None for any other (as for one that does not exist)."""
    try:
        key = bytes.fromhex(entry_id)
    except ValueError:
        return None
    with UnitOfWork(hub.engine) as uow:
        row = views_db.hub_entry(uow.repo.conn, key)
    if row is None or not row.audience_all or row.index >= hub.state.size:
        return None
    signed = parse_signed_entry(row.raw, max_bytes=_MAX_RAW)
    pretty = json.dumps(signed.to_json(), indent=2, ensure_ascii=False, sort_keys=True)
    return PublicEntry(_public_row(hub, row), signed, registry().get(row.form), pretty)


# -- the secretariat ---------------------------------------------------------------------------

Health = Literal["healthy", "connected", "silent", "unregistered", "waiting", "revoked"]
HEALTH_WORDS: Final[Mapping[str, str]] = {
    "healthy": N_("cosigning"),
    "connected": N_("key registered (not a witness)"),
    "silent": N_("silent"),
    "unregistered": N_("not connected"),
    "waiting": N_("registration waiting"),
    "revoked": N_("key revoked"),
}
"""What each health means, in words: only a witness cosigns, so only a witness is shown as
cosigning (or silent); a participant without the right is shown as registered."""


def health_of(*, registered: bool, revoked: bool, waiting: bool, witness: bool,
              cosigned_at: datetime | None, now: datetime, silent_after: timedelta) -> Health:
    """A participant's health: its key's state, then for a witness whether it cosigned within
    ``silent_after`` (a participant without the witness right never cosigns)."""
    if not registered:
        return "revoked" if revoked else "waiting" if waiting else "unregistered"
    if not witness:
        return "connected"
    if cosigned_at is None or now - cosigned_at > silent_after:
        return "silent"
    return "healthy"


@dataclass(frozen=True)
class ParticipantHealth:
    code: str
    name: str
    status: str
    witness: bool
    key_id: str | None
    fingerprint: str | None
    registered_at: int | None
    """Log index of the key's registration."""
    last_entry_index: int | None
    last_entry_at: datetime | None
    last_cosigned_size: int | None
    last_cosignature_at: datetime | None
    health: Health

    @property
    def health_words(self) -> str:
        return gettext(HEALTH_WORDS[self.health])


@dataclass(frozen=True)
class SecretariatOverview:
    size: int
    quorum: int
    latest: CheckpointInfo | None
    final: CheckpointInfo | None
    participants: list[ParticipantHealth]
    pending_registrations: int
    silent_after: timedelta
    at: datetime


def secretariat_overview(hub: Hub, *,
                         silent_after: timedelta = timedelta(minutes=15)) -> SecretariatOverview:
    """Every participant's key and node health, and the state of the log.

    A witness is ``healthy`` when it cosigned within ``silent_after`` and ``silent`` otherwise;
    a participant that is not a witness is ``connected`` once its key is registered.
    """
    now = hub.clock.now()
    size = hub.state.size
    records = {r.party: r for r in hub.keys() if r.active}
    revoked = {r.party for r in hub.keys() if not r.active} - set(records)
    with UnitOfWork(hub.engine) as uow:
        conn = uow.repo.conn
        last_entries = views_db.hub_last_entries(conn)
        last_cosigs = views_db.hub_last_cosignatures(conn)
        waiting = views_db.hub_pending_registration_parties(conn)
        latest = _checkpoint_info(hub, conn, size) if size else None
        final_size = hub.state.finality.final_size
        final = _checkpoint_info(hub, conn, final_size) if final_size else None
    rows: list[ParticipantHealth] = []
    regime = hub.regime
    for code, participant in regime.participants.items():
        record = records.get(code)
        witness = regime.has_right(code, "witness")
        entry = last_entries.get(code)
        cosig = last_cosigs.get(code)
        cosigned_at = None if cosig is None else from_micros(cosig[2])
        health = health_of(registered=record is not None, revoked=code in revoked,
                           waiting=code in waiting, witness=witness, cosigned_at=cosigned_at,
                           now=now, silent_after=silent_after)
        rows.append(ParticipantHealth(
            code, participant.name, regime.statuses[participant.status].name, witness,
            None if record is None else record.key.key_id_hex,
            None if record is None else record.key.fingerprint,
            None if record is None else record.registered_at,
            None if entry is None else entry[0],
            None if entry is None else from_micros(entry[1]),
            None if cosig is None else cosig[0], cosigned_at, health))
    return SecretariatOverview(size, regime.witness_quorum, latest, final, rows,
                               len(waiting - set(records)), silent_after, now)


def participant_label(hub: Hub, code: str, language: str = "en") -> str:
    return party_name(hub.regime, code, language)


def public_ids(hub: Hub, entry_ids: Iterable[str]) -> set[str]:
    """Which of ``entry_ids`` (hex) are published: addressed to all, and so on a public page."""
    keys: list[bytes] = []
    for text in set(entry_ids):
        try:
            key = bytes.fromhex(text)
        except ValueError:
            continue
        if len(key) == 32:
            keys.append(key)
    found: set[bytes] = set()
    with UnitOfWork(hub.engine) as uow:
        for start in range(0, len(keys), 500):
            found |= views_db.hub_public_ids(uow.repo.conn, keys[start:start + 500],
                                             hub.state.size)
    return {key.hex() for key in found}
