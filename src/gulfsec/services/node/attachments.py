"""Files carried with entries, at a node: attach a file before the entry naming it is signed,
and open the files of entries the node holds.

:meth:`NodeAttachments.attach` checks the file (:func:`~gulfsec.domain.attachments.
attachment_for`), keeps it in the node's own database first — so a hub that is away loses
nothing — then uploads it, and gives the attachment object to put in the entry's body.
:meth:`NodeAttachments.file` serves a file the node keeps, or fetches it from the hub only when
the node holds an entry naming it (so only for its party's entries), and keeps it once its
SHA-256, size and type are those the signed entry names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gulfsec.domain.attachments import (
    attachment_for,
    attachment_forms,
    check_attachment,
    declared_attachments,
    is_sha256,
)
from gulfsec.domain.entry import parse_signed_entry
from gulfsec.errors import AttachmentError, NotFound
from gulfsec.services.node.core import NodeCore
from gulfsec.services.shared.time import micros


@dataclass(frozen=True)
class HeldFile:
    """A file the node keeps: its bytes, and the name and type it goes by."""

    sha256: str
    name: str
    media_type: str
    data: bytes


class NodeAttachments:
    """A node's files: those its party attaches and those of the entries it holds."""

    def __init__(self, core: NodeCore) -> None:
        self.core = core

    def attach(self, data: bytes, media_type: str, name: str) -> dict[str, Any]:
        """Check a file, keep it, upload it to the hub; the attachment object (name, type,
        size, SHA-256) to put in an entry's ``attachments``. If the upload fails, the error
        is raised and the file stays kept: attaching it again uploads it again."""
        core = self.core
        attachment = attachment_for(data, media_type, name)
        key = bytes.fromhex(attachment["sha256"])
        with core.uow() as uow:
            uow.repo.put_blob(key, name, media_type, data, micros(core.clock.now()))
            uow.commit()
        core.client.put_blob(data, media_type)
        with core.uow() as uow:
            uow.repo.mark_blob_uploaded(key, micros(core.clock.now()))
            uow.commit()
        return attachment

    def file(self, sha256: str) -> HeldFile:
        """The file with this SHA-256: kept by the node, or fetched from the hub if an entry
        the node holds names it; NotFound otherwise."""
        missing = NotFound(f"{self.core.party}'s node holds no entry naming a file {sha256}")
        if not is_sha256(sha256):
            raise missing
        key = bytes.fromhex(sha256)
        with self.core.uow() as uow:
            kept = uow.repo.blob(key)
        if kept is not None:
            return HeldFile(sha256, kept.name, kept.media_type, kept.data)
        named = self.named(sha256)
        if named is None:
            raise missing
        return self._fetch(sha256, named)

    def named(self, sha256: str) -> dict[str, Any] | None:
        """The attachment object naming this file in the first entry the node holds that
        names it, if any."""
        with self.core.uow() as uow:
            held = uow.repo.entries_from(-1, forms=attachment_forms())
        limit = self.core.regime.limits.max_entry_bytes
        for item in held:
            body = parse_signed_entry(item.raw, max_bytes=limit).entry.body
            for attachment in declared_attachments(body):
                if attachment["sha256"] == sha256:
                    return attachment
        return None

    def _fetch(self, sha256: str, named: dict[str, Any]) -> HeldFile:
        core = self.core
        media_type, name = str(named.get("media_type")), str(named.get("name"))
        data = core.client.blob(sha256)
        if check_attachment(data, media_type) != sha256 or len(data) != named.get("size"):
            raise AttachmentError(f"the hub sent a file {sha256} that is not the one the "
                                  "entry names", sha256=sha256)
        now = micros(core.clock.now())
        with core.uow() as uow:
            uow.repo.put_blob(bytes.fromhex(sha256), name, media_type, data, now)
            uow.repo.mark_blob_uploaded(bytes.fromhex(sha256), now)
            uow.commit()
        return HeldFile(sha256, name, media_type, data)
