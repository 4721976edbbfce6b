"""Mediation only when every party asks: the fold against a naive reference, and who sees what.

Personas: QAT, SAU, ARE and BHR are the parties to a dispute; KWT is asked to mediate; OMN is
an outsider. The naive reference re-reads the whole history at each question instead of
folding it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from decision_log import DecisionLog, utc
from hypothesis import given, settings
from hypothesis import strategies as st

from gulfsec.domain.compliance import LogRecord
from gulfsec.domain.procedures.mediation import (
    Event,
    audience_of,
    check_submission,
    fold,
    mediation_id,
    mediations,
    status_of,
)
from gulfsec.errors import ProcedureError

PARTIES = ("ARE", "BHR", "QAT", "SAU")
MEDIATOR = "KWT"
T0 = utc(2027, 2, 1, 9)


def reference(parties: tuple[str, ...], events: list[tuple[str, str]]) -> str:
    """The status after ``events`` ((kind, party), in order), read from the whole history.

    After each prefix of the history: active if every party's last request-or-withdrawal is a
    request and the mediator's last answer after the mediation last ended is an acceptance.
    At the end: active; else ended if it ever stopped being active; else declined if the
    mediator's last answer is a refusal; else requested if someone's request stands."""
    def standing(history: list[tuple[str, str]]) -> list[str]:
        return [p for p in parties
                if [k for k, q in history if q == p and k in ("request", "withdraw")][-1:]
                == ["request"]]

    active = [False]
    for k in range(1, len(events) + 1):
        history = events[:k]
        ends = [j for j in range(1, k) if active[j - 1] and not active[j]]
        answers = [kind for kind, _ in history[max(ends, default=0):]
                   if kind in ("accept", "decline")]
        active.append(len(standing(history)) == len(parties) and answers[-1:] == ["accept"])
    if active[-1]:
        return "active"
    if any(active[j - 1] and not active[j] for j in range(1, len(active))):
        return "ended"
    answers = [kind for kind, _ in events if kind in ("accept", "decline")]
    if answers[-1:] == ["decline"]:
        return "declined"
    return "requested" if standing(events) else "ended"


events_strategy = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["request", "withdraw"]), st.sampled_from(PARTIES[:3])),
        st.tuples(st.sampled_from(["accept", "decline"]), st.just(MEDIATOR)),
    ), max_size=14)


@settings(max_examples=400, deadline=None)
@given(events_strategy)
def test_the_fold_agrees_with_the_naive_reference(events: list[tuple[str, str]]) -> None:
    parties = PARTIES[:3]
    state = fold(parties, [Event(i, k, p) for i, (k, p) in enumerate(events)])  # type: ignore[arg-type]
    assert status_of(state) == reference(parties, events)


def test_the_naive_reference_reads_the_story_the_issue_tells() -> None:
    story = [("request", "QAT"), ("request", "SAU"), ("accept", MEDIATOR)]
    assert reference(PARTIES, story) == "requested"
    story += [("request", "ARE"), ("request", "BHR")]
    assert reference(PARTIES, story) == "active"
    assert reference(PARTIES, [*story, ("withdraw", "ARE")]) == "ended"


# -- from signed entries ------------------------------------------------------------------------


class MediationLog(DecisionLog):
    def act(self, party: str, form: str, *, parties: tuple[str, ...] = PARTIES,
            mediator: str = MEDIATOR, audience: Any = None, minutes: int = 0,
            **extra: Any) -> LogRecord:
        body = {"parties": list(parties), "mediator": mediator, **extra}
        return self.file(party, form, body, at=T0 + timedelta(minutes=minutes or
                                                              len(self.records)),
                         audience=audience or audience_of(parties, mediator, party))


@pytest.fixture
def log() -> MediationLog:
    return MediationLog(joined=(*PARTIES, MEDIATOR, "OMN"))


def only(log: MediationLog) -> Any:
    found = mediations(log.records)
    assert len(found) == 1
    return found[0]


def test_active_only_once_every_party_asked_the_same_mediator_and_it_accepted(
        log: MediationLog) -> None:
    log.act("QAT", "mediation-request@1")
    log.act("SAU", "mediation-request@1")
    found = only(log)
    assert (found.id, found.status, found.requested_by) == ("ARE+BHR+QAT+SAU/KWT",
                                                            "requested", ("QAT", "SAU"))
    log.act("KWT", "mediation-answer@1", answer="accept")
    assert only(log).status == "requested"  # ARE and BHR have not asked
    log.act("ARE", "mediation-request@1", mediator="OMN")  # another mediator: another one
    assert {m.id: m.status for m in mediations(log.records)}["ARE+BHR+QAT+SAU/KWT"] == \
        "requested"
    log.act("ARE", "mediation-request@1")
    log.act("BHR", "mediation-request@1")
    assert {m.id: m.status for m in mediations(log.records)}["ARE+BHR+QAT+SAU/KWT"] == "active"


def test_a_withdrawal_ends_an_active_mediation_at_once(log: MediationLog) -> None:
    for party in PARTIES:
        log.act(party, "mediation-request@1")
    log.act("KWT", "mediation-answer@1", answer="accept")
    log.act("KWT", "mediation-proposal@1", title="Talks", text="Meet in Kuwait City.")
    log.act("BHR", "mediation-withdrawal@1")
    found = only(log)
    assert (found.status, found.requested_by) == ("ended", ("ARE", "QAT", "SAU"))
    assert [p.title for p in found.proposals] == ["Talks"]
    log.act("BHR", "mediation-request@1")
    assert only(log).status == "ended"  # the mediator must accept anew
    log.act("KWT", "mediation-answer@1", answer="accept")
    assert only(log).status == "active"


def test_a_step_by_the_wrong_party_or_to_the_wrong_audience_does_not_count(
        log: MediationLog) -> None:
    log.act("OMN", "mediation-request@1")  # not a party
    log.act("QAT", "mediation-answer@1", answer="accept")  # not the mediator
    log.act("SAU", "mediation-request@1", audience=("QAT", "KWT", "OMN"))  # tells an outsider
    assert mediations(log.records) == []


def test_a_proposal_outside_an_active_mediation_is_not_tabled(log: MediationLog) -> None:
    log.act("QAT", "mediation-request@1")
    log.act("KWT", "mediation-proposal@1", title="Early", text="Too soon.")
    assert only(log).proposals == ()


def test_mediation_ids_name_the_parties_in_order() -> None:
    assert mediation_id(("SAU", "QAT"), "KWT") == "QAT+SAU/KWT"


def test_the_hub_refuses_steps_that_would_tell_an_outsider_or_come_from_one(
        log: MediationLog) -> None:
    lookup = {r.entry.id_hex: (r.index, r.entry) for r in log.records}.get
    fine = log.act("QAT", "mediation-request@1")
    check_submission(fine.entry, log.regime, lookup)
    cases = [
        (log.act("QAT", "mediation-request@1", audience=("KWT", "OMN")), "addressed to exactly"),
        (log.act("OMN", "mediation-request@1"), "not a party to the dispute"),
        (log.act("SAU", "mediation-answer@1", answer="accept"), "only the mediator"),
        (log.act("QAT", "mediation-request@1", parties=("QAT", "XYZ")), "no participant XYZ"),
    ]
    for record, message in cases:
        with pytest.raises(ProcedureError, match=message):
            check_submission(record.entry, log.regime, lookup)
