"""Every answer of the hub's API signed by the log key (:mod:`gulfsec.ledger.answers`).

An ASGI middleware: it holds the answer until its body is complete, signs the request it
answers (method, target, the party the hub took the caller for), the status, the time and the
body's SHA-256, and adds the signature's headers. The pages are not signed; everything under
``/v1/`` and ``/log/`` is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gulfsec.domain.keys import SigningKey
from gulfsec.ledger.answers import ANONYMOUS, answer_headers, sign_answer

SIGNED_PREFIXES = ("/v1/", "/log/")
PARTY_STATE = "gulfsec_party"
"""Where the authentication dependency leaves the party it verified (``request.state``)."""


def target_of(scope: Scope) -> str:
    """The path and query as the client sent them."""
    raw: bytes = scope.get("raw_path") or scope["path"].encode()
    query: bytes = scope.get("query_string") or b""
    return (raw + (b"?" + query if query else b"")).decode("latin-1")


class SignedAnswers:
    def __init__(self, app: ASGIApp, key: SigningKey, origin: str,
                 now: Callable[[], int]) -> None:
        self.app = app
        self.key = key
        self.origin = origin
        self.now = now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(SIGNED_PREFIXES):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def held(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            assert start is not None
            body = b"".join(chunks)
            state = scope.get("state") or {}
            party = str(state.get(PARTY_STATE) or ANONYMOUS)
            answer = sign_answer(self.key, self.origin, scope["method"], target_of(scope),
                                 party, int(start["status"]), self.now(), body)
            headers: list[Any] = list(start.get("headers", []))
            headers.extend((name.lower().encode(), value.encode())
                           for name, value in answer_headers(answer).items())
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body, "more_body": False})

        await self.app(scope, receive, held)
