"""Hazardous incidents, the response: the other party involved gives its account
(``incident-response@1``, to everyone the report went to) within
``hazardous_incident.response`` of the report's finality (48 hours)."""

from __future__ import annotations

from collections.abc import Iterator

from gulfsec.domain.entry import ALL
from gulfsec.domain.forms.risk import INCIDENT, INCIDENT_RESPONSE
from gulfsec.domain.procedures.risk import response_audience
from gulfsec.i18n import N_

from ..rule import Outcome, Window, fixed
from ..view import Index, Rec, View
from ._risk import RESPONSE, RiskCases, answered, named

NAME = "incident-response"


class IncidentResponseRule:
    name = NAME
    title = N_("Response to a hazardous incident report")
    indexes: tuple[type[Index], ...] = (RiskCases,)

    def keys(self, view: View, window: Window) -> Iterator[str]:
        return (cid for cid, rec in view.get(RiskCases).cases.items() if rec.form == INCIDENT)

    def touched(self, view: View, rec: Rec) -> Iterator[str]:
        if rec.form == INCIDENT:
            yield rec.id
        elif rec.form == INCIDENT_RESPONSE and rec.body is not None:
            yield str(rec.body.report)

    def assess(self, view: View, key: str) -> list[Outcome]:
        index = view.get(RiskCases)
        report = index.cases.get(key)
        if report is None or report.form != INCIDENT:
            return []
        other = report.body.other_party
        reaches = report.audience == ALL or other in report.audience
        if other not in view.obliged_set or other == report.sender or not reaches:
            return []
        year, subject = report.sequenced_at.year, N_("#{index} incident").format(index=report.index)
        if report.final_at is None:
            return [fixed(other, NAME, "pending", None, (key,), N_("report not final yet"),
                          year=year, subject=subject)]
        due = report.final_at + view.regime.commitments.hazardous_incident.response
        expected = response_audience(report.signed, other)
        responses = [r for r in named(index, key, INCIDENT_RESPONSE)
                     if r.sender == other and r.audience == expected]
        return [answered(other, NAME, due, (key,), responses, words=RESPONSE, year=year,
                         subject=subject)]


RULE = IncidentResponseRule()
