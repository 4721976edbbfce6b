"""The viewer's records, parsed once and indexed the ways the rules look them up.

A :class:`View` is built record by record, in any order; every index keeps its lists in log
order (by index), so what a rule reads never depends on the order records arrived in. A record
whose body does not fit its form is kept (it is still an entry someone must acknowledge) but
counts as no report: the rules fail closed on it.
"""

from __future__ import annotations

import re
from bisect import insort
from collections.abc import Iterator
from datetime import datetime
from typing import Any, NamedTuple

from gulfsec.domain.entry import ALL, Audience, SignedEntry
from gulfsec.domain.forms import get_form, registry
from gulfsec.domain.forms.acknowledgement import Acknowledgement
from gulfsec.domain.forms.activity_notification import ActivityNotification
from gulfsec.domain.forms.annual_calendar import AnnualCalendar, PlannedActivity
from gulfsec.domain.forms.observation import INVITATION
from gulfsec.domain.regime import Regime
from gulfsec.errors import InvalidFormBody

from .model import LogRecord

EXCHANGE = "annual-exchange@1"
PLANNING = "defence-planning@1"
CALENDAR = "annual-calendar@1"
NOTIFICATION = "activity-notification@1"
ARMS = "arms-transfers@1"
EXPENDITURE = "military-expenditure@1"
ACKNOWLEDGEMENT = "acknowledgement@1"

_REPORT_YEAR = {
    EXCHANGE: "year",
    PLANNING: "budget_year",
    CALENDAR: "year",
    ARMS: "year",
    EXPENDITURE: "year",
}
"""Yearly reports, and the body field naming the year each is for."""

_PARSED = frozenset({*_REPORT_YEAR, NOTIFICATION, INVITATION, ACKNOWLEDGEMENT})

ActivityKey = tuple[str, str]
"""(notifying party, activity reference): the calendar reference, or ``#<entry id>`` for a
notification that names none."""


def obliged_parties(regime: Regime) -> tuple[str, ...]:
    """The participants that owe reports and acknowledgements, in the regime's order.

    These are the states whose status lets them send and receive (participating and associated
    states: the regime file says associated states take part in transparency measures).
    Organisations (observers) owe nothing.
    """
    return tuple(
        code
        for code, participant in regime.participants.items()
        if participant.kind == "state"
        and {"send", "receive"} <= regime.statuses[participant.status].rights
    )


class Rec:
    """One record as the rules see it. ``final_at`` changes when finality is learnt."""

    __slots__ = ("index", "id", "signed", "sender", "form", "sequenced_at", "final_at", "body",
                 "to_all")

    def __init__(self, record: LogRecord, entry_id: str, body: Any, to_all: bool) -> None:
        entry = record.entry.entry
        self.index = record.index
        self.id: str = entry_id
        self.signed: SignedEntry = record.entry
        self.sender: str = entry.sender
        self.form: str = entry.form
        self.sequenced_at: datetime = record.sequenced_at
        self.final_at: datetime | None = record.final_at
        self.body = body
        self.to_all = to_all
        """Whether the entry is addressed to every obliged party other than its sender."""

    @property
    def audience(self) -> Audience:
        return self.signed.entry.audience


_ENTRY_ID = re.compile(r"[0-9a-f]{64}")
_MAX_ACKNOWLEDGED = min(
    (m.max_length for m in Acknowledgement.model_fields["entries"].metadata
     if isinstance(getattr(m, "max_length", None), int)),
    default=0,
)


class Acknowledged(NamedTuple):
    """The body of an ``acknowledgement@1``, as the view keeps it."""

    entries: tuple[str, ...]


def activity_key(party: str, entry_id: str, body: ActivityNotification) -> ActivityKey:
    return (party, body.calendar_ref if body.calendar_ref is not None else f"#{entry_id}")


def _by_index(rec: Rec) -> int:
    return rec.index


def _put(records: list[Rec], rec: Rec) -> None:
    """Insert ``rec`` in log order (records mostly arrive in it: then it is an append)."""
    if not records or records[-1].index < rec.index:
        records.append(rec)
    else:
        insort(records, rec, key=_by_index)


def _listing_index(item: tuple[Rec, PlannedActivity, bool]) -> int:
    return item[0].index


