"""The hub's decision pages: what was decided, for anyone; the drafts in progress, for the
secretariat.

Public (no sign-in): the adopted decisions addressed to all, each with its positions and steps;
the Concept's versions and a section-by-section comparison of any two; the designation list
and its history, with links to download it (``/v1/public/designations``). All of it comes from
the entries addressed to all (``HubSite.decisions.for_viewer(PUBLIC)``), so nothing here shows
what a format decided among its members alone.

Secretariat (signed in): every draft in the log still open, with who has not taken a position
and the time left, and each draft in full (``for_viewer(None)``: the whole log). The hub signs
nothing here: the chair's outcome is signed with the secretariat's key, outside the pages.
"""

from __future__ import annotations

import re
from typing import Final

from fastapi import APIRouter, Request
from starlette.responses import Response

from gulfsec.errors import NotFound
from gulfsec.i18n import _, ngettext
from gulfsec.services.hub.records import PUBLIC, DecisionsByViewer
from gulfsec.services.shared.accounts import WebSession
from gulfsec.services.shared.decisions import DecisionRecords
from gulfsec.web.decisions import concept_pair, draft_view, version_number
from gulfsec.web.deps import MaybeSession, SessionDep, SiteDep
from gulfsec.web.site import Site, error_page, render

router = APIRouter(include_in_schema=False)

_DRAFT_ID = re.compile(r"[0-9a-f]{64}")
DOWNLOADS: Final = {"JSON": "/v1/public/designations?format=json",
                    "CSV": "/v1/public/designations?format=csv"}
"""Where the hub's API serves the designation list to download."""


def _records(site: Site, viewer: str | None) -> DecisionRecords:
    found = getattr(site, "decisions", None)
    assert isinstance(found, DecisionsByViewer)
    return found.for_viewer(viewer)


# -- public --------------------------------------------------------------------------------------


@router.get("/decisions")
def public_decisions(request: Request, site: SiteDep, session: MaybeSession) -> Response:
    now = site.clock.now()
    adopted = sorted((d for d in _records(site, PUBLIC).decisions(now) if d.status == "adopted"),
                     key=lambda d: (d.closes_at, d.index), reverse=True)
    return render(request, site, "hub/decisions.html",
                  {"adopted": [draft_view(d, now) for d in adopted]}, session=session)


@router.get("/decisions/{draft_id}")
def public_decision(request: Request, draft_id: str, site: SiteDep,
                    session: MaybeSession) -> Response:
    return _draft(request, site, session, draft_id.lower(), PUBLIC)


def _draft(request: Request, site: Site, session: WebSession | None, draft_id: str,
           viewer: str | None) -> Response:
    now = site.clock.now()
    try:
        if not _DRAFT_ID.fullmatch(draft_id):
            raise NotFound(draft_id)
        decision = _records(site, viewer).decision(draft_id, now)
    except NotFound:
        return error_page(request, site, 404, _("No such decision"),
                          _("No draft decision addressed to all participants has that id.")
                          if viewer == PUBLIC else _("The log holds no draft decision with that "
                                                     "id."), session)
    public = viewer == PUBLIC
    return render(request, site, "hub/decisions_draft.html",
                  {"view": draft_view(decision, now), "public": public,
                   "entry_base": "/published/" if public else None,
                   "decision_base": "/decisions/" if public else "/secretariat/decisions/"},
                  session=session)


@router.get("/concept")
def public_concept(request: Request, site: SiteDep, session: MaybeSession) -> Response:
    versions = _records(site, PUBLIC).concept_versions(site.clock.now())
    return render(request, site, "hub/concept.html",
                  {"versions": versions, "comparison": concept_pair(versions, None, None),
                   "decision_base": "/decisions/"}, session=session)


@router.get("/concept/versions/{number}")
def public_concept_version(request: Request, number: str, site: SiteDep,
                           session: MaybeSession) -> Response:
    versions = _records(site, PUBLIC).concept_versions(site.clock.now())
    n = version_number(number)
    if n is None or not 1 <= n <= len(versions):
        return error_page(request, site, 404, _("No such version of the Concept"),
                          ngettext("%(n)s version of the Concept has been adopted.",
                                   "%(n)s versions of the Concept have been adopted.",
                                   len(versions)) % {"n": len(versions)}, session)
    return render(request, site, "hub/concept_version.html",
                  {"version": versions[n - 1], "versions": versions,
                   "decision_base": "/decisions/"}, session=session)


@router.get("/concept/diff")
def public_concept_diff(request: Request, site: SiteDep, session: MaybeSession) -> Response:
    versions = _records(site, PUBLIC).concept_versions(site.clock.now())
    comparison = concept_pair(versions, request.query_params.get("a"),
                              request.query_params.get("b"))
    status = 200 if comparison.problem is None or len(versions) < 2 else 404
    return render(request, site, "hub/concept_diff.html", {"comparison": comparison},
                  session=session, status=status)


@router.get("/designations")
def public_designations(request: Request, site: SiteDep, session: MaybeSession) -> Response:
    listing = _records(site, PUBLIC).designation_list(site.clock.now())
    return render(request, site, "hub/designations.html",
                  {"listing": listing, "decision_base": "/decisions/", "downloads": DOWNLOADS},
                  session=session)


# -- the secretariat -----------------------------------------------------------------------------


@router.get("/secretariat/decisions")
def drafts_in_progress(request: Request, site: SiteDep, session: SessionDep) -> Response:
    now = site.clock.now()
    found = _records(site, None).decisions(now)
    open_ = sorted((d for d in found if d.status == "open"), key=lambda d: (d.closes_at, d.index))
    recent = sorted((d for d in found if d.status != "open"),
                    key=lambda d: (d.closes_at, d.index), reverse=True)[:20]
    return render(request, site, "hub/decisions_secretariat.html",
                  {"drafts": [draft_view(d, now) for d in open_],
                   "recent": [draft_view(d, now) for d in recent]}, session=session)


@router.get("/secretariat/decisions/{draft_id}")
def secretariat_draft(request: Request, draft_id: str, site: SiteDep,
                      session: SessionDep) -> Response:
    return _draft(request, site, session, draft_id.lower(), None)
