"""A node's pages on consulting: threads, meetings and mediation, as its party takes part in them.

Reading: ``node.consultations`` computes every thread, meeting and mediation from this node's
own verified copy, with the rules every node and the hub apply
(:mod:`gulfsec.domain.procedures.threads`, ``.meetings``, ``.mediation``), at the site's clock.
A node holds only the entries addressed to its party, so a thread, meeting or mediation it is
not in is simply not there: its page answers 404, as for one that does not exist.

Unread threads: each account has one small record in the node's meta table
(``threads_read:<account id>``), the log index of the last message of each thread when that
account last opened it. A thread is unread when its last message, sent by another party, has a
greater index. It follows the delegate across sessions and browsers, and costs one row.

Writing, by an officer only, as on the decision pages: each form carries the session's CSRF
token and a confirmation token; a step is validated by its form, addressed as its procedure
requires (a reply to every party of the thread, a step on a meeting to everyone in it, a step on
a mediation to exactly its parties and mediator), and signed once per confirmation token
(:meth:`Node.send_confirmed`): the same form posted again finds the entry signed the first time
and signs nothing new. Forms with free text offer a preview of exactly what is signed (the
canonical entry, :func:`gulfsec.services.node.compose.entry_preview`); one-click steps say on
the page what one click signs. The node's outbox refuses, before signing, a step the hub would
refuse.

Convening: an officer convenes a bilateral meeting (``/meetings/new``: one other participant,
no format — the meetings of a format are the secretariat's). The time is typed as it reads on
the wall where the meeting is held, in one of the region's time zones, and signed in UTC; the
preview shows both.

Files: the thread and reply forms are ``multipart/form-data`` and take up to
:data:`MAX_FILES` files. Each is checked (its type, declared by the upload or named by its
extension, must be what its bytes are; its size at most ``MAX_ATTACHMENT_BYTES``) and attached
with :meth:`Node.attach` — kept by the node and uploaded to the hub — before anything is
signed, so the preview already lists the files the entry commits to. The form then carries
each attachment object back (a ticked box per file, unticked to leave it out): the page
trusts none of them, but parses each with the ``Attachment`` model and refuses one whose file
this node does not keep with that size and type.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, get_args

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response

from gulfsec.domain.encoding import format_time, parse_time
from gulfsec.domain.entry import ALL, Audience, SignedEntry
from gulfsec.domain.forms import get_form
from gulfsec.domain.forms._types import MAX_ATTACHMENT_BYTES, Attachment, Level
from gulfsec.domain.forms.consultations import REPLY, THREAD
from gulfsec.domain.forms.decisions import DRAFT
from gulfsec.domain.forms.mediation import ANSWER, PROPOSAL, REQUEST, RESPONSE, WITHDRAWAL
from gulfsec.domain.forms.meetings import (
    AGENDA_PROPOSAL,
    MEETING,
    MEETING_REPLY,
    MEETING_UPDATE,
)
from gulfsec.domain.procedures.decisions import draft_audience
from gulfsec.domain.procedures.mediation import Mediation, audience_of
from gulfsec.domain.procedures.meetings import step_audience
from gulfsec.domain.procedures.threads import Thread, reply_audience
from gulfsec.errors import (
    AttachmentError,
    AudienceError,
    Forbidden,
    InvalidFormBody,
    NotFound,
    TransportError,
)
from gulfsec.i18n import N_, _, format_minute
from gulfsec.services.node import Node, views
from gulfsec.services.shared.accounts import WebSession
from gulfsec.services.shared.calendar import calendar
from gulfsec.services.shared.consultations import MeetingView
from gulfsec.web.consultations import (
    EVENT_WORDS,
    MEETING_ZONES,
    RESPONSE_WORDS,
    calendar_of,
    local_start,
    local_time,
    mediation_shown,
    meeting_shown,
    message_shown,
    size_words,
    upload_type,
)
from gulfsec.web.deps import SessionDep, SiteDep
from gulfsec.web.node.decisions import parse_moment
from gulfsec.web.node.writing import (
    Outgoing,
    Upload,
    Writing,
    field_errors_into,
    sign_once,
    write,
)
from gulfsec.web.node.writing import held as _held
from gulfsec.web.node.writing import node_of as _node
from gulfsec.web.node.writing import page as _page
from gulfsec.web.node.writing import plain as _plain
from gulfsec.web.node.writing import posted as _posted
from gulfsec.web.node.writing import require_officer as _require_officer
from gulfsec.web.node.writing import sent_url as _sent
from gulfsec.web.node.writing import writing_of as _writing_of
from gulfsec.web.site import (
    MAX_FORM_BYTES,
    MAX_FORM_FIELDS,
    Site,
    check_csrf,
    error_page,
    language_of,
    parties_in,
)

router = APIRouter(include_in_schema=False)

_ENTRY_ID = re.compile(r"[0-9a-f]{64}")
_PARTY = re.compile(r"[A-Z]{2,6}")
LEVELS: Final[tuple[str, ...]] = get_args(Level)
READ_KEY: Final = "threads_read:{account}"
"""The node meta key that keeps what one account has read of each thread."""
MINUTES_DAYS: Final = 7
"""How long draft minutes stay open by default (silence procedure)."""
MIN_MINUTES: Final = 15
MAX_MINUTES: Final = 7 * 24 * 60
"""How long a meeting may last (``meeting@1``'s ``duration_minutes``)."""
MAX_FILES: Final = 10
"""The most files one message carries (the ``attachments`` of ``thread@1`` and ``reply@1``)."""
MAX_UPLOAD_BYTES: Final = MAX_FORM_BYTES + MAX_FILES * (MAX_ATTACHMENT_BYTES + (64 << 10))
"""The largest form with files: the text of a form, and every file with its part's headers."""


_NOT_FOUND: Final[Mapping[str, tuple[str, str]]] = {
    "consultation thread": (
        N_("No such consultation thread"),
        N_("This node holds no consultation thread with that name. It goes only to those who "
           "take part in it: %(party)s may not, or the node has not synced it yet.")),
    "meeting": (
        N_("No such meeting"),
        N_("This node holds no meeting with that name. It goes only to those who take part in "
           "it: %(party)s may not, or the node has not synced it yet.")),
    "mediation": (
        N_("No such mediation"),
        N_("This node holds no mediation with that name. It goes only to those who take part "
           "in it: %(party)s may not, or the node has not synced it yet.")),
}
"""The 404 page's title and message for each kind of thing a page names (in English: they are
translated where shown)."""


def _not_found(request: Request, site: Site, session: WebSession, what: str) -> Response:
    title, message = _NOT_FOUND[what]
    return error_page(request, site, 404, _(title),
                      _(message) % {"party": _node(site).party}, session)


# -- writing once --------------------------------------------------------------------------------


async def _posted_with_files(request: Request, session: WebSession, which: str) -> Writing:
    """As :func:`_posted`, for a form that may carry files (``files``): they are read, not
    yet checked, into ``uploads``."""
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        return await _posted(request, session, which)
    length = request.headers.get("content-length")
    if length is None or not length.isdigit() or int(length) > MAX_UPLOAD_BYTES:
        raise Forbidden(_("the form is too large: at most %(count)s files of at most %(size)s "
                          "each") % {"count": MAX_FILES, "size": size_words(MAX_ATTACHMENT_BYTES)})
    form = await request.form(max_files=MAX_FILES * 5, max_fields=MAX_FORM_FIELDS)
    try:
        check_csrf(request, form, session)
        _require_officer(session)
        writing = _writing_of(form, which)
        for item in form.getlist("files"):
            if isinstance(item, UploadFile):
                upload = await _upload(item)
                if upload is not None:
                    writing.uploads.append(upload)
    finally:
        await form.close()
    return writing


async def _upload(item: UploadFile) -> Upload | None:
    """A posted file, read up to one byte over the limit; None for a file input left empty."""
    name = (item.filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    data = await item.read(MAX_ATTACHMENT_BYTES + 1)
    if not name and not data:
        return None
    size = max(item.size or 0, len(data))
    return Upload(name or "unnamed file", item.content_type or "",
                  None if len(data) > MAX_ATTACHMENT_BYTES else data, size)


def attach_files(node: Node, writing: Writing) -> list[dict[str, Any]]:
    """The attachments of what ``writing`` holds: those its form carries back, each parsed
    with the ``Attachment`` model and checked to be a file this node keeps with that size and
    type, then the files posted with it, each checked and attached (:meth:`Node.attach`).
    Problems go to ``writing.errors["files"]``, naming each file; what was attached stays in
    ``writing.attached``, so that the page carries it again and nothing is uploaded twice."""
    problems: list[str] = []
    found: list[dict[str, Any]] = []
    carried = writing.lists.get("attachment", [])
    if len(carried) + len(writing.uploads) > MAX_FILES:
        writing.errors["files"] = (_("a message carries at most %(limit)s files: %(count)s were "
                                     "given")
                                   % {"limit": MAX_FILES,
                                      "count": len(carried) + len(writing.uploads)})
        return []
    for text in carried:
        try:
            attachment = Attachment.model_validate_json(text)
        except ValidationError:
            problems.append(_("a file the form carried is not an attachment: choose the file "
                              "again"))
            continue
        problem = _check_kept(node, attachment)
        if problem is None:
            found.append(attachment.model_dump())
        else:
            problems.append(f"{attachment.name}: {problem}")
    for upload in writing.uploads:
        problem = None
        media_type = upload_type(upload.name, upload.content_type)
        if upload.data is None:
            problem = (_("the file is %(size)s, over the limit of %(limit)s")
                       % {"size": size_words(upload.size),
                          "limit": size_words(MAX_ATTACHMENT_BYTES)})
        elif media_type is None:
            problem = _("files of this type are not accepted: PDF, plain text, PNG, JPEG or "
                        "DOCX (Word)")
        else:
            try:
                found.append(node.attach(upload.data, media_type, upload.name))
            except AttachmentError as exc:
                problem = exc.message
            except TransportError as exc:
                problem = (_("kept by this node but not uploaded to the hub (%(reason)s): try "
                             "again") % {"reason": exc.message})
        if problem is not None:
            problems.append(f"{upload.name}: {problem}")
    unique: list[dict[str, Any]] = []
    for one in found:  # the same file twice is carried once
        if all(a["sha256"] != one["sha256"] for a in unique):
            unique.append(one)
    writing.attached = unique
    if problems:
        writing.errors["files"] = "; ".join(problems)
    return unique


def _check_kept(node: Node, attachment: Attachment) -> str | None:
    """What is wrong with carrying ``attachment`` (a file the form says was attached): None
    when this node keeps the file with that size and type, and the hub has it."""
    with node.uow() as uow:
        kept = uow.repo.blob(bytes.fromhex(attachment.sha256))
    if kept is None:
        return (_("this node keeps no file with SHA-256 %(digest)s…: choose the file again")
                % {"digest": attachment.sha256[:16]})
    if len(kept.data) != attachment.size or kept.media_type != attachment.media_type:
        return (_("this node keeps the file %(digest)s… as %(type)s of %(size)s bytes, not as "
                  "the form says: choose the file again")
                % {"digest": attachment.sha256[:16], "type": kept.media_type,
                   "size": len(kept.data)})
    if kept.uploaded_at is None:  # kept, but its upload failed: upload it again
        try:
            node.attach(kept.data, kept.media_type, attachment.name)
        except (AttachmentError, TransportError) as exc:
            return _("not uploaded to the hub (%(reason)s): try again") % {"reason": exc.message}
    return None


def _write(writing: Writing, node: Node, outgoing_of: Callable[[Writing], Outgoing | None],
           page: Callable[[Writing, int], Response], done: Callable[[SignedEntry, bool], str],
           field_of: Mapping[str, str] | None = None) -> Response:
    """:func:`~gulfsec.web.node.writing.write`, with ``field_of`` naming the page's field for
    a body field where they differ."""
    return write(writing, node, outgoing_of, page, done,
                 field_errors=lambda w, exc: field_errors_into(w, exc, field_of))


@dataclass(frozen=True)
class Unsynced:
    """One of this party's entries that the node does not hold back from the log yet: waiting
    in the outbox, or sequenced and not yet synced."""

    entry_id: str
    signed: SignedEntry
    error: str | None


def unsynced(node: Node, forms: frozenset[str],
             about: Callable[[Mapping[str, Any]], bool]) -> list[Unsynced]:
    """This party's entries of ``forms`` whose body ``about`` accepts, not yet synced back."""
    with node.uow() as uow:
        size = uow.repo.leaf_count()
        items = [i for i in uow.repo.outbox_items()
                 if i.sequenced_idx is None or i.sequenced_idx >= size]
    out = []
    for item in items:
        signed = views.parse_raw(item.raw)
        if signed.entry.form in forms and about(signed.entry.body):
            out.append(Unsynced(item.entry_id.hex(), signed, item.last_error))
    return out


# -- threads -------------------------------------------------------------------------------------


def read_marks(node: Node, session: WebSession) -> dict[str, int]:
    """What this account has read: thread id → index of the last message when last opened."""
    with node.uow() as uow:
        text = uow.repo.get_meta(READ_KEY.format(account=session.account.id))
    try:
        found = json.loads(text) if text else {}
    except ValueError:
        return {}
    return {str(k): int(v) for k, v in found.items()} if isinstance(found, dict) else {}


def mark_read(node: Node, session: WebSession, thread: Thread) -> None:
    key = READ_KEY.format(account=session.account.id)
    with node.uow() as uow:
        text = uow.repo.get_meta(key)
        try:
            marks = json.loads(text) if text else {}
        except ValueError:
            marks = {}
        if not isinstance(marks, dict) or marks.get(thread.id) == thread.last.index:
            return
        marks[thread.id] = thread.last.index
        uow.repo.set_meta(key, json.dumps(marks, sort_keys=True, separators=(",", ":")))
        uow.commit()


def unread(thread: Thread, marks: Mapping[str, int], party: str) -> bool:
    """Whether another party wrote in ``thread`` since this account last opened it."""
    seen = marks.get(thread.id, -1)
    return any(m.index > seen and m.sender != party for m in thread.messages)


@router.get("/threads")
def thread_list(request: Request, site: SiteDep, session: SessionDep) -> Response:
    node = _node(site)
    found = node.consultations.threads()
    marks = read_marks(node, session)
    rows = [(t, unread(t, marks, node.party)) for t in found]
    held = {t.id for t in found}
    waiting = unsynced(node, frozenset({THREAD}), lambda body: True)
    return _page(request, site, "node/threads.html",
                 {"rows": rows, "unread_count": sum(1 for _, u in rows if u),
                  "waiting": [w for w in waiting if w.entry_id not in held],
                  "sent": request.query_params.get("sent")}, session)


def _formats_of(node: Node) -> list[str]:
    """The formats ``node``'s party may open a thread in: those it is a member of."""
    return [name for name, members in node.regime.formats.items() if node.party in members]


def _new_thread_page(request: Request, site: Site, session: WebSession, writing: Writing,
                     status: int = 200) -> Response:
    node = _node(site)
    lang = language_of(site, request).code
    return _page(request, site, "node/threads_new.html",
                 {"w": writing, "levels": LEVELS, "formats": _formats_of(node),
                  "parties": [p for p in parties_in(site, lang) if p[0] != node.party]},
                 session, status)


@router.get("/threads/new")
def new_thread_form(request: Request, site: SiteDep, session: SessionDep) -> Response:
    return _new_thread_page(request, site, session, Writing())


def thread_outgoing(node: Node, writing: Writing) -> Outgoing | None:
    """A new thread from the form, or None with its problems in ``writing.errors``."""
    v = writing.values
    regime = node.regime
    fmt = v.get("format", "").strip()
    audience: Audience = ()
    if fmt:
        try:
            members = regime.participants if fmt == ALL else regime.format_members(fmt)
        except AudienceError as exc:
            writing.errors["format"] = exc.message
        else:
            audience = ALL if fmt == ALL else tuple(sorted(set(members) - {node.party}))
            if not audience:
                writing.errors["format"] = (_("%(format)s has no member besides %(party)s")
                                            % {"format": fmt, "party": node.party})
    else:
        chosen = sorted({p.strip().upper() for p in writing.lists.get("parties", [])
                         if p.strip()} - {node.party})
        unknown = [p for p in chosen if not regime.is_party(p)]
        if unknown:
            writing.errors["parties"] = (_("no participant %(parties)s in this regime")
                                         % {"parties": ", ".join(unknown)})
        elif not chosen:
            writing.errors["parties"] = _("choose the parties the thread is between, or a "
                                          "format")
        audience = tuple(chosen)
    body: dict[str, Any] = {"subject": v.get("subject", "").strip(),
                            "level": v.get("level", "expert").strip(),
                            "text": v.get("text", "").strip()}
    if fmt:
        body["format"] = fmt
    files = attach_files(node, writing)
    if files:
        body["attachments"] = files
    _validate_into(writing, THREAD, body, {"attachments": "files"})
    return None if writing.errors else Outgoing(THREAD, audience, body)


def _validate_into(writing: Writing, form_id: str, body: Mapping[str, Any],
                   field_of: Mapping[str, str] | None = None) -> None:
    """Put what the form finds wrong with ``body`` into ``writing.errors``, field by field."""
    try:
        get_form(form_id).validate(dict(body))
    except InvalidFormBody as exc:
        for path, message in exc.fields:
            name = path.split(".")[0]
            writing.errors.setdefault((field_of or {}).get(name, name), _plain(message))


@router.post("/threads/new")
async def new_thread(request: Request, site: SiteDep, session: SessionDep) -> Response:
    writing = await _posted_with_files(request, session, "thread")
    node = _node(site)

    def page(w: Writing, status: int) -> Response:
        return _new_thread_page(request, site, session, w, status)

    return await run_in_threadpool(
        _write, writing, node, lambda w: thread_outgoing(node, w), page,
        lambda signed, fresh: _sent("/threads", fresh))


@router.get("/threads/{thread_id}")
def thread_page(request: Request, thread_id: str, site: SiteDep,
                session: SessionDep) -> Response:
    return _thread_page(request, site, session, thread_id.lower(), Writing(), mark=True)


def _thread_page(request: Request, site: Site, session: WebSession, thread_id: str,
                 writing: Writing, status: int = 200, *, mark: bool = False) -> Response:
    node = _node(site)
    if not _ENTRY_ID.fullmatch(thread_id):
        return _not_found(request, site, session, "consultation thread")
    try:
        thread = node.consultations.thread(thread_id)
    except NotFound:
        return _not_found(request, site, session, "consultation thread")
    opened = _held(node, thread_id)
    assert opened is not None
    marks = read_marks(node, session)
    seen = marks.get(thread.id, -1)
    if mark:
        mark_read(node, session, thread)
    waiting = unsynced(node, frozenset({REPLY}), lambda body: body.get("thread") == thread_id)
    return _page(request, site, "node/threads_thread.html",
                 {"thread": thread, "messages": [message_shown(m) for m in thread.messages],
                  "seen": seen, "w": writing, "waiting": waiting,
                  "reply_to": reply_audience(opened, node.party),
                  "sent": request.query_params.get("sent")}, session, status)


@router.post("/threads/{thread_id}/reply")
async def reply(request: Request, thread_id: str, site: SiteDep,
                session: SessionDep) -> Response:
    writing = await _posted_with_files(request, session, "reply")
    thread_id = thread_id.lower()
    return await run_in_threadpool(_reply, request, site, session, thread_id, writing)


def _reply(request: Request, site: Site, session: WebSession, thread_id: str,
           writing: Writing) -> Response:
    node = _node(site)
    if not _ENTRY_ID.fullmatch(thread_id):
        return _not_found(request, site, session, "consultation thread")
    try:
        node.consultations.thread(thread_id)
    except NotFound:
        return _not_found(request, site, session, "consultation thread")
    opened = _held(node, thread_id)
    assert opened is not None

    def outgoing(w: Writing) -> Outgoing | None:
        body: dict[str, Any] = {"thread": thread_id, "text": w.values.get("text", "").strip()}
        files = attach_files(node, w)
        if files:
            body["attachments"] = files
        _validate_into(w, REPLY, body, {"attachments": "files"})
        return Outgoing(REPLY, reply_audience(opened, node.party), body, (thread_id,))

    def page(w: Writing, status: int) -> Response:
        return _thread_page(request, site, session, thread_id, w, status)

    return _write(writing, node, outgoing, page,
                  lambda signed, fresh: _sent(f"/threads/{thread_id}", fresh, "#reply"))


# -- meetings ------------------------------------------------------------------------------------


def _ics(body: bytes, filename: str) -> Response:
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})


