"""The node's drafts queue on its pages (``/drafts``): prepare, review, sign or discard.

From a compose page's preview, a viewer (or an officer, for a colleague to sign) puts the entry
in the queue (``POST /compose/{form}/queue``); ``/drafts`` lists what waits, newest first, and
what was signed or discarded lately; ``/drafts/{id}`` opens a draft in the usual compose form,
prefilled, whose preview (``POST /drafts/{id}``) an officer signs (``POST /drafts/{id}/send``,
once per confirmation, the draft marked signed with the entry) or puts back in the queue
changed (``POST /drafts/{id}/queue``, replacing it); ``POST /drafts/{id}/discard`` discards it.
Every form carries the session's CSRF token. The rules (who may sign or discard, the node's
two-person rule) are the service's, :class:`gulfsec.services.node.drafts.Drafts`, handed over
on :class:`~gulfsec.web.node.pages.NodeSite` by :func:`gulfsec.web.install_node_pages`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from gulfsec.errors import (
    AudienceError,
    DraftSettled,
    EntryError,
    InvalidFormBody,
    MissingRight,
    NotFound,
    PreviewChanged,
    UnknownReference,
)
from gulfsec.i18n import _
from gulfsec.services.node.drafts import Drafts, QueuedDraft
from gulfsec.services.shared.accounts import WebSession
from gulfsec.web.deps import SessionDep, SiteDep
from gulfsec.web.node.pages import (
    ComposeState,
    _body_from_json,
    _compose_page,
    _draft,
    _no_such_form,
    _preview_or_errors,
    _previewed,
    _site,
    _spec,
    compose_step,
    page,
    posted_state,
)
from gulfsec.web.site import Site, check_csrf, error_page, read_form, redirect

__all__ = ["install", "router"]

router = APIRouter(include_in_schema=False)


def install(site: Site) -> None:
    """Give the node's templates ``drafts_waiting()``: how many drafts wait (the nav shows
    it)."""
    drafts = _drafts(site)
    site.env.globals["drafts_waiting"] = drafts.count_waiting


def _drafts(site: Site) -> Drafts:
    return _site(site).the_drafts()


def _not_found(request: Request, site: Site, exc: NotFound, session: WebSession) -> Response:
    return error_page(request, site, 404, _("No such draft"), exc.message, session)


def _settled(request: Request, site: Site, exc: DraftSettled, session: WebSession) -> Response:
    return error_page(request, site, 409, _("This draft is no longer waiting"),
                      exc.message + " " + _("Nothing was signed or changed."), session)


@router.get("/drafts")
def drafts_page(request: Request, site: SiteDep, session: SessionDep) -> Response:
    drafts = _drafts(site)
    waiting = drafts.waiting()
    context: dict[str, Any] = {
        "waiting": waiting, "recent": drafts.recent(),
        "may_discard": {d.id for d in waiting if drafts.may_discard(session.account, d)},
        "two_person": {d.id for d in waiting if drafts.two_person(d.form)},
        "queued_id": request.query_params.get("queued"),
        "discarded_id": request.query_params.get("discarded"),
    }
    return page(request, site, "node/drafts.html", context, session)


def _state_of(queued: QueuedDraft) -> ComposeState | None:
    spec = _spec(queued.form)
    if spec is None:
        return None
    return ComposeState(spec, dict(queued.body), queued.audience_kind, queued.audience_format,
                        list(queued.audience_parties), " ".join(queued.refs), queued=queued)


@router.get("/drafts/{draft_id}")
def draft_page(request: Request, draft_id: int, site: SiteDep, session: SessionDep) -> Response:
    try:
        queued = _drafts(site).get(draft_id)
    except NotFound as exc:
        return _not_found(request, site, exc, session)
    state = _state_of(queued)
    if state is None:
        return _no_such_form(request, site, queued.form, session)
    return _compose_page(request, site, session, state)


async def _read(request: Request, site: Site, session: WebSession,
                draft_id: int) -> tuple[FormData, QueuedDraft | Response, ComposeState | None]:
    """The posted form, checked, and the draft it is about with the state it posts (or the
    page to answer with)."""
    form = await read_form(request)
    check_csrf(request, form, session)
    try:
        queued = await run_in_threadpool(_drafts(site).get, draft_id)
    except NotFound as exc:
        return form, _not_found(request, site, exc, session), None
    spec = _spec(queued.form)
    if spec is None:
        return form, _no_such_form(request, site, queued.form, session), None
    state = posted_state(spec, form, queued=queued)
    return form, queued, state


@router.post("/drafts/{draft_id}")
async def draft_post(request: Request, draft_id: int, site: SiteDep,
                     session: SessionDep) -> Response:
    """The compose form's steps on a draft: preview, back, add or remove a row."""
    form, queued, state = await _read(request, site, session, draft_id)
    if state is None:
        assert isinstance(queued, Response)
        return queued
    return await compose_step(request, site, session, form, state)


