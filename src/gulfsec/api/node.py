"""A participant node's HTTP app and its background sync loop.

The node syncs with the hub in a background thread (long-polling for new checkpoints) and
serves its own view: status, alarms, its verified entries with their state, and — for the
other participants' nodes — the checkpoint it was shown, so split views come to light.

For the operator: ``/healthz`` (the process answers), ``/readyz`` (it serves a verified, current
view: :mod:`gulfsec.services.node.health`) and ``/metrics`` (Prometheus, to the node's API token
or a delegate's session: :func:`create_node_app`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Annotated, Any, Final

from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from gulfsec import __version__
from gulfsec.adapters.metrics import (
    Gauge,
    HttpInstruments,
    Readings,
    TimedRequests,
    exposition,
    new_registry,
)
from gulfsec.api.consultations import node_router as consultations_router
from gulfsec.api.decisions import node_router as decisions_router
from gulfsec.api.deps import MAX_INT, request_target
from gulfsec.api.docs import install_docs
from gulfsec.api.errors import ERROR_RESPONSES, install_error_handlers
from gulfsec.api.hotline import node_router as hotline_router
from gulfsec.api.node_auth import ReaderDep, require_reader
from gulfsec.api.node_auth import get_node as _get_node
from gulfsec.api.node_blobs import router as attachments_router
from gulfsec.api.risk import node_router as risk_router
from gulfsec.api.timing import ServerTiming
from gulfsec.domain.encoding import format_time, parse_json
from gulfsec.domain.request_auth import RequestCredentials
from gulfsec.logs import RequestIds
from gulfsec.services.node import Node
from gulfsec.services.node.health import NodeHealth, node_health
from gulfsec.services.node.hotline import HotlineScheduler
from gulfsec.services.node.loop import SyncLoop
from gulfsec.services.shared.accounts import Accounts
from gulfsec.services.shared.time import from_micros

log = logging.getLogger("gulfsec.node")

STALE_ROUNDS: Final = 10
"""A node whose last good sync round ended longer ago than this many sync intervals (and at
least :data:`STALE_MIN_S`) is not ready."""
STALE_MIN_S: Final = 60.0


router = APIRouter(prefix="/v1")


@router.get("/status", summary="The node's party and how far it follows the log; with the "
            "node's API token or a delegate's session, its counts, alarms and peers")
def status(request: Request) -> dict[str, Any]:
    node = _get_node(request)
    if not _presents_credentials(request):
        return node.public_status()
    require_reader(request)  # a wrong token or session is a 401, not a quieter answer
    return node.status()


def _presents_credentials(request: Request) -> bool:
    cookie: str | None = request.app.state.session_cookie
    return bool(request.headers.get("authorization")
                or (cookie is not None and request.cookies.get(cookie)))


@router.get("/witness", summary="The checkpoint this node was shown and the one it cosigned")
def witness(request: Request) -> dict[str, Any]:
    return _get_node(request).witness_view()


def _peer_party(request: Request) -> str:
    """The party a peer node's signed request speaks for (401 if it does not verify)."""
    creds = RequestCredentials.from_headers({k.lower(): v for k, v in request.headers.items()})
    return _get_node(request).sent.authenticate(creds, request.method, request_target(request))


@router.get("/sent", summary="What this party sent that the requesting party may read, as "
            "(index, entry id): to a request signed by that party's key, so that its node "
            "finds an entry the hub withholds from it")
def sent(
    request: Request,
    after: Annotated[int, Query(ge=-1, le=MAX_INT)] = -1,
) -> dict[str, Any]:
    reader = _peer_party(request)
    return {"party": _get_node(request).party, "to": reader,
            "entries": _get_node(request).sent.listing(reader, after)}


@router.get("/sent/{entry_id}", summary="One entry this party sent that the requesting party "
            "may read, as its signed bytes (base64)")
def sent_entry(request: Request, entry_id: str) -> dict[str, Any]:
    reader = _peer_party(request)
    return _get_node(request).sent.content(reader, entry_id)


@router.get("/alarms", summary="Verification failures and evidence of a dishonest hub",
            dependencies=[ReaderDep])
def alarms(request: Request) -> dict[str, Any]:
    node = _get_node(request)
    with node.uow() as uow:
        items = uow.repo.alarms()
    return {"alarms": [{"id": a.id, "kind": a.kind, "message": a.message,
                        "evidence": a.evidence, "at": format_time(from_micros(a.created_at))}
                       for a in items]}


@router.get("/entries", summary="The node's verified entries, with their state",
            dependencies=[ReaderDep])
