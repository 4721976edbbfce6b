"""Small validated types shared by form bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from gulfsec.domain.encoding import parse_time

EntryIdHex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
PartyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,6}$")]
KeyIdHex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{8}$")]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=False)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
MediumText = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


def _json_moment(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if type(value) is not str:
        raise PydanticCustomError("datetime_type", "expected a UTC time like 2027-01-31T12:00:00Z")
    try:
        return parse_time(value)
    except ValueError:
        raise PydanticCustomError("datetime_type", "expected a UTC time like "
                                  "2027-01-31T12:00:00Z, not {value}", {"value": value}) from None


Moment = Annotated[datetime, BeforeValidator(_json_moment)]
"""A moment in UTC, written as in entries (``2027-01-31T12:00:00Z``)."""


class Body(BaseModel):
    """Base of every form body: unknown fields are refused, values are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


Level = Literal["head-of-state", "minister", "senior-official", "expert", "scholar"]
"""The level of a consultation or a meeting: head of state or government, minister, senior
official, expert, scholar (track two)."""
LEVELS: tuple[str, ...] = get_args(Level)

MEDIA_TYPES: tuple[str, ...] = ("application/pdf", "text/plain", "image/png", "image/jpeg",
                                "application/vnd.openxmlformats-officedocument."
                                "wordprocessingml.document")
"""The kinds of file an attachment may be (a note verbale, a working paper, a map)."""
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
"""The largest attachment, in bytes."""


class Attachment(Body):
    """A file carried with an entry: the entry commits to its SHA-256; the file itself is
    stored apart and given only to the parties the entry is addressed to."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=200,
                                           pattern=r"^[^/\\\x00-\x1f]+$")] = Field(
        title="File name")
    media_type: Literal[MEDIA_TYPES] = Field(title="Type")  # type: ignore[valid-type]
    size: int = Field(ge=1, le=MAX_ATTACHMENT_BYTES, title="Size (bytes)")
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] = Field(
        title="SHA-256")


Attachments = Annotated[list[Attachment], Field(default_factory=list, max_length=10,
                                                title="Attachments")]


def attachment_hashes(body: Any) -> list[str]:
    """The SHA-256 of each file an entry body carries (its ``attachments``), in order."""
    if not isinstance(body, dict):
        return []
    found = body.get("attachments")
    if not isinstance(found, list):
        return []
    return [str(a["sha256"]) for a in found if isinstance(a, dict) and "sha256" in a]
