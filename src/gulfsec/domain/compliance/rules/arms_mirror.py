"""The mirror check of arms transfers: what an exporter reports against what the importer
reports, by year and UN Register category (the regime's ``arms_transfers.categories``).

For each year, each obliged party's report that counts is its latest final ``arms-transfers@1``
for that year (a nil report says zero of everything). Every (exporter, importer, category)
that either side reports, between two obliged parties, gives two findings, one for each side
(``subject`` reads ``II exports to IRQ`` or ``II imports from SAU``), with both reports as
evidence:

- ``met``: both reported the same quantity;
- ``breached``: both reported and the quantities differ (a side whose report has no row for it
  reports zero): the mismatch is listed with both figures;
- ``pending``: a side's latest report is not final yet; or a side has reported nothing yet and
  its report is not due;
- ``missing``: a side has reported nothing for that year and its report is overdue.

Transfers with states or organisations that owe no report are not compared.
"""

from __future__ import annotations

from collections.abc import Iterator

from gulfsec.domain.forms.arms_transfers import ARMS
from gulfsec.i18n import N_

from ..model import Status
from ..rule import Outcome, Window, fixed, open_obligation
from ..view import Index, Rec, View
from ._yearly import Reports, report_year
from .arms_transfers import arms_due

NAME = "arms-transfers-mirror"


_DETAIL = {
    # TRANSLATORS: what an exporter's and an importer's reports say of one category of arms
    # between them. {exporter} and {origin} are the exporting state, {partner} and {importer}
    # the importing one, {sent} and {got} the quantities: a message names each placeholder
    # once, a translation may use any of them twice. The same goes for the messages below.
    (True, True): N_("{exporter} reports {sent} exported to {partner}; {importer} reports {got} "
                     "imported from {origin}"),
    (True, False): N_("{exporter} reports {sent} exported to {partner}; {importer} has no "
                      "report imported from {origin}"),
    (False, True): N_("{exporter} has no report exported to {partner}; {importer} reports {got} "
                      "imported from {origin}"),
    (False, False): N_("{exporter} has no report exported to {partner}; {importer} has no "
                       "report imported from {origin}"),
}
"""The detail by (the exporter reported, the importer reported); :data:`_WAITING` while a
report is not final yet."""

_WAITING = {
    (True, True): N_("{exporter} reports {sent} exported to {partner}; {importer} reports {got} "
                     "imported from {origin} (a report is not final yet)"),
    (True, False): N_("{exporter} reports {sent} exported to {partner}; {importer} has no "
                      "report imported from {origin} (a report is not final yet)"),
    (False, True): N_("{exporter} has no report exported to {partner}; {importer} reports {got} "
                      "imported from {origin} (a report is not final yet)"),
    (False, False): N_("{exporter} has no report exported to {partner}; {importer} has no "
                       "report imported from {origin} (a report is not final yet)"),
}


class ArmsMirrorRule:
    name = NAME
    title = N_("Arms transfers: exporter and importer agree")
    indexes: tuple[type[Index], ...] = (Reports,)

    def keys(self, view: View, window: Window) -> list[int]:
        return sorted(view.get(Reports).years.get(ARMS, ()))

    def touched(self, view: View, rec: Rec) -> Iterator[int]:
        if rec.form == ARMS:
            year = report_year(rec)
            if year is not None:
                yield year

    def assess(self, view: View, key: int) -> list[Outcome]:
        year = key
        categories = set(view.regime.commitments.arms_transfers.categories)
        obliged = view.obliged_set
        # party -> (its report that counts, whether a newer one is not final yet)
        reports: dict[str, tuple[Rec, bool]] = {}
        exports: dict[tuple[str, str, str], int] = {}
        imports: dict[tuple[str, str, str], int] = {}
        for party in view.obliged:
            filed = view.get(Reports).of(ARMS, party, year)
            if not filed:
                continue
            final = [rec for rec in filed if rec.final_at is not None]
            current = final[-1] if final else filed[-1]
            reports[party] = (current, current.final_at is None or filed[-1] is not current)
            for rows, into in ((current.body.exports, exports), (current.body.imports, imports)):
                for row in rows:
                    if row.category in categories and row.partner in obliged:
                        if row.partner != party:
                            k = (party, row.partner, row.category)
                            into[k] = into.get(k, 0) + row.quantity
        pairs = {*exports, *((e, i, c) for i, e, c in imports)}
        due = arms_due(view.regime, year)
        out: list[Outcome] = []
        for exporter, importer, category in sorted(pairs):
            sent = exports.get((exporter, importer, category), 0) if exporter in reports else None
            got = imports.get((importer, exporter, category), 0) if importer in reports else None
            shape = (sent is not None, got is not None)
            values = {"exporter": exporter, "partner": importer, "importer": importer,
                      "origin": exporter, "sent": f"{sent or 0:,}", "got": f"{got or 0:,}"}
            detail = _DETAIL[shape].format(**values)
            evidence = tuple(reports[p][0].id for p in (exporter, importer) if p in reports)
            sides = (
                (exporter, N_("{category} exports to {partner}").format(category=category,
                                                                        partner=importer)),
                (importer, N_("{category} imports from {partner}").format(category=category,
                                                                          partner=exporter)),
            )
            waiting = any(reports[p][1] for p in (exporter, importer) if p in reports)
            for party, subject in sides:
                if waiting:
                    out.append(fixed(party, NAME, "pending", due, evidence,
                                     _WAITING[shape].format(**values),
                                     year=year, subject=subject, yearly=True))
                elif sent is None or got is None:
                    out.append(open_obligation(party, NAME, due, evidence, detail,
                                               year=year, subject=subject, yearly=True))
                else:
                    status: Status = "met" if sent == got else "breached"
                    out.append(fixed(party, NAME, status, due, evidence, detail,
                                     year=year, subject=subject, yearly=True))
        return out


RULE = ArmsMirrorRule()
