"""The engine: the full evaluation and the incremental one agree, whatever order records arrive
in and whenever finality is learnt; findings are sorted overdue first; mistakes are refused."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

import pytest
from compliance_history import (
    SINCE,
    History,
    arms,
    calendar,
    exchange,
    midnight,
    notification,
    planned,
    scenario,
    utc,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from gulfsec.domain.compliance import (
    OVERDUE,
    RULES,
    ComplianceEngine,
    Finding,
    LogRecord,
    evaluate,
)
from gulfsec.domain.compliance.rules import annual_exchange
from gulfsec.domain.entry import ALL, Entry, sign_entry
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import default_regime

NOWS = (utc(2026, 12, 20), utc(2027, 1, 18), utc(2027, 6, 1, 12), utc(2028, 1, 1))


@pytest.fixture(scope="module")
def records(state_keys: dict[str, SigningKey]) -> list[LogRecord]:
    history = History(default_regime(), state_keys)
    scenario(history)
    return history.records


@pytest.fixture(scope="module")
def expected(records: list[LogRecord]) -> dict[datetime, list[Finding]]:
    return {now: evaluate(default_regime(), records, now, since_year=SINCE) for now in NOWS}


def unfinal(record: LogRecord) -> LogRecord:
    return dataclasses.replace(record, final_at=None)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_findings_do_not_depend_on_the_order_records_arrive_in_or_finality_is_learnt(
    records: list[LogRecord], expected: dict[datetime, list[Finding]], data: st.DataObject
) -> None:
    order = data.draw(st.permutations(range(len(records))), label="order")
    finalised_later = data.draw(st.sets(st.sampled_from(range(len(records)))), label="later")
    now = data.draw(st.sampled_from(NOWS), label="now")
    every = data.draw(st.integers(1, 6), label="query every")
    regime = default_regime()

    engine = ComplianceEngine(regime, since_year=SINCE)
    for step, index in enumerate(order):
        record = records[index]
        engine.add(unfinal(record) if index in finalised_later else record)
        if step % every == 0:
            engine.findings(data.draw(st.sampled_from(NOWS), label="peek"))
    for step, index in enumerate(sorted(finalised_later, key=order.index)):
        final_at = records[index].final_at
        if final_at is not None:
            engine.update_finality(index, final_at)
        if step % every == 0:
            engine.findings(now)
    assert engine.findings(now) == expected[now]
    assert evaluate(regime, [records[i] for i in order], now, since_year=SINCE) == expected[now]


def test_the_engine_follows_the_clock_forwards_and_backwards(
    records: list[LogRecord], expected: dict[datetime, list[Finding]]
) -> None:
    engine = ComplianceEngine(default_regime(), since_year=SINCE)
    for record in records:
        engine.add(record)
    for now in (*NOWS, *reversed(NOWS)):
        assert engine.findings(now) == expected[now]


def test_incremental_and_full_agree_on_a_longer_history(history: History) -> None:
    personas = ("IRN", "RUS", "QAT", "SAU", "USA")
    for year in (2027, 2028, 2029):
        for n, party in enumerate(personas):
            filed = utc(year - 1, 11, 1 + n)
            plans = [planned(f"{party}-{year}-{k}", date(year, 2 + 3 * k, 1), troops=9000 + k)
                     for k in range(3)]
            history.file(party, "annual-calendar@1", calendar(year, *plans), at=filed)
            exchange_entry = history.file(party, "annual-exchange@1", exchange(year),
                                          at=filed + timedelta(days=30 + n * 3))
            for k, plan in enumerate(plans[: 2 + n % 2]):
                start = date.fromisoformat(plan["start"])
                at = midnight(start) - timedelta(days=40 + 3 * k)
                notice = history.file(party, "activity-notification@1",
                                      notification(start, ref=plan["ref"], troops=9000), at=at,
                                      final=None if (year, n, k) == (2029, 1, 0) else True)
                history.acknowledge(personas[(n + 1) % 5], notice, at=at + timedelta(hours=k))
            history.acknowledge(personas[(n + 2) % 5], exchange_entry,
                                at=filed + timedelta(days=31 + n * 3))
            partner = personas[(n + 1) % 5]
            history.file(party, "arms-transfers@1",
                         arms(year, exports=[(partner, "II", n + 1)],
                              imports=[(personas[(n - 1) % 5], "II", n + 1 + year % 2)]),
                         at=utc(year + 1, 5, 1 + n))
    nows = (utc(2027, 6, 1), utc(2028, 12, 31, 23, 59, 59), utc(2030, 7, 1))
    engine = ComplianceEngine(history.regime, since_year=2027)
    for step, record in enumerate(history.records):
        engine.add(record)
        if step % 9 == 0:
            engine.findings(nows[step % 3])
    for now in nows:
        assert engine.findings(now) == evaluate(history.regime, history.records, now,
                                                since_year=2027)


def test_findings_list_overdue_then_pending_then_met(
    expected: dict[datetime, list[Finding]],
) -> None:
    findings = expected[utc(2027, 6, 1, 12)]
    classes = [0 if f.status in OVERDUE else 1 if f.status == "pending" else 2 for f in findings]
    assert classes == sorted(classes)
    assert set(classes) == {0, 1, 2}
    statuses = {f.status for f in findings}
    assert statuses == {"missing", "late", "breached", "pending", "met"}


def test_pending_findings_are_listed_soonest_deadline_first_among_the_unanswered(
    history: History,
) -> None:
    findings = history.judge(utc(2027, 1, 10), party="IRN")
    pending = [f for f in findings if f.status == "pending" and not f.evidence]
    dues = [f.due for f in pending]
    assert dues == sorted(dues)  # type: ignore[type-var]
    assert len(pending) > 3


def test_findings_can_be_narrowed_to_a_party_and_a_year(
    records: list[LogRecord], expected: dict[datetime, list[Finding]]
) -> None:
    now = utc(2027, 6, 1, 12)
    everything = expected[now]
    mine = evaluate(default_regime(), records, now, party="IRN", year=2027, since_year=SINCE)
    assert mine == [f for f in everything if f.party == "IRN" and f.year == 2027]
    engine = ComplianceEngine(default_regime(), since_year=SINCE)
    for record in records:
        engine.add(record)
    assert engine.findings(now, party="IRN", year=2027) == mine
    assert engine.findings(now, party="GCC") == []


def test_adding_the_same_record_again_changes_nothing(records: list[LogRecord]) -> None:
    engine = ComplianceEngine(default_regime(), since_year=SINCE)
    for record in (*records, *records):
        engine.add(record)
    assert len(engine) == len(records)
    assert engine.findings(NOWS[2]) == evaluate(default_regime(), records, NOWS[2],
                                                since_year=SINCE)


def test_two_entries_at_one_index_or_one_entry_at_two_are_refused(
    records: list[LogRecord],
) -> None:
    engine = ComplianceEngine(default_regime())
    engine.add(records[0])
    with pytest.raises(ValueError, match="two different entries at log index 0"):
        engine.add(dataclasses.replace(records[1], index=0))
    with pytest.raises(ValueError, match="at log index 0 and 7"):
        engine.add(dataclasses.replace(records[0], index=7))
    with pytest.raises(ValueError, match="two different entries"):
        evaluate(default_regime(), [records[0], dataclasses.replace(records[1], index=0)],
                 NOWS[0])


def test_finality_of_an_unknown_index_and_naive_times_are_refused(
    records: list[LogRecord],
) -> None:
    engine = ComplianceEngine(default_regime())
    engine.add(records[0])
    with pytest.raises(KeyError, match="no record at log index 5"):
        engine.update_finality(5, NOWS[0])
    with pytest.raises(ValueError, match="aware"):
        engine.update_finality(0, datetime(2027, 1, 1))
    with pytest.raises(ValueError, match="aware"):
        engine.findings(datetime(2027, 1, 1))
    with pytest.raises(ValueError, match="aware"):
        LogRecord(0, records[0].entry, None, datetime(2027, 1, 1))


def test_an_empty_or_ambiguous_rule_set_is_refused(records: list[LogRecord]) -> None:
    with pytest.raises(ValueError, match="empty rule set"):
        evaluate(default_regime(), records, NOWS[0], rules=())
    with pytest.raises(ValueError, match="share a name"):
        ComplianceEngine(default_regime(), rules=(RULES[0], RULES[0]))


def test_a_rule_set_can_be_narrowed(records: list[LogRecord]) -> None:
    found = evaluate(default_regime(), records, NOWS[2], since_year=SINCE,
                     rules=(annual_exchange.RULE,))
    assert {f.rule for f in found} == {"annual-exchange"}


def test_a_body_that_does_not_fit_its_form_is_no_report_but_is_still_acknowledged(
    history: History, state_keys: dict[str, SigningKey]
) -> None:
    history.join(at=utc(2026, 11, 1))
    key = state_keys["IRN"]
    body = {**exchange(2027), "year": "2027"}  # a string where a number belongs
    entry = Entry(form="annual-exchange@1", sender="IRN", key=key.key_id_hex, seq=1,
                  time=utc(2026, 12, 1), audience=ALL, body=body)
    history.records.append(
        LogRecord(len(history.records), sign_entry(entry, key), utc(2026, 12, 1, 0, 1),
                  utc(2026, 12, 1))
    )
    now = utc(2027, 1, 5)
    finding = history.one(now, rule="annual-exchange", party="IRN", year=2027)
    assert finding.status == "missing"
    assert len(history.judge(now, rule="acknowledgement")) == 13


def test_the_same_record_again_with_its_finality_brings_the_finality(
    records: list[LogRecord], expected: dict[datetime, list[Finding]]
) -> None:
    now = NOWS[2]
    engine = ComplianceEngine(default_regime(), since_year=SINCE)
    for record in records:
        engine.add(unfinal(record))
    assert engine.findings(now) != expected[now]
    for record in records:
        engine.add(record)
    assert engine.findings(now) == expected[now]
    twice = [*map(unfinal, records), *records]
    for order in (twice, twice[::-1]):
        assert evaluate(default_regime(), order, now, since_year=SINCE) == expected[now]
