"""Files carried with entries: what a file must be before anyone stores it or names it.

An entry carries a file by naming it (:class:`~gulfsec.domain.forms._types.Attachment`: name,
type, size, SHA-256); the signed entry commits to the hash, and the file itself is stored at the
hub apart from the log and given only to the entry's parties. Everything here is pure: bytes in,
a hash or an attachment object out, or :class:`~gulfsec.errors.AttachmentError`.

A file's declared type must be what its bytes are: a PDF starts with ``%PDF-``, a PNG and a
JPEG with their signatures, a DOCX is a zip holding ``word/document.xml``, and plain text is
UTF-8 with no NUL. Nothing is rendered or decompressed: the zip's directory is read, not its
members.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from gulfsec.domain.forms import registry
from gulfsec.domain.forms._types import MAX_ATTACHMENT_BYTES, MEDIA_TYPES, Attachment
from gulfsec.errors import AttachmentError

PDF = "application/pdf"
TEXT = "text/plain"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

_SHA256 = re.compile(r"[0-9a-f]{64}")


def _is_pdf(data: bytes) -> bool:
    return data.startswith(b"%PDF-")


def _is_png(data: bytes) -> bool:
    return data.startswith(b"\x89PNG\r\n\x1a\n")


def _is_jpeg(data: bytes) -> bool:
    return data.startswith(b"\xff\xd8\xff")


def _is_docx(data: bytes) -> bool:
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        return False


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        return False
    return True


_CHECKS: dict[str, tuple[Callable[[bytes], bool], str]] = {
    PDF: (_is_pdf, "a PDF starts with %PDF-"),
    PNG: (_is_png, "a PNG starts with the PNG signature"),
    JPEG: (_is_jpeg, "a JPEG starts with FF D8 FF"),
    DOCX: (_is_docx, "a DOCX is a zip archive holding word/document.xml"),
    TEXT: (_is_text, "plain text is UTF-8 with no NUL character"),
}
assert set(_CHECKS) == set(MEDIA_TYPES), "every media type an attachment may be has its check"


def is_sha256(value: str) -> bool:
    """Whether ``value`` is a SHA-256 as attachments write it (64 lowercase hex digits)."""
    return _SHA256.fullmatch(value) is not None


def check_attachment(data: bytes, media_type: str) -> str:
    """The SHA-256 (hex) of ``data``, once it is a file an attachment may be: one of
    :data:`MEDIA_TYPES`, not empty, at most :data:`MAX_ATTACHMENT_BYTES`, and of the type it
    declares; :class:`AttachmentError` otherwise."""
    check = _CHECKS.get(media_type)
    if check is None:
        raise AttachmentError(f"files of type {media_type!r} are not accepted (accepted: "
                              f"{', '.join(MEDIA_TYPES)})")
    if not data:
        raise AttachmentError("the file is empty")
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise AttachmentError(f"the file is {len(data)} bytes, over the limit of "
                              f"{MAX_ATTACHMENT_BYTES} bytes")
    digest = hashlib.sha256(data).hexdigest()
    is_type, what = check[0], check[1]
    if not is_type(data):
        raise AttachmentError(f"the file is not {media_type}: {what}", sha256=digest)
    return digest


def attachment_for(data: bytes, media_type: str, name: str) -> dict[str, Any]:
    """The attachment object to put in an entry's ``attachments`` for this file, checked as
    :func:`check_attachment` does and with a valid file name."""
    digest = check_attachment(data, media_type)
    try:
        attachment = Attachment(name=name, media_type=media_type, size=len(data),
                                sha256=digest)
    except ValidationError as exc:
        problems = "; ".join(str(err["msg"]) for err in exc.errors(include_url=False))
        raise AttachmentError(f"file name {name!r}: {problems}", sha256=digest) from None
    return attachment.model_dump()


def declared_attachments(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The attachment objects an entry body carries (its ``attachments``), in order, as far
    as they have the shape of one; the form's own validation says whether they are valid."""
    found = body.get("attachments")
    if not isinstance(found, list):
        return []
    return [dict(item) for item in found
            if isinstance(item, Mapping) and isinstance(item.get("sha256"), str)]


def attachment_forms() -> frozenset[str]:
    """The ids of the forms whose bodies may carry attachments."""
    return frozenset(form_id for form_id, spec in registry().items()
                     if "attachments" in spec.model.model_fields)