@router.get("/meetings")
def meeting_list(request: Request, site: SiteDep, session: SessionDep) -> Response:
    node = _node(site)
    found = node.consultations.meetings(site.clock.now())
    held = {v.meeting.id for v in found}
    waiting = unsynced(node, frozenset({MEETING}), lambda body: True)
    return _page(request, site, "node/meetings.html",
                 {"cal": calendar_of(found), "decision_base": "/decisions/",
                  "meeting_base": "/meetings/",
                  "waiting": [w for w in waiting if w.entry_id not in held],
                  "sent": request.query_params.get("sent")}, session)


@router.get("/meetings/calendar.ics")
def meetings_calendar(site: SiteDep, session: SessionDep) -> Response:
    node = _node(site)
    now = site.clock.now()
    return _ics(calendar(node.consultations.meetings(now), now),
                f"meetings-{node.party.lower()}.ics")


@router.get("/meetings/{meeting_id}/calendar.ics")
def meeting_calendar(request: Request, meeting_id: str, site: SiteDep,
                     session: SessionDep) -> Response:
    node = _node(site)
    now = site.clock.now()
    found = _meeting(node, meeting_id.lower(), now)
    if found is None:
        return _not_found(request, site, session, "meeting")
    return _ics(calendar([found], now), f"meeting-{found.meeting.id[:12]}.ics")


