"""Deciding by consensus and by silence: outcomes from the entries alone, at the boundaries.

Format ``trio`` (IRN, QAT, SAU) decides; the secretariat chairs. A draft closes at ``CLOSES``;
every step is final one minute after it is sequenced unless a test says otherwise.
"""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any

import pytest
from decision_log import MINUTE, SECOND, TRIO, DecisionLog, utc

from gulfsec.domain.procedures.decisions import check_submission, draft_audience, members
from gulfsec.errors import ProcedureError

SENT = utc(2027, 3, 1, 9)
CLOSES = utc(2027, 3, 8, 12)
AFTER = CLOSES + timedelta(hours=1)


@pytest.fixture
def log() -> DecisionLog:
    return DecisionLog()


def test_the_members_are_the_formats_states_that_decide_and_the_chair_is_addressed(
        log: DecisionLog) -> None:
    assert members(log.regime, "trio") == TRIO
    assert draft_audience(log.regime, "trio") == ("IRN", "QAT", "SAU", "SEC")
    everyone = members(log.regime, "all")
    assert "UNSC" not in everyone and "IRN" in everyone  # organisations do not decide
    assert draft_audience(log.regime, "all") == "all"


# -- silence ---------------------------------------------------------------------------------


def test_silence_unbroken_is_adopted_at_expiry_and_open_until_then(log: DecisionLog) -> None:
    draft = log.draft(at=SENT, closes_at=CLOSES)
    assert log.judge(draft, CLOSES - SECOND).status == "open"
    decided = log.judge(draft, CLOSES)
    assert decided.status == "adopted"
    assert "nobody broke silence" in decided.why


@pytest.mark.parametrize(("final_offset", "status"), [
    (-SECOND, "not-adopted"), (timedelta(0), "not-adopted"), (SECOND, "adopted")],
    ids=["final-second-before", "final-at-expiry", "final-second-after"])
def test_an_objection_breaks_silence_only_if_final_by_the_expiry(
        log: DecisionLog, final_offset: timedelta, status: str) -> None:
    draft = log.draft(at=SENT, closes_at=CLOSES)
    objection = log.position("SAU", draft, "object", at=CLOSES - 2 * SECOND,
                             final=CLOSES + final_offset)
    decided = log.judge(draft, AFTER)
    assert decided.status == status
    if status == "not-adopted":
        assert decided.breaking == (objection.entry.id_hex,)
        assert "silence broken: SAU objected" in decided.why
    else:
        assert decided.breaking == () and not decided.positions


def test_an_objection_signed_before_the_expiry_keeps_the_draft_open_until_it_is_final(
        log: DecisionLog) -> None:
    draft = log.draft(at=SENT, closes_at=CLOSES)
    log.position("SAU", draft, "object", at=CLOSES - SECOND, final=None)
    decided = log.judge(draft, AFTER)
    assert (decided.status, decided.awaiting_finality) == ("open", True)


def test_an_amendment_breaks_silence_like_an_objection(log: DecisionLog) -> None:
    draft = log.draft(at=SENT, closes_at=CLOSES)
    amendment = log.amend("QAT", draft, at=SENT + MINUTE)
    decided = log.judge(draft, AFTER)
    assert decided.status == "not-adopted"
    assert decided.breaking == (amendment.entry.id_hex,)
    assert "QAT proposed an amendment" in decided.why


def test_silence_once_broken_stays_broken_though_the_member_later_joins(
        log: DecisionLog) -> None:
    draft = log.draft(at=SENT, closes_at=CLOSES)
    log.position("SAU", draft, "object", at=SENT + MINUTE)
    log.position("SAU", draft, "join", at=SENT + 2 * MINUTE)
    decided = log.judge(draft, AFTER)
    assert decided.status == "not-adopted"
    assert decided.positions["SAU"].kind == "join"


def test_a_position_from_outside_the_format_or_addressed_otherwise_does_not_count(
        log: DecisionLog) -> None:
    draft = log.draft(at=SENT, closes_at=CLOSES)
    log.position("RUS", draft, "object", at=SENT + MINUTE)  # RUS is not in the trio
    log.position("SAU", draft, "object", at=SENT + MINUTE, audience=("IRN", "SAU"))
    decided = log.judge(draft, AFTER)
    assert decided.status == "adopted"
    assert [s.party for s in decided.steps] == []


def test_a_member_that_joins_the_log_after_the_draft_has_no_position_to_take() -> None:
    log = DecisionLog(joined=("IRN", "SAU"))
    draft = log.draft(at=SENT, closes_at=CLOSES, procedure="consensus")
    log.join("QAT", at=SENT + MINUTE)
    log.position("IRN", draft, "join", at=SENT + 2 * MINUTE)
    log.position("SAU", draft, "join", at=SENT + 2 * MINUTE)
    log.position("QAT", draft, "object", at=SENT + 2 * MINUTE)
    decided = log.judge(draft, AFTER)
    assert decided.members == ("IRN", "SAU")
    assert decided.status == "adopted"


