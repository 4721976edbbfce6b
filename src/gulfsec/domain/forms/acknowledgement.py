"""``acknowledgement@1``: the addressee confirms it received and verified earlier entries.

The acknowledged entries are named both in the body and in the entry's references, so that the
hub checks they exist in the log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from gulfsec.domain.forms import FormSpec
from gulfsec.domain.forms._types import Body, EntryIdHex

ACKNOWLEDGEMENT = "acknowledgement@1"


class Acknowledgement(Body):
    entries: list[EntryIdHex] = Field(min_length=1, max_length=64)


def _summary(body: Mapping[str, Any]) -> str:
    count = len(body["entries"])
    return f"acknowledges {count} entr{'y' if count == 1 else 'ies'}"


FORMS = (FormSpec(ACKNOWLEDGEMENT, "Acknowledgement of receipt", Acknowledgement,
                  "Confirms receipt and verification of the listed entries.",
                  right="receive", summary=_summary, acknowledge=False),)
