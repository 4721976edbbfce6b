"""FastAPI dependencies, as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from gulfsec.api.signing import PARTY_STATE
from gulfsec.domain.request_auth import RequestCredentials
from gulfsec.services.hub import Hub


def get_hub(request: Request) -> Hub:
    hub = request.app.state.hub
    assert isinstance(hub, Hub)
    return hub


HubDep = Annotated[Hub, Depends(get_hub)]

MAX_INT = 2**63 - 1
"""The largest integer a parameter may hold: what the databases' BIGINT columns hold. Every
integer parameter is bounded by it, so an odd number is a 422, never a database error."""


def request_target(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


async def current_party(request: Request, hub: HubDep) -> str:
    """The party a signed request speaks for (401 if unsigned or not verifiable)."""
    creds = RequestCredentials.from_headers(
        {k.lower(): v for k, v in request.headers.items()}
    )
    body = await request.body()
    party = await run_in_threadpool(
        hub.authenticate, creds, request.method, request_target(request), body
    )
    setattr(request.state, PARTY_STATE, party)  # the answer is signed as given to this party
    return party


CurrentParty = Annotated[str, Depends(current_party)]
