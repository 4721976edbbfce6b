"""Web forms made from a form's JSON Schema, and what a browser posts read back into a body.

Every registered form (:mod:`gulfsec.domain.forms`) is written on the pages through the same
code: :func:`build` turns the form's JSON Schema and a draft body into a tree of
:class:`Widget` for the templates, with HTML5 constraints (required, min, max, pattern, lengths)
where the schema gives them and field-level messages after a failed check; :func:`read` turns the
posted fields back into the body the form validates. Pages work without JavaScript:

- nested objects are fieldsets; a union (a discriminated ``oneOf``: a circle or a polygon) is a
  choice plus one fieldset per alternative;
- an array of objects is a list of rows, each a fieldset, with "add a row" and "remove" buttons
  that post the form back (the script does the same in place, from a ``<template>``); blank
  rows are left out of the body;
- an array of party codes is a set of checkboxes; other arrays of strings are a textarea, one
  item per line; anything else the schema might hold is written as JSON in a textarea.

Field names are the data path under ``body``, with ``@tag`` for a union's alternative and the
row number for an array row: ``body.live_firing.0.area.@circle.radius_km``. Error keys are the
paths pydantic reports: ``live_firing.0.area.circle.radius_km``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from gulfsec.domain.encoding import JSONError, parse_json
from gulfsec.domain.forms import FormSpec

ROOT: Final = "body"
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
    "Field required": "This is required.",
    "Extra inputs are not permitted": "This is not a field of the form.",
}


def humanise(message: str) -> str:
    """A validation message in plainer words, where pydantic's are terse."""
    if message.startswith("Unable to extract tag using discriminator"):
        return "Choose which kind."
    if message.startswith("Input tag ") and "does not match any of the expected tags" in message:
        return "Choose one of the kinds offered."
    return _PLAIN.get(message, message)


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


def choice_label(value: Any) -> str:
    return _pretty(str(value)) if isinstance(value, str) else json.dumps(value)


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

    def label(self, path: Sequence[str | int], node: Mapping[str, Any],
              fallback: str) -> tuple[str, str | None]:
        local = self.spec.labels.get(self.language, {}).get(_label_path(path))
        if local:
            return local, None
        text = str(node.get("title") or _pretty(fallback))
        return text, None if self.language == "en" else "en"


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


def build(spec: FormSpec, draft: Any, errors: Mapping[str, str] | None = None, *,
          language: str = "en",
          parties: Sequence[tuple[str, str, str | None]] = ()) -> FormView:
    """The widgets for ``spec``'s body, filled in from ``draft`` (a body, possibly invalid or
    partial), with ``errors`` (error key -> message) next to their fields.

    ``parties`` are (code, name, the name's language if translated) offered wherever the
    schema asks for a party code.
    """
    schema = _Schema(spec.json_schema())
    errors = {key: humanise(message) for key, message in (errors or {}).items()}
    ctx = _Build(schema, spec, language, errors, parties)
    root = _object(ctx, schema.root, [], draft if isinstance(draft, dict) else {}, True,
                   True, spec.title, depth=0)
    root.kind = "root"
    items: list[ErrorItem] = []
    for key, message in errors.items():
        found = ctx.widgets.get(key)
        if found is not None:
            items.append(ErrorItem(found.full_label or found.label, message, found.id))
        else:
            items.append(ErrorItem(key or "body", message, None))
    return FormView(root, items)


def _widget(ctx: _Build, node: Mapping[str, Any], path: list[str | int], value: Any,
            required: bool, html_ok: bool, parent_label: str, depth: int,
            label_override: str | None = None) -> Widget | None:
    kind, resolved, nullable = classify(ctx.schema, node)
    if nullable:
        required = False
    prop = str(path[-1]) if path else ROOT
    label, lang = ctx.label(path, node, prop)
    if label_override is not None:
        label = label_override
    full = f"{parent_label} › {label}" if parent_label else label
    if kind == "const":
        return None
    if kind == "object":
        w = _object(ctx, resolved, path, value if isinstance(value, dict) else {}, required,
                    html_ok and required, full, depth)
        w.label, w.label_lang = label, lang
    elif kind == "union":
        w = _union(ctx, resolved, path, value, required, full, depth)
        w.label, w.label_lang = label, lang
    elif kind == "array":
        w = _array(ctx, resolved, path, value, required, full, depth)
        w.label, w.label_lang = label, lang
    else:
        w = Widget(kind, _name(path), widget_id(_name(path)), label, lang)
        _leaf(ctx, w, resolved, value, required and html_ok)
    w.hint = str(resolved.get("description") or node.get("description") or "")
    w.required = required
    w.full_label = full
    key = _error_key(path)
    w.error_key = key
    w.error = ctx.errors.get(key)
    ctx.widgets[key] = w
    return w