@dataclass(frozen=True)
class Start:
    """When a meeting being convened starts, as its page shows it: where it is held, and in
    UTC, as it is signed."""

    local: str
    utc: str


def _new_meeting_page(request: Request, site: Site, session: WebSession, writing: Writing,
                      status: int = 200) -> Response:
    node = _node(site)
    lang = language_of(site, request).code
    start = None
    if writing.preview is not None:
        body = writing.preview.draft.body
        moment = parse_time(str(body["starts_at"]))
        start = Start(local_time(moment, str(body["timezone"])), format_minute(moment))
    return _page(request, site, "node/meetings_new.html",
                 {"w": writing, "levels": LEVELS, "zones": MEETING_ZONES, "start": start,
                  "parties": [p for p in parties_in(site, lang) if p[0] != node.party]},
                 session, status)


@router.get("/meetings/new")
def new_meeting_form(request: Request, site: SiteDep, session: SessionDep) -> Response:
    return _new_meeting_page(request, site, session, Writing())


def convene_outgoing(node: Node, writing: Writing, now: datetime) -> Outgoing | None:
    """A bilateral meeting from the convening form, or None with its problems in
    ``writing.errors``: the other party, a start in the future (typed in the local time of
    the chosen zone, signed in UTC), a duration, a place or online, an agenda."""
    v = writing.values
    errors = writing.errors
    other = v.get("party", "").strip().upper()
    if not other:
        errors["party"] = _("choose the party the meeting is with")
    elif other == node.party:
        errors["party"] = (_("a meeting %(party)s convenes is with another party")
                           % {"party": node.party})
    elif not node.regime.is_participant(other):
        errors["party"] = _("no participant %(parties)s in this regime") % {"parties": other}
    zone = v.get("timezone", "").strip()
    starts, problems = local_start(v.get("date", ""), v.get("time", ""), zone)
    errors.update(problems)
    if starts is not None and starts <= now:
        errors["date"] = (_("%(local)s (%(utc)s) is past: a meeting is convened for a time to "
                            "come")
                          % {"local": local_time(starts, zone), "utc": format_minute(starts)})
    duration = v.get("duration_minutes", "").strip()
    if not duration.isdigit() or not MIN_MINUTES <= int(duration) <= MAX_MINUTES:
        errors["duration_minutes"] = (_("write the duration in whole minutes, from %(low)s to "
                                        "%(high)s (7 days)")
                                      % {"low": MIN_MINUTES, "high": MAX_MINUTES})
    online = v.get("online") == "yes"
    place = "online" if online else v.get("place", "").strip()
    if not place:
        errors["place"] = _("write where the meeting is held, or tick “online”")
    agenda = _lines(v.get("agenda", ""))
    if not agenda:
        errors["agenda"] = _("write the draft agenda, one item per line")
    body: dict[str, Any] = {
        "title": v.get("title", "").strip(), "level": v.get("level", "").strip(),
        "starts_at": "" if starts is None else format_time(starts), "timezone": zone,
        "duration_minutes": int(duration) if duration.isdigit() else 0, "place": place,
        "agenda": agenda}
    _validate_into(writing, MEETING, body, {"starts_at": "date"})
    if errors:
        return None
    return Outgoing(MEETING, (other,), body)


