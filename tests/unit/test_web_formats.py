"""Times, numbers and lists on the pages as the reader's locale writes them: a finding's
account (the ``finding`` filter), lists of codes and words (``list_words``), the risk pages'
times and the inbox's indexes, in English and on an Arabic page."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from types import SimpleNamespace

from markupsafe import Markup

from gulfsec import i18n as words
from gulfsec.web.formats import finding_words, list_words, shown_value
from gulfsec.web.risk import day_words, moment_words
from gulfsec.web.site import make_environment

AT = datetime(2026, 12, 1, 8, 0, 49, tzinfo=UTC)
ISO = "2026-12-01T08:00:49Z"
ISO_ANYWHERE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
ARABIC_DIGITS = re.compile("[\u0660-\u0669]")


def test_a_finding_s_time_reads_as_the_when_filter_writes_it() -> None:
    with words.use("en"):
        assert finding_words(f"log #12 final {ISO}") == "log #12 final 1 Dec 2026 08:00:49 UTC"
        assert (finding_words(f"log #12 final {ISO}, 3 d 4 h after the deadline")
                == "log #12 final 1 Dec 2026 08:00:49 UTC, 3 d 4 h after the deadline")
        assert finding_words("acknowledged by log #1234") == "acknowledged by log #1234"


def test_on_an_arabic_page_a_finding_s_time_and_index_are_in_arabic_digits() -> None:
    with words.use("ar"):
        shown = finding_words(f"log #12 final {ISO}")
        assert words.format_moment(AT, "ar") in shown
        assert "١٢" in shown and not ISO_ANYWHERE.search(shown)
        assert "12" not in shown


def test_only_a_value_that_is_exactly_a_utc_time_changes() -> None:
    with words.use("en"):
        offset = "log #12 final 2026-12-01T08:00:49+03:00"
        assert finding_words(offset) == offset
        unknown = f"a message no catalog has, at {ISO}"
        assert finding_words(unknown) == unknown
    assert shown_value(ISO, "en") == "1 Dec 2026 08:00:49 UTC"
    # A day and a duration are written as the locale writes them (tests/unit/test_web_values.py).
    assert shown_value("2026-12-01", "en") == "1 Dec 2026"
    assert shown_value("42", "ar") == "٤٢" and shown_value("42", "en") == "42"
    assert shown_value("3 d 4 h", "en") == "3 d 4 h"
    assert shown_value("3 d 4 h", "ar") == "٣ أيام و٤ س"


def test_lists_join_as_the_locale_joins_them() -> None:
    assert list_words(["IRN"], "en") == "IRN"
    assert list_words(["IRN", "OMN"], "en") == "IRN and OMN"
    assert list_words(["IRN", "OMN", "QAT"], "en") == "IRN, OMN and QAT"
    assert list_words([], "en") == ""
    arabic = list_words(["IRN", "OMN", "QAT"], "ar")
    assert arabic.startswith("IRN") and "OMN" in arabic and ", " not in arabic
    with words.use("fr"):
        assert list_words(("IRN", "OMN")) == "IRN et OMN"
    mixed = list_words(["<b>", Markup("<i>OMN</i>")], "en")
    assert isinstance(mixed, Markup) and mixed == "&lt;b&gt; and <i>OMN</i>"


def test_the_risk_pages_write_times_and_days_as_every_page_does() -> None:
    with words.use("en"):
        assert moment_words("2026-11-23T09:30:00Z") == "23 Nov 2026 09:30:00 UTC"
        assert moment_words("not a time") == "not a time"
        assert day_words("2026-12-10") == "10 Dec 2026"
        assert day_words("soon") == "soon"
    with words.use("ar"):
        shown = moment_words("2026-11-23T09:30:00Z")
        assert shown.endswith(" UTC") and ARABIC_DIGITS.search(shown)
        assert not re.search(r"[0-9]", shown.removesuffix(" UTC"))


def test_the_filters_are_registered() -> None:
    env = make_environment()
    assert env.filters["finding"] is finding_words
    assert env.filters["list_words"] is list_words
    assert env.filters["list"] is not list_words  # Jinja's own stays


def _finding_row() -> SimpleNamespace:
    return SimpleNamespace(status="met", status_words="met", overdue=False, party="IRN",
                           rule_title="Report of military expenditure", year=2026,
                           subject="#7 incident", due=AT, detail=f"log #12 final {ISO}",
                           evidence=("ab" * 32,))


def test_the_findings_table_shows_no_iso_time_on_an_arabic_page() -> None:
    env = make_environment()
    card = SimpleNamespace(rows=[_finding_row()], listed=1234, total=1234)
    context = {"card": card, "chosen": "ALL", "entry_link": "/entries/", "public_ids": None}
    with words.use("ar"):
        html = env.get_template("_findings.html").render(context)
    cell = re.findall(r"<td>(.*?)</td>", html, re.S)[4]
    assert words.format_moment(AT, "ar") in cell and not ISO_ANYWHERE.search(cell)
    assert "١٢" in cell
    assert words.format_number(1234, "ar") in html  # how many findings, in the page's digits
    with words.use("en"):
        english = env.get_template("_findings.html").render(context)
    assert "<td>log #12 final 1 Dec 2026 08:00:49 UTC</td>" in english
    assert "Showing the first 1 of 1,234 findings" in english


def test_an_inbox_row_s_index_and_parties_on_an_arabic_page() -> None:
    env = make_environment()
    row = SimpleNamespace(direction="sent", index=1234, sequenced_at=AT, sender="IRN",
                          audience=("OMN", "QAT"), form_title="Message", entry_id="ab" * 32,
                          summary="Hello", state="pending", state_words="pending",
                          acknowledged_by=("OMN", "QAT"), awaiting=("SAU", "USA"), due=AT,
                          ack_pending=False)
    context = {"inbox": SimpleNamespace(rows=[row]), "flt": SimpleNamespace(active=False)}
    with words.use("ar"):
        html = env.get_template("node/_inbox_rows.html").render(context)
    # An index is an identifier: the language's digits, never grouped.
    assert f'<td class="num">{words.native_digits("1234", "ar")}</td>' in html
    assert ARABIC_DIGITS.search(words.native_digits("1234", "ar"))
    assert 'data-index="1234"' in html  # what the page's script reads stays as it was
    assert list_words(("OMN", "QAT"), "ar") in html and list_words(("SAU", "USA"), "ar") in html
    with words.use("en"):
        english = env.get_template("node/_inbox_rows.html").render(context)
    assert '<td class="num">1234</td>' in english
    assert "acknowledged by OMN and QAT" in english and "awaiting SAU and USA, due" in english


def test_an_entry_s_sequence_number_index_and_parties_on_an_arabic_page() -> None:
    env = make_environment()
    row = SimpleNamespace(sender="IRN", audience=("OMN", "QAT"), state="final",
                          state_words="final", form="message@1", claimed_time=AT, index=1234,
                          sequenced_at=AT, final_at=AT, due=AT, entry_id="ab" * 32,
                          direction="sent", awaiting=("SAU", "USA"))
    ack = SimpleNamespace(party="OMN", entry_id="cd" * 32, index=1240, final_at=AT)
    detail = SimpleNamespace(signed=SimpleNamespace(entry=SimpleNamespace(seq=57)), checks=[],
                             acknowledgements=[ack])
    context = {"part": None, "row": row, "detail": detail}
    with words.use("ar"):
        html = env.get_template("node/_entry_state.html").render(context)
    assert f"<dd>{words.native_digits('57', 'ar')}</dd>" in html
    assert f"<dd>{words.native_digits('1234', 'ar')}</dd>" in html
    assert words.native_digits("1240", "ar") in html and "1240" not in html
    assert list_words(("SAU", "USA"), "ar") in html
    with words.use("en"):
        english = env.get_template("node/_entry_state.html").render(context)
    assert "<dd>57</dd>" in english and "<dd>1234</dd>" in english
    assert "acknowledgement at index 1240" in english
    assert "Still awaited from SAU and USA (due 1 Dec 2026 08:00:49 UTC)." in english
