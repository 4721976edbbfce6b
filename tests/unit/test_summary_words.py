"""Summary lines name the words of a fixed vocabulary (an incident's events, an activity's
kind, a level, a meeting's changes) in the reader's language, and join lists as it does; the
English line, which the API and the CSV show, stays as it was."""

from __future__ import annotations

import gettext
import pickle
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any, get_args

import babel.lists
import pytest
from babel.messages.extract import extract_from_file

from gulfsec import i18n
from gulfsec.domain.forms import get_form
from gulfsec.domain.forms._military import ActivityKind
from gulfsec.domain.forms._summary import Summary, Words
from gulfsec.domain.forms._types import Level
from gulfsec.domain.forms.meetings import _CHANGES
from gulfsec.domain.forms.risk import ActivityType, Event
from gulfsec.web.formats import shown_value
from gulfsec.web.site import make_environment, summary_words
from gulfsec.web.terms import TERMS

ROOT = Path(__file__).resolve().parents[2] / "src" / "gulfsec"
DAYS = {"start": "2026-12-01", "end": "2026-12-05"}


def bodies() -> Iterator[tuple[str, dict[str, Any]]]:
    """A body of each form whose summary names vocabulary, for every word it may name."""
    for event in get_args(Event):
        yield "incident-report@1", {"other_party": "IRN", "events": [event, "collision"]}
    for kind in get_args(ActivityKind):
        yield "activity-notification@1", {"name": "Gulf Shield", "kind": kind, **DAYS}
    for activity in get_args(ActivityType):
        yield "unusual-activity@1", {"addressee": "IRN", "activity_type": activity}
    for level in get_args(Level):
        yield "thread@1", {"subject": "Maritime safety", "level": level}
    yield "thread@1", {"subject": "Maritime safety"}
    for field in _CHANGES:
        yield "meeting-update@1", {field: "x", "place": "Muscat"}
    yield "hotline@1", {"recipients": [{"party": "QAT"}, {"party": "IRN"}]}


@cache
def marked() -> frozenset[str]:
    """The messages marked in the forms' package and the pages' terms, as babel extracts
    them (``make messages``)."""
    found: set[str] = set()
    for path in [*sorted((ROOT / "domain" / "forms").glob("*.py")), ROOT / "web" / "terms.py"]:
        for _line, message, _comments, _context in extract_from_file(
                "python", str(path), keywords={"N_": None, "_": None}):
            if isinstance(message, str):
                found.add(message)
    return frozenset(found)


