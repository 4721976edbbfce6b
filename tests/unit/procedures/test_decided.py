"""What is decided: the Concept's versions and their diff, the designation list, and the forms
of deciding refusing what does not fit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from decision_log import MINUTE, TRIO, DecisionLog, utc

from gulfsec.domain.forms import get_form
from gulfsec.domain.procedures.concept import diff, versions
from gulfsec.domain.procedures.decisions import DecisionBook
from gulfsec.domain.procedures.designations import designation_list
from gulfsec.errors import InvalidFormBody

DAY = timedelta(days=1)
START = utc(2027, 1, 4, 9)


def sections(*items: tuple[str, str, str]) -> dict[str, Any]:
    return {"sections": [{"number": n, "title": t, "text": x} for n, t, x in items]}


V1 = sections(("1", "Principles", "No large-scale confrontation.\nConsensus."),
              ("2", "Transparency", "Military information is exchanged every year."))
V2 = sections(("1", "Principles", "No large-scale confrontation.\nConsensus, always."),
              ("2", "Transparency", "Military information is exchanged every year."),
              ("3", "Counter-terrorism", "A single coalition."))


def adopt(log: DecisionLog, at: Any, kind: str, content: dict[str, Any],
          title: str = "Draft") -> Any:
    draft = log.draft(at=at, closes_at=at + DAY, procedure="consensus", kind=kind,
                      content=content, title=title)
    for party in TRIO:
        log.position(party, draft, "join", at=at + MINUTE)
    return draft


def test_the_concepts_versions_follow_the_adopted_drafts_and_the_diff_is_by_section() -> None:
    log = DecisionLog()
    first = adopt(log, START, "concept", V1, "Concept v1")
    rejected = log.draft(at=START + 2 * DAY, closes_at=START + 3 * DAY, kind="concept",
                         content=V1, procedure="silence")
    log.position("SAU", rejected, "object", at=START + 2 * DAY + MINUTE)
    second = adopt(log, START + 4 * DAY, "concept", V2, "Concept v2")
    found = versions(DecisionBook(log.regime).extend(log.records).decisions(START + 9 * DAY))
    assert [(v.number, v.decision.id) for v in found] == [
        (1, first.entry.id_hex), (2, second.entry.id_hex)]
    changes = {c.number: c for c in diff(found[0], found[1])}
    assert changes["1"].change == "changed"
    assert "-Consensus." in changes["1"].diff and "+Consensus, always." in changes["1"].diff
    assert changes["2"].change == "unchanged" and changes["2"].diff == ()
    assert changes["3"].change == "added"


def test_the_designation_list_and_its_history_fold_the_adopted_decisions() -> None:
    log = DecisionLog()
    entity = {"name": "Example Front", "entity_type": "organisation",
              "grounds": "Attacks on shipping.", "aliases": [
                  {"name": "جبهة المثال", "script": "Arab"},
                  {"name": "Пример", "script": "Cyrl"}]}
    designated = adopt(log, START, "designation", entity)
    refused = log.draft(at=START, closes_at=START + DAY, procedure="consensus",
                        kind="designation", content={**entity, "name": "Other Group"})
    log.position("SAU", refused, "object", at=START + MINUTE)
    book = DecisionBook(log.regime).extend(log.records)
    listed = designation_list(book.decisions(START + 2 * DAY))
    assert [e.name for e in listed.current] == ["Example Front"]
    assert listed.current[0].aliases == (("جبهة المثال", "Arab"), ("Пример", "Cyrl"))
    adopt(log, START + 3 * DAY, "delisting",
          {"designation": designated.entry.id_hex, "grounds": "Dissolved."})
    book = DecisionBook(log.regime).extend(log.records)
    listed = designation_list(book.decisions(START + 5 * DAY))
    assert listed.current == ()
    assert [e.action for e in listed.history] == ["designated", "delisted"]


@pytest.mark.parametrize(("form", "body", "bad"), [
    ("position@1", {"draft": "a" * 64, "position": "object"}, "reason"),
    ("position@1", {"draft": "a" * 64, "position": "maybe"}, "position"),
    ("position@1", {"draft": "a" * 64, "position": "object", "reason": "no",
                    "statement": "s"}, "statement"),
    ("draft-decision@1", {"kind": "astrology", "title": "t", "text": "x", "format": "all",
                          "procedure": "silence", "closes_at": "2027-01-01T00:00:00Z"},
     "content"),
    ("draft-decision@1", {"kind": "designation", "title": "t", "text": "x", "format": "all",
                          "procedure": "silence", "closes_at": "2027-01-01T00:00:00Z",
                          "content": {"name": "X", "entity_type": "organisation",
                                      "grounds": "g"}}, "content"),
    ("draft-decision@1", {"kind": "concept", "title": "t", "text": "x", "format": "all",
                          "procedure": "silence", "closes_at": "tomorrow",
                          "content": V1}, "closes_at"),
    ("draft-decision@1", {"kind": "concept", "title": "t", "text": "x", "format": "all",
                          "procedure": "silence", "closes_at": "2027-01-01T00:00:00.5Z",
                          "content": V1}, "closes_at"),
    ("draft-decision@1", {"kind": "concept", "title": "t", "text": "x", "format": "all",
                          "procedure": "silence", "closes_at": "2027-01-01T00:00:00Z",
                          "content": sections(("1", "a", "b"), ("1", "c", "d"))}, "content"),
], ids=["objection-without-reason", "unknown-position", "statement-with-objection",
        "unknown-kind", "designation-by-silence", "closes-at-not-a-time",
        "closes-at-within-a-second", "section-twice"])
def test_the_forms_of_deciding_refuse_what_does_not_fit(form: str, body: dict[str, Any],
                                                         bad: str) -> None:
    with pytest.raises(InvalidFormBody) as err:
        get_form(form).validate(body)
    assert bad in [path.split(".")[0] for path, _ in err.value.fields], err.value.fields
