"""The form registry: every kind of body gulfsec accepts, and nothing else."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from gulfsec.domain.forms import FormSpec, get_form, registry
from gulfsec.domain.forms.acknowledgement import Acknowledgement
from gulfsec.domain.forms.keys import KeyRegistration, KeyRevocation, KeyRotation
from gulfsec.domain.forms.message import Message
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import RIGHTS
from gulfsec.errors import InvalidFormBody, UnknownForm

EID = hashlib.sha256(b"entry").hexdigest()
VKEY = SigningKey("IRN", bytes(32)).verifier.encode()

GOOD_BODIES: dict[str, dict[str, Any]] = {
    "key-registration@1": {"party": "IRN", "vkey": VKEY},
    "key-rotation@1": {"vkey": VKEY},
    "key-revocation@1": {"party": "IRN", "key": "0a1b2c3d", "reason": "laptop lost"},
    "message@1": {"subject": "Naval exercise", "text": "Notice.", "level": "minister"},
    "acknowledgement@1": {"entries": [EID]},
    # The military transparency forms (richer bodies in test_forms_transparency.py).
    "annual-exchange@1": {
        "year": 2027,
        "command_organisation": [{"ref": "GS", "name": "General Staff"}],
        "units": [],
    },
    "defence-planning@1": {
        "budget_year": 2027, "budget_approval_date": "2026-12-20", "currency": "IRR",
        "policy": "Defensive.", "force_planning": "Steady.",
        "previous_expenditure": {"year": 2026, "amount": 100}, "budget": 110,
    },
    "annual-calendar@1": {"year": 2027, "activities": []},
    "activity-notification@1": {
        "kind": "naval", "name": "Velayat", "purpose": "Training.",
        "start": "2027-03-01", "end": "2027-03-05",
        "area": {"kind": "circle", "centre": {"lat": 26.5, "lon": 56.2}, "radius_km": 40},
        "forces": {"major_surface_combatants": 6},
    },
    "observation-invitation@1": {
        "notification": EID, "programme": "Day 1: briefing.", "arrival": "2027-03-01",
        "arrival_point": "Bandar Abbas", "departure": "2027-03-03", "observers_per_state": 2,
        "reply_by": "2027-02-15",
    },
    "observation-reply@1": {"invitation": EID, "decision": "decline"},
    "arms-transfers@1": {"year": 2026, "nil_report": True},
    "military-expenditure@1": {"year": 2026, "report": {"kind": "nil"}},
    "nonproliferation-declaration@1": {
        "as_of": "2027-01-01",
        "treaties": {"npt": "party", "cwc": "party", "bwc": "party", "ctbt": "signatory"},
        "iaea_safeguards_agreement": True, "iaea_additional_protocol": False,
        "wmd_free_zone_support": True,
    },
    # Deciding together (richer cases in tests/unit/procedures/).
    "draft-decision@1": {
        "kind": "text", "title": "Hotline terms", "text": "The parties agree.", "format": "gcc",
        "procedure": "silence", "closes_at": "2027-03-08T12:00:00Z",
    },
    "position@1": {"draft": EID, "position": "stand-aside", "statement": "Without prejudice."},
    "amendment@1": {"draft": EID, "text": "The parties agree in principle."},
    "draft-withdrawal@1": {"draft": EID},
    "decision-outcome@1": {"draft": EID, "outcome": "adopted"},
    # Consultations, meetings, mediation (richer cases in tests/unit/procedures/).
    "thread@1": {"subject": "Maritime security", "level": "scholar", "text": "Track two.",
                 "attachments": [{"name": "note-verbale.pdf", "media_type": "application/pdf",
                                  "size": 2048, "sha256": "b" * 64}]},
    "reply@1": {"thread": EID, "text": "Agreed."},
    "meeting@1": {"title": "P5+1 and Iran", "format": "p5+1+iran", "level": "minister",
                  "starts_at": "2027-02-10T09:00:00Z", "timezone": "Asia/Tehran",
                  "place": "online", "agenda": ["Opening"]},
    "meeting-reply@1": {"meeting": EID, "reply": "propose-time",
                        "proposed_at": "2027-02-11T09:00:00Z"},
    "agenda-proposal@1": {"meeting": EID, "item": "Maritime security"},
    "meeting-update@1": {"meeting": EID, "agenda": ["Opening", "Maritime security"]},
    "mediation-request@1": {"parties": ["QAT", "SAU"], "mediator": "KWT"},
    "mediation-withdrawal@1": {"parties": ["QAT", "SAU"], "mediator": "KWT"},
    "mediation-answer@1": {"parties": ["QAT", "SAU"], "mediator": "KWT", "answer": "accept"},
    "mediation-proposal@1": {"parties": ["QAT", "SAU"], "mediator": "KWT", "title": "Talks",
                             "text": "Meet in Kuwait City."},
    "mediation-response@1": {"proposal": EID, "response": "accept"},
    # Risk reduction (richer cases in tests/unit/procedures/test_risk.py).
    "unusual-activity@1": {"addressee": "IRN", "activity_type": "naval",
                           "description": "Twelve fast boats massing.",
                           "area_name": "Strait of Hormuz",
                           "observed_from": "2027-01-31T20:00:00Z", "concern": "Unannounced."},
    "unusual-activity-reply@1": {"request": EID, "explanation": "A scheduled exercise."},
    "unusual-activity-meeting@1": {"request": EID, "meeting": "bilateral"},
    "incident-report@1": {"occurred_at": "2027-02-01T06:00:00Z",
                          "position": {"lat": 26.6, "lon": 56.3}, "other_party": "IRN",
                          "units": [{"party": "USA", "kind": "ship", "name": "Example",
                                     "hull_number": "DDG-0"}],
                          "events": ["unsafe-manoeuvre"], "account": "Too close."},
    "incident-response@1": {"report": EID, "account": "A safe distance.",
                            "disputed": "The distance."},
    # The hotline (richer cases in test_hotline_sealing.py).
    "encryption-key@1": {"key": "j0DFrbaPJWJK5bIU6nZ6bslNgp09e14a0bpvPiE4KF8",
                         "key_id": "eedd883d", "not_after": "2027-01-31T12:00:00Z"},
    "hotline@1": {"recipients": [{"party": "SAU", "key": "eedd883d", "enc": "AQEB" * 20}]},
    "hotline-receipt@1": {"message": EID},
}


def fields_of(err: InvalidFormBody) -> dict[str, str]:
    return dict(err.fields)


# -- the registry -------------------------------------------------------------------------------


def test_the_registry_holds_exactly_the_known_forms() -> None:
    assert set(registry()) == set(GOOD_BODIES)


def test_every_form_id_reads_name_at_version_and_matches_its_key() -> None:
    for form_id, spec in registry().items():
        assert spec.id == form_id
        name, _, version = form_id.partition("@")
        assert name and version.isdigit()
        assert spec.title


@pytest.mark.parametrize(
    "form_id", ["nonsense@1", "message@2", "message", "MESSAGE@1", "", "message@1 "]
)
def test_an_unknown_form_is_refused(form_id: str) -> None:
    with pytest.raises(UnknownForm) as err:
        get_form(form_id)
    assert err.value.form == form_id
    assert err.value.code == "unknown_form"
    assert repr(form_id) in str(err.value)


@pytest.mark.parametrize("form_id", sorted(GOOD_BODIES))
def test_a_good_body_is_accepted_and_returned_unchanged(form_id: str) -> None:
    body = GOOD_BODIES[form_id]
    assert get_form(form_id).validate(body) is body


@pytest.mark.parametrize(
    ("form_id", "model"),
    [
        ("key-registration@1", KeyRegistration),
        ("key-rotation@1", KeyRotation),
        ("key-revocation@1", KeyRevocation),
        ("message@1", Message),
        ("acknowledgement@1", Acknowledgement),
    ],
)
def test_parse_gives_the_forms_typed_model(form_id: str, model: type) -> None:
    assert isinstance(get_form(form_id).parse(GOOD_BODIES[form_id]), model)


def test_a_message_level_defaults_to_expert() -> None:
    parsed = get_form("message@1").parse({"subject": "s", "text": "t"})
    assert isinstance(parsed, Message)
    assert parsed.level == "expert"


# -- invalid bodies -----------------------------------------------------------------------------


@pytest.mark.parametrize("body", [[], "text", 1, None])
def test_a_body_that_is_not_an_object_is_refused(body: Any) -> None:
    with pytest.raises(InvalidFormBody) as err:
        get_form("message@1").validate(body)
    assert err.value.fields == [("body", "must be a JSON object")]


def test_every_bad_field_is_named_not_just_the_first() -> None:
    with pytest.raises(InvalidFormBody) as err:
        get_form("message@1").validate({"subject": 5, "text": "", "colour": "red"})
    problems = fields_of(err.value)
    assert set(problems) == {"subject", "text", "colour"}
    assert "valid string" in problems["subject"]
    assert "at least 1 character" in problems["text"]
    assert "Extra inputs" in problems["colour"]
    assert err.value.form == "message@1"
    assert str(err.value).startswith("form message@1: ")
    for path in ("subject", "text", "colour"):
        assert f"{path}: " in str(err.value)


def test_a_missing_required_field_is_named() -> None:
    with pytest.raises(InvalidFormBody) as err:
        get_form("message@1").validate({"subject": "s"})
    assert set(fields_of(err.value)) == {"text"}
    assert "required" in fields_of(err.value)["text"].lower()


def test_a_bad_item_in_a_list_is_named_by_its_dotted_path() -> None:
    with pytest.raises(InvalidFormBody) as err:
        get_form("acknowledgement@1").validate({"entries": [EID, EID.upper()]})
    assert set(fields_of(err.value)) == {"entries.1"}


def test_the_error_lists_the_fields_for_the_api() -> None:
    with pytest.raises(InvalidFormBody) as err:
        get_form("message@1").validate({"subject": "", "text": "t"})
    data = err.value.to_dict()
    assert data["error"] == "invalid_form_body"
    assert data["fields"] == [
        {"field": "subject", "problem": fields_of(err.value)["subject"]}
    ]


@pytest.mark.parametrize(
    ("form_id", "body", "bad"),
    [
        ("message@1", {"subject": "s" * 201, "text": "t"}, "subject"),
        ("message@1", {"subject": "s", "text": "t" * 20_001}, "text"),
        ("message@1", {"subject": "s", "text": "t", "level": "president"}, "level"),
        ("message@1", {"subject": "s", "text": "t", "level": None}, "level"),
        ("message@1", {"subject": ["s"], "text": "t"}, "subject"),
        ("key-registration@1", {"party": "irn", "vkey": VKEY}, "party"),
        ("key-registration@1", {"party": "IRAN123", "vkey": VKEY}, "party"),
        ("key-registration@1", {"party": "IRN", "vkey": "short"}, "vkey"),
        ("key-registration@1", {"party": "IRN"}, "vkey"),
        ("key-rotation@1", {"vkey": VKEY, "party": "IRN"}, "party"),
        ("key-rotation@1", {"vkey": 42}, "vkey"),
        ("key-revocation@1", {"party": "IRN", "key": "0A1B2C3D", "reason": "x"}, "key"),
        ("key-revocation@1", {"party": "IRN", "key": "0a1b2c3", "reason": "x"}, "key"),
        ("key-revocation@1", {"party": "IRN", "key": "0a1b2c3d", "reason": ""}, "reason"),
        ("acknowledgement@1", {"entries": []}, "entries"),
        ("acknowledgement@1", {"entries": [EID] * 65}, "entries"),
        ("acknowledgement@1", {"entries": EID}, "entries"),
        ("acknowledgement@1", {"entries": ["0" * 63]}, "entries.0"),
        ("acknowledgement@1", {"entries": [EID], "withheld": ["b" * 64]}, "withheld"),
    ],
    ids=[
        "subject-too-long", "text-too-long", "unknown-level", "null-level", "subject-list",
        "party-lowercase", "party-too-long", "vkey-too-short", "vkey-missing",
        "rotation-extra-field", "vkey-number", "key-uppercase", "key-short", "reason-empty",
        "no-entries", "too-many-entries", "entries-not-list", "entry-id-short",
        "withheld-not-acknowledged",
    ],
)
def test_invalid_bodies_are_refused_naming_the_bad_field(
    form_id: str, body: dict[str, Any], bad: str
) -> None:
    with pytest.raises(InvalidFormBody) as err:
        get_form(form_id).validate(body)
    assert bad in fields_of(err.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [("subject", 1), ("subject", True), ("text", 1.5), ("level", 1)],
)
def test_values_are_not_coerced_into_strings(field: str, value: Any) -> None:
    body: dict[str, Any] = {"subject": "s", "text": "t", field: value}
    with pytest.raises(InvalidFormBody) as err:
        get_form("message@1").validate(body)
    assert field in fields_of(err.value)


def test_parse_refuses_an_invalid_body_with_invalid_form_body_not_a_library_error() -> None:
    with pytest.raises(InvalidFormBody) as err:
        get_form("key-registration@1").parse({"party": "IRN"})
    assert "vkey" in fields_of(err.value)


# -- JSON Schema --------------------------------------------------------------------------------


@pytest.mark.parametrize("form_id", sorted(GOOD_BODIES))
def test_a_json_schema_is_produced_for_every_form(form_id: str) -> None:
    spec = get_form(form_id)
    schema = spec.json_schema()
    assert schema["$id"] == f"urn:gulfsec:form:{form_id}"
    assert schema["title"] == spec.title
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) <= set(schema["properties"])
    assert set(GOOD_BODIES[form_id]) <= set(schema["properties"])
    json.dumps(schema)  # serialisable as it is


def test_the_schema_carries_the_constraints_the_validator_enforces() -> None:
    props = get_form("key-revocation@1").json_schema()["properties"]
    assert props["key"]["pattern"] == "^[0-9a-f]{8}$"
    assert props["party"]["pattern"] == "^[A-Z]{2,6}$"
    message = get_form("message@1").json_schema()
    assert message["properties"]["subject"]["maxLength"] == 200
    assert message["properties"]["level"]["enum"] == ["minister", "expert"]
    assert set(message["required"]) == {"subject", "text"}


def test_a_form_spec_is_a_plain_value() -> None:
    spec = FormSpec("x@1", "X", Message, right="send", summary=lambda body: "x")
    assert spec == FormSpec("x@1", "X", Message, right="send", summary=lambda body: "y")
    assert spec.description == ""


def test_every_form_declares_the_right_its_sender_needs() -> None:
    for spec in registry().values():
        assert spec.right in RIGHTS, spec.id


def test_a_form_without_a_known_right_is_refused_when_the_registry_loads(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import gulfsec.domain.forms as forms
    from gulfsec.domain.forms import message

    bad = FormSpec("x@1", "X", Message, right="", summary=lambda body: "x")
    monkeypatch.setattr(message, "FORMS", (*message.FORMS, bad))
    with pytest.raises(RuntimeError, match="declares no known right"):
        forms._load()


def test_every_form_sums_up_a_valid_body_in_one_line() -> None:
    assert get_form("message@1").summarise({"subject": "Joint  naval\nexercise",
                                            "text": "t"}) == "Joint naval exercise"
    assert get_form("acknowledgement@1").summarise({"entries": ["a" * 64]}) == (
        "acknowledges 1 entry")
    assert get_form("acknowledgement@1").summarise(
        {"entries": ["a" * 64, "b" * 64], "withheld": ["b" * 64]}) == (
        "acknowledges 2 entries, 1 of them withheld by the hub")
    assert get_form("arms-transfers@1").summarise({"year": 2025, "nil_report": True}) == (
        "nil report of arms transfers in 2025")
    assert get_form("observation-reply@1").summarise(
        {"invitation": "a" * 64, "decision": "decline"}) == "declines the invitation to observe"
    long = get_form("message@1").summarise({"subject": "x" * 300, "text": "t"})
    assert len(long) == 120 and long.endswith("…")


def test_a_body_without_what_its_summary_needs_sums_up_to_nothing() -> None:
    assert get_form("annual-exchange@1").summarise({}) == ""