@router.post("/meetings/new")
async def convene(request: Request, site: SiteDep, session: SessionDep) -> Response:
    writing = await _posted(request, session, "convene")
    node = _node(site)

    def page(w: Writing, status: int) -> Response:
        return _new_meeting_page(request, site, session, w, status)

    return await run_in_threadpool(
        _write, writing, node, lambda w: convene_outgoing(node, w, site.clock.now()), page,
        lambda signed, fresh: _sent("/meetings", fresh), {"starts_at": "date"})


def _meeting(node: Node, meeting_id: str, now: datetime) -> MeetingView | None:
    if not _ENTRY_ID.fullmatch(meeting_id):
        return None
    try:
        return node.consultations.meeting(meeting_id, now)
    except NotFound:
        return None


@dataclass(frozen=True)
class MeetingStanding:
    """What this party may do on a meeting now."""

    reply: bool
    propose_item: bool
    convene: bool
    """May change or cancel it (the convener, while it is convened)."""
    minutes: bool
    why_not: str | None


def meeting_standing(node: Node, view: MeetingView) -> MeetingStanding:
    m = view.meeting
    party = node.party
    convened = m.status == "convened"
    guest = party in m.invited and party != m.convener
    convener = party == m.convener
    minutes = (convener and m.status == "held"
               and view.minutes_status in ("none", "not-adopted", "withdrawn")
               and node.regime.has_right(party, "propose"))
    why = None
    if not convened:
        why = (_("The meeting is %(status)s: no reply or change counts any more.")
               % {"status": m.status})
    return MeetingStanding(convened and guest, convened and (guest or convener),
                           convened and convener, minutes, why)


