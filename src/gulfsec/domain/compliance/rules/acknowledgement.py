"""Acknowledgement: every entry is acknowledged by each party that owes it (decided by
:class:`gulfsec.domain.duties.AcknowledgementDuty`: the obliged states it is addressed to,
other than its sender, that had joined the log before it) with an ``acknowledgement@1``
listing it, within ``acknowledgement.within`` of the entry's finality.

The deadline runs from the acknowledged entry's finality time, so while that entry is not final
the obligation is ``pending`` with no deadline yet.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, NamedTuple

from gulfsec.domain.forms import get_form
from gulfsec.domain.forms.acknowledgement import ACKNOWLEDGEMENT, Acknowledgement
from gulfsec.domain.forms.keys import REGISTRATION
from gulfsec.errors import InvalidFormBody

from ..rule import Outcome, Window, fixed, judge, open_obligation, span
from ..view import Index, Parser, Rec, View, put

NAME = "acknowledgement"

_ENTRY_ID = re.compile(r"[0-9a-f]{64}")
_MAX_LISTED = min(
    (m.max_length for m in Acknowledgement.model_fields["entries"].metadata
     if isinstance(getattr(m, "max_length", None), int)),
    default=0,
)


class Acknowledged(NamedTuple):
    """The body of an ``acknowledgement@1``, as the view keeps it."""

    entries: tuple[str, ...]
    withheld: tuple[str, ...] = ()


def parse_acknowledgement(body: Any) -> Acknowledged | None:
    """The commonest entry by far, kept as a light tuple: what this check plainly accepts, the
    form accepts; the form decides the rest."""
    if type(body) is dict and len(body) == 1:
        entries = body.get("entries")
        if type(entries) is list and 0 < len(entries) <= _MAX_LISTED:
            match = _ENTRY_ID.fullmatch
            for entry_id in entries:
                if type(entry_id) is not str or match(entry_id) is None:
                    break
            else:
                return Acknowledged(tuple(entries))
    try:
        parsed = get_form(ACKNOWLEDGEMENT).parse(body)
    except InvalidFormBody:
        return None
    return Acknowledged(tuple(parsed.entries), tuple(parsed.withheld))


class Acknowledgements:
    """The entries owed an acknowledgement, and the acknowledgements listing each entry."""

    forms: ClassVar[frozenset[str] | None] = None
    parsers: ClassVar[Mapping[str, Parser]] = {ACKNOWLEDGEMENT: parse_acknowledgement}

    def __init__(self, view: View) -> None:
        self.view = view
        self.owed: dict[str, Rec] = {}
        """Entry id -> the entry, for every entry some addressee may owe acknowledging."""
        self.acks: dict[str, list[Rec]] = {}
        """Entry id -> acknowledgements listing it, in log order."""

    def add(self, rec: Rec) -> None:
        duty = self.view.duty
        if rec.form == ACKNOWLEDGEMENT:
            if rec.body is not None:
                entries = rec.body.entries
                for eid in entries if len(entries) == 1 else dict.fromkeys(entries):
                    put(self.acks.setdefault(eid, []), rec)
        elif duty.acknowledged(rec.form) and duty.addressees(rec.sender, rec.audience):
            self.owed[rec.id] = rec


class AcknowledgementRule:
    name = NAME
    title = "Acknowledgement of entries received"
    indexes: tuple[type[Index], ...] = (Acknowledgements,)

    def keys(self, view: View, window: Window) -> Iterator[str]:
        return iter(view.get(Acknowledgements).owed)

    def touched(self, view: View, rec: Rec) -> Iterator[str]:
        owed = view.get(Acknowledgements).owed
        if rec.id in owed:
            yield rec.id
        if rec.form == ACKNOWLEDGEMENT and rec.body is not None:
            yield from dict.fromkeys(rec.body.entries)
        elif rec.form == REGISTRATION and view.joined.get(rec.sender) == rec.index:
            # A party that joins owes what comes after it: that can change entries held
            # already when records come out of log order.
            yield from (eid for eid, entry in owed.items() if entry.index > rec.index)

    def assess(self, view: View, key: str) -> list[Outcome]:
        index = view.get(Acknowledgements)
        rec = index.owed.get(key)
        if rec is None:
            return []
        addressees = view.owed_acknowledgement(rec)
        if not addressees:
            return []
        year = rec.sequenced_at.year
        subject = f"#{rec.index} {rec.form}"
        if rec.final_at is None:
            return [
                fixed(party, NAME, "pending", None, (key,), "entry not final yet",
                      year=year, subject=subject)
                for party in addressees
            ]
        due = rec.final_at + view.regime.commitments.acknowledgement.within
        by_party: dict[str, list[Rec]] = {}
        for ack in index.acks.get(key, ()):
            by_party.setdefault(ack.sender, []).append(ack)
        out = []
        for party in addressees:
            acks = by_party.get(party)
            if acks is None:
                out.append(
                    open_obligation(party, NAME, due, (key,), "not acknowledged",
                                    year=year, subject=subject)
                )
                continue
            first = acks[0]
            excused = next((a for a in acks if key in a.body.withheld), None)
            if excused is not None:
                if excused.final_at is None:
                    out.append(fixed(party, NAME, "pending", due, (key, excused.id),
                                     f"acknowledgement log #{excused.index} not final yet",
                                     year=year, subject=subject))
                else:
                    out.append(fixed(party, NAME, "met", due, (key, excused.id),
                                     f"acknowledged by log #{excused.index} after the hub "
                                     f"withheld the entry from {party} (its node holds the "
                                     "proof)", year=year, subject=subject))
                continue
            if len(acks) == 1 and first.final_at is not None and first.final_at <= due:
                # The common case, decided without the general judge.
                out.append(fixed(party, NAME, "met", due, (key, first.id),
                                 f"acknowledged by log #{first.index}",
                                 year=year, subject=subject))
                continue
            verdict = judge(due, acks)
            assert verdict is not None  # there are acknowledgements
            ack = verdict.rec
            if verdict.status == "met":
                detail = f"acknowledged by log #{ack.index}"
            elif verdict.status == "late":
                assert ack.final_at is not None
                detail = f"acknowledged by log #{ack.index}, {span(ack.final_at - due)} late"
            else:
                detail = f"acknowledgement log #{ack.index} not final yet"
            out.append(
                fixed(party, NAME, verdict.status, due, (key, ack.id), detail,
                      year=year, subject=subject)
            )
        return out


RULE = AcknowledgementRule()
