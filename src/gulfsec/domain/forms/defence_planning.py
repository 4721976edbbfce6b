"""``defence-planning@1``: defence policy, force planning and the military budget.

Each participating state reports its defence policy and doctrine, its force planning, its
expenditure in the previous year and its plans for the next years (Vienna Document 2011 chapter
II). Due within the regime's ``defence_planning.within_months`` of the approval date the report
declares for its budget.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from gulfsec.domain.forms import FormSpec
from gulfsec.domain.forms._military import Currency, Day, Money, Year, unique
from gulfsec.domain.forms._types import Body, LongText
from gulfsec.i18n import N_


class YearAmount(Body):
    """An amount of military expenditure in one fiscal year."""

    year: Year = Field(title="Fiscal year", description="The fiscal year.")
    amount: Money = Field(
        title="Amount", description="Whole units of the report's currency, 0 to 2**53 - 1."
    )


class DefencePlanning(Body):
    budget_year: Year = Field(
        title="Budget year", description="The fiscal year of the military budget reported."
    )
    budget_approval_date: Day = Field(
        title="Budget approval date",
        description="The day the budget was approved (YYYY-MM-DD); the deadline runs from it.",
    )
    currency: Currency = Field(
        title="Currency", description="ISO 4217 code of the currency of every amount."
    )
    policy: LongText = Field(
        title="Defence policy and doctrine",
        description="A summary of national defence policy and military doctrine.",
    )
    force_planning: LongText = Field(
        title="Force planning",
        description="Plans for the size, structure, training and equipment of the forces.",
    )
    previous_expenditure: YearAmount = Field(
        title="Previous expenditure", description="Military expenditure in the previous year."
    )
    budget: Money = Field(title="Budget", description="The military budget of the budget year.")
    plans: list[YearAmount] = Field(
        default_factory=list,
        max_length=5,
        title="Plans for later years",
        description="Planned expenditure for up to five following years.",
    )

    @field_validator("budget_approval_date")
    @classmethod
    def _approved_around_the_budget_year(cls, value: date, info: ValidationInfo) -> date:
        year = info.data.get("budget_year")
        if isinstance(year, int) and not year - 2 <= value.year <= year + 1:
            raise PydanticCustomError(
                "approval_year",
                "{value} is not within two years before or one year after budget year {year}",
                {"value": value.isoformat(), "year": year},
            )
        return value

    @field_validator("previous_expenditure")
    @classmethod
    def _previous_is_the_year_before(cls, value: YearAmount, info: ValidationInfo) -> YearAmount:
        year = info.data.get("budget_year")
        if isinstance(year, int) and value.year != year - 1:
            raise PydanticCustomError(
                "previous_year",
                "the previous expenditure must be for {expected}, not {got}",
                {"expected": year - 1, "got": value.year},
            )
        return value

    @field_validator("plans")
    @classmethod
    def _plans_are_for_later_years(
        cls, plans: list[YearAmount], info: ValidationInfo
    ) -> list[YearAmount]:
        unique([str(p.year) for p in plans], "year")
        year = info.data.get("budget_year")
        if isinstance(year, int):
            for index, plan in enumerate(plans):
                if plan.year <= year:
                    raise PydanticCustomError(
                        "plan_year",
                        "item {index}: a plan must be for a year after {year}, not {got}",
                        {"index": index, "year": year, "got": plan.year},
                    )
        return plans


PLANNING = "defence-planning@1"

FORMS = (
    FormSpec(
        PLANNING,
        "Defence planning",
        DefencePlanning,
        "Defence policy and doctrine, force planning, the budget and expenditure plans.",
        right="send",
        year="budget_year",
        summary=lambda body: N_("defence planning for budget year {budget_year}").format(
            budget_year=body["budget_year"]),
    ),
)
