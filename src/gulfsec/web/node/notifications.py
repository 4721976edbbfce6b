"""A delegate's own e-mail notifications page (``/settings/notifications``).

Each signed-in delegate (viewer or officer) says here where and in which language they want
e-mails, and which: an entry arrived for the party, something the party owes falls due within
a day (an acknowledgement, a report or a reply, a draft decision closing without its position),
and — at once — an alarm the node raised or a hotline message received. The form
carries the session's CSRF token; a bad address is refused with a message beside the field and
everything typed is shown again; saved, the page says so (post, then redirect). Without an SMTP
server in the node's settings the page says that notifications are off (choices can still be
kept, and apply once one is set). Below the form, the latest e-mails for this delegate and
where each stands (sent, waiting for the server, refused).

The service (:class:`gulfsec.services.node.notifications.Notifications`) is handed over by
:func:`install`, called by :func:`gulfsec.web.install_node_pages`.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any, Final

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from gulfsec.adapters.storage.notifications import Mail, Preferences
from gulfsec.i18n import N_
from gulfsec.services.node import Node
from gulfsec.services.node.notifications import KINDS, Notifications, Problems
from gulfsec.services.shared.accounts import WebSession
from gulfsec.services.shared.time import from_micros
from gulfsec.web.deps import SessionDep, SiteDep
from gulfsec.web.node.pages import NodeSite, page
from gulfsec.web.site import Site, check_csrf, read_form, redirect

__all__ = ["PATH", "install", "router"]

router = APIRouter(include_in_schema=False)

PATH: Final = "/settings/notifications"
SHOWN_MAILS: Final = 10
KIND_WORDS: Final[Mapping[str, tuple[str, str]]] = {
    "entries": (N_("An entry arrives for my party"),
                N_("Who sent it, its form, its log index and the link: never what it says.")),
    "due": (N_("Something my party owes is due within a day"),
            N_("Once per obligation: an acknowledgement, a report or a reply the regime's "
               "commitments require, or a draft decision closing on which my party has taken "
               "no position. The node acknowledges by itself as it syncs, so an "
               "acknowledgement comes only when it is still owed.")),
    "alarms": (N_("At once: an alarm of the node, or a hotline message"),
               N_("The alarm's kind, or who wrote on the hotline, and the link: never the "
                  "message.")),
}

_SERVICES: weakref.WeakKeyDictionary[Node, Notifications] = weakref.WeakKeyDictionary()


def install(site: NodeSite, notifications: Notifications) -> None:
    """Serve ``notifications``' page on ``site`` (its router is included by the caller)."""
    _SERVICES[site.the_node()] = notifications


def _service(site: Site) -> Notifications:
    assert isinstance(site, NodeSite)
    node = site.the_node()
    found = _SERVICES.get(node)
    return found if found is not None else Notifications(node, None, None)


@router.get(PATH)
def notifications_page(request: Request, site: SiteDep, session: SessionDep) -> Response:
    service = _service(site)
    prefs = service.preferences(session.account.id)
    return _page(request, site, session, service, prefs, {},
                 saved=request.query_params.get("saved") == "1")


@router.post(PATH)
async def notifications_post(request: Request, site: SiteDep, session: SessionDep) -> Response:
    form = await read_form(request)
    check_csrf(request, form, session)
    fields = {name: value for name, value in form.items() if isinstance(value, str)}
    fields = {name: fields[name] for name in ("address", "language", *KINDS) if name in fields}
    service = _service(site)
    prefs, problems = await run_in_threadpool(service.save, session.account.id, fields)
    if problems:
        return await run_in_threadpool(_page, request, site, session, service, prefs, problems,
                                       status=422)
    return redirect(f"{PATH}?saved=1")


def _page(request: Request, site: Site, session: WebSession, service: Notifications,
          prefs: Preferences, problems: Problems, *, saved: bool = False,
          status: int = 200) -> Response:
    mails = service.recent(session.account.id, SHOWN_MAILS)
    context: dict[str, Any] = {
        "prefs": prefs, "problems": problems, "saved": saved, "enabled": service.enabled,
        "kinds": [(kind, *KIND_WORDS[kind]) for kind in KINDS],
        "mails": [_mail_row(mail) for mail in mails],
    }
    return page(request, site, "node/notifications.html", context, session, status=status)


def _mail_row(mail: Mail) -> dict[str, Any]:
    if mail.sent_at is not None:
        state, at = N_("sent"), mail.sent_at
    elif mail.failed_at is not None:
        state, at = N_("refused by the mail server"), mail.failed_at
    else:
        state, at = N_("waiting for the mail server"), None
    return {"subject": mail.subject, "state": state,
            "at": None if at is None else from_micros(at), "error": mail.last_error}
