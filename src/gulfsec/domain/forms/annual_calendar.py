"""``annual-calendar@1``: the calendar of notifiable military activities for the next year.

``activities`` lists the activities subject to prior notification planned for ``year``.
``later_activities`` lists the large activities (at or above the constraining provision's
threshold) planned for the years after it: the constraining provision wants them announced
years ahead (Vienna Document 2011 chapters VII and VIII). Each activity has a reference that its
prior notification repeats (``calendar_ref``). Due by the regime's ``annual_calendar.due``.
"""

from __future__ import annotations

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from gulfsec.domain.forms import FormSpec
from gulfsec.domain.forms._military import (
    ActivityKind,
    Area,
    Day,
    Flag,
    Forces,
    RefId,
    Year,
    not_before,
    unique,
)
from gulfsec.domain.forms._types import Body, ShortText
from gulfsec.i18n import N_

MAX_YEARS_AHEAD = 5


class PlannedActivity(Body):
    """A notifiable activity as planned."""

    ref: RefId = Field(
        title="Reference", description="The activity's reference; its notification repeats it."
    )
    kind: ActivityKind = Field(title="Type", description="Land, naval, air, amphibious, airborne.")
    name: ShortText = Field(title="Name", description="The activity's name or designation.")
    start: Day = Field(title="Start", description="First day of the activity (YYYY-MM-DD, UTC).")
    end: Day = Field(title="End", description="Last day of the activity, not before its start.")
    area: Area = Field(title="Area", description="Where the activity is planned.")
    forces: Forces = Field(title="Forces", description="Forces planned, by category.")
    observed: Flag = Field(
        title="Observed", description="Whether observers will be invited to the activity."
    )

    _end_not_before_start = field_validator("end")(not_before("start"))


def _years(activities: list[PlannedActivity], first: int, last: int) -> None:
    for index, activity in enumerate(activities):
        if not first <= activity.start.year <= last:
            span = str(first) if first == last else f"{first} to {last}"
            raise PydanticCustomError(
                "activity_year",
                "item {index} ('{ref}') starts on {start}, outside {span}",
                {
                    "index": index,
                    "ref": activity.ref,
                    "start": activity.start.isoformat(),
                    "span": span,
                },
            )


class AnnualCalendar(Body):
    year: Year = Field(title="Year", description="The calendar year the activities are for.")
    activities: list[PlannedActivity] = Field(
        max_length=500,
        title="Notifiable activities",
        description="Activities subject to prior notification planned to start in the year.",
    )
    later_activities: list[PlannedActivity] = Field(
        default_factory=list,
        max_length=100,
        title="Large activities in later years",
        description=(
            "Activities at or above the constraining provision's threshold planned to start in "
            f"the {MAX_YEARS_AHEAD} years after the year."
        ),
    )

    @field_validator("activities")
    @classmethod
    def _in_the_year(
        cls, activities: list[PlannedActivity], info: ValidationInfo
    ) -> list[PlannedActivity]:
        unique([a.ref for a in activities], "activity")
        year = info.data.get("year")
        if isinstance(year, int):
            _years(activities, year, year)
        return activities

    @field_validator("later_activities")
    @classmethod
    def _in_later_years(
        cls, activities: list[PlannedActivity], info: ValidationInfo
    ) -> list[PlannedActivity]:
        earlier = {a.ref for a in info.data.get("activities") or ()}
        unique([a.ref for a in activities], "activity")
        for activity in activities:
            if activity.ref in earlier:
                raise PydanticCustomError(
                    "duplicate", "activity '{ref}' is also in activities", {"ref": activity.ref}
                )
        year = info.data.get("year")
        if isinstance(year, int):
            _years(activities, year + 1, year + MAX_YEARS_AHEAD)
        return activities


CALENDAR = "annual-calendar@1"

FORMS = (
    FormSpec(
        CALENDAR,
        "Annual calendar of notifiable activities",
        AnnualCalendar,
        "The military activities subject to prior notification planned for the year, and the "
        "large ones planned for later years.",
        right="send",
        year="year",
        summary=lambda body: N_("activities planned for {year}").format(year=body["year"]),
    ),
)
