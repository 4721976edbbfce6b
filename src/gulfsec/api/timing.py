"""``Server-Timing: app;dur=<ms>`` on every response: how long the server worked on it.

Operators see it in the browser's network panel; the page benchmark reads it to tell server
time from time spent on the wire and in the client.
"""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ServerTiming:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed = (time.perf_counter() - started) * 1000
                headers: list[Any] = list(message.get("headers", []))
                headers.append((b"server-timing", f"app;dur={elapsed:.2f}".encode()))
                message = _with_headers(message, headers)
            await send(message)

        await self.app(scope, receive, timed_send)


def _with_headers(message: Message, headers: list[Any]) -> MutableMapping[str, Any]:
    out = dict(message)
    out["headers"] = headers
    return out
