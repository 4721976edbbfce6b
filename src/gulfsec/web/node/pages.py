"""A node's pages for its party's delegates: inbox, one entry, compose, compliance, alarms;
the decision pages (:mod:`.decisions`) ride on the same router.

Every page needs a signed-in delegate; writing needs an officer. Handlers only translate: query
or form in, one service call (:mod:`gulfsec.services.node.views`, ``.detail``, ``.compose``,
:mod:`gulfsec.services.shared.scorecards`), a template out.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from gulfsec.domain.encoding import JSONError, canonical, parse_json, parse_time
from gulfsec.domain.entry import ALL, Audience
from gulfsec.domain.forms import FormSpec, registry
from gulfsec.errors import (
    AudienceError,
    EntryError,
    Forbidden,
    InvalidFormBody,
    MalformedEntry,
    MissingRight,
    PreviewChanged,
    UnknownReference,
)
from gulfsec.i18n import _
from gulfsec.services.node import Node, views
from gulfsec.services.node import detail as details
from gulfsec.services.node.compose import (
    Composer,
    Draft,
    composable,
    composable_forms,
    parse_refs,
    preview,
    resolve_audience,
)
from gulfsec.services.node.drafts import Drafts, QueuedDraft
from gulfsec.services.shared import scorecards as compliance_view
from gulfsec.services.shared.accounts import OFFICER, WebSession
from gulfsec.services.shared.cache import StateCache
from gulfsec.web import forms as schema_form
from gulfsec.web.deps import SessionDep, SiteDep
from gulfsec.web.node import consultations as consultation_pages
from gulfsec.web.node import decisions as decision_pages
from gulfsec.web.node import hotline as hotline_pages
from gulfsec.web.node import news as news_pages
from gulfsec.web.node import risk as risk_pages
from gulfsec.web.site import (
    Site,
    check_csrf,
    error_page,
    form_lists,
    language_of,
    parties_in,
    read_form,
    redirect,
    render,
)

router = APIRouter(include_in_schema=False)
router.include_router(decision_pages.router)
router.include_router(consultation_pages.router)
router.include_router(risk_pages.router)
router.include_router(hotline_pages.router)
router.include_router(news_pages.router)


@dataclass
class NodeSite(Site):
    node: Node | None = None
    composer: Composer | None = None
    scorecards: compliance_view.Scorecards | None = None
    drafts: Drafts | None = None
    """The drafts queue and the node's two-person rule (:mod:`gulfsec.web.node.drafts`)."""
    entries: StateCache[tuple[details.EntryDetail | None, list[schema_form.Shown]]] = field(
        default_factory=StateCache)
    """Each entry's page as shown, once per state of the node's log (and minute)."""

    def the_node(self) -> Node:
        assert self.node is not None
        return self.node

    def the_drafts(self) -> Drafts:
        if self.drafts is None:
            self.drafts = Drafts(self.the_node())
        return self.drafts


def _site(site: Site) -> NodeSite:
    assert isinstance(site, NodeSite)
    return site


def page(request: Request, site: Site, template: str, context: dict[str, Any],
         session: WebSession, status: int = 200) -> Response:
    """A node page: the template with the alarm count the banner needs."""
    node = _site(site).the_node()
    return render(request, site, template,
                  {"alarm_count": views.alarm_count(node), "party": node.party, **context},
                  session=session, status=status)


def _parties(site: Site, lang: str) -> list[tuple[str, str, str | None]]:
    return parties_in(site, lang)


@router.get("/")
def home(session: SessionDep) -> Response:
    return redirect("/inbox")


# -- inbox and entries -------------------------------------------------------------------------


@router.get("/inbox")
def inbox(request: Request, site: SiteDep, session: SessionDep) -> Response:
    node = _site(site).the_node()
    params = {k: v for k, v in request.query_params.items()}
    flt, problems = views.InboxFilter.parse(params, site.regime)
    result = views.inbox(node, flt, problems=problems)
    lang = language_of(site, request).code
    rows = site.fragments.render(site, "node/_inbox_rows.html",
                                 ("inbox", flt, tuple(problems), lang), result,
                                 lambda: {"inbox": result, "flt": flt})
    if request.query_params.get("fragment") == "rows":
        return HTMLResponse(rows)
    context = {"inbox": result, "flt": flt, "forms": list(registry().values()),
               "parties": _parties(site, lang), "states": views.STATES,
               "state_words": views.STATE_WORDS, "directions": views.DIRECTIONS,
               "rows_html": rows}
    return page(request, site, "node/inbox.html", context, session)


