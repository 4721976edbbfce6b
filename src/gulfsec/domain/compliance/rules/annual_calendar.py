"""Annual calendar: each obliged party files ``annual-calendar@1`` for year Y by the regime's
``annual_calendar.due`` (15 November) in year Y - 1. Whether the calendar and the notifications
agree is :mod:`.calendar_consistency`'s concern."""

from __future__ import annotations

from datetime import datetime

from gulfsec.domain.forms.annual_calendar import CALENDAR
from gulfsec.domain.regime import Regime
from gulfsec.i18n import N_

from ..rule import yearly_due
from ._yearly import YearlyReport


def calendar_due(regime: Regime, year: int) -> datetime:
    """When the calendar for ``year`` is due."""
    return yearly_due(regime.commitments.annual_calendar.due, year - 1)


RULE = YearlyReport("annual-calendar", N_("Annual calendar of notifiable activities"), CALENDAR,
                    N_("annual calendar"), calendar_due)
