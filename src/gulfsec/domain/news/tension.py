"""The tension index: how much conflict there is between two actors, period by period.

Every coded event (:mod:`gulfsec.domain.news.events`) has a type from PLOVER's sixteen, and every
type a weight on a conflict–cooperation scale (:data:`WEIGHTS`): negative for conflict, positive
for cooperation. For an unordered pair {A, B}, the events of both directions (A→B and B→A) in
each period give

    conflict(p)     = Σ |w|  over the events with w < 0
    cooperation(p)  = Σ w    over the events with w > 0
    T(p) = max(0, d(p)·T(p−1) + conflict(p) − share·cooperation(p))
    d(p) = ½ ** (days from the start of p−1 to the start of p / half_life)

with T = 0 before the pair's first event. Higher is more tension. A burst of conflict builds the
index; without news it halves every ``half_life`` days, so tension fades; cooperation brings it
down faster, but is never banked: the floor at 0 is applied in every period, so a treaty signed
in one month does not pre-pay the crisis of the next. Events of an actor with itself (a state
arresting its own citizens) and events without a target (troops sent to a region) are not
between two actors and are ignored.

Periods are calendar days (``2016-01-04``), ISO weeks (``2016-W02``, Monday to Sunday, in the
ISO week-numbering year) and calendar months (``2016-01``). Every pair gets a row for every
period from that of its first event to that of the last date of the input, so a fall is as
visible as a rise. :func:`rises` picks out the rows that should alert: a sharp rise, or a
threshold crossed.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any, Final, Literal, Protocol, get_args

Period = Literal["day", "week", "month"]
PERIODS: Final[tuple[str, ...]] = get_args(Period)

WEIGHTS: Final[Mapping[str, float]] = MappingProxyType({
    # cooperation
    "AID": 7.0,          # CAMEO 07 provide aid
    "COOPERATE": 6.0,    # CAMEO 06 engage in material cooperation
    "CONCEDE": 5.0,      # CAMEO 08 yield (ease sanctions, release, allow access)
    "RETREAT": 5.0,      # CAMEO 08 yield (withdraw, demobilise, de-escalate)
    "AGREE": 4.0,        # CAMEO 03 express intent to cooperate (and 057 sign an agreement)
    "SUPPORT": 3.5,      # CAMEO 05 engage in diplomatic cooperation (praise, endorse)
    "CONSULT": 1.0,      # CAMEO 04 consult (talks, visits, calls)
    # in between
    "REQUEST": -1.0,     # the mean of CAMEO 02 appeal (+3) and 10 demand (−5), both in it
    # conflict
    "ACCUSE": -2.0,      # CAMEO 11 disapprove (criticise, accuse, condemn)
    "REJECT": -4.0,      # CAMEO 12 reject
    "SANCTION": -4.0,    # CAMEO 16 reduce relations (cut ties, expel envoys, embargo)
    "THREATEN": -6.0,    # CAMEO 13 threaten
    "PROTEST": -6.5,     # CAMEO 14 protest (demonstrations, sit-ins, storming a mission)
    "COERCE": -7.0,      # CAMEO 17 coerce (seize, arrest, blockade)
    "MOBILIZE": -7.2,    # CAMEO 15 exhibit force posture (alerts, drills, deployments)
    "ASSAULT": -10.0,    # CAMEO 18 assault, 19 fight, 20 mass violence: mostly 19 (−10) here
})
"""Each PLOVER event type's weight, from −10 (most conflict) to +10 (most cooperation).

PLOVER's types were made by merging CAMEO's twenty root codes (Halterman et al., *PLOVER and
POLECAT*, 2023), and CAMEO gives each root code a Goldstein value (Goldstein, "A
Conflict-Cooperation Scale for WEIS Events Data", 1992, as carried into the CAMEO codebook,
Schrodt 2012): each type here takes the value of the root code it chiefly comes from, written
beside it. Where PLOVER joins codes of opposite sign (REQUEST: appeals and demands) it takes
their mean; where it splits one (CONCEDE and RETREAT from "yield") both keep its value.
"""

DEFAULT_HALF_LIFE: Final = 30.0
"""Days for the index to halve without news: a month's crisis still shows the next month,
at half strength."""
DEFAULT_SHARE: Final = 0.5
"""How much of the cooperation in a period offsets its conflict (and past tension)."""


class Coded(Protocol):
    """What the index reads of an event (:class:`gulfsec.domain.news.events.Event` has it)."""

    @property
    def source(self) -> str: ...

    @property
    def target(self) -> str: ...

    @property
    def type(self) -> str: ...


@dataclass(frozen=True)
class Row:
    """The index of one pair ("IRN-SAU", its codes sorted) in one period ("2016-01")."""

    pair: str
    period: str
    index: float

    def to_json(self) -> dict[str, Any]:
        return {"pair": self.pair, "period": self.period, "index": self.index}


@dataclass(frozen=True)
class Rise:
    """A row that should alert: why (``jump``, ``threshold`` or both) and from what."""

    pair: str
    period: str
    index: float
    previous: float
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"pair": self.pair, "period": self.period, "index": self.index,
                "previous": self.previous, "reasons": list(self.reasons)}


def weight(event_type: str) -> float:
    """The weight of an event type; ``ValueError`` for a type that is not PLOVER's."""
    try:
        return WEIGHTS[event_type]
    except KeyError:
        raise ValueError(f"unknown event type {event_type!r}") from None


