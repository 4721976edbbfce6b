"""The hub's routes for files carried with entries (:mod:`gulfsec.services.hub.blobs`).

``PUT /v1/blobs/{sha256}`` uploads a file (the body, its type in ``Content-Type``) by a signed
request; ``GET /v1/blobs/{sha256}`` gives it back to a signed request of a party that uploaded
it or may read an entry naming it, and answers 404 to anyone else, whether the hub holds it or
not. A file over the size limit is refused from its ``Content-Length`` before it is read, and
while it is read when it declares none.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from gulfsec.api.deps import CurrentParty, HubDep, request_target
from gulfsec.api.signing import PARTY_STATE
from gulfsec.domain.forms._types import MAX_ATTACHMENT_BYTES
from gulfsec.domain.request_auth import RequestCredentials
from gulfsec.errors import AccessDenied, AttachmentError

Sha256 = Annotated[str, Path(min_length=64, max_length=64, pattern=r"^[0-9a-f]{64}$",
                             description="the file's SHA-256, 64 lowercase hex digits")]


def _too_large(size: int) -> AttachmentError:
    return AttachmentError(f"the file is {size} bytes or more, over the limit of "
                           f"{MAX_ATTACHMENT_BYTES} bytes")


async def read_file(request: Request, limit: int = MAX_ATTACHMENT_BYTES) -> bytes:
    """The request's body, refused (:class:`AttachmentError`) past ``limit`` bytes: from its
    ``Content-Length`` before reading, and while reading."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(int(declared))
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise _too_large(total)
        chunks.append(chunk)
    return b"".join(chunks)


async def uploader(request: Request, hub: HubDep) -> tuple[str, bytes]:
    """The party a signed upload speaks for, with a key it still holds, and the file. The
    signature covers the body, so the body is read (capped) before the signature is checked;
    a request without the signature's headers is refused before that."""
    creds = RequestCredentials.from_headers({k.lower(): v for k, v in request.headers.items()})
    data = await read_file(request)
    reader = await run_in_threadpool(hub.authenticate, creds, request.method,
                                     request_target(request), data)
    setattr(request.state, PARTY_STATE, reader.party)  # the answer is signed as given to it
    if reader.limited:
        raise AccessDenied(f"{reader.party}'s key is no longer active: it uploads nothing")
    return reader.party, data


Upload = Annotated[tuple[str, bytes], Depends(uploader)]

router = APIRouter(prefix="/v1", tags=["files"])


@router.put("/blobs/{sha256}", status_code=201,
            summary="Upload a file to carry with entries: the body, its type in Content-Type",
            responses={200: {"description": "this party had uploaded it already"},
                       201: {"description": "stored"},
                       422: {"description": "error `attachment`: empty, too large, not of its "
                                            "type, or not the file the SHA-256 names"}},
            openapi_extra={"requestBody": {"required": True, "content": {
                "application/octet-stream": {"schema": {"type": "string",
                                                        "format": "binary"}}}}})
async def put_blob(sha256: Sha256, upload: Upload, request: Request,
                   hub: HubDep) -> JSONResponse:
    party, data = upload
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    stored = await run_in_threadpool(hub.blobs.put, party, sha256, media_type, data)
    answer: dict[str, Any] = {"sha256": stored.sha256, "size": stored.size,
                              "media_type": stored.media_type}
    return JSONResponse(answer, status_code=201 if stored.new else 200)


@router.get("/blobs/{sha256}", summary="A file, to a party that uploaded it or may read an "
            "entry naming it (404 to anyone else)",
            responses={200: {"content": {"application/octet-stream": {}}}})
def get_blob(sha256: Sha256, hub: HubDep, party: CurrentParty) -> Response:
    blob = hub.blobs.get(party, sha256)
    return Response(blob.data, media_type=blob.media_type,
                    headers={"X-Content-Type-Options": "nosniff",
                             "Cache-Control": "private, no-store"})
