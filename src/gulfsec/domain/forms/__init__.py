"""The registry of forms: every kind of entry body gulfsec accepts.

A form is one module in this package holding everything about it: the pydantic model of its
body (schema and English labels, translated through the catalogs), the line that sums an entry up
in an inbox, the right its sender needs, and whether addressees acknowledge it — all in its
:class:`FormSpec`. The id is ``<name>@<version>``; a new version is a new form. Adding a form:
write the module, add it to ``_MODULES`` below, add its tests (CONTRIBUTING.md has the list).
Unknown forms are refused, and so is a form that declares no right its sender needs (fail
closed).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from gulfsec.domain.forms._summary import Summary
from gulfsec.errors import InvalidFormBody, UnknownForm

SUMMARY_MAX = 120
OTHERS_THAN_SENDER = "x-other-than-sender"
"""In a form's JSON Schema, marks a party field that names parties other than the sender (the
other party to an incident, the other states taking part): the pages do not offer the sender
there, and a node refuses an entry naming its own party there (:meth:`FormSpec.senders_own`)."""


@dataclass(frozen=True)
class FormSpec:
    """What the registry knows about one form."""

    id: str
    title: str
    model: type[BaseModel]
    description: str = ""
    _: KW_ONLY
    right: str
    """The right (``regime.RIGHTS``) the sender's status must carry: the hub refuses an entry
    of this form from a sender without it, and every node refuses it again."""
    summary: Callable[[Mapping[str, Any]], str] = field(compare=False)
    """The line that says what an entry is about, from its (valid) body: English text, or a
    :class:`~._summary.Summary` (made with :func:`~._summary.line`) where it names words of a
    fixed vocabulary that the pages say in the reader's language."""
    acknowledge: bool = True
    """Whether each addressee owes an ``acknowledgement@1`` of an entry of this form."""
    year: str | None = None
    """For a yearly report: the body field naming the year it is for."""
    composed: bool = True
    """Whether delegates write it on the node's pages (key entries are made with the CLI,
    where the countersignatures they need can be made)."""
    refs: tuple[str, ...] = ()
    """Body fields naming earlier entries (an id, or a list of ids), each of which must also
    be in the entry's references: the hub then checks they are in the log."""

    def referenced(self, body: Mapping[str, Any]) -> list[str]:
        """The entry ids the body's :attr:`refs` fields name."""
        out: list[str] = []
        for name in self.refs:
            value = body.get(name)
            if isinstance(value, str):
                out.append(value)
            elif isinstance(value, list):
                out.extend(str(v) for v in value)
        return out

    def validate(self, body: Any) -> dict[str, Any]:
        """Validate ``body``; return it unchanged (it is stored exactly as signed)."""
        if not isinstance(body, dict):
            raise InvalidFormBody(self.id, [("body", "must be a JSON object")])
        try:
            self.model.model_validate(body)
        except ValidationError as exc:
            raise InvalidFormBody(self.id, _field_errors(exc)) from None
        return body

    def summarise(self, body: Mapping[str, Any]) -> str:
        """The summary line of an entry with ``body``, on one line of at most 120 characters;
        empty if the body does not have what the summary needs."""
        try:
            said = self.summary(body)
            text = said.one_line() if isinstance(said, Summary) else " ".join(said.split())
        except (KeyError, TypeError, ValueError, AttributeError):
            return ""
        return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1] + "…"

    def parse(self, body: Mapping[str, Any]) -> Any:
        """The body as the form's typed model; :class:`InvalidFormBody` when it does not fit."""
        try:
            return self.model.model_validate(dict(body))
        except ValidationError as exc:
            raise InvalidFormBody(self.id, _field_errors(exc)) from None

    def senders_own(self, body: Mapping[str, Any], sender: str) -> list[str]:
        """The top-level fields of ``body`` meant for other parties that name ``sender``."""
        props = self.json_schema().get("properties", {})
        found = []
        for name, prop in props.items():
            if not prop.get(OTHERS_THAN_SENDER):
                continue
            value = body.get(name)
            if value == sender or (isinstance(value, list) and sender in value):
                found.append(name)
        return found

    def json_schema(self) -> dict[str, Any]:
        schema = self.model.model_json_schema()
        schema["$id"] = f"urn:gulfsec:form:{self.id}"
        schema["title"] = self.title
        return schema


def _field_errors(exc: ValidationError) -> list[tuple[str, str]]:
    out = []
    for err in exc.errors(include_url=False):
        path = ".".join(str(part) for part in err["loc"]) or "body"
        out.append((path, str(err["msg"])))
    return out


_MODULES = (
    "keys",
    "message",
    "acknowledgement",
    "annual_exchange",
    "defence_planning",
    "annual_calendar",
    "activity_notification",
    "observation",
    "arms_transfers",
    "military_expenditure",
    "nonproliferation",
    "decisions",
    "consultations",
    "meetings",
    "mediation",
    "hotline",
    "risk",
)
"""Every module of this package that defines forms, in the order they are listed."""


def _load() -> dict[str, FormSpec]:
    from gulfsec.domain.regime import RIGHTS

    specs: dict[str, FormSpec] = {}
    for name in _MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        for spec in module.FORMS:
            if spec.id in specs:
                raise RuntimeError(f"form {spec.id} defined twice")
            if spec.right not in RIGHTS:
                raise RuntimeError(f"form {spec.id} declares no known right ({spec.right!r})")
            specs[spec.id] = spec
    return specs


_REGISTRY: dict[str, FormSpec] | None = None


def registry() -> Mapping[str, FormSpec]:
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = _load()
    return _REGISTRY


def get_form(form_id: str) -> FormSpec:
    """The form with this id, or :class:`UnknownForm`."""
    spec = registry().get(form_id)
    if spec is None:
        raise UnknownForm(form_id)
    return spec
