"""The tension index of a pair of actors, period by period, and the rises that should alert.

The events are made by hand (what the index reads of an event: source, target, type), so these
tests do not depend on the event coder; the coder's ``Event`` and types are checked to fit at
the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gulfsec.domain.news.events import EVENT_TYPES, Event
from gulfsec.domain.news.tension import (
    WEIGHTS,
    Row,
    period_label,
    period_start,
    rises,
    tension,
    weight,
)

PLOVER = ("AGREE CONSULT SUPPORT CONCEDE COOPERATE AID RETREAT REQUEST ACCUSE REJECT THREATEN "
          "PROTEST SANCTION MOBILIZE COERCE ASSAULT").split()


@dataclass(frozen=True)
class Ev:
    source: str
    target: str
    type: str


def on(day: str, source: str, target: str, kind: str) -> tuple[date, Ev]:
    return date.fromisoformat(day), Ev(source, target, kind)


def index_of(rows: list[Row], pair: str, period: str) -> float:
    found = [r.index for r in rows if (r.pair, r.period) == (pair, period)]
    assert len(found) == 1, (pair, period, rows)
    return found[0]


# -- the scale ---------------------------------------------------------------------------------


def test_every_plover_type_has_a_weight_and_no_other_does() -> None:
    assert sorted(WEIGHTS) == sorted(PLOVER)


def test_conflict_weighs_below_zero_and_cooperation_above() -> None:
    conflict = {"REQUEST", "ACCUSE", "REJECT", "THREATEN", "PROTEST", "SANCTION", "MOBILIZE",
                "COERCE", "ASSAULT"}
    assert all((WEIGHTS[t] < 0) == (t in conflict) for t in PLOVER)
    assert min(WEIGHTS.values()) == WEIGHTS["ASSAULT"] == -10
    assert WEIGHTS["THREATEN"] < WEIGHTS["ACCUSE"] < WEIGHTS["REQUEST"] < WEIGHTS["CONSULT"]
    assert all(-10 <= w <= 10 for w in WEIGHTS.values())


def test_an_unknown_event_type_is_refused_not_weighed_as_nothing() -> None:
    with pytest.raises(ValueError, match="WAGE_WAR"):
        weight("WAGE_WAR")
    with pytest.raises(ValueError, match="WAGE_WAR"):
        tension([on("2016-01-02", "IRN", "SAU", "WAGE_WAR")])


# -- periods -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "period", "label"), [
    ("2016-01-03", "day", "2016-01-03"),
    ("2016-01-03", "week", "2015-W53"),   # a Sunday: the last ISO week of 2015
    ("2016-01-04", "week", "2016-W01"),
    ("2016-01-17", "week", "2016-W02"),
    ("2019-12-30", "week", "2020-W01"),   # a Monday in ISO year 2020
    ("2016-01-31", "month", "2016-01"),
])
def test_periods_are_labelled_by_day_iso_week_and_month(day: str, period: str,
                                                        label: str) -> None:
    start = period_start(date.fromisoformat(day), period)  # type: ignore[arg-type]
    assert period_label(start, period) == label  # type: ignore[arg-type]


def test_weekly_rows_follow_iso_weeks_across_the_new_year() -> None:
    rows = tension([on("2015-12-30", "IRN", "SAU", "ACCUSE")], "week",
                   until=date(2016, 1, 12))
    assert [r.period for r in rows] == ["2015-W53", "2016-W01", "2016-W02"]


def test_monthly_rows_roll_over_the_year() -> None:
    rows = tension([on("2015-11-20", "IRN", "SAU", "ACCUSE")], until=date(2016, 2, 1))
    assert [r.period for r in rows] == ["2015-11", "2015-12", "2016-01", "2016-02"]


# -- the index ---------------------------------------------------------------------------------


def test_one_assault_weighs_ten_in_its_month_and_halves_with_each_half_life() -> None:
    rows = tension([on("2020-01-08", "IRN", "USA", "ASSAULT")], "day", half_life=10,
                   until=date(2020, 1, 28))
    assert index_of(rows, "IRN-USA", "2020-01-08") == 10.0
    assert index_of(rows, "IRN-USA", "2020-01-18") == 5.0
    assert index_of(rows, "IRN-USA", "2020-01-28") == 2.5


def test_months_decay_by_their_length_in_days() -> None:
    rows = tension([on("2016-01-02", "IRN", "SAU", "ASSAULT")], half_life=31,
                   until=date(2016, 2, 10))
    assert index_of(rows, "IRN-SAU", "2016-01") == 10.0
    assert index_of(rows, "IRN-SAU", "2016-02") == 5.0  # January has 31 days


def test_events_of_both_directions_count_for_one_pair_named_in_order() -> None:
    rows = tension([on("2016-01-03", "SAU", "IRN", "SANCTION"),
                    on("2016-01-05", "IRN", "SAU", "THREATEN")])
    assert rows == [Row("IRN-SAU", "2016-01", 10.0)]


def test_pairs_are_kept_apart_and_sorted() -> None:
    rows = tension([on("2017-06-05", "SAU", "QAT", "SANCTION"),
                    on("2017-06-05", "ARE", "QAT", "SANCTION"),
                    on("2017-06-05", "BHR", "QAT", "SANCTION"),
                    on("2017-06-06", "QAT", "SAU", "ACCUSE")])
    assert [(r.pair, r.index) for r in rows] == [("ARE-QAT", 4.0), ("BHR-QAT", 4.0),
                                                 ("QAT-SAU", 6.0)]


def test_an_actor_acting_on_itself_is_not_a_pair() -> None:
    rows = tension([on("2016-01-02", "SAU", "SAU", "COERCE"),
                    on("2016-01-02", "SAU", "SAU", "ASSAULT")])
    assert rows == []


def test_an_event_without_a_target_is_not_a_pair() -> None:
    rows = tension([on("2020-01-03", "USA", "", "MOBILIZE"),
                    on("2017-06-07", "", "QAT", "MOBILIZE")])
    assert rows == []


def test_a_pair_has_a_row_for_every_period_until_the_last_date_so_falls_show() -> None:
    rows = tension([on("2019-06-13", "IRN", "USA", "ASSAULT")], until=date(2019, 10, 1))
    assert [r.period for r in rows] == ["2019-06", "2019-07", "2019-08", "2019-09",
                                        "2019-10"]
    indexes = [r.index for r in rows]
    assert indexes == sorted(indexes, reverse=True) and indexes[-1] < indexes[0] / 8


def test_rows_start_at_the_pairs_first_event_not_the_inputs() -> None:
    rows = tension([on("2016-01-02", "IRN", "SAU", "ACCUSE"),
                    on("2016-03-02", "QAT", "SAU", "ACCUSE")])
    assert [(r.pair, r.period) for r in rows] == [
        ("IRN-SAU", "2016-01"), ("IRN-SAU", "2016-02"), ("IRN-SAU", "2016-03"),
        ("QAT-SAU", "2016-03")]


def test_the_last_event_extends_the_rows_past_an_earlier_until() -> None:
    rows = tension([on("2016-03-02", "IRN", "SAU", "ACCUSE")], until=date(2016, 1, 1))
    assert [r.period for r in rows] == ["2016-03"]


def test_cooperation_brings_tension_down_faster_than_time_alone() -> None:
    crisis = [on("2023-01-10", "IRN", "SAU", "THREATEN"), on("2023-01-11", "SAU", "IRN",
                                                            "SANCTION")]
    talks = [on("2023-03-10", "IRN", "SAU", "AGREE"), on("2023-03-10", "SAU", "IRN", "AGREE")]
    alone = tension(crisis, until=date(2023, 3, 31))
    together = tension(crisis + talks)
    assert index_of(alone, "IRN-SAU", "2023-03") > 0
    assert index_of(together, "IRN-SAU", "2023-03") == 0.0
    assert index_of(together, "IRN-SAU", "2023-02") == index_of(alone, "IRN-SAU", "2023-02")


def test_cooperation_is_not_banked_against_a_later_crisis() -> None:
    rows = tension([on("2023-04-06", "IRN", "SAU", "AGREE"),
                    on("2023-04-06", "SAU", "IRN", "COOPERATE"),
                    on("2023-05-02", "IRN", "SAU", "THREATEN")])
    assert [r.index for r in rows] == [0.0, 6.0]


def test_share_zero_ignores_cooperation() -> None:
    rows = tension([on("2016-01-02", "IRN", "SAU", "ACCUSE"),
                    on("2016-01-03", "IRN", "SAU", "AID")], share=0)
    assert rows == [Row("IRN-SAU", "2016-01", 2.0)]


def test_a_datetime_counts_as_its_date() -> None:
    rows = tension([(datetime(2016, 1, 31, 23, 0, tzinfo=UTC), Ev("IRN", "SAU", "ACCUSE"))],
                   until=datetime(2016, 2, 1, 1, 0, tzinfo=UTC))
    assert [r.period for r in rows] == ["2016-01", "2016-02"]


def test_indexes_are_rounded_to_two_decimals() -> None:
    rows = tension([on("2016-01-01", "IRN", "SAU", "ASSAULT")], "day", half_life=3,
                   until=date(2016, 1, 2))
    assert rows[-1].index == 7.94  # 10 · 2^(−1/3) = 7.937…
    assert rows[-1].to_json() == {"pair": "IRN-SAU", "period": "2016-01-02", "index": 7.94}


def test_no_events_no_rows() -> None:
    assert tension([], until=date(2016, 1, 1)) == []
    assert tension([]) == []


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"period": "year"}, "period"),
    ({"half_life": 0}, "half_life"),
    ({"half_life": float("inf")}, "half_life"),
    ({"share": -1}, "share"),
])
def test_nonsense_parameters_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tension([on("2016-01-02", "IRN", "SAU", "ACCUSE")], **kwargs)  # type: ignore[arg-type]


KINDS = st.sampled_from(PLOVER)
ACTORS = st.sampled_from(["IRN", "SAU", "QAT", "USA", ""])
DAYS = st.integers(0, 400).map(lambda n: date(2016, 1, 1) + timedelta(days=n))


def _start_of(label: str) -> date:
    """The first day of a period, read back from its label."""
    if "-W" in label:
        year, week = label.split("-W")
        return date.fromisocalendar(int(year), int(week), 1)
    return date.fromisoformat(label if len(label) == 10 else f"{label}-01")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(DAYS, ACTORS, ACTORS, KINDS), max_size=40),
       st.sampled_from(["day", "week", "month"]), st.floats(1, 120))
def test_the_index_matches_a_naive_reading_of_its_definition(
        events: list[tuple[date, str, str, str]], period: str, half_life: float) -> None:
    dated = [(day, Ev(a, b, kind)) for day, a, b, kind in events]
    rows = tension(dated, period, half_life)  # type: ignore[arg-type]
    last = max((day for day, *_ in events), default=None)
    between = [(d, e) for d, e in dated if e.source and e.target and e.source != e.target]
    assert {r.pair for r in rows} == {"-".join(sorted((e.source, e.target)))
                                      for _, e in between}
    for pair in {r.pair for r in rows}:
        mine = [(d, WEIGHTS[e.type]) for d, e in between
                if "-".join(sorted((e.source, e.target))) == pair]
        labels = [r.period for r in rows if r.pair == pair]
        starts = [_start_of(label) for label in labels]
        # one row per period, consecutive, from the first event's period to the last date's
        assert starts[0] == period_start(min(d for d, _ in mine), period)  # type: ignore[arg-type]
        assert last is not None and starts[-1] <= last < starts[-1] + timedelta(days=32)
        assert all(b - a <= timedelta(days=31) for a, b in zip(starts, starts[1:], strict=False))
        value, expected = 0.0, []
        for i, start in enumerate(starts):
            if i:
                value *= 0.5 ** ((start - starts[i - 1]).days / half_life)
            end = starts[i + 1] if i + 1 < len(starts) else date.max
            weights = [w for d, w in mine if start <= d < end]
            value = max(0.0, value - sum(w for w in weights if w < 0)
                        - 0.5 * sum(w for w in weights if w > 0))
            expected.append(round(value, 2))
        assert [r.index for r in rows if r.pair == pair] == expected


# -- rises -------------------------------------------------------------------------------------


def test_a_sharp_rise_alerts_and_a_fall_does_not() -> None:
    rows = [Row("IRN-SAU", "2015-12", 1.0), Row("IRN-SAU", "2016-01", 40.0),
            Row("IRN-SAU", "2016-02", 20.0)]
    found = rises(rows, threshold=100, jump=10)
    assert [(r.period, r.previous, r.reasons) for r in found] == [("2016-01", 1.0, ("jump",))]


def test_crossing_the_threshold_alerts_once_not_while_above_it() -> None:
    rows = [Row("IRN-USA", "2019-05", 8.0), Row("IRN-USA", "2019-06", 12.0),
            Row("IRN-USA", "2019-07", 14.0), Row("IRN-USA", "2019-08", 9.0),
            Row("IRN-USA", "2019-09", 10.0)]
    found = rises(rows, threshold=10, jump=50)
    assert [(r.period, r.reasons) for r in found] == [("2019-06", ("threshold",)),
                                                      ("2019-09", ("threshold",))]


def test_a_pairs_first_row_rises_from_zero_and_pairs_are_apart() -> None:
    rows = [Row("QAT-SAU", "2017-06", 30.0), Row("ARE-QAT", "2017-05", 0.5),
            Row("ARE-QAT", "2017-06", 28.0)]
    found = rises(rows, threshold=25, jump=20)
    assert [(r.pair, r.period, r.reasons) for r in found] == [
        ("ARE-QAT", "2017-06", ("jump", "threshold")),
        ("QAT-SAU", "2017-06", ("jump", "threshold"))]
    assert found[0].to_json() == {"pair": "ARE-QAT", "period": "2017-06", "index": 28.0,
                                  "previous": 0.5, "reasons": ["jump", "threshold"]}


def test_rises_refuses_a_threshold_or_jump_that_means_nothing() -> None:
    with pytest.raises(ValueError, match="threshold"):
        rises([], threshold=0, jump=1)
    with pytest.raises(ValueError, match="jump"):
        rises([], threshold=1, jump=-1)


# -- the coder's events ------------------------------------------------------------------------


def test_the_coders_events_and_types_are_what_the_index_reads() -> None:
    assert sorted(WEIGHTS) == sorted(EVENT_TYPES)
    event = Event("SAU", "IRN", "SANCTION", None, 0, "Saudi Arabia cut ties with Iran.")
    assert tension([(date(2016, 1, 3), event)]) == [Row("IRN-SAU", "2016-01", 4.0)]