def _minute_formats(node: Node, view: MeetingView) -> list[str]:
    """The formats draft minutes may go to: those with every participant of the meeting."""
    m = view.meeting
    company = {p for p in (m.convener, *m.invited) if node.regime.is_participant(p)}
    return [name for name, members in node.regime.formats.items() if company <= set(members)]


def _meeting_page(request: Request, site: Site, session: WebSession, meeting_id: str,
                  writing: Writing, status: int = 200) -> Response:
    node = _node(site)
    now = site.clock.now()
    view = _meeting(node, meeting_id, now)
    if view is None:
        return _not_found(request, site, session, "meeting")
    m = view.meeting
    waiting = unsynced(node, frozenset({MEETING_REPLY, AGENDA_PROPOSAL, MEETING_UPDATE, DRAFT}),
                       lambda body: meeting_id in (body.get("meeting"),
                                                   (body.get("content") or {}).get("meeting")))
    formats = _minute_formats(node, view)
    defaults = {"minutes-format": m.format if m.format in formats else
                (formats[0] if formats else ""),
                "minutes-title": (_("Minutes: %(title)s") % {"title": m.title})[:200],
                "minutes-closes": (now + timedelta(days=MINUTES_DAYS)).strftime(
                    "%Y-%m-%d %H:%M")}
    return _page(request, site, "node/meetings_meeting.html",
                 {"s": meeting_shown(view), "m": m, "view": view, "w": writing,
                  "able": meeting_standing(node, view), "waiting": waiting,
                  "to": step_audience_of(node, meeting_id), "minute_formats": formats,
                  "defaults": defaults, "sent": request.query_params.get("sent"),
                  "decision_base": "/decisions/"}, session, status)


