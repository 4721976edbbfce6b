"""Hazardous incidents, the report: a party involved reports the incident
(``incident-report@1``, to the other party involved) within ``hazardous_incident.report`` of
the time it occurred (24 hours). The report's finality decides, as everywhere."""

from __future__ import annotations

from collections.abc import Iterator

from gulfsec.domain.forms.risk import INCIDENT
from gulfsec.i18n import N_

from ..rule import Outcome, Window, fixed, span
from ..view import Index, Rec, View
from ._risk import RiskCases

NAME = "incident-report"


class IncidentReportRule:
    name = NAME
    title = N_("Report of a hazardous incident")
    indexes: tuple[type[Index], ...] = (RiskCases,)

    def keys(self, view: View, window: Window) -> Iterator[str]:
        return (cid for cid, rec in view.get(RiskCases).cases.items() if rec.form == INCIDENT)

    def touched(self, view: View, rec: Rec) -> Iterator[str]:
        if rec.form == INCIDENT:
            yield rec.id

    def assess(self, view: View, key: str) -> list[Outcome]:
        report = view.get(RiskCases).cases.get(key)
        if report is None or report.form != INCIDENT or report.sender not in view.obliged_set:
            return []
        due = report.body.occurred_at + view.regime.commitments.hazardous_incident.report
        year, subject = report.sequenced_at.year, N_("#{index} incident").format(index=report.index)
        final = report.final_at
        if final is None:
            return [fixed(report.sender, NAME, "pending", due, (key,), N_("report not final yet"),
                          year=year, subject=subject)]
        if final <= due:
            return [fixed(report.sender, NAME, "met", due, (key,),
                          N_("reported by log #{index}").format(index=report.index),
                          year=year, subject=subject)]
        return [fixed(report.sender, NAME, "late", due, (key,),
                      N_("reported by log #{index}, {late} late").format(
                          index=report.index, late=span(final - due)),
                      year=year, subject=subject)]


RULE = IncidentReportRule()
