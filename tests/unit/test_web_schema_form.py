"""Web forms from JSON Schemas (gulfsec.web.forms): drawn, posted back, read again.

A browser is simulated by :func:`posted`: it sends every field of the drawn widgets as a browser
would (the chosen alternative of a union only, checked boxes only).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest

from gulfsec import i18n
from gulfsec.domain.forms import FormSpec, get_form, registry
from gulfsec.errors import InvalidFormBody
from gulfsec.web.forms import (
    Widget,
    add_row,
    build,
    html_pattern,
    read,
    remove_row,
    show,
)
from gulfsec.web.forms.schema import form_word

EID = hashlib.sha256(b"entry").hexdigest()
PARTIES = [("IRN", "Iran", None), ("RUS", "Russia", None), ("ARE", "United Arab Emirates", None)]

BODIES: dict[str, dict[str, Any]] = {
    "message@1": {"subject": "Naval exercise", "text": "Notice.\nTwo lines.",
                  "level": "minister"},
    "acknowledgement@1": {"entries": [EID, "0" * 64]},
    "activity-notification@1": {
        "kind": "naval", "name": "Velayat", "purpose": "Training.",
        "start": "2027-03-01", "end": "2027-03-05",
        "area": {"kind": "circle", "centre": {"lat": 26.5, "lon": 56.2}, "radius_km": 40},
        "forces": {"troops": 3000, "major_surface_combatants": 6},
        "live_firing": [{
            "area": {"kind": "polygon", "points": [
                {"lat": 26.0, "lon": 56.0}, {"lat": 26.0, "lon": 56.5},
                {"lat": 26.5, "lon": 56.5}, {"lat": 26.0, "lon": 56.0}]},
            "distance_to_territorial_sea_nm": 15.5, "nearest_participant": "ARE"}],
        "participating_states": ["RUS"],
        "calendar_ref": "V-2027/1",
    },
    "arms-transfers@1": {"year": 2026, "nil_report": False,
                         "exports": [{"partner": "IRN", "category": "III", "quantity": 4}]},
    "military-expenditure@1": {"year": 2026, "report": {"kind": "nil"}},
    "nonproliferation-declaration@1": {
        "as_of": "2027-01-01",
        "treaties": {"npt": "party", "cwc": "party", "bwc": "party", "ctbt": "signatory"},
        "iaea_safeguards_agreement": True, "iaea_additional_protocol": False,
        "wmd_free_zone_support": True,
    },
    "observation-reply@1": {"invitation": EID, "decision": "accept",
                            "observers": [{"name": "Col. A"}, {"name": "Maj. B",
                                                               "rank": "Major"}]},
}


def posted(widget: Widget) -> dict[str, list[str]]:
    """What a browser posts for the drawn ``widget`` (without JavaScript)."""
    out: dict[str, list[str]] = {}

    def add(name: str, value: str) -> None:
        out.setdefault(name, []).append(value)

    def walk(w: Widget) -> None:
        if w.kind in ("root", "object", "row", "array", "variant"):
            for child in w.children:
                walk(child)
        elif w.kind == "union":
            add(w.attrs["data-choice-name"], w.selected)
            for variant in w.children:
                if variant.tag == w.selected:
                    walk(variant)
        elif w.kind == "checkbox":
            if w.checked:
                add(w.name, "true")
        elif w.kind in ("parties", "choices"):
            for value in w.values:
                add(w.name, value)
        else:
            add(w.name, w.value)

    walk(widget)
    return out


def test_the_sample_bodies_are_valid() -> None:
    for form_id, body in BODIES.items():
        get_form(form_id).validate(body)


@pytest.mark.parametrize("form_id", sorted(BODIES))
def test_a_body_drawn_and_posted_back_reads_as_the_same_body(form_id: str) -> None:
    spec = get_form(form_id)
    view = build(spec, BODIES[form_id], parties=PARTIES)
    body, errors = read(spec, posted(view.root))
    assert errors == {}
    assert body == BODIES[form_id]


@pytest.mark.parametrize("form_id", sorted(registry()))
@pytest.mark.parametrize("language", ["en", "ar", "fa"])
def test_every_form_is_drawn_blank_with_unique_names_and_ids(form_id: str,
                                                             language: str) -> None:
    view = build(registry()[form_id], None, language=language, parties=PARTIES)
    names: list[str] = []
    ids: list[str] = []

    def walk(w: Widget) -> None:
        ids.append(w.id)
        if w.kind not in ("root", "object", "row", "array", "variant", "union"):
            names.append(w.name)
        for child in w.children:
            walk(child)

    walk(view.root)
    assert len(set(ids)) == len(ids)
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", i) for i in ids)


def test_labels_come_from_the_catalog_of_the_readers_language() -> None:
    view = build(get_form("activity-notification@1"), None, language="fa")
    kind = view.root.children[0]
    english = build(get_form("activity-notification@1"), None).root.children[0].label
    assert kind.label == form_word(english, "fa", "activity-notification@1") != english
    with i18n.use("fa"):
        forces = next(w for w in view.root.children if w.name == "body.forces")
        troops, tanks = forces.children[0], forces.children[1]
        assert troops.label == i18n.gettext("Troops") != "Troops"
        assert tanks.label == i18n.gettext("Battle tanks") != "Battle tanks"
    assert kind.label_lang is None and tanks.label_lang is None


def test_html5_constraints_come_from_the_schema() -> None:
    view = build(get_form("activity-notification@1"), None)
    by_name = {w.name: w for w in view.root.children}
    assert by_name["body.name"].html_required
    assert by_name["body.name"].attrs["maxlength"] == "200"
    assert by_name["body.start"].kind == "date"
    assert not by_name["body.calendar_ref"].html_required
    assert by_name["body.calendar_ref"].attrs["pattern"] == r"[A-Za-z0-9][A-Za-z0-9._\/\-]{0,39}"
    troops = by_name["body.forces"].children[0]
    assert troops.attrs["min"] == "0" and troops.attrs["step"] == "1"
    area = by_name["body.area"]
    lat = area.children[0].children[0].children[0]
    assert lat.name == "body.area.@circle.centre.lat" and not lat.html_required


def test_a_number_that_is_not_one_is_kept_and_named() -> None:
    spec = get_form("activity-notification@1")
    body, errors = read(spec, {"body.forces.troops": ["many"],
                               "body.area.@": ["circle"],
                               "body.area.@circle.radius_km": ["1e3"]})
    assert errors == {"forces.troops": "expected a whole number"}
    assert body["forces"] == {"troops": "many"}
    assert body["area"] == {"kind": "circle", "centre": {}, "radius_km": 1000.0}


def test_blank_rows_are_left_out_and_error_keys_follow_the_rows_kept() -> None:
    spec = get_form("observation-reply@1")
    form = {"body.invitation": [EID], "body.decision": ["accept"],
            "body.observers.0.name": [""], "body.observers.0.rank": [""],
            "body.observers.4.name": [""], "body.observers.4.rank": ["Major"]}
    body, errors = read(spec, form)
    assert body["observers"] == [{"rank": "Major"}]
    with pytest.raises(InvalidFormBody) as caught:
        spec.validate(body)
    assert ("observers.0.name", "Field required") in caught.value.fields
    view = build(spec, body, dict(caught.value.fields))
    rows = next(w for w in view.root.children if w.name == "body.observers").children
    assert rows[0].children[0].error == "This is required."
    assert [e.target for e in view.errors] == ["f-body-observers-0-name"]


def test_rows_are_added_and_removed_by_name() -> None:
    spec = get_form("observation-reply@1")
    draft, _ = read(spec, {"body.observers.0.name": ["A"], "body.observers.1.name": [""]},
                    keep_blank_rows=True)
    assert draft["observers"] == [{"name": "A"}, {}]
    assert add_row(draft, "body.observers")
    assert len(draft["observers"]) == 3
    assert remove_row(draft, "body.observers.0")
    assert draft["observers"] == [{}, {}]
    assert not remove_row(draft, "body.observers.9")
    assert not add_row(draft, "elsewhere.observers")


def test_a_row_template_carries_placeholders_for_the_script() -> None:
    view = build(get_form("activity-notification@1"), None)
    firing = next(w for w in view.root.children if w.name == "body.live_firing")
    assert firing.token == "__i0__" and firing.template is not None
    assert firing.template.name == "body.live_firing.__i0__"
    assert firing.template.label.endswith("__n0__")
    inner = firing.template.children[0].children[1].children[0]
    assert inner.kind == "array" and inner.token == "__i1__"


@pytest.mark.parametrize(("pattern", "expected"), [
    ("^[A-Z]{2,6}$", "[A-Z]{2,6}"),
    ("^[0-9a-f]{64}$", "[0-9a-f]{64}"),
    ("^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$", r"[A-Za-z0-9][A-Za-z0-9._\/\-]{0,39}"),
    ("[a-z]+", None),
])
def test_schema_patterns_become_html_patterns(pattern: str, expected: str | None) -> None:
    assert html_pattern(pattern) == expected


def test_a_body_is_shown_with_labels_in_the_schemas_order() -> None:
    shown = show(get_form("activity-notification@1"), BODIES["activity-notification@1"],
                 language="ar")
    with i18n.use("ar"):
        area_word = i18n.gettext("Area")
        assert shown[0].text == form_word("Naval", "ar", "activity-notification@1") != "Naval"
        area = next(s for s in shown if s.label.startswith(
            i18n.pgettext("activity-notification@1", "Area")) or s.label.startswith(area_word))
        assert area.kind == "object"
        assert [c.label for c in area.children] == [i18n.gettext("Centre"),
                                                    i18n.gettext("Radius (km)")]
    firing = next(s for s in shown if s.kind == "list")
    assert firing.items[0].kind == "object"
    plain = show(None, {"anything": [1, {"x": True}]})
    assert plain[0].kind == "list" and plain[0].items[1].children[0].text == "true"


def test_english_is_the_source_and_needs_no_catalog() -> None:
    spec: FormSpec = get_form("message@1")
    view = build(spec, None, language="en")
    subject = view.root.children[0]
    assert subject.label == "Subject" and subject.label_lang is None