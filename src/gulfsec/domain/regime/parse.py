"""Reading a regime file: TOML text in, a frozen ``Regime`` out, or one ``RegimeError``.

``parse_regime`` reads the TOML, has pydantic check it against :class:`.document.RegimeDocument`
and builds the ``Regime`` from the checked document. When the file is wrong, the first mistake
in the order of the file is reported as ``RegimeError(file, dotted key, problem)``, in words a
person understands rather than pydantic's; no ``ValidationError`` gets out.
"""

from __future__ import annotations

import functools
import hashlib
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType, UnionType
from typing import TYPE_CHECKING, Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from gulfsec.errors import RegimeError

from .commitments import (
    Acknowledgement,
    AnnualCalendar,
    AnnualExchange,
    ArmsTransfers,
    Commitments,
    ConstrainingProvision,
    DefencePlanning,
    HazardousIncident,
    Hotline,
    Inspections,
    Meetings,
    MilitaryExpenditure,
    ObservationInvitation,
    PriorNotification,
    UnusualActivity,
)
from .document import CommitmentsTable, Problem, RegimeDocument, did_you_mean
from .model import (
    Batching,
    EarlyWarning,
    Language,
    Limits,
    MonthDay,
    Participant,
    Regime,
    Secretariat,
    Status,
)

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails  # the TypedDict of ValidationError.errors()

__all__ = ["default_regime", "load_regime", "parse_regime"]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_DICT_KEY = "[key]"  # pydantic's mark on the location of a table key (not its value)

Location = tuple[str | int, ...]


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
    try:
        document = RegimeDocument.model_validate(raw)
    except ValidationError as err:
        location, problem = _first_mistake(err.errors(), raw)
        raise RegimeError(source, _dotted(location), problem) from None
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return _build(document, source, digest)


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise RegimeError(source, "(file)", f"is not UTF-8: {err}") from None


# --- from a checked document to the regime ------------------------------------------------


def _build(doc: RegimeDocument, source: str, digest: str) -> Regime:
    head = doc.regime
    participants = {
        p.code: Participant(
            code=p.code,
            name=p.name,
            kind=p.kind,
            status=p.status,
            names=MappingProxyType(dict(p.names)),
        )
        for p in doc.participants
    }
    return Regime(
        id=head.id,
        name=head.name,
        version=head.version,
        log_origin=head.log_origin,
        hub_key=head.hub_key,
        secretariat=Secretariat(
            code=doc.secretariat.code,
            name=doc.secretariat.name,
            rights=frozenset(doc.secretariat.rights),
        ),
        participants=MappingProxyType(participants),
        statuses=MappingProxyType(
            {
                status_id: Status(id=status_id, name=status.name, rights=frozenset(status.rights))
                for status_id, status in doc.statuses.items()
            }
        ),
        formats=MappingProxyType(
            {name: tuple(members) for name, members in doc.all_formats().items()}
        ),
        languages=MappingProxyType(
            {
                code: Language(
                    code=code, name=lang.name, native=lang.native, direction=lang.direction
                )
                for code, lang in doc.languages.items()
            }
        ),
        witness_quorum=doc.witness.quorum,
        limits=Limits(
            max_entry_bytes=doc.limits.max_entry_bytes,
            max_refs=doc.limits.max_refs,
            clock_skew=timedelta(seconds=doc.limits.clock_skew_seconds),
            max_merge=timedelta(seconds=doc.limits.max_merge_seconds),
            stale_view=timedelta(seconds=doc.limits.stale_view_seconds),
            peer_silence=timedelta(seconds=doc.limits.peer_silence_seconds),
        ),
        batching=Batching(
            max_batch=doc.batching.max_batch,
            max_delay=timedelta(milliseconds=doc.batching.max_delay_ms),
        ),
        commitments=_commitments(doc.commitments),
        source=source,
        digest=digest,
        early_warning=EarlyWarning(
            period=doc.early_warning.period,
            half_life_days=doc.early_warning.half_life_days,
            threshold=doc.early_warning.threshold,
            jump=doc.early_warning.jump,
        ),
    )


