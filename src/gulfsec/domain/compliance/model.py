"""The values the compliance engine takes and gives: log records in, findings out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NamedTuple

from gulfsec.domain.entry import SignedEntry

Status = Literal["met", "late", "missing", "pending", "breached"]
STATUSES: tuple[Status, ...] = ("missing", "breached", "late", "pending", "met")
OVERDUE: frozenset[str] = frozenset({"missing", "late", "breached"})
"""Statuses that need someone's attention: listed first."""


@dataclass(frozen=True, slots=True)
class LogRecord:
    """An entry as the viewer holds it: its place in the log and the log's times for it.

    ``final_at`` is the entry's finality time (the moment the first checkpoint including it
    reached the witness quorum), or None while it is not final. ``sequenced_at`` is when the hub
    sequenced it. Deadlines are met or missed by ``final_at``, never by the time the sender
    claims in the entry.
    """

    index: int
    entry: SignedEntry
    final_at: datetime | None
    sequenced_at: datetime

    def __post_init__(self) -> None:
        if self.index < 0:
            raise ValueError("a log index is not negative")
        for name in ("final_at", "sequenced_at"):
            moment = getattr(self, name)
            if moment is not None and moment.tzinfo is None:
                raise ValueError(f"{name} must be an aware datetime")


class Finding(NamedTuple):
    """What the engine found about one obligation of one party.

    ``status``: ``met`` (done in time), ``late`` (done, after the deadline), ``missing``
    (not done and the deadline has passed), ``pending`` (not due yet, or done but not yet final),
    ``breached`` (a constraint was broken). ``due`` is the deadline (None when it cannot be known
    yet); ``evidence`` lists the entry ids (hex) the finding rests on; ``year`` is the year the
    obligation concerns; ``subject`` names what it is about, when a party has several of the
    same rule in a year (an activity, an acknowledged entry, a pair of states).

    A named tuple, not a dataclass: a full evaluation makes one per obligation (some 10^5 on a
    ten-year log), and a tuple is made several times faster.
    """

    party: str
    rule: str
    status: Status
    due: datetime | None
    evidence: tuple[str, ...]
    detail: str
    year: int | None = None
    subject: str | None = None
