"""What became of an entry queued by a hub front end that does not sequence, as the sequencer
writes it down and the front end reads it back (:mod:`gulfsec.services.hub.shared`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gulfsec.api.errors import status_for
from gulfsec.errors import (
    GulfsecError,
    RevokedKey,
    SequenceGap,
    StorageError,
    UnknownReference,
)
from gulfsec.services.hub.state import Receipt, outcome_from_json, outcome_json


def test_a_receipt_comes_back_whole() -> None:
    receipt = Receipt("ab" * 32, 7, 8, datetime(2026, 12, 1, 12, 0, 5, tzinfo=UTC),
                      duplicate=True)
    assert outcome_from_json(outcome_json(receipt)) == receipt


@pytest.mark.parametrize("refusal", [
    SequenceGap("IRN sequence number 5 skips ahead (next is 2)", sender="IRN", expected=2,
                got=5),
    UnknownReference("referenced entry ab is not in the log", entry_id="cd" * 32),
    RevokedKey("the key was revoked"),
    StorageError("sequencing failed: OperationalError"),
])
def test_a_refusal_comes_back_as_the_same_kind_with_its_details(
        refusal: GulfsecError) -> None:
    back = outcome_from_json(outcome_json(refusal))
    assert type(back) is type(refusal)
    assert back.to_dict() == refusal.to_dict()
    assert status_for(back) == status_for(refusal)
    assert str(back) == str(refusal)


def test_an_unknown_kind_of_refusal_is_a_storage_error() -> None:
    back = outcome_from_json('{"error": {"error": "no_such_kind", "message": "odd"}}')
    assert isinstance(back, StorageError)
    assert back.message == "odd"
