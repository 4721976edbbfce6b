"""A node's pages on deciding together: the drafts, one draft, a position, an amendment, a
withdrawal, a new draft; the Concept's versions; the designation list.

Reading: ``node.decisions`` judges every draft from this node's own verified copy, with the
rules every node and the hub apply (:mod:`gulfsec.domain.procedures.decisions`), at the
site's clock.

Writing, by an officer only: a step is checked against the draft as this node judges it — open,
before its closing time, taken by a member (a withdrawal: by the proposer) — validated by its
form, and signed once per confirmation token (:meth:`Node.send_confirmed`), addressed to the
draft's whole audience and naming the draft in its ``refs``. The token rides in the form: the
same form posted again (a double click, a browser retry, a re-post after a crash) finds the
entry signed the first time and signs nothing new. The checks spare the party a step that the
hub would refuse (:func:`~gulfsec.domain.procedures.decisions.check_submission`) and that
would then wait in the outbox.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from gulfsec.domain.encoding import format_time
from gulfsec.domain.entry import SignedEntry
from gulfsec.domain.forms import get_form
from gulfsec.domain.forms.decisions import AMENDMENT, DRAFT, POSITION, STEPS, WITHDRAWAL
from gulfsec.domain.procedures.decisions import LONGEST, Decision, draft_audience, members
from gulfsec.domain.procedures.kinds import get_kind
from gulfsec.domain.procedures.kinds import registry as kinds
from gulfsec.domain.regime import Regime
from gulfsec.errors import (
    AudienceError,
    EntryError,
    Forbidden,
    InvalidFormBody,
    MalformedEntry,
    MissingRight,
    NotFound,
    ProcedureError,
)
from gulfsec.i18n import _, format_moment, ngettext, translate_problem
from gulfsec.services.node import Node, views
from gulfsec.services.node import detail as details
from gulfsec.services.node.outbox import MAX_CONFIRMATION
from gulfsec.services.shared.accounts import OFFICER, WebSession
from gulfsec.web.consultations import MeetingShown, meeting_shown
from gulfsec.web.decisions import (
    ENTITY_TYPES,
    STATUS_WORDS,
    STEP_WORDS,
    concept_pair,
    draft_view,
    last_step_of,
    step_view,
    time_left,
    version_number,
)
from gulfsec.web.deps import SessionDep, SiteDep
from gulfsec.web.site import Site, check_csrf, error_page, read_form, redirect, render
from gulfsec.web.terms import term

router = APIRouter(include_in_schema=False)

_DRAFT_ID = re.compile(r"[0-9a-f]{64}")
PROPOSED_KINDS: Final = ("text", "concept", "designation", "delisting", "convene")
"""The kinds a delegate may propose on the pages, in the order the page offers them."""


def _node(site: Site) -> Node:
    node = getattr(site, "node", None)
    assert isinstance(node, Node)
    return node


def _page(request: Request, site: Site, template: str, context: Mapping[str, Any],
          session: WebSession, status: int = 200) -> Response:
    node = _node(site)
    return render(request, site, template,
                  {"alarm_count": views.alarm_count(node), "party": node.party, **context},
                  session=session, status=status)


def _officer(session: WebSession) -> bool:
    return session.account.role == OFFICER


def _require_officer(session: WebSession) -> None:
    if not _officer(session):
        raise Forbidden(_("Only an officer may sign and send in the party's name. You are "
                          "signed in as a viewer: ask an officer to do it."))


def _token() -> str:
    return secrets.token_urlsafe(18)


def _not_found(request: Request, site: Site, session: WebSession) -> Response:
    return error_page(request, site, 404, _("No such draft decision"),
                      _("This node holds no draft decision with that id. A draft goes only to "
                        "the members of its format: %(party)s may not be one, or the node has "
                        "not synced it yet.") % {"party": _node(site).party}, session)


# -- what the party may do on a draft ------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """What this party may do on a draft now, and why not when it may not."""

    position: bool
    withdraw: bool
    why_not: str | None


def _is_open(decision: Decision, now: datetime) -> bool:
    return decision.status == "open" and not decision.awaiting_finality and now < decision.closes_at


def standing(decision: Decision, party: str, now: datetime) -> Standing:
    if now >= decision.closes_at:
        return Standing(False, False, _("The draft closed at %(time)s: a step taken now would "
                                        "not count.") % {"time": _when(decision.closes_at)})
    if not _is_open(decision, now):
        return Standing(False, False, _("The draft is %(status)s: %(why)s.")
                        % {"status": _(STATUS_WORDS.get(decision.status, decision.status)),
                           "why": translate_problem(decision.why)})
    member = party in decision.members
    why = None if member else (_("%(party)s is not a member of %(format)s that decides on this "
                                 "draft: it takes no position.")
                               % {"party": party, "format": term(decision.format)})
    return Standing(member, party == decision.proposer, why)


def _check_standing(decision: Decision, party: str, form_id: str, now: datetime) -> None:
    able = standing(decision, party, now)
    if form_id in (POSITION, AMENDMENT) and not able.position:
        raise ProcedureError(able.why_not or _("this party takes no position on this draft"),
                             entry_id=decision.id)
    if form_id == WITHDRAWAL and not able.withdraw:
        raise ProcedureError(able.why_not or _("only its proposer, %(proposer)s, withdraws a "
                                               "draft") % {"proposer": decision.proposer},
                             entry_id=decision.id)


def already_sent(node: Node, confirmation: str) -> SignedEntry | None:
    """The entry a confirmation token was used for, if it was."""
    with node.uow() as uow:
        done = uow.repo.outbox_confirmed(confirmation)
    return None if done is None else views.parse_raw(done.raw)


def sign_step(node: Node, now: datetime, draft_id: str, form_id: str, body: dict[str, Any],
              confirmation: str) -> tuple[SignedEntry, bool]:
    """Sign and send a step on draft ``draft_id`` once per ``confirmation``: (entry, False)
    when the confirmation was used already, without checking or signing again.

    Raises NotFound (the node holds no such draft), InvalidFormBody (field by field),
    ProcedureError (the party may not take this step now), MalformedEntry (no token).
    """
    if not confirmation or len(confirmation) > MAX_CONFIRMATION:
        raise MalformedEntry(_("the form's confirmation is missing: reload the page and try "
                               "again"))
    with node.core.lock:
        done = already_sent(node, confirmation)
        if done is not None:
            return done, False
        decision = node.decisions.decision(draft_id, now)
        get_form(form_id).validate(body)
        _check_standing(decision, node.party, form_id, now)
        return node.send_confirmed(form_id, draft_audience(node.regime, decision.format), body,
                                   (draft_id,), confirmation)


def sign_draft(node: Node, body: dict[str, Any], refs: tuple[str, ...],
               confirmation: str) -> tuple[SignedEntry, bool]:
    """Sign and send a validated draft once per ``confirmation``."""
    if not confirmation or len(confirmation) > MAX_CONFIRMATION:
        raise MalformedEntry(_("the form's confirmation is missing: reload the page and try "
                               "again"))
    with node.core.lock:
        done = already_sent(node, confirmation)
        if done is not None:
            return done, False
        audience = draft_audience(node.regime, str(body["format"]))
        return node.send_confirmed(DRAFT, audience, body, refs, confirmation)


# -- the list ------------------------------------------------------------------------------------


def _when(moment: datetime) -> str:
    """A moment as the pages write it, in the reader's language (``23 Nov 2026 18:00:00 UTC``)."""
    return format_moment(moment)


