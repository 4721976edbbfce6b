"""Deciding together: a draft decision, the positions on it, amendments, withdrawal, outcome.

A **draft decision** goes to a format (its audience is exactly the format's members, with the
secretariat, which chairs) and follows a procedure: ``consensus`` (adopted if at closing every
member has taken a position and no objection stands) or ``silence`` (adopted at expiry unless a
member broke silence with an objection or an amendment). Each member **joins**, **stands
aside** or **objects** (a reason is required), and may change its position until the draft
closes; joining or standing aside may carry an interpretative statement. An **amendment**
proposes another text (under silence it breaks silence, like an objection). The proposer may
**withdraw** the draft before it closes; the chair may issue a revised draft (``revises``) that
replaces it. The chair then signs the **outcome**, which every node recomputes.

Which step counts, and what the outcome is, is decided by one pure function of the entries:
:mod:`gulfsec.domain.procedures.decisions`. What a draft decides beyond its title and text is
its ``content``, whose shape its ``kind`` gives (:mod:`gulfsec.domain.procedures.kinds`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from gulfsec.domain.forms import FormSpec
from gulfsec.domain.forms._types import Body, EntryIdHex, LongText, MediumText, Moment, ShortText
from gulfsec.errors import InvalidFormBody
from gulfsec.i18n import N_

DRAFT = "draft-decision@1"
POSITION = "position@1"
AMENDMENT = "amendment@1"
WITHDRAWAL = "draft-withdrawal@1"
OUTCOME = "decision-outcome@1"
STEPS = (POSITION, AMENDMENT, WITHDRAWAL, OUTCOME)
"""The forms that act on a draft (each names it in ``draft``)."""

Procedure = Literal["consensus", "silence"]
Stance = Literal["join", "stand-aside", "object"]
FormatName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9+._-]{0,39}$")]
KindName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z-]{0,31}$")]


class DraftDecision(Body):
    kind: KindName = Field(title="Kind", description="What is decided: text, concept, "
                           "designation, delisting, convene.")
    title: ShortText = Field(title="Title")
    text: LongText = Field(title="Text", description="The text of the decision.")
    format: FormatName = Field(title="Format", description="Who decides: a format of the "
                               "regime (gcc, p5+1+iran, …) or all.")
    procedure: Procedure = Field(title="Procedure", description="consensus, or silence: "
                                 "adopted at expiry unless silence is broken.")
    closes_at: Moment = Field(title="Closes at", description="When positions stop counting; "
                              "for silence, the exact expiry (UTC).")
    amends: EntryIdHex | None = Field(default=None, title="Amends",
                                      description="An adopted decision this one amends or "
                                                  "replaces.")
    revises: EntryIdHex | None = Field(default=None, title="Revises",
                                       description="For the chair: the draft this revised draft "
                                                   "replaces.")
    content: dict[str, Any] = Field(default_factory=dict, validate_default=True,
                                    title="Content",
                                    description="What the kind decides beyond the text.")

    @field_validator("closes_at")
    @classmethod
    def _to_the_second(cls, closes_at: datetime) -> datetime:
        """The log's times (sequenced, final) are whole seconds: so is a closing time, or a
        step in the same second would count before it and after it at once."""
        if closes_at.microsecond:
            raise PydanticCustomError("whole_second", "a closing time is to the whole second, "
                                      "like 2027-01-31T12:00:00Z")
        return closes_at

    @field_validator("content")
    @classmethod
    def _content_fits_its_kind(cls, content: dict[str, Any],
                               info: ValidationInfo) -> dict[str, Any]:
        from gulfsec.domain.procedures.kinds import get_kind

        kind = info.data.get("kind")
        if not isinstance(kind, str):
            return content
        try:
            spec = get_kind(kind)
            spec.parse(content)
        except InvalidFormBody as exc:
            raise PydanticCustomError("content", "{problems}", {"problems": "; ".join(
                f"{where}: {what}" for where, what in exc.fields)}) from None
        procedure = info.data.get("procedure")
        if procedure is not None and procedure not in spec.procedures:
            raise PydanticCustomError(
                "procedure", "a draft of kind {kind} is decided by {allowed} only",
                {"kind": kind, "allowed": " or ".join(spec.procedures)})
        return content


class Position(Body):
    draft: EntryIdHex = Field(title="Draft")
    position: Stance = Field(title="Position",
                             description="join, stand-aside, or object (a reason is required).")
    reason: MediumText | None = Field(default=None, validate_default=True, title="Reason",
                                      description="Required to object.")
    statement: MediumText | None = Field(default=None, validate_default=True,
                                         title="Interpretative statement",
                                         description="With joining or standing aside.")

    @field_validator("reason")
    @classmethod
    def _reason_to_object(cls, reason: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("position") == "object" and reason is None:
            raise PydanticCustomError("missing", "an objection needs a reason")
        return reason

    @field_validator("statement")
    @classmethod
    def _statement_not_with_an_objection(cls, statement: str | None,
                                         info: ValidationInfo) -> str | None:
        if info.data.get("position") == "object" and statement is not None:
            raise PydanticCustomError("statement", "an interpretative statement goes with "
                                      "joining or standing aside, not with an objection")
        return statement


class Amendment(Body):
    draft: EntryIdHex = Field(title="Draft")
    text: LongText = Field(title="Amended text")
    reason: MediumText | None = Field(default=None, title="Reason")


class Withdrawal(Body):
    draft: EntryIdHex = Field(title="Draft")
    reason: MediumText | None = Field(default=None, title="Reason")


class Outcome(Body):
    draft: EntryIdHex = Field(title="Draft")
    outcome: Literal["adopted", "not-adopted"] = Field(title="Outcome")
    statement: MediumText | None = Field(default=None, title="Chair's statement")


_DRAFTS = {"consensus": N_("consensus draft for {format}: {title}"),
           "silence": N_("silence draft for {format}: {title}")}


def _draft_summary(body: Mapping[str, Any]) -> str:
    procedure, fmt, title = body["procedure"], body["format"], body["title"]
    message = _DRAFTS.get(procedure) if isinstance(procedure, str) else None
    if message is None:  # not a procedure a valid body names: said as it is, untranslated
        return f"{procedure} draft for {fmt}: {title}"
    return message.format(format=fmt, title=title)


_STANCE = {"join": N_("joins the draft"), "stand-aside": N_("stands aside on the draft"),
           "object": N_("objects to the draft")}
_OUTCOMES = {"adopted": N_("declares the draft adopted"),
             "not-adopted": N_("declares the draft not-adopted")}


def _outcome_summary(body: Mapping[str, Any]) -> str:
    outcome = body["outcome"]
    message = _OUTCOMES.get(outcome) if isinstance(outcome, str) else None
    return f"declares the draft {outcome}" if message is None else message


FORMS = (
    FormSpec(DRAFT, "Draft decision", DraftDecision,
             "A draft decision put to a format, by consensus or by silence procedure.",
             right="propose", summary=_draft_summary, composed=False,
             refs=("amends", "revises")),
    FormSpec(POSITION, "Position on a draft decision", Position,
             "Joins, stands aside on, or objects to a draft decision.",
             right="decide", summary=lambda b: _STANCE[b["position"]],
             acknowledge=False, composed=False, refs=("draft",)),
    FormSpec(AMENDMENT, "Amendment to a draft decision", Amendment,
             "Proposes another text; under silence procedure it breaks silence.",
             right="decide", summary=lambda b: N_("proposes an amended text"),
             acknowledge=False, composed=False, refs=("draft",)),
    FormSpec(WITHDRAWAL, "Withdrawal of a draft decision", Withdrawal,
             "The proposer withdraws its draft before it closes.",
             right="propose", summary=lambda b: N_("withdraws the draft"),
             acknowledge=False, composed=False, refs=("draft",)),
    FormSpec(OUTCOME, "Outcome of a draft decision", Outcome,
             "The chair states the outcome; every node recomputes it from the positions.",
             right="chair", summary=_outcome_summary,
             acknowledge=False, composed=False, refs=("draft",)),
)
