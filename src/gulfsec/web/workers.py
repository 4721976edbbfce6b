"""A node's pages served by worker processes, apart from the process that syncs.

``gulfsec node serve --workers N`` runs the node in one process as before — its sync loop, its
hotline tests and everything that signs, numbers and sends the party's entries — serving the
node's whole app on a private Unix socket, and N page workers on the public address
(:func:`serve_with_workers`). Each worker (:class:`PageWorker`) opens the node's database, keeps
its in-memory copy of the node up to date with what the node's process stores
(:class:`gulfsec.services.node.loop.Follower`) and answers itself the requests that only read a
page (GET and HEAD outside the API, :func:`answered_here`); everything else (a form posted,
signing in or out, the API, which also tells how the sync goes) it hands to the node's process
as it came, with the client's address, and hands back the answer. So the pages never share a
GIL with the sync loop, and one process still does every write that must happen once.

The node's process trusts the ``X-Forwarded-For`` and ``X-Forwarded-Proto`` that the workers
set: its socket lies in a directory only the node's user can enter.

The node's process alone answers ``/metrics``: each worker tells it how long each page it
answered took (method, route template, status, seconds), in batches over a pipe of its own
(:class:`Timings`), and the node's process counts them with its own requests.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import os
import signal
import socket
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from typing import Any, Final, Generic, TypeVar

import anyio.to_thread
import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gulfsec import i18n as words
from gulfsec.adapters.metrics import answer_timed
from gulfsec.errors import ConfigError
from gulfsec.i18n import _
from gulfsec.web import i18n

log = logging.getLogger("gulfsec.node")

S = TypeVar("S")

HOP_BY_HOP: Final = frozenset({b"connection", b"keep-alive", b"proxy-authenticate",
                               b"proxy-authorization", b"te", b"trailer", b"trailers",
                               b"transfer-encoding", b"upgrade"})
"""Headers that concern one connection, not the request: never passed on."""
FORWARDED: Final = frozenset({b"x-forwarded-for", b"x-forwarded-proto", b"forwarded"})
"""Headers the worker sets itself from what it knows of the client (never the client's)."""
SERVED: Final = frozenset({b"date", b"server"})
"""Headers the worker's own server sets on every answer (not passed on twice)."""
FORWARD_TIMEOUT_S: Final = 300.0
"""How long a request handed to the node's process may take (sending waits on the hub)."""
NODE_START_S: Final = 60.0
"""How long a request waits for the node's process to start serving (the workers start beside
it) before the worker answers that the node is not answering."""
THREADS: Final = 4
"""Pages a worker works on at once: beyond the database's pooled connections (5), each would
open and close its own; beyond a few, they only wait for the GIL in turn."""
STARTUP_FAILURE: Final = 3
"""The exit status that tells uvicorn's supervisor a worker cannot start (not to restart it)."""


REPORT_S: Final = 0.5
"""How often a worker hands the timings of the pages it answered to the node's process."""
REPORT_MAX: Final = 10_000
"""Timings a worker keeps for the node's process at most, when that process does not read
them (the oldest are let go of: pages never wait on the report)."""

Observe = Callable[[str, str, int, float], None]
"""Takes one request's timing: method, route template, status, seconds."""


class Timings:
    """A worker's timings of the pages it answered, handed to the node's process in batches
    (every :data:`REPORT_S`) by a thread of their own, so that no page waits on the pipe."""

    def __init__(self, pipe: Connection, every_s: float = REPORT_S,
                 most: int = REPORT_MAX) -> None:
        self.pipe = pipe
        self.every_s = every_s
        self._held: deque[tuple[str, str, int, float]] = deque(maxlen=most)
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._hand_on, name="gulfsec-page-timings",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self._held.append((method, route, status, seconds))

    def flush(self) -> bool:
        """Hand on what is held; False once the node's process no longer reads."""
        with self._lock:
            batch = list(self._held)
            self._held.clear()
        if not batch:
            return True
        try:
            self.pipe.send(batch)
        except (OSError, ValueError):
            return False
        return True

    def _hand_on(self) -> None:
        while True:
            time.sleep(self.every_s)
            if not self.flush():
                return


_timings: Timings | None = None
"""In a worker's process: where its pages' timings go (:func:`serve_pages` sets it)."""


def take_timings(pipe: Connection, observe: Observe) -> bool:
    """In the node's process: count the batch of timings a worker sent on ``pipe`` with
    ``observe``; False when the worker has gone (its end closed). Anything but a batch of
    timings is ignored."""
    try:
        batch = pipe.recv()
    except (EOFError, OSError):
        return False
    except Exception:  # noqa: BLE001 -- what could not be unpickled: nothing to count
        log.warning("a page worker sent timings that could not be read")
        return True
    if isinstance(batch, list):
        for item in batch:
            if (isinstance(item, tuple) and len(item) == 4 and isinstance(item[0], str)
                    and isinstance(item[1], str) and type(item[2]) is int
                    and isinstance(item[3], float)):
                observe(item[0], item[1], item[2], item[3])
    return True


NODE_PROCESS_PATHS: Final = frozenset({"/readyz", "/metrics"})
"""Reads only the node's process answers: how its sync goes, which only it knows (a worker's
own ``/healthz`` says the worker answers)."""


def answered_here(scope: Scope) -> bool:
    """Whether a page worker answers ``scope`` itself: a page read (GET or HEAD) outside the
    API under ``/v1``, and not one of :data:`NODE_PROCESS_PATHS`."""
    path = str(scope.get("path", ""))
    return scope.get("method") in ("GET", "HEAD") and not (
        path == "/v1" or path.startswith("/v1/") or path in NODE_PROCESS_PATHS)


class PageWorker(Generic[S]):
    """ASGI: a page worker's app (see the module's notes).

    ``follow`` brings the worker's copy of the node up to date before each page it answers,
    and ``pin`` keeps the state it returns for the rest of that request;
    ``warm`` computes what the first pages need (the inbox, the scorecard) before the worker
    takes its first request; ``close`` releases the node when the worker stops. A request for
    the node's process waits up to ``node_start_s`` for it to start serving. At most ``threads``
    pages are worked on at once (the others wait their turn).
    """

    def __init__(self, app: ASGIApp, node_socket: str, *, follow: Callable[[], S],
                 pin: Callable[[S], None] = lambda _state: None,
                 warm: Callable[[], None] = lambda: None,
                 close: Callable[[], None] = lambda: None,
                 node_start_s: float = NODE_START_S, threads: int = THREADS) -> None:
        self.app = app
        self.node_socket = node_socket
        self.node_start_s = node_start_s
        self.threads = threads
        self.follow = follow
        self.pin = pin
        self.warm = warm
        self.close = close
        self._client: httpx.AsyncClient | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
        elif scope["type"] != "http":
            await self.app(scope, receive, send)
        elif answered_here(scope):
            await self._answer(scope, receive, send)
        else:
            await self.forward(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A page read, answered here, its timing handed to the node's process."""

        async def followed(scope: Scope, receive: Receive, send: Send) -> None:
            if not str(scope.get("path", "")).startswith("/static/"):
                self.pin(await anyio.to_thread.run_sync(self.follow))
            await self.app(scope, receive, send)

        if _timings is None:
            await followed(scope, receive, send)
        else:
            await answer_timed(followed, scope, receive, send, _timings.observe)

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def warmed_receive() -> Message:
            message = await receive()
            if message["type"] == "lifespan.startup":
                # As many pages at once as the database's pooled connections serve.
                anyio.to_thread.current_default_thread_limiter().total_tokens = self.threads
                await anyio.to_thread.run_sync(self.warm)
                # What is held now (the app, the node's copy, what the pages computed) lives
                # as long as the worker: the collector need not look at it again and again.
                gc.freeze()
            return message

        try:
            await self.app(scope, warmed_receive, send)
        finally:
            if self._client is not None:
                await self._client.aclose()
                self._client = None
            await anyio.to_thread.run_sync(self.close)

    def _node(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=httpx.AsyncHTTPTransport(uds=self.node_socket),
                timeout=FORWARD_TIMEOUT_S, follow_redirects=False)
        return self._client

    async def forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Hand the request to the node's process and its answer back, as they are."""
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        target = scope.get("raw_path") or scope["path"].encode("utf-8")
        query = scope.get("query_string", b"")
        url = "http://node" + target.decode("latin-1") + ("?" + query.decode("latin-1")
                                                          if query else "")
        headers = [(name, value) for name, value in scope["headers"]
                   if name.lower() not in HOP_BY_HOP | FORWARDED]
        client = scope.get("client")
        if client:
            headers.append((b"x-forwarded-for", str(client[0]).encode("latin-1")))
        headers.append((b"x-forwarded-proto", str(scope.get("scheme", "http")).encode()))
        node = self._node()
        request = node.build_request(scope["method"], url, headers=headers, content=bytes(body))
        deadline = time.monotonic() + self.node_start_s
        while True:
            try:
                response = await node.send(request, stream=True)
                break
            except httpx.ConnectError as exc:  # not sent: the node's process is starting
                if time.monotonic() < deadline:
                    await asyncio.sleep(0.1)
                    continue
                failure: Exception = exc
            except httpx.HTTPError as exc:
                failure = exc
            log.warning("the node's process did not answer a request handed to it: %s",
                        failure)
            with words.use(_language(scope)):
                text = _("The node is not answering. Try again in a moment.")
            await _plain(send, 503, f"{text}\n".encode())
            return
        try:
            await send({"type": "http.response.start", "status": response.status_code,
                        "headers": [(k, v) for k, v in response.headers.raw
                                    if k.lower() not in HOP_BY_HOP | SERVED]})
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await response.aclose()


def _language(scope: Scope) -> str:
    """The language of a request the worker answers itself (it runs outside the node's app and
    its language middleware): the reader's choice (the cookie), else their browser's."""
    cookie: str | None = None
    accept: str | None = None
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _sep, found = part.strip().partition("=")
                if key == i18n.LANGUAGE_COOKIE:
                    cookie = found
        elif name == b"accept-language":
            accept = value.decode("latin-1")
    if cookie in words.LANGUAGES:
        return cookie
    return i18n.from_accept_language(accept, list(words.LANGUAGES)) or words.SOURCE


async def _plain(send: Send, status: int, text: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(text)).encode())]})
    await send({"type": "http.response.body", "body": text})