@router.get("/decisions")
def decision_list(request: Request, site: SiteDep, session: SessionDep) -> Response:
    node = _node(site)
    now = site.clock.now()
    found = node.decisions.decisions(now)
    party = node.party

    def awaiting(d: Decision) -> bool:
        return _is_open(d, now) and party in d.members and last_step_of(d, party) is None

    waiting = sorted((d for d in found if awaiting(d)), key=lambda d: (d.closes_at, d.index))
    others = sorted((d for d in found if not awaiting(d)),
                    key=lambda d: (0, d.closes_at.timestamp()) if d.status == "open"
                    else (1, -d.closes_at.timestamp()))
    mine = {d.id: step_view(s) for d in found if (s := last_step_of(d, party)) is not None}
    return _page(request, site, "node/decisions.html",
                 {"waiting": [draft_view(d, now) for d in waiting],
                  "others": [draft_view(d, now) for d in others], "mine": mine,
                  "can_propose": _officer(session) and node.regime.has_right(party, "propose")},
                 session)


# -- proposing a draft ---------------------------------------------------------------------------


@dataclass
class Proposal:
    """The propose page's form as it stands: what was written and what is wrong with it."""

    kind: str
    values: dict[str, str]
    token: str
    errors: dict[str, str] = field(default_factory=dict)
    general: str | None = None


