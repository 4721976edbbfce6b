"""What a decision decides: one module per kind of decision.

A draft decision (``draft-decision@1``) names its ``kind``; the kind's module holds the model of
the draft's ``content`` (what is decided beyond the title and text), the line that sums it up,
and whether a draft of the kind must be adopted by consensus. What an adopted decision changes —
the Concept's current version, the designation list, a meeting convened — is computed from the
adopted decisions of that kind, by the kind's own view (:mod:`..concept`, :mod:`..designations`).
Adding a kind: write the module, add it to ``_MODULES`` below, add its tests.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from gulfsec.errors import InvalidFormBody


@dataclass(frozen=True)
class DecisionKind:
    name: str
    title: str
    """The kind in words, in English, marked for the catalogs (``N_``): the pages translate it
    where they show it."""
    content: type[BaseModel]
    """The model of the draft's ``content`` for this kind."""
    description: str = ""
    """What a draft of the kind decides, in English, marked for the catalogs like ``title``."""
    _: KW_ONLY
    summary: Callable[[Mapping[str, Any]], str] = field(compare=False,
                                                        default=lambda content: "")
    """A few words on what a draft of this kind decides, from its (valid) content."""
    procedures: tuple[str, ...] = ("consensus", "silence")
    """The procedures a draft of this kind may follow."""

    def parse(self, content: Mapping[str, Any]) -> Any:
        """The content as the kind's model; :class:`InvalidFormBody` naming the bad fields."""
        try:
            return self.content.model_validate(dict(content))
        except ValidationError as exc:
            raise InvalidFormBody("draft-decision@1", [
                (".".join(("content", *(str(p) for p in err["loc"]))), str(err["msg"]))
                for err in exc.errors(include_url=False)]) from None


_MODULES = ("text", "concept", "designation", "convene", "minutes")
"""Every module of this package that defines kinds, in the order they are listed."""

_REGISTRY: dict[str, DecisionKind] | None = None


def registry() -> Mapping[str, DecisionKind]:
    global _REGISTRY
    if _REGISTRY is None:
        kinds: dict[str, DecisionKind] = {}
        for name in _MODULES:
            module = importlib.import_module(f"{__name__}.{name}")
            for kind in module.KINDS:
                if kind.name in kinds:
                    raise RuntimeError(f"decision kind {kind.name} defined twice")
                kinds[kind.name] = kind
        _REGISTRY = kinds
    return _REGISTRY


def get_kind(name: str) -> DecisionKind:
    """The kind ``name``; :class:`InvalidFormBody` (on ``kind``) if there is none."""
    found = registry().get(name)
    if found is None:
        raise InvalidFormBody("draft-decision@1", [
            ("kind", f"unknown kind of decision {name!r} (known: {', '.join(registry())})")])
    return found
