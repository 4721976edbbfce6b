"""The early-warning alerts for this node's party (``/early-warning``, signed in).

The secretariat reads open news and keeps a tension index for every pair of actors
(:mod:`gulfsec.services.news`); the hub gives each party the alerts of the pairs that include
it, in an answer signed by the log key (``GET /v1/news/alerts``). This page asks for them when
it is opened and shows them as the secretariat's reading of the news — not a fact of the log.
When the hub keeps no news store, or does not answer, the page says so.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from gulfsec.errors import RemoteError, TransportError
from gulfsec.i18n import _
from gulfsec.web.deps import SessionDep, SiteDep
from gulfsec.web.node.writing import node_of, page

router = APIRouter(include_in_schema=False)


@router.get("/early-warning")
async def early_warning(request: Request, site: SiteDep, session: SessionDep) -> Response:
    node = node_of(site)
    alerts: list[dict[str, Any]] = []
    problem = None
    try:
        alerts = await run_in_threadpool(node.core.client.news_alerts)
    except RemoteError as exc:
        problem = (_("The hub keeps no news store yet: the secretariat has not read any news.")
                   if exc.status == 404
                   else _("The hub refused: %(reason)s") % {"reason": exc.message})
    except TransportError as exc:
        problem = (_("The hub did not answer (%(reason)s); try again later.")
                   % {"reason": exc.message})
    return page(request, site, "node/news.html",
                {"alerts": alerts, "problem": problem}, session)
