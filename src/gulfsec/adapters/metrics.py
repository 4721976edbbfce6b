"""Prometheus metrics (``/metrics``), with the official client library ``prometheus_client``.

Each app keeps a :class:`~prometheus_client.CollectorRegistry` of its own (:func:`new_registry`),
never the library's global default: one process may serve a hub and nodes (the demo, the
tests), and each app must count only its own. Three kinds of metrics:

- counters and histograms that the code updates as it works: the hub's (:class:`HubInstruments`,
  told by the sequencer and the witnesses, and by the API of each submission's outcome) and the
  HTTP requests' (:class:`TimedRequests`);
- gauges read at scrape time from the live service (:class:`Readings`), so that a scrape sees
  the state as it is and nothing has to be kept up to date;
- the process's own (CPU, memory, open files: the client library's ``ProcessCollector``).

Requests are labelled by their route's *template* (``/v1/entries/{entry_id}``), never by the
raw path, and a request that matched no route by ``unmatched``, so the series stay few.

Nothing here knows the hub or a node: the app factories (:mod:`gulfsec.api.hub`,
:mod:`gulfsec.api.node`) say what to read. What each app exposes, and why it may be read by
whom, is said there.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Generic, TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import Metric
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gulfsec import __version__

log = logging.getLogger("gulfsec.metrics")

S = TypeVar("S")

METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED: Final = "unmatched"
"""The route label of a request that matched no route (its raw path is never a label)."""

LATENCY_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                          5.0, 10.0, 30.0)
BATCH_BUCKETS: Final = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


def new_registry() -> CollectorRegistry:
    """A registry for one app, with the process's metrics and ``gulfsec_build_info``."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    registry.register(Readings(lambda: None, [
        (Gauge("gulfsec_build_info", "The gulfsec version serving (always 1).", ("version",)),
         lambda _: {(__version__,): 1.0})]))
    return registry


def exposition(registry: CollectorRegistry, accept: str) -> tuple[bytes, str]:
    """The registry's metrics in the format the scraper asks for (``Accept``): the Prometheus
    text format, or OpenMetrics; with its content type."""
    encoder, content_type = choose_encoder(accept)
    return encoder(registry), content_type


# -- gauges read at scrape time ------------------------------------------------------------------

Value = float | int | bool | None
Values = Value | Mapping[tuple[str, ...], Value]
"""A gauge's reading: one value, or one per tuple of label values; None: no sample."""


@dataclass(frozen=True)
class Gauge:
    name: str
    help: str
    labels: tuple[str, ...] = ()


class Readings(Generic[S]):
    """A collector of gauges, read at each scrape from one snapshot of the service (``take``):
    each gauge is a function of the snapshot."""

    def __init__(self, take: Callable[[], S],
                 gauges: Sequence[tuple[Gauge, Callable[[S], Values]]]) -> None:
        self._take = take
        self._gauges = list(gauges)

    def describe(self) -> Iterable[Metric]:
        return [GaugeMetricFamily(g.name, g.help, labels=g.labels) for g, _ in self._gauges]

    def collect(self) -> Iterator[Metric]:
        snapshot = self._take()
        for gauge, read in self._gauges:
            family = GaugeMetricFamily(gauge.name, gauge.help, labels=gauge.labels)
            values = read(snapshot)
            if isinstance(values, Mapping):
                for labels, value in sorted(values.items()):
                    if value is not None:
                        family.add_metric(list(labels), float(value))
            elif values is not None:
                family.add_metric([], float(values))
            yield family


# -- counters and histograms -----------------------------------------------------------------------


class HubInstruments:
    """What the hub counts as it works. A watcher of the hub's state
    (:func:`gulfsec.services.hub.health.watch`) for the sequencer's batches and the witnesses'
    cosignatures; the API tells it each submission's outcome."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.submissions = Counter(
            "gulfsec_hub_submissions", "Entries submitted to this process, by outcome "
            "(accepted, duplicate, refused) and, refused, by error code; a request refused "
            "whole counts once.", ("outcome", "error"), registry=registry)
        self.batches = Histogram(
            "gulfsec_hub_batch_entries", "Entries per batch the sequencer settled in one "
            "transaction.", buckets=BATCH_BUCKETS, registry=registry)
        self.sequencing = Histogram(
            "gulfsec_hub_sequencing_seconds", "Seconds from an entry's arrival at the "
            "sequencer to the commit that logged it.", buckets=LATENCY_BUCKETS,
            registry=registry)
        self.cosignatures = Counter(
            "gulfsec_hub_cosignatures", "Witness cosignatures received and stored by this "
            "process, by witness.", ("witness",), registry=registry)

    def accepted(self, *, duplicate: bool = False) -> None:
        self.submissions.labels("duplicate" if duplicate else "accepted", "").inc()

    def refused(self, code: str) -> None:
        self.submissions.labels("refused", code).inc()

    def batch_sequenced(self, entries: int, waits: Iterable[float]) -> None:
        self.batches.observe(entries)
        for wait in waits:
            self.sequencing.observe(wait)

    def cosignature_received(self, witness: str) -> None:
        self.cosignatures.labels(witness).inc()


class HttpInstruments:
    """Each HTTP request's latency and answer, by method and route template."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.latency = Histogram(
            "gulfsec_http_request_duration_seconds", "Seconds to answer a request (API or "
            "page), by method and route template.", ("method", "route"),
            buckets=LATENCY_BUCKETS, registry=registry)
        self.answers = Counter(
            "gulfsec_http_responses", "Requests answered, by method, route template and status "
            "class (2xx, 4xx...).", ("method", "route", "status"), registry=registry)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        method = method if method in METHODS else "other"
        self.latency.labels(method, route).observe(seconds)
        self.answers.labels(method, route, f"{status // 100}xx").inc()


def route_template(scope: Scope) -> str:
    """The template of the route that answered ``scope`` (Starlette leaves the route it
    matched in the scope), or :data:`UNMATCHED`."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) and template else UNMATCHED


class TimedRequests:
    """ASGI middleware: each HTTP request into :class:`HttpInstruments`."""

    def __init__(self, app: ASGIApp, instruments: HttpInstruments) -> None:
        self.app = app
        self.instruments = instruments

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await answer_timed(self.app, scope, receive, send, self.instruments.observe)


async def answer_timed(app: ASGIApp, scope: Scope, receive: Receive, send: Send,
                       observe: Callable[[str, str, int, float], None]) -> None:
    """Let ``app`` answer the HTTP request ``scope``, then tell ``observe`` its method, route
    template, status and the seconds it took (500: the app failed before answering)."""
    started = time.perf_counter()
    status = 500

    async def observed(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
        await send(message)

    try:
        await app(scope, receive, observed)
    finally:
        method = str(scope.get("method", ""))
        observe(method if method in METHODS else "other", route_template(scope), status,
                time.perf_counter() - started)
