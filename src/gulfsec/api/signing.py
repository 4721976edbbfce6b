"""Every answer of the hub's API signed by the log key (:mod:`gulfsec.ledger.answers`).

An ASGI middleware: it holds the answer until its body is complete, signs the request it
answers (method, target, the party the hub took the caller for), the status, the time and the
SHA-256 of the content, and adds the signature's headers. The pages are not signed; everything
under ``/v1/`` and ``/log/`` is.

The content signed is what the client reads: the body with its content coding undone (a gzipped
entry bundle is signed as the bundle, which is what httpx hands its caller and what a node keeps
as evidence), and nothing for ``HEAD``, whose answer carries no body (this middleware sends
none, whatever the route gave, and leaves ``Content-Length`` as ``GET`` would have it).
"""

from __future__ import annotations

import gzip
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


def content_of(body: bytes, headers: list[Any]) -> bytes:
    """The content a body carries: the body with its ``Content-Encoding`` undone. Only gzip is
    known; an answer in another coding cannot be signed for a client to check (ValueError)."""
    coding = ",".join(value.decode("latin-1").strip().lower() for name, value in headers
                      if name.lower() == b"content-encoding")
    if coding in ("", "identity") or not body:
        return body
    if coding == "gzip":
        return gzip.decompress(body)
    raise ValueError(f"cannot sign an answer in content coding {coding!r}")


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
            headers: list[Any] = list(start.get("headers", []))
            body = b"" if scope["method"] == "HEAD" else b"".join(chunks)
            state = scope.get("state") or {}
            party = str(state.get(PARTY_STATE) or ANONYMOUS)
            answer = sign_answer(self.key, self.origin, scope["method"], target_of(scope),
                                 party, int(start["status"]), self.now(),
                                 content_of(body, headers))
            headers.extend((name.lower().encode(), value.encode())
                           for name, value in answer_headers(answer).items())
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body, "more_body": False})

        await self.app(scope, receive, held)
