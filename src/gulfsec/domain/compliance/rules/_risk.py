"""The records the risk-reduction rules read: requests on unusual military activity and
incident reports, with every step and meeting that names one, in log order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, NamedTuple

from gulfsec.domain.forms.meetings import MEETING
from gulfsec.domain.forms.risk import (
    INCIDENT,
    INCIDENT_RESPONSE,
    UNUSUAL,
    UNUSUAL_MEETING,
    UNUSUAL_REPLY,
)
from gulfsec.i18n import N_

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


class Words(NamedTuple):
    """What :func:`answered` says of an obligation, one message (marked for the catalogs) for
    each way it stands: nothing answers it, answered in time (``{index}``: the answer's log
    index), late (``{late}``: by how much), the answer not final yet. A whole message for each
    kind of answer, so that a translation can make its words agree."""

    none: str
    met: str
    late: str
    waiting: str


REPLY = Words(N_("no reply"), N_("reply log #{index}"), N_("reply log #{index}, {late} late"),
              N_("reply log #{index} not final yet"))
RESPONSE = Words(N_("no response"), N_("response log #{index}"),
                 N_("response log #{index}, {late} late"),
                 N_("response log #{index} not final yet"))
BILATERAL_MEETING = Words(N_("no bilateral meeting"), N_("bilateral meeting log #{index}"),
                          N_("bilateral meeting log #{index}, {late} late"),
                          N_("bilateral meeting log #{index} not final yet"))
MEETING_OF_ALL = Words(N_("no meeting of all participants"),
                       N_("meeting of all participants log #{index}"),
                       N_("meeting of all participants log #{index}, {late} late"),
                       N_("meeting of all participants log #{index} not final yet"))


def answered(party: str, rule: str, due: Any, evidence: tuple[str, ...], candidates: list[Rec],
             *, words: Words, year: int, subject: str) -> Outcome:
    """The finding on an obligation of ``party`` due at ``due``, answered by ``candidates``."""
    verdict = judge(due, candidates)
    if verdict is None:
        return open_obligation(party, rule, due, evidence, words.none, year=year,
                               subject=subject)
    rec = verdict.rec
    if verdict.status == "met":
        detail = words.met.format(index=rec.index)
    elif verdict.status == "late":
        assert rec.final_at is not None
        detail = words.late.format(index=rec.index, late=span(rec.final_at - due))
    else:
        detail = words.waiting.format(index=rec.index)
    return fixed(party, rule, verdict.status, due, (*evidence, rec.id), detail, year=year,
                 subject=subject)
