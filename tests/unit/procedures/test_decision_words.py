"""The words of deciding together go through the catalogs: the kinds of decision and what they
decide, why a draft stands where it does, the chair's contradiction, a step's time.

A pseudo-catalog stands in for a language whose catalog has every message: it writes each
message it knows as ``«message»``, so a text that did not go through the catalogs shows bare.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from decision_log import MINUTE, SECOND, DecisionLog, utc

import gulfsec
from gulfsec import i18n
from gulfsec.domain.procedures.decisions import Decision
from gulfsec.domain.procedures.kinds import registry
from gulfsec.web.decisions import PROCEDURE_WORDS, STATUS_WORDS, draft_view, kind_title, step_view

SRC = Path(gulfsec.__file__).parent
SENT = utc(2027, 3, 1, 9)
CLOSES = utc(2027, 3, 8, 12)
AFTER = CLOSES + timedelta(hours=1)


def _marked(*paths: Path) -> set[str]:
    """The messages Babel extracts from ``paths`` as ``make messages`` does (``_``, ``N_``)."""
    return {str(found[1]) for path in paths for found in extract_from_file(
        "python", str(path), keywords={"_": None, "N_": None})}


KIND_FILES = sorted((SRC / "domain/procedures/kinds").glob("*.py"))
WHY_MESSAGES = _marked(SRC / "domain/procedures/decisions.py")


class _Pseudo(gettext.NullTranslations):
    def __init__(self, messages: set[str]) -> None:
        super().__init__()
        self._catalog = {m: f"«{m}»" for m in messages}

    def gettext(self, message: str) -> str:
        return self._catalog.get(message, message)


@pytest.fixture
def pseudo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Arabic as a pseudo-catalog of every message of the decisions' domain and web modules."""
    known = _marked(*KIND_FILES, SRC / "domain/procedures/decisions.py",
                    SRC / "web/decisions.py", SRC / "web/terms.py")
    table = _Pseudo(known)
    real = i18n.catalog
    monkeypatch.setattr(i18n, "catalog", lambda code: table if code == "ar" else real(code))
    i18n._problem_patterns.cache_clear()
    with i18n.use("ar"):
        yield
    i18n._problem_patterns.cache_clear()


def test_every_kind_is_named_and_described_in_messages_for_the_catalogs() -> None:
    marked = _marked(*KIND_FILES)
    for kind in registry().values():
        assert kind.title in marked, kind.name
        assert kind.description in marked, kind.name


def test_a_kind_is_named_in_the_readers_language(pseudo: None) -> None:
    assert kind_title("delisting") == "«Delisting of a designated entity»"
    assert kind_title("text") == "«Decision»"
    assert kind_title("no-such-kind") == "no-such-kind"


def _whys(log: DecisionLog) -> Iterator[Decision]:
    """A draft in each state the judge gives a reason for."""
    draft = log.draft(at=SENT, closes_at=CLOSES)
    yield log.judge(draft, AFTER)  # adopted: nobody broke silence
    yield log.judge(draft, CLOSES - SECOND)  # open until …
    broken = log.draft(at=SENT, closes_at=CLOSES, title="Broken")
    log.position("SAU", broken, "object", at=SENT + MINUTE)
    yield log.judge(broken, AFTER)
    amended = log.draft(at=SENT, closes_at=CLOSES, title="Amended")
    log.amend("QAT", amended, at=SENT + MINUTE)
    yield log.judge(amended, AFTER)
    for n, stances in enumerate(({"IRN": "join", "QAT": "join", "SAU": "stand-aside"},
                                 {"IRN": "join", "QAT": "object", "SAU": "join"},
                                 {"IRN": "join"}, {"IRN": "join", "QAT": "object"})):
        consensus = log.draft(at=SENT, closes_at=CLOSES, procedure="consensus",
                              title=f"Consensus {n}")
        for party, stance in stances.items():
            log.position(party, consensus, stance, at=SENT + MINUTE)
        yield log.judge(consensus, AFTER)
    withdrawn = log.draft(at=SENT, closes_at=CLOSES, title="Withdrawn")
    log.withdraw("IRN", withdrawn, at=SENT + MINUTE)
    yield log.judge(withdrawn, AFTER)
    early = log.draft(at=SENT, closes_at=CLOSES, title="Declared early")
    log.outcome(early, "adopted", at=CLOSES - MINUTE)
    yield log.judge(early, AFTER)
    wrong = log.draft(at=SENT, closes_at=CLOSES, title="Declared wrongly")
    log.position("SAU", wrong, "object", at=SENT + MINUTE)
    log.outcome(wrong, "adopted", at=AFTER)
    yield log.judge(wrong, AFTER + MINUTE)


def test_why_a_draft_stands_where_it_does_is_a_message_of_the_catalogs(pseudo: None) -> None:
    decisions = list(_whys(DecisionLog()))
    assert {d.status for d in decisions} >= {"adopted", "not-adopted", "open", "withdrawn"}
    for decision in decisions:
        said = i18n.translate_problem(decision.why)
        assert said == f"«{decision.why}»", decision.why
    contradictions = [d.contradiction for d in decisions if d.contradiction]
    assert len(contradictions) == 2
    for contradiction in contradictions:
        assert i18n.translate_problem(contradiction).startswith("«the chair declared")


def test_the_english_of_why_is_unchanged() -> None:
    decisions = list(_whys(DecisionLog()))
    whys = [d.why for d in decisions]
    assert "adopted: nobody broke silence before the expiry" in whys
    assert "open until 2027-03-08T12:00:00Z" in whys
    assert any(w.startswith("silence broken: SAU objected (log #") for w in whys)
    assert any(w.startswith("silence broken: QAT proposed an amendment (log #") for w in whys)
    assert "adopted by consensus: every member joined or stood aside" in whys
    assert "no consensus — objected: QAT; no position: SAU" in whys
    assert "no consensus — objected: QAT" in whys
    assert "no consensus — no position: QAT, SAU" in whys
    assert any(w.startswith("withdrawn by IRN (log #") for w in whys)


def test_a_steps_time_reads_in_the_readers_language(pseudo: None) -> None:
    log = DecisionLog()
    draft = log.draft(at=SENT, closes_at=CLOSES)
    log.position("SAU", draft, "join", at=SENT + MINUTE, final=SENT + 2 * MINUTE)
    late = log.draft(at=SENT, closes_at=CLOSES, title="Late")
    log.position("SAU", late, "object", at=CLOSES - SECOND, final=CLOSES + SECOND)
    counted = step_view(log.judge(draft, AFTER).steps[0])
    after = step_view(log.judge(late, AFTER).steps[0])
    assert counted.standing == "counts" and after.standing == "late"
    for view, at in ((counted, SENT + 2 * MINUTE), (after, CLOSES + SECOND)):
        assert i18n.format_moment(at, "ar") in view.standing_words
        assert "2027-03" not in view.standing_words
    shown = draft_view(log.judge(draft, AFTER), AFTER)
    assert shown.status_words == f"«{STATUS_WORDS['adopted']}»"
    assert shown.procedure_words == f"«{PROCEDURE_WORDS['silence']}»"


def test_a_steps_time_in_english_is_the_pages_usual_time() -> None:
    log = DecisionLog()
    draft = log.draft(at=SENT, closes_at=CLOSES)
    log.position("SAU", draft, "join", at=SENT + MINUTE, final=SENT + 2 * MINUTE)
    view = step_view(log.judge(draft, AFTER).steps[0])
    assert view.standing_words == "counts (final at 1 Mar 2027 09:02:00 UTC, by the closing time)"
