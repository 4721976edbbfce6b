"""The hub's consultation pages: the secretariat's calendar of every meeting in the log.

Secretariat only (signed in): every meeting, whoever convened it and whoever is invited
(``HubSite.consultations.for_viewer(None)``: the whole log), upcoming first, with who has
answered, the agenda and the minutes, and the whole calendar as an iCalendar file. Nothing here
is public, and nothing shows a consultation thread or a mediation: those go only to their
parties, and the hub's pages show neither.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from gulfsec.services.hub.records import ConsultationsByViewer
from gulfsec.services.shared.calendar import calendar
from gulfsec.services.shared.consultations import Consultations
from gulfsec.web.consultations import calendar_of
from gulfsec.web.deps import SessionDep, SiteDep
from gulfsec.web.site import Site, render

router = APIRouter(include_in_schema=False)


def _all_meetings(site: Site) -> Consultations:
    found = getattr(site, "consultations", None)
    assert isinstance(found, ConsultationsByViewer)
    return found.for_viewer(None)


@router.get("/secretariat/meetings")
def secretariat_meetings(request: Request, site: SiteDep, session: SessionDep) -> Response:
    found = _all_meetings(site).meetings(site.clock.now())
    return render(request, site, "hub/meetings_secretariat.html",
                  {"cal": calendar_of(found), "decision_base": "/secretariat/decisions/"},
                  session=session)


@router.get("/secretariat/meetings/calendar.ics")
def secretariat_calendar(site: SiteDep, session: SessionDep) -> Response:
    now = site.clock.now()
    return Response(calendar(_all_meetings(site).meetings(now), now),
                    media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="meetings.ics"',
                             "Cache-Control": "no-store"})