def pair_of(a: str, b: str) -> str:
    """The unordered pair's name: its two codes sorted, joined by a hyphen."""
    return "-".join(sorted((a, b)))


# -- periods -----------------------------------------------------------------------------------


def period_start(day: date, period: Period) -> date:
    """The first day of the period ``day`` is in."""
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    raise ValueError(f"unknown period {period!r}: one of {', '.join(PERIODS)}")


def next_start(start: date, period: Period) -> date:
    """The first day of the period after the one starting on ``start``."""
    if period == "day":
        return start + timedelta(days=1)
    if period == "week":
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def period_label(start: date, period: Period) -> str:
    """``2016-01-04``, ``2016-W01`` (ISO year and week) or ``2016-01``."""
    if period == "day":
        return start.isoformat()
    if period == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{start.year:04d}-{start.month:02d}"


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


# -- the index ---------------------------------------------------------------------------------


def tension(events: Iterable[tuple[date, Coded]], period: Period = "month",
            half_life: float = DEFAULT_HALF_LIFE, *, share: float = DEFAULT_SHARE,
            until: date | None = None) -> list[Row]:
    """The tension index of every pair of actors with an event between them, in every period.

    ``events``: (the day it was reported, the event) — a ``datetime`` counts as its date.
    ``period``: ``day``, ``week`` (ISO) or ``month``. ``half_life``: in days (> 0).
    ``share``: the part of cooperation that offsets conflict (≥ 0; 0 ignores cooperation).
    ``until``: the last date of the input (rows without events count too); each pair's rows
    run from its first event's period to this date's period, or to the last event's if later.

    Rows are sorted by pair, then period; each index is rounded to two decimals (the
    computation carries the unrounded value).
    """
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}: one of {', '.join(PERIODS)}")
    if not (math.isfinite(half_life) and half_life > 0):
        raise ValueError(f"half_life must be a positive number of days, not {half_life!r}")
    if not (math.isfinite(share) and share >= 0):
        raise ValueError(f"share must be zero or more, not {share!r}")
    sums: dict[str, dict[date, list[float]]] = defaultdict(dict)
    """pair → period start → [conflict, cooperation]"""
    last = None if until is None else _day(until)
    for when, event in events:
        day = _day(when)
        last = day if last is None or day > last else last
        if not event.source or not event.target or event.source == event.target:
            continue
        w = weight(event.type)
        cell = sums[pair_of(event.source, event.target)].setdefault(
            period_start(day, period), [0.0, 0.0])
        if w < 0:
            cell[0] -= w
        else:
            cell[1] += w
    if last is None:
        return []
    end = period_start(last, period)
    rows: list[Row] = []
    for pair in sorted(sums):
        by_start = sums[pair]
        start = min(by_start)
        previous: date | None = None
        value = 0.0
        while start <= end:
            conflict, cooperation = by_start.get(start, (0.0, 0.0))
            if previous is not None:
                value *= 0.5 ** ((start - previous).days / half_life)
            value = max(0.0, value + conflict - share * cooperation)
            rows.append(Row(pair, period_label(start, period), round(value, 2)))
            previous, start = start, next_start(start, period)
    return rows


def rises(rows: Sequence[Row], threshold: float, jump: float) -> list[Rise]:
    """The rows that should alert: a pair whose index rises by more than ``jump`` from the
    period before, or crosses ``threshold`` (from below it to at or above it). The period
    before a pair's first row counts as 0. ``rows`` as :func:`tension` gives them (consecutive
    periods, pair by pair); the rises come out in the same order."""
    if not (math.isfinite(threshold) and threshold > 0):
        raise ValueError(f"threshold must be a positive number, not {threshold!r}")
    if not (math.isfinite(jump) and jump >= 0):
        raise ValueError(f"jump must be zero or more, not {jump!r}")
    found: list[Rise] = []
    before: dict[str, float] = {}
    for row in sorted(rows, key=lambda r: (r.pair, r.period)):
        previous = before.get(row.pair, 0.0)
        before[row.pair] = row.index
        reasons = tuple(why for why, hit in (
            ("jump", row.index - previous > jump),
            ("threshold", previous < threshold <= row.index)) if hit)
        if reasons:
            found.append(Rise(row.pair, row.period, row.index, previous, reasons))
    return found
