"""The regime: everything that is policy rather than code (DESIGN.md §6).

A regime file is TOML; ``regimes/gulf.toml`` in this package is the default. ``parse_regime``
turns its text into a frozen ``Regime``, or raises one ``RegimeError`` naming the file, the
dotted key and the problem. Nothing half-checked gets out: an unknown or misspelt key, a wrong
type, an unknown party, a zero threshold or a missing deadline refuses the whole file.

Durations are written with their unit in the key (``notice_days``, ``reply_hours``,
``test_interval_minutes``) and held as ``timedelta``; calendar months stay whole numbers
(``within_months``). Yearly due dates are written ``"MM-DD"`` and held as ``MonthDay``.

This module is pure: standard library only, no I/O beyond reading the file it is given.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import functools
import hashlib
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType
from typing import NoReturn

from gulfsec.errors import AudienceError, RegimeError, UnknownSender

__all__ = [
    "DIRECTIONS",
    "KINDS",
    "RIGHTS",
    "Acknowledgement",
    "AnnualCalendar",
    "AnnualExchange",
    "ArmsTransfers",
    "Batching",
    "Commitments",
    "ConstrainingProvision",
    "DefencePlanning",
    "HazardousIncident",
    "Hotline",
    "Inspections",
    "Language",
    "Limits",
    "MilitaryExpenditure",
    "MonthDay",
    "ObservationInvitation",
    "Participant",
    "PriorNotification",
    "Regime",
    "Secretariat",
    "Status",
    "UnusualActivity",
    "default_regime",
    "load_regime",
    "parse_regime",
]

RIGHTS: frozenset[str] = frozenset(
    {"send", "receive", "propose", "decide", "witness", "chair", "countersign"}
)
"""Every right a status or the secretariat may carry."""

KINDS: tuple[str, ...] = ("state", "organisation")
DIRECTIONS: tuple[str, ...] = ("ltr", "rtl")

_SECRETARIAT_MAY_NOT = frozenset({"decide", "witness"})
_STATE_CODE = re.compile(r"[A-Z]{3}")
_ORGANISATION_CODE = re.compile(r"[A-Z]{2,6}")
_NAME_ID = re.compile(r"[a-z][a-z0-9_-]*")
_FORMAT_NAME = re.compile(r"[a-z0-9][a-z0-9+_-]*")
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")
_MONTH_DAY = re.compile(r"(\d{2})-(\d{2})")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ED25519 = 0x01  # C2SP signed-note signature type of an Ed25519 key


# --- values -------------------------------------------------------------------------------


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
        """The participant's name in ``language``, or its English name when none is given."""
        return self.names.get(language, self.name)

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


@dataclass(frozen=True)
class Batching:
    """The hub's sequencing batch: cut at ``max_batch`` entries or after ``max_delay``."""

    max_batch: int
    max_delay: timedelta


# --- commitments --------------------------------------------------------------------------


@dataclass(frozen=True)
class AnnualExchange:
    """Annual exchange of military information: by ``due``, valid from ``valid_from`` next."""

    due: MonthDay
    valid_from: MonthDay


@dataclass(frozen=True)
class DefencePlanning:
    """Defence planning information within ``within_months`` calendar months of the budget."""

    within_months: int


@dataclass(frozen=True)
class AnnualCalendar:
    """The calendar of notifiable activities for the next year, by ``due``."""

    due: MonthDay


@dataclass(frozen=True)
class PriorNotification:
    """Notice ahead of an activity that reaches any one threshold.

    ``live_firing_nm`` is a distance: any live firing within that many nautical miles of another
    participant's territorial sea is notifiable. ``submarines = 1`` means any submarine.
    """

    notice: timedelta
    troops: int
    battle_tanks: int
    acv: int
    artillery: int
    major_surface_combatants: int
    submarines: int
    live_firing_nm: int
    sorties: int


