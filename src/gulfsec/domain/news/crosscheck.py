"""News against notifications: is a reported military activity one its state notified?

A coded event is a **reported activity** (:func:`is_activity`) when it is a MOBILIZE, or has
the mode ``exercise``, ``naval`` or ``air`` (a joint exercise is a COOPERATE with mode
``exercise``). Its source, when a regime participant, owed an ``activity-notification@1`` for
it; :func:`search` looks through that participant's notifications (:class:`Notice`) for one
that covers it:

- **dates**: the notified ``start``–``end`` covers the report's day, give or take
  ``slack_days`` (1: news dates the day it is published, which may be the day after, or the
  eve of, the activity);
- **place**, only when the article names a place of :data:`PLACES` (the first one named):
  the notified area is within ``within_km`` (150) of it. A circle's distance is its centre's
  distance less its radius (0 inside); a polygon counts as the circle around its vertices'
  mean with the farthest vertex on its rim (a little generous, never less). Distances are
  great-circle (haversine, Earth radius 6371.0088 km).

A report that no notice covers is a *possible* un-notified activity: news may be wrong, late,
or about an activity below the notification thresholds. :class:`Search` keeps what was looked
at and why each notice did not cover it, so the secretariat can check the search.

Pure: values in, values out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any, Final

ACTIVITY_MODES: Final = frozenset({"exercise", "naval", "air"})
SLACK_DAYS: Final = 1
WITHIN_KM: Final = 150.0
EARTH_KM: Final = 6371.0088

PLACES: Final[Mapping[str, tuple[float, float]]] = MappingProxyType({
    # name: (latitude, longitude), decimal degrees, rounded to 0.01 (about a kilometre)
    "Strait of Hormuz": (26.57, 56.25),
    "Bandar Abbas": (27.18, 56.27),
    "Bushehr": (28.97, 50.84),
    "Kharg": (29.25, 50.31),
    "Abu Musa": (25.87, 55.03),
    "Greater Tunb": (26.26, 55.31),
    "Qeshm": (26.95, 56.27),
    "Jask": (25.64, 57.77),
    "Chabahar": (25.29, 60.64),
    "Ras Tanura": (26.64, 50.16),
    "Jubail": (27.01, 49.66),
    "Dammam": (26.43, 50.10),
    "Bahrain": (26.07, 50.55),
    "Manama": (26.23, 50.59),
    "Doha": (25.29, 51.53),
    "Abu Dhabi": (24.45, 54.38),
    "Dubai": (25.27, 55.30),
    "Fujairah": (25.12, 56.33),
    "Muscat": (23.59, 58.41),
    "Musandam": (26.20, 56.25),
    "Duqm": (19.67, 57.70),
    "Kuwait": (29.38, 47.99),
    "Basra": (30.51, 47.81),
    "Umm Qasr": (30.03, 47.95),
    "Gulf of Oman": (24.50, 58.50),
})
"""Gulf places news names, with coordinates (ports, islands, capitals, straits)."""

_PLACE_PATTERN = re.compile(
    r"\b(" + "|".join(re.escape(name) for name in sorted(PLACES, key=len, reverse=True))
    + r")\b", re.IGNORECASE)
_CANONICAL = {name.lower(): name for name in PLACES}


@dataclass(frozen=True)
class Place:
    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Notice:
    """An activity notification as the search reads it: ``index`` in the log, the notifying
    ``party``, its days, and its area as a circle (``radius_km`` 0: a point)."""

    index: int
    party: str
    name: str
    start: date
    end: date
    lat: float
    lon: float
    radius_km: float


@dataclass(frozen=True)
class Looked:
    """A notice looked at, and whether it covers the report (``why`` it does not)."""

    index: int
    name: str
    start: date
    end: date
    distance_km: float | None
    covers: bool
    why: str

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "name": self.name, "start": self.start.isoformat(),
                "end": self.end.isoformat(),
                "distance_km": None if self.distance_km is None else round(self.distance_km, 1),
                "covers": self.covers, "why": self.why}


@dataclass(frozen=True)
class Search:
    """The search made for one report: whose notices, which days, which place, what it saw."""

    party: str
    day: date
    window: tuple[date, date]
    place: Place | None
    within_km: float
    looked: tuple[Looked, ...]

    @property
    def covered(self) -> bool:
        return any(item.covers for item in self.looked)

    def to_json(self) -> dict[str, Any]:
        return {
            "party": self.party,
            "day": self.day.isoformat(),
            "from": self.window[0].isoformat(),
            "to": self.window[1].isoformat(),
            "place": None if self.place is None else {
                "name": self.place.name, "lat": self.place.lat, "lon": self.place.lon},
            "within_km": self.within_km,
            "notifications": [item.to_json() for item in self.looked],
            "covered": self.covered,
        }


def is_activity(event_type: str, mode: str | None) -> bool:
    """Whether an event reports a military activity a notification may cover."""
    return event_type == "MOBILIZE" or (mode is not None and mode in ACTIVITY_MODES)


def places_in(text: str) -> list[Place]:
    """The places of :data:`PLACES` that ``text`` names, in the order named, each once."""
    found: list[Place] = []
    for match in _PLACE_PATTERN.finditer(text):
        name = _CANONICAL[match.group(1).lower()]
        if all(place.name != name for place in found):
            lat, lon = PLACES[name]
            found.append(Place(name, lat, lon))
    return found


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The great-circle distance between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(h)))


def circle_around(points: Sequence[tuple[float, float]]) -> tuple[float, float, float]:
    """(lat, lon, radius_km) of a circle holding every point: centred on their mean, its rim
    on the farthest one."""
    if not points:
        raise ValueError("a polygon needs points")
    lat = sum(p[0] for p in points) / len(points)
    lon = sum(p[1] for p in points) / len(points)
    return lat, lon, max(distance_km((lat, lon), p) for p in points)


def search(party: str, day: date, place: Place | None, notices: Iterable[Notice], *,
           slack_days: int = SLACK_DAYS, within_km: float = WITHIN_KM) -> Search:
    """Look through ``party``'s ``notices`` for one covering an activity reported on ``day``
    (at ``place``, if named): see the module's rules."""
    if slack_days < 0 or not (math.isfinite(within_km) and within_km >= 0):
        raise ValueError("slack_days and within_km are zero or more")
    slack = timedelta(days=slack_days)
    looked: list[Looked] = []
    for notice in notices:
        if notice.party != party:
            continue
        away: float | None = None
        if place is not None:
            away = max(0.0, distance_km((place.lat, place.lon), (notice.lat, notice.lon))
                       - notice.radius_km)
        in_time = notice.start - slack <= day <= notice.end + slack
        near = away is None or away <= within_km
        if in_time and near:
            why = "covers the report"
        elif not in_time:
            why = "other days"
        else:
            why = f"area {away:.0f} km from {place.name if place else ''}"
        looked.append(Looked(notice.index, notice.name, notice.start, notice.end, away,
                             in_time and near, why))
    return Search(party, day, (day - slack, day + slack), place, within_km, tuple(looked))