_FIELDS: Final = ("title", "text", "format", "procedure", "closes_at", "amends", "sections",
                  "name", "aliases", "entity_type", "grounds", "references", "designation",
                  "starts_at", "place", "agenda")


def _kind_of(text: str | None) -> str:
    return text if text in PROPOSED_KINDS else "text"


@router.get("/decisions/new")
def propose_form(request: Request, site: SiteDep, session: SessionDep) -> Response:
    node = _node(site)
    now = site.clock.now()
    kind = _kind_of(request.query_params.get("kind"))
    values = {"format": "all", "procedure": "consensus",
              "closes_at": (now + timedelta(days=7)).strftime("%Y-%m-%d %H:%M")}
    if kind == "concept":
        versions = node.decisions.concept_versions(now)
        if versions:
            values["sections"] = "\n\n".join(f"{s.number} | {s.title}\n{s.text}"
                                             for s in versions[-1].sections)
    return _propose_page(request, site, session, Proposal(kind, values, _token()))


def _propose_page(request: Request, site: Site, session: WebSession, proposal: Proposal,
                  status: int = 200) -> Response:
    node = _node(site)
    now = site.clock.now()
    spec = get_kind(proposal.kind)
    current = (node.decisions.designation_list(now).current if proposal.kind == "delisting"
               else ())
    return _page(request, site, "node/decisions_new.html",
                 {"proposal": proposal, "v": proposal.values, "errors": proposal.errors,
                  "kinds": [kinds()[k] for k in PROPOSED_KINDS], "spec": spec,
                  "formats": node.regime.formats, "entity_types": ENTITY_TYPES,
                  "designated": current, "officer": _officer(session),
                  "can_propose": node.regime.has_right(node.party, "propose")},
                 session, status)


@router.post("/decisions/new")
async def propose_post(request: Request, site: SiteDep, session: SessionDep) -> Response:
    form = await read_form(request)
    check_csrf(request, form, session)
    _require_officer(session)
    values = {name: str(form.get(name) or "") for name in _FIELDS}
    proposal = Proposal(_kind_of(str(form.get("kind") or "")), values,
                        str(form.get("confirmation") or "") or _token())
    return await run_in_threadpool(_propose, request, site, session, proposal,
                                   form.get("confirm") == "yes")


def _propose(request: Request, site: Site, session: WebSession, proposal: Proposal,
             confirmed: bool) -> Response:
    node = _node(site)
    now = site.clock.now()
    done = already_sent(node, proposal.token) if proposal.token else None
    if done is not None:  # posted again (a reload, a double click): nothing is signed
        return redirect(f"/decisions/{done.id_hex}?sent=again")
    body = read_proposal(node.regime, proposal, now)
    refs: tuple[str, ...] = ()
    amends = proposal.values["amends"].strip().lower()
    if amends:
        if not _DRAFT_ID.fullmatch(amends):
            proposal.errors.setdefault("amends", _("write the id of an adopted decision "
                                                   "(64 hexadecimal digits), or nothing"))
        else:
            try:
                node.decisions.decision(amends, now)
            except NotFound:
                proposal.errors.setdefault("amends",
                                           _("this node holds no decision with that id"))
            refs = (amends,)
    if not confirmed:
        proposal.errors.setdefault("confirm", _("tick the box to confirm that you sign this "
                                                "draft in the name of %(party)s")
                                   % {"party": node.party})
    if proposal.errors or body is None:
        return _propose_page(request, site, session, proposal, 422)
    try:
        signed, fresh = sign_draft(node, body, refs, proposal.token)
    except (EntryError, MissingRight) as exc:
        proposal.general = _("Not sent: %(reason)s") % {"reason": exc.message}
        return _propose_page(request, site, session, proposal, 422)
    return redirect(f"/decisions/{signed.id_hex}?sent={'1' if fresh else 'again'}")


_CONTENT_FIELD: Final[Mapping[str, str]] = {
    "sections": "sections", "name": "name", "aliases": "aliases", "entity_type": "entity_type",
    "grounds": "grounds", "references": "references", "designation": "designation",
    "starts_at": "starts_at", "place": "place", "agenda": "agenda"}
