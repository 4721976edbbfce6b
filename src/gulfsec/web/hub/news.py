"""The secretariat's early-warning pages (signed in): tension from open news, alerts, and news
against the notifications on the log.

- ``/secretariat/news``: a heat map of the tension index (:mod:`gulfsec.web.news`) of every
  pair of regime participants, and every pair with events, in the latest period, the same
  numbers as a table, and the alerts (:func:`gulfsec.services.news.alerts`);
- ``/secretariat/news/pair/{A}-{B}``: the pair's index over time, and for each period the
  events behind it, their sentences and articles;
- ``/secretariat/news/unnotified``: the possible un-notified activities
  (:func:`gulfsec.services.news.unnotified`, over the hub's whole log) with a form to record
  why one is explained (:func:`gulfsec.services.news.explain`).

The news store is the hub's (``news.db`` in its data directory or
``GULFSEC_NEWS_DATABASE_URL``), opened when first read; while there is none, or it is empty,
the pages say how to fill it with ``gulfsec news ingest``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from gulfsec.adapters.storage.news import NewsStore, StoredEvent
from gulfsec.domain.forms.activity_notification import NOTIFICATION
from gulfsec.domain.news.tension import Period, Row, pair_of, period_label, period_start
from gulfsec.errors import ConfigError, NotFound
from gulfsec.i18n import N_, _
from gulfsec.services.hub import Hub
from gulfsec.services.hub.records import HubRecords
from gulfsec.services.news import alerts, explain, normal_pair, tension_rows, unnotified
from gulfsec.services.shared.accounts import WebSession
from gulfsec.web.deps import SessionDep, SiteDep
from gulfsec.web.news import heat_map, line_plot, pair_name
from gulfsec.web.site import Site, check_csrf, error_page, read_form, redirect, render

router = APIRouter(include_in_schema=False)

NewsSource = Callable[[], NewsStore | None]
"""Gives the news store, or ``None`` while there is none."""

BASE = "/secretariat/news"
MAX_REASON = 2000


def _store(site: Site) -> NewsStore | None:
    source = getattr(site, "news", None)
    if source is None:
        return None
    store = cast(NewsSource, source)()
    if store is None or store.counts()["articles"] == 0:
        return None
    return store


def _empty(request: Request, site: Site, session: WebSession, title: str) -> Response:
    """The page saying how to fill the news store; ``title``, marked with ``N_``, is translated
    by the template."""
    return render(request, site, "hub/news_empty.html", {"title": title}, session=session)


@dataclass(frozen=True)
class Index:
    """The tension index of the stored events by the regime's ``[early_warning]``."""

    period: Period
    threshold: float
    rows: list[Row]
    events: list[StoredEvent]


def _index(site: Site, store: NewsStore) -> Index:
    settings = site.regime.early_warning
    stored = store.events()
    return Index(cast(Period, settings.period), settings.threshold,
                 tension_rows(stored, store, site.regime), stored)


def _link(pair: str) -> str:
    return f"{BASE}/pair/{pair}"


@router.get("/secretariat/news")
def news_overview(request: Request, site: SiteDep, session: SessionDep) -> Response:
    store = _store(site)
    if store is None:
        return _empty(request, site, session, N_("Tension from open news"))
    found = _index(site, store)
    last = store.last_day()
    latest = "" if last is None else period_label(period_start(last, found.period),
                                                  found.period)
    cells = {row.pair: row.index for row in found.rows if row.period == latest}
    participants = [code for code in site.regime.participants]
    with_events = {code for pair in cells for code in pair.split("-")}
    actors = sorted(set(participants) | with_events)
    table = sorted(((pair, index) for pair, index in cells.items()),
                   key=lambda item: (-item[1], item[0]))
    return render(request, site, "hub/news.html", {
        "latest": latest, "period": found.period, "threshold": found.threshold,
        "svg": heat_map(actors, cells, latest, found.threshold, _link),
        "table": table, "actors": actors, "pair_name": pair_name, "link": _link,
        "alerts": alerts(store, site.regime), "counts": store.counts(),
    }, session=session)


@router.get("/secretariat/news/pair/{pair}")
def news_pair(request: Request, pair: str, site: SiteDep, session: SessionDep) -> Response:
    store = _store(site)
    if store is None:
        return _empty(request, site, session, N_("Tension between two actors"))
    try:
        wanted = normal_pair(pair)
    except ConfigError:
        return error_page(request, site, 404, _("No such pair"),
                          _("Name a pair by two actor codes joined by a hyphen, such as "
                            "IRN-SAU."), session)
    found = _index(site, store)
    rows = [row for row in found.rows if row.pair == wanted]
    behind: dict[str, list[StoredEvent]] = defaultdict(list)
    for event in found.events:
        if event.day is not None and pair_of(event.source, event.target) == wanted \
                and event.source != event.target:
            behind[period_label(period_start(event.day, found.period), found.period)].append(
                event)
    return render(request, site, "hub/news_pair.html", {
        "pair": wanted, "shown_pair": pair_name(wanted), "period": found.period,
        "threshold": found.threshold, "rows": rows, "behind": behind,
        "svg": line_plot(wanted, [(row.period, row.index) for row in rows], found.threshold),
        "alerts": alerts(store, site.regime, pair=wanted),
    }, session=session)


def _hub(site: Site) -> Hub:
    hub = getattr(site, "hub", None)
    assert isinstance(hub, Hub)
    return hub


def _unnotified_page(request: Request, site: Site, session: WebSession,
                     errors: dict[str, str] | None = None,
                     reasons: dict[str, str] | None = None, status: int = 200) -> Response:
    store = _store(site)
    if store is None:
        return _empty(request, site, session, N_("Possible un-notified activities"))
    records = HubRecords(_hub(site), None, forms=(NOTIFICATION,)).records_after(-1)
    findings = unnotified(store, site.regime, records)
    return render(request, site, "hub/news_unnotified.html", {
        "findings": findings, "errors": errors or {}, "reasons": reasons or {},
        "explained": request.query_params.get("explained") or "",
    }, session=session, status=status)


@router.get("/secretariat/news/unnotified")
def news_unnotified(request: Request, site: SiteDep, session: SessionDep) -> Response:
    return _unnotified_page(request, site, session)


@router.post("/secretariat/news/unnotified/{finding_id}/explain")
async def news_explain(request: Request, finding_id: str, site: SiteDep,
                       session: SessionDep) -> Response:
    form = await read_form(request)
    check_csrf(request, form, session)
    value: Any = form.get("reason")
    reason = value if isinstance(value, str) else ""
    return await run_in_threadpool(_explain, request, site, session, finding_id, reason)


def _explain(request: Request, site: Site, session: WebSession, finding_id: str,
             reason: str) -> Response:
    store = _store(site)
    if store is None:
        return _empty(request, site, session, N_("Possible un-notified activities"))
    problem = None
    if not reason.strip():
        problem = _("Say why this finding is explained: the notification found, or why the "
                    "report is wrong.")
    elif len(reason) > MAX_REASON:
        problem = _("Keep the reason under %(max)s characters.") % {"max": MAX_REASON}
    if problem is not None:
        return _unnotified_page(request, site, session, {finding_id: problem},
                                {finding_id: reason}, 422)
    try:
        explain(store, finding_id, reason, site.clock.now())
    except NotFound:
        return error_page(request, site, 404, _("No such finding"),
                          _("No possible un-notified activity has that id."), session)
    return redirect(f"{BASE}/unnotified?explained={finding_id}#finding-{finding_id}")
