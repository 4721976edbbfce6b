"""The tension index drawn by hand: the SVGs parse as XML and carry a title per cell and point."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from gulfsec.web.news import band_of, heat_map, line_plot, scale, ticks

SVG = "{http://www.w3.org/2000/svg}"


def _titles(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return [t.text or "" for t in root.iter(f"{SVG}title")]


def test_the_heat_map_parses_and_gives_each_pair_a_title_and_a_link() -> None:
    svg = heat_map(["IRN", "QAT", "SAU"], {"IRN-SAU": 31.5, "QAT-SAU": 4.0}, "2016-01", 20.0,
                   lambda pair: f"/secretariat/news/pair/{pair}")
    titles = _titles(str(svg))
    assert titles[0] == "Tension between pairs, 2016-01"
    assert "IRN\u2013SAU, 2016-01: index 31.5" in titles
    assert "QAT\u2013SAU, 2016-01: index 4" in titles
    assert "IRN\u2013QAT, 2016-01: index 0" in titles
    assert len(titles) == 1 + 3  # the map's own, and one per pair below the diagonal
    root = ET.fromstring(str(svg))
    links = {a.get("href") for a in root.iter(f"{SVG}a")}
    assert "/secretariat/news/pair/IRN-SAU" in links
    assert "style" not in str(svg)


def test_a_cell_over_the_threshold_is_dark_with_white_ink() -> None:
    bands = scale(20.0)
    assert band_of(0.0, bands).label == "0"
    assert band_of(25.0, bands).ink == "#ffffff"
    assert band_of(3.0, bands).ink == "#222222"


def test_the_line_plot_parses_with_axes_ticks_and_a_title_per_point() -> None:
    points = [("2015-12", 0.0), ("2016-01", 42.0), ("2016-02", 21.0)]
    svg = str(line_plot("IRN-SAU", points, 20.0))
    titles = _titles(svg)
    assert titles[0] == "Tension index of IRN\u2013SAU"
    assert "IRN\u2013SAU, 2016-01: index 42" in titles
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"2015-12", "2016-01", "2016-02"} <= set(texts)
    assert "50" in texts and "0" in texts  # index ticks up past the highest point
    assert len(list(root.iter(f"{SVG}circle"))) == 3


def test_a_plot_of_one_period_or_none_still_parses() -> None:
    assert _titles(str(line_plot("IRN-USA", [("2019-06", 5.0)], 20.0)))
    assert _titles(str(line_plot("IRN-USA", [], 20.0)))


def test_ticks_are_round_and_reach_the_top() -> None:
    assert ticks(42.0) == [0, 10, 20, 30, 40, 50]
    assert ticks(0.0)[-1] >= 1
    assert ticks(137.0)[-1] >= 137