class View:
    """Every record the viewer holds, with the indexes the rules need."""

    def __init__(self, regime: Regime) -> None:
        self.regime = regime
        self.obliged = obliged_parties(regime)
        self.obliged_set = frozenset(self.obliged)
        self.records: dict[int, Rec] = {}
        self.by_id: dict[str, Rec] = {}
        self.start: datetime | None = None
        """The earliest sequencing time held: when the log (as far as the viewer sees) began."""
        self.reports: dict[tuple[str, str, int], list[Rec]] = {}
        """(form, sender, year) -> that party's reports for that year, addressed to all."""
        self.report_years: dict[str, set[int]] = {}
        self.notifications: dict[ActivityKey, list[Rec]] = {}
        self.activity_of: dict[str, ActivityKey] = {}
        """Notification entry id -> the activity it notifies."""
        self.listings: dict[ActivityKey, list[tuple[Rec, PlannedActivity, bool]]] = {}
        """(party, ref) -> (calendar, the planned activity, listed among later_activities)."""
        self.invitations: dict[str, list[Rec]] = {}
        """Notification entry id -> observation invitations naming it."""
        self.acks: dict[str, list[Rec]] = {}
        """Entry id -> acknowledgements listing it."""
        self.acknowledged: dict[str, Rec] = {}
        """Entry id -> the entry, for every entry its addressees must acknowledge."""
        self._reached: dict[tuple[str, Audience], tuple[bool, tuple[str, ...]]] = {}
        # Acknowledgements and key entries are not acknowledged; entries of unknown forms are.
        self._acknowledged = {form_id: spec.acknowledge for form_id, spec in registry().items()}

    # --- building ----------------------------------------------------------------------

    def add(self, record: LogRecord) -> Rec | None:
        """Index ``record``; return what changed, or None if nothing did.

        The same entry again at the same index changes nothing, except that a finality time
        it brings is taken if none was known (or if it is earlier: of two finality times the
        earlier is kept, whatever order they come in).
        """
        entry_id = record.entry.id_hex
        held = self.records.get(record.index)
        if held is not None:
            if held.id != entry_id:
                raise ValueError(f"two different entries at log index {record.index}")
            final = record.final_at
            if final is not None and (held.final_at is None or final < held.final_at):
                held.final_at = final
                return held
            return None
        other = self.by_id.get(entry_id)
        if other is not None:
            raise ValueError(f"entry {entry_id} is at log index {other.index} and {record.index}")
        entry = record.entry.entry
        to_all, addressees = self._reach(entry.sender, entry.audience)
        rec = Rec(record, entry_id, self._parse(entry.form, entry.body), to_all)
        self.records[rec.index] = rec
        self.by_id[entry_id] = rec
        if addressees and self._acknowledged.get(rec.form, True):
            self.acknowledged[entry_id] = rec
        if self.start is None or rec.sequenced_at < self.start:
            self.start = rec.sequenced_at
        if rec.body is not None:
            self._index(rec)
        return rec

    def set_final(self, index: int, final_at: datetime) -> Rec:
        if final_at.tzinfo is None:
            raise ValueError("final_at must be an aware datetime")
        rec = self.records.get(index)
        if rec is None:
            raise KeyError(f"no record at log index {index}")
        rec.final_at = final_at
        return rec

    def _parse(self, form: str, body: Any) -> Any:
        if form not in _PARSED:
            return None
        if form == ACKNOWLEDGEMENT:
            # The commonest entry by far, kept as a light tuple. What this check plainly
            # accepts, the form accepts; the form decides the rest.
            if type(body) is dict and len(body) == 1:
                entries = body.get("entries")
                if type(entries) is list and 0 < len(entries) <= _MAX_ACKNOWLEDGED:
                    match = _ENTRY_ID.fullmatch
                    for entry_id in entries:
                        if type(entry_id) is not str or match(entry_id) is None:
                            break
                    else:
                        return Acknowledged(tuple(entries))
            try:
                return Acknowledged(tuple(get_form(form).parse(body).entries))
            except InvalidFormBody:
                return None
        try:
            return get_form(form).parse(body)
        except InvalidFormBody:
            return None

    def _reach(self, sender: str, audience: Audience) -> tuple[bool, tuple[str, ...]]:
        """Whether an entry from ``sender`` to ``audience`` reaches every obliged party but its
        sender, and which obliged parties it reaches (remembered: audiences repeat)."""
        key = (sender, audience)
        found = self._reached.get(key)
        if found is None:
            addressees = tuple(
                p for p in self.obliged if p != sender and (audience == ALL or p in audience)
            )
            found = (len(addressees) == len(self.obliged_set - {sender}), addressees)
            self._reached[key] = found
        return found

    def _index(self, rec: Rec) -> None:
        form, body = rec.form, rec.body
        if form == ACKNOWLEDGEMENT:
            entries = body.entries
            for eid in entries if len(entries) == 1 else dict.fromkeys(entries):
                _put(self.acks.setdefault(eid, []), rec)
            return
        if rec.sender not in self.obliged_set:
            return
        if form == INVITATION:
            _put(self.invitations.setdefault(body.notification, []), rec)
            return
        if not rec.to_all:
            return
        year_field = _REPORT_YEAR.get(form)
        if year_field is not None:
            year = getattr(body, year_field)
            _put(self.reports.setdefault((form, rec.sender, year), []), rec)
            self.report_years.setdefault(form, set()).add(year)
            if form == CALENDAR:
                self._index_calendar(rec, body)
        elif form == NOTIFICATION:
            key = activity_key(rec.sender, rec.id, body)
            self.activity_of[rec.id] = key
            _put(self.notifications.setdefault(key, []), rec)

    def _index_calendar(self, rec: Rec, body: AnnualCalendar) -> None:
        for later, activities in ((False, body.activities), (True, body.later_activities)):
            for activity in activities:
                listings = self.listings.setdefault((rec.sender, activity.ref), [])
                insort(listings, (rec, activity, later), key=_listing_index)

    # --- reading -----------------------------------------------------------------------

    def report_year(self, rec: Rec) -> int | None:
        """The year a yearly report is for; None for anything else or an unreadable body."""
        field = _REPORT_YEAR.get(rec.form)
        if field is None or rec.body is None:
            return None
        year: int = getattr(rec.body, field)
        return year

    def reports_of(self, form: str, party: str, year: int) -> list[Rec]:
        return self.reports.get((form, party, year), [])

    def addressees(self, rec: Rec) -> tuple[str, ...]:
        """The obliged parties, other than its sender, that ``rec`` is addressed to."""
        return self._reach(rec.sender, rec.audience)[1]

    def calendar_refs(self, party: str, year: int) -> Iterator[str]:
        """Every activity reference listed in any of ``party``'s calendars for ``year``."""
        for calendar in self.reports_of(CALENDAR, party, year):
            body: AnnualCalendar = calendar.body
            for activity in (*body.activities, *body.later_activities):
                yield activity.ref

    def activity_keys(self) -> set[ActivityKey]:
        """Every activity notified or planned in a calendar."""
        return {*self.notifications, *self.listings}
