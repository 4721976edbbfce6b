"""Annual exchange of military information: each obliged party files ``annual-exchange@1``
for year Y by the regime's ``annual_exchange.due`` (15 December) in year Y - 1."""

from __future__ import annotations

from datetime import datetime

from gulfsec.domain.forms.annual_exchange import EXCHANGE
from gulfsec.domain.regime import Regime
from gulfsec.i18n import N_

from ..rule import yearly_due
from ._yearly import YearlyReport


def _due(regime: Regime, year: int) -> datetime:
    return yearly_due(regime.commitments.annual_exchange.due, year - 1)


RULE = YearlyReport(
    "annual-exchange", N_("Annual exchange of military information"), EXCHANGE,
    N_("annual exchange of military information"), _due,
)
