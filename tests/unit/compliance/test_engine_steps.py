"""The incremental engine step by step: after every record that arrives (in any order) and every
finality learnt, its findings -- everyone's, a party's, a year's, a party's in a year -- are
those of a full evaluation of what it holds; and what one new record makes it reassess is
bounded by what that record touches, not by the length of the log.

Personas: every state joins the log (QAT only at the end of the longer logs); IRN notifies,
convenes and is asked; SAU and RUS answer; the USA and IRN meet at sea.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Hashable, Iterable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from compliance_history import (
    MINUTE,
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

from gulfsec.domain.compliance import RULES, ComplianceEngine, LogRecord, evaluate
from gulfsec.domain.compliance.rule import Outcome, Rule, Window
from gulfsec.domain.compliance.view import Index, Rec, View
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import default_regime

NOWS = (utc(2026, 12, 20), utc(2027, 2, 3, 12), utc(2028, 1, 18))
NARROWED = (("IRN", None), (None, 2027), ("SAU", 2027), ("RUS", 2026))
DAY = timedelta(days=1)


def busy_history(history: History) -> None:
    """The engine test's scenario, once every state has joined, with acknowledgements (one
    late, one of an entry the hub withheld), meetings (one answered, one cancelled), a request
    on unusual activity with its reply and meeting, and an incident at sea with its answer."""
    history.join(at=utc(2026, 6, 1))
    scenario(history)
    sent = utc(2027, 2, 1, 9)
    early = history.records[14:20]  # the first entries of the scenario
    history.acknowledge("RUS", *early[:3], at=utc(2026, 12, 20))
    history.acknowledge("SAU", early[0], at=utc(2027, 1, 25))  # late
    ids = [early[3].entry.id_hex]
    history.file("QAT", "acknowledgement@1", {"entries": ids, "withheld": ids},
                 at=utc(2027, 1, 28), refs=ids)
    meetings = []
    for n in range(2):
        meetings.append(history.file("IRN", "meeting@1", {
            "title": f"Maritime security {n}", "level": "senior-official",
            "starts_at": "2027-03-01T09:00:00Z", "timezone": "Asia/Dubai", "place": "Muscat",
            "agenda": ["Incidents at sea"]}, at=sent + n * MINUTE, audience=("SAU",)))
    history.file("SAU", "meeting-reply@1", {"meeting": meetings[0].entry.id_hex,
                                            "reply": "decline"},
                 at=sent + DAY, audience=("IRN",), refs=[meetings[0].entry.id_hex])
    history.file("IRN", "meeting-update@1", {"meeting": meetings[1].entry.id_hex,
                                             "cancelled": True},
                 at=sent + 2 * MINUTE, audience=("SAU",), refs=[meetings[1].entry.id_hex])
    case = history.file("SAU", "unusual-activity@1", {
        "addressee": "IRN", "activity_type": "air",
        "description": "Forty fighter sorties over the Gulf at night, unannounced.",
        "area": {"kind": "circle", "centre": {"lat": 26.9, "lon": 51.6}, "radius_km": 80},
        "observed_from": "2027-01-31T20:00:00Z", "concern": "No activity was notified."},
        at=sent)
    on_case = {"request": case.entry.id_hex}
    history.file("IRN", "unusual-activity-reply@1",
                 {**on_case, "explanation": "A scheduled readiness exercise."},
                 at=sent + DAY, refs=[case.entry.id_hex])
    history.file("SAU", "unusual-activity-meeting@1", {**on_case, "meeting": "bilateral"},
                 at=sent + 2 * DAY, refs=[case.entry.id_hex])
    history.file("IRN", "meeting@1", {
        "title": "On the air activity", "level": "senior-official",
        "starts_at": "2027-02-10T09:00:00Z", "place": "online", "agenda": ["Explanation"],
        "case": case.entry.id_hex}, at=sent + 3 * DAY, audience=("SAU",),
        refs=[case.entry.id_hex])
    report = history.file("USA", "incident-report@1", {
        "occurred_at": "2027-02-01T06:00:00Z", "position": {"lat": 26.6, "lon": 56.3},
        "area_name": "Strait of Hormuz", "other_party": "IRN",
        "units": [{"party": "USA", "kind": "ship", "name": "USS Example",
                   "hull_number": "DDG-0"}, {"party": "IRN", "kind": "boat"}],
        "cpa_metres": 150, "events": ["unsafe-manoeuvre"],
        "account": "Fast boats crossed the destroyer's bow at 150 m."},
        at=sent, audience=("IRN",))
    history.file("IRN", "incident-response@1", {
        "report": report.entry.id_hex, "account": "The boats kept a safe distance."},
        at=sent + 3 * DAY, audience=("USA",), refs=[report.entry.id_hex])


@pytest.fixture(scope="module")
def records(state_keys: dict[str, SigningKey]) -> list[LogRecord]:
    history = History(default_regime(), state_keys)
    busy_history(history)
    return history.records


def test_the_busy_history_gives_findings_of_every_kind(records: list[LogRecord]) -> None:
    findings = evaluate(default_regime(), records, NOWS[1], since_year=2026)
    assert {f.rule for f in findings} == {rule.name for rule in RULES}
    assert {f.status for f in findings} == {"met", "late", "missing", "pending", "breached"}


@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_after_every_step_the_engine_agrees_with_a_full_evaluation(
    records: list[LogRecord], data: st.DataObject
) -> None:
    """Records arrive in any order, some not final yet; their finality comes later, between
    other records. A few narrowed selections are asked for before anything arrives, so they
    are kept up to date all along; another is first asked for at the end."""
    regime = default_regime()
    order = data.draw(st.permutations(range(len(records))), label="order")
    final = [r.index for r in records if r.final_at is not None]
    later = sorted(data.draw(st.sets(st.sampled_from(final)), label="final later"),
                   key=order.index)
    delays = data.draw(st.lists(st.integers(1, len(records)), min_size=len(later),
                                max_size=len(later)), label="finality learnt after")
    now = data.draw(st.sampled_from(NOWS), label="now")
    peeks = data.draw(st.sets(st.integers(0, 2 * len(records))), label="peek at steps")
    steps: list[tuple[str, int]] = [("add", i) for i in order]
    for index, delay in zip(later, delays, strict=True):
        arrived = steps.index(("add", index))
        steps.insert(min(arrived + delay, len(steps)), ("final", index))

    engine = ComplianceEngine(regime, since_year=2026)
    for party, year in NARROWED:  # the yearly reports owed from the start
        assert engine.findings(now, party, year) == evaluate(
            regime, [], now, party=party, year=year, since_year=2026)
    held: dict[int, LogRecord] = {}
    for step, (kind, index) in enumerate(steps):
        record = records[index]
        if kind == "add":
            held[index] = dataclasses.replace(record, final_at=None) if index in later \
                else record
            engine.add(held[index])
        else:
            held[index] = record
            assert record.final_at is not None
            engine.update_finality(index, record.final_at)
        if step in peeks:
            engine.findings(NOWS[(NOWS.index(now) + 1) % len(NOWS)])  # another year
        full = evaluate(regime, held.values(), now, since_year=2026)
        assert engine.findings(now) == full
        for party, year in NARROWED:
            assert engine.findings(now, party, year) == [
                f for f in full if f.party == (party or f.party) and f.year == (year or f.year)]
    assert engine.findings(now, "QAT") == evaluate(regime, records, now, party="QAT",
                                                   since_year=2026)


def test_every_selection_follows_the_clock_across_years_and_back(
    records: list[LogRecord],
) -> None:
    regime = default_regime()
    engine = ComplianceEngine(regime, since_year=2026)
    for record in records:
        engine.add(record)
    for now in (*NOWS, *reversed(NOWS), NOWS[0], NOWS[2]):
        for party, year in ((None, None), *NARROWED):
            assert engine.findings(now, party, year) == evaluate(
                regime, records, now, party=party, year=year, since_year=2026)


# --- bounded work ------------------------------------------------------------------------------


@dataclasses.dataclass
class Counting:
    """A rule that counts the subjects it is asked to assess."""

    rule: Rule
    assessed: Counter[str] = dataclasses.field(default_factory=Counter)

    @property
    def name(self) -> str:
        return self.rule.name

    @property
    def title(self) -> str:
        return self.rule.title

    @property
    def indexes(self) -> tuple[type[Index], ...]:
        return self.rule.indexes

    def keys(self, view: View, window: Window) -> Iterable[Hashable]:
        return self.rule.keys(view, window)

    def touched(self, view: View, rec: Rec) -> Iterable[Hashable]:
        return self.rule.touched(view, rec)

    def assess(self, view: View, key: Any) -> list[Outcome]:
        self.assessed[self.rule.name] += 1
        return self.rule.assess(view, key)


def yearly_log(history: History, years: int) -> None:
    """Every state but QAT joins; then, each year, IRN and SAU file their calendars,
    exchanges and arms transfers, IRN notifies its activities, and RUS acknowledges all."""
    history.join(*(p for p in history.regime.participants
                   if history.regime.participants[p].kind == "state" and p != "QAT"),
                 at=utc(2026, 6, 1))
    for year in range(2027, 2027 + years):
        for n, party in enumerate(("IRN", "SAU")):
            filed = utc(year - 1, 11, 1 + n)
            plans = [planned(f"{party}-{year}-{k}", date(year, 3 + 3 * k, 1)) for k in range(3)]
            history.file(party, "annual-calendar@1", calendar(year, *plans), at=filed)
            history.file(party, "annual-exchange@1", exchange(year), at=filed + DAY)
            history.file(party, "arms-transfers@1",
                         arms(year, exports=[("RUS", "II", 2 + n)]), at=utc(year + 1, 5, 1))
        for k in range(3):
            start = date(year, 3 + 3 * k, 1)
            history.file("IRN", "activity-notification@1",
                         notification(start, ref=f"IRN-{year}-{k}", troops=9_500),
                         at=midnight(start) - 50 * DAY)
    for record in list(history.records):
        if record.entry.entry.form not in ("key-registration@1", "acknowledgement@1"):
            history.acknowledge("RUS", record, at=record.sequenced_at + MINUTE)


def new_records(history: History) -> Iterator[tuple[str, LogRecord]]:
    """One record of each kind, each after the log's last."""
    last = history.records[-1].sequenced_at
    notice = next(r for r in reversed(history.records)
                  if r.entry.entry.form == "activity-notification@1")
    yield "an acknowledgement", history.acknowledge("SAU", notice, at=last + MINUTE)
    yield "a notification", history.file(
        "IRN", "activity-notification@1", notification(date(2040, 1, 10), troops=9_500),
        at=last + 2 * MINUTE)
    yield "a calendar", history.file(
        "SAU", "annual-calendar@1", calendar(2040, planned("SAU-2040", date(2040, 3, 1))),
        at=last + 3 * MINUTE)
    yield "a message", history.file("RUS", "message@1", {"subject": "Talks", "text": "Meet?"},
                                    at=last + 4 * MINUTE, audience=("IRN", "SAU"))
    yield "a party joining", history.join("QAT", at=last + 5 * MINUTE)[0]