def worker_count(cores: int) -> int:
    """Page workers by default: one per core but the one the node's process keeps busy, at
    least one, at most 8 (beyond that, the database is what the pages wait for)."""
    return max(1, min(cores - 1, 8))


PRELOAD: Final = ("__main__", "gulfsec.bootstrap", "gulfsec.web.workers", "uvicorn", "httpx")
"""What the fork server that starts replacement workers imports once, for each to start at
once."""


def serve_with_workers(node_app: ASGIApp, worker_app: Callable[[str], Callable[[], Any]], *,
                       host: str, port: int, workers: int, log_level: str,
                       before_fork: Callable[[], None] = lambda: None,
                       log_config: dict[str, Any] | None = None,
                       observe: Observe | None = None) -> None:
    """Serve ``node_app`` (the node's whole app, with its sync loop) from this process on a
    private Unix socket, and ``workers`` page workers on ``host:port``, each built in its own
    process by ``worker_app(socket)`` (picklable: a factory the worker calls), until
    interrupted (SIGINT, SIGTERM).

    The first workers are forked from this process before it starts a thread (after
    ``before_fork``, which closes what must not be shared: the database's pooled
    connections), so that they start at once, with everything imported; a worker that exits
    later is replaced by one forked from a fork server, this process having threads by then.
    A worker that cannot start stops everything. Each worker ends when this process ends,
    however it ends, so that none holds the address after it. ``observe`` takes the timing of
    each page a worker answered (this process's ``/metrics`` counts them).
    """
    import uvicorn

    with tempfile.TemporaryDirectory(prefix="gulfsec-node-") as directory:  # 0700
        socket_path = os.path.join(directory, "node.sock")
        listening = uvicorn.Config(node_app, host=host, port=port,
                                   **_logging(log_config)).bind_socket()
        alive_r, alive_w = multiprocessing.Pipe(duplex=False)
        pages = _Workers(worker_app(socket_path), listening, (alive_r, alive_w), workers,
                         log_level, log_config, observe)
        node_config = uvicorn.Config(node_app, uds=socket_path, log_level=log_level,
                                     access_log=False, proxy_headers=True,
                                     forwarded_allow_ips="*",
                                     **_logging(log_config))
        stop = _Stop()
        try:
            node_config.load()  # what serving imports, once for every worker forked
            before_fork()
            pages.start()
            # uvicorn stops on SIGTERM, then raises it again with the handler it found: this
            # one, set after the fork (not the workers'), so that what was set up comes down
            # (a SIGTERM more, meanwhile, changes nothing).
            previous = signal.signal(signal.SIGTERM, stop.on_signal)
            try:
                uvicorn.Server(node_config).run()
            except _Terminated:
                pass
        finally:
            pages.stop()
            alive_w.close()
            listening.close()
    if stop.terminated:
        signal.signal(signal.SIGTERM, previous)
    if pages.failed:
        raise ConfigError("the page workers could not start; see the log")
    if stop.terminated:
        os.kill(os.getpid(), signal.SIGTERM)  # and end as SIGTERM would have