def _object(ctx: _Build, node: Mapping[str, Any], path: list[str | int],
            value: Mapping[str, Any], required: bool, html_ok: bool, full: str,
            depth: int, skip: str | None = None) -> Widget:
    name = _name(path)
    w = Widget("object", name, widget_id(name), full, None, required=required)
    needed = set(node.get("required", []))
    for prop, child in node.get("properties", {}).items():
        if prop == skip:
            continue
        sub = _widget(ctx, child, [*path, prop], _get(value, prop), prop in needed, html_ok,
                      full if path else "", depth)
        if sub is not None:
            w.children.append(sub)
    return w


def _leaf(ctx: _Build, w: Widget, node: Mapping[str, Any], value: Any, html_req: bool) -> None:
    w.html_required = html_req and w.kind not in ("checkbox", "parties", "choices", "json")
    if w.kind == "checkbox":
        w.checked = value is True
        return
    if w.kind in ("text", "textarea"):
        if "minLength" in node:
            w.attrs["minlength"] = str(node["minLength"])
        if "maxLength" in node:
            w.attrs["maxlength"] = str(node["maxLength"])
        pattern = html_pattern(str(node["pattern"])) if "pattern" in node else None
        if pattern is not None:
            w.attrs["pattern"] = pattern
        w.value = _scalar_text(value)
        return
    if w.kind in ("integer", "number"):
        w.attrs["step"] = "1" if w.kind == "integer" else "any"
        w.attrs["inputmode"] = "numeric" if w.kind == "integer" else "decimal"
        low = node.get("minimum", node.get("exclusiveMinimum"))
        high = node.get("maximum", node.get("exclusiveMaximum"))
        if low is not None:
            w.attrs["min"] = _scalar_text(low)
        if high is not None:
            w.attrs["max"] = _scalar_text(high)
        if "default" in node:
            w.attrs["placeholder"] = _scalar_text(node["default"])
        w.value = _scalar_text(value)
        return
    if w.kind == "date":
        w.value = _scalar_text(value)
        return
    if w.kind == "select":
        options = list(node.get("enum", []))
        default = node.get("default")
        w.choices = [Choice(str(o), choice_label(o)) for o in options]
        w.value = _scalar_text(value if value is not None else default)
        if not w.html_required or default is None:
            w.choices.insert(0, Choice("", "— choose —" if w.html_required else "— none —"))
        return
    if w.kind == "party":
        w.choices = [Choice("", "— choose —" if w.html_required else "— none —")] + [
            Choice(code, f"{code} — {name}", tongue) for code, name, tongue in ctx.parties]
        w.value = _scalar_text(value)
        return
    if w.kind == "parties":
        w.choices = [Choice(code, f"{code} — {name}", tongue)
                     for code, name, tongue in ctx.parties]
        w.values = [str(v) for v in value] if isinstance(value, list) else []
        return
    if w.kind == "choices":
        items = ctx.schema.resolve(node.get("items", {}))
        w.choices = [Choice(str(o), choice_label(o)) for o in items.get("enum", [])]
        w.values = [str(v) for v in value] if isinstance(value, list) else []
        return
    if w.kind == "lines":
        items = ctx.schema.resolve(node.get("items", {}))
        w.value = ("\n".join(_scalar_text(v) for v in value) if isinstance(value, list)
                   else _scalar_text(value))
        extra = " One per line."
        if items.get("pattern"):
            extra += f" Each must match {items['pattern']}."
        w.attrs["data-lines"] = extra.strip()
        return
    if w.kind == "json":
        w.value = "" if value is None else (
            value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                             indent=1))
        return


