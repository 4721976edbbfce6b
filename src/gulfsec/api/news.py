"""The secretariat's early-warning alerts, for the parties they concern.

``GET /v1/news/alerts``, to a signed request: the alerts of the tension index (from the news
the secretariat reads, :func:`gulfsec.services.news.alerts`) for the pairs that include the
caller; the secretariat gets every alert. The answer is signed by the log key like every answer
of the hub's, so a node shows its party what the secretariat's analysis said, and can prove it —
but the alerts are the secretariat's reading of open news, not facts of the log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request

from gulfsec.adapters.storage.news import NewsStore
from gulfsec.api.deps import CurrentParty, HubDep
from gulfsec.errors import NotFound
from gulfsec.services.news import alerts

router = APIRouter(prefix="/v1", tags=["early warning"])


@router.get("/news/alerts", summary="The early-warning alerts for the pairs that include the "
            "caller (the secretariat: every alert), from the news the secretariat reads")
def news_alerts(request: Request, hub: HubDep, party: CurrentParty) -> dict[str, Any]:
    source: Callable[[], NewsStore | None] | None = getattr(request.app.state, "news", None)
    store = None if source is None else source()
    if store is None:
        raise NotFound("this hub keeps no news store: the secretariat fills one with "
                       "gulfsec news ingest")
    found = alerts(store, hub.regime)
    if party != hub.regime.secretariat.code:
        found = [a for a in found if party in a.rise.pair.split("-")]
    return {"party": party, "alerts": [a.to_json() for a in found]}