_FIRST_FIELD: Final[Mapping[str, str]] = {
    "concept": "sections", "designation": "name", "delisting": "designation",
    "convene": "starts_at", "text": "text"}


def read_proposal(regime: Regime, proposal: Proposal, now: datetime) -> dict[str, Any] | None:
    """The draft's body from the form, or None; what is wrong goes to ``proposal.errors``,
    field by field (the fields' names are the form's)."""
    v = proposal.values
    errors = proposal.errors
    kind = proposal.kind
    closes_at = parse_moment(v["closes_at"])
    if closes_at is None:
        errors["closes_at"] = (_("write the closing time in UTC as YYYY-MM-DD HH:MM, like "
                                 "%(example)s")
                               % {"example": (now + timedelta(days=7)).strftime("%Y-%m-%d %H:%M")})
    elif closes_at <= now:
        errors["closes_at"] = (_("the closing time must be after now (%(now)s)")
                               % {"now": _when(now)})
    elif closes_at > now + LONGEST:
        errors["closes_at"] = _("a draft closes within a year")
    fmt = v["format"].strip()
    try:
        if not members(regime, fmt):
            errors["format"] = (_("no member of %(format)s takes part in decisions")
                                % {"format": term(fmt)})
    except AudienceError as exc:
        errors["format"] = exc.message
    allowed = get_kind(kind).procedures
    if v["procedure"].strip() not in allowed:
        errors["procedure"] = (
            _("a draft of kind %(kind)s is decided by %(procedure)s only")
            % {"kind": kind, "procedure": term(allowed[0])}
            if len(allowed) == 1 else _("choose consensus or silence procedure"))
    content = read_content(kind, v, errors)
    if content is not None:
        try:
            get_kind(kind).parse(content)
        except InvalidFormBody as exc:
            for path, message in exc.fields:
                _content_error(kind, path, message, content, errors)
    body: dict[str, Any] = {
        "kind": kind, "title": v["title"].strip(), "text": v["text"].strip(), "format": fmt,
        "procedure": v["procedure"].strip(),
        "closes_at": "" if closes_at is None else format_time(closes_at),
        "content": content or {}}
    amends = v["amends"].strip().lower()
    if amends:
        body["amends"] = amends
    try:
        get_form(DRAFT).validate(body)
    except InvalidFormBody as exc:
        for path, message in exc.fields:
            name = path.split(".")[0]
            if name == "content":
                if "decided by" in message:
                    errors.setdefault("procedure", message)
                elif not any(k in errors for k in _CONTENT_FIELD):
                    errors.setdefault(_FIRST_FIELD.get(kind, "text"), message)
            elif name in _FIELDS:
                errors.setdefault(name, _plain(message))
            else:
                proposal.general = proposal.general or f"{path}: {message}"
    if errors or proposal.general or content is None:
        return None
    return body


def _plain(message: str) -> str:
    if message.startswith("String should have at least 1 character"):
        return _("write something here")
    if message.startswith("Input should be 'consensus' or 'silence'"):
        return _("choose consensus or silence procedure")
    return message


def _content_error(kind: str, path: str, message: str, content: Mapping[str, Any],
                   errors: dict[str, str]) -> None:
    parts = path.split(".")
    name = parts[1] if len(parts) > 1 else _FIRST_FIELD.get(kind, "text")
    target = _CONTENT_FIELD.get(name, _FIRST_FIELD.get(kind, "text"))
    if name == "sections" and len(parts) > 2 and parts[2].isdigit():
        i = int(parts[2])
        sections = content.get("sections") or []
        number = sections[i]["number"] if i < len(sections) else str(i + 1)
        what = parts[3] if len(parts) > 3 else ""
        if what == "number":
            message = _("a section's number is written like 1, 2.3 or 4.1.2")
        else:
            message = f"{what or 'the section'}: {_plain(message)}" if what else message
        message = _("section %(number)s: %(problem)s") % {"number": repr(number),
                                                           "problem": message}
    elif name == "aliases" and len(parts) > 2 and parts[2].isdigit():
        what = parts[3] if len(parts) > 3 else ""
        if what == "script":
            message = _("a script is an ISO 15924 code such as Latn, Arab, Cyrl or Hans")
        message = _("alias %(n)s: %(problem)s") % {"n": int(parts[2]) + 1,
                                                   "problem": _plain(message)}
    elif name == "references" and len(parts) > 2 and parts[2].isdigit():
        message = _("reference %(n)s: %(problem)s") % {"n": int(parts[2]) + 1,
                                                       "problem": _plain(message)}
    else:
        message = _plain(message)
    errors.setdefault(target, message)