@dataclass(frozen=True)
class ObservationInvitation:
    """Observers from the format ``audience`` are invited ``notice`` ahead of a large activity."""

    audience: str
    notice: timedelta
    troops: int
    battle_tanks: int
    major_surface_combatants: int


@dataclass(frozen=True)
class ConstrainingProvision:
    """Activities of at least ``troops`` must be in the annual calendar ``years_ahead`` ahead."""

    troops: int
    years_ahead: int


@dataclass(frozen=True)
class UnusualActivity:
    """Reply to a request within ``reply``; a bilateral meeting within ``bilateral_meeting``."""

    reply: timedelta
    bilateral_meeting: timedelta


@dataclass(frozen=True)
class HazardousIncident:
    """Report within ``report``; the other party responds within ``response``."""

    report: timedelta
    response: timedelta


@dataclass(frozen=True)
class Acknowledgement:
    """Every entry addressed to a participant is acknowledged ``within`` this time."""

    within: timedelta


@dataclass(frozen=True)
class ArmsTransfers:
    """UN Register report for the previous year, by ``due``, in these ``categories``."""

    due: MonthDay
    nil_report_counts: bool
    categories: tuple[str, ...]


@dataclass(frozen=True)
class MilitaryExpenditure:
    """UN standardised military expenditure report for the previous year, by ``due``."""

    due: MonthDay


@dataclass(frozen=True)
class Hotline:
    """A test message every ``test_interval``; each receipt within ``receipt``."""

    test_interval: timedelta
    receipt: timedelta


@dataclass(frozen=True)
class Inspections:
    """Each participant accepts up to ``quota_per_year`` inspections a calendar year."""

    quota_per_year: int


@dataclass(frozen=True)
class Commitments:
    annual_exchange: AnnualExchange
    defence_planning: DefencePlanning
    annual_calendar: AnnualCalendar
    prior_notification: PriorNotification
    observation: ObservationInvitation
    constraining: ConstrainingProvision
    unusual_activity: UnusualActivity
    hazardous_incident: HazardousIncident
    acknowledgement: Acknowledgement
    arms_transfers: ArmsTransfers
    military_expenditure: MilitaryExpenditure
    hotline: Hotline
    inspections: Inspections


# --- the regime ---------------------------------------------------------------------------


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


def load_regime(path: str | Path) -> Regime:
    """Read and check the regime file at ``path``."""
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise RegimeError(source, "(file)", f"cannot be read: {err.strerror or err}") from None
    return parse_regime(_decode(data, source), source)


@functools.cache
def default_regime() -> Regime:
    """The regime packaged with gulfsec (``gulfsec/regimes/gulf.toml``), read once."""
    resource = files("gulfsec").joinpath("regimes/gulf.toml")
    source = str(resource)
    try:
        data = resource.read_bytes()
    except OSError as err:
        raise RegimeError(source, "(file)", f"cannot be read: {err.strerror or err}") from None
    return parse_regime(_decode(data, source), source)


