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
    (e.EntryError, 422),
    (e.AuthError, 401),
    (e.AccessDenied, 403),
    (e.NotFound, 404),
    (e.LogVerificationError, 422),
    (e.StorageError, 503),
    (e.ConfigError, 500),
    (e.GulfsecError, 400),
]


def status_for(exc: e.GulfsecError) -> int:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def install_error_handlers(app: FastAPI) -> None:
    async def gulfsec_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, e.GulfsecError)
        status = status_for(exc)
        if status >= 500:
            log.error("%s: %s", exc.__class__.__name__, exc.message)
        return JSONResponse(exc.to_dict(), status_code=status)

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

    async def http_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return JSONResponse(
            {"error": "http", "message": str(exc.detail)}, status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    app.add_exception_handler(e.GulfsecError, gulfsec_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
