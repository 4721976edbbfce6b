"""The logs: each request's id, and, as an option, JSON lines.

- :class:`RequestIds` (ASGI middleware) gives every HTTP request an id: the client's (or the
  proxy's) ``X-Request-Id`` when it is a plausible one — 1 to 128 letters, digits and
  ``._:-`` — else a new random one; it answers with the id in ``X-Request-Id``, keeps it in a
  context variable while the request is handled (which threads started for the request
  inherit), and logs one line per request (logger ``gulfsec.access``, INFO: method, path without
  its query, route, status, milliseconds).
- :class:`RequestIdFilter` puts that id on every log record emitted meanwhile
  (``record.request_id``, None outside a request), for a handler to show.
- :class:`JsonFormatter` writes a record as one JSON object on one line.
- :func:`uvicorn_log_config`: what ``gulfsec hub serve`` and ``gulfsec node serve`` tell uvicorn
  to configure logging with. ``GULFSEC_LOG_FORMAT=text`` (the default) is uvicorn's own
  configuration, as before; ``json`` sends every logger's records, uvicorn's included, to
  standard error as JSON lines with their request id, at ``GULFSEC_LOG_LEVEL``.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import time
import traceback
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from gulfsec.config import Settings

REQUEST_ID_HEADER: Final = "x-request-id"
MAX_REQUEST_ID: Final = 128
_VALID_ID = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._:-]{{0,{MAX_REQUEST_ID - 1}}}")
LEVELS: Final = {"critical": logging.CRITICAL, "error": logging.ERROR,
                 "warning": logging.WARNING, "info": logging.INFO, "debug": logging.DEBUG,
                 "trace": 5}
"""``GULFSEC_LOG_LEVEL``'s values as logging levels (``trace`` is uvicorn's, below DEBUG)."""

_request_id: ContextVar[str | None] = ContextVar("gulfsec_request_id", default=None)
access = logging.getLogger("gulfsec.access")


def current_request_id() -> str | None:
    """The id of the request being handled here, if any."""
    return _request_id.get()


def request_id_from(given: str | None) -> str:
    """``given`` if it is a plausible request id, else a new one (32 hex digits)."""
    if given is not None and _VALID_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


class RequestIds:
    """ASGI middleware: each HTTP request's id (see the module's notes)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((value.decode("latin-1") for name, value in scope.get("headers", ())
                      if name.lower() == REQUEST_ID_HEADER.encode()), None)
        request_id = request_id_from(given)
        header = (REQUEST_ID_HEADER.encode(), request_id.encode())
        status = 500  # what the client gets if the app fails before answering
        started = time.perf_counter()

        async def with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(k, v) for k, v in message.get("headers", ())
                           if k.lower() != REQUEST_ID_HEADER.encode()]
                message = {**message, "headers": [*headers, header]}
            await send(message)

        token = _request_id.set(request_id)
        try:
            await self.app(scope, receive, with_id)
        except Exception as exc:
            _log_access(scope, status, time.perf_counter() - started, exc)
            raise
        else:
            _log_access(scope, status, time.perf_counter() - started, None)
        finally:
            _request_id.reset(token)


def _log_access(scope: Scope, status: int, seconds: float, failure: Exception | None) -> None:
    level = logging.INFO if failure is None else logging.ERROR
    if not access.isEnabledFor(level):
        return
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    method, path = str(scope.get("method", "")), str(scope.get("path", ""))[:512]
    access.log(level, "%s %s %d %.1f ms%s", method, path, status, seconds * 1000,
               "" if failure is None else " (failed)", exc_info=failure,
               extra={"method": method, "path": path, "route": template, "status": status,
                      "duration_ms": round(seconds * 1000, 3)})


class RequestIdFilter(logging.Filter):
    """Puts the id of the request being handled on each record (``request_id``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


_STANDARD: Final = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "request_id", "color_message", "taskName"}
"""A record's own attributes; any other was given with ``extra=`` and is written too
(``color_message``: uvicorn's, the message with terminal colours)."""


class JsonFormatter(logging.Formatter):
    """A record as one JSON object: ``time`` (UTC, ISO 8601), ``level``, ``logger``,
    ``message``, ``request_id`` (null outside a request), ``process``, what was given with
    ``extra=``, and ``exception`` (the traceback) if any."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "process": record.process,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in out:
                out[key] = value
        if record.exc_info:
            out["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        if record.stack_info:
            out["stack"] = record.stack_info
        return json.dumps(out, ensure_ascii=False, default=str)


def uvicorn_log_config(settings: Settings) -> dict[str, Any]:
    """What uvicorn is to configure logging with for ``settings``' log format and level (see
    the module's notes)."""
    if settings.log_format == "text":
        from uvicorn.config import LOGGING_CONFIG

        return copy.deepcopy(LOGGING_CONFIG)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"json": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                              "formatter": "json", "filters": ["request_id"]}},
        "loggers": {name: {"handlers": [], "propagate": True}
                    for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
        "root": {"handlers": ["json"], "level": LEVELS[settings.log_level]},
    }