class _Terminated(Exception):
    """SIGTERM arrived (and the node's server stopped)."""


class _Stop:
    def __init__(self) -> None:
        self.terminated = False

    def on_signal(self, _signal: int, _frame: Any) -> None:
        if not self.terminated:
            self.terminated = True
            raise _Terminated


class _Workers:
    """The page workers' processes: started, replaced when one exits, stopped."""

    def __init__(self, build: Callable[[], Any], listening: socket.socket,
                 node_alive: tuple[Connection, Connection], count: int,
                 log_level: str, log_config: dict[str, Any] | None = None,
                 observe: Observe | None = None) -> None:
        self.args = (build, listening, node_alive, log_level, log_config)
        self.count = count
        self.observe = observe
        self.processes: list[Any] = []
        self.timings: list[Connection] = []
        """The reading ends of the workers' pipes of timings."""
        self.failed = False
        self._stop = threading.Event()
        self._watch = threading.Thread(target=self._supervise, name="gulfsec-page-workers",
                                       daemon=True)

    def start(self) -> None:
        alone = threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if alone else "forkserver")
        self.processes = [self._start_one(context) for _n in range(self.count)]
        self._watch.start()

    def _start_one(self, context: Any) -> Any:
        timings: Connection | None = None
        if self.observe is not None:
            reading, timings = multiprocessing.Pipe(duplex=False)
        process = context.Process(target=serve_pages, args=(*self.args, timings),
                                  name="gulfsec-pages")
        process.start()
        if timings is not None:
            timings.close()  # the worker's now: a pipe it leaves reads end of file
            self.timings.append(reading)
        return process

    def _wait(self, seconds: float) -> bool:
        """Count the timings the workers send for ``seconds``; whether to stop."""
        if self.observe is None or not self.timings:
            return self._stop.wait(seconds)
        for pipe in wait(self.timings, timeout=seconds):
            assert isinstance(pipe, Connection)
            if not take_timings(pipe, self.observe):
                pipe.close()
                self.timings.remove(pipe)
        return self._stop.is_set()

    def _supervise(self) -> None:
        replacements = multiprocessing.get_context("forkserver")
        replacements.set_forkserver_preload(list(PRELOAD))
        while not self._wait(0.5):
            for i, process in enumerate(self.processes):
                if process.is_alive() or self._stop.is_set():
                    continue
                if process.exitcode == STARTUP_FAILURE:
                    self.failed = True
                    os.kill(os.getpid(), signal.SIGTERM)  # the node's server stops, then all
                    return
                log.warning("page worker %s exited (%s); starting another", process.pid,
                            process.exitcode)
                self.processes[i] = self._start_one(replacements)

    def stop(self) -> None:
        self._stop.set()
        if self._watch.is_alive():
            self._watch.join()
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        for process in self.processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()


