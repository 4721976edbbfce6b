"""Taking in the entries addressed to this party: fetch, verify each one, store what verified.

Each entry is checked against the leaf at its index in the node's own tree, its form and the
right its form needs, its signatures against the keys as the log stood, and its sender's
sequence number. What fails is kept aside (quarantined) as evidence and raised as an alarm;
nothing is silently dropped.

The work is spread so that no part waits for another: while one page is checked, the next is
fetched and parsed, and its covering checkpoints are verified (:func:`prepare_page`); the
signatures of a page are verified in bulk on every core (:class:`Verdicts`), each run of
entries against the keyring as it stands before the next key entry. Only the checks that
depend on order (sequence numbers, key changes) and the storing are done one entry at a time,
all of a page in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

from gulfsec.adapters.cores import map_chunks
from gulfsec.adapters.storage.node import NodeEntry, NodeRepository
from gulfsec.domain.encoding import b64decode, b64encode, format_time
from gulfsec.domain.entry import (
    ALL,
    SignedEntry,
    parse_signed_entry,
    signed_entry_from_json,
)
from gulfsec.domain.keyring import Keyring
from gulfsec.domain.keys import VerifierKey
from gulfsec.domain.validate import check_form_and_right
from gulfsec.errors import (
    EntryError,
    EntryTooLarge,
    GulfsecError,
    LogVerificationError,
    MalformedEntry,
)
from gulfsec.ledger.answers import SignedAnswer
from gulfsec.ledger.note import Checkpoint, hub_timestamp, verify_checkpoint
from gulfsec.ledger.tree import leaf_hash
from gulfsec.services.node.core import NodeCore, SyncReport
from gulfsec.services.node.forgery import forged
from gulfsec.services.node.impersonation import impersonation, raise_impersonation
from gulfsec.services.shared.time import micros

PAGE = 1000
"""Entries asked of the hub per page (the most it serves in one answer)."""
CHUNK = 64
"""Entries whose signatures one core checks at a time."""
STAMP_CHUNK = 16
"""Covering checkpoints one core checks at a time (two signatures each)."""


@dataclass(frozen=True)
class Stamp:
    """A covering checkpoint whose log-key signature and timestamp verified: its size, its
    root (whether it is the node's own is checked when it is used) and its signed time (s)."""

    size: int
    root: bytes
    time: int


Parsed = SignedEntry | Exception
"""An item's signed entry, or what parsing it raised."""
Checked = Stamp | Exception | None
"""A covering checkpoint checked: its stamp, None if it does not verify, or what else the
check raised."""


@dataclass(frozen=True)
class Page:
    """One page of entries as the hub served it: its items, the signed checkpoints that first
    covered them, and the hub's signed answer (evidence, should an item fail); with each item
    parsed and each covering checkpoint checked, ahead of the checks that need the log's
    order."""

    items: list[dict[str, Any]]
    checkpoints: dict[str, Any]
    answer: SignedAnswer | None
    parsed: list[Parsed]
    """Each item's signed entry, or what parsing it raised."""
    stamps: dict[str, Checked]
    """Keyed as :attr:`checkpoints` is: by the size as text."""


def prepare_page(items: list[dict[str, Any]], checkpoints: dict[str, Any],
                 answer: SignedAnswer | None, max_bytes: int, log_key: VerifierKey) -> Page:
    """A page with every item parsed and every covering checkpoint that an item names checked
    against the log key (in bulk, on every core): nothing here depends on the node's state."""
    parsed: list[Parsed] = []
    for item in items:
        try:
            parsed.append(served_entry(item, max_bytes))
        except Exception as exc:  # raised again where the item is checked, as it was found
            parsed.append(exc)
    named = {str(size) for size in (item.get("checkpoint_size") for item in items)
             if isinstance(size, int)}
    wanted = sorted(key for key in named if isinstance(checkpoints.get(key), str))

    def check(keys: Sequence[str]) -> list[Checked]:
        return [_stamp(checkpoints[key], log_key) for key in keys]

    stamps = dict(zip(wanted, map_chunks(check, wanted, STAMP_CHUNK), strict=True))
    return Page(items, checkpoints, answer, parsed, stamps)


def _stamp(note: str, log_key: VerifierKey) -> Checked:
    try:
        checkpoint, signed = verify_checkpoint(note, log_key)
        return Stamp(checkpoint.size, checkpoint.root,
                     hub_timestamp(signed, checkpoint, log_key))
    except GulfsecError:
        return None
    except Exception as exc:  # raised again where the stamp is used
        return exc


class SignedTimes:
    """When each entry was sequenced, by a time the hub signed: the timestamp of the first
    checkpoint that covered it (served with the page, checked against the log key and against
    the node's own tree). Without one, the time of the checkpoint being synced, which also
    covers it and is signed: later, never earlier, than the truth."""

    def __init__(self, core: NodeCore, checkpoint: Checkpoint, notes: dict[str, Any],
                 stamps: dict[str, Checked] | None = None) -> None:
        self.core = core
        self.notes = notes
        self.stamps = {} if stamps is None else stamps
        """Covering checkpoints already checked against the log key (:func:`prepare_page`)."""
        self.fallback = 0
        self.known: dict[int, int] = {}
        with core.uow() as uow:
            held = uow.repo.checkpoint_at(checkpoint.size)
        if held is not None:
            self.fallback = held.hub_time

    def of(self, index: int, size: Any) -> int:
        if not isinstance(size, int) or size <= index or size > self.core.copy.tree.size:
            return self.fallback
        if size not in self.known:
            self.known[size] = self._verified(size)
        return self.known[size] or self.fallback

    def _verified(self, size: int) -> int:
        key = str(size)
        stamp = self.stamps[key] if key in self.stamps else self._check(key)
        if isinstance(stamp, Exception):
            raise stamp
        if stamp is None or stamp.size != size or self.core.copy.tree.root(size) != stamp.root:
            return 0
        return stamp.time * 1_000_000

    def _check(self, key: str) -> Checked:
        note = self.notes.get(key)
        return _stamp(note, self.core.log_key) if isinstance(note, str) else None


class Verdicts:
    """The keyring's verdict on each entry of a page, reached in bulk on every core.

    A run of entries, up to and including the next one that changes the keyring, is checked
    at once against the keyring as it stands (:meth:`Keyring.verify` only reads it); the entries
    after a key entry are checked when first asked for, once the key entry is applied. A verdict
    is the very outcome :meth:`Keyring.verify` would give at that point: nothing, or what it
    raises.
    """

    def __init__(self, core: NodeCore, parsed: Sequence[Parsed]) -> None:
        self.core = core
        self.parsed = parsed
        self.found: dict[int, Exception | None] = {}
        self.keyring: Keyring | None = None
        self.end = 0
        """The run checked covers the positions before this one, from the one first asked."""

    def check(self, position: int) -> None:
        """Raise what :meth:`Keyring.verify` raises for the entry at ``position``."""
        keyring = self.core.copy.keyring
        if keyring is not self.keyring or position not in self.found or position >= self.end:
            self._run_from(position, keyring)
        verdict = self.found[position]
        if verdict is not None:
            raise verdict

    def _run_from(self, start: int, keyring: Keyring) -> None:
        run: list[tuple[int, SignedEntry]] = []
        end = start
        while end < len(self.parsed):
            signed = self.parsed[end]
            end += 1
            if isinstance(signed, SignedEntry):
                run.append((end - 1, signed))
                if keyring.changed_by(signed):
                    break

        def verdicts(part: Sequence[tuple[int, SignedEntry]]) -> list[Exception | None]:
            return [_verdict(keyring, signed) for _, signed in part]

        found = map_chunks(verdicts, run, CHUNK)
        self.found = {position: verdict for (position, _), verdict in zip(run, found,
                                                                             strict=True)}
        self.keyring, self.end = keyring, end


def _verdict(keyring: Keyring, signed: SignedEntry) -> Exception | None:
    try:
        keyring.verify(signed)
    except Exception as exc:  # raised again where the entry is checked
        return exc
    return None

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

        Pages come as the entries' canonical bytes; the next page is fetched, parsed and its
        covering checkpoints checked while this one is verified, so the node does not sit idle
        while the hub answers, nor the hub while the node checks.
        """
        core = self.core
        with core.uow() as uow:
            after = uow.repo.last_entry_index()
        max_bytes = core.regime.limits.max_entry_bytes

        def page(start: int) -> Page:
            served = core.client.entries(after=start, limit=PAGE, raw=True)
            answer = core.client.last_answer()
            items = [i for i in served.get("entries", []) if isinstance(i, dict)]
            notes = served.get("checkpoints")
            return prepare_page(items, notes if isinstance(notes, dict) else {}, answer,
                                max_bytes, core.log_key)

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="gulfsec-fetch") as pool:
            upcoming = pool.submit(page, after)
            while True:
                served = upcoming.result()
                items = served.items
                if not items:
                    return
                indexes = [i["index"] for i in items if isinstance(i.get("index"), int)]
                last = max(indexes, default=after)
                more = after < last < checkpoint.size - 1
                if more:
                    upcoming = pool.submit(page, last)
                page_after = after
                after = self._store_page(served, checkpoint, report, after)
                if not more or after <= page_after:
                    if more:
                        upcoming.cancel()
                    return

    def _store_page(self, page: Page, checkpoint: Checkpoint, report: SyncReport,
                    after: int) -> int:
        """Verify one page and store what verified; returns the last index looked at."""
        try:
            return self._store_verified(page, checkpoint, report, after)
        except BaseException:
            for hook in self.on_failed:
                hook()
            raise

    def _store_verified(self, page: Page, checkpoint: Checkpoint, report: SyncReport,
                        after: int) -> int:
        core = self.core
        good: list[NodeEntry] = []
        claimed: list[str] = []
        times = SignedTimes(core, checkpoint, page.checkpoints, page.stamps)
        verdicts = Verdicts(core, page.parsed)
        verified_at = micros(core.clock.now())
        with core.uow() as uow:
            for position, item in enumerate(page.items):
                index = item.get("index")
                if isinstance(index, int) and index >= checkpoint.size:
                    break  # sequenced after this checkpoint: next round
                if isinstance(index, int):
                    after = max(after, index)
                verified = self._verify(uow.repo, item, page.parsed[position], checkpoint,
                                        report, page, times, good,
                                        partial(verdicts.check, position), verified_at)
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

    def _verify(self, repo: NodeRepository, item: dict[str, Any], parsed: Parsed,
                checkpoint: Checkpoint, report: SyncReport, page: Page, times: SignedTimes,
                pending: list[NodeEntry], check_keys: Callable[[], None],
                verified_at: int) -> tuple[SignedEntry, NodeEntry] | None:
        core = self.core
        index = item.get("index")
        claimed_id = item.get("entry_id")
        if isinstance(parsed, GulfsecError):
            self._quarantine(repo, report, index, claimed_id, _evidence_bytes(item),
                             parsed.message, page)
            return None
        if isinstance(parsed, Exception):
            raise parsed
        signed = parsed
        in_log = False
        try:
            if not isinstance(index, int) or not 0 <= index < checkpoint.size:
                raise LogVerificationError(f"index {index!r} is not in the checkpoint")
            if signed.id_hex != claimed_id:
                raise LogVerificationError("the entry's id does not match its content")
            if core.copy.tree.leaf_hash_at(index) != leaf_hash(signed.id):
                raise LogVerificationError(
                    f"the log's leaf at index {index} is another entry: the hub served an entry "
                    "that is not where it says in the log")
            in_log = True
            entry = signed.entry
            if not entry.can_read(core.party):
                raise LogVerificationError(
                    f"the hub sent an entry not addressed to {core.party}")
            check_form_and_right(signed, core.regime)
            try:
                check_keys()  # the keyring's verdict, reached in bulk
            except EntryError as exc:
                forged(core, repo, report, signed, index, exc.message, pending)
                return None
            last = core.copy.last_seq.get(entry.sender)
            if last is not None and entry.seq <= last:
                raise LogVerificationError(
                    f"{entry.sender} sequence {entry.seq} does not follow {last}")
            if entry.sender == core.party and entry.seq != (last if last is not None else -1) + 1:
                raise LogVerificationError(
                    f"this party's own sequence jumps from {last} to {entry.seq}")
            seq_at = times.of(index, item.get("checkpoint_size"))
        except (GulfsecError, ValueError) as exc:
            message = exc.message if isinstance(exc, GulfsecError) else str(exc)
            self._quarantine(repo, report, index, claimed_id, signed.raw, message, page,
                             in_log=in_log)
            return None
        stored = NodeEntry(index, signed.id, entry.sender, entry.seq, entry.form,
                           None if entry.audience == ALL else tuple(entry.audience), seq_at,
                           verified_at, signed.raw)
        return signed, stored

    def adopt(self, signed: SignedEntry, index: int) -> None:
        """Keep an entry the hub would not serve, had from its sender's node instead.

        Checked like any other: against the leaf at its index in this node's tree, its
        audience, form and right, its signature against the keys as they stood at that index.
        Its sequencing time is the signed time of the first checkpoint this node holds that
        covers it. It lands behind entries already held, so derived state is rebuilt.
        """
        core = self.core
        tree = core.copy.tree
        limit = core.regime.limits.max_entry_bytes
        if len(signed.raw) > limit:
            raise EntryTooLarge(len(signed.raw), limit)
        if not 0 <= index < tree.size or tree.leaf_hash_at(index) != leaf_hash(signed.id):
            raise LogVerificationError(
                f"entry {signed.id_hex} is not the leaf at index {index} of this node's tree")
        if not signed.entry.can_read(core.party):
            raise LogVerificationError(f"entry {signed.id_hex} is not addressed to {core.party}")
        check_form_and_right(signed, core.regime)
        core.copy.keyring.verify_as_of(signed, index)
        entry = signed.entry
        with core.uow() as uow:
            if uow.repo.entry_by_id(signed.id) is not None:
                return
            covering = [c for c in uow.repo.all_checkpoints() if c.size > index]
            seq_at = min(covering, key=lambda c: c.size).hub_time if covering else 0
            uow.repo.add_entries([NodeEntry(
                index, signed.id, entry.sender, entry.seq, entry.form,
                None if entry.audience == ALL else tuple(entry.audience), seq_at,
                micros(core.clock.now()), signed.raw)], [format_time(entry.time)])
            uow.commit()
        for hook in self.on_failed:
            hook()

    def _quarantine(self, repo: NodeRepository, report: SyncReport, index: Any,
                    claimed_id: Any, raw: bytes, reason: str, page: Page, *,
                    in_log: bool = False) -> None:
        """Keep aside what the hub served that failed verification, with the signed page it
        came in and, for an index in the node's tree, what the tree holds there."""
        core = self.core
        idx = index if isinstance(index, int) else None
        cid = claimed_id if isinstance(claimed_id, str) else None
        repo.quarantine(idx, cid, raw, reason, micros(core.clock.now()))
        message = f"entry at index {idx} failed verification: {reason}"
        evidence: dict[str, Any] = {"index": idx, "entry_id": cid,
                                    "raw": raw.decode("utf-8", "replace"), "in_log": in_log,
                                    "entries_answer": None if page.answer is None
                                    else page.answer.to_json()}
        tree = core.copy.tree
        latest = repo.latest_checkpoint()
        if idx is not None and latest is not None and 0 <= idx < latest.size <= tree.size:
            evidence.update(checkpoint=latest.note,
                            leaf_hash=b64encode(tree.leaf_hash_at(idx)),
                            inclusion_proof=[b64encode(h)
                                             for h in tree.inclusion_proof(idx, latest.size)])
        core.alarm(repo, "bad_entry", message, evidence)
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
