"""The map of the Gulf (``gulfsec.web.map``): its projection, its circles, its SVG, and the list
that says in words everything it draws."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest

from gulfsec.web.map import (
    KM_PER_DEGREE,
    PLACES,
    Feature,
    Projection,
    area_words,
    degrees,
    draw,
    gulf,
    parse_geography,
)

SVG = "{http://www.w3.org/2000/svg}"
GULF = Projection(46.0, 22.0, 61.0, 31.5)
HORMUZ = next(p for p in PLACES if p.name == "Strait of Hormuz")


def circle(lat: float, lon: float, radius_km: float) -> dict[str, object]:
    return {"kind": "circle", "centre": {"lat": lat, "lon": lon}, "radius_km": radius_km}


def test_the_packaged_data_is_the_gulf_frame_with_its_coastal_states() -> None:
    geo = gulf()
    assert geo.frame == (46.0, 22.0, 61.0, 31.5)
    assert geo.projection() == GULF
    names = {c.name for c in geo.countries}
    assert {"Iran", "Saudi Arabia", "Qatar", "Bahrain", "Kuwait", "Oman",
            "United Arab Emirates", "Iraq"} <= names
    for country in geo.countries:
        for ring in country.rings:
            assert all(46.0 <= lon <= 61.0 and 22.0 <= lat <= 31.5 for lon, lat in ring)


def test_the_corners_of_the_frame_are_the_corners_of_the_map() -> None:
    assert GULF.xy(31.5, 46.0) == pytest.approx((0, 0))
    assert GULF.xy(31.5, 61.0) == pytest.approx((GULF.width, 0))
    assert GULF.xy(22.0, 46.0) == pytest.approx((0, GULF.height))
    assert GULF.xy(22.0, 61.0) == pytest.approx((GULF.width, GULF.height))


def test_x_is_shortened_by_the_cosine_of_the_middle_latitude() -> None:
    k = math.cos(math.radians(26.75))
    assert GULF.k == pytest.approx(k)
    # 15 degrees of longitude by 9.5 of latitude, a degree of longitude k as long
    assert GULF.height / GULF.width == pytest.approx(9.5 / (15 * k))
    # one degree east is k times one degree north, anywhere on the map
    x0, y0 = GULF.xy(26.0, 50.0)
    x1, _ = GULF.xy(26.0, 51.0)
    _, y1 = GULF.xy(27.0, 50.0)
    assert (x1 - x0) / (y0 - y1) == pytest.approx(k)


def test_the_strait_of_hormuz_falls_where_it_should() -> None:
    x, y = GULF.xy(HORMUZ.lat, HORMUZ.lon)
    assert x == pytest.approx((56.25 - 46) / 15 * GULF.width)
    assert y == pytest.approx((31.5 - 26.57) / 9.5 * GULF.height)
    assert (round(x), round(y)) == (656, 353)
    assert GULF.contains(HORMUZ.lat, HORMUZ.lon)


def test_a_circles_radius_is_its_kilometres_on_the_map() -> None:
    assert KM_PER_DEGREE == pytest.approx(111.195, abs=1e-3)
    # a degree of latitude (111.2 km) is GULF.scale units tall
    assert GULF.km(KM_PER_DEGREE) == pytest.approx(GULF.scale)
    assert GULF.km(100) == pytest.approx(100 / 111.195 * GULF.width / (15 * GULF.k), rel=1e-4)
    found = draw([Feature("unusual", "U1", "Air activity", "/unusual/x",
                          area=circle(27.1, 51.4, 90))])
    shape = ET.fromstring(str(found.svg)).find(f".//{SVG}g[@id='gulf-map-areas']//{SVG}circle")
    assert shape is not None
    assert float(shape.get("r", "0")) == pytest.approx(GULF.km(90), abs=0.06)
    cx, cy = GULF.xy(27.1, 51.4)
    assert (float(shape.get("cx", "0")), float(shape.get("cy", "0"))) == pytest.approx(
        (cx, cy), abs=0.06)
    assert shape.get("stroke-dasharray")  # a request's area is dashed, not told by colour alone


def test_the_svg_is_well_formed_an_image_with_a_title_and_links_to_each_feature() -> None:
    found = draw([
        Feature("incident", "1", "USA and IRN: unsafe manoeuvre", "/incidents/ab",
                point=(26.52, 56.41)),
        Feature("activity", "N1", "IRN: Maritime Security Belt <naval>", None,
                area={"kind": "polygon", "points": [
                    {"lat": 25.0, "lon": 57.0}, {"lat": 25.0, "lon": 59.0},
                    {"lat": 24.0, "lon": 58.0}, {"lat": 25.0, "lon": 57.0}]}),
    ])
    root = ET.fromstring(str(found.svg))  # raises if it is not well-formed XML
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "gulf-map-title gulf-map-desc"
    assert root.get("viewBox") == f"0 0 960 {GULF.height:.1f}"
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == "Map of the Gulf"
    desc = root.find(f"{SVG}desc")
    assert desc is not None and "listed beside the map" in (desc.text or "")
    land = root.find(f".//{SVG}g[@id='gulf-map-land']")
    assert land is not None and len(land.findall(f"{SVG}path")) == len(gulf().countries)
    assert {t.text for t in land.iter(f"{SVG}title")} >= {"Iran", "Qatar"}
    place_names = {t.text for t in root.find(f".//{SVG}g[@id='gulf-map-places']")
                   .iter(f"{SVG}text")}  # type: ignore[union-attr]
    assert {"Strait of Hormuz", "Bushehr", "Dubai", "Doha", "Kuwait City"} <= place_names
    marker = root.find(f".//{SVG}g[@id='gulf-map-incidents']/{SVG}a")
    assert marker is not None and marker.get("href") == "/incidents/ab"
    assert marker[0].tag == f"{SVG}title"  # the title first: it names the link
    assert marker[0].text == "1: USA and IRN: unsafe manoeuvre"
    polygon = root.find(f".//{SVG}g[@id='gulf-map-areas']/{SVG}g/{SVG}path")
    assert polygon is not None and polygon.get("d", "").endswith("Z")
    assert "&lt;naval&gt;" in str(found.svg)  # text is escaped
    legend = root.find(f".//{SVG}g[@id='map-legend']")
    assert legend is not None
    assert [t.text for t in legend.iter(f"{SVG}text")][1:] == [
        "Hazardous incident (numbered)", "Area of a notified activity (solid)"]
    assert "<script" not in str(found.svg) and "style=" not in str(found.svg)
    assert "http" not in str(found.svg).replace("http://www.w3.org/2000/svg", "")


def test_what_lies_outside_the_frame_is_listed_and_clipped_from_the_picture() -> None:
    found = draw([
        Feature("incident", "1", "In the Gulf of Oman", "/incidents/a", point=(24.9, 58.0)),
        Feature("incident", "2", "In the Red Sea", "/incidents/b", point=(20.0, 38.5)),
        Feature("unusual", "U1", "Over the Arabian Sea", None, area=circle(18.0, 62.0, 100)),
        Feature("unusual", "U2", "Astride the frame", None, area=circle(31.4, 50.0, 150)),
        Feature("unusual", "U3", "Named only", None, area_name="central Gulf"),
    ])
    listed = {item.feature.label: item for item in found.listed}
    assert [item.feature.label for item in found.listed] == ["1", "2", "U1", "U2", "U3"]
    assert (listed["1"].drawn, listed["1"].note) == ("inside", "")
    assert listed["2"].drawn == "outside" and listed["2"].where == "20.00° N, 38.50° E"
    assert listed["2"].note == "outside the map's frame: not drawn"
    assert listed["U1"].drawn == "outside"
    assert listed["U2"].drawn == "partly" and "partly outside" in listed["U2"].note
    assert listed["U3"].drawn == "not-drawn" and listed["U3"].where == "central Gulf"

    root = ET.fromstring(str(found.svg))
    markers = root.findall(f".//{SVG}g[@id='gulf-map-incidents']/{SVG}a")
    assert [m.get("href") for m in markers] == ["/incidents/a"]
    areas = root.find(f".//{SVG}g[@id='gulf-map-areas']")
    assert areas is not None and areas.get("clip-path") == "url(#gulf-map-clip)"
    assert [t.text for t in areas.iter(f"{SVG}title")] == ["U2: Astride the frame"]
    clip = root.find(f".//{SVG}clipPath[@id='gulf-map-clip']/{SVG}rect")
    assert clip is not None and clip.get("width") == "960"
    assert "2 of them are drawn" in (root.find(f"{SVG}desc").text or "")  # type: ignore[union-attr]


def test_positions_and_areas_read_in_words() -> None:
    assert degrees(26.52, 56.41) == "26.52° N, 56.41° E"
    assert degrees(-1.5, -0.25) == "1.50° S, 0.25° W"
    assert area_words(circle(27.1, 51.4, 90), "central Gulf") == (
        "within 90 km of 27.10° N, 51.40° E, “central Gulf”")
    assert area_words(None, None) == "no area given"
    ring = [{"lat": 25 + i / 10, "lon": 52.0} for i in range(8)] + [{"lat": 25.0, "lon": 52.0}]
    assert area_words({"kind": "polygon", "points": ring}).startswith(
        "a polygon of 8 corners: 25.00° N, 52.00° E;")
    assert area_words({"kind": "polygon", "points": ring}).endswith("and 2 more")


def test_map_data_of_another_shape_is_refused_and_a_backwards_frame_too() -> None:
    with pytest.raises(ValueError, match="gulf.json shape"):
        parse_geography({"frame": [46, 22, 61], "countries": []})
    with pytest.raises(ValueError, match="gulf.json shape"):
        parse_geography({"frame": [46, 22, 61, 31.5], "countries": [{"name": "X"}]})
    with pytest.raises(ValueError, match="west to east"):
        Projection(61.0, 22.0, 46.0, 31.5)
