"""The hub's pages: the public log for anyone, and the secretariat's overview after sign-in.

Public: the latest checkpoint and who cosigned it, the entries addressed to all, and how to
verify the log yourself. Secretariat: participants and their nodes' health, the hub's own
(:mod:`gulfsec.services.hub.health`: what ``/readyz`` says, in words), the log, and
compliance across all participants. Nothing here shows an entry that is not addressed to all.
The decision pages (:mod:`.decisions`) ride on the same router.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import Response

from gulfsec.domain.forms import registry
from gulfsec.i18n import _
from gulfsec.services.hub import Hub
from gulfsec.services.hub import views as hub_views
from gulfsec.services.hub.health import hub_health
from gulfsec.services.hub.hotline import SecretariatHotline
from gulfsec.services.hub.records import ConsultationsByViewer, DecisionsByViewer, RiskByViewer
from gulfsec.services.shared import scorecards as compliance_view
from gulfsec.services.shared.scorecards import RULE_TITLES, STATUS_WORDS
from gulfsec.web import forms as schema_form
from gulfsec.web.deps import MaybeSession, SessionDep, SiteDep
from gulfsec.web.hub import consultations as consultation_pages
from gulfsec.web.hub import decisions as decision_pages
from gulfsec.web.hub import hotline as hotline_pages
from gulfsec.web.hub import news as news_pages
from gulfsec.web.hub import risk as risk_pages
from gulfsec.web.site import Site, error_page, language_of, parties_in, render

router = APIRouter(include_in_schema=False)
router.include_router(decision_pages.router)
router.include_router(consultation_pages.router)
router.include_router(risk_pages.router)
router.include_router(hotline_pages.router)
router.include_router(news_pages.router)


@dataclass
class HubSite(Site):
    hub: Hub | None = None
    scorecards: compliance_view.Scorecards | None = None
    decisions: DecisionsByViewer | None = None
    """The decisions each viewer holds (``PUBLIC``: those addressed to all)."""
    consultations: ConsultationsByViewer | None = None
    """The threads, meetings and mediations each viewer takes part in."""
    risk: RiskByViewer | None = None
    """The unusual-activity cases and incidents each viewer may read."""
    hotline: SecretariatHotline | None = None
    """The secretariat's end of the hotline, when the hub's process runs it."""
    news: news_pages.NewsSource | None = None
    """The news store (:func:`gulfsec.bootstrap.news_store_from`), read by the news pages."""

    def the_hub(self) -> Hub:
        assert self.hub is not None
        return self.hub


def _hub(site: Site) -> Hub:
    assert isinstance(site, HubSite)
    return site.the_hub()


def _before(request: Request) -> int | None:
    text = request.query_params.get("before") or ""
    return int(text) if re.fullmatch(r"[0-9]{1,18}", text) else None


@router.get("/")
def public_home(request: Request, site: SiteDep, session: MaybeSession) -> Response:
    overview = hub_views.public_overview(_hub(site))
    return render(request, site, "hub/public.html", {"overview": overview}, session=session)


@router.get("/published")
def published(request: Request, site: SiteDep, session: MaybeSession) -> Response:
    form = request.query_params.get("form") or None
    listing = hub_views.public_entries(_hub(site), before=_before(request), form=form)
    return render(request, site, "hub/published.html",
                  {"listing": listing, "forms": list(registry().values())}, session=session)


@router.get("/published/{entry_id}")
def published_entry(request: Request, entry_id: str, site: SiteDep,
                    session: MaybeSession) -> Response:
    found = hub_views.public_entry(_hub(site), entry_id.lower())
    if found is None:
        return error_page(request, site, 404, _("No such published entry"),
                          _("No entry addressed to all participants has that id."), session)
    lang = language_of(site, request).code
    return render(request, site, "hub/published_entry.html",
                  {"found": found, "row": found.row,
                   "shown": schema_form.show(found.spec, found.body, language=lang)},
                  session=session)


@router.get("/verify")
def verify(request: Request, site: SiteDep, session: MaybeSession) -> Response:
    hub = _hub(site)
    base = str(request.base_url).rstrip("/")
    return render(request, site, "hub/verify.html",
                  {"hub_url": base, "log_key": hub.log_key.verifier.encode(),
                   "origin": hub.regime.log_origin, "size": hub.state.size}, session=session)


@router.get("/secretariat")
def secretariat(request: Request, site: SiteDep, session: SessionDep) -> Response:
    hub = _hub(site)
    overview = hub_views.secretariat_overview(hub)
    return render(request, site, "hub/secretariat.html",
                  {"overview": overview, "health": hub_health(hub)}, session=session)


@router.get("/secretariat/compliance")
def secretariat_compliance(request: Request, site: SiteDep, session: SessionDep) -> Response:
    params = request.query_params
    wanted = (params.get("party") or "ALL").strip().upper()
    party = None if wanted == "ALL" or not site.regime.is_participant(wanted) else wanted
    status = params.get("status") or None
    status = status if status in STATUS_WORDS else None
    rule = params.get("rule") or None
    rule = rule if rule in RULE_TITLES else None
    assert isinstance(site, HubSite) and site.scorecards is not None
    card = site.scorecards.summarising(party, status, rule)
    lang = language_of(site, request).code
    parties = parties_in(site, lang)
    chosen = party or "ALL"
    findings = site.fragments.render(
        site, "_findings.html", ("findings", card.selection, lang), card,
        lambda: {"card": card, "chosen": chosen, "entry_link": "/published/",
                 "public_ids": _public_ids(site, card)})
    counts = site.fragments.render(
        site, "hub/_compliance_counts.html", ("counts", card.selection, lang), card,
        lambda: {"card": card, "statuses": STATUS_WORDS, "summarised": card.summarised})
    return render(request, site, "hub/compliance.html",
                  {"card": card, "chosen": chosen, "parties": parties,
                   "counts_html": counts, "findings_html": findings, "status": status or "",
                   "rule": rule or "", "statuses": STATUS_WORDS, "rules": RULE_TITLES},
                  session=session)


def _public_ids(site: Site, card: compliance_view.Scorecard) -> set[str]:
    """Which evidence entries are addressed to all (and so have a public page to link to)."""
    return hub_views.public_ids(_hub(site), (eid for row in card.rows for eid in row.evidence))
