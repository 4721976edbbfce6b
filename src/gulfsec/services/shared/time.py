"""Times as the stores keep them: whole microseconds since the Unix epoch, in UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def micros(moment: datetime) -> int:
    """``moment`` (an aware datetime) as microseconds since the epoch."""
    return int(moment.timestamp() * 1_000_000)


def from_micros(value: int) -> datetime:
    """Microseconds since the epoch as an aware UTC datetime."""
    return datetime.fromtimestamp(value / 1_000_000, UTC)
