"""The web pages: server-rendered HTML (Jinja2, autoescaped), plain CSS, a little script.

- :func:`install_node_pages` adds a node's pages for its party's delegates to the node's app:
  sign-in, inbox, one entry, compose, compliance, alarms, the hotline;
- :func:`install_hub_pages` adds the hub's pages to the hub's app: the public log, published
  entries and how to verify the log, and the secretariat's overview (and the hotline's lines)
  after sign-in.

Where things are: :mod:`.site` (templates, sessions, CSRF, headers), :mod:`.deps`,
:mod:`.auth_routes`, :mod:`.node` and :mod:`.hub` (the pages of each), :mod:`.forms` (forms
from a JSON Schema), :mod:`.i18n`; ``templates/`` and ``static/`` beside them. Business rules
stay in the services. The pages know nothing of the API beside them: the services they need
(accounts, scorecards, the composer) are handed over by :mod:`gulfsec.bootstrap`.
"""

from __future__ import annotations

import inspect

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from gulfsec.errors import Forbidden, SignInRequired
from gulfsec.i18n import N_, _
from gulfsec.services.hub import Hub
from gulfsec.services.hub.hotline import SecretariatHotline
from gulfsec.services.hub.records import ConsultationsByViewer, DecisionsByViewer, RiskByViewer
from gulfsec.services.node import Node
from gulfsec.services.node.compose import Composer
from gulfsec.services.node.drafts import Drafts
from gulfsec.services.node.notifications import Notifications
from gulfsec.services.shared.accounts import Accounts
from gulfsec.services.shared.scorecards import Scorecards
from gulfsec.web import auth_routes
from gulfsec.web.hub import hotline as hub_hotline
from gulfsec.web.hub import pages as hub_pages
from gulfsec.web.hub.news import NewsSource
from gulfsec.web.hub.pages import HubSite
from gulfsec.web.i18n import LanguageMiddleware
from gulfsec.web.node import clock as node_clock
from gulfsec.web.node import drafts as node_drafts
from gulfsec.web.node import events as node_events
from gulfsec.web.node import hotline as node_hotline
from gulfsec.web.node import notifications as node_notifications
from gulfsec.web.node import pages as node_pages
from gulfsec.web.node.pages import NodeSite
from gulfsec.web.site import PageHeaders, Site, error_page, make_environment, query, redirect

__all__ = ["install_hub_pages", "install_node_pages", "node_cookie"]

API_PATHS = ("/v1/", "/log/")
"""Where the API and the log's files are: their errors stay JSON."""


def node_cookie(party: str) -> str:
    """The name of the session cookie of ``party``'s node (one per node, so that several nodes
    on one host do not sign each other's delegates out)."""
    return f"gulfsec_node_{party.lower()}"


def install_node_pages(app: FastAPI, node: Node, *, accounts: Accounts, composer: Composer,
                       scorecards: Scorecards, secure_cookies: bool = False,
                       notifications: Notifications | None = None,
                       drafts: Drafts | None = None) -> None:
    """Serve ``node``'s pages from ``app``; ``accounts`` are its delegates'; each delegate
    sets their e-mail ``notifications`` on a page of their own (off without them); ``drafts``
    is the node's drafts queue, under its two-person rule (none without one)."""
    participant = node.regime.participants.get(node.party)
    name = node.party if participant is None else f"{participant.name} ({node.party})"
    title = N_("%(name)s node")  # the English title is kept; the pages translate it
    site = NodeSite(kind="node", title=title % {"name": name}, title_message=title,
                    title_values={"name": name, "party": node.party}, regime=node.regime,
                    accounts=accounts,
                    cookie=node_cookie(node.party), env=make_environment(), clock=node.clock,
                    home="/inbox", node=node, composer=composer, scorecards=scorecards,
                    secure_cookies=secure_cookies, drafts=drafts or Drafts(node))
    node_hotline.install(site)
    node_drafts.install(site)
    node_clock.install(site)
    node_notifications.install(site, notifications or Notifications(node, None, None))
    _install(app, site)
    app.include_router(node_pages.router)
    app.include_router(node_notifications.router)
    app.include_router(node_drafts.router)
    app.include_router(node_events.router)


