"""The regime file as written: one strict pydantic model per TOML table.

Pydantic checks the shape (unknown keys, missing keys, types, positive numbers); the validators
here check what needs more than a type: patterns, the hub key, dates, and the references between
tables (a participant's status, a format's members, the witness quorum). A broken rule raises
``ValueError`` with the problem in plain words, or a ``Problem`` when the key at fault lies below
the value being validated. :mod:`.parse` turns the first error into a ``RegimeError`` and a valid
document into a ``Regime``.

The models are strict: a string is not coerced to an integer, nor a boolean to a number.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import hashlib
import re
from collections.abc import Iterable, Sized
from typing import Annotated, Literal, Self, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from .model import RIGHTS, Direction, Kind, MonthDay

__all__ = ["Problem", "RegimeDocument", "did_you_mean"]

_ED25519 = 0x01  # C2SP signed-note signature type of an Ed25519 key
_SECRETARIAT_MAY_NOT = frozenset({"decide", "witness"})
_STATE_CODE = re.compile(r"[A-Z]{3}")
_ORGANISATION_CODE = re.compile(r"[A-Z]{2,6}")

_S = TypeVar("_S", bound=Sized)


class Problem(ValueError):
    """A broken rule: ``problem`` in plain words, at the keys ``at`` below the value checked."""

    def __init__(self, problem: str, *at: str | int) -> None:
        super().__init__(problem)
        self.problem = problem
        self.at = at


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` when ``word`` is close to one of ``choices``, else ``""``."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


# --- checked values -----------------------------------------------------------------------


def _matches(pattern: str, message: str) -> AfterValidator:
    """Refuse a string that is not all ``pattern``; ``message`` may show it as ``{value!r}``."""
    regex = re.compile(pattern)

    def check(value: str) -> str:
        if regex.fullmatch(value) is None:
            raise ValueError(message.format(value=value))
        return value

    return AfterValidator(check)


def _non_empty(message: str) -> AfterValidator:
    def check(value: _S) -> _S:
        if not len(value):
            raise ValueError(message)
        return value

    return AfterValidator(check)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _distinct(values: list[str]) -> list[str]:
    for index, value in enumerate(values):
        if value in values[:index]:
            raise ValueError(f"{value!r} is listed twice")
    return values


def _known_rights(rights: list[str]) -> list[str]:
    for right in rights:
        if right not in RIGHTS:
            raise ValueError(f"unknown right {right!r}{did_you_mean(right, sorted(RIGHTS))}")
    return rights


def _month_day(text: str) -> str:
    MonthDay.parse(text)  # its ValueError says what is wrong
    return text


def _log_origin(origin: str) -> str:
    if "://" in origin or not all("!" <= ch <= "~" for ch in origin):
        raise ValueError(
            f"{origin!r} must be a schemaless URL of printable ASCII without spaces, "
            "such as 'gulfsec.example/gulf-log'"
        )
    return origin


def _hub_key(vkey: str) -> str:
    """A C2SP signed-note verifier key for Ed25519: ``name+keyid+base64(0x01 || key)``."""
    parts = vkey.split("+", 2)  # the base64 key itself may contain '+'
    if len(parts) != 3:
        raise ValueError("expected a C2SP verifier key '<name>+<key id>+<base64 key>'")
    name, key_id, encoded = parts
    if not name or any(ch.isspace() for ch in name):
        raise ValueError("the key name must be non-empty and contain no spaces")
    try:
        key = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise ValueError("the key is not valid base64") from None
    if len(key) != 33 or key[0] != _ED25519:
        raise ValueError("only Ed25519 keys (type 0x01, 32 bytes) are accepted")
    expected = hashlib.sha256(name.encode("utf-8") + b"\n" + key).digest()[:4].hex()
    if key_id != expected:
        raise ValueError(f"key id {key_id!r} does not match the key (expected {expected})")
    return vkey


Text = Annotated[str, AfterValidator(_not_blank)]
"""A string with something in it."""
Item = Annotated[str, Field(min_length=1)]
"""One item of an array of strings."""
Strings = Annotated[list[Item], AfterValidator(_distinct)]
"""An array of distinct, non-empty strings."""
Rights = Annotated[Strings, AfterValidator(_known_rights)]
Positive = Annotated[int, Field(gt=0)]
MonthDayText = Annotated[Text, AfterValidator(_month_day)]
"""A yearly date written "MM-DD"; ``MonthDay.parse`` reads it."""

_NAME_ID = r"[a-z][a-z0-9_-]*"
StatusId = Annotated[
    str, _matches(_NAME_ID, "a status id must be lowercase letters, digits, '-' or '_'")
]
LanguageCode = Annotated[
    str, _matches(r"[a-z]{2,3}", "a language code must be 2 or 3 lowercase letters (ISO 639)")
]
FormatName = Annotated[
    str,
    _matches(
        r"[a-z0-9][a-z0-9+_-]*", "a format name must be lowercase letters, digits, '+', '-', '_'"
    ),
]
Members = Annotated[Strings, _non_empty("a format needs at least one member")]


# --- the tables ---------------------------------------------------------------------------


class Table(BaseModel):
    """A TOML table: no key it does not declare, and no value coerced to another type."""

    model_config = ConfigDict(extra="forbid", strict=True)


class RegimeHead(Table):
    id: Annotated[
        Text, _matches(_NAME_ID, "{value!r} must be lowercase letters, digits, '-' or '_'")
    ]
    name: Text
    version: Text
    log_origin: Annotated[Text, AfterValidator(_log_origin)]
    hub_key: Annotated[Text, AfterValidator(_hub_key)] | None = None


class SecretariatTable(Table):
    code: Annotated[
        Text, _matches(_ORGANISATION_CODE.pattern, "{value!r} must be 2 to 6 uppercase letters")
    ]
    name: Text
    rights: Rights

    @field_validator("rights")
    @classmethod
    def _not_a_state(cls, rights: list[str]) -> list[str]:
        forbidden = sorted(set(rights) & _SECRETARIAT_MAY_NOT)
        if forbidden:
            raise ValueError(
                "the secretariat is not a participating state and may not hold "
                + ", ".join(forbidden)
            )
        return rights


class StatusTable(Table):
    name: Text
    rights: Rights


class LanguageTable(Table):
    name: Text
    native: Text
    direction: Direction


class ParticipantTable(Table):
    code: Text
    name: Text
    kind: Kind
    status: Text
    names: dict[str, Text] = Field(default_factory=dict)
    """Names in other languages, keyed by language code."""

    @model_validator(mode="after")
    def _code_fits_kind(self) -> Self:
        if self.kind == "state" and not _STATE_CODE.fullmatch(self.code):
            raise Problem(
                f"{self.code!r}: a state's code is 3 uppercase letters (ISO 3166)", "code"
            )
        if self.kind == "organisation" and not _ORGANISATION_CODE.fullmatch(self.code):
            raise Problem(
                f"{self.code!r}: an organisation's code is 2 to 6 uppercase letters", "code"
            )
        return self


class WitnessTable(Table):
    quorum: Positive


class LimitsTable(Table):
    max_entry_bytes: Positive
    max_refs: Positive
    clock_skew_seconds: Positive
    max_merge_seconds: Positive
    stale_view_seconds: Positive
    peer_silence_seconds: Positive


class BatchingTable(Table):
    max_batch: Positive
    max_delay_ms: Positive


# --- the commitments ----------------------------------------------------------------------


class AnnualExchangeTable(Table):
    due: MonthDayText
    valid_from: MonthDayText


class DefencePlanningTable(Table):
    within_months: Positive


class DueTable(Table):
    due: MonthDayText


class PriorNotificationTable(Table):
    notice_days: Positive
    troops: Positive
    battle_tanks: Positive
    acv: Positive
    artillery: Positive
    major_surface_combatants: Positive
    submarines: Positive
    live_firing_nm: Positive
    sorties: Positive


class ObservationTable(Table):
    audience: Text
    notice_days: Positive
    troops: Positive
    battle_tanks: Positive
    major_surface_combatants: Positive


class ConstrainingTable(Table):
    troops: Positive
    years_ahead: Positive


class UnusualActivityTable(Table):
    reply_hours: Positive
    bilateral_meeting_hours: Positive
    all_meeting_hours: Positive = 48


class HazardousIncidentTable(Table):
    report_hours: Positive
    response_hours: Positive


class AcknowledgementTable(Table):
    within_hours: Positive


class ArmsTransfersTable(Table):
    due: MonthDayText
    nil_report_counts: bool
    categories: Annotated[Strings, _non_empty("at least one category is required")]


class HotlineTable(Table):
    test_interval_minutes: Positive
    receipt_minutes: Positive
    encryption_key_days: Positive = 30

    @model_validator(mode="after")
    def _receipt_before_next_test(self) -> Self:
        if self.receipt_minutes >= self.test_interval_minutes:
            raise Problem("must be shorter than test_interval_minutes", "receipt_minutes")
        return self


class InspectionsTable(Table):
    quota_per_year: Positive


class MeetingsTable(Table):
    reply_hours: Positive = 48


class CommitmentsTable(Table):
    annual_exchange: AnnualExchangeTable
    defence_planning: DefencePlanningTable
    annual_calendar: DueTable
    prior_notification: PriorNotificationTable
    observation: ObservationTable
    constraining: ConstrainingTable
    unusual_activity: UnusualActivityTable
    hazardous_incident: HazardousIncidentTable
    acknowledgement: AcknowledgementTable
    arms_transfers: ArmsTransfersTable
    military_expenditure: DueTable
    hotline: HotlineTable
    inspections: InspectionsTable
    meetings: MeetingsTable = MeetingsTable()


class EarlyWarningTable(Table):
    period: Literal["day", "week", "month"] = "month"
    half_life_days: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 30.0
    threshold: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 20.0
    jump: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 10.0


# --- the file -----------------------------------------------------------------------------


class RegimeDocument(Table):
    """A whole regime file. Its validator checks what one table cannot: the references."""

    regime: RegimeHead
    secretariat: SecretariatTable
    statuses: Annotated[dict[StatusId, StatusTable], _non_empty("at least one status is required")]
    languages: Annotated[
        dict[LanguageCode, LanguageTable], _non_empty("at least one language is required")
    ]
    participants: Annotated[
        list[ParticipantTable], _non_empty("at least one participant is required")
    ]
    formats: dict[FormatName, Members]
    witness: WitnessTable
    limits: LimitsTable
    batching: BatchingTable
    commitments: CommitmentsTable
    early_warning: EarlyWarningTable = EarlyWarningTable()

    def all_formats(self) -> dict[str, list[str]]:
        """The formats, with ``all`` (every participant, in file order) first when not written."""
        implied = {} if "all" in self.formats else {"all": [p.code for p in self.participants]}
        return {**implied, **self.formats}

    def witness_count(self) -> int:
        """How many participants hold a status with the ``witness`` right."""
        return sum("witness" in self.statuses[p.status].rights for p in self.participants)

    @model_validator(mode="after")
    def _references(self) -> Self:
        self._check_participants()
        self._check_formats()
        witnesses = self.witness_count()
        if self.witness.quorum > witnesses:
            raise Problem(
                f"{self.witness.quorum} is more than the {witnesses} participants with the "
                "witness right",
                "witness",
                "quorum",
            )
        audience = self.commitments.observation.audience
        if audience not in self.all_formats():
            raise Problem(f"unknown format {audience!r}", "commitments", "observation", "audience")
        return self

    def _check_participants(self) -> None:
        first_seen: dict[str, int] = {}
        for index, participant in enumerate(self.participants):
            code = participant.code
            if code in first_seen:
                raise Problem(
                    f"duplicate participant code {code!r} (also participants[{first_seen[code]}])",
                    "participants",
                    index,
                    "code",
                )
            if code == self.secretariat.code:
                raise Problem(f"{code!r} is the secretariat's code", "participants", index, "code")
            first_seen[code] = index
            if participant.status not in self.statuses:
                raise Problem(
                    f"unknown status {participant.status!r} (known: {', '.join(self.statuses)})",
                    "participants",
                    index,
                    "status",
                )
            for language in participant.names:
                if language not in self.languages:
                    raise Problem(
                        f"unknown language{did_you_mean(language, self.languages)}",
                        "participants",
                        index,
                        "names",
                        language,
                    )

    def _check_formats(self) -> None:
        codes = [p.code for p in self.participants]
        for name, members in self.formats.items():
            for code in members:
                if code not in codes:
                    raise Problem(f"unknown party {code!r}: not a participant", "formats", name)
            if name == "all" and set(members) != set(codes):
                missing = ", ".join(c for c in codes if c not in members)
                raise Problem(
                    f"'all' must list every participant; missing: {missing}", "formats", name
                )
