"""Signing in and out, and choosing a language: the same on a node's pages and the hub's.

Failed sign-ins are throttled per account name and per client address
(:class:`gulfsec.services.shared.accounts.ThrottlePolicy`): a throttled sign-in is answered
429 with a ``Retry-After`` header and the wait on the page. The client address is the
connection's, ``request.client.host``; this module never reads ``X-Forwarded-For`` itself.
Behind a reverse proxy that is the proxy's address (every client then shares one count)
unless uvicorn is told to trust the proxy's forwarded headers: it does so by default for a
proxy on the same host (127.0.0.1 and ::1), and for others when ``FORWARDED_ALLOW_IPS`` (or
``--forwarded-allow-ips``) names the proxy's address. Trust only the proxy there: any client
it trusts can claim any address.
"""

from __future__ import annotations

import hmac
import logging

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from gulfsec.errors import AuthError, SignInThrottled
from gulfsec.i18n import _
from gulfsec.web import i18n
from gulfsec.web.deps import MaybeSession, SessionDep, SiteDep
from gulfsec.web.site import (
    check_csrf,
    clear_session_cookie,
    clear_signin_cookie,
    cookie_secure,
    new_signin_token,
    read_form,
    redirect,
    render,
    safe_next,
    set_session_cookie,
    set_signin_cookie,
)

router = APIRouter(include_in_schema=False)
log = logging.getLogger("gulfsec.web")


def _sign_in_page(request: Request, site: SiteDep, *, next_path: str, error: str | None,
                  name: str = "", status: int = 200) -> Response:
    token = new_signin_token()
    notice = None
    if request.query_params.get("expired"):
        notice = _("Your session expired. Sign in again to go on.")
    elif request.query_params.get("signed_out"):
        notice = _("You have signed out.")
    response = render(request, site, "sign_in.html",
                      {"next": next_path, "error": error, "notice": notice, "name": name,
                       "signin_token": token}, status=status)
    set_signin_cookie(response, request, site, token)
    return response


@router.get("/sign-in")
def sign_in_form(request: Request, site: SiteDep, session: MaybeSession) -> Response:
    next_path = safe_next(request.query_params.get("next"), site.home)
    if session is not None:
        return redirect(next_path)
    return _sign_in_page(request, site, next_path=next_path, error=None)


@router.post("/sign-in")
async def sign_in(request: Request, site: SiteDep) -> Response:
    form = await read_form(request)
    next_path = safe_next(str(form.get("next") or ""), site.home)
    name = str(form.get("name") or "")
    password = str(form.get("password") or "")
    sent = str(form.get("signin_token") or "")
    expected = request.cookies.get(site.signin_cookie, "")
    if not sent or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        return _sign_in_page(request, site, next_path=next_path, name=name, status=400,
                             error=_("The sign-in form had expired. Please try again."))
    client = request.client.host if request.client else "unknown"
    try:
        opened = await run_in_threadpool(
            lambda: site.accounts.sign_in(name, password, client=client))
    except SignInThrottled as exc:
        log.warning("%s pages: throttled sign-in as %r from %s (wait %ss)", site.kind,
                    name[:64], client, exc.retry_after)
        response = _sign_in_page(
            request, site, next_path=next_path, name=name, status=429,
            error=_("Too many failed sign-ins. Wait %(wait)s, then try again.")
            % {"wait": exc.wait})
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except AuthError:
        log.warning("%s pages: failed sign-in as %r from %s", site.kind, name[:64], client)
        return _sign_in_page(request, site, next_path=next_path, name=name, status=400,
                             error=_("The name or the password is wrong."))
    log.info("%s pages: %s signed in (%s)", site.kind, opened.session.account.name,
             opened.session.account.role)
    response = redirect(next_path)
    set_session_cookie(response, request, site, opened.token)
    clear_signin_cookie(response, request, site)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, site: SiteDep, session: SessionDep) -> Response:
    form = await read_form(request)
    check_csrf(request, form, session)
    token = request.cookies.get(site.cookie, "")
    await run_in_threadpool(site.accounts.sign_out, token)
    log.info("%s pages: %s signed out", site.kind, session.account.name)
    response = redirect("/sign-in?signed_out=1")
    clear_session_cookie(response, request, site)
    return response


@router.get("/language")
def language(request: Request, site: SiteDep) -> Response:
    """Remember the reader's language (a preference, not a change of state) and go back."""
    chosen = i18n.choose(site.regime, request.query_params.get("lang"))
    response = redirect(safe_next(request.query_params.get("next"), "/"))
    response.set_cookie(i18n.LANGUAGE_COOKIE, chosen.code, httponly=True, samesite="lax",
                        path="/", max_age=365 * 24 * 3600,
                        secure=cookie_secure(request, site))
    return response
