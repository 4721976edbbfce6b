"""Findings for people and for other programs: an aligned table, JSON, CSV.

Times are written in UTC as ``2026-12-15T23:59:59Z``; evidence is the entries' ids in hex
(the table shortens them to 12 digits, enough to find them in the log).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from gulfsec.domain.encoding import format_time
from gulfsec.i18n import N_

from .model import OVERDUE, STATUSES, Finding

__all__ = ["FIELDS", "to_csv", "to_json", "to_table"]

FIELDS: tuple[str, ...] = (
    "party", "rule", "status", "due", "year", "subject", "evidence", "detail"
)
"""The columns of :func:`to_csv` and the keys of each :func:`to_json` object, in order."""

_SHORT_ID = 12


def _record(finding: Finding) -> dict[str, Any]:
    return {
        "party": finding.party,
        "rule": finding.rule,
        "status": finding.status,
        "due": format_time(finding.due) if finding.due is not None else None,
        "year": finding.year,
        "subject": finding.subject,
        "evidence": list(finding.evidence),
        "detail": finding.detail,
    }


def to_json(findings: Iterable[Finding]) -> str:
    """A JSON array of objects with the keys in :data:`FIELDS`; ``due`` may be null."""
    return json.dumps([_record(f) for f in findings], ensure_ascii=False, indent=2)


def to_csv(findings: Iterable[Finding]) -> str:
    """CSV (RFC 4180) with a header row; evidence ids separated by spaces, empty for none."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(FIELDS)
    for f in findings:
        row = _record(f)
        row["evidence"] = " ".join(f.evidence)
        writer.writerow("" if row[k] is None else row[k] for k in FIELDS)
    return out.getvalue()


def _cells(finding: Finding) -> tuple[str, ...]:
    status = finding.status.upper() if finding.status in OVERDUE else finding.status
    due = format_time(finding.due) if finding.due is not None else "-"
    return (
        status,
        finding.party,
        finding.rule,
        str(finding.year) if finding.year is not None else "-",
        finding.subject or "-",
        due,
        " ".join(e[:_SHORT_ID] for e in finding.evidence) or "-",
        finding.detail,
    )


def to_table(findings: Sequence[Finding]) -> str:
    """An aligned plain-text table, overdue statuses in capitals, and a count per status."""
    header = (N_("STATUS"), N_("PARTY"), N_("RULE"), N_("YEAR"), N_("SUBJECT"), N_("DUE"),
              N_("EVIDENCE"), N_("DETAIL"))
    rows = [header, *(_cells(f) for f in findings)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
        + "  "
        + row[-1]
        for row in rows
    ]
    counts = Counter(f.status for f in findings)
    summary = ", ".join(f"{counts[s]} {s}" for s in STATUSES)
    lines.append(f"{len(findings)} findings: {summary}")
    return "\n".join(line.rstrip() for line in lines) + "\n"
