"""The viewer's records, parsed once, and the indexes the rules look them up in.

A :class:`View` holds every record and what any rule may need of the log as such: each
record's id, when the log (as the viewer sees it) began, and when each party joined (its first
key registration). Everything else a rule needs is an :class:`Index` that the rule declares
(``Rule.indexes``) and that lives in the rule's own module, or beside the rules that share it
(``rules/_yearly.py``, ``rules/_activities.py``); the view builds the indexes of the rules it
is given and hands each record to the ones that take its form, body parsed.

A view is built record by record, in any order; every index keeps its lists in log order (by
index), so what a rule reads never depends on the order records arrived in. A record whose body
does not fit its form is kept (it is still an entry someone must acknowledge) but its body is
None: the rules fail closed on it.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar, Protocol, TypeVar

from gulfsec.domain.duties import AcknowledgementDuty, obliged_parties
from gulfsec.domain.entry import Audience, SignedEntry
from gulfsec.domain.forms import get_form
from gulfsec.domain.forms.keys import REGISTRATION
from gulfsec.domain.regime import Regime
from gulfsec.errors import InvalidFormBody

from .model import LogRecord

__all__ = ["Index", "Rec", "View", "by_index", "obliged_parties", "put"]

Parser = Callable[[Any], Any]


class Rec:
    """One record as the rules see it. ``final_at`` changes when finality is learnt."""

    __slots__ = ("index", "id", "signed", "sender", "form", "audience", "sequenced_at",
                 "final_at", "body")

    def __init__(self, index: int, entry_id: str, signed: SignedEntry, sequenced_at: datetime,
                 final_at: datetime | None, body: Any) -> None:
        entry = signed.entry
        self.index = index
        self.id: str = entry_id
        self.signed: SignedEntry = signed
        self.sender: str = entry.sender
        self.form: str = entry.form
        self.audience: Audience = entry.audience
        self.sequenced_at: datetime = sequenced_at
        self.final_at: datetime | None = final_at
        self.body = body


class Index(Protocol):
    """What some rules need to look records up, built as records come (in any order)."""

    forms: ClassVar[frozenset[str] | None]
    """The forms of the records it takes, their bodies parsed; None: every record, whatever
    its form, body parsed or not."""
    parsers: ClassVar[Mapping[str, Parser]]
    """Forms whose bodies it needs parsed its own (faster) way, returning None for a body that
    does not fit; the bodies of its other ``forms`` are parsed by their form."""

    def __init__(self, view: View) -> None: ...

    def add(self, rec: Rec) -> None: ...


IndexT = TypeVar("IndexT", bound=Index)


def by_index(rec: Rec) -> int:
    """A record's log index: the key its lists are kept sorted by."""
    return rec.index


def put(records: list[Rec], rec: Rec) -> None:
    """Insert ``rec`` in log order (records mostly arrive in it: then it is an append)."""
    if not records or records[-1].index < rec.index:
        records.append(rec)
    else:
        insort(records, rec, key=by_index)


def _form_parser(form: str) -> Parser:
    spec = get_form(form)

    def parse(body: Any) -> Any:
        try:
            return spec.parse(body)
        except InvalidFormBody:
            return None

    return parse


