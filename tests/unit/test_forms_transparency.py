"""The military transparency forms: good bodies are accepted, every bad field is named (cross-field
checks included), values must already have their JSON type, every field is labelled and
bounded, and labels in other languages name real fields."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Iterator
from typing import Any, get_args

import pytest
from pydantic import BaseModel

from gulfsec import i18n
from gulfsec.domain.forms import get_form, registry
from gulfsec.errors import InvalidFormBody
from gulfsec.web.forms import build

EID = hashlib.sha256(b"a notification").hexdigest()
POINT = {"lat": 26.5, "lon": 56.25}
CIRCLE = {"kind": "circle", "centre": POINT, "radius_km": 40}
RING = [{"lat": 26, "lon": 56}, {"lat": 26.5, "lon": 56}, {"lat": 26.5, "lon": 56.5},
        {"lat": 26, "lon": 56}]
POLYGON = {"kind": "polygon", "points": RING}
COSTS = {"personnel": 10, "operations_maintenance": 20, "procurement_construction": 30,
         "research_development": 0}

GOOD: dict[str, dict[str, Any]] = {
    "annual-exchange@1": {
        "year": 2027,
        "command_organisation": [
            {"ref": "GS", "name": "General Staff"},
            {"ref": "NAV", "name": "Navy Command", "subordinate_to": "GS"},
        ],
        "units": [{
            "ref": "1BDE", "name": "1st Naval Brigade", "service": "naval", "command": "NAV",
            "location": {"name": "Bandar Abbas", "point": POINT}, "personnel": 2400,
            "weapons": {"major_surface_combatants": 4, "submarines": 1},
        }],
        "deployment_plans": [{"category": "submarines", "system": "Fateh class", "quantity": 1,
                              "year": 2028}],
    },
    "defence-planning@1": {
        "budget_year": 2027, "budget_approval_date": "2027-03-10", "currency": "IRR",
        "policy": "Deterrence and defence.", "force_planning": "Maintain the fleet.",
        "previous_expenditure": {"year": 2026, "amount": 10**15}, "budget": 2 * 10**15,
        "plans": [{"year": 2028, "amount": 3 * 10**15}],
    },
    "annual-calendar@1": {
        "year": 2027,
        "activities": [{
            "ref": "IRN-27-1", "kind": "naval", "name": "Velayat 1406", "start": "2027-03-01",
            "end": "2027-03-05", "area": POLYGON, "forces": {"major_surface_combatants": 6},
            "observed": True,
        }],
        "later_activities": [{
            "ref": "IRN-29-1", "kind": "land", "name": "Great Prophet", "start": "2029-04-01",
            "end": "2029-04-10", "area": CIRCLE, "forces": {"troops": 45_000},
            "observed": True,
        }],
    },
    "activity-notification@1": {
        "kind": "amphibious", "name": "Velayat 1406", "purpose": "Training of the fleet.",
        "start": "2027-03-01", "end": "2027-03-01", "area": POLYGON,
        "forces": {"troops": 9000, "amphibious_ships": 3, "aircraft_sorties": 40},
        "live_firing": [{"area": CIRCLE, "distance_to_territorial_sea_nm": 8.5,
                         "nearest_participant": "ARE"}],
        "participating_states": ["RUS", "CHN"], "calendar_ref": "IRN-27-1",
    },
    "observation-invitation@1": {
        "notification": EID, "programme": "Day 1: briefing. Day 2: at sea.",
        "arrival": "2027-03-01", "arrival_point": "Bandar Abbas", "departure": "2027-03-03",
        "observers_per_state": 2, "reply_by": "2027-02-01",
    },
    "observation-reply@1": {
        "invitation": EID, "decision": "accept",
        "observers": [{"name": "Col. A. Rahman", "rank": "Colonel"}, {"name": "Maj. B. Ali"}],
    },
    "arms-transfers@1": {
        "year": 2026, "nil_report": False,
        "exports": [{"partner": "IRQ", "category": "II", "quantity": 20, "description": "APC"}],
        "imports": [{"partner": "RUS", "category": "IV", "quantity": 2},
                    {"partner": "CHN", "category": "SALW", "quantity": 500}],
    },
    "military-expenditure@1": {
        "year": 2026,
        "report": {"kind": "standardised", "currency": "SAR",
                   "matrix": {"land": COSTS, "naval": COSTS, "air": COSTS, "central": COSTS}},
    },
    "nonproliferation-declaration@1": {
        "as_of": "2027-01-01",
        "treaties": {"npt": "party", "cwc": "party", "bwc": "party", "ctbt": "signatory"},
        "iaea_safeguards_agreement": True, "iaea_additional_protocol": True,
        "wmd_free_zone_support": True, "statement": "We support the zone.",
    },
}
ALSO_GOOD: list[tuple[str, dict[str, Any]]] = [
    ("arms-transfers@1", {"year": 2026, "nil_report": True}),
    ("military-expenditure@1", {"year": 2026, "report": {"kind": "nil"}}),
    ("military-expenditure@1",
     {"year": 2026, "report": {"kind": "simplified", "currency": "QAR", "totals": COSTS}}),
    ("observation-reply@1", {"invitation": EID, "decision": "decline", "note": "Not this time."}),
    ("annual-calendar@1", {"year": 2027, "activities": []}),
]


def changed(form_id: str, change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    body = copy.deepcopy(GOOD[form_id])
    change(body)
    return body


def problems(form_id: str, body: Any) -> dict[str, str]:
    """The bad fields, by dotted path, as both validate and parse name them."""
    spec = get_form(form_id)
    with pytest.raises(InvalidFormBody) as by_validate:
        spec.validate(body)
    with pytest.raises(InvalidFormBody) as by_parse:
        spec.parse(body)
    assert by_validate.value.fields == by_parse.value.fields
    return dict(by_validate.value.fields)


# -- good bodies ----------------------------------------------------------------------------


@pytest.mark.parametrize("form_id", sorted(GOOD))
def test_a_good_body_is_accepted_unchanged_and_parsed_into_its_model(form_id: str) -> None:
    spec = get_form(form_id)
    body = GOOD[form_id]
    assert spec.validate(body) is body
    assert isinstance(spec.parse(body), spec.model)


@pytest.mark.parametrize(("form_id", "body"), ALSO_GOOD,
                         ids=[f"{f}-{i}" for i, (f, _) in enumerate(ALSO_GOOD)])
def test_nil_simplified_and_declining_variants_are_accepted(
    form_id: str, body: dict[str, Any]
) -> None:
    get_form(form_id).validate(body)
    get_form(form_id).parse(body)


def test_the_transparency_forms_are_all_registered() -> None:
    assert set(GOOD) <= set(registry())


# -- bad bodies, field by field ----------------------------------------------------------------

BAD: list[tuple[str, Callable[[dict[str, Any]], object], str, str]] = [
    ("activity-notification@1", lambda b: b.update(end="2027-02-28"), "end",
     "2027-02-28 is before start (2027-03-01)"),
    ("activity-notification@1", lambda b: b["area"]["points"].pop(), "area.polygon.points",
     "at least 4"),
    ("activity-notification@1", lambda b: b["area"]["points"][-1].update(lat=27),
     "area.polygon.points", "the ring is not closed"),
    ("activity-notification@1",
     lambda b: b.update(area={"kind": "polygon", "points": [POINT, POINT, POINT, POINT]}),
     "area.polygon.points", "at least 3 distinct points"),
    ("activity-notification@1", lambda b: b.update(area={**CIRCLE, "centre": {"lat": 91,
                                                                              "lon": 0}}),
     "area.circle.centre.lat", "less than or equal to 90"),
    ("activity-notification@1", lambda b: b.update(area={**CIRCLE, "radius_km": 0}),
     "area.circle.radius_km", "greater than 0"),
    ("activity-notification@1", lambda b: b.update(area={"kind": "hexagon"}), "area",
     "does not match any of the expected tags"),
    ("activity-notification@1", lambda b: b["forces"].update(troops=-1), "forces.troops",
     "greater than or equal to 0"),
    ("activity-notification@1", lambda b: b["forces"].update(troops=10**8), "forces.troops",
     "less than or equal to 10000000"),
    ("activity-notification@1", lambda b: b["forces"].update(tanks=3), "forces.tanks",
     "Extra inputs"),
    ("activity-notification@1", lambda b: b.update(kind="space"), "kind", "'land'"),
    ("activity-notification@1",
     lambda b: b["live_firing"][0].update(distance_to_territorial_sea_nm=-1),
     "live_firing.0.distance_to_territorial_sea_nm", "greater than or equal to 0"),
    ("activity-notification@1", lambda b: b.update(participating_states=["RUS", "RUS"]),
     "participating_states", "state 'RUS' is listed twice"),
    ("activity-notification@1", lambda b: b.update(calendar_ref="has space"), "calendar_ref",
     "pattern"),
    ("activity-notification@1", lambda b: b.update(name="x" * 201), "name", "at most 200"),
    ("activity-notification@1", lambda b: b.update(start="2027-02-30"), "start",
     "no such day: 2027-02-30"),
    ("annual-calendar@1", lambda b: b["activities"][0].update(start="2028-01-01",
                                                             end="2028-01-02"),
     "activities", "item 0 ('IRN-27-1') starts on 2028-01-01, outside 2027"),
    ("annual-calendar@1", lambda b: b["later_activities"][0].update(start="2027-06-01"),
     "later_activities", "outside 2028 to 2032"),
    ("annual-calendar@1", lambda b: b["later_activities"][0].update(ref="IRN-27-1"),
     "later_activities", "also in activities"),
    ("annual-calendar@1", lambda b: b["activities"][0].update(end="2027-02-01"),
     "activities.0.end", "is before start"),
    ("annual-calendar@1", lambda b: b["activities"][0].update(observed=1),
     "activities.0.observed", "expected true or false"),
    ("annual-exchange@1", lambda b: b["units"][0].update(command="ARMY"), "units",
     "unit '1BDE' reports to unknown command 'ARMY'"),
    ("annual-exchange@1", lambda b: b["command_organisation"][1].update(subordinate_to="X"),
     "command_organisation", "subordinate to unknown command 'X'"),
    ("annual-exchange@1", lambda b: b["command_organisation"].append({"ref": "GS", "name": "x"}),
     "command_organisation", "command 'GS' is listed twice"),
    ("annual-exchange@1", lambda b: b.update(command_organisation=[]), "command_organisation",
     "at least 1"),
    ("annual-exchange@1", lambda b: b.update(year=1989), "year", "greater than or equal to 1990"),
    ("annual-exchange@1", lambda b: b["deployment_plans"][0].update(quantity=0),
     "deployment_plans.0.quantity", "greater than or equal to 1"),
    ("defence-planning@1", lambda b: b.update(budget_approval_date="2030-01-01"),
     "budget_approval_date", "not within two years before or one year after budget year 2027"),
    ("defence-planning@1", lambda b: b["previous_expenditure"].update(year=2025),
     "previous_expenditure", "must be for 2026, not 2025"),
    ("defence-planning@1", lambda b: b["plans"].append({"year": 2027, "amount": 1}), "plans",
     "a plan must be for a year after 2027"),
    ("defence-planning@1", lambda b: b.update(budget=2**53), "budget", "less than or equal to"),
    ("defence-planning@1", lambda b: b.update(currency="rial"), "currency", "pattern"),
    ("observation-invitation@1", lambda b: b.update(departure="2027-02-28"), "departure",
     "is before arrival"),
    ("observation-invitation@1", lambda b: b.update(reply_by="2027-03-02"), "reply_by",
     "is after arrival (2027-03-01)"),
    ("observation-invitation@1", lambda b: b.update(observers_per_state=11),
     "observers_per_state", "less than or equal to 10"),
    ("observation-invitation@1", lambda b: b.update(notification="nope"), "notification",
     "pattern"),
    ("observation-reply@1", lambda b: b.update(observers=[]), "observers",
     "an acceptance names at least one observer"),
    ("observation-reply@1", lambda b: b.update(decision="decline"), "observers",
     "a refusal names no observers"),
    ("arms-transfers@1", lambda b: b.update(nil_report=True), "exports",
     "a nil report has no rows"),
    ("arms-transfers@1", lambda b: b.update(exports=[], imports=[]), "imports",
     "a report with no exports and no imports must be a nil report"),
    ("arms-transfers@1", lambda b: b["exports"][0].update(category="VIII"),
     "exports.0.category", "'SALW'"),
    ("arms-transfers@1", lambda b: b["imports"][0].update(quantity=0), "imports.0.quantity",
     "greater than or equal to 1"),
    ("military-expenditure@1", lambda b: b["report"]["matrix"]["air"].update(personnel=-5),
     "report.standardised.matrix.air.personnel", "greater than or equal to 0"),
    ("military-expenditure@1", lambda b: b["report"].update(kind="estimate"), "report",
     "does not match any of the expected tags"),
    ("military-expenditure@1", lambda b: b["report"].pop("matrix"),
     "report.standardised.matrix", "Field required"),
    ("nonproliferation-declaration@1", lambda b: b.update(iaea_safeguards_agreement=False),
     "iaea_additional_protocol",
     "an additional protocol cannot be in force without a safeguards agreement"),
    ("nonproliferation-declaration@1", lambda b: b["treaties"].update(npt="withdrawn"),
     "treaties.npt", "'not-party'"),
]


@pytest.mark.parametrize(
    ("form_id", "change", "field", "message"), BAD,
    ids=[f"{form}:{field}:{n}" for n, (form, _, field, _) in enumerate(BAD)],
)
def test_a_bad_body_is_refused_naming_the_field_and_what_is_wrong(
    form_id: str, change: Callable[[dict[str, Any]], object], field: str, message: str
) -> None:
    found = problems(form_id, changed(form_id, change))
    assert field in found, found
    assert message in found[field], found


def test_every_bad_field_is_named_at_once() -> None:
    body = changed("activity-notification@1", lambda b: b.update(
        end="2027-01-01", name="", forces={"troops": "many"}, colour="green"))
    assert set(problems("activity-notification@1", body)) == {
        "end", "name", "forces.troops", "colour"
    }


@pytest.mark.parametrize(
    ("form_id", "path", "value"),
    [
        ("activity-notification@1", ("forces", "troops"), "9000"),
        ("activity-notification@1", ("forces", "troops"), 9000.0),
        ("activity-notification@1", ("forces", "troops"), True),
        ("activity-notification@1", ("start",), 1_800_000_000),
        ("activity-notification@1", ("start",), "2027-03-01T00:00:00Z"),
        ("activity-notification@1", ("area", "centre", "lat"), "26.5"),
        ("activity-notification@1", ("area", "centre", "lat"), True),
        ("arms-transfers@1", ("nil_report",), 0),
        ("arms-transfers@1", ("nil_report",), "false"),
        ("arms-transfers@1", ("year",), "2026"),
        ("nonproliferation-declaration@1", ("wmd_free_zone_support",), "yes"),
        ("defence-planning@1", ("budget",), 1.5),
    ],
)
def test_values_must_already_have_their_json_type(
    form_id: str, path: tuple[str, ...], value: Any
) -> None:
    body = copy.deepcopy(GOOD[form_id])
    if path[0] == "area":
        body["area"] = copy.deepcopy(CIRCLE)
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    found = problems(form_id, body)
    dotted = ".".join(path) if path[0] != "area" else "area.circle." + ".".join(path[1:])
    assert dotted in found, found


# -- schema and labels ----------------------------------------------------------------------


def _properties(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(model, field, field schema) for the top model and every model in $defs."""
    for model, sub in [("(body)", schema), *schema.get("$defs", {}).items()]:
        for name, prop in sub.get("properties", {}).items():
            yield model, name, prop


