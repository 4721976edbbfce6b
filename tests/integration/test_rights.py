"""The hub enforces the rights the regime gives each status, per form, fail-closed: a
hand-made entry from a sender whose status lacks the form's right is refused with 403
(``missing_right``), whatever the sender's own software checked. Every node refuses it again.

The regime here is the Gulf regime with observer organisations stripped of ``send``: the UNSC
may hold a key and acknowledge (``receive``) but not write a message.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from gulfsec.adapters.clock import ManualClock
from gulfsec.domain.entry import Entry, sign_entry
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import Regime, default_regime
from gulfsec.services.hub import Hub
from gulfsec.services.participant import registration_request


@pytest.fixture
def regime() -> Regime:
    base = default_regime()
    observer = base.statuses["observer"]
    statuses = {**base.statuses, "observer": replace(observer, rights=frozenset({"receive"}))}
    return replace(base, statuses=statuses)


@pytest.fixture
def unsc(hub: Hub, party_keys: dict[str, SigningKey], clock: ManualClock) -> SigningKey:
    """The UNSC admitted with a key of its own (registration needs only ``receive``)."""
    key = SigningKey.generate("UNSC")
    hub.submit(registration_request(key, "UNSC", clock.now()).countersigned(
        party_keys["SEC"]).raw)
    return key


def _entry(key: SigningKey, clock: ManualClock, form: str, body: dict[str, Any],
           refs: tuple[str, ...] = ()) -> bytes:
    entry = Entry(form=form, sender=key.name, key=key.key_id_hex, seq=1,
                  time=clock.now().replace(microsecond=0), audience=("IRN",), body=body,
                  refs=refs)
    return sign_entry(entry, key).raw


def test_a_hand_made_entry_without_the_forms_right_is_refused_with_403(
        api: Any, hub: Hub, unsc: SigningKey, clock: ManualClock) -> None:
    before = hub.state.size
    raw = _entry(unsc, clock, "message@1", {"subject": "s", "text": "t"})
    response = api.post("/v1/entries", content=raw,
                        headers={"Content-Type": "application/json"})
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["error"] == "missing_right"
    assert (body["party"], body["right"], body["form"]) == ("UNSC", "send", "message@1")
    assert hub.state.size == before


def test_the_same_sender_may_use_a_form_its_status_allows(
        api: Any, hub: Hub, unsc: SigningKey, clock: ManualClock,
        party_keys: dict[str, SigningKey]) -> None:
    message = sign_entry(Entry(form="message@1", sender="IRN",
                               key=party_keys["IRN"].key_id_hex, seq=1,
                               time=clock.now().replace(microsecond=0), audience=("UNSC",),
                               body={"subject": "s", "text": "t"}), party_keys["IRN"])
    hub.submit(message.raw)
    raw = _entry(unsc, clock, "acknowledgement@1", {"entries": [message.id_hex]},
                 refs=(message.id_hex,))
    response = api.post("/v1/entries", content=raw,
                        headers={"Content-Type": "application/json"})
    assert response.status_code == 201, response.text


def test_the_batch_route_refuses_it_too_and_keeps_the_others(
        api: Any, hub: Hub, unsc: SigningKey, clock: ManualClock) -> None:
    raw = _entry(unsc, clock, "message@1", {"subject": "s", "text": "t"})
    response = api.post("/v1/entries/batch", content=b"[" + raw + b"]",
                        headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    [result] = response.json()["results"]
    assert result["ok"] is False and result["error"] == "missing_right"
