"""One place that maps gulfsec errors to HTTP status codes."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from gulfsec import errors as e

log = logging.getLogger("gulfsec.api")

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


async def http_error(_request: Request, exc: Exception) -> JSONResponse:
    """An HTTP error (no such route, method not allowed) as the API answers it: JSON."""
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse(
        {"error": "http", "message": str(exc.detail)}, status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )
