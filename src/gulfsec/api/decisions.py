"""Deciding together over HTTP: the draft decisions, the Concept and the designation list.

The same reading routes are served three ways, each over one view of decisions
(:class:`~gulfsec.services.shared.decisions.DecisionRecords`), judged at the server's clock:

- on the hub, to a signed reader: what that party may read (``/v1/decisions``, ``/v1/concept``,
  ``/v1/concept/diff``, ``/v1/designations``);
- on the hub, to anyone: what is addressed to all, adopted decisions only
  (``/v1/public/…``);
- on a node, to its API token or a delegate's session: the node's own verified copy — the
  authority, from which the hub's answers can be checked.

A node also acts: it proposes a draft (``POST /v1/decisions``), takes a position, amends or
withdraws (``POST /v1/decisions/{id}/position|amendment|withdrawal``). Each entry is checked
as the hub would check it, on the node's own copy (:func:`send_checked`), before it is signed:
a step the hub would refuse never waits in the outbox ahead of the party's later entries.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from gulfsec.api.deps import CurrentParty, HubDep
from gulfsec.api.node_auth import OfficerDep, ReaderDep, get_node
from gulfsec.api.sending import body_doc, json_object, sent_json, sent_responses
from gulfsec.domain.entry import Audience, SignedEntry
from gulfsec.domain.forms import get_form
from gulfsec.domain.forms.decisions import AMENDMENT, DRAFT, POSITION, WITHDRAWAL
from gulfsec.domain.procedures import concept
from gulfsec.domain.procedures.decisions import (
    Decision,
    Status,
    draft_audience,
)
from gulfsec.domain.procedures.designations import Designated, DesignationList
from gulfsec.domain.validate import check_entry
from gulfsec.errors import EntryTooLarge, InvalidFormBody, NotFound
from gulfsec.services.hub.records import PUBLIC, DecisionsByViewer
from gulfsec.services.node import Node
from gulfsec.services.participant import compose
from gulfsec.services.shared.decisions import DecisionRecords

# -- what the routes answer (also what the CLI prints as JSON or CSV) ------------------------

DESIGNATION_COLUMNS = ("designation", "name", "aliases", "entity_type", "grounds", "references",
                       "designated_at", "delisted_at")


def decisions_json(found: Sequence[Decision], status: str | None = None,
                   limit: int | None = None) -> dict[str, Any]:
    """The decisions (most recent first), of ``status`` only if given, at most ``limit``."""
    chosen = [d for d in found if status is None or d.status == status]
    return {"total": len(chosen), "decisions": [d.to_json() for d in chosen[:limit]]}


def version_header(version: concept.Version) -> dict[str, Any]:
    return {k: v for k, v in version.to_json().items() if k != "sections"}


def diff_json(old: concept.Version, new: concept.Version,
              changes: Sequence[concept.SectionChange]) -> dict[str, Any]:
    return {"from": version_header(old), "to": version_header(new),
            "sections": [c.to_json() for c in changes]}


def designations_json(listed: DesignationList) -> dict[str, Any]:
    return {"current": [e.to_json() for e in listed.current],
            "entities": [e.to_json() for e in listed.entities],
            "history": [e.to_json() for e in listed.history]}


def designations_csv(entities: Sequence[Designated]) -> str:
    """CSV (RFC 4180) with a header row, one row per entity ever designated. Aliases are
    ``name (Script)`` and references are joined by ``; ``; times are UTC; a delisting time is
    empty while the entity is listed."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(DESIGNATION_COLUMNS)
    for entity in entities:
        row = entity.to_json()
        writer.writerow([
            row["designation"], row["name"],
            "; ".join(f"{a['name']} ({a['script']})" for a in row["aliases"]),
            row["entity_type"], row["grounds"], "; ".join(row["references"]),
            row["designated_at"], row["delisted_at"] or ""])
    return out.getvalue()


# -- acting from a node ----------------------------------------------------------------------


def send_checked(node: Node, form: str, audience: Audience, body: dict[str, Any],
                 refs: Sequence[str]) -> SignedEntry:
    """Check the entry as the hub would — its form, the sender's right, its size — then sign
    it as the party's next and send it; the node's outbox refuses, before signing, a step the
    procedure does not allow, judged on its own copy. Raises the error the hub would answer
    with, and signs nothing then."""
    now = node.clock.now()
    with node.uow() as uow:
        seq = node.outbox.next_seq(uow.repo)
    signed = compose(node.key, node.party, form=form, audience=audience, body=body, seq=seq,
                     now=now, refs=refs)
    check_entry(signed, node.regime, now)
    limit = node.regime.limits.max_entry_bytes
    if len(signed.raw) > limit:
        raise EntryTooLarge(len(signed.raw), limit)
    return node.send(form, audience, body, refs)


