"""Arms transfers: each obliged party files ``arms-transfers@1`` for year Y by the regime's
``arms_transfers.due`` (31 May) in year Y + 1. A nil report counts if the regime says so
(``nil_report_counts``). The mirror check is :mod:`.arms_mirror`."""

from __future__ import annotations

from datetime import datetime

from gulfsec.domain.forms.arms_transfers import ARMS
from gulfsec.domain.regime import Regime
from gulfsec.i18n import N_

from ..rule import yearly_due
from ..view import Rec
from ._yearly import YearlyReport


def arms_due(regime: Regime, year: int) -> datetime:
    """When the report on transfers in ``year`` is due."""
    return yearly_due(regime.commitments.arms_transfers.due, year + 1)


def _counts(regime: Regime, rec: Rec) -> bool:
    return regime.commitments.arms_transfers.nil_report_counts or not rec.body.nil_report


RULE = YearlyReport("arms-transfers", N_("Report of arms transfers"), ARMS,
                    N_("arms transfers report"), arms_due, _counts)
