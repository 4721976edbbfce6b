"""Mediation, only when every party to a dispute asks for it (seed 003).

A dispute is named by its parties; a mediation by the dispute and the mediator. Each step is
addressed to the dispute's parties and the mediator (all but its sender), and to nobody else:
an outsider cannot learn that mediation was requested. ``mediation-request@1`` asks for the
mediator, ``mediation-withdrawal@1`` takes the request back (ending an active mediation at
once), ``mediation-answer@1`` is the mediator's acceptance or refusal; an active mediation's
mediator tables ``mediation-proposal@1`` and each party answers with ``mediation-response@1``.
The state is :mod:`gulfsec.domain.procedures.mediation`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from gulfsec.domain.forms import FormSpec
from gulfsec.domain.forms._types import (
    Attachments,
    Body,
    EntryIdHex,
    LongText,
    MediumText,
    PartyCode,
    ShortText,
)
from gulfsec.i18n import N_

REQUEST = "mediation-request@1"
WITHDRAWAL = "mediation-withdrawal@1"
ANSWER = "mediation-answer@1"
PROPOSAL = "mediation-proposal@1"
RESPONSE = "mediation-response@1"
FORMS_OF_MEDIATION = frozenset({REQUEST, WITHDRAWAL, ANSWER, PROPOSAL, RESPONSE})

Parties = Annotated[list[PartyCode], Field(min_length=2, max_length=30, title="Parties to the "
                                           "dispute")]


def _distinct(parties: list[str]) -> list[str]:
    if len(set(parties)) != len(parties):
        raise PydanticCustomError("parties", "each party to the dispute is named once")
    return parties


class _Dispute(Body):
    parties: Parties
    mediator: PartyCode = Field(title="Mediator",
                                description="A participant, an organisation, or the "
                                            "secretariat's good offices.")

    _parties = field_validator("parties")(classmethod(lambda cls, v: _distinct(v)))

    @field_validator("mediator")
    @classmethod
    def _not_a_party(cls, mediator: str, info: object) -> str:
        data = getattr(info, "data", {})
        if mediator in (data.get("parties") or []):
            raise PydanticCustomError("mediator", "the mediator is not a party to the dispute")
        return mediator


class Request(_Dispute):
    note: MediumText | None = Field(default=None, title="Note")


class Withdrawal(_Dispute):
    reason: MediumText | None = Field(default=None, title="Reason")


class Answer(_Dispute):
    answer: Literal["accept", "decline"] = Field(title="Answer")
    note: MediumText | None = Field(default=None, title="Note")


class Proposal(_Dispute):
    title: ShortText = Field(title="Title")
    text: LongText = Field(title="Proposal")
    attachments: Attachments


class Response(Body):
    proposal: EntryIdHex = Field(title="Proposal")
    response: Literal["accept", "reject"] = Field(title="Response")
    note: MediumText | None = Field(default=None, title="Note")


def _who(body: Mapping[str, Any]) -> str:
    return " – ".join(str(p) for p in body.get("parties") or [])


_ANSWERS = {"accept": N_("accepts to mediate {parties}"),
            "decline": N_("declines to mediate {parties}")}
_RESPONSES = {"accept": N_("accepts the proposal"), "reject": N_("rejects the proposal")}


def _answer_summary(body: Mapping[str, Any]) -> str:
    answer = body["answer"]
    message = _ANSWERS.get(answer) if isinstance(answer, str) else None
    if message is None:  # not an answer a valid body gives: said as it is, untranslated
        return f"{answer}s to mediate {_who(body)}"
    return message.format(parties=_who(body))


def _response_summary(body: Mapping[str, Any]) -> str:
    response = body["response"]
    message = _RESPONSES.get(response) if isinstance(response, str) else None
    return f"{response}s the proposal" if message is None else message


FORMS = (
    FormSpec(REQUEST, "Request for mediation", Request,
             "Asks the named mediator to mediate the dispute; active once every party asks "
             "and the mediator accepts.", right="send", composed=False, acknowledge=False,
             summary=lambda b: N_("asks {mediator} to mediate {parties}").format(
                 mediator=b["mediator"], parties=_who(b))),
    FormSpec(WITHDRAWAL, "Withdrawal of a request for mediation", Withdrawal,
             "Takes the request back; an active mediation ends at once.",
             right="send", composed=False,
             acknowledge=False,
             summary=lambda b: N_("withdraws its request to {mediator}").format(
                 mediator=b["mediator"])),
    FormSpec(ANSWER, "Mediator's answer", Answer,
             "The mediator accepts or declines to mediate the dispute.",
             right="send", composed=False,
             acknowledge=False,
             summary=_answer_summary),
    FormSpec(PROPOSAL, "Mediator's proposal", Proposal,
             "A proposal tabled by the mediator of an active mediation.",
             right="send", composed=False,
             summary=lambda b: str(b["title"])),
    FormSpec(RESPONSE, "Response to a mediator's proposal", Response,
             "A party to the dispute accepts or rejects the mediator's proposal.",
             right="send", composed=False, acknowledge=False, refs=("proposal",),
             summary=_response_summary),
)
