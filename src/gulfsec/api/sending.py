"""What a node's routes that sign and send share: the request body read, the step signed and
sent, its answer (201 sequenced, 202 kept in the outbox), and the body documented in the
OpenAPI from its form."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from gulfsec.api.node_auth import get_node
from gulfsec.domain.encoding import JSONError, parse_json
from gulfsec.domain.entry import SignedEntry
from gulfsec.domain.forms import get_form
from gulfsec.errors import EntryTooLarge, MalformedEntry
from gulfsec.services.node import Node


def sent_responses(missing: str) -> dict[int | str, dict[str, Any]]:
    """The answers of a route that signs and sends; ``missing``: what a 404 does not find."""
    return {
        201: {"description": "signed, sent, and sequenced by the hub: its entry id and seq"},
        202: {"description": "signed and kept in the node's outbox; `waiting` says why it is "
                             "not sequenced yet"},
        404: {"description": f"the node holds no such {missing}"},
        422: {"description": "the body does not fit its form (`fields` says where), or the "
                             "procedure does not allow the step (error `procedure`)"}}


async def send_from(request: Request, act: Callable[..., SignedEntry],
                    *args: Any) -> JSONResponse:
    """``act(node, *args, fields)`` with the request's JSON body: the entry it signed."""
    node = get_node(request)
    fields = await json_object(request, node)
    signed = await run_in_threadpool(act, node, *args, fields)
    answer, sequenced = sent_json(node, signed)
    return JSONResponse(answer, status_code=201 if sequenced else 202)


def body_doc(form: str, *, drop: Collection[str] = (),
             extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The request body's schema for the OpenAPI: the form's body, less the fields the path
    names (``drop``), with ``extra`` properties."""
    schema = get_form(form).json_schema()
    schema.pop("$id", None)
    schema["properties"] = {k: v for k, v in schema["properties"].items() if k not in drop}
    schema["properties"].update(extra or {})
    schema["required"] = [k for k in schema.get("required", []) if k not in drop]
    return {"requestBody": {"required": True,
                            "content": {"application/json": {"schema": schema}}}}


def sent_json(node: Node, signed: SignedEntry) -> tuple[dict[str, Any], bool]:
    """What became of an entry just sent: (the answer, whether the hub sequenced it)."""
    with node.uow() as uow:
        waiting = {item.seq: item for item in uow.repo.outbox_items(pending_only=True)}
    item = waiting.get(signed.entry.seq)
    answer = {"entry_id": signed.id_hex, "form": signed.entry.form, "seq": signed.entry.seq,
              "sequenced": item is None,
              "waiting": None if item is None else (
                  item.last_error or "the hub could not be reached; the node sends it later")}
    return answer, item is None


async def read_capped(request: Request, limit: int) -> bytes:
    """The request's body, refused with EntryTooLarge as soon as it passes ``limit`` bytes."""
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise EntryTooLarge(total, limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def json_object(request: Request, node: Node) -> dict[str, Any]:
    """The request's JSON object, read only once the caller is authenticated, and capped."""
    body = await read_capped(request, node.regime.limits.max_entry_bytes)
    try:
        value = parse_json(body)
    except JSONError as exc:
        raise MalformedEntry(f"the request is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise MalformedEntry("the request must be a JSON object")
    return value