def _commitments(c: CommitmentsTable) -> Commitments:
    prior, observation = c.prior_notification, c.observation
    return Commitments(
        annual_exchange=AnnualExchange(
            due=MonthDay.parse(c.annual_exchange.due),
            valid_from=MonthDay.parse(c.annual_exchange.valid_from),
        ),
        defence_planning=DefencePlanning(within_months=c.defence_planning.within_months),
        annual_calendar=AnnualCalendar(due=MonthDay.parse(c.annual_calendar.due)),
        prior_notification=PriorNotification(
            notice=timedelta(days=prior.notice_days),
            troops=prior.troops,
            battle_tanks=prior.battle_tanks,
            acv=prior.acv,
            artillery=prior.artillery,
            major_surface_combatants=prior.major_surface_combatants,
            submarines=prior.submarines,
            live_firing_nm=prior.live_firing_nm,
            sorties=prior.sorties,
        ),
        observation=ObservationInvitation(
            audience=observation.audience,
            notice=timedelta(days=observation.notice_days),
            troops=observation.troops,
            battle_tanks=observation.battle_tanks,
            major_surface_combatants=observation.major_surface_combatants,
        ),
        constraining=ConstrainingProvision(
            troops=c.constraining.troops, years_ahead=c.constraining.years_ahead
        ),
        unusual_activity=UnusualActivity(
            reply=timedelta(hours=c.unusual_activity.reply_hours),
            bilateral_meeting=timedelta(hours=c.unusual_activity.bilateral_meeting_hours),
            all_meeting=timedelta(hours=c.unusual_activity.all_meeting_hours),
        ),
        hazardous_incident=HazardousIncident(
            report=timedelta(hours=c.hazardous_incident.report_hours),
            response=timedelta(hours=c.hazardous_incident.response_hours),
        ),
        acknowledgement=Acknowledgement(within=timedelta(hours=c.acknowledgement.within_hours)),
        arms_transfers=ArmsTransfers(
            due=MonthDay.parse(c.arms_transfers.due),
            nil_report_counts=c.arms_transfers.nil_report_counts,
            categories=tuple(c.arms_transfers.categories),
        ),
        military_expenditure=MilitaryExpenditure(due=MonthDay.parse(c.military_expenditure.due)),
        hotline=Hotline(
            test_interval=timedelta(minutes=c.hotline.test_interval_minutes),
            receipt=timedelta(minutes=c.hotline.receipt_minutes),
            encryption_key=timedelta(days=c.hotline.encryption_key_days),
        ),
        inspections=Inspections(quota_per_year=c.inspections.quota_per_year),
        meetings=Meetings(reply=timedelta(hours=c.meetings.reply_hours)),
    )


# --- pydantic's errors in plain words -----------------------------------------------------


def _first_mistake(errors: Sequence[ErrorDetails], raw: Mapping[str, Any]) -> tuple[Location, str]:
    """The location and problem of the error that comes first in the file.

    Within a table, an unknown key comes before a missing one, and both before anything wrong
    inside the table; otherwise errors come in the order of the keys in the file, and where that
    does not decide (missing keys), in pydantic's order, which is the order of the models.
    """
    located = [(error, _located(error)) for error in errors]
    order = [_order(raw, location, error["type"]) for error, location in located]
    first = min(range(len(located)), key=lambda i: (order[i], i))
    return _explain(*located[first])


def _located(error: ErrorDetails) -> Location:
    """Where ``error`` is, including the keys a ``Problem`` names below its value."""
    cause = error.get("ctx", {}).get("error")
    below = cause.at if isinstance(cause, Problem) else ()
    return (*error["loc"], *below)


