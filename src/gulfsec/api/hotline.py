"""The hotline over HTTP.

- On a node, to its API token or a delegate's session: ``GET /v1/hotline``, the conversation
  as the node holds it in clear (it sealed what it sent; it opened what it received), with
  each recipient's receipt of each message sent (``received``, ``waiting``, ``overdue``);
  ``POST /v1/hotline`` (an officer, or the API token) seals a message for each recipient and
  sends it (:class:`~gulfsec.services.node.hotline.NodeHotline`).
- On the hub, to a request signed by the secretariat: ``GET /v1/secretariat/hotline``, the
  line with each party as the secretariat's end of the hotline sees it (served only where the
  hub's process runs that end: :mod:`gulfsec.services.hub.hotline`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from gulfsec.api.deps import CurrentParty, HubDep
from gulfsec.api.node_auth import OfficerDep, ReaderDep, get_node
from gulfsec.api.sending import json_object, sent_json
from gulfsec.domain.forms.hotline import HOTLINE
from gulfsec.domain.hotline import MAX_TEXT, PRIORITIES
from gulfsec.errors import AccessDenied, InvalidFormBody, NotFound
from gulfsec.services.hub.hotline import SecretariatHotline
from gulfsec.services.node import Node
from gulfsec.services.node.hotline import NodeHotline

__all__ = ["hub_router", "node_router", "recipients_of_request"]


def _hotline_of(node: Node) -> NodeHotline:
    if node.hotline is None:
        raise NotFound(f"{node.party}'s node takes no part in the hotline: it keeps no "
                       "encryption keys")
    return node.hotline


def recipients_of_request(value: Any) -> list[str]:
    """``to`` as a list of party codes: a list, or one string with commas (``SAU,QAT``)."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise InvalidFormBody(HOTLINE, [("to", 'the recipients, like ["SAU"] or "SAU,QAT"')])
    return [p.strip() for p in value if p.strip()]


# -- a node ------------------------------------------------------------------------------------

node_router = APIRouter(prefix="/v1", tags=["hotline"])

_SEND_DOC: dict[str, Any] = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": {
        "type": "object", "additionalProperties": False, "required": ["to", "text"],
        "properties": {
            "to": {"description": "The recipients: party codes (a list, or one string with "
                                  "commas). Each must have registered an encryption key.",
                   "oneOf": [{"type": "array", "minItems": 1,
                              "items": {"type": "string", "pattern": "^[A-Z]{2,6}$"}},
                             {"type": "string"}]},
            "text": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT,
                     "description": "The message. Only the recipients can read it."},
            "priority": {"type": "string", "enum": list(PRIORITIES), "default": "routine",
                         "description": "flash, immediate or routine: inside the "
                                        "ciphertext, like the text."}}},
    "example": {"to": ["SAU"], "text": "Unidentified aircraft over the strait: yours?",
                "priority": "flash"}}}}}

SENT: dict[int | str, dict[str, Any]] = {
    201: {"description": "sealed, signed, sent and sequenced by the hub: its entry id and seq"},
    202: {"description": "sealed, signed and kept in the node's outbox; `waiting` says why it "
                         "is not sequenced yet"},
    404: {"description": "the node takes no part in the hotline (it keeps no encryption keys)"},
    422: {"description": "a recipient is unknown or has registered no encryption key valid "
                         "now (error `hotline`), or the text or priority does not fit"}}


@node_router.get("/hotline", dependencies=[ReaderDep],
                 summary="The hotline conversation, opened at this node, newest first, with "
                         "each recipient's receipt of each message sent (received, waiting, "
                         "overdue)")
def node_hotline(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=1000, description="The latest messages only.")] = 200,
) -> dict[str, Any]:
    node = get_node(request)
    messages = _hotline_of(node).conversation(limit)
    return {"party": node.party, "total": len(messages), "messages": messages}


@node_router.post("/hotline", status_code=201, dependencies=[OfficerDep], responses=SENT,
                  openapi_extra=_SEND_DOC,
                  summary="Seal a message for each recipient with its registered encryption "
                          "key, sign it in the party's name and send it; the hub stores "
                          "ciphertext only")
async def node_hotline_send(request: Request) -> JSONResponse:
    node = get_node(request)
    hotline = _hotline_of(node)
    fields = await json_object(request, node)
    stray = sorted(set(fields) - {"to", "text", "priority"})
    if stray:
        raise InvalidFormBody(HOTLINE, [(name, "unknown field") for name in stray])
    text = fields.get("text")
    if not isinstance(text, str):
        raise InvalidFormBody(HOTLINE, [("text", "the message, as a string")])
    priority = fields.get("priority", "routine")
    if not isinstance(priority, str):
        raise InvalidFormBody(HOTLINE, [("priority", f"one of {', '.join(PRIORITIES)}")])
    to = recipients_of_request(fields.get("to"))
    signed = await run_in_threadpool(hotline.send, to, text, priority)
    answer, sequenced = sent_json(node, signed)
    return JSONResponse(answer, status_code=201 if sequenced else 202)


# -- the hub -----------------------------------------------------------------------------------

hub_router = APIRouter(prefix="/v1", tags=["hotline"])


@hub_router.get("/secretariat/hotline",
                summary="The secretariat's line with each party (last test sent and its "
                        "receipt, last test received, alarms) and the messages the parties "
                        "sent it, opened by its end of the hotline (to the secretariat's "
                        "signed request)")
def secretariat_hotline(request: Request, hub: HubDep, party: CurrentParty) -> dict[str, Any]:
    if party != hub.regime.secretariat.code:
        raise AccessDenied("the hotline's health is the secretariat's to read")
    service = request.app.state.hotline
    if not isinstance(service, SecretariatHotline):
        raise NotFound("this hub does not run the secretariat's end of the hotline (its "
                       "process holds no secretariat hotline key)")
    return {"lines": service.line_health(), "messages": service.messages(),
            "missed_receipts": service.missed_receipts()}
