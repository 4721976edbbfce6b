"""Decisions as a viewer holds them: the drafts, the steps on each, and what was decided.

:class:`DecisionRecords` keeps the decision entries of one record source (a node's own copy, or
the hub's log as one viewer may read it) up to date, incrementally, with their finality times,
and judges them with the domain's pure rules (:mod:`gulfsec.domain.procedures.decisions`); the
Concept's versions and the designation list are computed from what it judges adopted. A node
and the hub, given the same entries, give the same answers.
"""

from __future__ import annotations

from datetime import datetime

from gulfsec.domain.forms.decisions import DRAFT, STEPS
from gulfsec.domain.forms.keys import REGISTRATION
from gulfsec.domain.procedures import concept, designations
from gulfsec.domain.procedures.decisions import Decision, DecisionBook
from gulfsec.domain.regime import Regime
from gulfsec.errors import NotFound
from gulfsec.services.shared.records import HeldRecords, RecordSource

DECISION_FORMS: frozenset[str] = frozenset({DRAFT, *STEPS, REGISTRATION})
"""The forms a decision is made of — and the key registrations, which say who had joined the
log when a draft was made: what a record source for decisions needs to give."""


class DecisionRecords:
    """The decision entries of ``source`` (built to give :data:`DECISION_FORMS` only), kept
    up to date on each call; thread-safe."""

    def __init__(self, regime: Regime, source: RecordSource) -> None:
        self.regime = regime
        self.source = source
        self.held = HeldRecords(source, DECISION_FORMS)

    def book(self) -> DecisionBook:
        return DecisionBook(self.regime).extend(self.held.records())

    def adopted(self, now: datetime) -> set[str]:
        """The ids of the drafts adopted at ``now``."""
        return {d.id for d in self.decisions(now) if d.status == "adopted"}

    def decisions(self, now: datetime) -> list[Decision]:
        """Every draft the viewer holds, where it stands at ``now``, the most recent first."""
        return self.book().decisions(now)

    def decision(self, draft_id: str, now: datetime) -> Decision:
        """One draft (NotFound if the viewer holds no draft with that id)."""
        found = self.book().decision(draft_id, now)
        if found is None:
            raise NotFound(f"no draft decision {draft_id}")
        return found

    def concept_versions(self, now: datetime) -> list[concept.Version]:
        return concept.versions(self.decisions(now))

    def concept_version(self, number: int | None, now: datetime) -> concept.Version:
        """Version ``number`` of the Concept (None: the current one); NotFound if none."""
        found = self.concept_versions(now)
        if not found:
            raise NotFound("no version of the Concept has been adopted yet")
        if number is None:
            return found[-1]
        if not 1 <= number <= len(found):
            raise NotFound(f"no version {number} of the Concept (versions 1 to {len(found)})")
        return found[number - 1]

    def concept_diff(self, old: int, new: int,
                     now: datetime) -> tuple[concept.Version, concept.Version,
                                             list[concept.SectionChange]]:
        a = self.concept_version(old, now)
        b = self.concept_version(new, now)
        return a, b, concept.diff(a, b)

    def designation_list(self, now: datetime) -> designations.DesignationList:
        return designations.designation_list(self.decisions(now))
