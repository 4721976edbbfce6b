"""Observation invitation: for a notified activity that reaches any ``observation`` threshold,
the notifying party sends an ``observation-invitation@1`` naming the notification, addressed
to every member of the regime's observation audience (a format, ``all`` by default), at least
``observation.notice`` before the activity starts.

Judged from the activity's latest notification; an invitation naming any notification of the
activity counts. ``met``/``late`` by the invitation's finality; nothing sent is ``pending``
until the deadline, then ``missing``.
"""

from __future__ import annotations

from collections.abc import Iterator

from gulfsec.domain.entry import ALL
from gulfsec.i18n import N_

from ..rule import Account, Outcome, Window, describe, fixed, judge, open_obligation, start_of_day
from ..view import Index, Rec, View
from ._activities import (
    INDEXES,
    Activities,
    ActivityKey,
    facts,
    observation_reasons,
    subject,
    touched_activities,
)

NAME = "observation-invitation"

OBSERVABLE = Account(
    N_("log #{index} sequenced {at}, not final yet; observable: {reasons}"),
    N_("log #{index} final {at}; observable: {reasons}"),
    N_("log #{index} final {at}, {late} after the deadline; observable: {reasons}"),
)


class ObservationInvitationRule:
    name = NAME
    title = N_("Invitation of observers")
    indexes: tuple[type[Index], ...] = INDEXES

    def keys(self, view: View, window: Window) -> list[ActivityKey]:
        return list(view.get(Activities).notifications)

    def touched(self, view: View, rec: Rec) -> Iterator[ActivityKey]:
        return touched_activities(view, rec)

    def assess(self, view: View, key: ActivityKey) -> list[Outcome]:
        activities = view.get(Activities)
        notices = activities.notifications.get(key)
        if not notices:
            return []
        known = facts(view, key)
        assert known is not None
        terms = view.regime.commitments.observation
        reasons = observation_reasons(view.regime, known.forces)
        if not reasons:
            return []
        party = key[0]
        invited = set(view.regime.format_members(terms.audience)) - {party}
        candidates = [
            invitation
            for notice in notices
            for invitation in activities.invitations.get(notice.id, ())
            if invitation.sender == party
            and (invitation.audience == ALL or invited <= set(invitation.audience))
        ]
        due = start_of_day(known.start) - terms.notice
        listed = ", ".join(reasons)
        verdict = judge(due, candidates)
        if verdict is None:
            return [
                open_obligation(
                    party, NAME, due, (known.source.id,),
                    N_("no invitation sent; observable: {reasons}").format(reasons=listed),
                    year=known.start.year, subject=subject(key, known.name),
                )
            ]
        return [
            fixed(
                party, NAME, verdict.status, due, (known.source.id, verdict.rec.id),
                describe(verdict, due, OBSERVABLE, reasons=listed),
                year=known.start.year, subject=subject(key, known.name),
            )
        ]


RULE = ObservationInvitationRule()
