"""``military-expenditure@1``: the UN standardised report of military expenditures.

``report`` is one of three kinds, as in the UN instrument:

- ``standardised``: the full matrix, force groups (land, naval, air, central: other forces and
  central support) by resource costs (personnel; operations and maintenance; procurement and
  construction; research and development);
- ``simplified``: the totals by resource cost only;
- ``nil``: the state has no armed forces or no expenditure to report. A nil report counts.

Amounts are whole units of ``currency``. Due by the regime's ``military_expenditure.due`` for
the previous year.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from gulfsec.domain.forms import FormSpec
from gulfsec.domain.forms._military import Currency, MediumText, Money, Year
from gulfsec.domain.forms._types import Body
from gulfsec.i18n import N_


class ResourceCosts(Body):
    """Expenditure by resource cost, in whole units of the report's currency."""

    personnel: Money = Field(title="Personnel", description="Pay, pensions and allowances.")
    operations_maintenance: Money = Field(
        title="Operations and maintenance", description="Running the forces and their equipment."
    )
    procurement_construction: Money = Field(
        title="Procurement and construction", description="Equipment bought, facilities built."
    )
    research_development: Money = Field(
        title="Research and development", description="Military research and development."
    )


class ForceGroups(Body):
    """The matrix of the standardised report: each force group's resource costs."""

    land: ResourceCosts = Field(title="Land forces", description="Land forces.")
    naval: ResourceCosts = Field(title="Naval forces", description="Naval forces.")
    air: ResourceCosts = Field(title="Air forces", description="Air forces.")
    central: ResourceCosts = Field(
        title="Other forces and central support",
        description="Other military forces, central staff and support.",
    )


class Standardised(Body):
    kind: Literal["standardised"] = Field(title="Kind", description='Always "standardised".')
    currency: Currency = Field(title="Currency", description="ISO 4217 code of the amounts.")
    matrix: ForceGroups = Field(
        title="Expenditure by force group", description="Resource costs of each force group."
    )


class Simplified(Body):
    kind: Literal["simplified"] = Field(title="Kind", description='Always "simplified".')
    currency: Currency = Field(title="Currency", description="ISO 4217 code of the amounts.")
    totals: ResourceCosts = Field(
        title="Total expenditure", description="Resource costs of all forces together."
    )


class Nil(Body):
    kind: Literal["nil"] = Field(title="Kind", description='Always "nil".')
    reason: MediumText | None = Field(
        default=None, title="Reason", description="Why there is nothing to report."
    )


class MilitaryExpenditure(Body):
    year: Year = Field(title="Year", description="The fiscal year the expenditure was made.")
    report: Annotated[Standardised | Simplified | Nil, Field(discriminator="kind")] = Field(
        title="Report", description="The standardised matrix, the simplified totals, or nil."
    )


EXPENDITURE = "military-expenditure@1"

FORMS = (
    FormSpec(
        EXPENDITURE,
        "Report of military expenditure (UN standardised instrument)",
        MilitaryExpenditure,
        "Military expenditure in the year by force group and resource cost, simplified or nil.",
        right="send",
        year="year",
        summary=lambda body: N_("military expenditure in {year}").format(year=body["year"]),
    ),
)