def _present(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields given a value (an optional field sent as null is left out of the body)."""
    return {k: v for k, v in fields.items() if v is not None}


def propose(node: Node, body: dict[str, Any]) -> SignedEntry:
    """Table the draft decision ``body`` (a ``draft-decision@1`` body), addressed to exactly
    its format, referring to the decision it amends or revises."""
    spec = get_form(DRAFT)
    body = spec.validate(_present(body))
    audience = draft_audience(node.regime, str(body["format"]))
    return send_checked(node, DRAFT, audience, body, spec.referenced(body))


def act_on_draft(node: Node, form: str, draft_id: str, fields: dict[str, Any]) -> SignedEntry:
    """Take a step of ``form`` (a position, an amendment, a withdrawal) on a draft the node
    holds (NotFound otherwise), addressed to the draft's audience."""
    if "draft" in fields:
        raise InvalidFormBody(form, [("draft", "the draft is the one named in the path")])
    book = node.decisions.book()
    record = book.drafts.get(draft_id)
    if record is None:
        raise NotFound(f"{node.party}'s node holds no draft decision {draft_id[:70]}")
    body = {"draft": draft_id, **_present(fields)}
    return send_checked(node, form, record.entry.entry.audience, body, [draft_id])


# -- the reading routes, for each view -------------------------------------------------------


@dataclass(frozen=True)
class Viewing:
    """One view of the decisions, and the server's time to judge them at."""

    records: DecisionRecords
    now: datetime


def _by_viewer(request: Request) -> DecisionsByViewer:
    found = request.app.state.decisions
    assert isinstance(found, DecisionsByViewer)
    return found


def _hub_reader_view(request: Request, hub: HubDep, party: CurrentParty) -> Viewing:
    return Viewing(_by_viewer(request).for_viewer(party), hub.clock.now())


def _hub_public_view(request: Request, hub: HubDep) -> Viewing:
    return Viewing(_by_viewer(request).for_viewer(PUBLIC), hub.clock.now())


def _node_view(request: Request) -> Viewing:
    node = get_node(request)
    return Viewing(node.decisions, node.clock.now())


ReaderView = Annotated[Viewing, Depends(_hub_reader_view)]
PublicView = Annotated[Viewing, Depends(_hub_public_view)]
NodeView = Annotated[Viewing, Depends(_node_view)]

DraftId = Annotated[str, Path(min_length=1, max_length=128,
                              description="The draft decision's entry id (64 hex digits).")]
VersionNo = Annotated[int, Query(ge=1, le=1_000_000,
                                 description="A version's number (1: the first adopted).")]
Limit = Annotated[int, Query(ge=1, le=1000, description="At most this many decisions.")]
StatusFilter = Annotated[Status | None, Query(description="Only decisions with this status.")]
ListFormat = Annotated[Literal["json", "csv"], Query(
    description="csv: one row per entity ever designated.")]
CSV_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {}, "text/csv": {}}}}


def _decisions(v: Viewing, status: str | None, limit: int) -> dict[str, Any]:
    return decisions_json(v.records.decisions(v.now), status, limit)


def _decision(v: Viewing, draft_id: str) -> dict[str, Any]:
    return v.records.decision(draft_id, v.now).to_json()


def _concept(v: Viewing, version: int | None) -> dict[str, Any]:
    return v.records.concept_version(version, v.now).to_json()


def _diff(v: Viewing, a: int, b: int) -> dict[str, Any]:
    return diff_json(*v.records.concept_diff(a, b, v.now))


def _designations(v: Viewing, format: str) -> Response:
    listed = v.records.designation_list(v.now)
    if format == "csv":
        return Response(designations_csv(listed.entities), media_type="text/csv",
                        headers={"Content-Disposition": 'inline; filename="designations.csv"'})
    return JSONResponse(designations_json(listed))


# -- the hub's routes ------------------------------------------------------------------------

hub_router = APIRouter(prefix="/v1", tags=["decisions"])


@hub_router.get("/decisions", summary="Draft decisions the caller may read, the most recent "
                "first, each with where it stands now")
def hub_decisions(v: ReaderView, status: StatusFilter = None,
                  limit: Limit = 100) -> dict[str, Any]:
    return _decisions(v, status, limit)


@hub_router.get("/decisions/{draft_id}", summary="One draft decision the caller may read: its "
                "members' positions, every step on it, and its outcome")
def hub_decision(v: ReaderView, draft_id: DraftId) -> dict[str, Any]:
    return _decision(v, draft_id)


@hub_router.get("/concept", summary="A version of the Concept among the decisions the caller "
                "may read (default: the current one), section by section")
def hub_concept(v: ReaderView, version: VersionNo | None = None) -> dict[str, Any]:
    return _concept(v, version)


@hub_router.get("/concept/diff", summary="What changed between two versions of the Concept, "
                "section by section, with unified diff lines")
def hub_concept_diff(v: ReaderView, a: VersionNo, b: VersionNo) -> dict[str, Any]:
    return _diff(v, a, b)


@hub_router.get("/designations", responses=CSV_ANSWER, summary="The counter-terrorism "
                "designation list among the decisions the caller may read")
