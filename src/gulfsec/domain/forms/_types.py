"""Small validated types shared by form bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints
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
