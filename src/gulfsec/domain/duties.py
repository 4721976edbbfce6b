"""Who owes what: each duty decided in one place that the node, the pages and compliance call.

**Acknowledgement.** An entry of a form that is acknowledged (``FormSpec.acknowledge``; every
form but acknowledgements and key entries, and any form this version does not know) is owed an
``acknowledgement@1`` by each *obliged* party it is addressed to, other than its sender, that
had joined the log before it: whose first key was registered at a lower log index. Obliged
parties are the states whose status lets them send and receive (participating and associated
states); organisations observe and owe nothing. A party that joins later owes nothing for what
came before it: it could not have read it.

Every answer is a function of the regime and the entries (the log index of each party's first
key registration), so any node reproduces it from its own verified copy.
"""

from __future__ import annotations

from collections.abc import Mapping

from gulfsec.domain.entry import ALL, Audience
from gulfsec.domain.forms import registry
from gulfsec.domain.regime import Regime

__all__ = ["AcknowledgementDuty", "obliged_parties"]


def obliged_parties(regime: Regime) -> tuple[str, ...]:
    """The participants that owe reports and acknowledgements, in the regime's order: the
    states whose status lets them send and receive."""
    return tuple(
        code
        for code, participant in regime.participants.items()
        if participant.kind == "state"
        and {"send", "receive"} <= regime.statuses[participant.status].rights
    )


class AcknowledgementDuty:
    """Who owes an acknowledgement of an entry (see the module docstring).

    Keep one per regime: it remembers the obliged addressees of each (sender, audience) pair,
    since audiences repeat.
    """

    def __init__(self, regime: Regime) -> None:
        self.regime = regime
        self.obliged = obliged_parties(regime)
        self._forms = {form_id: spec.acknowledge for form_id, spec in registry().items()}
        self._reach: dict[tuple[str, Audience], tuple[str, ...]] = {}

    def acknowledged(self, form: str) -> bool:
        """Whether entries of ``form`` are acknowledged at all (unknown forms are)."""
        return self._forms.get(form, True)

    def addressees(self, sender: str, audience: Audience) -> tuple[str, ...]:
        """The obliged parties, other than ``sender``, that ``audience`` reaches."""
        key = (sender, audience)
        found = self._reach.get(key)
        if found is None:
            found = tuple(p for p in self.obliged
                          if p != sender and (audience == ALL or p in audience))
            self._reach[key] = found
        return found

    def owed_by(self, sender: str, audience: Audience, form: str, index: int,
                joined: Mapping[str, int]) -> tuple[str, ...]:
        """The parties that owe an acknowledgement of the entry at log ``index``.

        ``joined`` maps a party to the log index of its first key registration; a party not in
        it has not joined.
        """
        if not self.acknowledged(form):
            return ()
        return tuple(p for p in self.addressees(sender, audience)
                     if joined.get(p, index) < index)

    def owes(self, party: str, sender: str, audience: Audience, form: str, index: int,
             joined: Mapping[str, int]) -> bool:
        """Whether ``party`` owes an acknowledgement of the entry at log ``index``."""
        return party in self.owed_by(sender, audience, form, index, joined)