def reassessed(state_keys: dict[str, SigningKey], years: int) -> dict[str, Counter[str]]:
    """For each kind of new record: how many subjects of each rule the engine reassessed,
    after it took in and judged a log of ``years`` years."""
    history = History(default_regime(), state_keys)
    yearly_log(history, years)
    rules = [Counting(rule) for rule in RULES]
    engine = ComplianceEngine(history.regime, since_year=2027, rules=rules)
    for record in history.records:
        engine.add(record)
    now = utc(2027 + years, 6, 1)
    engine.findings(now)
    counts: dict[str, Counter[str]] = {}
    for what, record in new_records(history):
        for counting in rules:
            counting.assessed.clear()
        assert record.final_at is not None
        engine.add(dataclasses.replace(record, final_at=None))
        engine.findings(now)
        engine.update_finality(record.index, record.final_at)
        engine.findings(now)
        counts[what] = sum((counting.assessed for counting in rules), Counter())
    assert engine.findings(now) == evaluate(history.regime, history.records, now,
                                            since_year=2027)
    return counts


def test_what_a_new_record_makes_the_engine_reassess_does_not_grow_with_the_log(
    state_keys: dict[str, SigningKey],
) -> None:
    short, long = reassessed(state_keys, 2), reassessed(state_keys, 6)
    assert short == long
    assert short["an acknowledgement"] == {"acknowledgement": 2}
    assert short["a party joining"] == {}
    assert all(sum(counts.values()) <= 20 for counts in short.values()), short


def test_a_narrowed_selection_asked_for_late_is_kept_up_to_date(
    records: list[LogRecord],
) -> None:
    regime = default_regime()
    now = NOWS[1]
    engine = ComplianceEngine(regime, since_year=2026)
    half = len(records) // 2
    for record in records[:half]:
        engine.add(record)
    everyone = engine.findings(now)
    assert engine.findings(now, "IRN") == [f for f in everyone if f.party == "IRN"]
    for record in records[half:]:
        engine.add(record)
        assert engine.findings(now, "IRN") == evaluate(regime, records[: record.index + 1], now,
                                                       party="IRN", since_year=2026)
