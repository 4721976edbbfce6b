"""Files carried with entries, at the hub: stored apart from the log, given only to those who
may read an entry naming them.

A party uploads a file before it signs an entry naming it; the hub checks the bytes are the
file the SHA-256 names and of the type declared (:func:`~gulfsec.domain.attachments.
check_attachment`), and keeps it once, however many upload it. An entry naming a file the hub
does not hold, or holds with another size or type, is refused at submission: no entry commits
to a file nobody can fetch. The sequencer notes which entries name which file
(``hub_blob_refs``) in the transaction that logs them; a file is then given to the parties that
uploaded it and to the sender and addressees of any logged entry naming it — to anyone else it
does not exist (404, whether it is held or not).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from gulfsec.adapters.clock import Clock
from gulfsec.adapters.storage.hub import StoredBlob
from gulfsec.domain.attachments import check_attachment, declared_attachments, is_sha256
from gulfsec.domain.entry import SignedEntry
from gulfsec.errors import AttachmentError, NotFound
from gulfsec.services.hub.state import HubState
from gulfsec.services.shared.time import micros
from gulfsec.services.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Uploaded:
    """The answer to an upload: the file, and whether this party had not uploaded it before."""

    sha256: str
    size: int
    media_type: str
    new: bool


class Blobs:
    """The hub's files: upload, fetch, and the check of the files an entry names."""

    def __init__(self, engine: Engine, state: HubState, clock: Clock) -> None:
        self._engine = engine
        self._state = state
        self._clock = clock

    def put(self, party: str, sha256: str, media_type: str, data: bytes) -> Uploaded:
        """Store ``data`` as the file ``sha256`` names, uploaded by ``party``.

        Uploading the same file again is harmless. ``new`` says whether *this party* had not
        uploaded it before, so the answer tells nothing of what others uploaded.
        """
        if not is_sha256(sha256):
            raise AttachmentError(f"{sha256!r} is not a SHA-256 (64 lowercase hex digits)")
        digest = check_attachment(data, media_type)
        if digest != sha256:
            raise AttachmentError(f"the file's SHA-256 is {digest}, not {sha256}",
                                  sha256=sha256)
        key = bytes.fromhex(sha256)
        with UnitOfWork(self._engine) as uow:
            held = uow.repo.blob_types([key]).get(key)
            if held is not None and held[0] != media_type:
                # The same bytes can be two types at once (a PDF written in plain text): the
                # file keeps the type it was first uploaded as, which entries must declare.
                raise AttachmentError(f"this file is held as {held[0]}, not {media_type}",
                                      sha256=sha256)
            new = uow.repo.put_blob(key, media_type, data, party, micros(self._clock.now()))
            uow.commit()
        return Uploaded(sha256, len(data), media_type, new)

    def get(self, party: str, sha256: str) -> StoredBlob:
        """The file, if ``party`` may have it; NotFound else (as if it were not held)."""
        missing = NotFound(f"no file {sha256} visible to {party}")
        if not is_sha256(sha256):
            raise missing
        key = bytes.fromhex(sha256)
        with UnitOfWork(self._engine) as uow:
            if not uow.repo.may_read_blob(key, party, self._state.size):
                raise missing
            blob = uow.repo.blob(key)
        if blob is None:
            raise missing
        return blob

    def check_entry(self, signed: SignedEntry) -> None:
        """Every file the entry names is held, with the size and type it declares
        (:class:`AttachmentError` otherwise). Run after the body fits its form."""
        declared = declared_attachments(signed.entry.body)
        if not declared:
            return
        keys = {bytes.fromhex(a["sha256"]) for a in declared if is_sha256(a["sha256"])}
        with UnitOfWork(self._engine) as uow:
            held = uow.repo.blob_types(keys)
        for attachment in declared:
            sha = attachment["sha256"]
            found = held.get(bytes.fromhex(sha)) if is_sha256(sha) else None
            if found is None:
                raise AttachmentError(f"the hub holds no file {sha}: upload it "
                                      "(PUT /v1/blobs/<sha256>) before the entry naming it",
                                      sha256=sha, entry_id=signed.id_hex)
            media_type, size = found
            if (attachment.get("media_type"), attachment.get("size")) != (media_type, size):
                raise AttachmentError(
                    f"file {sha} is held as {media_type} of {size} bytes, but the entry says "
                    f"{attachment.get('media_type')} of {attachment.get('size')} bytes",
                    sha256=sha, entry_id=signed.id_hex)
