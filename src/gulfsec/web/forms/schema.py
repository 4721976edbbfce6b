"""The JSON Schema of a form walked for the pages: what kind of widget each node is, its
label, its name in the posted form, and the values widgets are made of."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from gulfsec import i18n as words
from gulfsec.domain.forms import OTHERS_THAN_SENDER, FormSpec
from gulfsec.i18n import N_

ROOT: Final = "body"
OTHERS: Final = OTHERS_THAN_SENDER
PARTY_PATTERN: Final = "^[A-Z]{2,6}$"
TEXTAREA_OVER: Final = 200
"""Strings that may be longer than this are written in a textarea."""
_INT = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass
class Choice:
    value: str
    label: str
    lang: str | None = None
    """The label's language when it is a translation (the page's ``<main>`` is English)."""


@dataclass
class Widget:
    """One input, or a group of them, as the templates draw it."""

    kind: str
    """text, textarea, integer, number, date, select, checkbox, party, parties, choices, lines,
    json, object, array, row, union, variant."""
    name: str
    id: str
    label: str
    label_lang: str | None
    """The language of ``label`` when it is not the page's (an English fallback)."""
    hint: str = ""
    required: bool = False
    html_required: bool = False
    attrs: dict[str, str] = field(default_factory=dict)
    value: str = ""
    values: list[str] = field(default_factory=list)
    checked: bool = False
    choices: list[Choice] = field(default_factory=list)
    children: list[Widget] = field(default_factory=list)
    error: str | None = None
    error_key: str = ""
    full_label: str = ""
    """The label with its parents' (for the error summary)."""
    template: Widget | None = None
    """An array's blank row, named with :attr:`token` in place of the row's index (and
    ``__nD__`` in place of its number from 1 in its label), for the script to copy."""
    token: str = ""
    next_index: int = 0
    tag: str = ""
    selected: str = ""
    """A union's chosen alternative."""
    can_add: bool = True
    can_remove: bool = True


@dataclass(frozen=True)
class ErrorItem:
    label: str
    message: str
    target: str | None
    """The id of the field at fault, when it is on the page."""


@dataclass
class FormView:
    root: Widget
    errors: list[ErrorItem]


_PLAIN: Final[Mapping[str, str]] = {
    "Field required": N_("This is required."),
    "Extra inputs are not permitted": N_("This is not a field of the form."),
}


PYDANTIC_MESSAGES: Final = (
    N_("String should have at least {min_length} characters"),
    N_("String should have at least {min_length} character"),
    N_("String should have at most {max_length} characters"),
    N_("String should have at most {max_length} character"),
    N_("String should match pattern '{pattern}'"),
    N_("Input should be greater than or equal to {ge}"),
    N_("Input should be greater than {gt}"),
    N_("Input should be less than or equal to {le}"),
    N_("Input should be less than {lt}"),
    N_("Input should be {expected}"),
    N_("List should have at least {min_length} item after validation, not {actual_length}"),
    N_("List should have at least {min_length} items after validation, not {actual_length}"),
    N_("List should have at most {max_length} item after validation, not {actual_length}"),
    N_("List should have at most {max_length} items after validation, not {actual_length}"),
    N_("Input should be a valid boolean, unable to interpret input"),
    N_("Input should be a valid boolean"),
    N_("Input should be a valid string"),
    N_("Input should be a valid integer, unable to parse string as an integer"),
    N_("Input should be a valid integer"),
    N_("Input should be a valid number, unable to parse string as a number"),
    N_("Input should be a valid number"),
    N_("Input should be a valid list"),
    N_("Input should be a valid dictionary"),
)
"""pydantic's own messages for what the forms check, as pydantic words them once formatted
(``{name}`` is a value it fills in): in the catalogs so that :func:`humanise` can translate."""


def humanise(message: str) -> str:
    """A validation message in plainer words, where pydantic's are terse, in the language in
    force (:func:`gulfsec.i18n.translate_problem`)."""
    if message.startswith("Unable to extract tag using discriminator"):
        return words.gettext(N_("Choose which kind."))
    if message.startswith("Input tag ") and "does not match any of the expected tags" in message:
        return words.gettext(N_("Choose one of the kinds offered."))
    plain = _PLAIN.get(message)
    if plain is not None:
        return words.gettext(plain)
    return words.translate_problem(message)