def _union(ctx: _Build, node: Mapping[str, Any], path: list[str | int], value: Any,
           required: bool, full: str, depth: int) -> Widget:
    name = _name(path)
    w = Widget("union", name, widget_id(name), full, None)
    prop = _discriminator(node)
    chosen = value.get(prop) if isinstance(value, dict) else None
    w.selected = chosen if isinstance(chosen, str) else ""
    w.choices = [] if required else [Choice("", "— none —")]
    for tag, variant in _variants(ctx.schema, node):
        title = str(variant.get("title") or _pretty(tag))
        w.choices.append(Choice(tag, title))
        sub_path: list[str | int] = [*path, f"@{tag}"]
        data = value if isinstance(value, dict) and chosen == tag else {}
        v = _object(ctx, variant, sub_path, data, True, False, f"{full} ({title})", depth,
                    skip=prop)
        v.kind, v.tag, v.label = "variant", tag, title
        v.hint = str(variant.get("description") or "")
        w.children.append(v)
    if required and not w.selected:
        w.choices.insert(0, Choice("", "— choose —"))
    w.attrs["data-choice-name"] = name + ".@"
    return w


def _array(ctx: _Build, node: Mapping[str, Any], path: list[str | int], value: Any,
           required: bool, full: str, depth: int) -> Widget:
    name = _name(path)
    w = Widget("array", name, widget_id(name), full, None)
    items = node.get("items", {})
    min_items = int(node.get("minItems", 0))
    max_items = node.get("maxItems")
    rows = value if isinstance(value, list) else [{} for _ in range(max(min_items, 1))]
    label, _lang = ctx.label(path, node, str(path[-1]))
    for index, row_value in enumerate(rows):
        w.children.append(_row(ctx, items, [*path, index], row_value, f"{label} {index + 1}",
                               full, depth))
    token = f"__i{depth}__"
    w.token = token
    w.template = _row(_quiet(ctx), items, [*path, token], {}, f"{label} __n{depth}__", full,
                      depth)
    w.next_index = len(rows)
    w.can_add = max_items is None or len(rows) < int(max_items)
    w.attrs["data-min"] = str(min_items)
    if max_items is not None:
        w.attrs["data-max"] = str(max_items)
    w.can_remove = len(rows) > min_items
    return w


def _quiet(ctx: _Build) -> _Build:
    """The same build, without errors and not recorded (for a row template)."""
    return _Build(ctx.schema, ctx.spec, ctx.language, {}, ctx.parties)


def _row(ctx: _Build, items: Mapping[str, Any], path: list[Any], value: Any, label: str,
         parent: str, depth: int) -> Widget:
    kind, resolved, _ = classify(ctx.schema, items)
    name = _name(path)
    full = f"{parent} › {label}"
    if kind == "union":
        inner = _union(ctx, resolved, path, value, True, full, depth + 1)
        row = Widget("row", name, widget_id(name), label, None, children=[inner])
        inner.label = "Kind"
    else:
        row = _object(ctx, resolved, path, value if isinstance(value, dict) else {}, True,
                      False, full, depth + 1)
        row.kind = "row"
        row.label = label
    row.full_label = full
    row.required = False
    row.tag = str(path[-1])
    key = _error_key(path)
    row.error_key = key
    row.error = ctx.errors.get(key)
    ctx.widgets[key] = row
    return row


# -- reading what was posted -----------------------------------------------------------------


class _Absent:
    pass


ABSENT: Final = _Absent()


@dataclass
class _Read:
    schema: _Schema
    form: Mapping[str, list[str]]
    keep_blank: bool
    errors: dict[str, str] = field(default_factory=dict)

    def first(self, name: str) -> str | None:
        values = self.form.get(name)
        return values[0] if values else None

    def indexes(self, name: str) -> list[int]:
        prefix = name + "."
        found: set[int] = set()
        for key in self.form:
            if key.startswith(prefix):
                segment = key[len(prefix):].split(".", 1)[0]
                if segment.isdigit() and len(segment) < 6:
                    found.add(int(segment))
        return sorted(found)


def read(spec: FormSpec, form: Mapping[str, list[str]], *,
         keep_blank_rows: bool = False) -> tuple[dict[str, Any], dict[str, str]]:
    """The body the posted ``form`` fields make, and the fields that could not be read
    (error key -> message; their raw text is kept in the body so pydantic refuses it too).

    With ``keep_blank_rows`` every array row posted is kept (blank ones as ``{}``), to draw the
    form again as it was; without, blank rows are left out.
    """
    schema = _Schema(spec.json_schema())
    ctx = _Read(schema, form, keep_blank_rows)
    _filled, body = _read_object(ctx, schema.root, [], True)
    return (body if isinstance(body, dict) else {}), ctx.errors


