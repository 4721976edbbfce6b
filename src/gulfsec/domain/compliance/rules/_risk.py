"""The records the risk-reduction rules read: requests on unusual military activity and
incident reports, with every step and meeting that names one, in log order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from gulfsec.domain.forms.meetings import MEETING
from gulfsec.domain.forms.risk import (
    INCIDENT,
    INCIDENT_RESPONSE,
    UNUSUAL,
    UNUSUAL_MEETING,
    UNUSUAL_REPLY,
)

from ..rule import Outcome, fixed, judge, open_obligation, span
from ..view import Parser, Rec, View, put

_NAMES = {UNUSUAL_REPLY: "request", UNUSUAL_MEETING: "request", INCIDENT_RESPONSE: "report",
          MEETING: "case"}


def dict_body(body: Any) -> Any:
    """A meeting's body as it is (a dict): the parser every rule reading meetings shares (a view
    parses each form one way for all its indexes)."""
    return body if type(body) is dict else None


class RiskCases:
    """Cases (requests and reports) by id, and the entries naming each."""

    forms: ClassVar[frozenset[str] | None] = frozenset(
        {UNUSUAL, UNUSUAL_REPLY, UNUSUAL_MEETING, INCIDENT, INCIDENT_RESPONSE, MEETING})
    parsers: ClassVar[Mapping[str, Parser]] = {MEETING: dict_body}

    def __init__(self, view: View) -> None:
        self.view = view
        self.cases: dict[str, Rec] = {}
        self.steps: dict[str, list[Rec]] = {}

    def add(self, rec: Rec) -> None:
        if rec.body is None:
            return
        if rec.form in (UNUSUAL, INCIDENT):
            self.cases[rec.id] = rec
            return
        named = _field(rec.body, _NAMES[rec.form])
        if isinstance(named, str):
            put(self.steps.setdefault(named, []), rec)


def _field(body: Any, name: str) -> Any:
    return body.get(name) if isinstance(body, dict) else getattr(body, name, None)


def named(index: RiskCases, case: str, form: str) -> list[Rec]:
    return [s for s in index.steps.get(case, ()) if s.form == form]


def answered(party: str, rule: str, due: Any, evidence: tuple[str, ...], candidates: list[Rec],
             *, what: str, year: int, subject: str) -> Outcome:
    """The finding on an obligation of ``party`` due at ``due``, answered by ``candidates``."""
    verdict = judge(due, candidates)
    if verdict is None:
        return open_obligation(party, rule, due, evidence, f"no {what}", year=year,
                               subject=subject)
    rec = verdict.rec
    if verdict.status == "met":
        detail = f"{what} log #{rec.index}"
    elif verdict.status == "late":
        assert rec.final_at is not None
        detail = f"{what} log #{rec.index}, {span(rec.final_at - due)} late"
    else:
        detail = f"{what} log #{rec.index} not final yet"
    return fixed(party, rule, verdict.status, due, (*evidence, rec.id), detail, year=year,
                 subject=subject)