class Fake(gettext.NullTranslations):
    """A catalog that says each message it is asked for in brackets, and remembers it."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    def gettext(self, message: str) -> str:
        self.asked.append(message)
        return f"«{message}»"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[Fake]:
    translations = Fake()
    monkeypatch.setattr(i18n, "catalog", lambda code: translations)
    i18n._problem_patterns.cache_clear()
    yield translations
    i18n._problem_patterns.cache_clear()


def test_the_english_lines_are_as_they_were() -> None:
    said: dict[str, dict[str, Any]] = {
        "incident-report@1": {"other_party": "IRN",
                              "events": ["unsafe-manoeuvre", "weapons-aimed"]},
        "activity-notification@1": {"name": "Gulf Shield", "kind": "land", **DAYS},
        "unusual-activity@1": {"addressee": "IRN", "activity_type": "air"},
        "thread@1": {"subject": "Maritime safety", "level": "senior-official"},
        "meeting-update@1": {"starts_at": "2026-12-01T08:00:00Z", "place": "Muscat"},
        "hotline@1": {"recipients": [{"party": "QAT"}, {"party": "IRN"}]},
    }
    lines = {form: get_form(form).summarise(body) for form, body in said.items()}
    assert lines == {
        "incident-report@1": "incident with IRN: unsafe manoeuvre, weapons aimed",
        "activity-notification@1": "Gulf Shield (land, 2026-12-01 to 2026-12-05)",
        "unusual-activity@1": "asks IRN to explain unusual air activity",
        "thread@1": "Maritime safety (senior-official)",
        "meeting-update@1": "changes the meeting: starts at, place",
        "hotline@1": "hotline message to IRN, QAT",
    }
    assert all(isinstance(text, Summary) for text in lines.values())
    with i18n.use("en"):
        assert [summary_words(text) for text in lines.values()] == list(lines.values())


@pytest.mark.parametrize(("form", "body"), list(bodies()))
def test_every_vocabulary_word_is_a_message_for_the_catalogs(form: str,
                                                             body: dict[str, Any]) -> None:
    text = get_form(form).summarise(body)
    assert isinstance(text, Summary) and text
    vocabulary = [value for value in text.values.values() if isinstance(value, Words)]
    assert vocabulary
    for value in vocabulary:
        for item in value.items if value.translate else ():
            assert TERMS.get(item, item) in marked(), item
    assert text.message in marked()


@pytest.mark.parametrize(("form", "body"), list(bodies()))
def test_each_word_is_asked_of_the_readers_catalog(fake: Fake, form: str,
                                                   body: dict[str, Any]) -> None:
    text = get_form(form).summarise(body)
    assert isinstance(text, Summary)
    with i18n.use("ar"):
        shown = summary_words(text)
    expected: dict[str, str] = {}
    for name, value in text.values.items():
        if isinstance(value, Words):
            items = [f"«{TERMS.get(item, item)}»" if value.translate else item
                     for item in value.items]
            expected[name] = babel.lists.format_list(items, locale="ar_SA")
        elif isinstance(value, str):  # a day as the `day` filter writes it
            expected[name] = shown_value(value, "ar")
        else:
            expected[name] = str(value)
    assert shown == f"«{text.message}»".format(**expected)
    for value in text.values.values():
        if isinstance(value, Words) and value.translate:
            assert {TERMS.get(item, item) for item in value.items} <= set(fake.asked)


def test_an_incident_reads_in_arabic_through_the_problem_filter(fake: Fake) -> None:
    text = get_form("incident-report@1").summarise(
        {"other_party": "IRN", "events": ["unsafe-manoeuvre", "weapons-aimed"]})
    template = make_environment().from_string("{{ text | problem }}")
    with i18n.use("ar"):
        shown = template.render(text=text)
    assert shown == "«incident with {other_party}: {events}»".format(
        other_party="IRN", events="«unsafe manoeuvre» و«weapons aimed»")
    assert "unsafe manoeuvre" in fake.asked and "weapons aimed" in fake.asked


def test_a_translation_naming_other_placeholders_falls_back(monkeypatch: pytest.MonkeyPatch,
                                                            fake: Fake) -> None:
    text = get_form("unusual-activity@1").summarise({"addressee": "IRN", "activity_type": "air"})
    assert isinstance(text, Summary)
    monkeypatch.setattr(fake, "gettext",
                        lambda message: "{nothing}" if message == text.message else message)
    with i18n.use("ar"):
        assert summary_words(text) == "asks IRN to explain unusual air activity"


def test_plain_text_is_translated_as_a_problem_still() -> None:
    with i18n.use("fr"):
        assert summary_words("acknowledges 1 entry") == i18n.translate_problem(
            "acknowledges 1 entry")


def test_a_summary_keeps_its_words_when_tidied_or_copied() -> None:
    text = get_form("activity-notification@1").summarise(
        {"name": "Gulf  Shield\n2", "kind": "naval", **DAYS})
    assert text == "Gulf Shield 2 (naval, 2026-12-01 to 2026-12-05)"
    assert isinstance(text, Summary) and text.values["name"] == "Gulf Shield 2"
    again = pickle.loads(pickle.dumps(text))
    assert again == text and again.message == text.message and again.values == text.values
    long = get_form("thread@1").summarise({"subject": "x" * 300, "level": "expert"})
    assert len(long) == 120 and not isinstance(long, Summary)  # cut short: said as it is
