"""A node's hotline page (``/hotline``): the conversation its party holds, the line's tests,
and writing a message; and the hotline's mark in the header of every node page.

Reading: ``node.hotline.conversation()`` (:mod:`gulfsec.services.node.hotline`) gives what the
node sealed and what it opened, newest first, each message sent with each recipient's receipt
as the domain judges it (received, waiting, overdue). The page shows the messages newest first,
in one list whatever the party — on a hotline the latest word matters most — each with its
precedence (FLASH stands out), its direction, parties, times and receipts in words; the line's
tests, hourly and automatic, are folded away below so that they do not drown the messages.

Unread messages: each account has one small record in the node's meta table
(``hotline_read:<account id>``), the log index of the latest message received when that
account last opened ``/hotline``. A message received (not a test) at a greater index is unread.
The header of every node page (``templates/node/layout.html``) shows the hotline's link with
the number unread and a mark while a hotline alarm (``hotline_no_receipt``,
``hotline_bad_message``) stands, from :func:`header_mark` — a template global that
:func:`install` sets on the node's site, so that every page, whichever module renders it,
shows it without JavaScript.

Writing, by an officer only: the recipients (only parties whose encryption key the log holds
can be chosen), the precedence and the text; the form carries the session's CSRF token and a
confirmation token, and :meth:`NodeHotline.send` seals and signs once per token — the same form
posted again (a reload, a double click) finds the entry signed the first time and signs
nothing new. There is no preview: what is signed is ciphertext, one copy per recipient.

A node without hotline keys (``node.hotline`` is None) says so on the page, and how to set it
up.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from gulfsec.adapters.storage.node import NodeRepository
from gulfsec.domain.hotline import MAX_TEXT, PRIORITIES
from gulfsec.errors import EntryError, Forbidden, HotlineError, InvalidFormBody, MissingRight
from gulfsec.i18n import _
from gulfsec.services.node import Node, views
from gulfsec.services.node import detail as details
from gulfsec.services.node.hotline import NodeHotline
from gulfsec.services.node.outbox import MAX_CONFIRMATION
from gulfsec.services.shared.accounts import OFFICER, WebSession
from gulfsec.services.shared.cache import StateCache
from gulfsec.web.deps import SessionDep, SiteDep
from gulfsec.web.hotline import PRIORITY_WORDS, message_shown
from gulfsec.web.node.decisions import already_sent
from gulfsec.web.node.writing import Writing
from gulfsec.web.site import (
    Site,
    check_csrf,
    form_lists,
    language_of,
    read_form,
    redirect,
    render,
)

__all__ = ["ALARM_KINDS", "HotlineMark", "header_mark", "install", "router"]

router = APIRouter(include_in_schema=False)

READ_KEY: Final = "hotline_read:{account}"
"""The node meta key that keeps the index of the last message an account has seen."""
ALARM_KINDS: Final = frozenset({"hotline_no_receipt", "hotline_bad_message"})
SHOWN: Final = 200
"""The latest messages (and tests) the page shows."""
RECENT: Final = 500
"""The latest messages kept that the header looks through for unread ones."""
MARK_FRESH_S: Final = 5
"""How long the header's mark may be kept while the log stands still."""
WHICH: Final = "hotline"
"""The form's name on the page (its fields' ids are ``hotline-<name>``)."""


def _node(site: Site) -> Node:
    node = getattr(site, "node", None)
    assert isinstance(node, Node)
    return node


# -- the header's mark ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HotlineMark:
    """What the header says of the hotline: whether the node takes part, how many messages
    the reader has not seen, and how many hotline alarms stand."""

    set_up: bool
    unread: int
    alarms: int


