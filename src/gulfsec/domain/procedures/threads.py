"""Consultation threads, from the entries alone: who is in each thread and what was said.

A thread's parties are its opener and its audience (``all``: every participant). A reply counts
if its sender is one of the thread's parties and it is addressed to every other one of them —
so that only the thread's parties read it, and every one of them reads all of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gulfsec.domain.compliance.model import LogRecord
from gulfsec.domain.encoding import format_time
from gulfsec.domain.entry import ALL, Audience, SignedEntry
from gulfsec.domain.forms.consultations import REPLY, THREAD
from gulfsec.domain.regime import Regime
from gulfsec.errors import AudienceError, ProcedureError


def reply_audience(thread: SignedEntry, sender: str) -> Audience:
    """Whom a reply by ``sender`` in ``thread`` is addressed to."""
    entry = thread.entry
    if entry.audience == ALL:
        return ALL
    return tuple(sorted({entry.sender, *entry.audience} - {sender}))


def in_thread(thread: SignedEntry, party: str) -> bool:
    entry = thread.entry
    return entry.audience == ALL or party == entry.sender or party in entry.audience


@dataclass(frozen=True)
class Said:
    """One message of a thread (the opening one or a reply)."""

    entry_id: str
    index: int
    sender: str
    text: str
    attachments: tuple[Mapping[str, Any], ...]
    sequenced_at: datetime
    final_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {"entry_id": self.entry_id, "index": self.index, "sender": self.sender,
                "text": self.text, "attachments": [dict(a) for a in self.attachments],
                "sequenced_at": format_time(self.sequenced_at),
                "final_at": None if self.final_at is None else format_time(self.final_at)}


@dataclass(frozen=True)
class Thread:
    id: str
    index: int
    opened_by: str
    subject: str
    level: str
    format: str | None
    parties: tuple[str, ...] | str
    """The thread's parties, or ``all``."""
    messages: tuple[Said, ...]

    @property
    def last(self) -> Said:
        return self.messages[-1]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "index": self.index, "opened_by": self.opened_by,
                "subject": self.subject, "level": self.level, "format": self.format,
                "parties": self.parties if isinstance(self.parties, str) else list(self.parties),
                "messages": [m.to_json() for m in self.messages],
                "last_activity": format_time(self.last.sequenced_at)}


def _said(record: LogRecord) -> Said:
    entry = record.entry.entry
    return Said(record.entry.id_hex, record.index, entry.sender, str(entry.body["text"]),
                tuple(entry.body.get("attachments") or ()), record.sequenced_at, record.final_at)


def threads(records: Iterable[LogRecord]) -> list[Thread]:
    """Every thread the records show, with its replies in log order; newest activity first."""
    ordered = sorted((r for r in records if r.entry.entry.form in (THREAD, REPLY)),
                     key=lambda r: r.index)
    opened: dict[str, LogRecord] = {}
    said: dict[str, list[Said]] = {}
    for record in ordered:
        entry = record.entry.entry
        if entry.form == THREAD:
            opened[record.entry.id_hex] = record
            said[record.entry.id_hex] = [_said(record)]
            continue
        thread = opened.get(str(entry.body.get("thread")))
        if thread is None or not in_thread(thread.entry, entry.sender):
            continue
        if entry.audience != reply_audience(thread.entry, entry.sender):
            continue
        said[thread.entry.id_hex].append(_said(record))
    found = []
    for tid, record in opened.items():
        entry = record.entry.entry
        body = entry.body
        parties: tuple[str, ...] | str = (ALL if entry.audience == ALL
                                          else tuple(sorted({entry.sender, *entry.audience})))
        found.append(Thread(tid, record.index, entry.sender, str(body["subject"]),
                            str(body.get("level", "expert")), body.get("format"), parties,
                            tuple(said[tid])))
    found.sort(key=lambda t: -t.last.index)
    return found


def check_submission(signed: SignedEntry, regime: Regime,
                     lookup: Callable[[str], tuple[int, SignedEntry] | None]) -> None:
    """What the hub refuses of a consultation entry before it is sequenced."""
    entry = signed.entry
    if entry.form == THREAD:
        fmt = entry.body.get("format")
        if fmt is None:
            return
        try:
            members = regime.participants if fmt == ALL else regime.format_members(str(fmt))
        except AudienceError as exc:
            raise ProcedureError(exc.message, entry_id=signed.id_hex) from None
        expected: Audience = ALL if fmt == ALL else tuple(sorted(set(members) - {entry.sender}))
        if entry.audience != expected:
            shown = "all" if expected == ALL else ", ".join(expected)
            raise ProcedureError(f"a thread in {fmt} is addressed to its members: {shown}",
                                 entry_id=signed.id_hex)
    elif entry.form == REPLY:
        found = lookup(str(entry.body["thread"]))
        if found is None or found[1].entry.form != THREAD:
            raise ProcedureError(f"{entry.body['thread']} is not a consultation thread in "
                                 "the log", entry_id=signed.id_hex)
        thread = found[1]
        if not in_thread(thread, entry.sender):
            raise ProcedureError(f"{entry.sender} is not a party to this thread",
                                 entry_id=signed.id_hex)
        expected = reply_audience(thread, entry.sender)
        if entry.audience != expected:
            shown = "all" if expected == ALL else ", ".join(expected)
            raise ProcedureError(f"a reply goes to every party of the thread: {shown}",
                                 entry_id=signed.id_hex)
