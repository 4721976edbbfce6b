"""The node's state as server-sent events, so that its open pages update themselves.

``GET /events`` (``text/event-stream``) answers a signed-in delegate's page with an ``event:
state`` whenever the node's state changes (:class:`gulfsec.services.node.views.LogState`, read
about once a second): its data is JSON, ``{"latest", "alarms", "pending", "token"}`` — the
newest entry's index, the alarm count, how many entries wait in the outbox, and a short hash of
the whole state, which changes with anything that changes what a page shows (an entry, a
checkpoint, a cosignature, an alarm, one signed or refused). The first event tells the state
when the page connects; a comment line (``: keep-alive``) goes out when nothing else did for a
while. The stream ends when the page goes away, when the session it was opened with would run
out, and after at most half an hour: the browser connects again by itself (``retry``), its
cookie being checked again. A signed-out page gets 401, as the JSON endpoints do.

A page worker (:mod:`gulfsec.web.workers`) answers the stream itself: each read goes through
its follower as the inbox's ``updates.json`` does, but outside the state the worker pins for
the request (which would otherwise be read again and again for as long as the stream lasts).

``static/gulfsec.js`` subscribes on the inbox (which refreshes its rows) and on an entry's page
(which fetches ``?fragment=state`` and swaps in the parts that changed); without the script,
the pages say they must be reloaded.
"""

from __future__ import annotations

import contextvars
import dataclasses
import hashlib
import json
import time
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Final

import anyio
import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response, StreamingResponse

from gulfsec.services.node import Node, views
from gulfsec.services.shared.accounts import WebSession
from gulfsec.web.deps import MaybeSession, SiteDep
from gulfsec.web.node.pages import NodeSite
from gulfsec.web.site import Site

__all__ = ["PATH", "Pace", "install", "node_state", "router", "state_token"]

PATH: Final = "/events"
HEADERS: Final = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
"""Never kept, and passed on at once by a proxy in front (nginx buffers otherwise)."""

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Pace:
    """How a stream runs: the state read every ``poll_s`` seconds, a keep-alive comment after
    ``keep_alive_s`` seconds of silence, the stream ended after ``max_s`` seconds, and the
    browser told to connect again ``retry_ms`` milliseconds after it ends."""

    poll_s: float = 1.0
    keep_alive_s: float = 15.0
    max_s: float = 30 * 60.0
    retry_ms: int = 5000


_PACES: weakref.WeakKeyDictionary[Node, Pace] = weakref.WeakKeyDictionary()


def install(site: Site, pace: Pace) -> None:
    """Run the streams of ``site``'s node at ``pace`` (the tests' short one); without it,
    :class:`Pace`'s defaults."""
    _PACES[_node(site)] = pace


def _node(site: Site) -> Node:
    assert isinstance(site, NodeSite)
    return site.the_node()


def state_token(state: views.LogState) -> str:
    """A short hash of the whole of ``state``: equal tokens, equal states."""
    text = repr(dataclasses.astuple(state)).encode("utf-8")
    return hashlib.blake2b(text, digest_size=8).hexdigest()


def node_state(node: Node) -> dict[str, int | str]:
    """What a state event says of ``node`` now (blocking: call it from a thread). Read in a
    context of its own, so that no state pinned for the request is read instead."""
    state = contextvars.Context().run(views.read_state, node)
    return {"latest": state.latest_index, "alarms": state.alarms,
            "pending": len(views.context(node, state).pending), "token": state_token(state)}


async def state_events(request: Request, node: Node, pace: Pace,
                       lasting_s: float) -> AsyncIterator[str]:
    """The stream's text: the state whenever it changes, for at most ``lasting_s`` seconds
    (and :attr:`Pace.max_s`), until the client goes away."""
    started = time.monotonic()
    ends = started + max(0.0, min(pace.max_s, lasting_s))
    said = started
    sent: str | None = None
    prefix = f"retry: {pace.retry_ms}\n"
    while not await request.is_disconnected():
        state = await anyio.to_thread.run_sync(node_state, node)
        now = time.monotonic()
        if state["token"] != sent:
            yield f"{prefix}event: state\ndata: {json.dumps(state, sort_keys=True)}\n\n"
            sent, said, prefix = str(state["token"]), now, ""
        elif now - said >= pace.keep_alive_s:
            yield ": keep-alive\n\n"
            said = now
        if now >= ends:
            return
        await anyio.sleep(min(pace.poll_s, max(0.0, ends - now)))


@router.get(PATH)
async def events(request: Request, site: SiteDep, session: MaybeSession) -> Response:
    if session is None:
        return JSONResponse({"error": "unauthenticated", "message": "sign in first"},
                            status_code=401, headers={"Cache-Control": "no-store"})
    node = _node(site)
    pace = _PACES.get(node, Pace())
    return StreamingResponse(state_events(request, node, pace, _left(site, session)),
                             media_type="text/event-stream", headers=dict(HEADERS))


def _left(site: Site, session: WebSession) -> float:
    """Seconds until ``session`` runs out unless used meanwhile: the stream does not outlive
    it (the browser's next connection finds whether it was)."""
    return (session.expires_at - site.clock.now()).total_seconds()