# -- consensus -------------------------------------------------------------------------------


def test_consensus_is_adopted_when_every_member_joined_or_stood_aside(
        log: DecisionLog) -> None:
    draft = log.draft(at=SENT, closes_at=CLOSES, procedure="consensus")
    log.position("IRN", draft, "join", at=SENT + MINUTE)
    log.position("QAT", draft, "stand-aside", at=SENT + MINUTE)
    log.position("SAU", draft, "join", at=SENT + MINUTE)
    assert log.judge(draft, CLOSES - SECOND).status == "open"
    decided = log.judge(draft, CLOSES)
    assert decided.status == "adopted"
    assert decided.waiting_for == ()


def test_consensus_fails_on_a_member_without_a_position(log: DecisionLog) -> None:
    draft = log.draft(at=SENT, closes_at=CLOSES, procedure="consensus")
    log.position("IRN", draft, "join", at=SENT + MINUTE)
    log.position("SAU", draft, "join", at=SENT + MINUTE)
    decided = log.judge(draft, AFTER)
    assert decided.status == "not-adopted"
    assert decided.waiting_for == ("QAT",)
    assert "no position: QAT" in decided.why


@pytest.mark.parametrize(("changed_final", "status"), [
    (CLOSES - SECOND, "adopted"), (CLOSES + SECOND, "not-adopted")],
    ids=["changed-before-closing", "changed-after-closing"])
def test_a_position_changed_before_closing_counts_and_after_closing_not(
        log: DecisionLog, changed_final: object, status: str) -> None:
    draft = log.draft(at=SENT, closes_at=CLOSES, procedure="consensus")
    log.position("IRN", draft, "join", at=SENT + MINUTE)
    log.position("QAT", draft, "join", at=SENT + MINUTE)
    log.position("SAU", draft, "object", at=SENT + MINUTE)
    late = log.position("SAU", draft, "join", at=CLOSES - 2 * SECOND,
                        final=changed_final)  # type: ignore[arg-type]
    decided = log.judge(draft, AFTER)
    assert decided.status == status
    counted = next(s for s in decided.steps if s.entry_id == late.entry.id_hex)
    assert counted.counts is (status == "adopted")


# -- withdrawal, revision, the chair ---------------------------------------------------------


def test_the_proposer_withdraws_before_closing_and_nobody_else_can(log: DecisionLog) -> None:
    draft = log.draft(at=SENT, closes_at=CLOSES)
    log.withdraw("SAU", draft, at=SENT + MINUTE)  # not the proposer: no effect
    assert log.judge(draft, CLOSES - SECOND).status == "open"
    log.withdraw("IRN", draft, at=SENT + 2 * MINUTE)
    decided = log.judge(draft, CLOSES - SECOND)
    assert decided.status == "withdrawn"


def test_a_withdrawal_final_after_closing_changes_nothing(log: DecisionLog) -> None:
    draft = log.draft(at=SENT, closes_at=CLOSES)
    log.withdraw("IRN", draft, at=CLOSES - SECOND, final=CLOSES + SECOND)
    assert log.judge(draft, AFTER).status == "adopted"


def test_a_revised_draft_by_the_chair_replaces_the_old_one_both_kept(log: DecisionLog) -> None:
    draft = log.draft(at=SENT, closes_at=CLOSES)
    log.amend("QAT", draft, at=SENT + MINUTE)
    revised = log.draft("SEC", at=SENT + 2 * MINUTE, closes_at=CLOSES + timedelta(days=1),
                        procedure="consensus", revises=draft.entry.id_hex,
                        title="Hotline terms (revised)")
    old = log.judge(draft, SENT + 5 * MINUTE)
    assert (old.status, old.replaced_by) == ("replaced", revised.entry.id_hex)
    for party in TRIO:
        log.position(party, revised, "join", at=SENT + 10 * MINUTE)
    assert log.judge(revised, AFTER + timedelta(days=1)).status == "adopted"


def test_a_revision_by_anyone_but_the_chair_replaces_nothing(log: DecisionLog) -> None:
    draft = log.draft(at=SENT, closes_at=CLOSES)
    log.draft("SAU", at=SENT + MINUTE, closes_at=CLOSES, revises=draft.entry.id_hex)
    assert log.judge(draft, AFTER).status == "adopted"


