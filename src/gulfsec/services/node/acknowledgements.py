"""Acknowledgements, both ways: what this party owes (signed and sent at each sync) and what
others owe this party for what it sent. Who owes what is decided by one domain function,
:class:`gulfsec.domain.duties.AcknowledgementDuty`, which compliance and the pages call too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gulfsec.adapters.storage.node import NodeEntry
from gulfsec.domain.duties import AcknowledgementDuty
from gulfsec.domain.entry import ALL, Audience, SignedEntry, parse_signed_entry
from gulfsec.domain.forms.acknowledgement import ACKNOWLEDGEMENT
from gulfsec.services.node.core import NodeCore
from gulfsec.services.node.outbox import Outbox
from gulfsec.services.node.withheld import withheld_ids

BATCH = 64
"""Entries listed in one acknowledgement at most (the form's limit)."""


@dataclass(frozen=True)
class Unacknowledged:
    entry_id: str
    index: int
    party: str
    due: datetime | None
    overdue: bool


def audience_of(item: NodeEntry) -> Audience:
    return ALL if item.audience is None else item.audience


def acknowledged_ids(signed: SignedEntry) -> list[str]:
    """The entries an acknowledgement lists (none for any other form)."""
    if signed.entry.form != ACKNOWLEDGEMENT:
        return []
    return [str(e) for e in signed.entry.body.get("entries", []) or []]


class Acknowledgements:
    def __init__(self, core: NodeCore, outbox: Outbox) -> None:
        self.core = core
        self.outbox = outbox
        self.duty = AcknowledgementDuty(core.regime)
        self._owed: dict[str, str] | None = None
        """Entries this party owes an acknowledgement of: id → sender (None: not read yet)."""

    def forget(self) -> None:
        """Drop what is kept in memory: it is read again from the database on next use."""
        self._owed = None

    def owes(self, item: NodeEntry) -> bool:
        """Whether this party owes an acknowledgement of ``item``."""
        return self.duty.owes(self.core.party, item.sender, audience_of(item), item.form,
                              item.index, self.core.copy.keyring.joined())

    def owed_by(self, item: NodeEntry) -> tuple[str, ...]:
        """The parties that owe an acknowledgement of ``item``."""
        return self.duty.owed_by(item.sender, audience_of(item), item.form, item.index,
                                 self.core.copy.keyring.joined())

    def owed(self) -> dict[str, str]:
        """Entries this party owes and has not acknowledged yet (id → sender), read once from
        the database and then kept up to date as entries are stored."""
        if self._owed is not None:
            return self._owed
        core = self.core
        joined = core.copy.keyring.joined()
        acked: set[str] = set()
        owed: dict[str, str] = {}
        with core.uow() as uow:
            for item in uow.repo.iter_entries():
                if item.sender == core.party and item.form == ACKNOWLEDGEMENT:
                    acked.update(acknowledged_ids(parse_signed_entry(item.raw,
                                                                     max_bytes=1 << 22)))
                elif self.duty.owes(core.party, item.sender, audience_of(item), item.form,
                                    item.index, joined):
                    owed[item.entry_id.hex()] = item.sender
            # Every acknowledgement in the outbox, not only those waiting: one the hub has
            # sequenced may not be in the copy yet (a crash before the sync that takes it in,
            # or another process that delivered it while a round checked an older checkpoint).
            for sent in uow.repo.outbox_items():
                acked.update(acknowledged_ids(parse_signed_entry(sent.raw,
                                                                 max_bytes=1 << 22)))
        self._owed = {eid: sender for eid, sender in owed.items() if eid not in acked}
        return self._owed

    def note_stored(self, signed: SignedEntry, index: int) -> None:
        """Keep what this party owes up to date with an entry just stored."""
        owed = self._owed
        if owed is None:
            return
        entry = signed.entry
        if entry.sender == self.core.party:
            for eid in acknowledged_ids(signed):
                owed.pop(eid, None)
        elif self.duty.owes(self.core.party, entry.sender, entry.audience, entry.form, index,
                            self.core.copy.keyring.joined()):
            owed[signed.id_hex] = entry.sender

    def acknowledge(self) -> int:
        """Acknowledge, with signed entries, everything this party owes and has not yet
        acknowledged (grouped by sender, up to 64 entries an acknowledgement)."""
        owed = self.owed()
        by_sender: dict[str, list[str]] = {}
        for eid, sender in owed.items():
            by_sender.setdefault(sender, []).append(eid)
        count = 0
        withheld = withheld_ids(self.core) if owed else set()
        for sender, ids in by_sender.items():
            for start in range(0, len(ids), BATCH):
                chunk = ids[start : start + BATCH]
                body: dict[str, Any] = {"entries": chunk}
                if withheld.intersection(chunk):
                    body["withheld"] = [eid for eid in chunk if eid in withheld]
                self.outbox.send(ACKNOWLEDGEMENT, (sender,), body, refs=chunk)
                for eid in chunk:
                    owed.pop(eid, None)
                count += len(chunk)
        return count

    def unacknowledged(self) -> list[Unacknowledged]:
        """What this party sent that an addressee owes and has not acknowledged, overdue
        first. The deadline runs from the entry's finality time."""
        core = self.core
        with core.uow() as uow:
            held = list(uow.repo.iter_entries())
        acks: dict[str, set[str]] = {}
        for item in held:
            if item.form == ACKNOWLEDGEMENT:
                for eid in acknowledged_ids(parse_signed_entry(item.raw, max_bytes=1 << 22)):
                    acks.setdefault(eid, set()).add(item.sender)
        within = core.regime.commitments.acknowledgement.within
        now = core.clock.now()
        joined = core.copy.keyring.joined()
        out: list[Unacknowledged] = []
        for item in held:
            if item.sender != core.party:
                continue
            owing = self.duty.owed_by(item.sender, audience_of(item), item.form, item.index,
                                      joined)
            if not owing:
                continue
            done = acks.get(item.entry_id.hex(), set())
            final_at = core.final_at(item.index)
            due = None if final_at is None else final_at + within
            for party in owing:
                if party not in done:
                    out.append(Unacknowledged(item.entry_id.hex(), item.index, party, due,
                                              due is not None and now > due))
        out.sort(key=lambda u: (not u.overdue, u.index, u.party))
        return out