def widget_id(name: str) -> str:
    return "f-" + _ID_UNSAFE.sub("-", name)


def html_pattern(pattern: str) -> str | None:
    """A JSON Schema pattern as an HTML ``pattern`` attribute (anchored, valid in the ``v``
    mode browsers compile it in), or None when it cannot be carried over."""
    if not (pattern.startswith("^") and pattern.endswith("$")) or len(pattern) < 2:
        return None
    body = pattern[1:-1]
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            out.append(body[i : i + 2])
            i += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
                out.append(char)
            elif char in "/(){}|" or (char == "-" and i + 1 < len(body) and body[i + 1] == "]"):
                out.append("\\" + char)
            else:
                out.append(char)
        else:
            if char == "[":
                in_class = True
            out.append(char)
        i += 1
    return "".join(out)


def _pretty(name: str) -> str:
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def choice_label(value: Any, language: str | None = None, form: str | None = None) -> str:
    """How a choice reads: its value in words, translated (in ``form``'s sense of the word
    when it is one of :data:`SEVERAL_SENSES`)."""
    if not isinstance(value, str):
        return json.dumps(value)
    if not is_word(value):
        return value  # a media type, a code: shown as it is
    return form_word(_pretty(value), language or words.current(), form)


SEVERAL_SENSES: Final = frozenset({
    "Position", "Observed", "Cancelled", "Name", "Personnel", "Party", "Land", "Naval", "Air",
    "Designation", "Reply", "Decision", "Type", "Kind", "Status", "Area", "Text", "Reason",
})
"""Words the forms use in more than one sense (a map position and a position on a draft; a
unit's service and an activity's kind): each form's use is its own message, with the form's
id as its context, so that a translator can tell them apart."""


def form_word(text: str, language: str, form: str | None) -> str:
    """A form's label or choice in ``language``: in the form's own sense when the word has
    several (:data:`SEVERAL_SENSES`), else as everywhere."""
    catalog = words.catalog(language)
    if form is not None and text in SEVERAL_SENSES:
        found = catalog.pgettext(form, text)
        if found != text:
            return found
    return catalog.gettext(text) if text else text


def is_word(value: str) -> bool:
    """Whether a choice's value reads as words (``land``, ``stand-aside``), not as a code
    (``application/pdf``): words are shown translated, codes as they are."""
    return "/" not in value and "." not in value


