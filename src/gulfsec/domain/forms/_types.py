"""Small validated types shared by form bodies."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

EntryIdHex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
PartyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,6}$")]
KeyIdHex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{8}$")]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=False)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]


class Body(BaseModel):
    """Base of every form body: unknown fields are refused, values are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
