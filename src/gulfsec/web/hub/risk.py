"""The hub's risk-reduction pages: what the public may read, and everything for the secretariat.

Public (no sign-in, ``/risk``): the requests on unusual military activity — each addressed to
all participants — with their replies and the meetings asked for, the incidents reported to all
participants (most go to the other party alone and are not here), and the map of them with the
activities notified to all (``HubSite.risk.for_viewer(PUBLIC)``). Their deadlines are judged by a
compliance engine over those same public records, kept for the hub on first use: a bilateral
meeting on a case goes to its two participants alone, so the public page does not say whether
it was convened in time.

Secretariat (signed in, ``/secretariat/risk``): every case and every incident in the log, and
the map of them (``for_viewer(None)``), their deadlines judged over the whole log
(``HubSite.scorecards``).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from gulfsec.domain.compliance import Finding
from gulfsec.domain.forms.activity_notification import NOTIFICATION
from gulfsec.errors import NotFound
from gulfsec.i18n import _
from gulfsec.services.hub import Hub
from gulfsec.services.hub.records import PUBLIC, HubRecords, RiskByViewer
from gulfsec.services.shared.accounts import WebSession
from gulfsec.services.shared.records import Compliance
from gulfsec.services.shared.risk import RISK_FORMS, RiskRecords
from gulfsec.services.shared.scorecards import Scorecards
from gulfsec.web.deps import MaybeSession, SessionDep, SiteDep
from gulfsec.web.risk import activities, case_shown, deadlines, incident_shown, risk_map
from gulfsec.web.site import Site, error_page, render

router = APIRouter(include_in_schema=False)

_public_engines: weakref.WeakKeyDictionary[Hub, Compliance] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _hub(site: Site) -> Hub:
    hub = getattr(site, "hub", None)
    assert isinstance(hub, Hub)
    return hub


def _risk(site: Site, viewer: str | None) -> RiskRecords:
    found = getattr(site, "risk", None)
    assert isinstance(found, RiskByViewer)
    return found.for_viewer(viewer)


def _public_compliance(hub: Hub) -> Compliance:
    """The compliance engine over what is addressed to all (risk forms only), one per hub,
    made on first use."""
    with _lock:
        engine = _public_engines.get(hub)
        if engine is None:
            engine = Compliance(hub.regime, HubRecords(hub, PUBLIC, forms=RISK_FORMS))
            _public_engines[hub] = engine
        return engine


@dataclass(frozen=True)
class Viewing:
    """One view of the hub's log for the risk pages: whose, where its pages are, and how
    deadlines are judged."""

    viewer: str | None
    base: str
    public: bool

    def records(self, site: Site) -> RiskRecords:
        return _risk(site, self.viewer)

    def findings(self, site: Site, now: datetime) -> list[Finding]:
        if self.public:
            return _public_compliance(_hub(site)).findings(now)
        scorecards = getattr(site, "scorecards", None)
        assert isinstance(scorecards, Scorecards)
        return scorecards.compliance.findings(now)

    def notified(self, site: Site, now: datetime) -> Sequence[Any]:
        records = HubRecords(_hub(site), PUBLIC if self.public else None, forms=(NOTIFICATION,))
        return activities(records.records_after(-1), now.date())


PUBLIC_VIEW = Viewing(PUBLIC, "/risk", True)
SECRETARIAT_VIEW = Viewing(None, "/secretariat/risk", False)


def _overview(request: Request, site: Site, session: WebSession | None,
              view: Viewing) -> Response:
    now = site.clock.now()
    records = view.records(site)
    found_incidents, found_cases = records.incidents(), records.unusual()
    findings = view.findings(site, now)
    shown = risk_map(found_incidents, found_cases, view.notified(site, now),
                     incident_base=f"{view.base}/incidents/", case_base=f"{view.base}/unusual/",
                     activity_base="/published/", public_only=True)
    return render(request, site, "hub/risk.html",
                  {"rmap": shown, "view": view,
                   "incidents": [(incident_shown(i), deadlines(findings, i.id))
                                 for i in found_incidents],
                   "cases": [(case_shown(c), deadlines(findings, c.id, case=c,
                                                       private_meetings=not view.public))
                             for c in found_cases]}, session=session)


def _incident(request: Request, site: Site, session: WebSession | None, view: Viewing,
              report_id: str) -> Response:
    try:
        incident = view.records(site).incident(report_id.lower())
    except NotFound:
        return error_page(request, site, 404, _("No such incident report"),
                          _("No incident report with that id is shown here: most go to the "
                            "other party involved alone.") if view.public else
                          _("No incident report with that id is in the log."), session)
    findings = view.findings(site, site.clock.now())
    return render(request, site, "hub/risk_incident.html",
                  {"s": incident_shown(incident), "i": incident, "view": view,
                   "due": deadlines(findings, incident.id)}, session=session)


def _case(request: Request, site: Site, session: WebSession | None, view: Viewing,
          case_id: str) -> Response:
    try:
        case = view.records(site).unusual_case(case_id.lower())
    except NotFound:
        return error_page(request, site, 404, _("No such request"),
                          _("No request on unusual military activity has that id."), session)
    findings = view.findings(site, site.clock.now())
    return render(request, site, "hub/risk_case.html",
                  {"s": case_shown(case), "c": case, "view": view,
                   "due": deadlines(findings, case.id, case=case,
                                    private_meetings=not view.public)}, session=session)


@router.get("/risk")
def public_risk(request: Request, site: SiteDep, session: MaybeSession) -> Response:
    return _overview(request, site, session, PUBLIC_VIEW)


@router.get("/risk/incidents/{report_id}")
def public_incident(request: Request, report_id: str, site: SiteDep,
                    session: MaybeSession) -> Response:
    return _incident(request, site, session, PUBLIC_VIEW, report_id)


@router.get("/risk/unusual/{case_id}")
def public_case(request: Request, case_id: str, site: SiteDep,
                session: MaybeSession) -> Response:
    return _case(request, site, session, PUBLIC_VIEW, case_id)


@router.get("/secretariat/risk")
def secretariat_risk(request: Request, site: SiteDep, session: SessionDep) -> Response:
    return _overview(request, site, session, SECRETARIAT_VIEW)


@router.get("/secretariat/risk/incidents/{report_id}")
def secretariat_incident(request: Request, report_id: str, site: SiteDep,
                         session: SessionDep) -> Response:
    return _incident(request, site, session, SECRETARIAT_VIEW, report_id)


@router.get("/secretariat/risk/unusual/{case_id}")
def secretariat_case(request: Request, case_id: str, site: SiteDep,
                     session: SessionDep) -> Response:
    return _case(request, site, session, SECRETARIAT_VIEW, case_id)
