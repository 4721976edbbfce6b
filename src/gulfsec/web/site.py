"""What every page shares: the site it belongs to, templates, sign-in, CSRF and headers.

A :class:`Site` is made once per app by :func:`gulfsec.web.install_node_pages` or
:func:`gulfsec.web.install_hub_pages` and kept on ``app.state.web``. Route handlers get it,
the reader's session and language through :mod:`gulfsec.web.deps`.

Sessions ride in an HttpOnly, SameSite=Lax cookie named after the site (a node's cookie names
its party, so that the demo's nodes on one loopback address keep apart). Every cookie the pages
set (the session's, the sign-in form's, the language's) is ``Secure`` when
:attr:`Site.secure_cookies` says so (``GULFSEC_SECURE_COOKIES``, on in production: behind a
TLS proxy the app itself sees plain HTTP) or when the page was asked for over HTTPS
(:func:`cookie_secure`). Every form carries the session's CSRF token and every POST
checks it (and the ``Origin`` header, when the browser sends one); the sign-in form, which
comes before any session, uses a double-submit cookie instead.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, Hashable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal
from urllib.parse import urlencode, urlsplit

import babel.lists
import jinja2
from markupsafe import Markup
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from gulfsec import i18n as words
from gulfsec.adapters.clock import Clock
from gulfsec.domain.encoding import format_time
from gulfsec.domain.forms._summary import Summary, Words
from gulfsec.domain.regime import Regime
from gulfsec.errors import Forbidden
from gulfsec.i18n import _
from gulfsec.services.shared.accounts import Accounts, WebSession
from gulfsec.services.shared.cache import StateCache
from gulfsec.web import i18n
from gulfsec.web.formats import coded_value, finding_words, list_words, shown_value
from gulfsec.web.terms import TERMS as TERM_WORDS
from gulfsec.web.terms import term

CSRF_FIELD: Final = "csrf_token"
MAX_FORM_BYTES: Final = 4 << 20
MAX_FORM_FIELDS: Final = 20_000

CSP: Final = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
              "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
              "base-uri 'none'; object-src 'none'")
PAGE_HEADERS: Final[Mapping[str, str]] = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def make_environment() -> jinja2.Environment:
    """The templates, autoescaped, failing loudly on an undefined name."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("gulfsec.web", "templates"),
        extensions=["jinja2.ext.i18n"],
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # templates ship with the package: no stat per page
        cache_size=-1,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        words.gettext, words.ngettext, newstyle=True, pgettext=words.pgettext,
        npgettext=words.npgettext)
    env.policies["ext.i18n.trimmed"] = True  # as babel.cfg extracts them
    env.globals["N_"] = words.N_  # a text marked where it is written, translated where shown
    env.filters["when"] = when
    env.filters["day"] = lambda d: "" if d is None else words.format_day(d)
    env.filters["number"] = lambda n: "" if n is None else words.format_number(n)
    # An identifier's number (a log index, a sequence number): the language's digits, never
    # grouped.
    env.filters["digits"] = lambda n: "" if n is None else words.native_digits(str(n))
    env.filters["problem"] = summary_words  # a problem, or an entry's summary line
    env.filters["moment"] = shown_value  # a time written in RFC 3339 (UTC), as `when` writes it
    env.filters["finding"] = finding_words  # a finding's account, its times as `when` writes them
    env.filters["list_words"] = list_words  # words or codes joined as the locale joins a list
    env.filters["short_id"] = short_id
    env.filters["term"] = term
    env.filters["rfc3339"] = lambda m: "" if m is None else format_time(m)
    env.globals["query"] = query
    env.globals["entry_label"] = entry_label
    return env


def when(moment: datetime | None) -> str:
    """A time as a person reads it in the language in force, in UTC and saying so:
    ``23 Nov 2026 12:00:05 UTC``, ``٢٣ نوفمبر ٢٠٢٦ ١٢:٠٠:٠٥ UTC``."""
    if moment is None:
        return ""
    return words.format_moment(moment)