def hub_designations(v: ReaderView, format: ListFormat = "json") -> Response:
    return _designations(v, format)


@hub_router.get("/public/decisions", summary="Decisions adopted in procedures addressed to "
                "all, the most recent first (no sign-in)")
def public_decisions(v: PublicView, limit: Limit = 100) -> dict[str, Any]:
    return _decisions(v, "adopted", limit)


@hub_router.get("/public/concept", summary="A version of the Concept adopted by all (default: "
                "the current one), section by section (no sign-in)")
def public_concept(v: PublicView, version: VersionNo | None = None) -> dict[str, Any]:
    return _concept(v, version)


@hub_router.get("/public/concept/diff", summary="What changed between two versions of the "
                "Concept adopted by all (no sign-in)")
def public_concept_diff(v: PublicView, a: VersionNo, b: VersionNo) -> dict[str, Any]:
    return _diff(v, a, b)


@hub_router.get("/public/designations", responses=CSV_ANSWER, summary="The counter-terrorism "
                "designation list adopted by all, with its history (no sign-in)")
def public_designations(v: PublicView, format: ListFormat = "json") -> Response:
    return _designations(v, format)


# -- a node's routes -------------------------------------------------------------------------

node_router = APIRouter(prefix="/v1", tags=["decisions"], dependencies=[ReaderDep])


@node_router.get("/decisions", summary="Draft decisions in the node's verified copy, the most "
                 "recent first, each with where it stands now")
def node_decisions(v: NodeView, status: StatusFilter = None,
                   limit: Limit = 100) -> dict[str, Any]:
    return _decisions(v, status, limit)


@node_router.get("/decisions/{draft_id}", summary="One draft decision in the node's copy: its "
                 "members' positions, every step on it, and its outcome")
def node_decision(v: NodeView, draft_id: DraftId) -> dict[str, Any]:
    return _decision(v, draft_id)


@node_router.get("/concept", summary="A version of the Concept, from the node's copy "
                 "(default: the current one), section by section")
def node_concept(v: NodeView, version: VersionNo | None = None) -> dict[str, Any]:
    return _concept(v, version)


@node_router.get("/concept/diff", summary="What changed between two versions of the Concept, "
                 "from the node's copy")
def node_concept_diff(v: NodeView, a: VersionNo, b: VersionNo) -> dict[str, Any]:
    return _diff(v, a, b)


@node_router.get("/designations", responses=CSV_ANSWER, summary="The counter-terrorism "
                 "designation list, from the node's copy")
def node_designations(v: NodeView, format: ListFormat = "json") -> Response:
    return _designations(v, format)


SENT = sent_responses("draft")


def _step_doc(form: str) -> dict[str, Any]:
    """The body of a step on a draft, less ``draft`` (the path names it)."""
    return body_doc(form, drop=("draft",))


async def _sent(node: Node, act: Callable[..., SignedEntry], *args: Any) -> JSONResponse:
    signed = await run_in_threadpool(act, node, *args)
    answer, sequenced = sent_json(node, signed)
    return JSONResponse(answer, status_code=201 if sequenced else 202)


@node_router.post("/decisions", status_code=201, dependencies=[OfficerDep], responses=SENT,
                  openapi_extra=_step_doc(DRAFT), summary="Propose a draft decision (a "
                  "draft-decision@1 body), addressed to exactly its format")
async def node_propose(request: Request) -> JSONResponse:
    node = get_node(request)
    return await _sent(node, propose, await json_object(request, node))


@node_router.post("/decisions/{draft_id}/position", status_code=201, dependencies=[OfficerDep],
                  responses=SENT, openapi_extra=_step_doc(POSITION), summary="Join, stand "
                  "aside on, or object to a draft (a reason is required to object)")
async def node_position(request: Request, draft_id: DraftId) -> JSONResponse:
    node = get_node(request)
    return await _sent(node, act_on_draft, POSITION, draft_id,
                       await json_object(request, node))


@node_router.post("/decisions/{draft_id}/amendment", status_code=201, dependencies=[OfficerDep],
                  responses=SENT, openapi_extra=_step_doc(AMENDMENT), summary="Propose an "
                  "amended text of a draft (under silence procedure, it breaks silence)")
async def node_amendment(request: Request, draft_id: DraftId) -> JSONResponse:
    node = get_node(request)
    return await _sent(node, act_on_draft, AMENDMENT, draft_id,
                       await json_object(request, node))


@node_router.post("/decisions/{draft_id}/withdrawal", status_code=201,
                  dependencies=[OfficerDep], responses=SENT,
                  openapi_extra=_step_doc(WITHDRAWAL), summary="Withdraw a draft this party "
                  "proposed, before it closes")
async def node_withdrawal(request: Request, draft_id: DraftId) -> JSONResponse:
    node = get_node(request)
    return await _sent(node, act_on_draft, WITHDRAWAL, draft_id,
                       await json_object(request, node))
