"""The tension index drawn on the server, by hand, as SVG: a heat map of pairs, a line per pair.

Both are ``<svg role="img">`` with a ``<title>`` and a ``<desc>``, and every cell or point has a
``<title>`` of its own (pair, period, index) that a browser shows on hover and a screen reader
reads; the pages list the same numbers in a table beside them. Colours come from one
sequential scale (:func:`scale`), pale to dark red, with the band's number printed in dark ink
on pale cells and white on dark ones, so a cell reads without its colour. Nothing is fetched,
no script runs, and no ``style`` attribute is used (the pages' CSP forbids inline styles):
presentation attributes only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup

from gulfsec.i18n import _


@dataclass(frozen=True)
class Band:
    """One step of the colour scale: indices below ``below`` (the last has no bound)."""

    below: float | None
    fill: str
    ink: str
    label: str


def scale(threshold: float) -> list[Band]:
    """Five bands set by the alert threshold: none, low, rising, near, at or over it."""
    t = max(threshold, 1e-9)
    return [
        Band(1e-9, "#f4f4f4", "#222222", "0"),
        Band(t / 4, "#fde0c5", "#222222", _("under %(n)s") % {"n": _n(t / 4)}),
        Band(t / 2, "#f9a870", "#222222", _("under %(n)s") % {"n": _n(t / 2)}),
        Band(t, "#e4572e", "#ffffff", _("under %(n)s") % {"n": _n(t)}),
        Band(None, "#8c1c13", "#ffffff", _("%(n)s or more (alert threshold)") % {"n": _n(t)}),
    ]


def band_of(index: float, bands: Sequence[Band]) -> Band:
    for band in bands:
        if band.below is None or index < band.below:
            return band
    return bands[-1]


def _n(value: float) -> str:
    """A number as shown: one decimal, no trailing ``.0``."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _f(value: float) -> str:
    return f"{value:.1f}"


def _attrs(**values: str) -> Markup:
    """``name="value"`` pairs, escaped; ``class_`` → ``class``, ``a_b`` → ``a-b``."""
    return Markup(" ").join(
        Markup('{}="{}"').format(Markup(name.rstrip("_").replace("_", "-")), value)
        for name, value in values.items())


def _svg(ident: str, width: float, height: float, title: str, desc: str,
         body: Sequence[Markup], css: str) -> Markup:
    return Markup('<svg xmlns="http://www.w3.org/2000/svg" {}><title {}>{}</title>'
                  '<desc {}>{}</desc>{}</svg>').format(
        _attrs(id=ident, class_=css, viewBox=f"0 0 {_f(width)} {_f(height)}", role="img",
               aria_labelledby=f"{ident}-title {ident}-desc", direction="ltr",
               font_family="sans-serif", preserveAspectRatio="xMinYMin meet"),
        _attrs(id=f"{ident}-title"), title, _attrs(id=f"{ident}-desc"), desc,
        Markup("").join(body))


def pair_name(pair: str) -> str:
    """``IRN-SAU`` → ``IRN–SAU`` (an en dash, as the pages write a pair)."""
    return pair.replace("-", "\u2013")


# -- the heat map ------------------------------------------------------------------------------

CELL = 34.0
LABEL = 48.0


def heat_map(actors: Sequence[str], cells: Mapping[str, float], period: str,
             threshold: float, link: Callable[[str], str], *,
             ident: str = "tension-heat-map") -> Markup:
    """A grid of ``actors`` × ``actors``: each cell below the diagonal the index of that pair
    (``cells``, by pair name; a pair not there is 0) in ``period``, linking to ``link(pair)``."""
    bands = scale(threshold)
    n = len(actors)
    grid = LABEL + n * CELL
    legend_y = grid + 24
    height = legend_y + len(bands) * 20 + 8
    width = max(grid + 8, 360.0)
    body: list[Markup] = []
    for i, actor in enumerate(actors):
        body.append(Markup("<text {}>{}</text>").format(
            _attrs(x=_f(LABEL - 6), y=_f(LABEL + i * CELL + CELL / 2 + 4), text_anchor="end",
                   font_size="12", fill="#222222"), actor))
        body.append(Markup("<text {}>{}</text>").format(
            _attrs(x=_f(LABEL + i * CELL + CELL / 2), y=_f(LABEL - 8), text_anchor="middle",
                   font_size="12", fill="#222222"), actor))
    for row, a in enumerate(actors):
        for column, b in enumerate(actors[:row]):
            pair = "-".join(sorted((a, b)))
            index = cells.get(pair, 0.0)
            band = band_of(index, bands)
            x, y = LABEL + column * CELL, LABEL + row * CELL
            body.append(Markup('<a {}><title>{}</title><rect {}/><text {}>{}</text></a>').format(
                _attrs(href=link(pair), class_="heat-cell"),
                _("%(pair)s, %(period)s: index %(index)s")
                % {"pair": pair_name(pair), "period": period, "index": _n(index)},
                _attrs(x=_f(x + 1), y=_f(y + 1), width=_f(CELL - 2), height=_f(CELL - 2),
                       fill=band.fill, stroke="#999999", stroke_width="0.5"),
                _attrs(x=_f(x + CELL / 2), y=_f(y + CELL / 2 + 4), text_anchor="middle",
                       font_size="10", fill=band.ink), _n(index)))
    body.append(Markup("<text {}>{}</text>").format(
        _attrs(x="4", y=_f(legend_y - 6), font_size="12", fill="#222222"),
        _("Tension index, %(period)s") % {"period": period}))
    for k, band in enumerate(bands):
        y = legend_y + k * 20
        body.append(Markup("<rect {}/><text {}>{}</text>").format(
            _attrs(x="4", y=_f(y), width="16", height="14", fill=band.fill, stroke="#999999",
                   stroke_width="0.5"),
            _attrs(x="26", y=_f(y + 11), font_size="11", fill="#222222"), band.label))
    shown = sum(1 for v in cells.values() if v > 0)
    desc = (_("The tension index of every pair of %(n)s actors in %(period)s; %(shown)s pairs "
              "are above 0. The same numbers are in the table below.")
            % {"n": n, "period": period, "shown": shown})
    return _svg(ident, width, height, _("Tension between pairs, %(period)s") % {"period": period},
                desc, body, "tension-heat-map")