class _Schema:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.defs: Mapping[str, Any] = root.get("$defs", {})

    def resolve(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        """``node`` with a ``$ref`` replaced by its definition (its own keys kept on top)."""
        seen = 0
        while "$ref" in node and seen < 20:
            ref = str(node["$ref"])
            target = self.defs.get(ref.rsplit("/", 1)[-1], {}) if ref.startswith(
                "#/$defs/") else {}
            merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            if "title" not in node and "title" in target:
                merged["title"] = target["title"]
            node = merged
            seen += 1
        return node


def _optional_inner(node: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The non-null member of ``anyOf: [X, null]``, else None."""
    options = node.get("anyOf")
    if not isinstance(options, list) or len(options) != 2:
        return None
    others = [o for o in options if o.get("type") != "null"]
    if len(others) != 1:
        return None
    return {**others[0], **{k: v for k, v in node.items() if k not in ("anyOf", "default")}}


def classify(schema: _Schema, node: Mapping[str, Any]) -> tuple[str, Mapping[str, Any], bool]:
    """(kind, resolved node, nullable) for one property's schema."""
    node = schema.resolve(node)
    nullable = False
    inner = _optional_inner(node)
    if inner is not None:
        node, nullable = schema.resolve(inner), True
    if "oneOf" in node and isinstance(node.get("discriminator"), Mapping):
        return "union", node, nullable
    if "const" in node:
        return "const", node, nullable
    if "enum" in node:
        return "select", node, nullable
    kind = node.get("type")
    if kind == "object":
        return "object", node, nullable
    if kind == "array":
        items = schema.resolve(node.get("items", {}))
        item_kind = items.get("type")
        if item_kind == "string" and "enum" in items:
            return "choices", node, nullable
        if item_kind == "string" and items.get("pattern") == PARTY_PATTERN:
            return "parties", node, nullable
        if item_kind == "string":
            return "lines", node, nullable
        if item_kind == "object" or "oneOf" in items:
            return "array", node, nullable
        return "json", node, nullable
    if kind == "string":
        if node.get("format") == "date":
            return "date", node, nullable
        if node.get("pattern") == PARTY_PATTERN:
            return "party", node, nullable
        max_length = node.get("maxLength")
        if "pattern" not in node and (max_length is None or int(max_length) > TEXTAREA_OVER):
            return "textarea", node, nullable
        return "text", node, nullable
    if kind == "integer":
        return "integer", node, nullable
    if kind == "number":
        return "number", node, nullable
    if kind == "boolean":
        return "checkbox", node, nullable
    return "json", node, nullable


def _variants(schema: _Schema, node: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """A union's alternatives: (tag, resolved schema), in the schema's order."""
    prop = str(node["discriminator"].get("propertyName", "kind"))
    out: list[tuple[str, Mapping[str, Any]]] = []
    for option in node.get("oneOf", []):
        resolved = schema.resolve(option)
        tag_schema = resolved.get("properties", {}).get(prop, {})
        tag = tag_schema.get("const")
        if tag is None and isinstance(tag_schema.get("enum"), list) and tag_schema["enum"]:
            tag = tag_schema["enum"][0]
        if isinstance(tag, str):
            out.append((tag, resolved))
    return out


def _discriminator(node: Mapping[str, Any]) -> str:
    return str(node["discriminator"].get("propertyName", "kind"))


def _label_path(path: Sequence[str | int]) -> str:
    return ".".join(p for p in path
                    if isinstance(p, str) and not p.startswith("@") and not p.startswith("__i"))


def _error_key(path: Sequence[str | int]) -> str:
    return ".".join(str(p).removeprefix("@") for p in path)


def _name(path: Sequence[str | int]) -> str:
    return ".".join([ROOT, *(str(p) for p in path)])


# -- building the widgets --------------------------------------------------------------------


@dataclass
class _Build:
    schema: _Schema
    spec: FormSpec
    language: str
    errors: Mapping[str, str]
    parties: Sequence[tuple[str, str, str | None]]
    used: set[str] = field(default_factory=set)
    widgets: dict[str, Widget] = field(default_factory=dict)
    sender: str | None = None
    """The party writing: not offered where a field names others (:data:`OTHERS`)."""
    posted: bool = False
    """The draft was read back from a posted form: an array it lacks was emptied by the
    writer, not yet drawn (so no blank row is put back)."""

    def parties_for(self, node: Mapping[str, Any]) -> Sequence[tuple[str, str, str | None]]:
        """The parties a party field offers: all, or all but the writer's for a field of
        other parties."""
        if self.sender is None or not node.get(OTHERS):
            return self.parties
        return [p for p in self.parties if p[0] != self.sender]

    def label(self, path: Sequence[str | int], node: Mapping[str, Any],
              fallback: str) -> tuple[str, str | None]:
        """A field's label in the reader's language (the schema's title, else its name in
        words, through the catalogs: :mod:`gulfsec.web.forms.messages` extracts them)."""
        return self.t(str(node.get("title") or _pretty(fallback))), None

    def t(self, text: str) -> str:
        return form_word(text, self.language, self.spec.id)


def _get(value: Any, key: str | int) -> Any:
    if isinstance(key, int):
        return value[key] if isinstance(value, list) and 0 <= key < len(value) else None
    return value.get(key) if isinstance(value, dict) else None


def _scalar_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(
            value) < 2**53:
        return str(int(value))
    if isinstance(value, int | float | str):
        return str(value)
    return json.dumps(value, ensure_ascii=False)
