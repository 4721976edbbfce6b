"""The regime model: the frozen values ``parse_regime`` builds from a checked regime file.

Everything here is already valid when it exists; the checking lives in :mod:`.document` and
:mod:`.parse`. The commitments are in :mod:`.commitments`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal, get_args

from gulfsec.errors import AudienceError, UnknownSender
from gulfsec.i18n import party_name

if TYPE_CHECKING:  # commitments.py imports MonthDay from here
    from .commitments import Commitments

__all__ = [
    "DIRECTIONS",
    "KINDS",
    "RIGHTS",
    "Batching",
    "EarlyWarning",
    "Direction",
    "Kind",
    "Language",
    "Limits",
    "MonthDay",
    "Participant",
    "Regime",
    "Secretariat",
    "Status",
]

RIGHTS: frozenset[str] = frozenset(
    {"send", "receive", "propose", "decide", "witness", "chair", "countersign"}
)
"""Every right a status or the secretariat may carry."""

Kind = Literal["state", "organisation"]
Direction = Literal["ltr", "rtl"]
KINDS: tuple[str, ...] = get_args(Kind)
DIRECTIONS: tuple[str, ...] = get_args(Direction)

_MONTH_DAY = re.compile(r"(\d{2})-(\d{2})")


@dataclass(frozen=True, order=True)
class MonthDay:
    """A day of the year with no year, such as a yearly due date ("12-15"). Never 29 February."""

    month: int
    day: int

    def __post_init__(self) -> None:
        try:
            date(2001, self.month, self.day)  # a common year: 02-29 is refused
        except ValueError:
            raise ValueError(
                f"no such day of every year: {self.month:02d}-{self.day:02d}"
            ) from None

    @classmethod
    def parse(cls, text: str) -> MonthDay:
        """Read ``"MM-DD"``; raise ``ValueError`` for anything else."""
        match = _MONTH_DAY.fullmatch(text)
        if match is None:
            raise ValueError(f"expected a month-day written MM-DD, got {text!r}")
        return cls(int(match[1]), int(match[2]))

    def in_year(self, year: int) -> date:
        """This day in ``year``."""
        return date(year, self.month, self.day)

    def __str__(self) -> str:
        return f"{self.month:02d}-{self.day:02d}"


@dataclass(frozen=True)
class Secretariat:
    """The body that runs the hub: it countersigns key registrations and chairs procedures."""

    code: str
    name: str
    rights: frozenset[str]


@dataclass(frozen=True)
class Status:
    """A standing such as "participating state", and the rights it carries."""

    id: str
    name: str
    rights: frozenset[str]


@dataclass(frozen=True)
class Participant:
    """A state or organisation taking part in the regime; ``name`` is English."""

    code: str
    name: str
    kind: str
    status: str
    names: Mapping[str, str]

    def name_in(self, language: str) -> str:
        """The participant's name in ``language``: the regime's, else for a state its country's
        name in CLDR (:func:`gulfsec.i18n.party_name`), else the English name."""
        return party_name(self.name, self.names, code=self.code, state=self.kind == "state",
                          lang=language)

    def __hash__(self) -> int:
        return hash((self.code, self.name, self.kind, self.status, frozenset(self.names.items())))


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    native: str
    direction: str


@dataclass(frozen=True)
class Limits:
    max_entry_bytes: int
    max_refs: int
    clock_skew: timedelta
    """How far a request's or entry's claimed time may differ from the hub's clock."""
    max_merge: timedelta = timedelta(seconds=60)
    """How soon a signed receipt promises a checkpoint that includes the entry."""
    stale_view: timedelta = timedelta(seconds=120)
    """How long a node may be shown an older checkpoint than its peers hold."""
    peer_silence: timedelta = timedelta(seconds=600)
    """How long a node may go without comparing its view with any peer."""


@dataclass(frozen=True)
class Batching:
    """The hub's sequencing batch: cut at ``max_batch`` entries or after ``max_delay``."""

    max_batch: int
    max_delay: timedelta


@dataclass(frozen=True)
class EarlyWarning:
    """When the tension index from open news alerts (``[early_warning]``, optional): per
    ``period`` ("day", "week" or "month"), decaying by half every ``half_life_days``, a pair
    alerts when its index crosses ``threshold`` or rises by more than ``jump`` in a period."""

    period: str = "month"
    half_life_days: float = 30.0
    threshold: float = 20.0
    jump: float = 10.0


@dataclass(frozen=True)
class Regime:
    """A checked regime. ``participants``, ``statuses``, ``formats`` and ``languages`` keep the
    order of the file; ``digest`` is the SHA-256 (hex) of the file, so parties can compare."""

    id: str
    name: str
    version: str
    log_origin: str
    hub_key: str | None
    secretariat: Secretariat
    participants: Mapping[str, Participant]
    statuses: Mapping[str, Status]
    formats: Mapping[str, tuple[str, ...]]
    languages: Mapping[str, Language]
    witness_quorum: int
    limits: Limits
    batching: Batching
    commitments: Commitments
    source: str
    digest: str
    early_warning: EarlyWarning = EarlyWarning()

    def __hash__(self) -> int:
        return hash((self.id, self.version, self.digest))

    def is_participant(self, code: str) -> bool:
        return code in self.participants

    def is_party(self, code: str) -> bool:
        """A participant or the secretariat: the codes that may hold keys and sign."""
        return code in self.participants or code == self.secretariat.code

    def participant(self, code: str) -> Participant:
        """The participant ``code``; raise ``UnknownSender`` if there is none."""
        try:
            return self.participants[code]
        except KeyError:
            raise UnknownSender(f"{code!r} is not a participant of regime {self.id!r}") from None

    def has_right(self, code: str, right: str) -> bool:
        """Whether party ``code`` holds ``right``; False for a code that is no party.

        An unknown right is a programming mistake, not a denial: it raises ``ValueError``.
        """
        if right not in RIGHTS:
            raise ValueError(f"unknown right {right!r}; rights are {', '.join(sorted(RIGHTS))}")
        if code == self.secretariat.code:
            return right in self.secretariat.rights
        found = self.participants.get(code)
        return found is not None and right in self.statuses[found.status].rights

    def format_members(self, name: str) -> tuple[str, ...]:
        """The participant codes of format ``name``; raise ``AudienceError`` if there is none."""
        try:
            return self.formats[name]
        except KeyError:
            known = ", ".join(self.formats)
            raise AudienceError(
                f"unknown format {name!r} in regime {self.id!r} (known: {known})"
            ) from None

    def witnesses(self) -> tuple[str, ...]:
        """Participants whose status carries the ``witness`` right, in file order."""
        return tuple(code for code in self.participants if self.has_right(code, "witness"))

    def parties(self) -> tuple[str, ...]:
        """Participant codes, then the secretariat's: every code that may hold keys."""
        return (*self.participants, self.secretariat.code)
