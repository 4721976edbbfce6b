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
