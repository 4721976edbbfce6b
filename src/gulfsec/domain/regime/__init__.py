"""The regime: everything that is policy rather than code (DESIGN.md §6).

A regime file is TOML; ``regimes/gulf.toml`` in this package is the default. ``parse_regime``
turns its text into a frozen ``Regime``, or raises one ``RegimeError`` naming the file, the
dotted key and the problem. Nothing half-checked gets out: an unknown or misspelt key, a wrong
type, an unknown party, a zero threshold or a missing deadline refuses the whole file.

Durations are written with their unit in the key (``notice_days``, ``reply_hours``,
``test_interval_minutes``) and held as ``timedelta``; calendar months stay whole numbers
(``within_months``). Yearly due dates are written ``"MM-DD"`` and held as ``MonthDay``.

- :mod:`.model`: ``Regime`` and its parts (participants, statuses, languages, limits);
- :mod:`.commitments`: the commitments (deadlines, thresholds, quotas);
- :mod:`.document`: the file as written, as strict pydantic models, and its rules;
- :mod:`.parse`: ``parse_regime``, ``load_regime``, ``default_regime``.

This package is pure: standard library and pydantic only, no I/O beyond reading the file it is
given (or the packaged default).
"""

from __future__ import annotations

from .commitments import (
    Acknowledgement,
    AnnualCalendar,
    AnnualExchange,
    ArmsTransfers,
    Commitments,
    ConstrainingProvision,
    DefencePlanning,
    HazardousIncident,
    Hotline,
    Inspections,
    Meetings,
    MilitaryExpenditure,
    ObservationInvitation,
    PriorNotification,
    UnusualActivity,
)
from .model import (
    DIRECTIONS,
    KINDS,
    RIGHTS,
    Batching,
    EarlyWarning,
    Language,
    Limits,
    MonthDay,
    Participant,
    Regime,
    Secretariat,
    Status,
)
from .parse import default_regime, load_regime, parse_regime

__all__ = [
    "DIRECTIONS",
    "KINDS",
    "RIGHTS",
    "Acknowledgement",
    "AnnualCalendar",
    "AnnualExchange",
    "ArmsTransfers",
    "Batching",
    "EarlyWarning",
    "Commitments",
    "ConstrainingProvision",
    "DefencePlanning",
    "HazardousIncident",
    "Hotline",
    "Inspections",
    "Meetings",
    "Language",
    "Limits",
    "MilitaryExpenditure",
    "MonthDay",
    "ObservationInvitation",
    "Participant",
    "PriorNotification",
    "Regime",
    "Secretariat",
    "Status",
    "UnusualActivity",
    "default_regime",
    "load_regime",
    "parse_regime",
]
