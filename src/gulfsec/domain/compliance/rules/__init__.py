"""The compliance rules, one module each, and the default rule set.

Adding a rule: write a module here with an object of the :class:`~..rule.Rule` shape named
``RULE`` (a unique ``name``), add it to :data:`RULES`, and give it tests under
``tests/unit/compliance/``.
"""

from __future__ import annotations

from ..rule import Rule
from . import (
    acknowledgement,
    annual_calendar,
    annual_exchange,
    arms_mirror,
    arms_transfers,
    calendar_consistency,
    constraining,
    defence_planning,
    incident_report,
    incident_response,
    meeting_reply,
    military_expenditure,
    observation,
    prior_notification,
    unusual_meeting,
    unusual_reply,
)

RULES: tuple[Rule, ...] = (
    annual_exchange.RULE,
    defence_planning.RULE,
    annual_calendar.RULE,
    prior_notification.RULE,
    calendar_consistency.RULE,
    observation.RULE,
    constraining.RULE,
    acknowledgement.RULE,
    arms_transfers.RULE,
    arms_mirror.RULE,
    military_expenditure.RULE,
    meeting_reply.RULE,
    unusual_reply.RULE,
    unusual_meeting.RULE,
    incident_report.RULE,
    incident_response.RULE,
)
"""Every rule the engine applies unless told otherwise."""