def _read_value(ctx: _Read, node: Mapping[str, Any], path: list[str | int],
                required: bool) -> tuple[bool, Any]:
    """(whether anything was filled in, the value or ABSENT)."""
    kind, resolved, nullable = classify(ctx.schema, node)
    if nullable:
        required = False
    name = _name(path)
    if kind == "const":
        return False, resolved["const"] if required else ABSENT
    if kind == "object":
        return _read_object(ctx, resolved, path, required)
    if kind == "union":
        return _read_union(ctx, resolved, path, required)
    if kind == "array":
        return _read_array(ctx, resolved, path, required)
    if kind == "checkbox":
        checked = ctx.first(name) is not None
        if checked:
            return True, True
        return False, False if required else ABSENT
    if kind in ("parties", "choices"):
        chosen = [v for v in ctx.form.get(name, []) if v]
        if chosen:
            return True, list(dict.fromkeys(chosen))
        return False, [] if required else ABSENT
    raw = ctx.first(name)
    if raw is None:
        return False, ABSENT
    if kind == "textarea" or kind == "json" or kind == "lines":
        text = raw.replace("\r\n", "\n").strip()
    else:
        text = raw.strip()
    if not text:
        return False, ABSENT
    key = _error_key(path)
    if kind == "integer":
        if _INT.fullmatch(text):
            return True, int(text)
        ctx.errors[key] = "expected a whole number"
        return True, text
    if kind == "number":
        if _NUMBER.fullmatch(text):
            number = float(text)
            if math.isfinite(number):
                return True, int(text) if _INT.fullmatch(text) else number
        ctx.errors[key] = "expected a number"
        return True, text
    if kind == "lines":
        return True, [line.strip() for line in text.split("\n") if line.strip()]
    if kind == "json":
        try:
            return True, parse_json(text)
        except (JSONError, ValueError) as exc:
            ctx.errors[key] = f"not valid JSON: {exc}"
            return True, text
    return True, text


def _read_object(ctx: _Read, node: Mapping[str, Any], path: list[str | int], required: bool,
                 skip: str | None = None) -> tuple[bool, Any]:
    needed = set(node.get("required", []))
    out: dict[str, Any] = {}
    filled = False
    for prop, child in node.get("properties", {}).items():
        if prop == skip:
            continue
        got, value = _read_value(ctx, child, [*path, prop], prop in needed)
        filled = filled or got
        if value is not ABSENT:
            out[prop] = value
    if filled or required:
        return filled, out
    return False, ABSENT


def _read_union(ctx: _Read, node: Mapping[str, Any], path: list[str | int],
                required: bool) -> tuple[bool, Any]:
    tag = (ctx.first(_name(path) + ".@") or "").strip()
    prop = _discriminator(node)
    for option, variant in _variants(ctx.schema, node):
        if option == tag:
            _filled, value = _read_object(ctx, variant, [*path, f"@{tag}"], True, skip=prop)
            return True, {prop: tag, **value}
    if tag:
        return True, {prop: tag}
    return False, ABSENT


def _read_array(ctx: _Read, node: Mapping[str, Any], path: list[str | int],
                required: bool) -> tuple[bool, Any]:
    items = node.get("items", {})
    kind, resolved, _ = classify(ctx.schema, items)
    rows: list[Any] = []
    filled = False
    for index in ctx.indexes(_name(path)):
        row_path: list[str | int] = [*path, index]
        before = set(ctx.errors)
        if kind == "union":
            got, value = _read_union(ctx, resolved, row_path, False)
        else:
            got, value = _read_object(ctx, resolved, row_path, False)
        position = len(rows)
        if got:
            filled = True
            rows.append(value)
        elif ctx.keep_blank:
            rows.append({})
        if position != index:
            # Error keys name the row by its place in the body, not in the posted form.
            old, new = _error_key(row_path), _error_key([*path, position])
            for key in [k for k in ctx.errors if k not in before]:
                if key == old or key.startswith(old + "."):
                    ctx.errors[new + key[len(old):]] = ctx.errors.pop(key)
    if rows or required or ctx.keep_blank:
        return filled, rows
    return False, ABSENT


# -- changing the rows -----------------------------------------------------------------------


def _data_path(name: str) -> list[str | int] | None:
    parts = name.split(".")
    if not parts or parts[0] != ROOT:
        return None
    out: list[str | int] = []
    for part in parts[1:]:
        if part.startswith("@"):
            continue
        out.append(int(part) if part.isdigit() else part)
    return out