class View:
    """Every record the viewer holds, with the indexes of the rules it serves."""

    def __init__(self, regime: Regime, indexes: Iterable[type[Index]] = ()) -> None:
        self.regime = regime
        self.duty = AcknowledgementDuty(regime)
        self.obliged = self.duty.obliged
        self.obliged_set = frozenset(self.obliged)
        self.records: dict[int, Rec] = {}
        self.by_id: dict[str, Rec] = {}
        self.start: datetime | None = None
        """The earliest sequencing time held: when the log (as far as the viewer sees) began."""
        self.joined: dict[str, int] = {}
        """Party -> log index of its first key registration (see :mod:`gulfsec.domain.duties`)."""
        self._last_join = -1
        """The log index of the latest first key registration held."""
        self._owed: dict[tuple[str, Audience, str], tuple[str, ...]] = {}
        """(sender, audience, form) -> who owes acknowledging such an entry after the last
        join (see :meth:`owed_acknowledgement`)."""
        self._to_all: dict[tuple[str, Audience], bool] = {}
        """(sender, audience) -> whether it reaches every obliged party but the sender."""
        self._indexes: dict[type[Index], Index] = {}
        self._every: list[Index] = []
        self._by_form: dict[str, list[Index]] = {}
        self._parsers: dict[str, Parser] = {}
        self._routes: dict[str, tuple[Parser | None, tuple[Callable[[Rec], None], ...]]] = {}
        for cls in dict.fromkeys(indexes):
            index = cls(self)
            self._indexes[cls] = index
            for form, parser in cls.parsers.items():
                if self._parsers.setdefault(form, parser) is not parser:
                    raise RuntimeError(f"two indexes parse {form} differently: a view parses "
                                       "each form one way for every index")
            if cls.forms is None:
                self._every.append(index)
                continue
            for form in cls.forms:
                self._by_form.setdefault(form, []).append(index)
                self._parsers.setdefault(form, cls.parsers.get(form) or _form_parser(form))
        self._every_add: tuple[Callable[[Rec], None], ...] = tuple(i.add for i in self._every)

    def get(self, cls: type[IndexT]) -> IndexT:
        """The view's index of class ``cls`` (a rule must declare it in its ``indexes``)."""
        index = self._indexes[cls]
        assert isinstance(index, cls)
        return index

    # --- building ----------------------------------------------------------------------

    def add(self, record: LogRecord) -> Rec | None:
        """Index ``record``; return what changed, or None if nothing did.

        The same entry again at the same index changes nothing, except that a finality time
        it brings is taken if none was known (or if it is earlier: of two finality times the
        earlier is kept, whatever order they come in).
        """
        changed = self.extend((record,))
        return changed[0] if changed else None

    def extend(self, records: Iterable[LogRecord]) -> list[Rec]:
        """Index ``records`` one after the other (see :meth:`add`); return what changed.

        One loop for a whole log: a full evaluation takes in every record here.
        """
        held, by_id, routes, every = self.records, self.by_id, self._routes, self._every_add
        changed: list[Rec] = []
        for record in records:
            signed = record.entry
            entry_id = signed.id_hex
            at = record.index
            if at in held:
                again = self._again(held[at], record, entry_id)
                if again is not None:
                    changed.append(again)
                continue
            if entry_id in by_id:
                raise ValueError(f"entry {entry_id} is at log index {by_id[entry_id].index} "
                                 f"and {at}")
            entry = signed.entry
            form = entry.form
            parser, takers = routes.get(form) or self._route(form)
            body = None if parser is None else parser(entry.body)
            rec = Rec(at, entry_id, signed, record.sequenced_at, record.final_at, body)
            held[at] = rec
            by_id[entry_id] = rec
            if self.start is None or rec.sequenced_at < self.start:
                self.start = rec.sequenced_at
            if form == REGISTRATION:
                self._join(rec)
            for add in every:
                add(rec)
            if body is not None:
                for take in takers:
                    take(rec)
            changed.append(rec)
        return changed

    def _join(self, rec: Rec) -> None:
        """A key registration: the party's first one is when it joined."""
        if rec.index < self.joined.get(rec.sender, rec.index + 1):
            self.joined[rec.sender] = rec.index
            self._last_join = max(self.joined.values())
            self._owed.clear()

    def _again(self, held: Rec, record: LogRecord, entry_id: str) -> Rec | None:
        """``record`` at an index already held: the same entry, perhaps with its finality."""
        if held.id != entry_id:
            raise ValueError(f"two different entries at log index {record.index}")
        final = record.final_at
        if final is not None and (held.final_at is None or final < held.final_at):
            held.final_at = final
            return held
        return None

    def to_all(self, rec: Rec) -> bool:
        """Whether ``rec`` is addressed to every obliged party other than its sender."""
        reach = (rec.sender, rec.audience)
        to_all = self._to_all.get(reach)
        if to_all is None:
            addressees = self.duty.addressees(*reach)
            to_all = self._to_all[reach] = len(addressees) == len(self.obliged_set - {rec.sender})
        return to_all

    def _route(self, form: str) -> tuple[Parser | None, tuple[Callable[[Rec], None], ...]]:
        """How records of ``form`` are taken in: the parser of their bodies (None: kept
        unparsed), and the indexes that take them once parsed (their ``add``)."""
        route = self._parsers.get(form), tuple(index.add for index in self._by_form.get(form, ()))
        self._routes[form] = route
        return route

    def set_final(self, index: int, final_at: datetime) -> Rec:
        if final_at.tzinfo is None:
            raise ValueError("final_at must be an aware datetime")
        rec = self.records.get(index)
        if rec is None:
            raise KeyError(f"no record at log index {index}")
        rec.final_at = final_at
        return rec

    # --- reading -----------------------------------------------------------------------

    def owed_acknowledgement(self, rec: Rec) -> tuple[str, ...]:
        """The parties that owe an acknowledgement of ``rec``
        (:class:`gulfsec.domain.duties.AcknowledgementDuty`)."""
        if rec.index <= self._last_join:
            return self.duty.owed_by(rec.sender, rec.audience, rec.form, rec.index, self.joined)
        # After every join held, the answer depends on who has joined, not when: kept per
        # (sender, audience, form) until someone joins.
        kind = (rec.sender, rec.audience, rec.form)
        owed = self._owed.get(kind)
        if owed is None:
            owed = self._owed[kind] = self.duty.owed_by(*kind, rec.index, self.joined)
        return owed
