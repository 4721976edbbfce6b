"""Acknowledgement: each addressee acknowledges an entry within 24 hours of its finality."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from compliance_history import MINUTE, SECOND, History, utc, with_commitment

from gulfsec.domain.compliance import ComplianceEngine, LogRecord
from gulfsec.domain.entry import ALL
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import default_regime

RULE = "acknowledgement"
SENT = utc(2027, 2, 1, 9)
FINAL = SENT + MINUTE
DUE = FINAL + timedelta(hours=24)
MESSAGE = {"subject": "Naval exercise", "text": "Please confirm."}


@pytest.fixture
def history(state_keys: dict[str, SigningKey]) -> History:
    """A history in which every state has joined the log (registered its first key)."""
    joined = History(default_regime(), state_keys)
    joined.join(at=utc(2026, 6, 1))
    return joined


def send(history: History, audience: tuple[str, ...] = ("RUS", "SAU"), **kw: Any) -> LogRecord:
    return history.file("IRN", "message@1", MESSAGE, at=SENT, audience=audience, **kw)


@pytest.mark.parametrize(
    ("final_offset", "status"),
    [(-SECOND, "met"), (timedelta(0), "met"), (SECOND, "late")],
    ids=["second-before", "at-deadline", "second-after"],
)
def test_an_acknowledgement_final_within_24_hours_of_the_entrys_finality_is_met(
    history: History, final_offset: timedelta, status: str
) -> None:
    entry = send(history)
    ack = history.acknowledge("RUS", entry, at=DUE - MINUTE, final=DUE + final_offset)
    finding = history.one(DUE + timedelta(days=1), rule=RULE, party="RUS")
    assert finding.status == status
    assert finding.due == DUE
    assert finding.evidence == (entry.entry.id_hex, ack.entry.id_hex)
    assert finding.subject == f"#{entry.index} message@1"


@pytest.mark.parametrize(
    ("offset", "status"),
    [(-SECOND, "pending"), (timedelta(0), "pending"), (SECOND, "missing")],
    ids=["second-before", "at-deadline", "second-after"],
)
def test_an_entry_nobody_acknowledged_is_missing_24_hours_after_its_finality(
    history: History, offset: timedelta, status: str
) -> None:
    send(history)
    findings = history.judge(DUE + offset, rule=RULE)
    assert [(f.party, f.status) for f in findings] == [("RUS", status), ("SAU", status)]


def test_while_the_entry_is_not_final_its_acknowledgement_has_no_deadline_yet(
    history: History,
) -> None:
    entry = send(history, final=None)
    history.acknowledge("RUS", entry, at=SENT + MINUTE)
    finding = history.one(SENT + timedelta(days=10), rule=RULE, party="RUS")
    assert (finding.status, finding.due) == ("pending", None)


def test_an_acknowledgement_not_yet_final_is_pending(history: History) -> None:
    entry = send(history)
    history.acknowledge("RUS", entry, at=SENT + MINUTE, final=None)
    assert history.one(DUE + timedelta(days=3), rule=RULE, party="RUS").status == "pending"


def test_every_state_but_the_sender_owes_an_acknowledgement_of_an_entry_to_all(
    history: History,
) -> None:
    history.file("IRN", "message@1", MESSAGE, at=SENT)
    owing = {f.party for f in history.judge(DUE, rule=RULE)}
    states = {c for c, p in history.regime.participants.items() if p.kind == "state"}
    assert owing == states - {"IRN"}  # not the organisations, not the secretariat


def test_entries_to_organisations_or_the_secretariat_are_owed_by_nobody(history: History) -> None:
    history.file("IRN", "message@1", MESSAGE, at=SENT, audience=("UNSC", "SEC"))
    assert history.judge(DUE + SECOND, rule=RULE) == []


def test_acknowledgements_and_key_entries_are_not_acknowledged(
    history: History, state_keys: dict[str, SigningKey]
) -> None:
    entry = send(history)
    history.acknowledge("RUS", entry, at=SENT + MINUTE)
    history.file("IRN", "key-rotation@1", {"vkey": state_keys["IRN"].verifier.encode()},
                 at=SENT + MINUTE)
    findings = history.judge(DUE + timedelta(days=2), rule=RULE)
    assert {f.subject for f in findings} == {f"#{entry.index} message@1"}


def test_only_the_addressee_itself_can_acknowledge(history: History) -> None:
    entry = send(history, audience=("RUS",))
    history.acknowledge("QAT", entry, at=SENT + MINUTE)
    assert history.one(DUE + SECOND, rule=RULE, party="RUS").status == "missing"


def test_one_acknowledgement_can_list_several_entries(history: History) -> None:
    first = send(history)
    second = history.file("IRN", "message@1", MESSAGE, at=SENT + MINUTE, audience=("RUS",))
    history.acknowledge("RUS", first, second, at=SENT + timedelta(hours=2))
    findings = history.judge(DUE + timedelta(days=1), rule=RULE, party="RUS")
    assert [f.status for f in findings] == ["met", "met"]


def test_a_regime_allowing_fewer_hours_makes_the_same_acknowledgement_late(
    history: History,
) -> None:
    entry = send(history)
    history.acknowledge("RUS", entry, at=FINAL + timedelta(hours=5))
    assert history.one(DUE + timedelta(1), rule=RULE, party="RUS").status == "met"
    strict = with_commitment(history.regime, "acknowledgement", within=timedelta(hours=4))
    finding = history.one(DUE + timedelta(1), rule=RULE, party="RUS", regime=strict)
    assert finding.status == "late"
    assert finding.due == FINAL + timedelta(hours=4)


def test_an_organisation_holding_a_key_owes_no_acknowledgement_of_an_entry_to_all(
    history: History,
) -> None:
    history.join("UNSC", at=SENT - MINUTE)
    send(history, audience=ALL)
    owing = {f.party for f in history.judge(DUE + SECOND, rule=RULE)}
    assert "UNSC" not in owing
    assert owing == {code for code, p in history.regime.participants.items()
                     if p.kind == "state" and code != "IRN"}


def test_a_state_owes_acknowledgements_only_of_what_came_after_it_joined(
    state_keys: dict[str, SigningKey],
) -> None:
    late = History(default_regime(), state_keys)
    late.join("IRN", "SAU", at=SENT - MINUTE)
    before = send(late, audience=("RUS", "SAU"))
    late.join("RUS", at=SENT + MINUTE)
    after = late.file("IRN", "message@1", MESSAGE, at=SENT + 2 * MINUTE, audience=("RUS",))
    findings = late.judge(DUE + timedelta(hours=1), rule=RULE)
    assert {(f.party, f.subject) for f in findings} == {
        ("SAU", f"#{before.index} message@1"),
        ("RUS", f"#{after.index} message@1"),
    }


def test_who_owes_is_the_same_whatever_order_the_records_come_in(
    state_keys: dict[str, SigningKey],
) -> None:
    late = History(default_regime(), state_keys)
    late.join("IRN", at=SENT - MINUTE)
    send(late, audience=("RUS",))
    late.join("RUS", at=SENT + MINUTE)
    engine = ComplianceEngine(default_regime(), since_year=2026)
    for record in reversed(late.records):  # the registration comes before the entry
        engine.add(record)
    assert engine.findings(DUE + SECOND) == late.judge(DUE + SECOND)
    assert [f for f in engine.findings(DUE + SECOND) if f.rule == RULE] == []


def test_an_acknowledgement_naming_the_entry_withheld_by_the_hub_is_met_though_late(
    history: History,
) -> None:
    """The hub withheld the entry from RUS; its node had it from the sender's node days later
    and says so in the acknowledgement (its node holds the proof)."""
    entry = send(history)
    ids = [entry.entry.id_hex]
    late = DUE + timedelta(days=3)
    ack = history.file("RUS", "acknowledgement@1", {"entries": ids, "withheld": ids},
                       at=late, final=late + MINUTE, refs=ids)
    finding = history.one(late + timedelta(days=1), rule=RULE, party="RUS")
    assert finding.status == "met"
    assert "withheld" in finding.detail
    assert finding.evidence == (entry.entry.id_hex, ack.entry.id_hex)
    # Not for another addressee: SAU, which names nothing withheld, is still missing.
    assert history.one(late + timedelta(days=1), rule=RULE, party="SAU").status == "missing"


def test_a_withheld_claim_not_yet_final_is_pending(history: History) -> None:
    entry = send(history)
    ids = [entry.entry.id_hex]
    history.file("RUS", "acknowledgement@1", {"entries": ids, "withheld": ids},
                 at=DUE + MINUTE, final=None, refs=ids)
    assert history.one(DUE + timedelta(days=1), rule=RULE, party="RUS").status == "pending"
