"""Acknowledgement: every entry addressed to an obliged party (other than acknowledgements and
key entries: forms whose ``FormSpec.acknowledge`` is false) is acknowledged by that party with
an ``acknowledgement@1`` listing it, within ``acknowledgement.within`` of the entry's finality.

The deadline runs from the acknowledged entry's finality time, so while that entry is not final
the obligation is ``pending`` with no deadline yet. Entries to ``all`` are owed by every obliged
party but the sender; organisations owe nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..rule import Outcome, Window, fixed, judge, open_obligation, span
from ..view import ACKNOWLEDGEMENT, Rec, View

NAME = "acknowledgement"


class AcknowledgementRule:
    name = NAME

    def keys(self, view: View, window: Window) -> Iterator[str]:
        return iter(view.acknowledged)

    def touched(self, view: View, rec: Rec) -> Iterator[str]:
        if rec.id in view.acknowledged:
            yield rec.id
        if rec.form == ACKNOWLEDGEMENT and rec.body is not None:
            yield from dict.fromkeys(rec.body.entries)

    def assess(self, view: View, key: str) -> list[Outcome]:
        rec = view.acknowledged.get(key)
        if rec is None:
            return []
        addressees = view.addressees(rec)
        year = rec.sequenced_at.year
        subject = f"#{rec.index} {rec.form}"
        if rec.final_at is None:
            return [
                fixed(party, NAME, "pending", None, (key,), "entry not final yet",
                      year=year, subject=subject)
                for party in addressees
            ]
        due = rec.final_at + view.regime.commitments.acknowledgement.within
        by_party: dict[str, list[Rec]] = {}
        for ack in view.acks.get(key, ()):
            by_party.setdefault(ack.sender, []).append(ack)
        out = []
        for party in addressees:
            acks = by_party.get(party)
            if acks is None:
                out.append(
                    open_obligation(party, NAME, due, (key,), "not acknowledged",
                                    year=year, subject=subject)
                )
                continue
            first = acks[0]
            if len(acks) == 1 and first.final_at is not None and first.final_at <= due:
                # The common case, decided without the general judge.
                out.append(fixed(party, NAME, "met", due, (key, first.id),
                                 f"acknowledged by log #{first.index}",
                                 year=year, subject=subject))
                continue
            verdict = judge(due, acks)
            assert verdict is not None  # there are acknowledgements
            ack = verdict.rec
            if verdict.status == "met":
                detail = f"acknowledged by log #{ack.index}"
            elif verdict.status == "late":
                assert ack.final_at is not None
                detail = f"acknowledged by log #{ack.index}, {span(ack.final_at - due)} late"
            else:
                detail = f"acknowledgement log #{ack.index} not final yet"
            out.append(
                fixed(party, NAME, verdict.status, due, (key, ack.id), detail,
                      year=year, subject=subject)
            )
        return out


RULE = AcknowledgementRule()
