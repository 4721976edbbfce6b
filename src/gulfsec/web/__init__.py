"""The web pages: server-rendered HTML (Jinja2, autoescaped), plain CSS, a little script.

- :func:`install_node_pages` adds a node's pages for its party's delegates to the node's app:
  sign-in, inbox, one entry, compose, compliance, alarms;
- :func:`install_hub_pages` adds the hub's pages to the hub's app: the public log, published
  entries and how to verify the log, and the secretariat's overview after sign-in.

Where things are: :mod:`.site` (templates, sessions, CSRF, headers), :mod:`.deps`,
:mod:`.auth_routes`, :mod:`.node_pages`, :mod:`.hub_pages`, :mod:`.schema_form` (forms from a
JSON Schema), :mod:`.i18n`; ``templates/`` and ``static/`` beside them. Business rules stay in
the services (:mod:`gulfsec.services.accounts`, ``views``, ``compose``, ``compliance_view``,
``hub_views``).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from gulfsec.services.accounts import SessionPolicy, hub_accounts, node_accounts
from gulfsec.services.compliance import Compliance, HubRecords
from gulfsec.services.compliance_view import hub_scorecards, node_scorecards
from gulfsec.services.compose import Composer
from gulfsec.services.hub import Hub
from gulfsec.services.node import Node
from gulfsec.web import auth_routes, hub_pages, node_pages
from gulfsec.web.hub_pages import HubSite
from gulfsec.web.node_pages import NodeSite
from gulfsec.web.site import (
    Forbidden,
    PageHeaders,
    SignInRequired,
    Site,
    error_page,
    make_environment,
    query,
    redirect,
)

__all__ = ["install_hub_pages", "install_node_pages"]


def install_node_pages(app: FastAPI, node: Node, *, policy: SessionPolicy | None = None) -> None:
    """Serve ``node``'s pages from ``app`` (its accounts are in the node's database)."""
    participant = node.regime.participants.get(node.party)
    name = node.party if participant is None else f"{participant.name} ({node.party})"
    site = NodeSite(kind="node", title=f"{name} node", regime=node.regime,
                    accounts=node_accounts(node.engine, node.clock, policy),
                    cookie=f"gulfsec_node_{node.party.lower()}", env=make_environment(),
                    clock=node.clock, home="/inbox", node=node, composer=Composer(node),
                    scorecards=node_scorecards(node))
    _install(app, site)
    app.include_router(node_pages.router)


def install_hub_pages(app: FastAPI, hub: Hub, *, policy: SessionPolicy | None = None) -> None:
    """Serve the hub's public pages and the secretariat's from ``app``."""
    # The API keeps its compliance engines by viewer in app.state.compliance (None: the whole
    # log); the secretariat's page shares that one rather than keep a second.
    cache = getattr(app.state, "compliance", None)
    shared: Compliance | None = None
    if isinstance(cache, dict):
        shared = cache.setdefault(None, Compliance(hub.regime, HubRecords(hub)))
    site = HubSite(kind="hub", title="Secretariat hub", regime=hub.regime,
                   accounts=hub_accounts(hub.engine, hub.clock, policy), cookie="gulfsec_hub",
                   env=make_environment(), clock=hub.clock, home="/secretariat", hub=hub,
                   scorecards=hub_scorecards(hub, shared))
    _install(app, site)
    app.include_router(hub_pages.router)


def _install(app: FastAPI, site: Site) -> None:
    app.state.web = site
    app.add_middleware(PageHeaders)
    app.mount("/static", StaticFiles(packages=[("gulfsec.web", "static")]), name="static")
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
        return error_page(request, site, 403, "Not allowed", exc.message, session)

    app.add_exception_handler(SignInRequired, sign_in_required)
    app.add_exception_handler(Forbidden, forbidden)
