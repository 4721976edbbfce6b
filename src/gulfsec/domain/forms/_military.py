"""Types shared by the military transparency forms: JSON-exact numbers and dates, places, areas
and forces.

Every form body arrives as parsed JSON and is stored exactly as signed, so a value must already
have the right JSON type: the types here refuse ``"9000"`` for a number, ``1`` for a boolean or
``1700000000`` for a date, whether the form is validated strictly or not (the registry's
``validate`` runs pydantic in lax mode, ``parse`` in strict mode; both must agree). Dates are
written ``YYYY-MM-DD`` and are UTC calendar days.

Cross-field checks (an end before its start, an open polygon, a nil report with rows) are made
in field validators, so that the error names the field at fault, and they raise
:class:`~pydantic_core.PydanticCustomError` so that the message reads as written here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Annotated, Any, Final, Literal

from pydantic import BeforeValidator, Field, StringConstraints, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from gulfsec.domain.forms._types import Body, PartyCode
from gulfsec.domain.forms._types import MediumText as MediumText  # shared with the forms here
from gulfsec.i18n import N_

# --- JSON-exact scalars --------------------------------------------------------------------


def _json_int(value: Any) -> Any:
    if type(value) is not int:
        raise PydanticCustomError("int_type", "expected a whole number")
    return value


def _json_number(value: Any) -> Any:
    if type(value) is int:
        return float(value)
    if type(value) is not float or not math.isfinite(value):
        raise PydanticCustomError("float_type", "expected a finite number")
    return value


def _json_bool(value: Any) -> Any:
    if type(value) is not bool:
        raise PydanticCustomError("bool_type", "expected true or false")
    return value


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _json_day(value: Any) -> Any:
    if type(value) is date:
        return value
    if type(value) is not str or not _DAY.fullmatch(value):
        raise PydanticCustomError("date_type", "expected a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("date_value", "no such day: {value}", {"value": value}) from None


Int = Annotated[int, BeforeValidator(_json_int)]
Number = Annotated[float, BeforeValidator(_json_number)]
Flag = Annotated[bool, BeforeValidator(_json_bool)]
Day = Annotated[date, BeforeValidator(_json_day)]

# Bounds go before the validator (so that the JSON Schema shows them as minimum/maximum), or
# in the model's ``Field(...)``.
Year = Annotated[int, Field(ge=1990, le=2200), BeforeValidator(_json_int)]
Quantity = Annotated[int, Field(ge=0, le=10_000_000), BeforeValidator(_json_int)]
Money = Annotated[int, Field(ge=0, le=2**53 - 1), BeforeValidator(_json_int)]
"""An amount in whole units of the report's currency (JSON carries integers to 2**53 exactly)."""

Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
"""An ISO 4217 currency code, such as ``IRR`` or ``SAR``."""
RefId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")]
"""A reference the notifying state gives an item (an activity, a unit, a command)."""

ActivityKind = Literal["land", "naval", "air", "amphibious", "airborne"]
ACTIVITY_KIND_WORDS: Final[Mapping[str, str]] = {
    "land": N_("land"), "naval": N_("naval"), "air": N_("air"), "amphibious": N_("amphibious"),
    "airborne": N_("airborne"),
}
"""An activity's kind in words, as a summary line says it (marked for the catalogs: the pages
translate them)."""
WeaponCategory = Literal[
    "battle_tanks",
    "acv",
    "artillery",
    "combat_aircraft",
    "helicopters",
    "major_surface_combatants",
    "submarines",
]

# --- places and areas ----------------------------------------------------------------------


class Point(Body):
    """A point on the WGS 84 ellipsoid."""

    lat: Number = Field(
        ge=-90, le=90, title="Latitude", description="Degrees north (negative: south), -90 to 90."
    )
    lon: Number = Field(
        ge=-180,
        le=180,
        title="Longitude",
        description="Degrees east (negative: west), -180 to 180.",
    )


class Circle(Body):
    """An area given as a centre and a radius."""

    kind: Literal["circle"] = Field(title="Shape", description='Always "circle".')
    centre: Point = Field(title="Centre", description="The centre of the area.")
    radius_km: Number = Field(
        gt=0,
        le=2000,
        title="Radius (km)",
        description="Radius in kilometres, more than 0 and at most 2,000.",
    )


