"""Risk reduction as a viewer holds it: the cases of unusual military activity and the
hazardous incidents it can read, from one record source (a node's own copy, or the hub's log as
one viewer may read it), with the domain's pure rules (:mod:`gulfsec.domain.procedures.risk`).
"""

from __future__ import annotations

from gulfsec.domain.forms.meetings import MEETING
from gulfsec.domain.forms.risk import (
    INCIDENT,
    INCIDENT_RESPONSE,
    UNUSUAL,
    UNUSUAL_MEETING,
    UNUSUAL_REPLY,
)
from gulfsec.domain.procedures import risk as rules
from gulfsec.errors import NotFound
from gulfsec.services.shared.records import HeldRecords, RecordSource

RISK_FORMS: frozenset[str] = frozenset({UNUSUAL, UNUSUAL_REPLY, UNUSUAL_MEETING, INCIDENT,
                                        INCIDENT_RESPONSE, MEETING})
"""The forms of risk reduction, and meetings (which may name a case)."""


class RiskRecords:
    """The unusual-activity cases and incidents of ``source``; thread-safe."""

    def __init__(self, source: RecordSource) -> None:
        self.held = HeldRecords(source, RISK_FORMS)

    def unusual(self) -> list[rules.UnusualCase]:
        """Every case of unusual military activity, the most recently moved first."""
        return rules.unusual_cases(self.held.records())

    def unusual_case(self, case_id: str) -> rules.UnusualCase:
        for found in self.unusual():
            if found.id == case_id:
                return found
        raise NotFound(f"no request on unusual military activity {case_id}")

    def incidents(self) -> list[rules.Incident]:
        """Every hazardous incident the viewer may read, the most recent report first."""
        return rules.incidents(self.held.records())

    def incident(self, report_id: str) -> rules.Incident:
        for found in self.incidents():
            if found.id == report_id:
                return found
        raise NotFound(f"no incident report {report_id}")
