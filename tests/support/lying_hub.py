"""A dishonest operator in front of the real hub: what one node is shown, rewritten at will.

:class:`LyingHub` serves one node on a port of its own and forwards every request to the real
hub process; a test adds *lies* that answer a request in its place. Whatever it serves it signs
with the log key, as an operator holding the key can: the lies are as well signed as the truth,
so what a node catches it catches on their content, and what it keeps as evidence is what a
dishonest hub really would have signed.

A lie is a function of the request (:class:`Asked`) and the real hub's answer to it (None if
the lie does not forward the request) returning the answer to serve (:class:`Served`), or None
to serve the real answer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gulfsec.domain.keys import SigningKey
from gulfsec.ledger.answers import ANONYMOUS, H_PARTY, answer_headers, sign_answer

from .ports import reserve_port


@dataclass(frozen=True)
class Asked:
    method: str
    path: str
    target: str
    """Path and query, as signed in the answer."""
    query: dict[str, str]
    body: bytes
    party: str
    """Who signed the request (``Gulfsec-Party``), or ``-``."""


@dataclass(frozen=True)
class Served:
    status: int
    body: bytes
    content_type: str = "application/json"


Lie = Callable[[Asked, httpx.Response | None], Served | None]


@dataclass
class _Rule:
    method: str
    path: str
    lie: Lie
    forward: bool


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test's main thread keeps its signals
        pass


class LyingHub:
    """The hub as one node sees it (see the module docstring). Use as a context manager."""

    def __init__(self, hub_url: str, log_key: SigningKey, *, port: int | None = None) -> None:
        self.hub_url = hub_url.rstrip("/")
        self.log_key = log_key
        self.port = reserve_port() if port is None else port
        self.url = f"http://127.0.0.1:{self.port}"
        self.rules: list[_Rule] = []
        self.seen: list[Asked] = []
        self._lock = threading.Lock()
        self._http = httpx.Client(base_url=self.hub_url, timeout=30.0)
        app = Starlette(routes=[Route("/{path:path}", self._handle,
                                      methods=["GET", "POST", "PUT", "DELETE"])])
        self._server = _Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                              log_level="warning", access_log=False))
        self._thread: threading.Thread | None = None

    # -- lies --------------------------------------------------------------------------------

    def lie(self, method: str, path: str, lie: Lie, *, forward: bool = True) -> None:
        """Answer ``method path`` (a path prefix) with ``lie``. With ``forward=False`` the lie
        is asked first, without the real answer, and the real hub never sees the request
        unless the lie returns None."""
        with self._lock:
            self.rules.append(_Rule(method.upper(), path, lie, forward))

    def truth(self) -> None:
        """Stop lying."""
        with self._lock:
            self.rules.clear()

    # -- serving -----------------------------------------------------------------------------

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        asked = Asked(request.method, request.url.path, target, dict(request.query_params),
                      body, request.headers.get("gulfsec-party", ANONYMOUS))
        with self._lock:
            self.seen.append(asked)
            rule = next((r for r in self.rules if r.method == asked.method
                         and asked.path.startswith(r.path)), None)
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(self._answer, request, asked, rule)

    def _answer(self, request: Request, asked: Asked, rule: _Rule | None) -> Response:
        real: httpx.Response | None = None
        served: Served | None = None
        if rule is not None and not rule.forward:
            served = rule.lie(asked, None)  # None: not this one after all; forward it
        if served is None:
            headers = {k: v for k, v in request.headers.items()
                       if k.lower() not in ("host", "content-length")}
            real = self._http.request(asked.method, asked.target, content=asked.body,
                                      headers=headers)
            if rule is not None and rule.forward:
                served = rule.lie(asked, real)
        if served is None:
            assert real is not None
            party = real.headers.get(H_PARTY, asked.party if asked.party else ANONYMOUS)
            served = Served(real.status_code, real.content,
                            real.headers.get("content-type", "application/json"))
        else:
            party = asked.party if real is None else real.headers.get(H_PARTY, ANONYMOUS)
        answer = sign_answer(self.log_key, self.log_key.name, asked.method, asked.target,
                             party, served.status, int(time.time()), served.body)
        return Response(served.body, status_code=served.status, media_type=served.content_type,
                        headers=answer_headers(answer))

    def __enter__(self) -> LyingHub:
        self._thread = threading.Thread(target=self._server.run, name="lying-hub", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the lying hub could not listen on {self.url}")
            time.sleep(0.02)
        return self

    def __exit__(self, *_exc: Any) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)
        self._http.close()
