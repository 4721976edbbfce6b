"""Values filled into English messages by the domain, as the reader's language writes them on
a page: a duration as ``span`` writes it (``3 d 4 h``), a day (``2026-12-01``) in a finding or a
summary line, and a decision's status or outcome code in a sentence the ``problem`` filter
translates again. English stays as it was."""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from gulfsec import i18n as words
from gulfsec.domain.compliance.rule import span
from gulfsec.domain.forms import get_form
from gulfsec.domain.forms._summary import Summary
from gulfsec.web import formats
from gulfsec.web.formats import coded_value, finding_words, shown_value, span_words
from gulfsec.web.site import make_environment, summary_words

ASCII_DIGIT = re.compile(r"[0-9]")
LATE = "log #{index} final {at}, {late} after the deadline"
CHAIR = ("the chair declared the draft {outcome} (log #{index}), but the positions make it "
         "{status}: {why}")
ACTIVITY = "{name} ({kind}, {start} to {end})"


class Pseudo(gettext.NullTranslations):
    """A catalog that has ``messages`` and writes each as ``«message»``."""

    def __init__(self, *messages: str) -> None:
        super().__init__()
        self._catalog = {message: f"«{message}»" for message in messages}

    def gettext(self, message: str) -> str:
        return self._catalog.get(message, message)


@pytest.fixture
def arabic(monkeypatch: pytest.MonkeyPatch) -> Iterator[Pseudo]:
    """Arabic as a pseudo-catalog of the messages these tests put on a page (and the words the
    pages have for a decision's status)."""
    table = Pseudo(LATE, CHAIR, ACTIVITY, "adopted", "not adopted", "open")
    real = words.catalog
    monkeypatch.setattr(words, "catalog", lambda code: table if code == "ar" else real(code))
    words._problem_patterns.cache_clear()
    formats._patterns.cache_clear()
    yield table
    words._problem_patterns.cache_clear()
    formats._patterns.cache_clear()


# 1. Durations


SPANS = [timedelta(days=3, hours=4), timedelta(days=3), timedelta(hours=5, minutes=10),
         timedelta(hours=2), timedelta(minutes=1), timedelta(seconds=1), timedelta(0),
         timedelta(days=400, hours=1, minutes=59)]


def test_every_shape_span_writes_is_said_in_the_readers_units() -> None:
    assert shown_value("3 d 4 h", "ar") == "٣ أيام و٤ س"
    assert shown_value("5 h 10 min", "ar") == "٥ س و١٠ د"
    assert shown_value("3 d 4 h", "fa") == "۳ روز ۴ ساعت"
    assert shown_value("3 d 4 h", "zh") == "3天4小时"
    assert shown_value("3 d 4 h", "ru") == "3 дн. 4 ч"
    assert shown_value("3 d 4 h", "fr") == "3\u202fj 4\u202fh"
    for delta in SPANS:
        written = span(delta)
        for code in ("ar", "fa"):
            shown = shown_value(written, code)
            assert shown != written and not ASCII_DIGIT.search(shown), (written, code)
            assert span_words(written, code) == shown
        for code in ("ru", "zh", "fr"):
            assert shown_value(written, code) != written, (written, code)


def test_english_keeps_span_s_words_and_other_text_is_left_alone() -> None:
    for delta in SPANS:
        assert shown_value(span(delta), "en") == span(delta)
    for other in ("3 d 0", "3 days", "3 d 4 h after", "-1 d 23 h", "d 4 h", "3 h 4 d", "4 m",
                  "٣ d"):
        assert shown_value(other, "ar") == other
        assert span_words(other, "ar") is None


def test_a_finding_s_delay_reads_in_arabic(arabic: Pseudo) -> None:
    message = LATE.format(index=12, at="2026-12-01T08:00:49Z", late="3 d 4 h")
    with words.use("ar"):
        shown = finding_words(message)
    assert shown == "«" + LATE.format(index="١٢", at=shown_value("2026-12-01T08:00:49Z", "ar"),
                                      late="٣ أيام و٤ س") + "»"
    with words.use("en"):
        assert finding_words(message) == LATE.format(
            index=12, at="1 Dec 2026 08:00:49 UTC", late="3 d 4 h")


# 2. Days


def test_a_day_reads_as_the_day_filter_writes_it() -> None:
    for code in words.LANGUAGES:
        assert shown_value("2026-12-01", code) == words.format_day(date(2026, 12, 1), code)
    assert not ASCII_DIGIT.search(shown_value("2026-12-01", "ar"))
    for other in ("2026-13-01", "2026-12-1", "2026-12-01 ", "on 2026-12-01"):
        assert shown_value(other, "ar") == other


def test_a_summary_s_days_read_as_the_day_filter_writes_them(arabic: Pseudo) -> None:
    text = get_form("activity-notification@1").summarise(
        {"name": "Gulf Shield", "kind": "land", "start": "2026-12-01", "end": "2026-12-05"})
    assert isinstance(text, Summary)
    assert text == "Gulf Shield (land, 2026-12-01 to 2026-12-05)"  # the API's, the CSV's
    with words.use("ar"):
        shown = summary_words(text)
    assert shown.startswith("«Gulf Shield (")
    assert words.format_day(date(2026, 12, 1), "ar") in shown
    assert words.format_day(date(2026, 12, 5), "ar") in shown
    assert "2026" not in shown
    with words.use("en"):
        assert summary_words(text) == text


# 3. A decision's status and outcome


def test_a_chair_contradiction_names_the_status_and_outcome_in_words(arabic: Pseudo) -> None:
    message = CHAIR.format(outcome="adopted", index=9, status="not-adopted",
                           why="silence broken")
    template = make_environment().from_string("{{ text | problem }}")
    with words.use("ar"):
        shown = template.render(text=message)
    assert shown == "«" + CHAIR.format(outcome="«adopted»", index=9, status="«not adopted»",
                                       why="silence broken") + "»"
    with words.use("en"):
        assert template.render(text=message) == message
        assert summary_words(message) == message


def test_only_status_and_outcome_become_words(arabic: Pseudo) -> None:
    with words.use("ar"):
        assert coded_value("status", "open") == "«open»"
        assert coded_value("outcome", "not-adopted") == "«not adopted»"
        assert coded_value("why", "open") == "open"
        assert coded_value("status", "no-such-code") == "no-such-code"
    assert words.translate_problem("open", "ar", shown=coded_value) == "«open»"  # a message