def _order(raw: object, location: Location, kind: str) -> tuple[tuple[int, int], ...]:
    """A sort key for an error at ``location``: per level, (rank, position in the file)."""
    key: list[tuple[int, int]] = []
    node = raw
    for depth, part in enumerate(location):
        if part == _DICT_KEY:  # a table key is checked before its value
            key.append((-1, 0))
            continue
        if isinstance(node, dict) and part in node:
            position, node = list(node).index(part), node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            position, node = part, node[part]
        else:  # a missing key: after those present
            position, node = len(node) if isinstance(node, dict | list) else 0, None
        last = depth == len(location) - 1
        rank = {"extra_forbidden": 0, "missing": 1}.get(kind, 2) if last else 2
        key.append((rank, position))
    return tuple(key)


_EXPECTED = {
    "int_type": "expected an integer",
    "string_type": "expected a string",
    "bool_type": "expected true or false",
    "dict_type": "expected a table",
    "model_type": "expected a table",
    "model_attributes_type": "expected a table",
}


def _explain(error: ErrorDetails, location: Location) -> tuple[Location, str]:
    """The location (without pydantic's marks) and the problem of ``error``, in plain words."""
    kind, value = error["type"], error.get("input")
    location = tuple(part for part in location if part != _DICT_KEY)
    declared = _declared_type(location)
    cause = error.get("ctx", {}).get("error")
    if kind in ("value_error", "assertion_error") and cause is not None:
        problem = str(cause)
    elif kind == "missing":
        problem = "required key is missing"
    elif kind == "extra_forbidden":
        table = _declared_type(location[:-1])
        known = table.model_fields if _is_model(table) else ()
        problem = f"unknown key{did_you_mean(str(location[-1]), known)}"
    elif kind in _EXPECTED:
        problem = f"{_EXPECTED[kind]}, got {_describe(value)}"
    elif kind == "list_type":
        items = "tables" if _is_model(_declared_type((*location, 0))) else "strings"
        problem = f"expected an array of {items}, got {_describe(value)}"
    elif kind == "greater_than":
        problem = f"must be a positive integer, got {value}"
    elif kind == "string_too_short":
        problem = "must not be empty"
    elif kind == "literal_error" and not isinstance(value, str):
        problem = f"expected a string, got {_describe(value)}"
    elif kind == "literal_error":
        problem = f"{value!r} is not one of {', '.join(map(str, get_args(declared)))}"
    else:  # not expected from the document's models: pydantic's own words
        problem = error["msg"][:1].lower() + error["msg"][1:]
    if location and isinstance(location[-1], int) and not _is_model(declared):
        # an item of an array of strings: name the array, as for its other mistakes
        return location[:-1], f"item {location[-1]}: {problem}"
    return location, problem


def _declared_type(location: Iterable[str | int]) -> Any:
    """The type the document declares at ``location`` (without ``Annotated`` and ``None``)."""
    declared: Any = RegimeDocument
    for part in location:
        if _is_model(declared):
            field = declared.model_fields.get(part) if isinstance(part, str) else None
            if field is None:
                return None
            declared = _bare(field.annotation)
        elif get_origin(declared) is dict:
            declared = _bare(get_args(declared)[1])
        elif get_origin(declared) is list:
            declared = _bare(get_args(declared)[0])
        else:
            return None
    return declared


def _bare(declared: Any) -> Any:
    """``declared`` without ``Annotated[...]`` and without ``| None``."""
    while True:
        origin = get_origin(declared)
        if origin is Annotated:
            declared = get_args(declared)[0]
        elif origin in (Union, UnionType):
            declared = next(arg for arg in get_args(declared) if arg is not type(None))
        else:
            return declared


def _is_model(declared: Any) -> bool:
    return isinstance(declared, type) and issubclass(declared, BaseModel)


def _dotted(location: Location) -> str:
    """``participants[3].names.ar``: the location as a dotted key, quoted as TOML would need."""
    dotted = ""
    for part in location:
        if isinstance(part, int):
            dotted += f"[{part}]"
        else:
            name = part
            if not _BARE_KEY.fullmatch(name):
                name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
            dotted = f"{dotted}.{name}" if dotted else name
    return dotted or "(top level)"


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
