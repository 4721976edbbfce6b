"""Who owes an acknowledgement: one domain function, called by the node, the pages and
compliance alike (the integration test ``test_compliance_agreement.py`` checks they agree)."""

from __future__ import annotations

import pytest

from gulfsec.domain.duties import AcknowledgementDuty, obliged_parties
from gulfsec.domain.entry import ALL
from gulfsec.domain.regime import Regime, default_regime

JOINED_EARLY = 5


@pytest.fixture
def duty() -> AcknowledgementDuty:
    return AcknowledgementDuty(default_regime())


def everyone_joined(regime: Regime) -> dict[str, int]:
    return {code: JOINED_EARLY for code in (*regime.participants, regime.secretariat.code)}


def test_obliged_parties_are_the_states_that_send_and_receive() -> None:
    regime = default_regime()
    obliged = obliged_parties(regime)
    assert "IRN" in obliged and "USA" in obliged
    assert not {"UNSC", "LAS", "OIC", "GCC", "SEC"} & set(obliged)


def test_an_entry_to_all_is_owed_by_every_state_but_its_sender(
        duty: AcknowledgementDuty) -> None:
    regime = duty.regime
    owed = duty.owed_by("IRN", ALL, "message@1", 100, everyone_joined(regime))
    assert set(owed) == set(obliged_parties(regime)) - {"IRN"}


def test_an_organisation_holding_a_key_owes_nothing_even_when_addressed(
        duty: AcknowledgementDuty) -> None:
    joined = everyone_joined(duty.regime)
    assert "UNSC" not in duty.owed_by("IRN", ALL, "message@1", 100, joined)
    assert duty.owed_by("IRN", ("UNSC",), "message@1", 100, joined) == ()
    assert duty.owed_by("IRN", ("RUS", "UNSC"), "message@1", 100, joined) == ("RUS",)


def test_a_party_owes_only_what_came_after_it_joined(duty: AcknowledgementDuty) -> None:
    joined = {"IRN": 1, "RUS": 10}
    assert duty.owed_by("IRN", ("RUS",), "message@1", 9, joined) == ()
    assert duty.owed_by("IRN", ("RUS",), "message@1", 10, joined) == ()
    assert duty.owed_by("IRN", ("RUS",), "message@1", 11, joined) == ("RUS",)
    assert duty.owed_by("IRN", ("SAU",), "message@1", 11, joined) == ()  # never joined


@pytest.mark.parametrize("form", ["acknowledgement@1", "key-registration@1",
                                  "key-rotation@1", "key-revocation@1"])
def test_acknowledgements_and_key_entries_are_owed_by_nobody(
        duty: AcknowledgementDuty, form: str) -> None:
    assert duty.owed_by("IRN", ALL, form, 100, everyone_joined(duty.regime)) == ()


def test_an_entry_of_a_form_this_version_does_not_know_is_still_owed(
        duty: AcknowledgementDuty) -> None:
    assert duty.owed_by("IRN", ("RUS",), "future-form@9", 100,
                        everyone_joined(duty.regime)) == ("RUS",)


def test_owes_answers_for_one_party(duty: AcknowledgementDuty) -> None:
    joined = everyone_joined(duty.regime)
    assert duty.owes("RUS", "IRN", ("RUS", "SAU"), "message@1", 100, joined)
    assert not duty.owes("IRN", "IRN", ALL, "message@1", 100, joined)
    assert not duty.owes("GCC", "IRN", ALL, "message@1", 100, joined)
