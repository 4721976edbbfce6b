"""The codes the pages show (levels, activity types, unit kinds, events, roles, statuses) read
in the reader's language."""

from __future__ import annotations

from typing import get_args

import pytest

from gulfsec import i18n
from gulfsec.domain.forms._types import Level
from gulfsec.domain.forms.risk import EVENT_WORDS, ActivityType
from gulfsec.web.risk import ACTIVITY_TYPES, UNIT_KINDS
from gulfsec.web.terms import (
    ACTIVITY_WORDS,
    EVENT_TERMS,
    LEVEL_WORDS,
    UNIT_WORDS,
    term,
)


def test_the_pages_name_every_code_the_forms_allow() -> None:
    assert set(LEVEL_WORDS) == set(get_args(Level))
    assert set(ACTIVITY_WORDS) == set(get_args(ActivityType)) == set(ACTIVITY_TYPES)
    assert set(UNIT_WORDS) == set(UNIT_KINDS)
    assert dict(EVENT_TERMS) == dict(EVENT_WORDS)


@pytest.mark.parametrize("code", [c for c in i18n.languages_in_catalogs()])
def test_a_code_reads_in_each_language(code: str) -> None:
    with i18n.use(code):
        assert term("minister") != "minister"
        assert term("unsafe-manoeuvre") == term("unsafe manoeuvre") != "unsafe manoeuvre"
        assert term("officer") != "officer"
    assert term("not-a-code") == "not-a-code"


def test_the_pages_name_the_default_regimes_formats_decision_words_and_entity_types() -> None:
    from gulfsec.domain.forms.decisions import Procedure
    from gulfsec.domain.procedures.decisions import STATUSES
    from gulfsec.domain.procedures.kinds.designation import EntityType
    from gulfsec.domain.regime import default_regime
    from gulfsec.web.decisions import ENTITY_TYPES
    from gulfsec.web.terms import DECISION_WORDS, ENTITY_WORDS, FORMAT_WORDS

    assert set(FORMAT_WORDS) == set(default_regime().formats)
    assert set(ENTITY_WORDS) == set(ENTITY_TYPES) == set(get_args(EntityType))
    assert set(DECISION_WORDS) == set(STATUSES) | set(get_args(Procedure))
    assert term("p5+1+iran") == "P5+1 and Iran" and term("not-adopted") == "not adopted"
    assert term("silence") == "silence procedure" and term("a-regimes-own") == "a-regimes-own"


def test_the_designation_lists_entity_types_and_actions_have_marked_words() -> None:
    from pathlib import Path
    from typing import get_type_hints

    from babel.messages.extract import extract_from_file

    from gulfsec.domain.procedures.designations import Event
    from gulfsec.domain.procedures.kinds.designation import EntityType
    from gulfsec.web import terms
    from gulfsec.web.terms import ACTION_WORDS, ENTITY_WORDS, TERMS

    actions = get_args(get_type_hints(Event)["action"])
    assert actions and set(ACTION_WORDS) == set(actions)
    assert set(ENTITY_WORDS) == set(get_args(EntityType))
    marked = {str(found[1]) for found in extract_from_file(
        "python", str(Path(terms.__file__)), keywords={"_": None, "N_": None})}
    for group in (ENTITY_WORDS, ACTION_WORDS):
        for code, words in group.items():
            assert words in marked, code
            assert TERMS[code] == words and term(code) == words
