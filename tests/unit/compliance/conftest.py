"""Fixtures for the compliance tests: keys for every state, and an empty history."""

from __future__ import annotations

import pytest
from compliance_history import History

from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import default_regime


@pytest.fixture(scope="session")
def state_keys(party_keys: dict[str, SigningKey]) -> dict[str, SigningKey]:
    """A key for every participant of the default regime (the personas' own where they exist)."""
    keys = dict(party_keys)
    for code in default_regime().participants:
        keys.setdefault(code, SigningKey.generate(code))
    return keys


@pytest.fixture
def history(state_keys: dict[str, SigningKey]) -> History:
    return History(default_regime(), state_keys)