def entries(
    request: Request,
    after: Annotated[int, Query(ge=-1, le=MAX_INT)] = -1,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    node = _get_node(request)
    final = node.finality_table()
    with node.uow() as uow:
        items = uow.repo.entries_from(after, limit)
    return {"entries": [_entry_view(item, final(item.index)) for item in items]}


def _entry_view(item: Any, final_at: Any) -> dict[str, Any]:
    return {
        "index": item.index,
        "entry_id": item.entry_id.hex(),
        "sender": item.sender,
        "form": item.form,
        "final": final_at is not None,
        "final_at": None if final_at is None else format_time(final_at),
        "entry": parse_json(item.raw),
    }


def node_readings(node: Node, stale_after: timedelta) -> Readings[NodeHealth]:
    """The node's gauges, read at each scrape from :func:`node_health`."""
    return Readings(lambda: node_health(node, stale_after, detail=True), [
        (Gauge("gulfsec_node_log_size", "Entries in the node's verified copy of the log (the "
               "latest checkpoint it accepted)."), lambda h: h.size),
        (Gauge("gulfsec_node_hub_size", "The size of the largest checkpoint the hub showed "
               "the node, accepted or not."), lambda h: h.hub_size),
        (Gauge("gulfsec_node_sync_lag_entries", "How far the verified copy is behind what "
               "the hub showed (hub size minus log size)."), lambda h: h.lag),
        (Gauge("gulfsec_node_final_size", "Entries the node knows final."),
         lambda h: h.final_size),
        (Gauge("gulfsec_node_last_sync_timestamp_seconds", "When this process's last sync "
               "round ended (Unix time; see gulfsec_node_sync_ok for how)."),
         lambda h: None if h.last_sync is None else h.last_sync.timestamp()),
        (Gauge("gulfsec_node_seconds_since_sync", "Seconds since this process's last sync "
               "round ended."), lambda h: h.seconds_since_sync),
        (Gauge("gulfsec_node_sync_ok", "1 if the last sync round ended without an error."),
         lambda h: None if h.last_sync is None else not h.sync_failed),
        (Gauge("gulfsec_node_ready", "1 if the node is ready (/readyz answers 200)."),
         lambda h: h.ready),
        (Gauge("gulfsec_node_alarms", "Alarms the node holds (evidence against the hub, "
               "failed checks), by kind.", ("kind",)),
         lambda h: {(kind,): n for kind, n in h.alarms.items()}),
        (Gauge("gulfsec_node_outbox_pending", "Entries signed and waiting to be delivered to "
               "the hub."), lambda h: h.outbox_pending),
    ])


def create_node_app(node: Node, *, sync_interval_s: float = 1.0, run_sync: bool = True,
                    accounts: Accounts | None = None,
                    session_cookie: str | None = None) -> FastAPI:
    """The node's ASGI app (its API) and its background sync. What the party holds is served
    to the node's API token, or to a delegate signed in to ``accounts`` (the session cookie
    ``session_cookie``, which the pages set)."""
    loop = SyncLoop(node, sync_interval_s)
    tests = None if node.hotline is None else HotlineScheduler(node.hotline)
    stale_after = timedelta(seconds=max(STALE_MIN_S, STALE_ROUNDS * sync_interval_s))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if run_sync:
            await run_in_threadpool(loop.start)
            if tests is not None:
                await run_in_threadpool(tests.start)
        try:
            yield
        finally:
            if run_sync:
                if tests is not None:
                    await run_in_threadpool(tests.stop)
                await run_in_threadpool(loop.stop)

    app = FastAPI(title=f"gulfsec node ({node.party})", version=__version__, lifespan=lifespan,
                  openapi_url="/v1/openapi.json", docs_url=None, redoc_url=None,
                  responses=ERROR_RESPONSES)
    install_docs(app, "/v1")
    app.state.node = node
    app.state.sync_loop = loop
    app.state.accounts = accounts
    app.state.session_cookie = session_cookie
    # Metrics in a registry of this app's own (never the library's global one). /metrics
    # is for the party's own: it counts the node's alarms and its outbox, which /v1/status
    # tells only to the node's API token or a delegate's session, so it asks the same.
    registry = new_registry()
    registry.register(node_readings(node, stale_after))
    install_error_handlers(app)
    app.add_middleware(ServerTiming)
    instruments = app.state.http_instruments = HttpInstruments(registry)
    app.add_middleware(TimedRequests, instruments=instruments)
    app.add_middleware(RequestIds)
    app.include_router(router)
    app.include_router(decisions_router)
    app.include_router(consultations_router)
    app.include_router(attachments_router)
    app.include_router(risk_router)
    app.include_router(hotline_router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, Any]:
        """Liveness: the process answers (from memory; no database)."""
        return {"ok": True, "party": node.party}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        """Readiness (:mod:`gulfsec.services.node.health`): 200 when the database answers,
        the node holds a verified copy and its last sync round, recent, went well; 503
        otherwise. Says no more than ``/v1/status`` says to anyone."""
        health = node_health(node, stale_after)
        return JSONResponse({"ready": health.ready, "checks": health.checks,
                             "party": node.party, "size": health.size},
                            status_code=200 if health.ready else 503)

    @app.get("/metrics", include_in_schema=False, dependencies=[ReaderDep])
    def metrics(request: Request) -> Response:
        body, content_type = exposition(registry, request.headers.get("accept", ""))
        return Response(body, media_type=content_type)

    return app