@router.get("/inbox/updates.json")
def inbox_updates(site: SiteDep, session: SessionDep) -> JSONResponse:
    return JSONResponse(views.latest_state(_site(site).the_node()),
                        headers={"Cache-Control": "no-store"})


@router.get("/entries/{entry_id}")
def entry(request: Request, entry_id: str, site: SiteDep, session: SessionDep) -> Response:
    node = _site(site).the_node()
    lang = language_of(site, request).code
    wanted = entry_id.lower()

    def shown() -> tuple[details.EntryDetail | None, list[schema_form.Shown]]:
        detail = details.entry_detail(node, wanted)
        return detail, ([] if detail is None
                        else schema_form.show(detail.spec, detail.body, language=lang))

    detail, body = _site(site).entries.get((wanted, lang), views.read_state(node), shown,
                                           tick=views.minute(node))
    if detail is None:
        return error_page(request, site, 404, _("No such entry"),
                          _("This node holds no entry with that id. It may not be addressed to "
                            "%(party)s, or the node has not synced it yet.")
                          % {"party": node.party}, session)
    if request.query_params.get("fragment") == "state":  # what the page swaps in as it changes
        return render(request, site, "node/_entry_state.html",
                      {"detail": detail, "row": detail.row, "part": None}, session=session)
    return page(request, site, "node/entry.html",
                {"detail": detail, "row": detail.row, "shown": body,
                 "sent": request.query_params.get("sent") == "1",
                 "repeated": request.query_params.get("sent") == "again"}, session)


# -- compose -----------------------------------------------------------------------------------


@dataclass
class ComposeState:
    """What the compose page shows: the draft as it stands and what is wrong with it."""

    spec: FormSpec
    body: dict[str, Any]
    audience_kind: str = "parties"
    audience_format: str = ""
    audience_parties: list[str] = field(default_factory=list)
    refs_text: str = ""
    json_text: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    audience_error: str | None = None
    refs_error: str | None = None
    general_error: str | None = None
    posted: bool = False
    """Read back from a posted form (not a fresh one)."""
    queued: QueuedDraft | None = None
    """The draft of the queue being reviewed (:mod:`.drafts`), if any."""

    @property
    def action(self) -> str:
        """Where the page's forms post: the draft's pages, or the form's."""
        if self.queued is not None and self.queued.waiting:
            return f"/drafts/{self.queued.id}"
        return f"/compose/{self.spec.id}"


@router.get("/compose")
def compose_index(request: Request, site: SiteDep, session: SessionDep) -> Response:
    return page(request, site, "node/compose_index.html",
                {"forms": composable_forms(_site(site).the_node())}, session)


def _no_such_form(request: Request, site: Site, form_id: str, session: WebSession) -> Response:
    return error_page(request, site, 404, _("No such form"),
                      _("There is no form %(form)s to write here.") % {"form": repr(form_id)},
                      session)


def _spec(form_id: str) -> FormSpec | None:
    try:
        return composable(form_id)
    except EntryError:
        return None


@router.get("/compose/{form_id}")
def compose_form(request: Request, form_id: str, site: SiteDep, session: SessionDep) -> Response:
    spec = _spec(form_id)
    if spec is None:
        return _no_such_form(request, site, form_id, session)
    to = [p.strip().upper() for p in request.query_params.getlist("to") if p.strip()]
    refs = " ".join(request.query_params.getlist("ref"))
    state = ComposeState(spec, {}, audience_kind="parties" if to else "all",
                         audience_parties=to, refs_text=refs)
    return _compose_page(request, site, session, state)


def _compose_page(request: Request, site: Site, session: WebSession, state: ComposeState,
                  status: int = 200) -> Response:
    lang = language_of(site, request).code
    view = schema_form.build(state.spec, state.body, state.errors, language=lang,
                             parties=_parties(site, lang),
                             sender=_site(site).the_node().party, posted=state.posted)
    return page(request, site, "node/compose_form.html",
                {"state": state, "view": view, "formats": site.regime.formats,
                 "parties": _parties(site, lang), "officer": session.account.role == OFFICER,
                 **_signing(site, session, state, None)},
                session, status)


