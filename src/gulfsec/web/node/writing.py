"""Writing from a node's pages, once: what the consultation, risk and hotline pages share.

A page's forms are read into a :class:`Writing` (which form was posted, its values, its
problems, its confirmation token); :func:`write` previews what would be signed or signs it once
per confirmation (:func:`sign_once`: a reload or a double click signs nothing new), putting the
form's problems field by field back on the page. Only an officer writes; every form checks its
CSRF token.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import Response

from gulfsec.domain.entry import Audience, SignedEntry
from gulfsec.domain.forms import get_form
from gulfsec.errors import (
    EntryError,
    Forbidden,
    InvalidFormBody,
    MalformedEntry,
    MissingRight,
    ProcedureError,
)
from gulfsec.i18n import N_, _
from gulfsec.services.node import Node, views
from gulfsec.services.node.compose import Draft, Preview, entry_preview
from gulfsec.services.node.outbox import MAX_CONFIRMATION
from gulfsec.services.shared.accounts import OFFICER, WebSession
from gulfsec.web.node.decisions import already_sent
from gulfsec.web.site import Site, check_csrf, form_lists, read_form, redirect, render


def node_of(site: Site) -> Node:
    node = getattr(site, "node", None)
    assert isinstance(node, Node)
    return node


def is_officer(session: WebSession) -> bool:
    return session.account.role == OFFICER


def require_officer(session: WebSession) -> None:
    if not is_officer(session):
        raise Forbidden(_("Only an officer may sign and send in the party's name. You are "
                          "signed in as a viewer: ask an officer to do it."))


def page(request: Request, site: Site, template: str, context: Mapping[str, Any],
         session: WebSession, status: int = 200) -> Response:
    """A node page, with what every node page shows (the alarms, the party, the role)."""
    node = node_of(site)
    return render(request, site, template,
                  {"alarm_count": views.alarm_count(node), "party": node.party,
                   "officer": is_officer(session), **context},
                  session=session, status=status)


def held(node: Node, entry_id: str) -> SignedEntry | None:
    """The entry ``entry_id`` if this node holds it (verified, in its copy of the log)."""
    with node.uow() as uow:
        found = uow.repo.entry_by_id(bytes.fromhex(entry_id))
    return None if found is None else views.parse_raw(found.raw)


def sent_url(url: str, fresh: bool, anchor: str = "") -> str:
    """Where to go once a form is signed (``sent=1``) or was signed already (``sent=again``)."""
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}sent={'1' if fresh else 'again'}{anchor}"


@dataclass(frozen=True)
class Upload:
    """A file posted with a form, not checked yet: its name, the content type its upload
    declares, and its bytes (None when it is over the size limit, which is not read whole)."""

    name: str
    content_type: str
    data: bytes | None
    size: int


@dataclass
class Writing:
    """The forms on a page: which one was posted, what was written in it, its problems, the
    preview asked for, each form's confirmation token, the files posted with it and the
    attachments it carries (checked and attached)."""

    which: str | None = None
    values: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    general: str | None = None
    tokens: dict[str, str] = field(default_factory=dict)
    preview: Preview | None = None
    uploads: list[Upload] = field(default_factory=list)
    attached: list[dict[str, Any]] = field(default_factory=list)

    def token(self, name: str) -> str:
        return self.tokens.setdefault(name, secrets.token_urlsafe(18))

    def value(self, which: str, name: str, default: str = "") -> str:
        return self.values.get(name, default) if self.which == which else default

    def chosen(self, which: str, name: str, default: tuple[str, ...] = ()) -> list[str]:
        return self.lists.get(name, []) if self.which == which else list(default)

    def error(self, which: str, name: str) -> str | None:
        return self.errors.get(name) if self.which == which else None

    def carried(self, which: str) -> list[tuple[dict[str, Any], str]]:
        """Form ``which``'s attachments, each with the JSON the form carries it back as."""
        if self.which != which:
            return []
        return [(a, json.dumps(a, sort_keys=True, separators=(",", ":")))
                for a in self.attached]


@dataclass(frozen=True)
class Outgoing:
    """An entry to sign: its form, to whom, its body and the entries it names."""

    form: str
    audience: Audience
    body: dict[str, Any]
    refs: tuple[str, ...] = ()