# -- a pair's line -----------------------------------------------------------------------------

PLOT_W, PLOT_H = 720.0, 300.0
LEFT, RIGHT, TOP, BOTTOM = 52.0, 16.0, 16.0, 58.0
MAX_LABELS = 12


def ticks(top: float) -> list[float]:
    """Round index ticks from 0 to at least ``top``: 1, 2 or 5 × 10ⁿ apart, five or so."""
    top = max(top, 1.0)
    raw = top / 5
    power = 10.0 ** (len(str(int(raw))) - 1) if raw >= 1 else 1.0
    step = next((m * power for m in (1, 2, 5, 10) if m * power >= raw), 10 * power)
    count = int(-(-top // step))
    return [step * i for i in range(count + 1)]


def line_plot(pair: str, points: Sequence[tuple[str, float]], threshold: float, *,
              ident: str = "tension-plot") -> Markup:
    """The pair's index over its periods (``points``: period label, index, in order), with
    the alert threshold dashed."""
    marks = ticks(max([threshold, *(v for _label, v in points)]))
    top = marks[-1]
    inner_w, inner_h = PLOT_W - LEFT - RIGHT, PLOT_H - TOP - BOTTOM
    count = len(points)

    def x_of(i: int) -> float:
        return LEFT + (inner_w / 2 if count <= 1 else inner_w * i / (count - 1))

    def y_of(v: float) -> float:
        return TOP + inner_h * (1 - v / top)

    body: list[Markup] = [
        Markup("<line {}/><line {}/>").format(
            _attrs(x1=_f(LEFT), y1=_f(TOP), x2=_f(LEFT), y2=_f(TOP + inner_h),
                   stroke="#222222"),
            _attrs(x1=_f(LEFT), y1=_f(TOP + inner_h), x2=_f(LEFT + inner_w),
                   y2=_f(TOP + inner_h), stroke="#222222")),
    ]
    for mark in marks:
        y = y_of(mark)
        body.append(Markup("<line {}/><text {}>{}</text>").format(
            _attrs(x1=_f(LEFT - 4), y1=_f(y), x2=_f(LEFT + inner_w), y2=_f(y),
                   stroke="#dddddd", stroke_width="0.8"),
            _attrs(x=_f(LEFT - 7), y=_f(y + 4), text_anchor="end", font_size="11",
                   fill="#222222"), _n(mark)))
    every = max(1, -(-count // MAX_LABELS))
    for i, (label, _value) in enumerate(points):
        if i % every and i != count - 1:
            continue
        x, y = x_of(i), TOP + inner_h
        body.append(Markup("<line {}/><text {}>{}</text>").format(
            _attrs(x1=_f(x), y1=_f(y), x2=_f(x), y2=_f(y + 4), stroke="#222222"),
            _attrs(x=_f(x), y=_f(y + 8), font_size="10", fill="#222222", text_anchor="end",
                   transform=f"rotate(-45 {_f(x)} {_f(y + 8)})"), label))
    ty = y_of(threshold)
    body.append(Markup("<line {}/><text {}>{}</text>").format(
        _attrs(x1=_f(LEFT), y1=_f(ty), x2=_f(LEFT + inner_w), y2=_f(ty), stroke="#8c1c13",
               stroke_dasharray="6 4", stroke_width="1"),
        _attrs(x=_f(LEFT + inner_w - 2), y=_f(ty - 4), text_anchor="end", font_size="10",
               fill="#8c1c13"), _("alert threshold %(n)s") % {"n": _n(threshold)}))
    if count:
        body.append(Markup("<polyline {}/>").format(_attrs(
            points=" ".join(f"{_f(x_of(i))},{_f(y_of(v))}"
                            for i, (_label, v) in enumerate(points)),
            fill="none", stroke="#1f4e79", stroke_width="2", stroke_linejoin="round")))
    for i, (label, value) in enumerate(points):
        body.append(Markup('<a {}><circle {}><title>{}</title></circle></a>').format(
            _attrs(href=f"#period-{label}"),
            _attrs(cx=_f(x_of(i)), cy=_f(y_of(value)), r="4", fill="#1f4e79",
                   stroke="#ffffff", stroke_width="1"),
            _("%(pair)s, %(period)s: index %(index)s")
            % {"pair": pair_name(pair), "period": label, "index": _n(value)}))
    highest = _n(max((v for _label, v in points), default=0.0))
    if count:
        desc = (_("The index of %(pair)s in %(n)s periods, from %(first)s to %(last)s; highest "
                  "%(highest)s. The same numbers are in the table below.")
                % {"pair": pair_name(pair), "n": count, "first": points[0][0],
                   "last": points[-1][0], "highest": highest})
    else:
        desc = (_("The index of %(pair)s in %(n)s periods; highest %(highest)s. The same "
                  "numbers are in the table below.")
                % {"pair": pair_name(pair), "n": count, "highest": highest})
    return _svg(ident, PLOT_W, PLOT_H,
                _("Tension index of %(pair)s") % {"pair": pair_name(pair)}, desc, body,
                "tension-plot")
