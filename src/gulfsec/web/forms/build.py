"""A form's widgets from its JSON Schema and a draft body (:func:`build`), and a body shown back
in words (:func:`show`)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gulfsec.domain.forms import FormSpec
from gulfsec.i18n import N_
from gulfsec.web.forms.schema import (
    ROOT,
    Choice,
    ErrorItem,
    FormView,
    Widget,
    _Build,
    _discriminator,
    _error_key,
    _get,
    _name,
    _pretty,
    _scalar_text,
    _Schema,
    _variants,
    choice_label,
    classify,
    html_pattern,
    humanise,
    widget_id,
)


def build(spec: FormSpec, draft: Any, errors: Mapping[str, str] | None = None, *,
          language: str = "en",
          parties: Sequence[tuple[str, str, str | None]] = (), sender: str | None = None,
          posted: bool = False) -> FormView:
    """The widgets for ``spec``'s body, filled in from ``draft`` (a body, possibly invalid or
    partial), with ``errors`` (error key -> message) next to their fields.

    ``parties`` are (code, name, the name's language if translated) offered wherever the
    schema asks for a party code; ``sender``'s is left out where a field names other parties.
    ``posted``: the draft was read back from a posted form, so an array it lacks was emptied
    by the writer and is drawn empty (a fresh form gets a first blank row).
    """
    schema = _Schema(spec.json_schema())
    errors = {key: humanise(message) for key, message in (errors or {}).items()}
    ctx = _Build(schema, spec, language, errors, parties, sender=sender, posted=posted)
    root = _object(ctx, schema.root, [], draft if isinstance(draft, dict) else {}, True,
                   True, ctx.t(spec.title), depth=0)
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
    w.hint = ctx.t(str(resolved.get("description") or node.get("description") or ""))
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
        w.choices = [Choice(str(o), choice_label(o, ctx.language, ctx.spec.id)) for o in options]
        w.value = _scalar_text(value if value is not None else default)
        if not w.html_required or default is None:
            empty = N_("— choose —") if w.html_required else N_("— none —")
            w.choices.insert(0, Choice("", ctx.t(empty)))
        return
    if w.kind == "party":
        w.choices = [Choice("", ctx.t(N_("— choose —") if w.html_required else N_("— none —")))] + [
            Choice(code, f"{code} — {name}", tongue)
            for code, name, tongue in ctx.parties_for(node)]
        w.value = _scalar_text(value)
        return
    if w.kind == "parties":
        w.choices = [Choice(code, f"{code} — {name}", tongue)
                     for code, name, tongue in ctx.parties_for(node)]
        w.values = [str(v) for v in value] if isinstance(value, list) else []
        return
    if w.kind == "choices":
        items = ctx.schema.resolve(node.get("items", {}))
        w.choices = [Choice(str(o), choice_label(o, ctx.language, ctx.spec.id))
                     for o in items.get("enum", [])]
        w.values = [str(v) for v in value] if isinstance(value, list) else []
        return
    if w.kind == "lines":
        items = ctx.schema.resolve(node.get("items", {}))
        w.value = ("\n".join(_scalar_text(v) for v in value) if isinstance(value, list)
                   else _scalar_text(value))
        extra = ctx.t(N_("One per line."))
        if items.get("pattern"):
            extra += " " + ctx.t(N_("Each must match %(pattern)s.")) % {
                "pattern": items["pattern"]}
        w.attrs["data-lines"] = extra
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
    w.choices = [] if required else [Choice("", ctx.t(N_("— none —")))]
    for tag, variant in _variants(ctx.schema, node):
        title = ctx.t(str(variant.get("title") or _pretty(tag)))
        w.choices.append(Choice(tag, title))
        sub_path: list[str | int] = [*path, f"@{tag}"]
        data = value if isinstance(value, dict) and chosen == tag else {}
        v = _object(ctx, variant, sub_path, data, True, False, f"{full} ({title})", depth,
                    skip=prop)
        v.kind, v.tag, v.label = "variant", tag, title
        v.hint = ctx.t(str(variant.get("description") or ""))
        w.children.append(v)
    if required and not w.selected:
        w.choices.insert(0, Choice("", ctx.t(N_("— choose —"))))
    w.attrs["data-choice-name"] = name + ".@"
    return w


def _array(ctx: _Build, node: Mapping[str, Any], path: list[str | int], value: Any,
           required: bool, full: str, depth: int) -> Widget:
    name = _name(path)
    w = Widget("array", name, widget_id(name), full, None)
    items = node.get("items", {})
    min_items = int(node.get("minItems", 0))
    max_items = node.get("maxItems")
    blank = min_items if ctx.posted else max(min_items, 1)
    rows = value if isinstance(value, list) else [{} for _ in range(blank)]
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
    return _Build(ctx.schema, ctx.spec, ctx.language, {}, ctx.parties, sender=ctx.sender,
                  posted=ctx.posted)


def _row(ctx: _Build, items: Mapping[str, Any], path: list[Any], value: Any, label: str,
         parent: str, depth: int) -> Widget:
    kind, resolved, _ = classify(ctx.schema, items)
    name = _name(path)
    full = f"{parent} › {label}"
    if kind == "union":
        inner = _union(ctx, resolved, path, value, True, full, depth + 1)
        row = Widget("row", name, widget_id(name), label, None, children=[inner])
        inner.label = ctx.t(N_("Kind"))
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
                    title = ctx.t(str(variant.get("title") or _pretty(tag)))
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
        return Shown(label, lang, choice_label(value, ctx.language, ctx.spec.id))
    if isinstance(value, bool):
        return Shown(label, lang, ctx.t(N_("yes") if value else N_("no")))
    return Shown(label, lang, _scalar_text(value))