def step_audience_of(node: Node, meeting_id: str) -> Audience:
    signed = _held(node, meeting_id)
    assert signed is not None
    return step_audience(signed, node.party)


@router.get("/meetings/{meeting_id}")
def meeting_page(request: Request, meeting_id: str, site: SiteDep,
                 session: SessionDep) -> Response:
    return _meeting_page(request, site, session, meeting_id.lower(), Writing())


MEETING_ANCHORS: Final[Mapping[str, str]] = {"reply": "#reply", "agenda": "#agenda"}
"""Where a meeting's page opens after a step (a change or a cancellation: at the top)."""


def _meeting_step(request: Request, site: Site, session: WebSession, meeting_id: str,
                  writing: Writing, body_of: Callable[[Writing, MeetingView], dict[str, Any]],
                  form_id: str, may: Callable[[MeetingStanding], bool]) -> Response:
    node = _node(site)
    view = _meeting(node, meeting_id, site.clock.now())
    if view is None:
        return _not_found(request, site, session, "meeting")

    def outgoing(w: Writing) -> Outgoing | None:
        able = meeting_standing(node, view)
        if not may(able):
            w.general = _("Not sent: %(reason)s") % {
                "reason": able.why_not or _("this party may not take this step on this meeting")}
            return None
        body = body_of(w, view)
        if w.errors:
            return None
        _validate_into(w, form_id, body)
        return Outgoing(form_id, step_audience_of(node, meeting_id), body, (meeting_id,))

    def page(w: Writing, status: int) -> Response:
        return _meeting_page(request, site, session, meeting_id, w, status)

    anchor = MEETING_ANCHORS.get(str(writing.which), "")
    return _write(writing, node, outgoing, page,
                  lambda signed, fresh: _sent(f"/meetings/{meeting_id}", fresh, anchor))


def _time_field(w: Writing, name: str, required: bool = False) -> str | None:
    """A UTC time from the form, as the forms write it (RFC 3339), or None; a problem goes to
    ``w.errors``."""
    text = w.values.get(name, "").strip()
    if not text:
        if required:
            w.errors[name] = _("write the time in UTC as YYYY-MM-DD HH:MM")
        return None
    moment = parse_moment(text)
    if moment is None:
        w.errors[name] = _("write the time in UTC as YYYY-MM-DD HH:MM, like %(example)s") % {
            "example": "2027-03-01 09:00"}
        return None
    return format_time(moment)


def _optional(w: Writing, name: str, key: str | None = None) -> dict[str, str]:
    text = w.values.get(name, "").strip()
    return {key or name: text} if text else {}


@router.post("/meetings/{meeting_id}/reply")
async def meeting_reply(request: Request, meeting_id: str, site: SiteDep,
                        session: SessionDep) -> Response:
    writing = await _posted(request, session, "reply")

    def body(w: Writing, view: MeetingView) -> dict[str, Any]:
        answer = w.values.get("reply", "")
        out: dict[str, Any] = {"meeting": view.meeting.id, "reply": answer,
                               **_optional(w, "note")}
        if answer == "propose-time":
            when = _time_field(w, "proposed_at")
            if when is not None:
                out["proposed_at"] = when
        return out

    return await run_in_threadpool(_meeting_step, request, site, session, meeting_id.lower(),
                                   writing, body, MEETING_REPLY, lambda a: a.reply)


@router.post("/meetings/{meeting_id}/agenda")
async def agenda_proposal(request: Request, meeting_id: str, site: SiteDep,
                          session: SessionDep) -> Response:
    writing = await _posted(request, session, "agenda")

    def body(w: Writing, view: MeetingView) -> dict[str, Any]:
        return {"meeting": view.meeting.id, "item": w.values.get("item", "").strip(),
                **_optional(w, "reason")}

    return await run_in_threadpool(_meeting_step, request, site, session, meeting_id.lower(),
                                   writing, body, AGENDA_PROPOSAL, lambda a: a.propose_item)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@router.post("/meetings/{meeting_id}/update")
async def meeting_update(request: Request, meeting_id: str, site: SiteDep,
                         session: SessionDep) -> Response:
    writing = await _posted(request, session, "update")

    def body(w: Writing, view: MeetingView) -> dict[str, Any]:
        out: dict[str, Any] = {"meeting": view.meeting.id}
        when = _time_field(w, "starts_at")
        if when is not None:
            out["starts_at"] = when
        out.update(_optional(w, "timezone"))
        duration = w.values.get("duration_minutes", "").strip()
        if duration:
            if not duration.isdigit():
                w.errors["duration_minutes"] = _("write the duration in whole minutes")
            else:
                out["duration_minutes"] = int(duration)
        out.update(_optional(w, "place"))
        agenda = _lines(w.values.get("agenda", ""))
        if agenda:
            out["agenda"] = agenda
        out.update(_optional(w, "note"))
        if len(out) == 1 and not w.errors:
            w.general = _("Nothing to send: change the time, the place or the duration, adopt "
                          "the final agenda, or write a note.")
        return out

    return await run_in_threadpool(_meeting_step, request, site, session, meeting_id.lower(),
                                   writing, body, MEETING_UPDATE, lambda a: a.convene)


@router.post("/meetings/{meeting_id}/cancel")
async def meeting_cancel(request: Request, meeting_id: str, site: SiteDep,
                         session: SessionDep) -> Response:
    writing = await _posted(request, session, "cancel")

    def body(w: Writing, view: MeetingView) -> dict[str, Any]:
        return {"meeting": view.meeting.id, "cancelled": True, **_optional(w, "note")}

    return await run_in_threadpool(_meeting_step, request, site, session, meeting_id.lower(),
                                   writing, body, MEETING_UPDATE, lambda a: a.convene)


