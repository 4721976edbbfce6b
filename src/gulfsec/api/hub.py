"""The hub's HTTP API (version 1) and its static tlog-tiles tree.

Routes only translate: request in, one call into :class:`gulfsec.services.hub.Hub`, response out.
Entry content goes only to the sender and the audience; an outsider gets 404 and learns nothing.
The checkpoint, tiles and proofs reveal entry ids only, so they are public.

For the operator: ``/healthz`` (the process answers), ``/readyz`` (it can do its job:
:mod:`gulfsec.services.hub.health`) and ``/metrics`` (Prometheus: :func:`create_hub_app` says
what it holds and why it is open to anyone).
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Path, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from gulfsec import __version__
from gulfsec.adapters.metrics import (
    Gauge,
    HttpInstruments,
    HubInstruments,
    Readings,
    TimedRequests,
    exposition,
    new_registry,
)
from gulfsec.api.blobs import router as blobs_router
from gulfsec.api.consultations import hub_router as consultations_router
from gulfsec.api.decisions import hub_router as decisions_router
from gulfsec.api.deps import MAX_INT, NO_OPENTELEMETRY, CurrentParty, CurrentReader, HubDep
from gulfsec.api.docs import install_docs
from gulfsec.api.errors import ERROR_RESPONSES, install_error_handlers, public_error
from gulfsec.api.hotline import hub_router as hotline_router
from gulfsec.api.news import router as news_router
from gulfsec.api.risk import hub_router as risk_router
from gulfsec.api.sending import read_capped
from gulfsec.api.signing import SignedAnswers
from gulfsec.api.timing import ServerTiming
from gulfsec.domain.compliance import to_csv, to_json, to_table
from gulfsec.domain.encoding import (
    b64encode,
    format_time,
    parse_json_fast,
)
from gulfsec.domain.forms import get_form, registry
from gulfsec.errors import GulfsecError, NotFound
from gulfsec.ledger.tiles import CHECKPOINT_CACHE, ENTRIES, TILE_CACHE
from gulfsec.logs import RequestIds
from gulfsec.services.hub import Hub, ReadEntry, Receipt
from gulfsec.services.hub.health import HubHealth, hub_health, watch
from gulfsec.services.hub.hotline import SecretariatHotline, SecretariatHotlineLoop
from gulfsec.services.hub.hub import MAX_BATCH_ENTRIES
from gulfsec.services.hub.records import (
    ComplianceByViewer,
    ConsultationsByViewer,
    DecisionsByViewer,
    RiskByViewer,
)

API_PREFIX = "/v1"


class ReceiptOut(BaseModel):
    """A signed receipt (the answer is signed by the log key): the entry is at ``index``, in
    the checkpoint of ``checkpoint_size``, and a checkpoint including it is published by
    ``promised_by``."""

    entry_id: str
    index: int
    checkpoint_size: int
    promised_by: str
    duplicate: bool


class LogInfo(BaseModel):
    regime: str
    log_origin: str
    log_key: str
    size: int
    version: str


class KeyOut(BaseModel):
    party: str
    key_id: str
    vkey: str
    fingerprint: str
    registered_at: int
    revoked_at: int | None


class InclusionOut(BaseModel):
    index: int
    size: int
    leaf_hash: str
    proof: list[str]


class ConsistencyOut(BaseModel):
    old: int
    new: int
    proof: list[str]


def _entry_json(item: ReadEntry) -> dict[str, Any]:
    return {
        "index": item.index,
        "entry_id": item.entry_id,
        "sequenced_at": format_time(item.sequenced_at),
        "final": item.final_at is not None,
        "final_at": None if item.final_at is None else format_time(item.final_at),
        "entry": parse_json_fast(item.raw),  # the hub's own canonical bytes
    }


class _TimeTexts(dict[datetime, str]):
    """Times written once each: the entries of a page share a few sequencing and final times."""

    def __missing__(self, moment: datetime) -> str:
        text = self[moment] = format_time(moment)
        return text


def _entry_raw(item: ReadEntry, texts: _TimeTexts, checkpoint_size: int) -> dict[str, Any]:
    return {
        "index": item.index,
        "entry_id": item.entry_id,
        "sequenced_at": texts[item.sequenced_at],
        "final": item.final_at is not None,
        "final_at": None if item.final_at is None else texts[item.final_at],
        "raw": b64encode(item.raw),
        "checkpoint_size": checkpoint_size,
    }


def _receipt(r: Receipt) -> ReceiptOut:
    return ReceiptOut(entry_id=r.entry_id, index=r.index, checkpoint_size=r.checkpoint_size,
                      promised_by=format_time(r.promised_by), duplicate=r.duplicate)


router = APIRouter(prefix=API_PREFIX)


@router.get("/log", response_model=LogInfo, summary="What this log is and how big it is")
def log_info(hub: HubDep) -> LogInfo:
    return LogInfo(regime=hub.regime.id, log_origin=hub.regime.log_origin,
                   log_key=hub.log_key.verifier.encode(), size=hub.state.size,
                   version=__version__)


@router.post("/entries", response_model=ReceiptOut, status_code=201,
             summary="Submit a signed entry; answers once it is durably sequenced",
             responses={200: {"description": "the same entry was already in the log"}})
async def submit_entry(request: Request, response: Response, hub: HubDep) -> ReceiptOut:
    counts: HubInstruments = request.app.state.instruments
    try:
        raw = await read_capped(request, hub.regime.limits.max_entry_bytes)
        signed = await run_in_threadpool(hub.prepare, raw)
        receipt = await asyncio.wrap_future(hub.enqueue(signed))
    except GulfsecError as exc:
        counts.refused(exc.code)
        raise
    counts.accepted(duplicate=receipt.duplicate)
    if receipt.duplicate:
        response.status_code = 200
    return _receipt(receipt)


@router.post("/entries/batch",
             summary="Submit several signed entries in order; each is answered on its own",
             responses={200: {
                 "description": "one result per entry, in order: a receipt with "
                                '"ok": true, or an error object with "ok": false',
                 "content": {"application/json": {"schema": {
                     "type": "object", "required": ["results"],
                     "properties": {"results": {"type": "array", "items": {
                         "type": "object", "required": ["ok"],
                         "properties": {"ok": {"type": "boolean"}},
                         "additionalProperties": True}}}}}}}})
async def submit_batch(request: Request, hub: HubDep) -> Response:
    """Submit up to 256 entries as a JSON array, kept in order (for a node flushing its outbox).

    Each result is either a receipt or an error object; one entry's refusal does not refuse
    the others, but a refused entry usually makes the same sender's later entries gaps.
    """
    counts: HubInstruments = request.app.state.instruments
    limit = hub.regime.limits.max_entry_bytes * MAX_BATCH_ENTRIES
    try:
        raw = await read_capped(request, limit)
        prepared = await run_in_threadpool(hub.prepare_batch, raw)
        outcomes = await asyncio.wrap_future(hub.enqueue_many(prepared))
    except GulfsecError as exc:
        counts.refused(exc.code)
        raise
    promised: dict[Any, str] = {}  # one batch's receipts share their promise
    results: list[dict[str, Any]] = []
    for outcome in outcomes:
        if isinstance(outcome, GulfsecError):
            counts.refused(outcome.code)
            results.append({"ok": False, **public_error(outcome)})
            continue
        counts.accepted(duplicate=outcome.duplicate)
        by = promised.get(outcome.promised_by)
        if by is None:
            by = promised[outcome.promised_by] = format_time(outcome.promised_by)
        results.append({"ok": True, "entry_id": outcome.entry_id, "index": outcome.index,
                        "checkpoint_size": outcome.checkpoint_size, "promised_by": by,
                        "duplicate": outcome.duplicate})
    return Response(json.dumps({"results": results}, separators=(",", ":")).encode(),
                    media_type="application/json")


@router.get("/entries", summary="Entries the caller may read, after an index, oldest first")
def list_entries(
    hub: HubDep,
    party: CurrentReader,
    after: Annotated[int, Query(ge=-1, le=MAX_INT)] = -1,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    format: Annotated[Literal["json", "raw"], Query(
        description='"raw": each entry as base64 of its canonical bytes (for nodes)')] = "json",
) -> Response:
    items = hub.list_entries(party, after, limit)
    page: dict[str, Any] = {"size": hub.state.size}
    if format == "raw":
        covering = hub.covering_checkpoints([i.index for i in items])
        texts = _TimeTexts()
        page["entries"] = [_entry_raw(i, texts, covering[i.index][0])
                           for i in items if i.index in covering]
        page["checkpoints"] = {str(size): note for size, note in covering.values()}
    else:
        page["entries"] = [_entry_json(i) for i in items]
    return Response(json.dumps(page), media_type="application/json")


@router.get("/entries/{entry_id}", summary="One entry, if the caller may read it")
def read_entry(entry_id: str, hub: HubDep, party: CurrentReader) -> dict[str, Any]:
    return _entry_json(hub.read_entry(party, entry_id))


@router.get("/entries/{entry_id}/proof",
            summary="The entry with its inclusion proof against a checkpoint")
def entry_proof(
    entry_id: str,
    hub: HubDep,
    party: CurrentReader,
    size: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
) -> dict[str, Any]:
    item = hub.read_entry(party, entry_id)
    tree_size, proof = hub.inclusion_proof(item.index, size)
    return {
        **_entry_json(item),
        "size": tree_size,
        "proof": [b64encode(h) for h in proof],
        "checkpoint": hub.checkpoint_note(tree_size),
    }


@router.get("/checkpoint", response_class=PlainTextResponse,
            summary="The latest checkpoint (C2SP tlog-checkpoint) with its cosignatures")
async def checkpoint(
    request: Request,
    hub: HubDep,
    wait_after: Annotated[int | None, Query(ge=0, le=MAX_INT,
                                            description="long-poll: wait until the "
                                                  "log is larger than this size")] = None,
    wait: Annotated[float, Query(ge=0, le=30, description="seconds to wait at most")] = 0,
) -> PlainTextResponse:
    if wait_after is not None and wait > 0:
        pulse: _Pulse = request.app.state.pulse
        await pulse.wait_until(lambda: hub.state.size > wait_after, wait)
    return PlainTextResponse(await run_in_threadpool(hub.cosigned_note))


@router.get("/checkpoints/{size}", response_class=PlainTextResponse,
            summary="The checkpoint of a given size, with its cosignatures")
def checkpoint_at(size: Annotated[int, Path(ge=1, le=MAX_INT)],
                  hub: HubDep) -> PlainTextResponse:
    return PlainTextResponse(hub.cosigned_note(size))


class CosignatureIn(BaseModel):
    size: int = Field(ge=1, le=MAX_INT, description="the checkpoint's tree size")
    signature: str = Field(min_length=10, max_length=300,
                           description="the witness's tlog-cosignature line (— name base64)")


@router.post("/cosignatures", summary="A witness delivers its cosignature on a checkpoint",
             responses={201: {"description": "stored"}, 200: {"description": "already had it"}})
def add_cosignature(body: CosignatureIn, response: Response, hub: HubDep) -> dict[str, Any]:
    added = hub.add_cosignature(body.size, body.signature)
    response.status_code = 201 if added else 200
    return {"size": body.size, "stored": added, "final_size": hub.state.finality.final_size}


@router.get("/cosignatures", summary="Witness cosignatures received since a time, to verify")
def cosignatures(
    hub: HubDep,
    since: Annotated[int, Query(ge=0, le=MAX_INT,
                                description="received at or after (µs since epoch)")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
) -> dict[str, Any]:
    return {"cosignatures": hub.cosignatures_since(since, limit),
            "final_size": hub.state.finality.final_size}


@router.get("/proof/inclusion", response_model=InclusionOut,
            summary="Inclusion proof of the leaf at an index (RFC 9162 §2.1.3)")
def inclusion(
    hub: HubDep,
    index: Annotated[int, Query(ge=0, le=MAX_INT)],
    size: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
) -> InclusionOut:
    tree_size, proof = hub.inclusion_proof(index, size)
    with hub.state.lock:
        leaf = hub.state.tree.leaf_hash_at(index)
    return InclusionOut(index=index, size=tree_size, leaf_hash=b64encode(leaf),
                        proof=[b64encode(h) for h in proof])


@router.get("/proof/consistency", response_model=ConsistencyOut,
            summary="Consistency proof between two tree sizes (RFC 9162 §2.1.4)")
def consistency(
    hub: HubDep,
    old: Annotated[int, Query(ge=0, le=MAX_INT)],
    new: Annotated[int | None, Query(ge=0, le=MAX_INT)] = None,
) -> ConsistencyOut:
    new_size, proof = hub.consistency_proof(old, new)
    return ConsistencyOut(old=old, new=new_size, proof=[b64encode(h) for h in proof])


@router.post("/registrations", status_code=202,
             summary="A participant's self-signed key registration, to wait for the secretariat")
async def add_registration(request: Request, hub: HubDep) -> dict[str, Any]:
    raw = await read_capped(request, hub.regime.limits.max_entry_bytes)
    added = await run_in_threadpool(hub.add_registration, raw)
    return {"pending": True, "new": added}


@router.get("/registrations", summary="Key registrations waiting for the secretariat")
def pending_registrations(hub: HubDep) -> dict[str, Any]:
    return {"registrations": hub.pending_registrations()}


@router.get("/me", summary="The caller's next sequence number and active key")
def me(hub: HubDep, reader: CurrentReader) -> dict[str, object]:
    return {**hub.party_status(reader.party), "key_active": not reader.limited}


@router.get("/compliance", summary="Compliance findings over the entries the caller may read",
            responses={200: {"content": {"application/json": {}, "text/csv": {},
                                         "text/plain": {}}}})
def compliance(
    request: Request,
    hub: HubDep,
    party: CurrentParty,
    of: Annotated[str | None, Query(alias="party", pattern=r"^[A-Z]{2,6}$",
                                    description="only this party's findings")] = None,
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
    format: Annotated[Literal["json", "csv", "table"], Query()] = "json",
) -> Response:
    """The same findings the caller's own node computes from its verified copy."""
    by_viewer: ComplianceByViewer = request.app.state.compliance
    findings = by_viewer.for_viewer(party).findings(hub.clock.now(), of, year)
    if format == "csv":
        return Response(to_csv(findings), media_type="text/csv")
    if format == "table":
        return PlainTextResponse(to_table(findings))
    return Response(to_json(findings), media_type="application/json")


