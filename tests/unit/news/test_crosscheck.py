"""News against notifications: the pure search, at the edges of its window and its distance."""

from __future__ import annotations

from datetime import date

import pytest

from gulfsec.domain.news.crosscheck import (
    PLACES,
    Notice,
    Place,
    circle_around,
    distance_km,
    is_activity,
    places_in,
    search,
)

HORMUZ = Place("Strait of Hormuz", *PLACES["Strait of Hormuz"])


def drill(start: date, end: date, *, lat: float = 26.57, lon: float = 56.25,
          radius_km: float = 10.0, party: str = "IRN") -> Notice:
    return Notice(7, party, "Velayat", start, end, lat, lon, radius_km)


WINDOW = (date(2020, 1, 10), date(2020, 1, 12))


def test_a_report_inside_the_notified_days_is_covered() -> None:
    assert search("IRN", date(2020, 1, 11), HORMUZ, [drill(*WINDOW)]).covered


@pytest.mark.parametrize("day", [date(2020, 1, 9), date(2020, 1, 13)])
def test_a_report_a_day_before_or_after_the_window_is_still_covered(day: date) -> None:
    assert search("IRN", day, HORMUZ, [drill(*WINDOW)]).covered


@pytest.mark.parametrize("day", [date(2020, 1, 8), date(2020, 1, 14)])
def test_a_report_two_days_outside_the_window_is_not_covered(day: date) -> None:
    made = search("IRN", day, HORMUZ, [drill(*WINDOW)])
    assert not made.covered
    assert made.looked[0].why == "other days"


def test_an_area_within_150_km_of_the_named_place_covers_it() -> None:
    # Bandar Abbas is some 68 km from the strait's point: inside
    bandar = Place("Bandar Abbas", *PLACES["Bandar Abbas"])
    assert search("IRN", date(2020, 1, 11), bandar, [drill(*WINDOW, radius_km=1)]).covered


def test_an_area_just_beyond_the_distance_does_not_cover_it() -> None:
    # a point 1.5 degrees of latitude north of the strait: about 167 km
    far = drill(*WINDOW, lat=26.57 + 1.5, radius_km=1.0)
    made = search("IRN", date(2020, 1, 11), HORMUZ, [far])
    assert not made.covered
    assert made.looked[0].distance_km == pytest.approx(166, abs=1)
    assert made.looked[0].why.startswith("area 166 km")
    # its radius counts: a wider circle reaches the place
    wide = drill(*WINDOW, lat=26.57 + 1.5, radius_km=20.0)
    assert search("IRN", date(2020, 1, 11), HORMUZ, [wide]).covered


def test_the_distance_limit_is_inclusive_at_its_edge() -> None:
    notice = drill(*WINDOW, lat=26.57 + 1.5, radius_km=1.0)
    away = distance_km((HORMUZ.lat, HORMUZ.lon), (notice.lat, notice.lon)) - 1.0
    assert search("IRN", date(2020, 1, 11), HORMUZ, [notice], within_km=away).covered
    assert not search("IRN", date(2020, 1, 11), HORMUZ, [notice], within_km=away - 0.1).covered


def test_without_a_named_place_only_the_days_count() -> None:
    far = drill(*WINDOW, lat=12.0, lon=45.0)
    assert search("IRN", date(2020, 1, 11), None, [far]).covered


def test_another_partys_notification_is_not_looked_at() -> None:
    made = search("SAU", date(2020, 1, 11), HORMUZ, [drill(*WINDOW)])
    assert not made.covered and made.looked == ()


def test_the_search_says_what_it_looked_at() -> None:
    made = search("IRN", date(2020, 1, 20), HORMUZ, [drill(*WINDOW)]).to_json()
    assert made["party"] == "IRN"
    assert (made["from"], made["to"]) == ("2020-01-19", "2020-01-21")
    assert made["place"]["name"] == "Strait of Hormuz"
    assert made["notifications"][0]["index"] == 7
    assert made["covered"] is False


def test_places_are_found_by_name_in_order_once() -> None:
    text = "Drills off Jask and bandar abbas, then again near Jask."
    assert [p.name for p in places_in(text)] == ["Jask", "Bandar Abbas"]
    assert places_in("Nothing here.") == []


def test_a_polygon_counts_as_the_circle_around_it() -> None:
    corners = [(26.0, 56.0), (27.0, 56.0), (27.0, 57.0), (26.0, 57.0)]
    lat, lon, radius = circle_around(corners)
    assert (lat, lon) == (26.5, 56.5)
    assert radius == pytest.approx(max(distance_km((26.5, 56.5), c) for c in corners))


@pytest.mark.parametrize(("kind", "mode", "expected"), [
    ("MOBILIZE", None, True), ("COOPERATE", "exercise", True), ("ASSAULT", "air", True),
    ("COERCE", "naval", True), ("CONSULT", "visit", False), ("ASSAULT", None, False),
])
def test_what_counts_as_a_reported_activity(kind: str, mode: str | None, expected: bool) -> None:
    assert is_activity(kind, mode) is expected
