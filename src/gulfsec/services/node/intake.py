"""Taking in the entries addressed to this party: fetch, verify each one, store what verified.

Each entry is checked against the leaf at its index in the node's own tree, its form and the
right its form needs, its signatures against the keys as the log stood, and its sender's
sequence number. What fails is kept aside (quarantined) as evidence and raised as an alarm;
nothing is silently dropped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from gulfsec.adapters.storage.node import NodeEntry, NodeRepository
from gulfsec.domain.encoding import b64decode, format_time, parse_time
from gulfsec.domain.entry import (
    ALL,
    SignedEntry,
    parse_signed_entry,
    signed_entry_from_json,
)
from gulfsec.domain.validate import check_form_and_right
from gulfsec.errors import EntryTooLarge, GulfsecError, LogVerificationError, MalformedEntry
from gulfsec.ledger.note import Checkpoint
from gulfsec.ledger.tree import leaf_hash
from gulfsec.services.node.core import NodeCore, SyncReport
from gulfsec.services.node.impersonation import impersonation, raise_impersonation
from gulfsec.services.shared.time import micros

PAGE = 500
"""Entries asked of the hub per page."""

Stored = Callable[[SignedEntry, int], None]
"""Told of each entry stored, with its index (to keep derived state up to date)."""


class Intake:
    def __init__(self, core: NodeCore) -> None:
        self.core = core
        self.on_stored: list[Stored] = []
        self.on_failed: list[Callable[[], None]] = []
        """Told when a page failed part-way: derived state must be rebuilt."""

    def fetch(self, checkpoint: Checkpoint, report: SyncReport) -> None:
        """Fetch, verify and store the entries this party may read, up to ``checkpoint``.

        Pages come as the entries' canonical bytes; the next page is fetched while this one is
        verified, so the node does not sit idle while the hub answers.
        """
        core = self.core
        with core.uow() as uow:
            after = uow.repo.last_entry_index()

        def page(start: int) -> list[dict[str, Any]]:
            served = core.client.entries(after=start, limit=PAGE, raw=True)
            return [i for i in served.get("entries", []) if isinstance(i, dict)]

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="gulfsec-fetch") as pool:
            upcoming = pool.submit(page, after)
            while True:
                items = upcoming.result()
                if not items:
                    return
                indexes = [i["index"] for i in items if isinstance(i.get("index"), int)]
                last = max(indexes, default=after)
                more = after < last < checkpoint.size - 1
                if more:
                    upcoming = pool.submit(page, last)
                page_after = after
                after = self._store_page(items, checkpoint, report, after)
                if not more or after <= page_after:
                    if more:
                        upcoming.cancel()
                    return

    def _store_page(self, items: list[dict[str, Any]], checkpoint: Checkpoint,
                    report: SyncReport, after: int) -> int:
        """Verify one page and store what verified; returns the last index looked at."""
        try:
            return self._store_verified(items, checkpoint, report, after)
        except BaseException:
            for hook in self.on_failed:
                hook()
            raise

    def _store_verified(self, items: list[dict[str, Any]], checkpoint: Checkpoint,
                        report: SyncReport, after: int) -> int:
        core = self.core
        good: list[NodeEntry] = []
        claimed: list[str] = []
        with core.uow() as uow:
            for item in items:
                index = item.get("index")
                if isinstance(index, int) and index >= checkpoint.size:
                    break  # sequenced after this checkpoint: next round
                if isinstance(index, int):
                    after = max(after, index)
                verified = self._verify(uow.repo, item, checkpoint, report)
                if verified is None:
                    continue
                signed, stored = verified
                good.append(stored)
                claimed.append(format_time(signed.entry.time))
                if core.copy.keyring.changed_by(signed):
                    core.copy.keyring.apply(signed, stored.index)
                    why = impersonation(core, signed)
                    if why is not None:
                        raise_impersonation(core, uow.repo, report, signed, stored.index, why)
                core.copy.last_seq[signed.entry.sender] = signed.entry.seq
                for hook in self.on_stored:
                    hook(signed, stored.index)
            uow.repo.add_entries(good, claimed)
            uow.commit()
        report.new_entries += len(good)
        return after

    def _verify(self, repo: NodeRepository, item: dict[str, Any], checkpoint: Checkpoint,
                report: SyncReport) -> tuple[SignedEntry, NodeEntry] | None:
        core = self.core
        index = item.get("index")
        claimed_id = item.get("entry_id")
        try:
            signed = served_entry(item, core.regime.limits.max_entry_bytes)
        except GulfsecError as exc:
            self._quarantine(repo, report, index, claimed_id, _evidence_bytes(item), exc.message)
            return None
        try:
            if not isinstance(index, int) or not 0 <= index < checkpoint.size:
                raise LogVerificationError(f"index {index!r} is not in the checkpoint")
            if signed.id_hex != claimed_id:
                raise LogVerificationError("the entry's id does not match its content")
            if core.copy.tree.leaf_hash_at(index) != leaf_hash(signed.id):
                raise LogVerificationError(
                    f"the log's leaf at index {index} is another entry: the hub served an entry "
                    "that is not where it says in the log")
            entry = signed.entry
            if not entry.can_read(core.party):
                raise LogVerificationError(
                    f"the hub sent an entry not addressed to {core.party}")
            check_form_and_right(signed, core.regime)
            core.copy.keyring.verify(signed)
            last = core.copy.last_seq.get(entry.sender)
            if last is not None and entry.seq <= last:
                raise LogVerificationError(
                    f"{entry.sender} sequence {entry.seq} does not follow {last}")
            if entry.sender == core.party and entry.seq != (last if last is not None else -1) + 1:
                raise LogVerificationError(
                    f"this party's own sequence jumps from {last} to {entry.seq}")
            sequenced = item.get("sequenced_at")
            seq_at = micros(parse_time(sequenced)) if isinstance(sequenced, str) else 0
        except (GulfsecError, ValueError) as exc:
            message = exc.message if isinstance(exc, GulfsecError) else str(exc)
            self._quarantine(repo, report, index, claimed_id, signed.raw, message)
            return None
        stored = NodeEntry(index, signed.id, entry.sender, entry.seq, entry.form,
                           None if entry.audience == ALL else tuple(entry.audience), seq_at,
                           micros(core.clock.now()), signed.raw)
        return signed, stored

    def _quarantine(self, repo: NodeRepository, report: SyncReport, index: Any,
                    claimed_id: Any, raw: bytes, reason: str) -> None:
        core = self.core
        idx = index if isinstance(index, int) else None
        cid = claimed_id if isinstance(claimed_id, str) else None
        repo.quarantine(idx, cid, raw, reason, micros(core.clock.now()))
        message = f"entry at index {idx} failed verification: {reason}"
        core.alarm(repo, "bad_entry", message, {"index": idx, "entry_id": cid,
                                                "raw": raw.decode("utf-8", "replace")})
        report.quarantined += 1
        report.alarms.append(f"bad_entry: {message}")


def served_entry(item: dict[str, Any], max_bytes: int) -> SignedEntry:
    """The signed entry in an item the hub served: its canonical bytes (``raw``, base64) or
    its JSON (``entry``); shape, size and canonical form checked either way."""
    raw = item.get("raw")
    if isinstance(raw, str):
        try:
            data = b64decode(raw)
        except ValueError:
            raise MalformedEntry("the hub sent an entry that is not base64") from None
        return parse_signed_entry(data, max_bytes=max_bytes)
    entry = item.get("entry")
    if not isinstance(entry, dict):
        raise MalformedEntry("the hub sent an item without an entry")
    signed = signed_entry_from_json(entry)
    if len(signed.raw) > max_bytes:
        raise EntryTooLarge(len(signed.raw), max_bytes)
    return signed


def _evidence_bytes(item: dict[str, Any]) -> bytes:
    if isinstance(item.get("raw"), str):
        return str(item["raw"]).encode()
    try:
        return json.dumps(item.get("entry"), sort_keys=True, ensure_ascii=False).encode()
    except (TypeError, ValueError):
        return repr(item.get("entry")).encode()
