"""What the consultation pages read from a form: a meeting's local start, an upload's type."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gulfsec.domain.attachments import DOCX, JPEG, PDF, PNG, TEXT
from gulfsec.web.consultations import MEETING_ZONES, local_start, size_words, upload_type


def test_a_local_start_is_read_in_its_zone_and_given_in_utc() -> None:
    assert local_start("2026-11-25", "12:30", "Asia/Tehran") == (
        datetime(2026, 11, 25, 9, 0, tzinfo=UTC), {})
    assert local_start("2027-07-01", "09:00", "Asia/Dubai")[0] == datetime(
        2027, 7, 1, 5, 0, tzinfo=UTC)
    assert local_start(" 2027-01-02 ", "7:05:30", "UTC")[0] == datetime(
        2027, 1, 2, 7, 5, 30, tzinfo=UTC)


def test_every_zone_offered_is_a_zone_python_knows() -> None:
    for zone in MEETING_ZONES:
        assert local_start("2027-03-01", "09:00", zone)[1] == {}, zone


@pytest.mark.parametrize(("day", "clock", "zone", "fields"), [
    ("2027-03-01", "09:00", "Mars/Olympus", {"timezone"}),
    ("2027-03-01", "09:00", "Europe/Paris", {"timezone"}),  # a real zone, not offered
    ("2027-03-01", "09:00", "", {"timezone"}),
    ("01/03/2027", "9am", "UTC", {"date", "time"}),
    ("2027-02-30", "09:00", "UTC", {"date"}),
    ("2027-03-01", "25:00", "UTC", {"date"}),
])
def test_a_local_start_names_each_field_at_fault(day: str, clock: str, zone: str,
                                                 fields: set[str]) -> None:
    moment, errors = local_start(day, clock, zone)
    assert moment is None and set(errors) == fields


def test_an_upload_declares_its_type_or_its_extension_names_one() -> None:
    assert upload_type("paper.pdf", "application/pdf") == PDF
    assert upload_type("notes", "text/plain; charset=utf-8") == TEXT
    assert upload_type("map.PNG", "application/octet-stream") == PNG
    assert upload_type("photo.jpeg", "") == JPEG
    assert upload_type("draft.docx", "") == DOCX
    assert upload_type("map.png", "application/pdf") == PDF  # the bytes are checked later
    assert upload_type("tool.exe", "application/x-msdownload") is None
    assert upload_type("README", "") is None


def test_sizes_read_for_people() -> None:
    assert [size_words(n) for n in (1, 812, 14_540, 10 * 1024 * 1024)] == [
        "1 byte", "812 bytes", "14.2 KiB", "10.0 MiB"]
