"""Compliance with the military transparency commitments, computed from the log (DESIGN.md §7).

Findings are a pure function of (regime, the records a viewer holds, now): any participant can
reproduce them from its own verified copy of the log; the hub's verdict is a convenience, not
an authority. Deadlines are met or missed by an entry's finality time, never by the time its
sender claims.

- :mod:`.model`: :class:`LogRecord` in, :class:`Finding` out;
- :mod:`.view`: the records parsed, and the indexes the rules declare;
- :mod:`.rule`: the shape of a rule, outcomes, and deadline arithmetic;
- :mod:`.rules`: one module per rule (the rule, its title, its indexes), and :data:`RULES`;
- :mod:`.engine`: :func:`evaluate` (from cold) and :class:`ComplianceEngine` (incremental);
- :mod:`.report`: findings as a table, JSON or CSV.
"""

from __future__ import annotations

from gulfsec.domain.duties import obliged_parties

from .engine import ComplianceEngine, evaluate
from .model import OVERDUE, STATUSES, Finding, LogRecord, Status
from .report import to_csv, to_json, to_table
from .rules import RULES

__all__ = [
    "OVERDUE",
    "RULES",
    "STATUSES",
    "ComplianceEngine",
    "Finding",
    "LogRecord",
    "Status",
    "evaluate",
    "obliged_parties",
    "to_csv",
    "to_json",
    "to_table",
]