def read_content(kind: str, v: Mapping[str, str], errors: dict[str, str]) -> dict[str, Any] | None:
    """The kind's content from the form's fields, or None when a field cannot be read."""
    if kind == "text":
        return {}
    if kind == "concept":
        sections, problem = parse_sections(v["sections"])
        if problem is not None:
            errors["sections"] = problem
            return None
        return {"sections": sections}
    if kind == "designation":
        aliases, problem = parse_aliases(v["aliases"])
        if problem is not None:
            errors["aliases"] = problem
            return None
        return {"name": v["name"].strip(), "aliases": aliases,
                "entity_type": v["entity_type"].strip(), "grounds": v["grounds"].strip(),
                "references": _lines(v["references"])}
    if kind == "delisting":
        return {"designation": v["designation"].strip().lower(),
                "grounds": v["grounds"].strip()}
    if kind == "convene":
        starts = parse_moment(v["starts_at"])
        if starts is None:
            errors["starts_at"] = _("write the meeting's start in UTC as YYYY-MM-DD HH:MM")
            return None
        return {"starts_at": format_time(starts), "place": v["place"].strip(),
                "agenda": _lines(v["agenda"])}
    errors["kind"] = _("unknown kind of decision %(kind)s") % {"kind": repr(kind)}
    return None


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


_MOMENT = re.compile(r"\s*(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?\s*(?:Z|UTC)?\s*")


def parse_moment(text: str) -> datetime | None:
    """A UTC time written ``YYYY-MM-DD HH:MM`` (seconds, a ``T``, a ``Z`` or ``UTC`` may be
    added); None when it is not one."""
    found = _MOMENT.fullmatch(text)
    if found is None:
        return None
    day, hour, minute, second = found.groups()
    try:
        return datetime.fromisoformat(f"{day}T{hour}:{minute}:{second or '00'}").replace(
            tzinfo=UTC)
    except ValueError:
        return None


_HEADING = re.compile(r"\s*§?\s*([0-9][0-9.]*)\s*\|\s*(.*?)\s*")


