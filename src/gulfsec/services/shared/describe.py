"""Entries and parties in the words the pages use: names, form titles, summary lines."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gulfsec.domain.forms import registry
from gulfsec.domain.regime import Regime


def party_name(regime: Regime, code: str, language: str = "en") -> str:
    """A party's name in ``language`` (English when none is given), or the code itself."""
    found = regime.participants.get(code)
    if found is not None:
        return found.name_in(language)
    if code == regime.secretariat.code:
        return regime.secretariat.name
    return code


def form_title(form: str) -> str:
    """The form's title in English (the form's id for an unknown form): views are shared by
    readers of every language, so the pages translate it where they show it."""
    spec = registry().get(form)
    return form if spec is None else spec.title


def summarise(form: str, body: Mapping[str, Any]) -> str:
    """The line that says what an entry is about: its form's summary of its body."""
    spec = registry().get(form)
    return "" if spec is None else spec.summarise(body)


def audience_text(regime: Regime, audience: Sequence[str] | None) -> str:
    if audience is None:
        return "all participants"
    return ", ".join(audience)