def serve_pages(build: Callable[[], Any], listening: socket.socket,
                node_alive: tuple[Connection, Connection], log_level: str,
                log_config: dict[str, Any] | None = None,
                timings: Connection | None = None) -> None:
    """A page worker's process: ``build()``'s app on the shared ``listening`` socket, until
    told to stop (SIGTERM) or until the node's process ends (the pipe ``node_alive``, whose
    writing end only that process keeps open, then reads end of file); the timings of the
    pages it answers go to the node's process on ``timings``."""
    import uvicorn

    global _timings
    reading, writing = node_alive
    writing.close()
    if timings is not None:
        _timings = Timings(timings)
        _timings.start()
    threading.Thread(target=_stop_with_node, args=(reading,), name="gulfsec-node-watch",
                     daemon=True).start()
    config = uvicorn.Config(build, factory=True, log_level=log_level, access_log=False,
                            timeout_graceful_shutdown=10, **_logging(log_config))
    uvicorn.Server(config).run(sockets=[listening])


def _logging(log_config: dict[str, Any] | None) -> dict[str, Any]:
    """uvicorn's ``log_config`` argument: the one given (:func:`gulfsec.logs.uvicorn_log_config`),
    else uvicorn's own default."""
    return {} if log_config is None else {"log_config": log_config}


def _stop_with_node(node_alive: Connection) -> None:
    """End this worker at once when the node's process ends, however it ends (it never
    writes to ``node_alive``): without it the pages cannot write, and the address must be free
    for the node to start again."""
    try:
        node_alive.recv()
    except (EOFError, OSError):
        pass
    os._exit(0)


def exit_on_failure(build: Callable[[], ASGIApp]) -> ASGIApp:
    """``build()``, in a worker's process: an error is logged and ends the worker with the
    status that stops uvicorn's supervisor from starting it again and again."""
    try:
        return build()
    except Exception as exc:
        log.error("a page worker could not start: %s", exc)
        sys.exit(STARTUP_FAILURE)
