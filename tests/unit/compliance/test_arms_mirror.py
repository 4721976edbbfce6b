"""The mirror check: an exporter's reported exports against the importer's reported imports,
by year and UN Register category. SAU exports to IRQ in these tests; reports on 2027 are due
on 31 May 2028."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from compliance_history import SECOND, History, arms, end_of, utc, with_commitment

RULE = "arms-transfers-mirror"
DUE = end_of(date(2028, 5, 31))
FILED = utc(2028, 4, 1)
LATER = utc(2028, 7, 1)


def sides(history: History, now: datetime = LATER, **kw: Any) -> dict[str, tuple[str, str]]:
    """party -> (subject, status) of each mirror finding."""
    found = history.judge(now, rule=RULE, **kw)
    return {f.party: (f.subject or "", f.status) for f in found}


def test_matching_reports_are_met_on_both_sides(history: History) -> None:
    exporter = history.file("SAU", "arms-transfers@1", arms(2027, exports=[("IRQ", "II", 20)]),
                            at=FILED)
    importer = history.file("IRQ", "arms-transfers@1", arms(2027, imports=[("SAU", "II", 20)]),
                            at=FILED)
    assert sides(history) == {
        "SAU": ("II exports to IRQ", "met"),
        "IRQ": ("II imports from SAU", "met"),
    }
    for finding in history.judge(LATER, rule=RULE):
        assert finding.evidence == (exporter.entry.id_hex, importer.entry.id_hex)
        assert finding.year == 2027
        assert finding.due == DUE


def test_every_mismatch_is_listed_with_both_figures(history: History) -> None:
    history.file("SAU", "arms-transfers@1",
                 arms(2027, exports=[("IRQ", "II", 20), ("IRQ", "III", 4)]), at=FILED)
    history.file("IRQ", "arms-transfers@1",
                 arms(2027, imports=[("SAU", "II", 15), ("SAU", "III", 4)]), at=FILED)
    found = history.judge(LATER, rule=RULE)
    assert sorted((f.party, f.subject, f.status) for f in found) == [
        ("IRQ", "II imports from SAU", "breached"),
        ("IRQ", "III imports from SAU", "met"),
        ("SAU", "II exports to IRQ", "breached"),
        ("SAU", "III exports to IRQ", "met"),
    ]
    mismatch = next(f for f in found if f.status == "breached")
    assert "SAU reports 20 exported to IRQ" in mismatch.detail
    assert "IRQ reports 15 imported from SAU" in mismatch.detail


def test_a_partner_whose_report_leaves_the_transfer_out_reports_zero(history: History) -> None:
    history.file("SAU", "arms-transfers@1", arms(2027, exports=[("IRQ", "II", 20)]), at=FILED)
    history.file("IRQ", "arms-transfers@1", arms(2027), at=FILED)  # a nil report
    assert sides(history) == {
        "SAU": ("II exports to IRQ", "breached"),
        "IRQ": ("II imports from SAU", "breached"),
    }


@pytest.mark.parametrize(
    ("offset", "status"),
    [(-SECOND, "pending"), (timedelta(0), "pending"), (SECOND, "missing")],
    ids=["second-before", "at-deadline", "second-after"],
)
def test_a_partner_who_reported_nothing_is_listed_once_its_report_is_due(
    history: History, offset: timedelta, status: str
) -> None:
    history.file("SAU", "arms-transfers@1", arms(2027, exports=[("IRQ", "II", 20)]), at=FILED)
    found = history.judge(DUE + offset, rule=RULE)
    assert {(f.party, f.status) for f in found} == {("SAU", status), ("IRQ", status)}
    assert all("IRQ has no report" in f.detail for f in found)


def test_an_import_reported_only_by_the_importer_is_checked_too(history: History) -> None:
    history.file("IRQ", "arms-transfers@1", arms(2027, imports=[("SAU", "IV", 2)]), at=FILED)
    assert sides(history) == {
        "SAU": ("IV exports to IRQ", "missing"),
        "IRQ": ("IV imports from SAU", "missing"),
    }


def test_a_report_not_yet_final_leaves_the_check_pending(history: History) -> None:
    history.file("SAU", "arms-transfers@1", arms(2027, exports=[("IRQ", "II", 20)]), at=FILED)
    history.file("IRQ", "arms-transfers@1", arms(2027, imports=[("SAU", "II", 15)]), at=FILED,
                 final=None)
    assert {status for _, status in sides(history).values()} == {"pending"}


def test_the_latest_final_report_corrects_an_earlier_one(history: History) -> None:
    history.file("SAU", "arms-transfers@1", arms(2027, exports=[("IRQ", "II", 20)]), at=FILED)
    history.file("IRQ", "arms-transfers@1", arms(2027, imports=[("SAU", "II", 15)]), at=FILED)
    history.file("IRQ", "arms-transfers@1", arms(2027, imports=[("SAU", "II", 20)]),
                 at=FILED + timedelta(days=3))
    assert {status for _, status in sides(history).values()} == {"met"}


def test_transfers_with_those_who_owe_no_report_are_not_compared(history: History) -> None:
    history.file("SAU", "arms-transfers@1",
                 arms(2027, exports=[("EGY", "II", 20), ("GCC", "I", 3)]), at=FILED)
    assert sides(history) == {}


def test_only_the_regimes_categories_are_compared(history: History) -> None:
    history.file("SAU", "arms-transfers@1", arms(2027, exports=[("IRQ", "SALW", 500)]), at=FILED)
    assert set(sides(history)) == {"SAU", "IRQ"}
    fewer = with_commitment(history.regime, "arms_transfers",
                            categories=("I", "II", "III", "IV", "V", "VI", "VII"))
    assert sides(history, regime=fewer) == {}
