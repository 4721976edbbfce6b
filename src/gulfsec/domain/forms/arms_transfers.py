"""``arms-transfers@1``: exports and imports of conventional arms in a calendar year.

Rows follow the UN Register of Conventional Arms: categories I (battle tanks), II (armoured
combat vehicles), III (large-calibre artillery), IV (combat aircraft), V (attack helicopters),
VI (warships), VII (missiles and missile launchers), and small arms and light weapons (SALW).
A nil report (no transfers) counts as a report and has no rows. Due by the regime's
``arms_transfers.due`` for the previous year; importers' and exporters' reports are compared by
the mirror check.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from gulfsec.domain.forms import FormSpec
from gulfsec.domain.forms._military import Flag, Int, Year
from gulfsec.domain.forms._types import Body, PartyCode, ShortText
from gulfsec.i18n import N_

Category = Literal["I", "II", "III", "IV", "V", "VI", "VII", "SALW"]
CATEGORIES: tuple[str, ...] = ("I", "II", "III", "IV", "V", "VI", "VII", "SALW")
MAX_ROWS = 2000


class TransferRow(Body):
    """Items of one category transferred to or from one partner."""

    partner: PartyCode = Field(
        title="Partner",
        description="The importing (for an export) or exporting (for an import) state's code.",
    )
    category: Category = Field(
        title="Category", description="UN Register category I to VII, or SALW."
    )
    quantity: Int = Field(
        ge=1, le=1_000_000, title="Quantity", description="Number of items (1 to 1,000,000)."
    )
    # Marked here too: a field named ``description`` is passed over by the forms' extraction
    # from the JSON Schema (gulfsec.web.forms.messages), which reads the key as a schema keyword.
    description: ShortText | None = Field(
        default=None, title=N_("Description"), description=N_("Type or model of the items.")
    )
    remarks: ShortText | None = Field(default=None, title="Remarks", description="Anything to add.")


def _no_rows_in_a_nil_report(rows: list[TransferRow], info: ValidationInfo) -> None:
    if info.data.get("nil_report") is True and rows:
        raise PydanticCustomError("nil_report_rows", "a nil report has no rows")


class ArmsTransfers(Body):
    year: Year = Field(title="Year", description="The calendar year the transfers took place.")
    nil_report: Flag = Field(
        title="Nil report", description="True when there were no transfers: then no rows."
    )
    exports: list[TransferRow] = Field(
        default_factory=list,
        max_length=MAX_ROWS,
        title="Exports",
        description="Transfers out, by importing state and category.",
    )
    imports: list[TransferRow] = Field(
        default_factory=list,
        max_length=MAX_ROWS,
        title="Imports",
        description="Transfers in, by exporting state and category.",
    )

    @field_validator("exports")
    @classmethod
    def _exports(cls, rows: list[TransferRow], info: ValidationInfo) -> list[TransferRow]:
        _no_rows_in_a_nil_report(rows, info)
        return rows

    @field_validator("imports")
    @classmethod
    def _imports(cls, rows: list[TransferRow], info: ValidationInfo) -> list[TransferRow]:
        _no_rows_in_a_nil_report(rows, info)
        if info.data.get("nil_report") is False and not rows and info.data.get("exports") == []:
            raise PydanticCustomError(
                "empty_report", "a report with no exports and no imports must be a nil report"
            )
        return rows


def _summary(body: Mapping[str, Any]) -> str:
    if body.get("nil_report"):
        return N_("nil report of arms transfers in {year}").format(year=body["year"])
    return N_("arms transfers in {year}").format(year=body["year"])


ARMS = "arms-transfers@1"

FORMS = (
    FormSpec(
        ARMS,
        "Report of arms transfers (UN Register)",
        ArmsTransfers,
        "Exports and imports in the year by partner and UN Register category, or a nil report.",
        right="send",
        year="year",
        summary=_summary,
    ),
)
