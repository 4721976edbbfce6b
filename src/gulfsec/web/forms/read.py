"""What a browser posts, read back into a body (:func:`read`), and rows added or removed."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from gulfsec.domain.encoding import JSONError, parse_json
from gulfsec.domain.forms import FormSpec
from gulfsec.web.forms.schema import (
    _INT,
    _NUMBER,
    ROOT,
    _discriminator,
    _error_key,
    _get,
    _name,
    _Schema,
    _variants,
    classify,
)

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