@router.post("/meetings/{meeting_id}/minutes")
async def circulate_minutes(request: Request, meeting_id: str, site: SiteDep,
                            session: SessionDep) -> Response:
    writing = await _posted(request, session, "minutes")
    return await run_in_threadpool(_minutes, request, site, session, meeting_id.lower(),
                                   writing)


def _minutes(request: Request, site: Site, session: WebSession, meeting_id: str,
             writing: Writing) -> Response:
    node = _node(site)
    now = site.clock.now()
    view = _meeting(node, meeting_id, now)
    if view is None:
        return _not_found(request, site, session, "meeting")
    field_of = {"title": "minutes-title", "text": "minutes-text", "format": "minutes-format",
                "closes_at": "minutes-closes", "procedure": "minutes-format",
                "content": "minutes-text"}

    def outgoing(w: Writing) -> Outgoing | None:
        if not meeting_standing(node, view).minutes:
            w.general = _("Not sent: the convener circulates the minutes once the meeting has "
                          "been held, unless minutes are circulated or adopted already.")
            return None
        fmt = w.values.get("minutes-format", "").strip()
        if fmt not in _minute_formats(node, view):
            w.errors["minutes-format"] = _("choose a format with every participant of the "
                                           "meeting: the minutes go to all its members")
        closes = parse_moment(w.values.get("minutes-closes", ""))
        if closes is None:
            w.errors["minutes-closes"] = _("write the closing time in UTC as YYYY-MM-DD HH:MM")
        elif closes <= now:
            w.errors["minutes-closes"] = _("the closing time must be after now")
        if w.values.get("confirm") != "yes":
            w.errors["confirm"] = (_("tick the box to confirm that you sign these minutes in "
                                     "the name of %(party)s") % {"party": node.party})
        body = {"kind": "minutes", "title": w.values.get("minutes-title", "").strip(),
                "text": w.values.get("minutes-text", "").strip(), "format": fmt,
                "procedure": "silence",
                "closes_at": "" if closes is None else format_time(closes),
                "content": {"meeting": meeting_id}}
        if w.errors:
            return None
        _validate_into(w, DRAFT, body, field_of)
        return Outgoing(DRAFT, draft_audience(node.regime, fmt), body, (meeting_id,))

    def page(w: Writing, status: int) -> Response:
        return _meeting_page(request, site, session, meeting_id, w, status)

    writing.values.pop("action", None)  # no preview: the box confirms what is signed
    return _write(writing, node, outgoing, page,
                  lambda signed, fresh: _sent(f"/meetings/{meeting_id}", fresh, "#minutes"),
                  field_of)


# -- mediation -----------------------------------------------------------------------------------


def _mediation_url(m: Mediation) -> str:
    return f"/mediation/{'+'.join(m.parties)}/{m.mediator}"


def _mediation_page_list(request: Request, site: Site, session: WebSession,
                         writing: Writing, status: int = 200) -> Response:
    node = _node(site)
    lang = language_of(site, request).code
    found = node.consultations.mediations()
    waiting = unsynced(node, frozenset({REQUEST, WITHDRAWAL, ANSWER, PROPOSAL, RESPONSE}),
                       lambda body: True)
    return _page(request, site, "node/mediation.html",
                 {"rows": [mediation_shown(m) for m in found], "w": writing,
                  "waiting": waiting, "url_of": _mediation_url,
                  "parties": [p for p in parties_in(site, lang) if p[0] != node.party],
                  "mediators": [p for p in parties_in(site, lang) if p[0] != node.party]
                  + [(node.regime.secretariat.code, _("The secretariat's good offices"), None)],
                  "sent": request.query_params.get("sent")}, session, status)


@router.get("/mediation")
def mediation_list(request: Request, site: SiteDep, session: SessionDep) -> Response:
    return _mediation_page_list(request, site, session, Writing())


def request_outgoing(node: Node, writing: Writing) -> Outgoing | None:
    """A request for mediation from the list page's form, or None with its problems."""
    others = sorted({p.strip().upper() for p in writing.lists.get("parties", []) if p.strip()}
                    - {node.party})
    mediator = writing.values.get("mediator", "").strip().upper()
    if not others:
        writing.errors["parties"] = _("choose the other parties to the dispute: mediation is "
                                      "requested by every party to it")
    unknown = [p for p in (*others, mediator) if p and not node.regime.is_party(p)]
    if unknown:
        writing.errors.setdefault("parties", _("no participant %(parties)s in this regime")
                                  % {"parties": ", ".join(unknown)})
    if not mediator:
        writing.errors["mediator"] = _("choose the mediator")
    elif mediator == node.party:
        writing.errors["mediator"] = _("the mediator is not a party to the dispute")
    parties = sorted({node.party, *others})
    body = {"parties": parties, "mediator": mediator, **_optional(writing, "note")}
    _validate_into(writing, REQUEST, body)
    if writing.errors:
        return None
    return Outgoing(REQUEST, audience_of(parties, mediator, node.party), body)


@router.post("/mediation")
async def request_mediation(request: Request, site: SiteDep, session: SessionDep) -> Response:
    writing = await _posted(request, session, "request")
    node = _node(site)

    def page(w: Writing, status: int) -> Response:
        return _mediation_page_list(request, site, session, w, status)

    return await run_in_threadpool(
        _write, writing, node, lambda w: request_outgoing(node, w), page,
        lambda signed, fresh: _sent("/mediation", fresh))


def _mediation(node: Node, parties: str, mediator: str) -> Mediation | None:
    codes = parties.split("+")
    if not all(_PARTY.fullmatch(p) for p in (*codes, mediator)):
        return None
    try:
        return node.consultations.mediation(f"{parties}/{mediator}")
    except NotFound:
        return None


@dataclass(frozen=True)
class MediationStanding:
    """What this party may do on a mediation now."""

    request: bool
    withdraw: bool
    answer: bool
    propose: bool
    respond: bool