@router.get("/keys", response_model=list[KeyOut], summary="Every registered key, with status")
def list_keys(hub: HubDep) -> list[KeyOut]:
    return [
        KeyOut(party=r.party, key_id=r.key.key_id_hex, vkey=r.key.encode(),
               fingerprint=r.key.fingerprint, registered_at=r.registered_at,
               revoked_at=r.revoked_at)
        for r in hub.keys()
    ]


@router.get("/forms", summary="The forms this hub accepts")
def list_forms() -> list[dict[str, str]]:
    return [{"id": f.id, "title": f.title, "description": f.description}
            for f in registry().values()]


class JSONSchemaResponse(JSONResponse):
    media_type = "application/schema+json"


@router.get("/forms/{form_id}/schema", response_class=JSONSchemaResponse,
            summary="The JSON Schema of a form's body")
def form_schema(form_id: str) -> JSONSchemaResponse:
    try:
        spec = get_form(form_id)
    except Exception as exc:
        raise NotFound(f"no form {form_id!r}") from exc
    return JSONSchemaResponse(spec.json_schema())


tiles_router = APIRouter(prefix="/log")
"""The tlog-tiles tree (https://c2sp.org/tlog-tiles), served with a static file server's
manners: ``HEAD`` as ``GET``, long-lived caching for tiles, entry bundles gzipped for a client
that accepts it. Each answer is signed by the log key (:mod:`gulfsec.api.signing`) over the
content it carries, whichever coding carries it."""