def _leaves(prop: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The value schemas a field allows (through optional and list wrappers)."""
    if "anyOf" in prop:
        for option in prop["anyOf"]:
            yield from _leaves(option)
    elif prop.get("type") == "array":
        yield prop
        yield from _leaves(prop["items"])
    else:
        yield prop


@pytest.mark.parametrize("form_id", sorted(GOOD))
def test_every_field_has_an_english_title_and_description(form_id: str) -> None:
    schema = get_form(form_id).json_schema()
    for model, name, prop in _properties(schema):
        # A field whose title is its model's keeps it on the model ($ref), as pydantic writes.
        referred = schema["$defs"][prop["$ref"].rsplit("/", 1)[1]] if "$ref" in prop else {}
        assert prop.get("title") or referred.get("title"), f"{model}.{name} has no title"
        assert prop.get("description"), f"{model}.{name} has no description"


@pytest.mark.parametrize("form_id", sorted(GOOD))
def test_every_number_string_and_list_is_bounded(form_id: str) -> None:
    for model, name, prop in _properties(get_form(form_id).json_schema()):
        for leaf in _leaves(prop):
            kind = leaf.get("type")
            where = f"{model}.{name}"
            if kind in ("integer", "number"):
                assert "maximum" in leaf, where
                assert "minimum" in leaf or "exclusiveMinimum" in leaf, where
            elif kind == "string":
                assert {"maxLength", "pattern", "enum", "const", "format"} & set(leaf), where
            elif kind == "array":
                assert "maxItems" in leaf, where


def test_dates_are_dates_in_the_schema() -> None:
    props = get_form("activity-notification@1").json_schema()["properties"]
    assert props["start"]["type"] == "string"
    assert props["start"]["format"] == "date"


def _resolve(model: type[BaseModel], path: str) -> bool:
    """Whether the dotted ``path`` (list indexes left out) names a field of ``model``."""
    current = {model}
    for part in path.split("."):
        fields = [m.model_fields[part] for m in current if part in m.model_fields]
        if not fields:
            return False
        current = {sub for field in fields for sub in _models_in(field.annotation)}
    return True


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    """The models a field's type holds, through lists, unions and annotations."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in get_args(annotation):
        yield from _models_in(arg)


@pytest.mark.parametrize("form_id", sorted(GOOD))
def test_every_label_of_the_form_reads_in_each_language(form_id: str) -> None:
    spec = get_form(form_id)
    english = build(spec, None, language="en")
    for language in i18n.languages_in_catalogs():
        shown = build(spec, None, language=language)
        pairs = list(zip(_labels(english.root), _labels(shown.root), strict=True))
        changed = [en for en, there in pairs if en != there]
        # Every label comes from the catalog; some words are the same in both languages
        # (Latitude in French, NPT), most are not.
        assert len(changed) >= len(pairs) / 2, (form_id, language)


def _labels(widget: Any) -> Iterator[str]:
    yield widget.label
    for child in widget.children:
        yield from _labels(child)