def mediation_standing(party: str, m: Mediation) -> MediationStanding:
    member = party in m.parties
    return MediationStanding(member and party not in m.requested_by,
                             member and party in m.requested_by, party == m.mediator,
                             party == m.mediator and m.status == "active",
                             member and m.status == "active")


def _one_mediation_page(request: Request, site: Site, session: WebSession, parties: str,
                        mediator: str, writing: Writing, status: int = 200) -> Response:
    node = _node(site)
    m = _mediation(node, parties, mediator)
    if m is None:
        return _not_found(request, site, session, "mediation")
    proposals = {p.entry_id for p in m.proposals}
    waiting = unsynced(
        node, frozenset({REQUEST, WITHDRAWAL, ANSWER, PROPOSAL, RESPONSE}),
        lambda body: body.get("proposal") in proposals
        or (sorted(body.get("parties") or []) == list(m.parties)
            and body.get("mediator") == m.mediator))
    return _page(request, site, "node/mediation_one.html",
                 {"s": mediation_shown(m), "m": m, "w": writing, "url": _mediation_url(m),
                  "able": mediation_standing(node.party, m), "waiting": waiting,
                  "to": audience_of(m.parties, m.mediator, node.party),
                  "event_words": EVENT_WORDS, "response_words": RESPONSE_WORDS,
                  "sent": request.query_params.get("sent")}, session, status)


@router.get("/mediation/{parties}/{mediator}")
def mediation_page(request: Request, parties: str, mediator: str, site: SiteDep,
                   session: SessionDep) -> Response:
    return _one_mediation_page(request, site, session, parties, mediator, Writing())


def _mediation_step(request: Request, site: Site, session: WebSession, parties: str,
                    mediator: str, writing: Writing, form_id: str,
                    body_of: Callable[[Writing, Mediation], dict[str, Any]],
                    may: Callable[[MediationStanding], bool]) -> Response:
    node = _node(site)
    m = _mediation(node, parties, mediator)
    if m is None:
        return _not_found(request, site, session, "mediation")

    def outgoing(w: Writing) -> Outgoing | None:
        if not may(mediation_standing(node.party, m)):
            w.general = (_("Not sent: %(party)s may not take this step on this mediation now "
                           "(it is %(status)s).") % {"party": node.party, "status": m.status})
            return None
        body = body_of(w, m)
        if w.errors:
            return None
        _validate_into(w, form_id, body)
        refs = (str(body["proposal"]),) if form_id == RESPONSE else ()
        return Outgoing(form_id, audience_of(m.parties, m.mediator, node.party), body, refs)

    def page(w: Writing, status: int) -> Response:
        return _one_mediation_page(request, site, session, parties, mediator, w, status)

    anchor = "#proposals" if writing.which in ("propose", "respond") else "#actions"
    return _write(writing, node, outgoing, page,
                  lambda signed, fresh: _sent(_mediation_url(m), fresh, anchor))


def _dispute(m: Mediation) -> dict[str, Any]:
    return {"parties": list(m.parties), "mediator": m.mediator}


async def _post_mediation(request: Request, site: Site, session: WebSession, parties: str,
                          mediator: str, which: str, form_id: str,
                          body_of: Callable[[Writing, Mediation], dict[str, Any]],
                          may: Callable[[MediationStanding], bool]) -> Response:
    writing = await _posted(request, session, which)
    return await run_in_threadpool(_mediation_step, request, site, session, parties, mediator,
                                   writing, form_id, body_of, may)


@router.post("/mediation/{parties}/{mediator}/request")
async def mediation_request(request: Request, parties: str, mediator: str, site: SiteDep,
                            session: SessionDep) -> Response:
    return await _post_mediation(
        request, site, session, parties, mediator, "request", REQUEST,
        lambda w, m: {**_dispute(m), **_optional(w, "note")}, lambda a: a.request)


@router.post("/mediation/{parties}/{mediator}/withdraw")
async def mediation_withdrawal(request: Request, parties: str, mediator: str, site: SiteDep,
                               session: SessionDep) -> Response:
    return await _post_mediation(
        request, site, session, parties, mediator, "withdraw", WITHDRAWAL,
        lambda w, m: {**_dispute(m), **_optional(w, "reason")}, lambda a: a.withdraw)


@router.post("/mediation/{parties}/{mediator}/answer")
async def mediation_answer(request: Request, parties: str, mediator: str, site: SiteDep,
                           session: SessionDep) -> Response:
    return await _post_mediation(
        request, site, session, parties, mediator, "answer", ANSWER,
        lambda w, m: {**_dispute(m), "answer": w.values.get("answer", ""),
                      **_optional(w, "note")}, lambda a: a.answer)


@router.post("/mediation/{parties}/{mediator}/propose")
async def mediation_proposal(request: Request, parties: str, mediator: str, site: SiteDep,
                             session: SessionDep) -> Response:
    return await _post_mediation(
        request, site, session, parties, mediator, "propose", PROPOSAL,
        lambda w, m: {**_dispute(m), "title": w.values.get("title", "").strip(),
                      "text": w.values.get("text", "").strip()}, lambda a: a.propose)


@router.post("/mediation/{parties}/{mediator}/respond")
async def mediation_response(request: Request, parties: str, mediator: str, site: SiteDep,
                             session: SessionDep) -> Response:
    def body(w: Writing, m: Mediation) -> dict[str, Any]:
        proposal = w.values.get("proposal", "").strip().lower()
        if proposal not in {p.entry_id for p in m.proposals}:
            w.general = _("Not sent: the mediator tabled no such proposal in this mediation.")
        return {"proposal": proposal, "response": w.values.get("response", ""),
                **_optional(w, "note")}

    return await _post_mediation(request, site, session, parties, mediator, "respond",
                                 RESPONSE, body, lambda a: a.respond)


__all__ = ["router", "sign_once"]