def summary_words(text: str) -> str:
    """An entry's summary line, or a problem found in some input, in the language in force.

    A summary line that keeps its message and values
    (:class:`~gulfsec.domain.forms._summary.Summary`) is said again: its message through the
    catalogs, and each value that stands for words of a fixed vocabulary (an incident's events,
    an activity's kind, a level) word by word through them (a code through the words
    :data:`~gulfsec.web.terms.TERMS` has for it), several joined as the reader's language joins
    a list; other values as :func:`~gulfsec.web.formats.shown_value` shows them (a day as the
    ``day`` filter writes it). Any other text is matched back to its message
    (:func:`gulfsec.i18n.translate_problem`), a decision's status or outcome put into it in
    words (:func:`~gulfsec.web.formats.coded_value`). English is shown as it is."""
    lang = words.current()
    if lang == words.SOURCE or not isinstance(text, Summary):
        return words.translate_problem(text, shown=coded_value)
    catalog = words.catalog(lang)
    values: dict[str, str] = {}
    for name, value in text.values.items():
        if isinstance(value, Words):
            items = [catalog.gettext(TERM_WORDS.get(item, item)) if value.translate else item
                     for item in value.items]
            values[name] = babel.lists.format_list(items, locale=words.locale(lang))
        elif isinstance(value, str):
            values[name] = shown_value(value, lang)
        else:
            values[name] = str(value)
    try:
        return catalog.gettext(text.message).format(**values)
    except (KeyError, IndexError, ValueError):  # a translation with other placeholders
        return words.translate_problem(text, shown=coded_value)


def entry_label(row: Any) -> str:
    """A short, readable name for an entry that has no summary line: its form and its place
    in the log (``Acknowledgement of receipt, log #84``), or its sender's sequence number while
    it waits to be sequenced."""
    title = words.gettext(str(getattr(row, "form_title", "") or getattr(row, "form", "")))
    index = getattr(row, "index", None)
    if index is not None:
        return words.gettext("%(form)s, log #%(index)s") % {
            "form": title, "index": words.native_digits(str(index))}
    return words.gettext("%(form)s, not yet in the log") % {"form": title}


def short_id(entry_id: str) -> str:
    return entry_id[:12] + "…" if len(entry_id) > 12 else entry_id


def query(path: str, params: Mapping[str, Any]) -> str:
    clean = {k: v for k, v in params.items() if v not in (None, "")}
    return path + ("?" + urlencode(clean) if clean else "")


class Fragments:
    """The parts of pages that show a value the services compute once per state of the log
    (a page of the inbox, a scorecard's findings), rendered once per such value: while the
    services hand back the same object for a key, its HTML comes back too. Thread-safe; one
    rendering at a time per key and value (:class:`StateCache`)."""

    def __init__(self, max_kept: int = 256) -> None:
        self._kept: StateCache[tuple[object, Markup]] = StateCache(max_keys=max_kept)

    def render(self, site: Site, template: str, key: Hashable, shown: object,
               context: Callable[[], Mapping[str, Any]]) -> Markup:
        """``template`` rendered with ``context()``, once per object ``shown`` for ``key``."""

        def rendering() -> tuple[object, Markup]:
            return shown, Markup(site.env.get_template(template).render(context()))

        kept_shown, html = self._kept.get((words.current(), key), id(shown), rendering)
        if kept_shown is not shown:  # another object since, at the same address
            return rendering()[1]
        return html


@dataclass
class Site:
    """One app's pages: a node's or the hub's."""

    kind: Literal["node", "hub"]
    title: str
    regime: Regime
    accounts: Accounts
    cookie: str
    env: jinja2.Environment
    clock: Clock
    home: str
    """Where signing in leads."""
    public_paths: frozenset[str] = field(default_factory=frozenset)
    secure_cookies: bool = False
    """Mark every cookie ``Secure`` (sent back over HTTPS only), whatever the request's
    scheme: on in production (``GULFSEC_SECURE_COOKIES``)."""
    fragments: Fragments = field(default_factory=Fragments)
    title_message: str = ""
    """:attr:`title` as a message for the catalogs when it holds values (``"%(name)s node"``,
    with :attr:`title_values`); empty when the title is its own message."""
    title_values: Mapping[str, str] = field(default_factory=dict)

    @property
    def shown_title(self) -> str:
        """The site's title in the language in force: :attr:`title` is built once at start-up,
        in English (marked for the catalogs where it is written), and translated here at each
        rendering."""
        if not self.title_message:
            return words.gettext(self.title)
        values = dict(self.title_values)
        party = self.regime.participants.get(values.get("party", ""))
        if party is not None:  # the party's name in the reader's language
            values["name"] = f"{party.name_in(words.current())} ({party.code})"
        return words.gettext(self.title_message) % values

    @property
    def signin_cookie(self) -> str:
        return self.cookie + "_signin"


