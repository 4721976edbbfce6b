"""``acknowledgement@1``: the addressee confirms it received and verified earlier entries.

The acknowledged entries are named both in the body and in the entry's references, so that the
hub checks they exist in the log. ``withheld`` names those among them that the hub withheld from
the acknowledging party — it got them from their sender's node instead, and its node holds the
proof (``gulfsec node evidence``): compliance does not hold it late for those.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from gulfsec.domain.forms import FormSpec
from gulfsec.domain.forms._types import Body, EntryIdHex
from gulfsec.i18n import N_

ACKNOWLEDGEMENT = "acknowledgement@1"


class Acknowledgement(Body):
    entries: list[EntryIdHex] = Field(min_length=1, max_length=64)
    withheld: list[EntryIdHex] = Field(
        default_factory=list, max_length=64, title="Withheld",
        description="Those of the entries the hub withheld from this party (it got them from "
                    "their sender's node; its node holds the proof).")

    @field_validator("withheld")
    @classmethod
    def _withheld_are_acknowledged(cls, withheld: list[str],
                                   info: ValidationInfo) -> list[str]:
        stray = [e for e in withheld if e not in info.data.get("entries", withheld)]
        if stray:
            raise PydanticCustomError("withheld", "withheld entries must be among the entries "
                                      "acknowledged: {stray}", {"stray": ", ".join(stray)})
        return withheld


def _summary(body: Mapping[str, Any]) -> str:
    count = len(body["entries"])
    withheld = len(body.get("withheld") or ())
    if withheld:
        if count == 1:
            text = N_("acknowledges {count} entry, {withheld} of them withheld by the hub")
        else:
            text = N_("acknowledges {count} entries, {withheld} of them withheld by the hub")
        return text.format(count=count, withheld=withheld)
    text = N_("acknowledges {count} entry") if count == 1 else N_("acknowledges {count} entries")
    return text.format(count=count)


FORMS = (FormSpec(ACKNOWLEDGEMENT, "Acknowledgement of receipt", Acknowledgement,
                  "Confirms receipt and verification of the listed entries.",
                  right="receive", summary=_summary, acknowledge=False,
                  refs=("entries",)),)
