"""Checks on an entry against the regime: sender, audience, references, form and claimed time.

Personas: IRN sends, RUS is addressed, QAT is a party outside the audience; ZZZ is no party.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from gulfsec.adapters.clock import ManualClock
from gulfsec.domain.entry import ALL, Audience, Entry, SignedEntry, sign_entry
from gulfsec.domain.forms import get_form
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import Regime
from gulfsec.domain.validate import check_entry, check_right
from gulfsec.errors import (
    AccessDenied,
    AudienceError,
    EntryError,
    InvalidFormBody,
    MissingRight,
    UnknownForm,
    UnknownSender,
)

MESSAGE = {"subject": "Naval exercise", "text": "Notice of an exercise."}


def ids(n: int) -> tuple[str, ...]:
    return tuple(hashlib.sha256(b"entry %d" % i).hexdigest() for i in range(n))


def make(sender: str = "IRN", *, time: datetime, form: str = "message@1",
         audience: Audience = ("RUS",), body: dict[str, Any] | None = None,
         refs: tuple[str, ...] = ()) -> SignedEntry:
    key = SigningKey.generate(sender)
    entry = Entry(form=form, sender=sender, key=key.key_id_hex, seq=1, time=time,
                  audience=audience, body=MESSAGE if body is None else body, refs=refs)
    return sign_entry(entry, key)


@pytest.fixture
def now(clock: ManualClock) -> datetime:
    return clock.now()


def test_a_good_entry_passes_and_its_form_is_returned(regime: Regime, now: datetime) -> None:
    form = check_entry(make(time=now), regime, now)
    assert form.id == "message@1"


def test_an_entry_for_all_passes(regime: Regime, now: datetime) -> None:
    check_entry(make(time=now, audience=ALL), regime, now)


def test_the_secretariat_may_send(regime: Regime, now: datetime) -> None:
    check_entry(make("SEC", time=now, audience=ALL), regime, now)


# -- sender and audience ------------------------------------------------------------------------


def test_an_unknown_sender_is_refused(regime: Regime, now: datetime) -> None:
    signed = make("ZZZ", time=now)
    with pytest.raises(UnknownSender, match="'ZZZ' is not a party of regime gulf") as err:
        check_entry(signed, regime, now)
    assert err.value.entry_id == signed.id_hex


def test_an_audience_naming_an_unknown_party_is_refused(regime: Regime, now: datetime) -> None:
    signed = make(time=now, audience=("RUS", "ZZZ"))
    with pytest.raises(AudienceError, match=r"unknown parties \['ZZZ'\]") as err:
        check_entry(signed, regime, now)
    assert err.value.entry_id == signed.id_hex


def test_an_audience_of_lowercase_codes_is_refused(regime: Regime, now: datetime) -> None:
    with pytest.raises(AudienceError, match="unknown parties"):
        check_entry(make(time=now, audience=("rus",)), regime, now)


def test_an_entry_addressed_only_to_its_sender_is_refused(regime: Regime, now: datetime) -> None:
    with pytest.raises(AudienceError, match="addressed to someone besides its sender"):
        check_entry(make(time=now, audience=("IRN",)), regime, now)


def test_an_audience_that_includes_the_sender_and_another_party_passes(
    regime: Regime, now: datetime
) -> None:
    check_entry(make(time=now, audience=("IRN", "RUS")), regime, now)


def test_the_secretariat_may_be_addressed(regime: Regime, now: datetime) -> None:
    check_entry(make(time=now, audience=("SEC",)), regime, now)


# -- references ---------------------------------------------------------------------------------


def test_references_up_to_the_regimes_limit_pass(regime: Regime, now: datetime) -> None:
    check_entry(make(time=now, refs=ids(regime.limits.max_refs)), regime, now)


def test_one_reference_over_the_regimes_limit_is_refused(regime: Regime, now: datetime) -> None:
    limit = regime.limits.max_refs
    signed = make(time=now, refs=ids(limit + 1))
    with pytest.raises(EntryError, match=f"{limit + 1} references, over the limit of {limit}"):
        check_entry(signed, regime, now)


# -- form ---------------------------------------------------------------------------------------


def test_an_unknown_form_is_refused(regime: Regime, now: datetime) -> None:
    with pytest.raises(UnknownForm):
        check_entry(make(time=now, form="nonsense@1", body={}), regime, now)


def test_a_body_that_fails_its_form_is_refused(regime: Regime, now: datetime) -> None:
    with pytest.raises(InvalidFormBody, match="subject"):
        check_entry(make(time=now, body={"text": "no subject"}), regime, now)


# -- claimed time -------------------------------------------------------------------------------


@pytest.mark.parametrize("sign", [-1, 1], ids=["past", "future"])
def test_a_claimed_time_exactly_at_the_clock_skew_passes(
    regime: Regime, now: datetime, sign: int
) -> None:
    skew = regime.limits.clock_skew
    check_entry(make(time=now + sign * skew), regime, now)


@pytest.mark.parametrize("sign", [-1, 1], ids=["past", "future"])
def test_a_claimed_time_one_second_inside_the_clock_skew_passes(
    regime: Regime, now: datetime, sign: int
) -> None:
    skew = regime.limits.clock_skew - timedelta(seconds=1)
    check_entry(make(time=now + sign * skew), regime, now)


@pytest.mark.parametrize("sign", [-1, 1], ids=["past", "future"])
def test_a_claimed_time_one_second_beyond_the_clock_skew_is_refused(
    regime: Regime, now: datetime, sign: int
) -> None:
    skew = regime.limits.clock_skew + timedelta(seconds=1)
    signed = make(time=now + sign * skew)
    seconds = int(regime.limits.clock_skew.total_seconds())
    with pytest.raises(EntryError, match=f"more than {seconds} s from the hub's clock") as err:
        check_entry(signed, regime, now)
    assert err.value.entry_id == signed.id_hex


def test_the_clock_skew_follows_the_hubs_clock_as_it_moves(
    regime: Regime, clock: ManualClock
) -> None:
    signed = make(time=clock.now())
    clock.advance(regime.limits.clock_skew)
    check_entry(signed, regime, clock.now())
    clock.advance(timedelta(seconds=1))
    with pytest.raises(EntryError, match="claimed time"):
        check_entry(signed, regime, clock.now())


def test_the_default_regime_allows_five_minutes_of_skew(regime: Regime) -> None:
    assert regime.limits.clock_skew == timedelta(minutes=5)


# -- acknowledgements ---------------------------------------------------------------------------


def test_an_acknowledgement_whose_entries_are_also_refs_passes(
    regime: Regime, now: datetime
) -> None:
    acked = ids(2)
    check_entry(
        make(time=now, form="acknowledgement@1", body={"entries": list(acked)}, refs=acked),
        regime, now,
    )


def test_an_acknowledgement_of_an_entry_missing_from_refs_is_refused(
    regime: Regime, now: datetime
) -> None:
    acked = ids(2)
    signed = make(time=now, form="acknowledgement@1", body={"entries": list(acked)},
                  refs=acked[:1])
    with pytest.raises(InvalidFormBody, match=f"not also in refs: .*{acked[1]}") as err:
        check_entry(signed, regime, now)
    assert [path for path, _ in err.value.fields] == ["entries"]


def test_an_acknowledgement_with_no_refs_at_all_is_refused(
    regime: Regime, now: datetime
) -> None:
    with pytest.raises(InvalidFormBody, match="not also in refs"):
        check_entry(
            make(time=now, form="acknowledgement@1", body={"entries": list(ids(1))}),
            regime, now,
        )


# -- rights -----------------------------------------------------------------------------------


def without_right(regime: Regime, status: str, right: str) -> Regime:
    """The regime with ``status`` stripped of ``right``."""
    old = regime.statuses[status]
    statuses = {**regime.statuses, status: replace(old, rights=old.rights - {right})}
    return replace(regime, statuses=statuses)


def test_a_sender_whose_status_lacks_the_forms_right_is_refused(
        regime: Regime, now: datetime) -> None:
    muted = without_right(regime, "observer", "send")
    with pytest.raises(MissingRight) as caught:
        check_entry(make("UNSC", time=now), muted, now)
    assert caught.value.to_dict() | {"entry_id": None} == {
        "error": "missing_right", "message": caught.value.message, "party": "UNSC",
        "right": "send", "form": "message@1", "entry_id": None}
    assert isinstance(caught.value, AccessDenied)


def test_an_acknowledgement_needs_receive_not_send(regime: Regime, now: datetime) -> None:
    muted = without_right(regime, "observer", "send")
    target = ids(1)
    ack = make("UNSC", time=now, form="acknowledgement@1", body={"entries": list(target)},
               refs=target)
    check_entry(ack, muted, now)
    deaf = without_right(regime, "observer", "receive")
    with pytest.raises(MissingRight, match="'receive'"):
        check_entry(ack, deaf, now)


def test_a_form_that_declares_no_right_is_refused(regime: Regime, now: datetime) -> None:
    signed = make(time=now)
    nameless = replace(get_form("message@1"), right="")
    with pytest.raises(MissingRight):
        check_right(signed, nameless, regime)
    unknown = replace(get_form("message@1"), right="shout")
    with pytest.raises(MissingRight):
        check_right(signed, unknown, regime)
