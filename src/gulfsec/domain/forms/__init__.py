"""The registry of forms: every kind of entry body gulfsec accepts.

A form is one module in this package defining a pydantic model for its body and a
:class:`FormSpec`. The id is ``<name>@<version>``; a new version is a new form. Adding a form:
write the module, add it to ``_MODULES`` below, add its tests (CONTRIBUTING.md has the list).
Unknown forms are refused (fail closed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from gulfsec.errors import InvalidFormBody, UnknownForm


@dataclass(frozen=True)
class FormSpec:
    """What the registry knows about one form."""

    id: str
    title: str
    model: type[BaseModel]
    description: str = ""
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict, compare=False)
    """Field labels in other languages: language code -> dotted field path -> label. English
    labels are the fields' titles in the model (and its JSON Schema)."""
    acknowledge: bool = True
    """Whether each addressee owes an ``acknowledgement@1`` of an entry of this form."""

    def validate(self, body: Any) -> dict[str, Any]:
        """Validate ``body``; return it unchanged (it is stored exactly as signed)."""
        if not isinstance(body, dict):
            raise InvalidFormBody(self.id, [("body", "must be a JSON object")])
        try:
            self.model.model_validate(body)
        except ValidationError as exc:
            raise InvalidFormBody(self.id, _field_errors(exc)) from None
        return body

    def parse(self, body: Mapping[str, Any]) -> Any:
        """The body as the form's typed model; :class:`InvalidFormBody` when it does not fit."""
        try:
            return self.model.model_validate(dict(body))
        except ValidationError as exc:
            raise InvalidFormBody(self.id, _field_errors(exc)) from None

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


def _load() -> dict[str, FormSpec]:
    from gulfsec.domain.forms import (
        acknowledgement,
        activity_notification,
        annual_calendar,
        annual_exchange,
        arms_transfers,
        defence_planning,
        keys,
        message,
        military_expenditure,
        nonproliferation,
        observation,
    )

    specs: dict[str, FormSpec] = {}
    for module in (
        keys,
        message,
        acknowledgement,
        annual_exchange,
        defence_planning,
        annual_calendar,
        activity_notification,
        observation,
        arms_transfers,
        military_expenditure,
        nonproliferation,
    ):
        for spec in module.FORMS:
            if spec.id in specs:
                raise RuntimeError(f"form {spec.id} defined twice")
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
