"""FastAPI dependencies, as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.telemetry import TelemetryConfig
from starlette.concurrency import run_in_threadpool

from gulfsec.api.signing import PARTY_STATE
from gulfsec.domain.request_auth import RequestCredentials
from gulfsec.errors import AccessDenied
from gulfsec.services.hub import Hub
from gulfsec.services.hub.hub import Reader


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


async def current_reader(request: Request, hub: HubDep) -> Reader:
    """Who a signed request speaks for (401 if unsigned or not verifiable); with a key the
    party no longer holds, a limited reader."""
    creds = RequestCredentials.from_headers(
        {k.lower(): v for k, v in request.headers.items()}
    )
    body = await request.body()
    reader = await run_in_threadpool(
        hub.authenticate, creds, request.method, request_target(request), body
    )
    setattr(request.state, PARTY_STATE, reader.party)  # the answer is signed as given to it
    return reader


CurrentReader = Annotated[Reader, Depends(current_reader)]


async def current_party(reader: CurrentReader) -> str:
    """The party a signed request speaks for, with a key it still holds (403 otherwise)."""
    if reader.limited:
        raise AccessDenied(f"{reader.party}'s key is no longer active: with it, it reads only "
                           "its own entries and the key entries")
    return reader.party


CurrentParty = Annotated[str, Depends(current_party)]


NO_OPENTELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}
"""gulfsec sets up no OpenTelemetry: FastAPI need not ask, on every request, whether some
provider was configured (about 10 µs a request)."""
