"""One place that maps gulfsec errors to HTTP status codes."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from gulfsec import errors as e

log = logging.getLogger("gulfsec.api")


ERROR_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "what went wrong, as a code: not_found, "
                                                   "unauthenticated, invalid_request…"},
        "message": {"type": "string", "description": "what went wrong, in one line"},
    },
    "additionalProperties": True,
    "description": "An error as the API answers it; some carry more: `fields` (which field, "
                   "what is wrong), `entry_id`, `retry_after`…",
}


def _error(description: str) -> dict[str, Any]:
    # JSON whatever the route answers when it succeeds (text, CSV, a tile), as the handlers
    # below answer: so the content is spelled out rather than given as a ``model``, which
    # FastAPI would document under the route's own media type.
    return {"description": description,
            "content": {"application/json": {"schema": ERROR_BODY}}}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _error("the request is refused; `error` says why"),
    401: _error("not authenticated: the request is unsigned, or its signature, key, time or "
                "nonce does not check (on a node: no API token or session, or a wrong one)"),
    403: _error("authenticated, but not allowed (a key no longer active, a missing right)"),
    404: _error("no such thing, or none the caller may read"),
    409: _error("refused as out of order: a sequence number used or skipped, a draft or "
                "preview that changed"),
    413: _error("the body is over the regime's size limit"),
    422: _error("the request or its entry is invalid (`fields` says where), or the procedure "
                "does not allow the step"),
}
"""The errors any route may answer (:data:`STATUS` maps errors to them), declared once for
every route of an app (``FastAPI(responses=ERROR_RESPONSES)``); a route's own ``responses``
say more where they need to. A route may list one it never answers."""

STATUS: list[tuple[type[e.GulfsecError], int]] = [
    (e.EntryTooLarge, 413),
    (e.SequenceError, 409),
    (e.PreviewChanged, 409),
    (e.DraftSettled, 409),
    (e.EntryError, 422),
    (e.SignInThrottled, 429),
    (e.AuthError, 401),
    (e.AccessDenied, 403),
    (e.NotFound, 404),
    (e.LogVerificationError, 422),
    (e.StorageError, 503),
    (e.ConfigError, 500),
    (e.GulfsecError, 400),
]


SERVER_TROUBLE: dict[int, str] = {
    500: "the server is not set up right; its operator has the details in its log",
    503: "the server's storage is unavailable right now; try again shortly",
}


def status_for(exc: e.GulfsecError) -> int:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def public_error(exc: e.GulfsecError) -> dict[str, object]:
    """The error as a client is told it. What failed inside the server (a driver's message, a
    path, a setting) goes to the operator's log, not to the client."""
    status = status_for(exc)
    if status >= 500:
        log.error("%s: %s", exc.__class__.__name__, exc.message)
        return {"error": exc.code, "message": SERVER_TROUBLE.get(status, SERVER_TROUBLE[500])}
    return exc.to_dict()


def install_error_handlers(app: FastAPI) -> None:
    async def gulfsec_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, e.GulfsecError)
        return JSONResponse(public_error(exc), status_code=status_for(exc))

    async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        fields = [
            {"field": ".".join(str(p) for p in err.get("loc", ())), "problem": err.get("msg", "")}
            for err in exc.errors()
        ]
        listed = "; ".join(f"{f['field']}: {f['problem']}" for f in fields)
        return JSONResponse(
            {"error": "invalid_request", "message": f"invalid request: {listed}", "fields": fields},
            status_code=422,
        )

    app.add_exception_handler(e.GulfsecError, gulfsec_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    """An HTTP error (no such route, method not allowed) as the API answers it: JSON. A 405
    (``OPTIONS`` among them) says in ``Allow`` every method of the path."""
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request) or headers.get("Allow", "")
    return JSONResponse(
        {"error": "http", "message": str(exc.detail)}, status_code=exc.status_code,
        headers=headers or None,
    )


def allowed_methods(request: Request) -> str:
    """The methods of every route at the request's path, as an ``Allow`` header says them.
    Starlette names those of the first route that matches the path only, and a path often has
    two (``GET`` and ``POST /v1/entries`` are two routes)."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):  # routers' routes among them
        match, _scope = route.matches(request.scope)
        if match is not Match.NONE:
            methods.update(route.methods or ())
    return ", ".join(sorted(methods))
