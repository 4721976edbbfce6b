"""Findings as a table for people, and as JSON and CSV for programs."""

from __future__ import annotations

import csv
import io
import json

from compliance_history import utc

from gulfsec.domain.compliance import Finding, to_csv, to_json, to_table
from gulfsec.domain.compliance.report import FIELDS

EID = "ab" * 32
FINDINGS = [
    Finding("SAU", "annual-exchange", "missing", utc(2026, 12, 15, 23, 59, 59), (),
            "no annual exchange for 2027", 2027, None),
    Finding("RUS", "acknowledgement", "pending", None, (EID,), "entry not final yet", 2027,
            "#12 message@1"),
    Finding("IRN", "prior-notification", "met", utc(2027, 1, 18), (EID, "cd" * 32),
            "log #3 final 2027-01-10T00:00:00Z", 2027, "IRN-27-1"),
]


def test_the_table_has_aligned_columns_a_header_and_a_count() -> None:
    lines = to_table(FINDINGS).splitlines()
    assert lines[0].split() == ["STATUS", "PARTY", "RULE", "YEAR", "SUBJECT", "DUE", "EVIDENCE",
                                "DETAIL"]
    for column in ("PARTY", "RULE", "DUE", "DETAIL"):
        at = lines[0].index(column)
        assert all(line[at - 1] == " " and line[at] != " " for line in lines[1:4]), column
    assert lines[1].startswith("MISSING  SAU")
    assert lines[2].startswith("pending  RUS")
    assert "2026-12-15T23:59:59Z" in lines[1]
    assert f"{EID[:12]} {'cd' * 6}" in lines[3]
    assert lines[-1] == "3 findings: 1 missing, 0 breached, 0 late, 1 pending, 1 met"


def test_an_empty_table_still_says_how_many() -> None:
    assert to_table([]).splitlines()[-1].startswith("0 findings")


def test_json_gives_every_field_with_times_in_utc() -> None:
    data = json.loads(to_json(FINDINGS))
    assert [list(item) for item in data] == [list(FIELDS)] * 3
    assert data[0]["due"] == "2026-12-15T23:59:59Z"
    assert data[0]["subject"] is None
    assert data[1]["due"] is None
    assert data[2]["evidence"] == [EID, "cd" * 32]


def test_csv_has_a_header_and_one_row_per_finding() -> None:
    rows = list(csv.reader(io.StringIO(to_csv(FINDINGS))))
    assert rows[0] == list(FIELDS)
    assert len(rows) == 4
    first = dict(zip(FIELDS, rows[1], strict=True))
    assert first["status"] == "missing"
    assert first["subject"] == ""
    assert first["evidence"] == ""
    third = dict(zip(FIELDS, rows[3], strict=True))
    assert third["evidence"].split() == [EID, "cd" * 32]
    assert third["year"] == "2027"
