"""Military expenditure: each obliged party files ``military-expenditure@1`` for year Y by the
regime's ``military_expenditure.due`` (30 April) in year Y + 1. A nil report counts."""

from __future__ import annotations

from datetime import datetime

from gulfsec.domain.forms.military_expenditure import EXPENDITURE
from gulfsec.domain.regime import Regime
from gulfsec.i18n import N_

from ..rule import yearly_due
from ._yearly import YearlyReport


def _due(regime: Regime, year: int) -> datetime:
    return yearly_due(regime.commitments.military_expenditure.due, year + 1)


RULE = YearlyReport(
    "military-expenditure", N_("Report of military expenditure"), EXPENDITURE,
    N_("military expenditure report"), _due,
)
