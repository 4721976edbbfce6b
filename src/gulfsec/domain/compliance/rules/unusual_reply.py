"""Unusual military activity, the reply: the participant asked replies
(``unusual-activity-reply@1``, to all participants) within ``unusual_activity.reply`` of the
request's finality (Vienna Document, chapter III: 48 hours)."""

from __future__ import annotations

from collections.abc import Iterator

from gulfsec.domain.entry import ALL
from gulfsec.domain.forms.risk import UNUSUAL, UNUSUAL_REPLY
from gulfsec.i18n import N_

from ..rule import Outcome, Window, fixed
from ..view import Index, Rec, View
from ._risk import REPLY, RiskCases, answered, named

NAME = "unusual-activity-reply"


class UnusualReplyRule:
    name = NAME
    title = N_("Reply to a request on unusual military activity")
    indexes: tuple[type[Index], ...] = (RiskCases,)

    def keys(self, view: View, window: Window) -> Iterator[str]:
        return (cid for cid, rec in view.get(RiskCases).cases.items() if rec.form == UNUSUAL)

    def touched(self, view: View, rec: Rec) -> Iterator[str]:
        if rec.form == UNUSUAL:
            yield rec.id
        elif rec.form == UNUSUAL_REPLY and rec.body is not None:
            yield str(rec.body.request)

    def assess(self, view: View, key: str) -> list[Outcome]:
        index = view.get(RiskCases)
        request = index.cases.get(key)
        if request is None or request.form != UNUSUAL or request.audience != ALL:
            return []
        addressee = request.body.addressee
        if addressee not in view.obliged_set or addressee == request.sender:
            return []
        year, subject = (request.sequenced_at.year,
                         N_("#{index} unusual activity").format(index=request.index))
        if request.final_at is None:
            return [fixed(addressee, NAME, "pending", None, (key,), N_("request not final yet"),
                          year=year, subject=subject)]
        due = request.final_at + view.regime.commitments.unusual_activity.reply
        replies = [r for r in named(index, key, UNUSUAL_REPLY)
                   if r.sender == addressee and r.audience == ALL]
        return [answered(addressee, NAME, due, (key,), replies, words=REPLY, year=year,
                         subject=subject)]


RULE = UnusualReplyRule()
