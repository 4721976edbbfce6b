"""Acknowledgement: every entry is acknowledged by each party that owes it (decided by
:class:`gulfsec.domain.duties.AcknowledgementDuty`: the obliged states it is addressed to,
other than its sender, that had joined the log before it) with an ``acknowledgement@1``
listing it, within ``acknowledgement.within`` of the entry's finality.

The deadline runs from the acknowledged entry's finality time, so while that entry is not final
the obligation is ``pending`` with no deadline yet.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, ClassVar

from gulfsec.domain.forms import get_form
from gulfsec.domain.forms.acknowledgement import ACKNOWLEDGEMENT, Acknowledgement
from gulfsec.domain.forms.keys import REGISTRATION
from gulfsec.errors import InvalidFormBody
from gulfsec.i18n import N_

from ..rule import Outcome, Window, fixed, judge, open_obligation, span
from ..view import Index, Parser, Rec, View, by_index, put

NAME = "acknowledgement"

_ID_LENGTH = 64
_MAX_LISTED = min(
    (m.max_length for m in Acknowledgement.model_fields["entries"].metadata
     if isinstance(getattr(m, "max_length", None), int)),
    default=0,
)


_ACKNOWLEDGED_BY = N_("acknowledged by log #{index}")

Acknowledged = tuple[tuple[str, ...], tuple[str, ...]]
"""The body of an ``acknowledgement@1``, as the view keeps it: (the entries it lists, those of
them the hub withheld). A plain pair: one is made for nearly every record of a log."""


def parse_acknowledgement(body: Any) -> Acknowledged | None:
    """The commonest entry by far, kept as a light pair: what this check plainly accepts (entry
    ids of 64 lowercase hex digits, checked faster than a regular expression would), the form
    accepts; the form decides the rest."""
    if type(body) is dict and len(body) == 1:
        entries = body.get("entries")
        if type(entries) is list and 0 < len(entries) <= _MAX_LISTED:
            try:
                for entry_id in entries:
                    if (type(entry_id) is not str or len(entry_id) != _ID_LENGTH
                            or bytes.fromhex(entry_id).hex() != entry_id):
                        break
                else:
                    return (tuple(entries), ())
            except ValueError:  # not hex digits
                pass
    try:
        parsed = get_form(ACKNOWLEDGEMENT).parse(body)
    except InvalidFormBody:
        return None
    return (tuple(parsed.entries), tuple(parsed.withheld))


class Acknowledgements:
    """The entries owed an acknowledgement, and the acknowledgements listing each entry."""

    forms: ClassVar[frozenset[str] | None] = None
    parsers: ClassVar[Mapping[str, Parser]] = {ACKNOWLEDGEMENT: parse_acknowledgement}

    def __init__(self, view: View) -> None:
        self.view = view
        self.owed: dict[str, Rec] = {}
        """Entry id -> the entry, for every entry some addressee may owe acknowledging."""
        self.in_order: list[Rec] = []
        """The same entries, in log order."""
        self.acks: dict[str, list[Rec]] = {}
        """Entry id -> acknowledgements listing it, in log order."""
        self.withheld: set[str] = set()
        """Entry ids some acknowledgement says the hub withheld."""

    def add(self, rec: Rec) -> None:
        if rec.form == ACKNOWLEDGEMENT:
            if rec.body is not None:
                entries, withheld = rec.body
                for eid in entries if len(entries) == 1 else dict.fromkeys(entries):
                    acks = self.acks.get(eid)
                    if acks is None:
                        self.acks[eid] = [rec]
                    elif acks[-1].index < rec.index:
                        acks.append(rec)
                    else:
                        put(acks, rec)
                if withheld:
                    self.withheld.update(withheld)
            return
        duty = self.view.duty
        if duty.acknowledged(rec.form) and duty.addressees(rec.sender, rec.audience):
            self.owed[rec.id] = rec
            put(self.in_order, rec)

    def owed_after(self, index: int) -> list[Rec]:
        """The entries owed an acknowledgement that come after log ``index``."""
        return self.in_order[bisect_right(self.in_order, index, key=by_index):]


class AcknowledgementRule:
    name = NAME
    title = N_("Acknowledgement of entries received")
    indexes: tuple[type[Index], ...] = (Acknowledgements,)

    def keys(self, view: View, window: Window) -> Iterator[str]:
        return iter(view.get(Acknowledgements).owed)

    def touched(self, view: View, rec: Rec) -> Iterator[str]:
        index = view.get(Acknowledgements)
        if rec.id in index.owed:
            yield rec.id
        if rec.form == ACKNOWLEDGEMENT and rec.body is not None:
            yield from dict.fromkeys(rec.body[0])
        elif rec.form == REGISTRATION and view.joined.get(rec.sender) == rec.index:
            # A party that joins owes what comes after it: that can change entries held
            # already when records come out of log order.
            yield from (entry.id for entry in index.owed_after(rec.index))

    def assess(self, view: View, key: str) -> list[Outcome]:
        index = view.get(Acknowledgements)
        rec = index.owed.get(key)
        if rec is None:
            return []
        addressees = view.owed_acknowledgement(rec)
        if not addressees:
            return []
        year = rec.sequenced_at.year
        subject = f"#{rec.index} {rec.form}"  # an index and a form's id: nothing to translate
        if rec.final_at is None:
            return [
                fixed(party, NAME, "pending", None, (key,), N_("entry not final yet"),
                      year=year, subject=subject)
                for party in addressees
            ]
        due = rec.final_at + view.regime.commitments.acknowledgement.within
        acks = index.acks.get(key, ())
        once = {ack.sender: ack for ack in acks}
        if len(once) == len(acks) and key not in index.withheld:
            # The common case: nobody acknowledged it twice, nobody says it was withheld.
            return [_acknowledged_once(party, once.get(party), key, due, year, subject)
                    for party in addressees]
        by_party: dict[str, list[Rec]] = {}
        for ack in acks:
            by_party.setdefault(ack.sender, []).append(ack)
        return [_acknowledged(party, by_party.get(party, []), key, due, year, subject)
                for party in addressees]


def _acknowledged_once(party: str, ack: Rec | None, key: str, due: datetime, year: int,
                       subject: str) -> Outcome:
    """How ``party`` stands with at most one acknowledgement, naming nothing withheld."""
    if ack is None:
        return open_obligation(party, NAME, due, (key,), N_("not acknowledged"), year=year,
                               subject=subject)
    if ack.final_at is not None and ack.final_at <= due:
        return fixed(party, NAME, "met", due, (key, ack.id),
                     _ACKNOWLEDGED_BY.format(index=ack.index), year=year, subject=subject)
    return _acknowledged(party, [ack], key, due, year, subject)


def _acknowledged(party: str, acks: list[Rec], key: str, due: datetime, year: int,
                  subject: str) -> Outcome:
    """How ``party`` stands with its acknowledgements of the entry ``key``, in log order."""
    if not acks:
        return open_obligation(party, NAME, due, (key,), N_("not acknowledged"), year=year,
                               subject=subject)
    excused = next((a for a in acks if key in a.body[1]), None)
    if excused is not None:
        if excused.final_at is None:
            return fixed(party, NAME, "pending", due, (key, excused.id),
                         N_("acknowledgement log #{index} not final yet").format(
                             index=excused.index),
                         year=year, subject=subject)
        return fixed(party, NAME, "met", due, (key, excused.id),
                     N_("acknowledged by log #{index} after the hub withheld the entry from "
                        "{party} (its node holds the proof)").format(index=excused.index,
                                                                      party=party),
                     year=year, subject=subject)
    verdict = judge(due, acks)
    assert verdict is not None  # there are acknowledgements
    ack = verdict.rec
    if verdict.status == "met":
        detail = _ACKNOWLEDGED_BY.format(index=ack.index)
    elif verdict.status == "late":
        assert ack.final_at is not None
        detail = N_("acknowledged by log #{index}, {late} late").format(
            index=ack.index, late=span(ack.final_at - due))
    else:
        detail = N_("acknowledgement log #{index} not final yet").format(index=ack.index)
    return fixed(party, NAME, verdict.status, due, (key, ack.id), detail, year=year,
                 subject=subject)


RULE = AcknowledgementRule()