def install_hub_pages(app: FastAPI, hub: Hub, *, accounts: Accounts,
                      scorecards: Scorecards, decisions: DecisionsByViewer | None = None,
                      consultations: ConsultationsByViewer | None = None,
                      risk: RiskByViewer | None = None,
                      hotline: SecretariatHotline | None = None,
                      news: NewsSource | None = None,
                      secure_cookies: bool = False) -> None:
    """Serve the hub's public pages and the secretariat's from ``app``; ``hotline``, the
    secretariat's end of the hotline when the hub's process runs it; ``news``, the news store
    (opened when first read; none: the news pages say how to fill one)."""
    site = HubSite(kind="hub", title=N_("Secretariat hub"), regime=hub.regime, accounts=accounts,
                   cookie="gulfsec_hub", env=make_environment(), clock=hub.clock,
                   home="/secretariat", hub=hub,
                   scorecards=scorecards.following(lambda: _log_state(hub)),
                   decisions=decisions or DecisionsByViewer(hub),
                   secure_cookies=secure_cookies)
    assert site.decisions is not None
    site.consultations = consultations or ConsultationsByViewer(hub, site.decisions)
    site.risk = risk or RiskByViewer(hub)
    site.hotline = hotline
    site.news = news
    hub_hotline.install(site)
    _install(app, site)
    app.include_router(hub_pages.router)


def _log_state(hub: Hub) -> tuple[int, int]:
    """What the hub's scorecards depend on: its log's size and how much of it is final."""
    state = hub.state
    return state.size, state.finality.final_size


def _install(app: FastAPI, site: Site) -> None:
    app.state.web = site
    app.add_middleware(PageHeaders)
    app.add_middleware(LanguageMiddleware, regime=site.regime)
    app.mount("/static", StaticFiles(packages=[("gulfsec.web", "static")]), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return RedirectResponse("/static/favicon.svg", status_code=308)

    app.include_router(auth_routes.router)

    async def sign_in_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInRequired)
        if request.url.path.endswith(".json"):
            return JSONResponse({"error": "unauthenticated", "message": "sign in first"},
                                status_code=401)
        params = {"next": exc.next_path, "expired": "1" if exc.expired else None}
        return redirect(query("/sign-in", params))

    async def forbidden(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Forbidden)
        session = getattr(request.state, "web_session", None)
        return error_page(request, site, 403, _("Not allowed"), exc.message, session)

    api_answer = app.exception_handlers.get(StarletteHTTPException)

    async def http_error_page(request: Request, exc: Exception) -> Response:
        """No such page: the pages' own error page. The API and the log's files answer as
        the app did before the pages were added (JSON, from the API's handler)."""
        assert isinstance(exc, StarletteHTTPException)
        if request.url.path.startswith(API_PATHS) or exc.status_code not in (404, 405):
            if api_answer is not None:
                answered = api_answer(request, exc)
                return await answered if inspect.isawaitable(answered) else answered
            return JSONResponse({"error": "http", "message": str(exc.detail)},
                                status_code=exc.status_code)
        session = getattr(request.state, "web_session", None)
        if exc.status_code == 404:
            return error_page(request, site, 404, _("Page not found"),
                              _("There is no page at this address. Check the address, or "
                                "start again from the main menu."), session)
        response = error_page(request, site, 405, _("Not allowed here"),
                              _("This page cannot be used that way."), session)
        response.headers.update(getattr(exc, "headers", None) or {})
        return response

    app.add_exception_handler(SignInRequired, sign_in_required)
    app.add_exception_handler(Forbidden, forbidden)
    app.add_exception_handler(StarletteHTTPException, http_error_page)
