"""``acknowledgement@1``: the addressee confirms it received and verified earlier entries.

The acknowledged entries are named both in the body and in the entry's references, so that the
hub checks they exist in the log.
"""

from __future__ import annotations

from pydantic import Field

from gulfsec.domain.forms import FormSpec
from gulfsec.domain.forms._types import Body, EntryIdHex


class Acknowledgement(Body):
    entries: list[EntryIdHex] = Field(min_length=1, max_length=64)


FORMS = (FormSpec("acknowledgement@1", "Acknowledgement of receipt", Acknowledgement,
                  "Confirms receipt and verification of the listed entries.",
                  acknowledge=False),)
