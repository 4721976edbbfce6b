"""``annual-exchange@1``: the annual exchange of military information.

Each participating state reports, for the year the information is valid for, its command
organisation, its formations and units (where they are, their personnel, their major weapon
systems by category) and its plans for deploying major weapon systems (Vienna Document 2011
chapter I). Due by the regime's ``annual_exchange.due`` for the next year.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from gulfsec.domain.forms import FormSpec
from gulfsec.domain.forms._military import (
    Holdings,
    Int,
    Location,
    MediumText,
    Quantity,
    RefId,
    WeaponCategory,
    Year,
    unique,
)
from gulfsec.domain.forms._types import Body
from gulfsec.i18n import N_

Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Command(Body):
    """A command or headquarters in the chain of command."""

    ref: RefId = Field(title="Reference", description="The command's reference in this report.")
    name: Name = Field(title="Name", description="The command's name.")
    subordinate_to: RefId | None = Field(
        default=None,
        title="Subordinate to",
        description="The reference of the command above it; none for the highest command.",
    )


class Unit(Body):
    """A formation or unit down to brigade/regiment level (or its naval and air equivalent)."""

    ref: RefId = Field(title="Reference", description="The unit's reference in this report.")
    name: Name = Field(title="Designation", description="The unit's designation.")
    service: Literal["land", "naval", "air", "air-defence", "other"] = Field(
        title="Service", description="The service the unit belongs to."
    )
    command: RefId = Field(
        title="Command", description="The reference of the command the unit reports to."
    )
    location: Location = Field(title="Peacetime location", description="Where the unit is based.")
    personnel: Quantity = Field(
        title="Personnel", description="Authorised peacetime personnel strength."
    )
    weapons: Holdings = Field(
        default_factory=lambda: Holdings(),
        title="Major weapon systems",
        description="Major weapon systems the unit holds, by category.",
    )


class DeploymentPlan(Body):
    """A plan to bring major weapon systems into service."""

    category: WeaponCategory = Field(title="Category", description="The weapon system category.")
    system: Name = Field(title="System", description="The type of weapon system.")
    quantity: Int = Field(
        ge=1,
        le=10_000_000,
        title="Quantity",
        description="How many are to be deployed (at least 1).",
    )
    year: Year = Field(title="Year", description="The year they are to be deployed.")
    remarks: MediumText | None = Field(
        default=None, title="Remarks", description="Anything to add."
    )


class AnnualExchange(Body):
    year: Year = Field(
        title="Valid for year", description="The calendar year the information is valid for."
    )
    command_organisation: list[Command] = Field(
        min_length=1,
        max_length=500,
        title="Command organisation",
        description="The commands, each naming the command above it (1 to 500).",
    )
    units: list[Unit] = Field(
        max_length=5000,
        title="Formations and units",
        description="Formations and units with location, personnel and weapon systems.",
    )
    deployment_plans: list[DeploymentPlan] = Field(
        default_factory=list,
        max_length=500,
        title="Deployment plans",
        description="Plans for the deployment of major weapon systems.",
    )

    @field_validator("command_organisation")
    @classmethod
    def _commands_form_a_tree(cls, commands: list[Command]) -> list[Command]:
        unique([c.ref for c in commands], "command")
        refs = {c.ref for c in commands}
        for index, command in enumerate(commands):
            if command.subordinate_to is not None and command.subordinate_to not in refs:
                raise PydanticCustomError(
                    "unknown_command",
                    "item {index}: subordinate to unknown command '{ref}'",
                    {"index": index, "ref": command.subordinate_to},
                )
        return commands

    @field_validator("units")
    @classmethod
    def _units_name_known_commands(cls, units: list[Unit], info: ValidationInfo) -> list[Unit]:
        unique([u.ref for u in units], "unit")
        commands = info.data.get("command_organisation")
        if commands is not None:
            refs = {c.ref for c in commands}
            for index, unit in enumerate(units):
                if unit.command not in refs:
                    raise PydanticCustomError(
                        "unknown_command",
                        "item {index}: unit '{unit}' reports to unknown command '{ref}'",
                        {"index": index, "unit": unit.ref, "ref": unit.command},
                    )
        return units


EXCHANGE = "annual-exchange@1"

FORMS = (
    FormSpec(
        EXCHANGE,
        "Annual exchange of military information",
        AnnualExchange,
        "Command organisation, units, personnel, major weapon systems and deployment plans, "
        "valid for the year named.",
        right="send",
        year="year",
        summary=lambda body: N_("military information valid for {year}").format(
            year=body["year"]),
    ),
)