def _accepts_gzip(accept_encoding: str) -> bool:
    """Whether an ``Accept-Encoding`` header allows gzip (RFC 9110, 12.5.3): ``gzip`` (or
    ``x-gzip``) with a weight above zero, or else ``*`` with one."""
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        coding, _, params = item.partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value.strip())
                except ValueError:
                    weight = 0.0
        weights.setdefault(coding.strip().lower(), weight)
    for coding in ("gzip", "x-gzip", "*"):
        if coding in weights:
            return weights[coding] > 0
    return False


@tiles_router.get("/checkpoint", response_class=PlainTextResponse,
                  summary="tlog-tiles: the latest checkpoint")
@tiles_router.head("/checkpoint", response_class=PlainTextResponse,
                   summary="tlog-tiles: the latest checkpoint's headers")
def tiles_checkpoint(hub: HubDep) -> PlainTextResponse:
    return PlainTextResponse(hub.checkpoint().note, headers={"Cache-Control": CHECKPOINT_CACHE})


@tiles_router.get("/tile/{path:path}", summary="tlog-tiles: hash tiles and entry bundles")
@tiles_router.head("/tile/{path:path}", summary="tlog-tiles: a tile's or bundle's headers")
def tile(path: str, request: Request, hub: HubDep) -> Response:
    """A hash tile or an entry bundle. A bundle is gzipped for a client that accepts gzip (as
    tlog-tiles asks: "Entry bundles SHOULD be compressed at the HTTP layer"); hash tiles are
    not (hashes do not compress), but every answer says ``Vary: Accept-Encoding``, as the
    route's answers may vary with it. For ``HEAD`` the signing middleware sends no body."""
    body = hub.tile("tile/" + path)
    headers = {"Cache-Control": TILE_CACHE, "Vary": "Accept-Encoding"}
    if path.startswith(f"{ENTRIES}/") and _accepts_gzip(request.headers.get("accept-encoding", "")):
        # mtime=0: the same bundle is the same bytes at every request, as from a file.
        body = gzip.compress(body, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type="application/octet-stream", headers=headers)


