"""What the hub refuses of a procedural entry before it is sequenced, whatever its procedure.

Each procedure (deciding, consulting, meeting, mediating) checks its own forms; the rules that
decide are each procedure's pure functions, which every node applies to whatever the log holds.
The node runs the same checks before signing, so that a refused entry does not hold up its
outbox.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from gulfsec.domain.entry import SignedEntry
from gulfsec.domain.procedures import decisions, hotline, mediation, meetings, risk, threads
from gulfsec.domain.regime import Regime


def check_submission(signed: SignedEntry, regime: Regime, now: datetime,
                     lookup: Callable[[str], tuple[int, SignedEntry] | None],
                     joined: Mapping[str, int]) -> None:
    """Raise :class:`~gulfsec.errors.ProcedureError` if ``signed`` takes a step its procedure
    does not allow (``lookup``: an entry in the log by id, with its index; ``joined``: each
    party's first key registration)."""
    decisions.check_submission(signed, regime, now, lookup, joined)
    threads.check_submission(signed, regime, lookup)
    meetings.check_submission(signed, regime, now, lookup)
    mediation.check_submission(signed, regime, lookup)
    risk.check_submission(signed, regime, lookup)
    hotline.check_submission(signed, regime, now, lookup)
