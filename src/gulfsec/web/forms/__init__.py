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

from gulfsec.web.forms.build import (
    Shown,
    build,
    show,
)
from gulfsec.web.forms.read import (
    ABSENT,
    add_row,
    read,
    remove_row,
)
from gulfsec.web.forms.schema import (
    PARTY_PATTERN,
    ROOT,
    TEXTAREA_OVER,
    Choice,
    ErrorItem,
    FormView,
    Widget,
    choice_label,
    classify,
    html_pattern,
    humanise,
    widget_id,
)

__all__ = [
    "ABSENT",
    "Choice",
    "ErrorItem",
    "FormView",
    "PARTY_PATTERN",
    "ROOT",
    "Shown",
    "TEXTAREA_OVER",
    "Widget",
    "add_row",
    "build",
    "choice_label",
    "classify",
    "html_pattern",
    "humanise",
    "read",
    "remove_row",
    "show",
    "widget_id",
]