def _signing(site: Site, session: WebSession, state: ComposeState,
             draft: Draft | None) -> dict[str, Any]:
    """What the compose pages say of signing: why this delegate may not sign (None: may),
    and whether the two-person rule covers the form."""
    drafts = _site(site).the_drafts()
    return {"refusal": drafts.refusal(session.account, state.spec.id, state.queued, draft),
            "two_person": drafts.two_person(state.spec.id)}


def posted_state(spec: FormSpec, form: FormData, **more: Any) -> ComposeState:
    """The compose page's state as a posted form gives it: its audience and references (the
    body is read by each step)."""
    kind, fmt, parties = _audience_fields(form)
    return ComposeState(spec, {}, kind, fmt, parties, str(form.get("refs") or ""),
                        posted=True, **more)


def _audience_fields(form: FormData) -> tuple[str, str, list[str]]:
    kind = str(form.get("audience_kind") or "")
    fmt = str(form.get("audience_format") or "")
    parties = [str(p) for p in form.getlist("audience_parties")]
    return kind, fmt, parties


def _resolve(site: Site, state: ComposeState) -> Audience | None:
    node = _site(site).the_node()
    try:
        return resolve_audience(site.regime, node.party, state.audience_kind,
                                state.audience_format, state.audience_parties)
    except AudienceError as exc:
        state.audience_error = exc.message
        return None


@router.post("/compose/{form_id}")
async def compose_post(request: Request, form_id: str, site: SiteDep,
                       session: SessionDep) -> Response:
    form = await read_form(request)
    check_csrf(request, form, session)
    spec = _spec(form_id)
    if spec is None:
        return await run_in_threadpool(_no_such_form, request, site, form_id, session)
    return await compose_step(request, site, session, form, posted_state(spec, form))


async def compose_step(request: Request, site: Site, session: WebSession, form: FormData,
                       state: ComposeState) -> Response:
    """One step of the compose form on ``state`` (a new entry's or a queued draft's): back
    from the preview, a row added or removed, or the form read and previewed."""
    fields = form_lists(form)
    if form.get("_back"):
        state.body = _body_from_json(str(form.get("body_json") or ""), state)
        return await run_in_threadpool(_compose_page, request, site, session, state)
    add, remove = form.get("_add"), form.get("_remove")
    if add or remove:
        state.body, _problems = schema_form.read(state.spec, fields, keep_blank_rows=True)
        if isinstance(add, str):
            schema_form.add_row(state.body, add)
        if isinstance(remove, str):
            schema_form.remove_row(state.body, remove)
        return await run_in_threadpool(_compose_page, request, site, session, state)
    json_text = str(form.get("_json") or "").strip()
    if json_text:
        state.json_text = json_text
        state.body = _body_from_json(json_text, state)
        conversion: dict[str, str] = {}
    else:
        state.body, conversion = schema_form.read(state.spec, fields)
    return await run_in_threadpool(_preview_or_errors, request, site, session, state,
                                   conversion)


def _body_from_json(text: str, state: ComposeState) -> dict[str, Any]:
    try:
        value = parse_json(text) if text else {}
    except (JSONError, ValueError) as exc:
        state.general_error = (_("The body written as JSON is not valid JSON: %(problem)s")
                               % {"problem": exc})
        return {}
    if not isinstance(value, dict):
        state.general_error = _("The body written as JSON must be an object ({…}).")
        return {}
    return value


def _draft(site: Site, state: ComposeState, conversion: dict[str, str]) -> Draft | None:
    audience = _resolve(site, state)
    refs: tuple[str, ...] = ()
    try:
        refs = parse_refs(state.refs_text)
    except MalformedEntry as exc:
        state.refs_error = exc.message
    try:
        state.spec.validate(state.body)
    except InvalidFormBody as exc:
        for path, message in exc.fields:
            state.errors.setdefault(path, message)
    state.errors.update(conversion)
    if (state.errors or state.audience_error or state.refs_error or state.general_error
            or audience is None):
        return None
    return Draft(state.spec.id, audience, state.body, refs)