def sign_once(node: Node, outgoing: Outgoing, confirmation: str) -> tuple[SignedEntry, bool]:
    """Sign and send ``outgoing`` once per ``confirmation``: (entry, False) when the
    confirmation was used already, without checking or signing again.

    Raises InvalidFormBody (field by field), ProcedureError (a step the procedure does not
    allow now), MissingRight, MalformedEntry (no token).
    """
    if not confirmation or len(confirmation) > MAX_CONFIRMATION:
        raise MalformedEntry(_("the form's confirmation is missing: reload the page and try "
                               "again"))
    with node.core.lock:
        done = already_sent(node, confirmation)
        if done is not None:
            return done, False
        get_form(outgoing.form).validate(outgoing.body)
        return node.send_confirmed(outgoing.form, outgoing.audience, outgoing.body,
                                   outgoing.refs, confirmation)


async def posted(request: Request, session: WebSession, which: str) -> Writing:
    """The form ``which`` posted by an officer (CSRF checked), as a :class:`Writing`."""
    form = await read_form(request)
    check_csrf(request, form, session)
    require_officer(session)
    return writing_of(form, which)


def writing_of(form: FormData, which: str) -> Writing:
    """What form ``which`` holds, with the confirmation token it carried."""
    lists = form_lists(form)
    values = {name: found[-1] for name, found in lists.items()}
    token = values.get("confirmation", "")
    return Writing(which, values, lists, tokens={which: token} if token else {})




PLAIN: Final[Mapping[str, str]] = {
    "String should have at least 1 character": N_("write something here"),
    "Field required": N_("this is required"),
    "List should have at least 1 item after validation": N_("choose at least one"),
}
"""The validator's words, as a delegate reads them (in English: :func:`plain` translates)."""


def plain(message: str) -> str:
    for start, words in PLAIN.items():
        if message.startswith(start):
            return _(words)
    return message


def field_errors_into(writing: Writing, exc: InvalidFormBody,
                      field_of: Mapping[str, str] | None = None) -> None:
    """The form's problems in ``writing.errors``, under the page's field names (``field_of``
    names the page's field for a body field where they differ)."""
    for path, message in exc.fields:
        name = path.split(".")[0]
        writing.errors.setdefault((field_of or {}).get(name, name), plain(message))


def write(writing: Writing, node: Node, outgoing_of: Callable[[Writing], Outgoing | None],
          page: Callable[[Writing, int], Response], done: Callable[[SignedEntry, bool], str],
          *, one_click: bool = False,
          field_errors: Callable[[Writing, InvalidFormBody], None] = field_errors_into,
          ) -> Response:
    """Preview or sign what ``writing`` holds: the page again with its problems or the
    preview, or a redirect to ``done``. A one-click form signs at once (its button says what
    it signs); ``field_errors`` puts a form's problems on the page's fields."""
    assert writing.which is not None
    wants_preview = not one_click and writing.values.get("action") == "preview"
    if not wants_preview and not writing.values.get("confirmation"):
        writing.general = _("The form's confirmation is missing: reload the page and try "
                            "again.")
        return page(writing, 422)
    token = writing.token(writing.which)
    if not wants_preview:
        sent = already_sent(node, token)
        if sent is not None:  # posted again (a reload, a double click): nothing is signed
            return redirect(done(sent, False))
    outgoing = outgoing_of(writing)
    if outgoing is None or writing.errors or writing.general:
        return page(writing, 422)
    try:
        if wants_preview:
            writing.preview = entry_preview(node, Draft(outgoing.form, outgoing.audience,
                                                        outgoing.body, outgoing.refs))
            return page(writing, 200)
        signed, fresh = sign_once(node, outgoing, token)
    except InvalidFormBody as exc:
        field_errors(writing, exc)
        return page(writing, 422)
    except ProcedureError as exc:
        writing.general = _("Not sent: %(reason)s") % {"reason": exc.message}
        return page(writing, 409)
    except (EntryError, MissingRight) as exc:
        writing.general = _("Not sent: %(reason)s") % {"reason": exc.message}
        return page(writing, 422)
    return redirect(done(signed, fresh))
