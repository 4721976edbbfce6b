"""How far a node's clock is from the hub's, from the hub's signed answer times: bounds that a
slow answer widens but never moves wrongly, narrowed by recent rounds while they agree
(:mod:`gulfsec.services.node.clock`)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gulfsec.domain.keys import SigningKey
from gulfsec.ledger.answers import sign_answer
from gulfsec.services.node.clock import ClockState, OffsetBounds, Sample, combined, offset_bounds

T0 = 1_800_000_000
LOG_KEY = SigningKey.generate("gulfsec.example/gulf-log")


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def sample(hub_time: int, sent: float, received: float) -> Sample:
    answer = sign_answer(LOG_KEY, LOG_KEY.name, "GET", "/v1/checkpoint", "-", 200, hub_time,
                         b"note")
    return Sample(answer, at(sent), at(received))


def test_an_instant_answer_from_a_clock_in_step_bounds_the_offset_within_a_second() -> None:
    bounds = offset_bounds(T0, at(T0), at(T0))
    assert bounds == OffsetBounds(-1, 0)
    assert bounds.within(300) and not bounds.beyond(300)


def test_the_round_trip_widens_the_bounds_on_both_sides() -> None:
    # Asked at T0 - 4, heard at T0 + 6 (the node's clock), answered at T0 (the hub's).
    bounds = offset_bounds(T0, at(T0 - 4), at(T0 + 6))
    assert bounds == OffsetBounds(-5, 6)
    assert bounds.least == 0


def test_a_node_clock_ten_minutes_ahead_is_beyond_a_five_minute_allowance() -> None:
    bounds = offset_bounds(T0, at(T0 + 600), at(T0 + 600.2))
    assert (bounds.low, bounds.high) == (599, pytest.approx(600.2))
    assert bounds.beyond(300) and not bounds.within(300)
    assert bounds.least == 599


def test_a_node_clock_ten_minutes_behind_is_beyond_it_the_other_way() -> None:
    bounds = offset_bounds(T0, at(T0 - 600), at(T0 - 599.8))
    assert bounds.high < -300 and bounds.beyond(300)
    assert bounds.least == bounds.high


def test_a_slow_answer_is_astride_the_allowance_and_decides_nothing() -> None:
    # A long poll: asked 20 minutes before the hub answered; the clock is in fact right.
    bounds = offset_bounds(T0, at(T0 - 1200), at(T0 + 0.1))
    assert not bounds.beyond(300) and not bounds.within(300)


def test_an_answer_heard_before_it_was_asked_is_refused() -> None:
    with pytest.raises(ValueError):
        offset_bounds(T0, at(T0 + 1), at(T0))


def test_exactly_at_the_allowance_is_within_it() -> None:
    assert OffsetBounds(299, 300).within(300)
    assert not OffsetBounds(300, 301).beyond(300)
    assert OffsetBounds(300.5, 301).beyond(300)


@given(offset=st.floats(-1e6, 1e6), moment=st.floats(0, 1e6),
       before=st.floats(0, 3600), after=st.floats(0, 3600))
def test_the_true_offset_always_lies_within_the_bounds(offset: float, moment: float,
                                                       before: float, after: float) -> None:
    """Against a naive reference: the hub answered at ``hub`` (its clock, read in whole
    seconds), the node's clock then read ``hub + offset``, the request took ``before`` to go
    and ``after`` to come back."""
    hub = T0 + moment
    sent, received = hub + offset - before, hub + offset + after
    bounds = offset_bounds(math.floor(hub), at(sent), at(received))
    slack = 1e-5  # a datetime keeps microseconds
    assert bounds.low - slack <= offset <= bounds.high + slack


def test_recent_rounds_narrow_the_bounds_while_they_agree() -> None:
    # Newest first: a long poll (wide), then two quick answers.
    samples = [sample(T0 + 20, T0 + 600, T0 + 620.5), sample(T0 + 10, T0 + 610, T0 + 610.1),
               sample(T0, T0 + 599.9, T0 + 600)]
    bounds, used = combined(samples)
    assert samples[0].bounds == OffsetBounds(579, 600.5)  # alone, it proves little
    assert (bounds.low, bounds.high) == (pytest.approx(599), pytest.approx(600))
    assert len(used) == 3
    assert samples[0].bounds.low <= bounds.low and bounds.high <= samples[0].bounds.high


def test_a_clock_set_meanwhile_leaves_the_older_rounds_out() -> None:
    # The clock was 10 minutes ahead, then set right: the newest round alone counts.
    samples = [sample(T0 + 20, T0 + 20, T0 + 20.1), sample(T0, T0 + 600, T0 + 600.1)]
    bounds, used = combined(samples)
    assert used == samples[:1]
    assert bounds == samples[0].bounds and bounds.within(300)


def test_no_sample_combines_to_nothing() -> None:
    with pytest.raises(ValueError):
        combined([])


def test_the_state_kept_reads_back_and_says_which_way_and_how_far() -> None:
    state = ClockState(False, -600.5, -599.5, 300, at(T0), at(T0 - 60))
    assert ClockState.from_json(state.to_json()) == state
    assert not state.ahead and state.shown_offset == 600 and state.offset_s == -600
    assert ClockState.from_json("{not json") is None
    assert ClockState.from_json('{"ok": true}') is None


def test_a_sample_keeps_the_signed_answer_and_the_nodes_times_as_evidence() -> None:
    kept = sample(T0, T0 + 600, T0 + 600.25).evidence()
    assert kept["answer"]["time"] == T0
    assert kept["sent_at"] == "2027-01-15T08:10:00Z"
    assert kept["received_at"] == "2027-01-15T08:10:00.250000Z"
