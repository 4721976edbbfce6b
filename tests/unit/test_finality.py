"""Finality from witness cosignatures, against a naive reference."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gulfsec.ledger.finality import WitnessFinality

cosigs = st.lists(st.tuples(st.sampled_from("ABCDE"), st.integers(1, 60), st.integers(0, 1000)),
                  max_size=40)


def naive_final_at(items: list[tuple[str, int, int]], quorum: int, index: int) -> int | None:
    best: dict[str, int] = {}
    for witness, size, ts in items:
        if size > index:
            best[witness] = min(ts, best.get(witness, ts))
    times = sorted(best.values())
    return times[quorum - 1] if len(times) >= quorum else None


@settings(max_examples=300)
@given(cosigs, st.integers(1, 4))
def test_finality_matches_the_naive_rule_in_any_arrival_order(
        items: list[tuple[str, int, int]], quorum: int) -> None:
    finality = WitnessFinality(quorum)
    for witness, size, ts in items:
        finality.add(witness, size, ts)
    for index in range(0, 62):
        assert finality.final_at(index) == naive_final_at(items, quorum, index), index


def test_a_later_cosignature_vouches_for_earlier_entries() -> None:
    finality = WitnessFinality(2)
    finality.add("IRN", 10, 100)
    finality.add("SAU", 12, 105)
    assert finality.final_size == 10
    assert finality.final_at(9) == 105
    assert finality.final_at(10) is None


def test_no_entry_is_final_before_the_quorum() -> None:
    finality = WitnessFinality(3)
    finality.add("IRN", 10, 100)
    finality.add("SAU", 10, 101)
    assert finality.final_size == 0
    assert finality.final_at(0) is None
    finality.add("RUS", 11, 110)
    assert finality.final_at(0) == 110


def test_the_same_cosignature_twice_changes_nothing() -> None:
    finality = WitnessFinality(1)
    assert finality.add("IRN", 5, 50)
    assert not finality.add("IRN", 5, 50)
    assert finality.vouchers(4) == {"IRN": 50}


@settings(max_examples=300)
@given(st.lists(st.tuples(st.sampled_from("ABC"), st.integers(1, 60), st.integers(0, 6)),
                max_size=60), st.integers(1, 3))
def test_finality_matches_the_naive_rule_when_many_cosignatures_share_a_second(
        items: list[tuple[str, int, int]], quorum: int) -> None:
    finality = WitnessFinality(quorum)
    for witness, size, ts in items:
        finality.add(witness, size, ts)
    for index in range(0, 62):
        assert finality.final_at(index) == naive_final_at(items, quorum, index), index
        assert finality.vouchers(index) == {
            w: t for w in "ABC"
            if (t := min((ts for v, s, ts in items if v == w and s > index), default=-1)) >= 0}


def test_a_witness_cosigning_many_checkpoints_a_second_keeps_one_a_second() -> None:
    finality = WitnessFinality(1)
    for size in range(1, 10_001):  # ten checkpoints a second for 1,000 seconds
        finality.add("IRN", size, 1_000 + size // 10)
    kept = finality._witnesses["IRN"]
    assert len(kept.sizes) == 1_001
    assert finality.final_size == 10_000
    assert finality.final_at(0) == 1_000 and finality.final_at(9_999) == 2_000
    assert finality.final_at(55) == 1_005