def _preview_or_errors(request: Request, site: Site, session: WebSession, state: ComposeState,
                       conversion: dict[str, str], confirm_error: str | None = None,
                       changed: str | None = None) -> Response:
    node = _site(site).the_node()
    draft = _draft(site, state, conversion)
    if draft is not None:
        try:
            shown = preview(node, draft)
        except InvalidFormBody as exc:
            state.errors.update(dict(exc.fields))
        except AudienceError as exc:
            state.audience_error = exc.message
        except UnknownReference as exc:
            state.refs_error = exc.message
        except (EntryError, MissingRight) as exc:
            state.general_error = exc.message
        else:
            lang = language_of(site, request).code
            return page(request, site, "node/compose_preview.html",
                        {"state": state, "preview": shown,
                         "shown": schema_form.show(state.spec, draft.body, language=lang),
                         "body_json": canonical(draft.body).decode("utf-8"),
                         "confirmation": secrets.token_urlsafe(18),
                         "officer": session.account.role == OFFICER,
                         "audience_all": draft.audience == ALL,
                         "confirm_error": confirm_error, "changed": changed,
                         **_signing(site, session, state, draft)},
                        session, 422 if confirm_error else 409 if changed else 200)
    return _compose_page(request, site, session, state, status=422)


@router.post("/compose/{form_id}/send")
async def compose_send(request: Request, form_id: str, site: SiteDep,
                       session: SessionDep) -> Response:
    form = await read_form(request)
    check_csrf(request, form, session)
    if session.account.role != OFFICER:
        raise Forbidden(_("Only an officer may sign and send entries in the party's name. "
                          "Ask an officer to send this one."))
    spec = _spec(form_id)
    if spec is None:
        return _no_such_form(request, site, form_id, session)
    _site(site).the_drafts().check_direct(session.account, spec.id)  # the two-person rule
    state = posted_state(spec, form)
    state.body = _body_from_json(str(form.get("body_json") or ""), state)
    if form.get("confirm") != "yes":
        return await run_in_threadpool(
            _preview_or_errors, request, site, session, state, {},
            _("Tick the box to confirm that you have checked the entry, then sign it."))
    draft = await run_in_threadpool(_draft, site, state, {})
    if draft is None:
        return await run_in_threadpool(_compose_page, request, site, session, state, 422)
    composer = _site(site).composer
    assert composer is not None
    try:
        signed, fresh = await run_in_threadpool(composer.send, draft,
                                                str(form.get("confirmation") or ""),
                                                _previewed(form))
    except PreviewChanged as exc:
        return await run_in_threadpool(_preview_or_errors, request, site, session, state, {},
                                       None, exc.message)
    except (EntryError, MissingRight) as exc:
        state.general_error = _("Not sent: %(reason)s") % {"reason": exc.message}
        return await run_in_threadpool(_compose_page, request, site, session, state, 422)
    return redirect(f"/entries/{signed.id_hex}?sent={'1' if fresh else 'again'}")


def _previewed(form: FormData) -> tuple[int, datetime] | None:
    """The sequence number and time the signer was shown on the preview (None from a page
    that did not say: then the entry takes the next number and the time of signing)."""
    seq, at = str(form.get("previewed_seq") or ""), str(form.get("previewed_time") or "")
    if not seq or not at:
        return None
    try:
        return int(seq), parse_time(at)
    except ValueError:
        return None


# -- compliance and alarms ---------------------------------------------------------------------


@router.get("/compliance")
def compliance(request: Request, site: SiteDep, session: SessionDep) -> Response:
    node = _site(site).the_node()
    wanted = (request.query_params.get("party") or node.party).strip().upper()
    party = None if wanted == "ALL" else wanted
    if party is not None and not site.regime.is_participant(party):
        party = node.party
    scorecards = _site(site).scorecards
    assert scorecards is not None
    card = scorecards.scorecard(party)
    lang = language_of(site, request).code
    chosen = party or "ALL"
    findings = site.fragments.render(
        site, "_findings.html", ("findings", chosen, lang), card,
        lambda: {"card": card, "chosen": chosen, "entry_link": "/entries/",
                 "public_ids": None})
    return page(request, site, "node/compliance.html",
                {"card": card, "chosen": chosen, "parties": _parties(site, lang),
                 "entry_link": "/entries/", "findings_html": findings}, session)


def warm(site: Site) -> None:
    """Compute what the first pages read (the inbox's first page; the party's scorecard, with
    every party's findings), so that the first delegates to ask do not wait for it."""
    node = _site(site).the_node()
    views.inbox(node, views.InboxFilter())
    scorecards = _site(site).scorecards
    if scorecards is not None:
        scorecards.scorecard(node.party)


@router.get("/alarms")
def alarms(request: Request, site: SiteDep, session: SessionDep) -> Response:
    node = _site(site).the_node()
    return page(request, site, "node/alarms.html", {"alarms": details.alarms(node)}, session)