def test_a_chair_outcome_that_contradicts_the_positions_is_a_contradiction(
        log: DecisionLog) -> None:
    draft = log.draft(at=SENT, closes_at=CLOSES)
    log.position("SAU", draft, "object", at=SENT + MINUTE)
    log.outcome(draft, "adopted", at=AFTER)
    decided = log.judge(draft, AFTER + MINUTE)
    assert decided.status == "not-adopted"
    assert decided.contradiction is not None
    assert "the chair declared the draft adopted" in decided.contradiction


def test_a_chair_outcome_that_agrees_is_no_contradiction(log: DecisionLog) -> None:
    draft = log.draft(at=SENT, closes_at=CLOSES)
    log.outcome(draft, "adopted", at=AFTER)
    decided = log.judge(draft, AFTER + MINUTE)
    assert (decided.status, decided.contradiction) == ("adopted", None)
    assert decided.chair is not None and decided.chair.outcome == "adopted"


def test_a_chair_outcome_signed_before_closing_is_a_contradiction(log: DecisionLog) -> None:
    draft = log.draft(at=SENT, closes_at=CLOSES)
    log.outcome(draft, "adopted", at=CLOSES - MINUTE)
    decided = log.judge(draft, AFTER)
    assert decided.status == "adopted"
    assert decided.contradiction is not None and "before it closed" in decided.contradiction


def test_a_chair_outcome_in_the_closing_second_is_a_contradiction(log: DecisionLog) -> None:
    """The log's times are whole seconds: an outcome sequenced in the closing second could
    precede a step sequenced in the same second, so it is early; the next second is not."""
    draft = log.draft(at=SENT, closes_at=CLOSES)
    early = log.outcome(draft, "adopted", at=CLOSES)
    assert log.judge(draft, AFTER).contradiction is not None
    log.records.remove(early)
    log.outcome(draft, "adopted", at=CLOSES + SECOND)
    assert log.judge(draft, AFTER).contradiction is None


def test_a_draft_not_addressed_to_exactly_its_format_is_void(log: DecisionLog) -> None:
    draft = log.draft(at=SENT, closes_at=CLOSES, audience=("IRN", "SAU", "SEC"))
    decided = log.judge(draft, AFTER)
    assert decided.status == "not-adopted"
    assert "not addressed to exactly its format" in decided.why


def test_a_draft_final_only_after_it_closed_is_not_adopted(log: DecisionLog) -> None:
    draft = log.draft(at=CLOSES - SECOND, closes_at=CLOSES, final=CLOSES + SECOND)
    assert log.judge(draft, AFTER).status == "not-adopted"


# -- what the hub refuses before sequencing ----------------------------------------------------


def _lookup(log: DecisionLog) -> Any:
    by_id = {r.entry.id_hex: (r.index, r.entry) for r in log.records}
    return by_id.get


def _joined(log: DecisionLog) -> dict[str, int]:
    return {r.entry.entry.sender: r.index for r in log.records
            if r.entry.entry.form == "key-registration@1"}


def test_the_hub_refuses_steps_that_would_not_count(log: DecisionLog) -> None:
    draft = log.draft(at=SENT, closes_at=CLOSES)
    check = functools.partial(check_submission, regime=log.regime, lookup=_lookup(log),
                              joined=_joined(log))
    check(log.position("SAU", draft, "join", at=SENT).entry, now=SENT)  # fine
    cases = [
        (log.position("RUS", draft, "join", at=SENT), SENT, "not a member of trio"),
        (log.position("SAU", draft, "join", at=SENT), CLOSES + SECOND, "the draft closed"),
        (log.position("SAU", draft, "join", at=SENT, audience=("SAU", "SEC")), SENT,
         "addressed to the draft's whole audience"),
        (log.withdraw("SAU", draft, at=SENT), SENT, "only its proposer"),
        (log.outcome(draft, "adopted", at=SENT), SENT, "open until"),
        (log.outcome(draft, "adopted", at=CLOSES), CLOSES + SECOND / 2, "from the next second"),
        (log.draft(at=SENT, closes_at=SENT - SECOND), SENT, "is not in the future"),
        (log.draft(at=SENT, closes_at=CLOSES, audience=("IRN", "SAU")), SENT,
         "addressed to exactly IRN, QAT, SAU, SEC"),
        (log.draft(at=SENT, closes_at=CLOSES, fmt="nowhere", audience=("IRN",)), SENT,
         "unknown format"),
        (log.draft("SAU", at=SENT, closes_at=CLOSES, revises=draft.entry.id_hex), SENT,
         "only the chair"),
    ]
    for record, now, message in cases:
        with pytest.raises(ProcedureError) as refused:
            check(record.entry, now=now)
        assert message in refused.value.message, (message, refused.value.message)