def parse_sections(text: str) -> tuple[list[dict[str, str]], str | None]:
    """Sections written as a heading line ``number | title`` followed by the section's text,
    up to the next heading: the sections, or a problem in words."""
    sections: list[dict[str, Any]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        heading = _HEADING.fullmatch(line)
        if heading is not None:
            sections.append({"number": heading.group(1), "title": heading.group(2),
                             "lines": []})
        elif sections:
            sections[-1]["lines"].append(line.rstrip())
        elif line.strip():
            return [], (_("line %(line)s: begin each section with its heading on a line of its "
                          "own, written “number | title”, such as “1 | Principles”")
                        % {"line": lineno})
    if not sections:
        return [], _("write at least one section: a heading line “number | title”, then its "
                     "text")
    out = [{"number": s["number"], "title": s["title"],
            "text": "\n".join(s["lines"]).strip()} for s in sections]
    return out, None


def parse_aliases(text: str) -> tuple[list[dict[str, str]], str | None]:
    """Aliases written one per line as ``name | script``: the aliases, or a problem."""
    out: list[dict[str, str]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, bar, script = line.rpartition("|")
        if not bar or not name.strip() or not script.strip():
            return [], (_("line %(line)s: write each alias as “name | script”, such as "
                          "“داعش | Arab”") % {"line": lineno})
        out.append({"name": name.strip(), "script": script.strip()})
    return out, None


# -- one draft -----------------------------------------------------------------------------------


@dataclass
class StepForms:
    """The step forms on a draft's page: what was written in the one posted, its problems,
    and each form's confirmation token."""

    which: str | None = None
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    general: str | None = None
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, name: str) -> str:
        return self.tokens.setdefault(name, _token())


@dataclass(frozen=True)
class PendingStep:
    entry_id: str
    words: str
    error: str | None


def pending_steps(node: Node, draft_id: str) -> list[PendingStep]:
    """This party's steps on the draft still waiting in its outbox (with the hub's refusal,
    if it refused one)."""
    with node.uow() as uow:
        items = uow.repo.outbox_items(pending_only=True)
    out = []
    for item in items:
        entry = views.parse_raw(item.raw).entry
        if entry.form not in STEPS or entry.body.get("draft") != draft_id:
            continue
        kind = {POSITION: str(entry.body.get("position")), AMENDMENT: "amend",
                WITHDRAWAL: "withdraw"}.get(entry.form, entry.form)
        out.append(PendingStep(item.entry_id.hex(), _(STEP_WORDS.get(kind, kind)),
                               item.last_error))
    return out


@router.get("/decisions/{draft_id}")
def decision_page(request: Request, draft_id: str, site: SiteDep,
                  session: SessionDep) -> Response:
    return _draft_page(request, site, session, draft_id.lower(), StepForms())


def _draft_page(request: Request, site: Site, session: WebSession, draft_id: str,
                forms: StepForms, status: int = 200) -> Response:
    node = _node(site)
    now = site.clock.now()
    if not _DRAFT_ID.fullmatch(draft_id):
        return _not_found(request, site, session)
    try:
        decision = node.decisions.decision(draft_id, now)
    except NotFound:
        if not signed_draft_not_held(node, draft_id):
            return _not_found(request, site, session)
        return _page(request, site, "node/decisions_pending.html",
                     {"draft_id": draft_id, "sent": request.query_params.get("sent")},
                     session)
    mine = last_step_of(decision, node.party)
    return _page(request, site, "node/decisions_draft.html",
                 {"view": draft_view(decision, now), "d": decision,
                  "able": standing(decision, node.party, now), "forms": forms,
                  "officer": _officer(session), "mine": None if mine is None
                  else step_view(mine), "pending": pending_steps(node, draft_id),
                  "sent": request.query_params.get("sent"), "entry_base": "/entries/",
                  "decision_base": "/decisions/", "meeting_base": "/meetings/",
                  "minutes_meeting": minutes_meeting(node, decision, now)},
                 session, status)


def minutes_meeting(node: Node, decision: Decision, now: datetime) -> MeetingShown | None:
    """The meeting draft minutes are of, as this node holds it; None for another kind of
    draft, or a meeting this node does not hold."""
    meeting_id = decision.content.get("meeting") if decision.kind == "minutes" else None
    if not isinstance(meeting_id, str) or not _DRAFT_ID.fullmatch(meeting_id):
        return None
    try:
        return meeting_shown(node.consultations.meeting(meeting_id, now))
    except NotFound:
        return None


def signed_draft_not_held(node: Node, draft_id: str) -> bool:
    """Whether ``draft_id`` is a draft this party signed that its node does not hold as a
    decision yet (it is in the outbox, or the node has not synced it)."""
    detail = details.entry_detail(node, draft_id)
    return detail is not None and detail.row.form == DRAFT and detail.row.direction == "sent"


def _step_fields(form: FormData, names: tuple[str, ...]) -> dict[str, str]:
    return {name: str(form.get(name) or "") for name in names}


def _optional(values: Mapping[str, str], name: str) -> dict[str, str]:
    text = values.get(name, "").strip()
    return {name: text} if text else {}


async def _post_step(request: Request, draft_id: str, site: Site, session: WebSession,
                     which: str, form_id: str, names: tuple[str, ...],
                     body_of: Any) -> Response:
    form = await read_form(request)
    check_csrf(request, form, session)
    _require_officer(session)
    draft_id = draft_id.lower()
    values = _step_fields(form, names)
    token = str(form.get("confirmation") or "")
    forms = StepForms(which, values, tokens={which: token} if token else {})
    body = {"draft": draft_id, **body_of(values)}
    return await run_in_threadpool(_send_step, request, site, session, draft_id, form_id,
                                   body, forms)


def _send_step(request: Request, site: Site, session: WebSession, draft_id: str,
               form_id: str, body: dict[str, Any], forms: StepForms) -> Response:
    node = _node(site)
    assert forms.which is not None
    try:
        signed, fresh = sign_step(node, site.clock.now(), draft_id, form_id, body,
                                  forms.token(forms.which))
    except NotFound:
        return _not_found(request, site, session)
    except InvalidFormBody as exc:
        for path, message in exc.fields:
            forms.errors.setdefault(path.split(".")[0], _step_message(path, message))
        return _draft_page(request, site, session, draft_id, forms, 422)
    except ProcedureError as exc:
        forms.general = _("Not sent: %(reason)s") % {"reason": exc.message}
        return _draft_page(request, site, session, draft_id, forms, 409)
    except (EntryError, MissingRight) as exc:
        forms.general = _("Not sent: %(reason)s") % {"reason": exc.message}
        return _draft_page(request, site, session, draft_id, forms, 422)
    return redirect(f"/decisions/{draft_id}?sent={'1' if fresh else 'again'}#your-position")


def _step_message(path: str, message: str) -> str:
    if path == "reason" and "needs a reason" in message:
        return _("an objection needs a reason: write why your party objects")
    if path == "position":
        return _("choose Join, Stand aside or Object")
    return _plain(message)


@router.post("/decisions/{draft_id}/position")
async def post_position(request: Request, draft_id: str, site: SiteDep,
                        session: SessionDep) -> Response:
    def body(values: Mapping[str, str]) -> dict[str, str]:
        return {"position": values["position"].strip(), **_optional(values, "reason"),
                **_optional(values, "statement")}

    return await _post_step(request, draft_id, site, session, "position", POSITION,
                            ("position", "reason", "statement"), body)


@router.post("/decisions/{draft_id}/amend")
async def post_amendment(request: Request, draft_id: str, site: SiteDep,
                         session: SessionDep) -> Response:
    def body(values: Mapping[str, str]) -> dict[str, str]:
        return {"text": values["text"].strip(), **_optional(values, "reason")}

    return await _post_step(request, draft_id, site, session, "amend", AMENDMENT,
                            ("text", "reason"), body)


@router.post("/decisions/{draft_id}/withdraw")
async def post_withdrawal(request: Request, draft_id: str, site: SiteDep,
                          session: SessionDep) -> Response:
    def body(values: Mapping[str, str]) -> dict[str, str]:
        return _optional(values, "reason")

    return await _post_step(request, draft_id, site, session, "withdraw", WITHDRAWAL,
                            ("reason",), body)


# -- the Concept and the designation list --------------------------------------------------------


@router.get("/concept")
def concept_page(request: Request, site: SiteDep, session: SessionDep) -> Response:
    node = _node(site)
    versions = node.decisions.concept_versions(site.clock.now())
    return _page(request, site, "node/concept.html",
                 {"versions": versions, "comparison": concept_pair(versions, None, None),
                  "decision_base": "/decisions/"}, session)


@router.get("/concept/versions/{number}")
def concept_version_page(request: Request, number: str, site: SiteDep,
                         session: SessionDep) -> Response:
    node = _node(site)
    versions = node.decisions.concept_versions(site.clock.now())
    n = version_number(number)
    if n is None or not 1 <= n <= len(versions):
        return error_page(request, site, 404, _("No such version of the Concept"),
                          ngettext("This node holds %(count)s adopted version of the Concept.",
                                   "This node holds %(count)s adopted versions of the Concept.",
                                   len(versions)) % {"count": len(versions)}, session)
    return _page(request, site, "node/concept_version.html",
                 {"version": versions[n - 1], "versions": versions,
                  "decision_base": "/decisions/"}, session)


@router.get("/concept/diff")
def concept_diff_page(request: Request, site: SiteDep, session: SessionDep) -> Response:
    node = _node(site)
    versions = node.decisions.concept_versions(site.clock.now())
    comparison = concept_pair(versions, request.query_params.get("a"),
                              request.query_params.get("b"))
    return _page(request, site, "node/concept_diff.html",
                 {"comparison": comparison, "decision_base": "/decisions/"}, session,
                 200 if comparison.problem is None or len(versions) < 2 else 404)


@router.get("/designations")
def designations_page(request: Request, site: SiteDep, session: SessionDep) -> Response:
    node = _node(site)
    listing = node.decisions.designation_list(site.clock.now())
    return _page(request, site, "node/designations.html",
                 {"listing": listing, "decision_base": "/decisions/", "downloads": None},
                 session)


__all__ = ["router", "sign_step", "standing", "time_left"]
