"""A node's routes for files carried with entries (:mod:`gulfsec.services.node.attachments`).

``POST /v1/attachments`` takes a file — a multipart upload (field ``file``, and optionally
``name`` and ``media_type``), or the raw body with ``?name=&media_type=`` — checks it, keeps it,
uploads it to the hub in the party's name (so, as for signing, the node's API token or an
officer's session with its CSRF token), and answers the attachment object to put in an entry's
``attachments``. ``GET /v1/attachments/{sha256}`` gives a file the node keeps or holds an
entry naming, to the party's delegates, as a download that no browser renders in place.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.types import Message

from gulfsec.api.blobs import read_file
from gulfsec.api.node_auth import OfficerDep, ReaderDep, get_node
from gulfsec.domain.forms._types import MAX_ATTACHMENT_BYTES
from gulfsec.errors import AttachmentError

MULTIPART_ALLOWANCE = 64 * 1024
"""What a multipart upload may add to the file itself (boundaries, headers, the other fields)."""

Sha256 = Annotated[str, Path(min_length=64, max_length=64, pattern=r"^[0-9a-f]{64}$",
                             description="the file's SHA-256, 64 lowercase hex digits")]

router = APIRouter(prefix="/v1", tags=["files"])


def _media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def _replay(body: bytes) -> Callable[[], Awaitable[Message]]:
    """An ASGI ``receive`` that gives ``body`` (read already) once."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _multipart(request: Request) -> tuple[bytes, str, str]:
    """(file, name, media type) of a multipart upload, read capped before it is parsed."""
    body = await read_file(request, MAX_ATTACHMENT_BYTES + MULTIPART_ALLOWANCE)
    async with Request(request.scope, _replay(body)).form(max_files=1, max_fields=4) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise AttachmentError("the multipart upload has no file in its field `file`")
        data = await upload.read()
        name = form.get("name") or upload.filename or ""
        media_type = form.get("media_type") or upload.content_type
    return data, str(name), _media_type(str(media_type or ""))


@router.post("/attachments", status_code=201, dependencies=[OfficerDep],
             summary="Attach a file: checked, kept, uploaded to the hub; answers the object "
                     "to put in an entry's `attachments`",
             responses={201: {"description": "the attachment object (name, media_type, size, "
                                             "sha256)"},
                        422: {"description": "error `attachment`: empty, too large, not of "
                                             "its type, or a bad file name"}})
async def attach(
    request: Request,
    name: Annotated[str | None, Query(max_length=200, description="the file's name (raw "
                                      "body)")] = None,
    media_type: Annotated[str | None, Query(max_length=100, description="its type (raw "
                                            "body; default the Content-Type)")] = None,
) -> JSONResponse:
    node = get_node(request)
    content_type = _media_type(request.headers.get("content-type"))
    if content_type == "multipart/form-data":
        data, file_name, file_type = await _multipart(request)
    else:
        if not name:
            raise AttachmentError("name the file: ?name=… (or send a multipart upload)")
        data = await read_file(request)
        file_name, file_type = name, _media_type(media_type or content_type)
    attachment: dict[str, Any] = await run_in_threadpool(node.attach, data, file_type,
                                                         file_name)
    return JSONResponse(attachment, status_code=201)


def content_disposition(name: str) -> str:
    """A download under ``name`` (RFC 6266, the name percent-encoded as UTF-8)."""
    return f"attachment; filename*=UTF-8''{quote(name, safe='')}"


@router.get("/attachments/{sha256}", dependencies=[ReaderDep],
            summary="A file the node keeps or holds an entry naming, as a download",
            responses={200: {"content": {"application/octet-stream": {}}},
                       404: {"description": "the node holds no entry naming this file"}})
def attachment(request: Request, sha256: Sha256) -> Response:
    held = get_node(request).attachment_file(sha256)
    return Response(held.data, media_type=held.media_type, headers={
        "Content-Disposition": content_disposition(held.name),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    })