def safe_next(value: str | None, default: str) -> str:
    """A local path to go back to after signing in; anything else becomes ``default``."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def request_path(request: Request) -> str:
    query_text = request.url.query
    return request.url.path + (f"?{query_text}" if query_text else "")


def language_of(site: Site, request: Request) -> i18n.Lang:
    return i18n.requested(site.regime, request.cookies.get(i18n.LANGUAGE_COOKIE),
                          request.headers.get("accept-language"))


def parties_in(site: Site, lang: str) -> list[tuple[str, str, str | None]]:
    """Every participant as (code, name in ``lang``, ``lang`` if the name is a translation)."""
    out: list[tuple[str, str, str | None]] = []
    for code, participant in site.regime.participants.items():
        name = participant.name_in(lang)
        out.append((code, name, lang if name != participant.name else None))
    return out


def render(request: Request, site: Site, template: str, context: Mapping[str, Any],
           *, session: WebSession | None = None, status: int = 200) -> HTMLResponse:
    lang = language_of(site, request)
    page: dict[str, Any] = {
        "site": site,
        "lang": lang,
        "languages": i18n.languages(site.regime),
        "session": session,
        "csrf": "" if session is None else session.csrf_token,
        "path": request.url.path,
        "here": request_path(request),
        "alarm_count": 0,
    }
    page.update(context)
    with words.use(lang.code):
        html = site.env.get_template(template).render(page)
    return HTMLResponse(html, status_code=status)


def error_page(request: Request, site: Site, status: int, title: str, message: str,
               session: WebSession | None = None) -> HTMLResponse:
    return render(request, site, "error.html", {"title": title, "message": message},
                  session=session, status=status)


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def cookie_secure(request: Request, site: Site) -> bool:
    """Whether a cookie set in answer to ``request`` is ``Secure``: always when the site says
    so, else when the request came over HTTPS."""
    return site.secure_cookies or request.url.scheme == "https"


def set_session_cookie(response: Response, request: Request, site: Site, token: str) -> None:
    # A browser-session cookie (no Max-Age): closing the browser forgets it; the server ends
    # the session anyway after its idle or absolute limit.
    response.set_cookie(site.cookie, token, httponly=True, samesite="lax", path="/",
                        secure=cookie_secure(request, site))


def clear_session_cookie(response: Response, request: Request, site: Site) -> None:
    response.delete_cookie(site.cookie, path="/", httponly=True, samesite="lax",
                           secure=cookie_secure(request, site))


def new_signin_token() -> str:
    return secrets.token_urlsafe(32)


def set_signin_cookie(response: Response, request: Request, site: Site, token: str) -> None:
    response.set_cookie(site.signin_cookie, token, httponly=True, samesite="strict",
                        path="/sign-in", secure=cookie_secure(request, site), max_age=3600)


def clear_signin_cookie(response: Response, request: Request, site: Site) -> None:
    response.delete_cookie(site.signin_cookie, path="/sign-in", httponly=True,
                           samesite="strict", secure=cookie_secure(request, site))


def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from another site.

    The ``Origin`` header's host must be the ``Host`` the request was sent to (the scheme is
    not compared: behind a TLS proxy the app sees plain HTTP). No header: no objection.
    """
    origin = request.headers.get("origin")
    if origin is None:
        return True
    if origin == "null":
        return False
    return urlsplit(origin).netloc == request.headers.get("host", request.url.netloc)


async def read_form(request: Request) -> FormData:
    """The posted form, refusing an oversized one."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_FORM_BYTES):
        raise Forbidden(_("the form is too large"))
    return await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)


def check_csrf(request: Request, form: FormData, session: WebSession) -> None:
    """Refuse a POST whose form does not carry the session's CSRF token."""
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(),
                                                            session.csrf_token.encode()):
        raise Forbidden(_("This form has expired or did not come from this site. Go back, "
                          "reload the page and try again."))
    if not same_origin(request):
        raise Forbidden(_("This form was posted from another site."))


def form_lists(form: FormData) -> dict[str, list[str]]:
    """The posted fields as name -> values (files are refused when reading the form)."""
    out: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            out.setdefault(key, []).append(value)
    return out


# -- headers on every page ---------------------------------------------------------------------

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class PageHeaders:
    """ASGI middleware: a strict Content-Security-Policy and friends on every HTML response.

    Only the pages' HTML gets them: the API's interactive docs under ``/v1/`` load scripts of
    their own and keep working. Every response gets ``X-Content-Type-Options: nosniff``.
    """

    def __init__(self, app: ASGIApp, api_prefix: str = "/v1/") -> None:
        self.app = app
        self.api_prefix = api_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_api = str(scope.get("path", "")).startswith(self.api_prefix)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                content_type = next((v for k, v in headers if k.lower() == b"content-type"),
                                    b"")
                page = content_type.startswith(b"text/html") and not is_api
                extra: Mapping[str, str] = (PAGE_HEADERS if page
                                            else {"X-Content-Type-Options": "nosniff"})
                for name, value in extra.items():
                    if name.lower().encode() not in names:
                        headers.append((name.lower().encode(), value.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
