"""The words of the forms for the catalogs: a Babel extraction method.

The forms' labels, hints and choices are not written as ``_()`` calls: they come from each
form's JSON Schema (field titles and descriptions, field names in words, the values of a
choice, the kinds of a union), which the pages build from the models at run time. ``make
messages`` runs :func:`extract` (named in ``babel.cfg``) to put them into the catalogs, and the
pages translate them where they show them (:mod:`.build`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import IO, Any

from gulfsec.domain.forms import FormSpec, registry
from gulfsec.web.forms.schema import SEVERAL_SENSES, _pretty, is_word

Extracted = tuple[Any, ...]


def extract(fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Sequence[str],
            options: Mapping[str, Any]) -> Iterator[Extracted]:
    """Every text a person reads in the registry's forms, as Babel's extractors yield them
    (line number, function name, message, comments). ``fileobj`` is the forms' package."""
    seen: set[tuple[str | None, str]] = set()
    for spec in registry().values():
        for text in form_texts(spec):
            context = spec.id if text in SEVERAL_SENSES else None
            if text and (context, text) not in seen:
                seen.add((context, text))
                if context is None:
                    yield 0, None, text, [f"form {spec.id}"]
                else:
                    yield 0, "pgettext", (context, text), [
                        f"in the form {spec.id} ({spec.title}): a word with several senses"]


def form_texts(spec: FormSpec) -> Iterator[str]:
    """The texts of one form: its title and description, then its schema's words."""
    yield spec.title
    if spec.description:
        yield spec.description
    yield from _schema_texts(spec.json_schema())


def _schema_texts(node: Any) -> Iterator[str]:
    if isinstance(node, list):
        for item in node:
            yield from _schema_texts(item)
        return
    if not isinstance(node, Mapping):
        return
    for key in ("title", "description"):
        value = node.get(key)
        if isinstance(value, str) and not value.startswith("urn:"):
            yield value
    props = node.get("properties")
    for prop, child in props.items() if isinstance(props, Mapping) else ():
        if not (isinstance(child, Mapping) and isinstance(child.get("title"), str)):
            yield _pretty(str(prop))  # the label a field without a title is shown with
    for value in node.get("enum", []) if isinstance(node.get("enum"), list) else ():
        if isinstance(value, str) and is_word(value):
            yield _pretty(value)
    const = node.get("const")
    if isinstance(const, str) and is_word(const):
        yield _pretty(const)
    for key, value in node.items():
        if key in _NAMED_SCHEMAS:
            # Keyed by field or definition names, which may be "title" or "description"
            # themselves: every value is a schema.
            for child in value.values() if isinstance(value, Mapping) else ():
                yield from _schema_texts(child)
        elif key not in ("title", "description", "enum", "const", "pattern", "format", "$id"):
            yield from _schema_texts(value)


_NAMED_SCHEMAS = frozenset({"properties", "$defs", "definitions", "patternProperties"})


def extract_with_python(fileobj: IO[bytes], keywords: Mapping[str, Any],
                        comment_tags: Sequence[str],
                        options: Mapping[str, Any]) -> Iterator[Extracted]:
    """:func:`extract`, after the ``_()`` and ``N_()`` messages of the file itself."""
    from babel.messages.extract import extract_python  # noqa: PLC0415 - only when extracting

    yield from extract_python(fileobj, keywords, comment_tags, dict(options))  # type: ignore[arg-type]
    yield from extract(fileobj, keywords, comment_tags, options)