class _Pulse:
    """Wakes long-polling requests when the sequencer commits a checkpoint (from its thread)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def beat(self, _size: int) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._fire)

    def _fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_until(self, ready: Callable[[], bool], timeout: float) -> None:
        loop = asyncio.get_running_loop()
        self._loop = self._loop or loop
        deadline = loop.time() + timeout
        while not ready():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            try:
                await asyncio.wait_for(self._event.wait(), remaining)
            except TimeoutError:
                return


def hub_readings(hub: Hub) -> Readings[HubHealth]:
    """The hub's gauges, read at each scrape from :func:`hub_health`."""
    return Readings(lambda: hub_health(hub), [
        (Gauge("gulfsec_hub_log_size", "Entries in the log (the latest checkpoint's size)."),
         lambda h: h.size),
        (Gauge("gulfsec_hub_final_size", "Entries final: covered by the cosignatures of the "
               "regime's quorum of witnesses."), lambda h: h.final_size),
        (Gauge("gulfsec_hub_finality_lag_entries", "Entries logged but not yet final (log "
               "size minus final size)."), lambda h: h.finality_lag),
        (Gauge("gulfsec_hub_sequencing", "1 if this process sequences the log, 0 if another "
               "front end on the same database does."), lambda h: h.sequencing),
        (Gauge("gulfsec_hub_ready", "1 if this process is ready (/readyz answers 200)."),
         lambda h: h.ready),
        (Gauge("gulfsec_hub_ready_check", "Each readiness check of this process: 1 passing, "
               "0 failing.", ("check",)),
         lambda h: {(name,): ok for name, ok in h.checks.items()}),
        (Gauge("gulfsec_hub_cosigned_recently", "1 if a witness cosignature was received in "
               "the last 15 minutes."), lambda h: h.cosigned_recently),
    ])


