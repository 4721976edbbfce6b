"""Risk reduction from signed entries: a case of unusual military activity as a timeline, an
incident with both accounts side by side, and what the hub refuses.

Personas: SAU asks IRN about an unusual air activity; the USA and IRN report an incident at
sea; QAT is a bystander.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from decision_log import DecisionLog, utc

from gulfsec.domain.compliance import LogRecord
from gulfsec.domain.entry import ALL
from gulfsec.domain.procedures.checks import check_submission
from gulfsec.domain.procedures.risk import incidents, response_audience, unusual_cases
from gulfsec.errors import InvalidFormBody, ProcedureError

T0 = utc(2027, 2, 1, 9)
JOINED = ("IRN", "SAU", "QAT", "USA")


@pytest.fixture
def log() -> DecisionLog:
    return DecisionLog(joined=JOINED)


def at(log: DecisionLog) -> Any:
    return T0 + timedelta(minutes=len(log.records))


def ask(log: DecisionLog, sender: str = "SAU", **body: Any) -> LogRecord:
    fields = {"addressee": "IRN", "activity_type": "air", "description": "Night sorties.",
              "area_name": "Central Gulf", "observed_from": "2027-01-31T20:00:00Z",
              "concern": "Not notified.", **body}
    return log.file(sender, "unusual-activity@1", fields, at=at(log))


def on(log: DecisionLog, case: LogRecord, sender: str, form: str, audience: Any = ALL,
       **body: Any) -> LogRecord:
    return log.file(sender, form, {"request": case.entry.id_hex, **body}, at=at(log),
                    refs=[case.entry.id_hex], audience=audience)


def test_a_case_moves_through_its_stages_on_steps_that_count(log: DecisionLog) -> None:
    case = ask(log)
    assert unusual_cases(log.records)[0].stage == "awaiting-reply"
    on(log, case, "QAT", "unusual-activity-reply@1", explanation="Not ours.")  # not asked
    on(log, case, "IRN", "unusual-activity-reply@1", explanation="An exercise.")
    assert unusual_cases(log.records)[0].stage == "replied"
    on(log, case, "IRN", "unusual-activity-meeting@1", meeting="bilateral")  # not the requester
    on(log, case, "SAU", "unusual-activity-meeting@1", meeting="bilateral")
    assert unusual_cases(log.records)[0].stage == "bilateral-requested"
    log.file("IRN", "meeting@1", {"title": "On the sorties", "level": "expert",
                                  "starts_at": "2027-02-03T09:00:00Z", "place": "online",
                                  "agenda": ["Explanation"], "case": case.entry.id_hex},
             at=at(log), audience=("SAU",), refs=[case.entry.id_hex])
    found, = unusual_cases(log.records)
    assert found.stage == "bilateral-convened"
    assert [s.kind for s in found.timeline] == ["request", "reply", "bilateral-requested",
                                                "bilateral-convened"]


def test_an_incident_holds_both_accounts_side_by_side(log: DecisionLog) -> None:
    report = log.file("USA", "incident-report@1", {
        "occurred_at": "2027-02-01T06:00:00Z", "position": {"lat": 26.6, "lon": 56.3},
        "other_party": "IRN", "units": [{"party": "USA", "kind": "ship", "name": "Example",
                                         "hull_number": "DDG-0"}],
        "cpa_metres": 150, "events": ["unsafe-manoeuvre"], "account": "Too close."},
        at=at(log), audience=("IRN", "QAT"))
    assert response_audience(report.entry, "IRN") == ("QAT", "USA")
    log.file("IRN", "incident-response@1", {"report": report.entry.id_hex,
                                            "account": "A safe distance.", "cpa_metres": 900},
             at=at(log), audience=("QAT", "USA"), refs=[report.entry.id_hex])
    log.file("QAT", "incident-response@1", {"report": report.entry.id_hex, "account": "?"},
             at=at(log), audience=("IRN", "USA"), refs=[report.entry.id_hex])
    found, = incidents(log.records)
    assert (found.reporter, found.other_party) == ("USA", "IRN")
    assert [r.party for r in found.responses] == ["IRN"]
    assert found.to_json()["responses"][0]["account"] == "A safe distance."


def test_the_hub_refuses_risk_steps_that_would_not_count(log: DecisionLog) -> None:
    case = ask(log)
    report = log.file("USA", "incident-report@1", {
        "occurred_at": "2027-02-01T06:00:00Z", "position": {"lat": 26.6, "lon": 56.3},
        "other_party": "IRN", "units": [{"party": "USA", "kind": "aircraft",
                                         "aircraft_type": "MQ-4C"}],
        "events": ["shoot-down"], "account": "Shot down over international waters."},
        at=at(log), audience=("IRN",))
    lookup = {r.entry.id_hex: (r.index, r.entry) for r in log.records}.get
    cases = [
        (ask(log, addressee="SAU"), "not another participant"),
        (log.file("SAU", "unusual-activity@1", dict(case.entry.entry.body), at=at(log),
                  audience=("IRN",)), "goes to all participants"),
        (on(log, case, "QAT", "unusual-activity-reply@1", explanation="x"), "only IRN"),
        (on(log, case, "IRN", "unusual-activity-meeting@1", meeting="all"), "only SAU"),
        (log.file("IRN", "incident-response@1", {"report": report.entry.id_hex,
                                                 "account": "x"}, at=at(log),
                  audience=("QAT",), refs=[report.entry.id_hex]), "everyone the report"),
        (log.file("QAT", "incident-response@1", {"report": report.entry.id_hex,
                                                 "account": "x"}, at=at(log),
                  audience=("IRN", "USA"), refs=[report.entry.id_hex]), "only IRN"),
        (log.file("USA", "incident-report@1", {**report.entry.entry.body}, at=at(log),
                  audience=("QAT",)), "goes to the other party"),
    ]
    for record, message in cases:
        with pytest.raises(ProcedureError, match=message):
            check_submission(record.entry, log.regime, T0, lookup, {})


def test_a_request_names_its_area_and_an_incident_its_events_once(log: DecisionLog) -> None:
    with pytest.raises(InvalidFormBody, match="area"):
        ask(log, area_name=None)
    with pytest.raises(InvalidFormBody, match="once"):
        log.file("USA", "incident-report@1", {
            "occurred_at": "2027-02-01T06:00:00Z", "position": {"lat": 26.6, "lon": 56.3},
            "other_party": "IRN", "units": [{"party": "USA", "kind": "ship"}],
            "events": ["collision", "collision"], "account": "x"}, at=T0, audience=("IRN",))
