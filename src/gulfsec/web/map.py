"""The map of the Gulf on the pages: an inline SVG drawn on the server, with nothing fetched.

The land and borders are Natural Earth's, clipped to the Gulf (``geodata/gulf.json``, see its
README; read once, on first use). The projection is equirectangular over the data's frame, its
``x`` scaled by the cosine of the frame's middle latitude, so that a kilometre is as long east
to west as north to south there and a circle on the ground is a circle on the map
(:class:`Projection`). On it: a few labelled places (:data:`PLACES`), and the features a page
hands over — incidents as numbered markers, areas (circles or polygons) of requests on unusual
military activity and of notified activities — each with a ``<title>`` and a link to its page.

The picture is never the only place anything is said: :func:`draw` returns, with the SVG, the
list of every feature in words (where it is, and whether it lies outside the map's frame or has
no coordinates), which the page shows beside the map (``_map.html``). The SVG is
``role="img"`` with a title and a description; what lies outside the frame is listed and clipped
from the picture. No script, no tiles, no style attribute (the pages' Content-Security-Policy
allows none): colours are SVG presentation attributes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Final, Literal

from markupsafe import Markup, escape

from gulfsec.i18n import N_, _

KM_PER_DEGREE: Final = 2 * math.pi * 6371.0 / 360
"""Kilometres in a degree of latitude (a sphere of the Earth's mean radius, 6,371 km)."""
WIDTH: Final = 960.0
"""The map's width in SVG user units; its height follows from the frame."""

FeatureKind = Literal["incident", "unusual", "activity"]


@dataclass(frozen=True)
class Place:
    """A place the map names: its name, latitude and longitude (degrees)."""

    name: str
    lat: float
    lon: float
    anchor: Literal["start", "end", "middle"] = "start"


PLACES: Final[tuple[Place, ...]] = (
    Place(N_("Strait of Hormuz"), 26.57, 56.25, "middle"),
    Place(N_("Bandar Abbas"), 27.18, 56.27, "start"),
    Place(N_("Bushehr"), 28.97, 50.84, "start"),
    Place(N_("Kuwait City"), 29.38, 47.98, "end"),
    Place(N_("Basra"), 30.51, 47.81, "start"),
    Place(N_("Dammam"), 26.43, 50.10, "end"),
    Place(N_("Manama"), 26.23, 50.59, "start"),
    Place(N_("Doha"), 25.29, 51.53, "start"),
    Place(N_("Abu Dhabi"), 24.45, 54.38, "end"),
    Place(N_("Dubai"), 25.20, 55.27, "end"),
    Place(N_("Muscat"), 23.59, 58.41, "start"),
    Place(N_("Riyadh"), 24.71, 46.68, "start"),
    Place(N_("Chabahar"), 25.29, 60.64, "end"),
)
"""Places named on the map. Their coordinates are the cities' centres (the strait's: its
narrowest point), to the hundredth of a degree. The names are translated where drawn."""

SEA: Final = "#dcebf5"
LAND: Final = "#f1ede3"
BORDER: Final = "#8a8170"
PLACE_INK: Final = "#3b3f45"
COLOURS: Final[Mapping[FeatureKind, str]] = {
    "incident": "#b3261e",
    "unusual": "#b35c00",
    "activity": "#1f5fa8",
}
"""The colour of each kind of feature (dark enough for text on white, and told apart by shape
and label too: markers are numbered, areas are lettered and dashed or solid)."""
LEGEND: Final[Mapping[FeatureKind, str]] = {
    "incident": N_("Hazardous incident (numbered)"),
    "unusual": N_("Area of a request on unusual activity (dashed)"),
    "activity": N_("Area of a notified activity (solid)"),
}


# -- the projection ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Projection:
    """Equirectangular over ``west, south, east, north`` (degrees), ``x`` scaled by the cosine
    of the middle latitude; ``width`` SVG units wide, north up."""

    west: float
    south: float
    east: float
    north: float
    width: float = WIDTH

    def __post_init__(self) -> None:
        if not (self.west < self.east and self.south < self.north):
            raise ValueError("a frame runs west to east and south to north")

    @property
    def k(self) -> float:
        """The cosine of the frame's middle latitude: how much shorter a degree of longitude
        is than a degree of latitude there."""
        return math.cos(math.radians((self.south + self.north) / 2))

    @property
    def scale(self) -> float:
        """SVG units per degree of latitude."""
        return self.width / ((self.east - self.west) * self.k)

    @property
    def height(self) -> float:
        return (self.north - self.south) * self.scale

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        """Where the point (``lat``, ``lon``) falls on the map, in SVG units from its top left
        corner (outside ``0..width`` and ``0..height`` when it lies outside the frame)."""
        return (lon - self.west) * self.k * self.scale, (self.north - lat) * self.scale

    def km(self, distance_km: float) -> float:
        """A distance on the ground, in SVG units (exact at the middle latitude)."""
        return distance_km / KM_PER_DEGREE * self.scale

    def contains(self, lat: float, lon: float) -> bool:
        return self.south <= lat <= self.north and self.west <= lon <= self.east

    def overlaps(self, south: float, west: float, north: float, east: float) -> bool:
        """Whether the box ``south..north`` × ``west..east`` meets the frame."""
        return not (north < self.south or south > self.north or east < self.west
                    or west > self.east)


# -- the geography -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Country:
    name: str
    rings: tuple[tuple[tuple[float, float], ...], ...]
    """Each ring as (lon, lat) points, as Natural Earth gives them, clipped to the frame."""


@dataclass(frozen=True)
class Geography:
    frame: tuple[float, float, float, float]
    """West, south, east, north (degrees)."""
    countries: tuple[Country, ...]
    source: str

    def projection(self) -> Projection:
        return Projection(*self.frame)


def parse_geography(data: Mapping[str, Any]) -> Geography:
    """The geography of ``gulf.json``'s shape; ValueError when it is not that shape."""
    try:
        west, south, east, north = (float(v) for v in data["frame"])
        countries = tuple(
            Country(str(c["name"]), tuple(tuple((float(p[0]), float(p[1])) for p in ring)
                                          for ring in c["rings"]))
            for c in data["countries"])
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ValueError(f"not map data of the gulf.json shape: {exc}") from None
    return Geography((west, south, east, north), countries, str(data.get("source", "")))


@cache
def gulf() -> Geography:
    """The packaged map data (read on first use, then kept)."""
    text = resources.files("gulfsec.web").joinpath("geodata", "gulf.json").read_text("utf-8")
    return parse_geography(json.loads(text))


# -- features ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Feature:
    """Something the page puts on the map: an incident at a point, or an area (a ``circle`` or
    ``polygon`` object as the forms write them), with its label on the map (``1``, ``U2``), its
    title (said, after the label, by the marker's ``<title>`` and by the list beside the map)
    and the page it links to."""

    kind: FeatureKind
    label: str
    title: str
    href: str | None = None
    point: tuple[float, float] | None = None
    """(lat, lon) of a marker."""
    area: Mapping[str, Any] | None = None
    area_name: str | None = None
    """A named area, when the feature gives no coordinates (listed, not drawn)."""


@dataclass(frozen=True)
class Listed:
    """A feature as the list beside the map says it."""

    feature: Feature
    where: str
    drawn: Literal["inside", "partly", "outside", "not-drawn"]

    @property
    def note(self) -> str:
        if self.drawn == "partly":
            return _("partly outside the map's frame")
        if self.drawn == "outside":
            return _("outside the map's frame: not drawn")
        if self.drawn == "not-drawn":
            return _("no coordinates given: not drawn")
        return ""


@dataclass(frozen=True)
class GulfMap:
    """The SVG and what it shows, in words."""

    svg: Markup
    listed: list[Listed] = field(default_factory=list)

    def of_kind(self, kind: FeatureKind) -> list[Listed]:
        return [item for item in self.listed if item.feature.kind == kind]


def degrees(lat: float, lon: float) -> str:
    """A position in words: ``26.52° N, 56.41° E``."""
    return (f"{abs(lat):.2f}° {'N' if lat >= 0 else 'S'}, "
            f"{abs(lon):.2f}° {'E' if lon >= 0 else 'W'}")


def area_words(area: Mapping[str, Any] | None, name: str | None = None) -> str:
    """An area in words: a circle's radius and centre, a polygon's corners; or its name."""
    parts = []
    if area is not None and area.get("kind") == "circle":
        centre = area["centre"]
        parts.append(_("within %(km)s km of %(centre)s")
                     % {"km": _number(float(area["radius_km"])),
                        "centre": degrees(float(centre["lat"]), float(centre["lon"]))})
    elif area is not None and area.get("kind") == "polygon":
        points = area["points"][:-1]
        corners = "; ".join(degrees(float(p["lat"]), float(p["lon"])) for p in points[:6])
        more = (" " + _("and %(n)s more") % {"n": len(points) - 6}) if len(points) > 6 else ""
        parts.append(_("a polygon of %(n)s corners: %(corners)s%(more)s")
                     % {"n": len(points), "corners": corners, "more": more})
    if name:
        parts.append(f"“{name}”" if parts else name)
    return ", ".join(parts) if parts else _("no area given")


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def _placed(projection: Projection, feature: Feature) -> Listed:
    if feature.point is not None:
        lat, lon = feature.point
        drawn: Literal["inside", "partly", "outside", "not-drawn"] = (
            "inside" if projection.contains(lat, lon) else "outside")
        return Listed(feature, degrees(lat, lon), drawn)
    area = feature.area
    if area is None:
        return Listed(feature, area_words(None, feature.area_name), "not-drawn")
    south, west, north, east = _bounds(area)
    if not projection.overlaps(south, west, north, east):
        drawn = "outside"
    elif (projection.contains(south, west) and projection.contains(north, east)):
        drawn = "inside"
    else:
        drawn = "partly"
    return Listed(feature, area_words(area, feature.area_name), drawn)


def _bounds(area: Mapping[str, Any]) -> tuple[float, float, float, float]:
    """South, west, north, east of an area (a circle's: its centre ± its radius)."""
    if area["kind"] == "circle":
        lat, lon = float(area["centre"]["lat"]), float(area["centre"]["lon"])
        dlat = float(area["radius_km"]) / KM_PER_DEGREE
        dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
        return lat - dlat, lon - dlon, lat + dlat, lon + dlon
    lats = [float(p["lat"]) for p in area["points"]]
    lons = [float(p["lon"]) for p in area["points"]]
    return min(lats), min(lons), max(lats), max(lons)


# -- drawing -------------------------------------------------------------------------------------


def _f(value: float) -> str:
    """A coordinate to a tenth of an SVG unit (sub-pixel at any sensible size)."""
    text = f"{value:.1f}"
    return "0" if text in ("0.0", "-0.0") else text.removesuffix(".0")


def _attrs(**values: object) -> Markup:
    """``name="value"`` pairs, escaped; a trailing underscore is dropped, ``_`` becomes ``-``."""
    return Markup(" ").join(
        Markup('{}="{}"').format(Markup(k.rstrip("_").replace("_", "-")), str(v))
        for k, v in values.items() if v is not None)


def _ring_path(projection: Projection, ring: Sequence[tuple[float, float]]) -> str:
    points = [projection.xy(lat, lon) for lon, lat in ring]
    return "M" + "L".join(f"{_f(x)},{_f(y)}" for x, y in points) + "Z"


@cache
def _land(projection: Projection, geography: Geography) -> Markup:
    """The land layer: one path per country, filled and stroked (its borders)."""
    out = []
    for country in geography.countries:
        d = "".join(_ring_path(projection, ring) for ring in country.rings)
        out.append(Markup("<path {}><title>{}</title></path>").format(
            _attrs(d=d, fill_rule="evenodd"), country.name))
    return Markup("").join(out)


def _places(projection: Projection) -> Markup:
    out = []
    for place in PLACES:
        if not projection.contains(place.lat, place.lon):
            continue
        x, y = projection.xy(place.lat, place.lon)
        dx = {"start": 6, "end": -6, "middle": 0}[place.anchor]
        dy = 22 if place.anchor == "middle" else 4
        out.append(Markup("<circle {}/><text {}>{}</text>").format(
            _attrs(cx=_f(x), cy=_f(y), r="2.5"),
            _attrs(x=_f(x + dx), y=_f(y + dy), text_anchor=place.anchor), _(place.name)))
    return Markup("").join(out)


def _linked(feature: Feature, inner: Markup) -> Markup:
    titled = Markup("<title>{}: {}</title>{}").format(feature.label, feature.title, inner)
    if feature.href is None:
        return Markup("<g>{}</g>").format(titled)
    return Markup("<a {}>{}</a>").format(_attrs(href=feature.href), titled)


def _area_shape(projection: Projection, feature: Feature) -> Markup:
    area = feature.area
    assert area is not None
    colour = COLOURS[feature.kind]
    style = _attrs(fill=colour, fill_opacity="0.16", stroke=colour, stroke_width="2",
                   stroke_dasharray="7 4" if feature.kind == "unusual" else None)
    if area["kind"] == "circle":
        lat, lon = float(area["centre"]["lat"]), float(area["centre"]["lon"])
        x, y = projection.xy(lat, lon)
        r = projection.km(float(area["radius_km"]))
        shape = Markup("<circle {} {}/>").format(_attrs(cx=_f(x), cy=_f(y), r=_f(r)), style)
    else:
        ring = [(float(p["lon"]), float(p["lat"])) for p in area["points"]]
        corners = ring[:-1]
        x, y = projection.xy(sum(lat for _lon, lat in corners) / len(corners),
                             sum(lon for lon, _lat in corners) / len(corners))
        shape = Markup("<path {} {}/>").format(_attrs(d=_ring_path(projection, ring)), style)
    label = Markup("<text {}>{}</text>").format(
        _attrs(x=_f(x), y=_f(y + 5), text_anchor="middle", fill=colour, font_weight="700",
               font_size="15"), feature.label)
    return _linked(feature, shape + label)


def _marker(projection: Projection, feature: Feature) -> Markup:
    assert feature.point is not None
    x, y = projection.xy(*feature.point)
    colour = COLOURS[feature.kind]
    inner = Markup("<circle {}/><text {}>{}</text>").format(
        _attrs(cx=_f(x), cy=_f(y), r="10", fill=colour, stroke="#ffffff", stroke_width="2"),
        _attrs(x=_f(x), y=_f(y + 4.5), text_anchor="middle", fill="#ffffff",
               font_weight="700", font_size="13"), feature.label)
    return _linked(feature, inner)


def _legend(projection: Projection, kinds: Sequence[FeatureKind]) -> Markup:
    rows = [Markup("<text {}>{}</text>").format(_attrs(x="12", y="20", font_weight="700"),
                                                 _("Legend"))]
    for i, kind in enumerate(kinds):
        y = 40 + 22 * i
        colour = COLOURS[kind]
        if kind == "incident":
            symbol = Markup("<circle {}/>").format(
                _attrs(cx="20", cy=_f(y - 4), r="7", fill=colour))
        else:
            symbol = Markup("<rect {}/>").format(_attrs(
                x="12", y=_f(y - 11), width="16", height="13", fill=colour, fill_opacity="0.16",
                stroke=colour, stroke_width="2",
                stroke_dasharray="4 2" if kind == "unusual" else None))
        rows.append(symbol + Markup("<text {}>{}</text>").format(
            _attrs(x="36", y=_f(y)), _(LEGEND[kind])))
    height = 30 + 22 * len(kinds)
    box = Markup("<rect {}/>").format(_attrs(x="0", y="0", width="360", height=_f(height),
                                             fill="#ffffff", fill_opacity="0.9",
                                             stroke=BORDER))
    top = projection.height - height - 10
    return Markup('<g id="map-legend" {}>{}{}</g>').format(
        _attrs(transform=f"translate(10 {_f(top)})", font_size="13"), box,
        Markup("").join(rows))


def draw(features: Sequence[Feature], *, title: str = N_("Map of the Gulf"),
         ident: str = "gulf-map", geography: Geography | None = None) -> GulfMap:
    """The map with ``features`` on it, and the list of them in words. ``ident`` prefixes the
    SVG's element ids (one map per page needs none other). ``title`` is a message, translated
    here like every word drawn."""
    geo = gulf() if geography is None else geography
    projection = geo.projection()
    listed = [_placed(projection, f) for f in features]
    drawable = [item.feature for item in listed if item.drawn in ("inside", "partly")]
    areas = [f for f in drawable if f.area is not None and f.point is None]
    markers = [f for f in drawable if f.point is not None]
    counts = {kind: sum(1 for item in listed if item.feature.kind == kind)
              for kind in COLOURS}
    description = (_("%(incidents)s incidents, %(unusual)s areas of requests on unusual "
                     "activity and %(activities)s areas of notified activities are listed "
                     "beside the map, with where each is; %(drawn)s of them are drawn on it.")
                   % {"incidents": counts["incident"], "unusual": counts["unusual"],
                      "activities": counts["activity"], "drawn": len(drawable)})
    width, height = _f(projection.width), _f(projection.height)
    clip = f"{ident}-clip"
    parts = [
        Markup("<title {}>{}</title><desc {}>{}</desc>").format(
            _attrs(id=f"{ident}-title"), _(title), _attrs(id=f"{ident}-desc"), description),
        Markup("<defs><clipPath {}><rect {}/></clipPath></defs>").format(
            _attrs(id=clip), _attrs(x="0", y="0", width=width, height=height)),
        Markup("<rect {}/>").format(_attrs(x="0", y="0", width=width, height=height,
                                           fill=SEA)),
        Markup('<g id="{}-land" {}>{}</g>').format(
            Markup(escape(ident)), _attrs(fill=LAND, stroke=BORDER, stroke_width="0.8",
                                          stroke_linejoin="round"),
            _land(projection, geo)),
        Markup('<g id="{}-places" {}>{}</g>').format(
            Markup(escape(ident)), _attrs(fill=PLACE_INK, font_size="13"),
            _places(projection)),
        Markup('<g id="{}-areas" {}>{}</g>').format(
            Markup(escape(ident)), _attrs(clip_path=f"url(#{clip})"),
            Markup("").join(_area_shape(projection, f) for f in areas)),
        Markup('<g id="{}-incidents" {}>{}</g>').format(
            Markup(escape(ident)), _attrs(clip_path=f"url(#{clip})"),
            Markup("").join(_marker(projection, f) for f in markers)),
        _legend(projection, [k for k in COLOURS if counts[k]] or list(COLOURS)),
        Markup("<text {}>{}</text>").format(
            _attrs(x=_f(projection.width - 8), y=_f(projection.height - 8),
                   text_anchor="end", font_size="11", fill=PLACE_INK),
            _("Land and borders: Natural Earth; borders are no statement on any boundary")),
    ]
    svg = Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" {}>{}</svg>').format(
        _attrs(id=ident, class_="gulf-map", viewBox=f"0 0 {width} {height}", role="img",
               aria_labelledby=f"{ident}-title {ident}-desc", direction="ltr",
               font_family="sans-serif", preserveAspectRatio="xMidYMid meet"),
        Markup("").join(parts))
    return GulfMap(svg, listed)