def install(site: Site) -> None:
    """Give the node's templates :func:`header_mark` (as ``hotline_mark(session)``), worked
    out once per state of the node's log and message last seen (every page shows it), and
    again every :data:`MARK_FRESH_S` seconds in the background (a message is opened, and
    kept, a moment after its entry is stored)."""
    node = _node(site)
    marks: StateCache[HotlineMark] = StateCache()

    def mark(session: WebSession) -> HotlineMark:
        with node.uow() as uow:
            seen = _seen(uow.repo, session)
        return marks.get(seen, views.read_state(node), lambda: _mark(node, seen),
                         tick=int(time.monotonic() // MARK_FRESH_S))

    site.env.globals["hotline_mark"] = mark


def header_mark(node: Node, session: WebSession) -> HotlineMark:
    with node.uow() as uow:
        seen = _seen(uow.repo, session)
    return _mark(node, seen)


def _mark(node: Node, seen: int) -> HotlineMark:
    with node.uow() as uow:
        alarms = sum(1 for a in uow.repo.alarms() if a.kind in ALARM_KINDS)
        if node.hotline is None:
            return HotlineMark(False, 0, alarms)
        unread = _unread(uow.repo, seen)
    return HotlineMark(True, unread, alarms)


def _seen(repo: NodeRepository, session: WebSession) -> int:
    text = repo.get_meta(READ_KEY.format(account=session.account.id))
    return int(text) if text is not None and text.lstrip("-").isdigit() else -1


def _unread(repo: NodeRepository, seen: int) -> int:
    """The messages received (not tests) at a log index after ``seen``, among the latest
    :data:`RECENT` kept. The node keeps what it receives in log order, so the look stops at
    the first one seen (and those kept at the same moment)."""
    count = 0
    floor: int | None = None
    for row in repo.hotline_rows(limit=RECENT):
        if floor is not None and row.created_at < floor:
            break
        if row.direction != "received" or row.kind == "test":
            continue
        entry = repo.entry_by_id(row.entry_id)
        if entry is None:
            continue
        if entry.index > seen:
            count += 1
        elif floor is None:
            floor = row.created_at
    return count


def _mark_read(node: Node, session: WebSession, upto: int) -> None:
    key = READ_KEY.format(account=session.account.id)
    with node.uow() as uow:
        if _seen(uow.repo, session) >= upto:
            return
        uow.repo.set_meta(key, str(upto))
        uow.commit()


# -- the page ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """A party one may write to: its code, its name, and whether the log holds an encryption
    key of it valid now (only those can be chosen)."""

    code: str
    name: str
    keyed: bool


def recipients(site: Site, node: Node, hotline: NodeHotline, lang: str) -> list[Recipient]:
    """Every party but this node's, the participants first, then the secretariat."""
    regime = node.regime
    now = site.clock.now()
    directory = hotline.directory()
    margin = regime.commitments.hotline.receipt
    out = []
    for code in regime.parties():
        if code == node.party:
            continue
        participant = regime.participants.get(code)
        name = regime.secretariat.name if participant is None else participant.name_in(lang)
        out.append(Recipient(code, name, directory.current(code, now, margin) is not None))
    return out


def _hotline_page(request: Request, site: Site, session: WebSession, writing: Writing,
                  status: int = 200, *, mark: bool = False) -> Response:
    node = _node(site)
    hotline = node.hotline
    context: dict[str, Any] = {
        "alarm_count": views.alarm_count(node), "party": node.party,
        "officer": session.account.role == OFFICER, "w": writing,
        "hotline_alarms": [a for a in details.alarms(node) if a.kind in ALARM_KINDS],
        "sent": request.query_params.get("sent"), "set_up": hotline is not None,
        "max_text": MAX_TEXT}
    if hotline is not None:
        within = int(node.regime.commitments.hotline.receipt.total_seconds() // 60)
        with node.uow() as uow:
            seen = _seen(uow.repo, session)
        found = [message_shown(m, within_minutes=within, seen=seen, party=node.party)
                 for m in hotline.conversation(SHOWN)]
        messages = [m for m in found if not m.test]
        if mark:
            latest = max((m.index for m in found if m.direction == "received"
                          and m.index is not None), default=-1)
            _mark_read(node, session, latest)
        lang = language_of(site, request).code
        context.update({
            "messages": messages, "tests": [m for m in found if m.test],
            "unread_count": sum(1 for m in messages if m.unread), "shown_limit": SHOWN,
            "flash_count": sum(1 for m in messages if m.flash and m.unread),
            "recipients": recipients(site, node, hotline, lang),
            "priorities": PRIORITIES, "priority_words": PRIORITY_WORDS, "within": within})
    return render(request, site, "node/hotline.html", context, session=session,
                  status=status)


@router.get("/hotline")
def hotline_page(request: Request, site: SiteDep, session: SessionDep) -> Response:
    return _hotline_page(request, site, session, Writing(), mark=True)


@router.post("/hotline")
async def hotline_send(request: Request, site: SiteDep, session: SessionDep) -> Response:
    form = await read_form(request)
    check_csrf(request, form, session)
    if session.account.role != OFFICER:
        raise Forbidden(_("Only an officer may send on the hotline in the party's name. You "
                          "are signed in as a viewer: ask an officer to send it."))
    lists = form_lists(form)
    values = {name: found[-1] for name, found in lists.items()}
    token = values.get("confirmation", "")
    writing = Writing(WHICH, values, lists, tokens={WHICH: token} if token else {})
    return await run_in_threadpool(_send, request, site, session, writing)


def _send(request: Request, site: Site, session: WebSession, writing: Writing) -> Response:
    node = _node(site)
    hotline = node.hotline
    if hotline is None:
        writing.general = _("Not sent: the hotline is not set up on this node (it keeps no "
                            "hotline encryption keys).")
        return _hotline_page(request, site, session, writing, 409)
    token = writing.values.get("confirmation", "")
    if not token or len(token) > MAX_CONFIRMATION:
        writing.general = _("The form's confirmation is missing: reload the page and try "
                            "again.")
        return _hotline_page(request, site, session, writing, 422)
    done = already_sent(node, token)
    if done is not None:  # posted again (a reload, a double click): nothing is signed
        return redirect(f"/hotline?sent=again#message-{done.id_hex[:12]}")
    lang = language_of(site, request).code
    to, priority, text = _read(writing, recipients(site, node, hotline, lang))
    if writing.errors:
        return _hotline_page(request, site, session, writing, 422)
    try:
        signed = hotline.send(to, text, priority, confirmation=token)
    except InvalidFormBody as exc:
        for path, message in exc.fields:
            name = path.split(".")[0]
            writing.errors.setdefault(_FIELD_OF.get(name, name), message)
        return _hotline_page(request, site, session, writing, 422)
    except HotlineError as exc:
        writing.errors["to"] = exc.message
        return _hotline_page(request, site, session, writing, 422)
    except (EntryError, MissingRight) as exc:
        writing.general = _("Not sent: %(reason)s") % {"reason": exc.message}
        return _hotline_page(request, site, session, writing, 422)
    return redirect(f"/hotline?sent=1#message-{signed.id_hex[:12]}")


_FIELD_OF: Final[Mapping[str, str]] = {"recipients": "to", "recipient": "to", "body": "text"}


def _read(writing: Writing, choices: list[Recipient]) -> tuple[list[str], str, str]:
    """The recipients, precedence and text the form holds; what is wrong goes to
    ``writing.errors``, field by field."""
    keyed = {r.code for r in choices if r.keyed}
    known = {r.code for r in choices}
    to = sorted({p.strip().upper() for p in writing.lists.get("to", []) if p.strip()})
    unknown = [p for p in to if p not in known]
    keyless = [p for p in to if p in known and p not in keyed]
    if unknown:
        writing.errors["to"] = _("no party %(parties)s to write to") % {
            "parties": ", ".join(unknown)}
    elif keyless:
        writing.errors["to"] = _("%(parties)s has registered no hotline encryption key: its "
                                 "node registers one on its first sync") % {
            "parties": ", ".join(keyless)}
    elif not to:
        writing.errors["to"] = _("choose at least one recipient")
    priority = writing.values.get("priority", "").strip()
    if priority not in PRIORITIES:
        writing.errors["priority"] = _("choose the precedence: flash, immediate or routine")
    text = writing.values.get("text", "").strip()
    if not text:
        writing.errors["text"] = _("write the message")
    elif len(text) > MAX_TEXT:
        writing.errors["text"] = (_("at most %(limit)s characters: this message has %(length)s")
                                  % {"limit": MAX_TEXT, "length": len(text)})
    return to, priority, text