def add_row(draft: dict[str, Any], array_name: str) -> bool:
    """Append a blank row to the array named ``array_name`` in ``draft``; False if no such."""
    path = _data_path(array_name)
    if not path:
        return False
    target: Any = draft
    for i, part in enumerate(path):
        nxt: Any = [] if i == len(path) - 1 else {}
        if isinstance(part, int):
            if not isinstance(target, list) or not 0 <= part < len(target):
                return False
            target = target[part]
        else:
            if not isinstance(target, dict):
                return False
            if not isinstance(target.get(part), list | dict):
                target[part] = nxt
            target = target[part]
    if not isinstance(target, list):
        return False
    target.append({})
    return True


def remove_row(draft: dict[str, Any], row_name: str) -> bool:
    """Remove the array row named ``row_name`` from ``draft``; False if no such."""
    path = _data_path(row_name)
    if not path or not isinstance(path[-1], int):
        return False
    target: Any = draft
    for part in path[:-1]:
        target = _get(target, part)
    index = path[-1]
    if not isinstance(target, list) or not 0 <= index < len(target):
        return False
    del target[index]
    return True


# -- showing a body ---------------------------------------------------------------------------


@dataclass
class Shown:
    """A body value as a definition list shows it."""

    label: str
    label_lang: str | None
    text: str = ""
    children: list[Shown] = field(default_factory=list)
    items: list[Shown] = field(default_factory=list)
    kind: str = "scalar"
    """scalar, object or list."""


def show(spec: FormSpec | None, body: Any, *, language: str = "en") -> list[Shown]:
    """The body as labelled items (labels from the form's schema and translations), in the
    schema's order, then anything the schema does not name."""
    if spec is None:
        return [_show_plain(k, v) for k, v in body.items()] if isinstance(body, dict) else []
    schema = _Schema(spec.json_schema())
    ctx = _Build(schema, spec, language, {}, ())
    return _show_object(ctx, schema.root, [], body)


def _show_plain(label: str, value: Any) -> Shown:
    if isinstance(value, dict):
        return Shown(label, "en", kind="object",
                     children=[_show_plain(k, v) for k, v in value.items()])
    if isinstance(value, list):
        return Shown(label, "en", kind="list",
                     items=[_show_plain(f"{label} {i + 1}", v) for i, v in enumerate(value)])
    return Shown(label, "en", _scalar_text(value))


def _show_object(ctx: _Build, node: Mapping[str, Any], path: list[str | int],
                 value: Any, skip: str | None = None) -> list[Shown]:
    if not isinstance(value, dict):
        return []
    props: Mapping[str, Any] = node.get("properties", {})
    out: list[Shown] = []
    for prop, child in props.items():
        if prop in value and prop != skip:
            out.append(_show_value(ctx, child, [*path, prop], value[prop]))
    for prop, extra in value.items():
        if prop not in props:
            out.append(_show_plain(_pretty(prop), extra))
    return out


def _show_value(ctx: _Build, node: Mapping[str, Any], path: list[str | int],
                value: Any) -> Shown:
    kind, resolved, _ = classify(ctx.schema, node)
    label, lang = ctx.label(path, node, str(path[-1]))
    if isinstance(value, dict):
        if kind == "union":
            prop = _discriminator(resolved)
            for tag, variant in _variants(ctx.schema, resolved):
                if value.get(prop) == tag:
                    title = str(variant.get("title") or _pretty(tag))
                    return Shown(f"{label} ({title})", lang, kind="object",
                                 children=_show_object(ctx, variant, path, value, prop))
        return Shown(label, lang, kind="object",
                     children=_show_object(ctx, resolved, path, value))
    if isinstance(value, list):
        items = resolved.get("items", {})
        shown = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                sub = _show_value(ctx, items, [*path, i], item)
                sub.label = f"{label} {i + 1}"
                shown.append(sub)
            else:
                shown.append(Shown(f"{label} {i + 1}", lang, _scalar_text(item)))
        return Shown(label, lang, kind="list", items=shown)
    if kind == "select" and isinstance(value, str):
        return Shown(label, lang, choice_label(value))
    if isinstance(value, bool):
        return Shown(label, lang, "yes" if value else "no")
    return Shown(label, lang, _scalar_text(value))