class Polygon(Body):
    """An area given as a closed ring of points: the last point repeats the first."""

    kind: Literal["polygon"] = Field(title="Shape", description='Always "polygon".')
    points: list[Point] = Field(
        min_length=4,
        max_length=500,
        title="Boundary",
        description="A closed ring of 4 to 500 points; the last repeats the first.",
    )

    @field_validator("points")
    @classmethod
    def _closed_ring(cls, points: list[Point]) -> list[Point]:
        if points[0] != points[-1]:
            raise PydanticCustomError(
                "polygon_open", "the ring is not closed: the last point must repeat the first"
            )
        if len(set(points[:-1])) < 3:
            raise PydanticCustomError(
                "polygon_degenerate", "a polygon needs at least 3 distinct points"
            )
        return points


Area = Annotated[Circle | Polygon, Field(discriminator="kind")]


class Location(Body):
    """A named place and its position."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        title="Place", description="The place's name, as on a map."
    )
    point: Point = Field(title="Position", description="Where the place is.")


# --- forces --------------------------------------------------------------------------------


class Forces(Body):
    """Forces taking part in an activity, by category. A category left out is zero."""

    troops: Quantity = Field(default=0, title="Troops", description="Personnel taking part.")
    battle_tanks: Quantity = Field(default=0, title="Battle tanks", description="Battle tanks.")
    acv: Quantity = Field(
        default=0, title="Armoured combat vehicles", description="Armoured combat vehicles."
    )
    artillery: Quantity = Field(
        default=0, title="Artillery", description="Artillery pieces of 100 mm calibre and above."
    )
    combat_aircraft: Quantity = Field(
        default=0, title="Combat aircraft", description="Combat aircraft taking part."
    )
    helicopters: Quantity = Field(
        default=0, title="Helicopters", description="Helicopters taking part."
    )
    aircraft_sorties: Quantity = Field(
        default=0, title="Aircraft sorties", description="Sorties flown over the whole activity."
    )
    major_surface_combatants: Quantity = Field(
        default=0, title="Major surface combatants", description="Warships of 750 tonnes and above."
    )
    submarines: Quantity = Field(
        default=0, title="Submarines", description="Submarines taking part."
    )
    amphibious_ships: Quantity = Field(
        default=0, title="Amphibious ships", description="Amphibious and landing ships."
    )


class Holdings(Body):
    """Major weapon systems held, by category. A category left out is zero."""

    battle_tanks: Quantity = Field(
        default=0, title="Battle tanks", description="Battle tanks held."
    )
    acv: Quantity = Field(
        default=0, title="Armoured combat vehicles", description="Armoured combat vehicles held."
    )
    artillery: Quantity = Field(
        default=0,
        title="Artillery",
        description="Artillery pieces of 100 mm calibre and above held.",
    )
    combat_aircraft: Quantity = Field(
        default=0, title="Combat aircraft", description="Combat aircraft held."
    )
    helicopters: Quantity = Field(default=0, title="Helicopters", description="Helicopters held.")
    major_surface_combatants: Quantity = Field(
        default=0,
        title="Major surface combatants",
        description="Warships of 750 tonnes and above held.",
    )
    submarines: Quantity = Field(default=0, title="Submarines", description="Submarines held.")


class LiveFiring(Body):
    """An area of live firing, and how close it comes to another participant's waters."""

    area: Area = Field(title="Firing area", description="Where the live firing takes place.")
    distance_to_territorial_sea_nm: Number = Field(
        ge=0,
        le=5000,
        title="Distance to territorial sea (nm)",
        description=(
            "Nautical miles from the firing area to the nearest territorial sea of another "
            "participant, as the notifying state declares it; 0 if it reaches into it."
        ),
    )
    nearest_participant: PartyCode = Field(
        title="Nearest participant",
        description="The participant whose territorial sea is nearest to the firing area.",
    )


# --- cross-field helpers -------------------------------------------------------------------


def not_before(field: str) -> Callable[[date, ValidationInfo], date]:
    """A check that a date is not before the date in ``field`` (when that one is valid)."""

    def check(value: date, info: ValidationInfo) -> date:
        earlier = info.data.get(field)
        if isinstance(earlier, date) and value < earlier:
            raise PydanticCustomError(
                "date_order",
                "{value} is before {field} ({earlier})",
                {"value": value.isoformat(), "field": field, "earlier": earlier.isoformat()},
            )
        return value

    return check


def unique(values: list[str], what: str) -> None:
    """Refuse a repeated value in ``values``."""
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise PydanticCustomError(
                "duplicate", "{what} '{value}' is listed twice", {"what": what, "value": value}
            )
        seen.add(value)