def parse_regime(text: str, source: str) -> Regime:
    """Check the regime ``text`` (read from ``source``, named in errors) and build it."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        line = re.search(r"at line (\d+)", str(err))
        where = f"line {line[1]}" if line else "(syntax)"
        raise RegimeError(source, where, f"TOML syntax error: {err}") from None
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return _Parser(source).regime(raw, digest)


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise RegimeError(source, "(file)", f"is not UTF-8: {err}") from None


# --- reading ------------------------------------------------------------------------------


def _join(parent: str, key: str) -> str:
    """The dotted key of ``key`` under ``parent``, quoted as TOML would need it."""
    if not _BARE_KEY.fullmatch(key):
        key = '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{parent}.{key}" if parent else key


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return "a date or time"


class _Table:
    """One TOML table being read: it knows its dotted path and refuses unknown and missing keys."""

    def __init__(
        self,
        source: str,
        path: str,
        value: object,
        required: Iterable[str],
        optional: Iterable[str] | None = (),
        noun: str = "key",
    ) -> None:
        """``optional=None`` accepts any key (a table whose keys are names, like ``formats``)."""
        self.source = source
        self.path = path
        if not isinstance(value, dict):
            self.fail_here(f"expected a table, got {_describe(value)}")
        self.data: dict[str, object] = value
        needed = tuple(required)
        allowed = None if optional is None else (*needed, *optional)
        for key in self.data:
            if allowed is not None and key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.fail(key, f"unknown {noun}{hint}")
        for key in needed:
            if key not in self.data:
                self.fail(key, "required key is missing")

    def fail_here(self, problem: str) -> NoReturn:
        raise RegimeError(self.source, self.path or "(top level)", problem)

    def at(self, key: str) -> str:
        return _join(self.path, key)

    def fail(self, key: str, problem: str) -> NoReturn:
        raise RegimeError(self.source, self.at(key), problem)

    def has(self, key: str) -> bool:
        return key in self.data

    def table(
        self,
        key: str,
        required: Iterable[str],
        optional: Iterable[str] | None = (),
        noun: str = "key",
    ) -> _Table:
        return _Table(self.source, self.at(key), self.data[key], required, optional, noun)

    def text(self, key: str) -> str:
        value = self.data[key]
        if not isinstance(value, str):
            self.fail(key, f"expected a string, got {_describe(value)}")
        if not value.strip():
            self.fail(key, "must not be empty")
        return value

    def choice(self, key: str, choices: Iterable[str]) -> str:
        value = self.text(key)
        options = tuple(choices)
        if value not in options:
            self.fail(key, f"{value!r} is not one of {', '.join(options)}")
        return value

    def boolean(self, key: str) -> bool:
        value = self.data[key]
        if not isinstance(value, bool):
            self.fail(key, f"expected true or false, got {_describe(value)}")
        return value

    def positive(self, key: str) -> int:
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, f"expected an integer, got {_describe(value)}")
        if value <= 0:
            self.fail(key, f"must be a positive integer, got {value}")
        return value

    def days(self, key: str) -> timedelta:
        return timedelta(days=self.positive(key))

    def hours(self, key: str) -> timedelta:
        return timedelta(hours=self.positive(key))

    def minutes(self, key: str) -> timedelta:
        return timedelta(minutes=self.positive(key))

    def month_day(self, key: str) -> MonthDay:
        value = self.text(key)
        try:
            return MonthDay.parse(value)
        except ValueError as err:
            self.fail(key, str(err))

    def strings(self, key: str) -> tuple[str, ...]:
        """An array of distinct, non-empty strings (possibly empty: callers decide)."""
        value = self.data[key]
        if not isinstance(value, list):
            self.fail(key, f"expected an array of strings, got {_describe(value)}")
        seen: list[str] = []
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item:
                self.fail(key, f"item {index}: expected a non-empty string, got {item!r}")
            if item in seen:
                self.fail(key, f"{item!r} is listed twice")
            seen.append(item)
        return tuple(seen)

    def rights(self, key: str) -> frozenset[str]:
        listed = self.strings(key)
        for right in listed:
            if right not in RIGHTS:
                close = difflib.get_close_matches(right, sorted(RIGHTS), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.fail(key, f"unknown right {right!r}{hint}")
        return frozenset(listed)


class _Parser:
    """Builds a ``Regime`` from parsed TOML, section by section, in dependency order."""

    def __init__(self, source: str) -> None:
        self.source = source

    def regime(self, raw: dict[str, object], digest: str) -> Regime:
        top = _Table(
            self.source,
            "",
            raw,
            required=(
                "regime",
                "secretariat",
                "statuses",
                "languages",
                "participants",
                "formats",
                "witness",
                "limits",
                "batching",
                "commitments",
            ),
        )
        head = top.table("regime", ("id", "name", "version", "log_origin"), ("hub_key",))
        regime_id = head.text("id")
        if not _NAME_ID.fullmatch(regime_id):
            head.fail("id", f"{regime_id!r} must be lowercase letters, digits, '-' or '_'")
        log_origin = self._log_origin(head)
        hub_key = self._hub_key(head) if head.has("hub_key") else None

        secretariat = self._secretariat(top.table("secretariat", ("code", "name", "rights")))
        statuses = self._statuses(top.table("statuses", (), None))
        languages = self._languages(top.table("languages", (), None))
        participants = self._participants(top, secretariat, statuses, languages)
        formats = self._formats(top.table("formats", (), None), participants)
        witnesses = sum(1 for p in participants.values() if "witness" in statuses[p.status].rights)
        witness = top.table("witness", ("quorum",))
        quorum = witness.positive("quorum")
        if quorum > witnesses:
            witness.fail(
                "quorum",
                f"{quorum} is more than the {witnesses} participants with the witness right",
            )
        limits = top.table("limits", ("max_entry_bytes", "max_refs", "clock_skew_seconds"))
        batching = top.table("batching", ("max_batch", "max_delay_ms"))
        return Regime(
            id=regime_id,
            name=head.text("name"),
            version=head.text("version"),
            log_origin=log_origin,
            hub_key=hub_key,
            secretariat=secretariat,
            participants=MappingProxyType(participants),
            statuses=MappingProxyType(statuses),
            formats=MappingProxyType(formats),
            languages=MappingProxyType(languages),
            witness_quorum=quorum,
            limits=Limits(
                max_entry_bytes=limits.positive("max_entry_bytes"),
                max_refs=limits.positive("max_refs"),
                clock_skew=timedelta(seconds=limits.positive("clock_skew_seconds")),
            ),
            batching=Batching(
                max_batch=batching.positive("max_batch"),
                max_delay=timedelta(milliseconds=batching.positive("max_delay_ms")),
            ),
            commitments=self._commitments(top, formats),
            source=self.source,
            digest=digest,
        )

    def _log_origin(self, head: _Table) -> str:
        origin = head.text("log_origin")
        if "://" in origin or not all("!" <= ch <= "~" for ch in origin):
            head.fail(
                "log_origin",
                f"{origin!r} must be a schemaless URL of printable ASCII without spaces, "
                "such as 'gulfsec.example/gulf-log'",
            )
        return origin

    def _hub_key(self, head: _Table) -> str:
        """A C2SP signed-note verifier key for Ed25519: ``name+keyid+base64(0x01 || key)``."""
        vkey = head.text("hub_key")
        parts = vkey.split("+", 2)  # the base64 key itself may contain '+'
        if len(parts) != 3:
            head.fail("hub_key", "expected a C2SP verifier key '<name>+<key id>+<base64 key>'")
        name, key_id, encoded = parts
        if not name or any(ch.isspace() for ch in name):
            head.fail("hub_key", "the key name must be non-empty and contain no spaces")
        try:
            key = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            head.fail("hub_key", "the key is not valid base64")
        if len(key) != 33 or key[0] != _ED25519:
            head.fail("hub_key", "only Ed25519 keys (type 0x01, 32 bytes) are accepted")
        expected = hashlib.sha256(name.encode("utf-8") + b"\n" + key).digest()[:4].hex()
        if key_id != expected:
            head.fail("hub_key", f"key id {key_id!r} does not match the key (expected {expected})")
        return vkey

    def _secretariat(self, table: _Table) -> Secretariat:
        code = table.text("code")
        if not _ORGANISATION_CODE.fullmatch(code):
            table.fail("code", f"{code!r} must be 2 to 6 uppercase letters")
        rights = table.rights("rights")
        forbidden = sorted(rights & _SECRETARIAT_MAY_NOT)
        if forbidden:
            table.fail(
                "rights",
                f"the secretariat is not a participating state and may not hold "
                f"{', '.join(forbidden)}",
            )
        return Secretariat(code=code, name=table.text("name"), rights=rights)

    def _statuses(self, table: _Table) -> dict[str, Status]:
        statuses: dict[str, Status] = {}
        for status_id in table.data:
            if not _NAME_ID.fullmatch(status_id):
                table.fail(status_id, "a status id must be lowercase letters, digits, '-' or '_'")
            entry = table.table(status_id, ("name", "rights"))
            statuses[status_id] = Status(
                id=status_id, name=entry.text("name"), rights=entry.rights("rights")
            )
        if not statuses:
            table.fail_here("at least one status is required")
        return statuses

    def _languages(self, table: _Table) -> dict[str, Language]:
        languages: dict[str, Language] = {}
        for code in table.data:
            if not _LANGUAGE_CODE.fullmatch(code):
                table.fail(code, "a language code must be 2 or 3 lowercase letters (ISO 639)")
            entry = table.table(code, ("name", "native", "direction"))
            languages[code] = Language(
                code=code,
                name=entry.text("name"),
                native=entry.text("native"),
                direction=entry.choice("direction", DIRECTIONS),
            )
        if not languages:
            table.fail_here("at least one language is required")
        return languages

    def _participants(
        self,
        top: _Table,
        secretariat: Secretariat,
        statuses: Mapping[str, Status],
        languages: Mapping[str, Language],
    ) -> dict[str, Participant]:
        rows = top.data["participants"]
        if not isinstance(rows, list):
            top.fail("participants", f"expected an array of tables, got {_describe(rows)}")
        if not rows:
            top.fail("participants", "at least one participant is required")
        participants: dict[str, Participant] = {}
        first_seen: dict[str, int] = {}
        for index, row in enumerate(rows):
            entry = _Table(
                self.source,
                f"participants[{index}]",
                row,
                required=("code", "name", "kind", "status"),
                optional=("names",),
            )
            kind = entry.choice("kind", KINDS)
            code = entry.text("code")
            if kind == "state" and not _STATE_CODE.fullmatch(code):
                entry.fail("code", f"{code!r}: a state's code is 3 uppercase letters (ISO 3166)")
            if kind == "organisation" and not _ORGANISATION_CODE.fullmatch(code):
                entry.fail("code", f"{code!r}: an organisation's code is 2 to 6 uppercase letters")
            if code in first_seen:
                entry.fail(
                    "code",
                    f"duplicate participant code {code!r} (also participants[{first_seen[code]}])",
                )
            if code == secretariat.code:
                entry.fail("code", f"{code!r} is the secretariat's code")
            first_seen[code] = index
            status = entry.text("status")
            if status not in statuses:
                entry.fail("status", f"unknown status {status!r} (known: {', '.join(statuses)})")
            names: dict[str, str] = {}
            if entry.has("names"):
                table = entry.table("names", (), optional=languages, noun="language")
                names = {language: table.text(language) for language in table.data}
            participants[code] = Participant(
                code=code,
                name=entry.text("name"),
                kind=kind,
                status=status,
                names=MappingProxyType(names),
            )
        return participants

    def _formats(
        self, table: _Table, participants: Mapping[str, Participant]
    ) -> dict[str, tuple[str, ...]]:
        formats: dict[str, tuple[str, ...]] = {}
        if not table.has("all"):
            formats["all"] = tuple(participants)
        for name in table.data:
            if not _FORMAT_NAME.fullmatch(name):
                table.fail(name, "a format name must be lowercase letters, digits, '+', '-', '_'")
            members = table.strings(name)
            if not members:
                table.fail(name, "a format needs at least one member")
            for code in members:
                if code not in participants:
                    table.fail(name, f"unknown party {code!r}: not a participant")
            if name == "all" and set(members) != set(participants):
                missing = ", ".join(c for c in participants if c not in members)
                table.fail(name, f"'all' must list every participant; missing: {missing}")
            formats[name] = members
        return formats

    def _commitments(self, top: _Table, formats: Mapping[str, tuple[str, ...]]) -> Commitments:
        c = top.table("commitments", _COMMITMENTS)

        exchange = c.table("annual_exchange", ("due", "valid_from"))
        planning = c.table("defence_planning", ("within_months",))
        calendar = c.table("annual_calendar", ("due",))
        prior = c.table(
            "prior_notification",
            (
                "notice_days",
                "troops",
                "battle_tanks",
                "acv",
                "artillery",
                "major_surface_combatants",
                "submarines",
                "live_firing_nm",
                "sorties",
            ),
        )
        observation = c.table(
            "observation",
            ("audience", "notice_days", "troops", "battle_tanks", "major_surface_combatants"),
        )
        audience = observation.text("audience")
        if audience not in formats:
            observation.fail("audience", f"unknown format {audience!r}")
        constraining = c.table("constraining", ("troops", "years_ahead"))
        unusual = c.table("unusual_activity", ("reply_hours", "bilateral_meeting_hours"))
        incident = c.table("hazardous_incident", ("report_hours", "response_hours"))
        ack = c.table("acknowledgement", ("within_hours",))
        arms = c.table("arms_transfers", ("due", "nil_report_counts", "categories"))
        spending = c.table("military_expenditure", ("due",))
        hotline = c.table("hotline", ("test_interval_minutes", "receipt_minutes"))
        inspections = c.table("inspections", ("quota_per_year",))

        categories = arms.strings("categories")
        if not categories:
            arms.fail("categories", "at least one category is required")
        test_interval = hotline.minutes("test_interval_minutes")
        receipt = hotline.minutes("receipt_minutes")
        if receipt >= test_interval:
            hotline.fail("receipt_minutes", "must be shorter than test_interval_minutes")

        return Commitments(
            annual_exchange=AnnualExchange(
                due=exchange.month_day("due"), valid_from=exchange.month_day("valid_from")
            ),
            defence_planning=DefencePlanning(within_months=planning.positive("within_months")),
            annual_calendar=AnnualCalendar(due=calendar.month_day("due")),
            prior_notification=PriorNotification(
                notice=prior.days("notice_days"),
                troops=prior.positive("troops"),
                battle_tanks=prior.positive("battle_tanks"),
                acv=prior.positive("acv"),
                artillery=prior.positive("artillery"),
                major_surface_combatants=prior.positive("major_surface_combatants"),
                submarines=prior.positive("submarines"),
                live_firing_nm=prior.positive("live_firing_nm"),
                sorties=prior.positive("sorties"),
            ),
            observation=ObservationInvitation(
                audience=audience,
                notice=observation.days("notice_days"),
                troops=observation.positive("troops"),
                battle_tanks=observation.positive("battle_tanks"),
                major_surface_combatants=observation.positive("major_surface_combatants"),
            ),
            constraining=ConstrainingProvision(
                troops=constraining.positive("troops"),
                years_ahead=constraining.positive("years_ahead"),
            ),
            unusual_activity=UnusualActivity(
                reply=unusual.hours("reply_hours"),
                bilateral_meeting=unusual.hours("bilateral_meeting_hours"),
            ),
            hazardous_incident=HazardousIncident(
                report=incident.hours("report_hours"),
                response=incident.hours("response_hours"),
            ),
            acknowledgement=Acknowledgement(within=ack.hours("within_hours")),
            arms_transfers=ArmsTransfers(
                due=arms.month_day("due"),
                nil_report_counts=arms.boolean("nil_report_counts"),
                categories=categories,
            ),
            military_expenditure=MilitaryExpenditure(due=spending.month_day("due")),
            hotline=Hotline(test_interval=test_interval, receipt=receipt),
            inspections=Inspections(quota_per_year=inspections.positive("quota_per_year")),
        )


_COMMITMENTS = (
    "annual_exchange",
    "defence_planning",
    "annual_calendar",
    "prior_notification",
    "observation",
    "constraining",
    "unusual_activity",
    "hazardous_incident",
    "acknowledgement",
    "arms_transfers",
    "military_expenditure",
    "hotline",
    "inspections",
)