@router.post("/drafts/{draft_id}/send")
async def draft_send(request: Request, draft_id: int, site: SiteDep,
                     session: SessionDep) -> Response:
    """Sign the draft as previewed, once per confirmation, and mark it signed."""
    form, queued, state = await _read(request, site, session, draft_id)
    if state is None:
        assert isinstance(queued, Response)
        return queued
    state.body = _body_from_json(str(form.get("body_json") or ""), state)
    if form.get("confirm") != "yes":
        return await run_in_threadpool(
            _preview_or_errors, request, site, session, state, {},
            _("Tick the box to confirm that you have checked the entry, then sign it."))
    draft = await run_in_threadpool(_draft, site, state, {})
    if draft is None:
        return await run_in_threadpool(_compose_page, request, site, session, state, 422)
    try:
        signed, fresh = await run_in_threadpool(
            _drafts(site).sign, session.account, draft_id, draft,
            str(form.get("confirmation") or ""), _previewed(form))
    except PreviewChanged as exc:
        return await run_in_threadpool(_preview_or_errors, request, site, session, state, {},
                                       None, exc.message)
    except DraftSettled as exc:
        return _settled(request, site, exc, session)
    except (EntryError, MissingRight) as exc:
        state.general_error = _("Not sent: %(reason)s") % {"reason": exc.message}
        return await run_in_threadpool(_compose_page, request, site, session, state, 422)
    return redirect(f"/entries/{signed.id_hex}?sent={'1' if fresh else 'again'}")


@router.post("/drafts/{draft_id}/discard")
async def draft_discard(request: Request, draft_id: int, site: SiteDep,
                        session: SessionDep) -> Response:
    form = await read_form(request)
    check_csrf(request, form, session)
    try:
        await run_in_threadpool(_drafts(site).discard, session.account, draft_id)
    except NotFound as exc:
        return _not_found(request, site, exc, session)
    except DraftSettled as exc:
        return _settled(request, site, exc, session)
    return redirect(f"/drafts?discarded={draft_id}")


@router.post("/drafts/{draft_id}/queue")
async def draft_requeue(request: Request, draft_id: int, site: SiteDep,
                        session: SessionDep) -> Response:
    """Put a changed draft back in the queue, prepared by whoever changed it."""
    form, queued, state = await _read(request, site, session, draft_id)
    if state is None:
        assert isinstance(queued, Response)
        return queued
    return await _queue(request, site, session, form, state, replacing=draft_id)


@router.post("/compose/{form_id}/queue")
async def compose_queue(request: Request, form_id: str, site: SiteDep,
                        session: SessionDep) -> Response:
    """Put the previewed entry in the drafts queue instead of signing it."""
    form = await read_form(request)
    check_csrf(request, form, session)
    spec = _spec(form_id)
    if spec is None:
        return await run_in_threadpool(_no_such_form, request, site, form_id, session)
    state = posted_state(spec, form)
    return await _queue(request, site, session, form, state)


async def _queue(request: Request, site: Site, session: WebSession, form: FormData,
                 state: ComposeState, replacing: int | None = None) -> Response:
    state.body = _body_from_json(str(form.get("body_json") or ""), state)
    draft = await run_in_threadpool(_draft, site, state, {})
    if draft is None:
        return await run_in_threadpool(_compose_page, request, site, session, state, 422)
    try:
        draft_id = await run_in_threadpool(
            _drafts(site).prepare, session.account, state.spec.id, state.audience_kind,
            state.audience_format, state.audience_parties, draft.body, draft.refs, replacing)
    except InvalidFormBody as exc:
        state.errors.update(dict(exc.fields))
    except AudienceError as exc:
        state.audience_error = exc.message
    except UnknownReference as exc:
        state.refs_error = exc.message
    except (EntryError, MissingRight) as exc:
        state.general_error = _("Not put in the queue: %(reason)s") % {"reason": exc.message}
    except NotFound as exc:
        return _not_found(request, site, exc, session)
    else:
        return redirect(f"/drafts?queued={draft_id}")
    return await run_in_threadpool(_compose_page, request, site, session, state, 422)