def create_hub_app(hub: Hub, *, compliance: ComplianceByViewer | None = None,
                   decisions: DecisionsByViewer | None = None,
                   consultations: ConsultationsByViewer | None = None,
                   risk: RiskByViewer | None = None,
                   manage_lifecycle: bool = True,
                   hotline: SecretariatHotline | None = None) -> FastAPI:
    """The hub's ASGI app (its API and its tlog-tiles). With ``manage_lifecycle`` the app
    starts and stops the hub; ``compliance``, ``decisions``, ``consultations`` and ``risk`` are
    the views it shares with the pages; ``hotline``, the secretariat's end of the hotline, runs
    in a thread of its own while the app does (when the hub's process holds its keys)."""

    pulse = _Pulse()
    line = None if hotline is None else SecretariatHotlineLoop(hotline)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        pulse.attach(asyncio.get_running_loop())
        hub.state.listeners.append(pulse.beat)
        if manage_lifecycle:
            await run_in_threadpool(hub.start)
        if line is not None:
            await run_in_threadpool(line.start)
        try:
            yield
        finally:
            if line is not None:
                await run_in_threadpool(line.stop)
            if pulse.beat in hub.state.listeners:
                hub.state.listeners.remove(pulse.beat)
            if manage_lifecycle:
                await run_in_threadpool(hub.stop)

    app = FastAPI(
        title="gulfsec hub",
        version=__version__,
        summary="A verifiable log of signed entries for a collective security arrangement",
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        telemetry=NO_OPENTELEMETRY,
        responses=ERROR_RESPONSES,
    )
    install_docs(app, API_PREFIX)
    app.state.hub = hub
    app.state.compliance = compliance or ComplianceByViewer(hub)
    app.state.decisions = decisions or DecisionsByViewer(hub)
    app.state.consultations = consultations or ConsultationsByViewer(hub, app.state.decisions)
    app.state.risk = risk or RiskByViewer(hub)
    app.state.pulse = pulse
    app.state.hotline = hotline
    # Metrics in a registry of this app's own (never the library's global one). /metrics is
    # open to anyone, as /healthz is: it holds nothing a party would keep to itself — the
    # log's size and final size (in every checkpoint), which witnesses cosign (in
    # /v1/cosignatures), submissions counted by outcome and error code, requests by route
    # template; never a party of a bilateral entry, an entry id, a form or any content. Each
    # front end process counts its own (`gulfsec_hub_sequencing` says which one sequences).
    registry = new_registry()
    registry.register(hub_readings(hub))
    app.state.instruments = instruments = HubInstruments(registry)
    watch(hub.state, instruments)
    install_error_handlers(app)
    app.add_middleware(ServerTiming)
    app.add_middleware(SignedAnswers, key=hub.log_key, origin=hub.regime.log_origin,
                       now=lambda: int(hub.clock.now().timestamp()))
    app.add_middleware(TimedRequests, instruments=HttpInstruments(registry))
    app.add_middleware(RequestIds)
    app.include_router(router)
    app.include_router(decisions_router)
    app.include_router(consultations_router)
    app.include_router(blobs_router)
    app.include_router(risk_router)
    app.include_router(tiles_router)
    app.include_router(hotline_router)
    app.include_router(news_router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, Any]:
        """Liveness: the process answers (from memory; no database)."""
        return {"ok": True, "size": hub.state.size, "sequencing": hub.leading,
                "final_size": hub.state.finality.final_size}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        """Readiness (:mod:`gulfsec.services.hub.health`): 200 when the database answers,
        the log is loaded and the process can take entries; 503 otherwise."""
        health = hub_health(hub)
        return JSONResponse({"ready": health.ready, "checks": health.checks,
                             "sequencing": health.sequencing, "size": health.size,
                             "final_size": health.final_size},
                            status_code=200 if health.ready else 503)

    @app.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        body, content_type = exposition(registry, request.headers.get("accept", ""))
        return Response(body, media_type=content_type)

    return app
