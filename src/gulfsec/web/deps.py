"""FastAPI dependencies of the pages, as Annotated aliases: the site, the reader's session."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gulfsec.errors import AuthError, SessionExpired, SignInRequired
from gulfsec.services.shared.accounts import WebSession
from gulfsec.web.site import Site, request_path


async def get_site(request: Request) -> Site:
    # Coroutines, the dependencies that do no I/O: FastAPI runs a plain function in a thread.
    site = request.app.state.web
    assert isinstance(site, Site)
    return site


SiteDep = Annotated[Site, Depends(get_site)]


def optional_session(request: Request, site: SiteDep) -> WebSession | None:
    """The reader's session, or None when not signed in (or it expired)."""
    if hasattr(request.state, "web_session"):
        cached = request.state.web_session
        return cached if isinstance(cached, WebSession) else None
    token = request.cookies.get(site.cookie)
    session: WebSession | None = None
    expired = False
    if token:
        try:
            session = site.accounts.resume(token)
        except SessionExpired:
            expired = True
        except AuthError:
            session = None
    request.state.web_session = session
    request.state.web_session_expired = expired
    return session


MaybeSession = Annotated[WebSession | None, Depends(optional_session)]


async def require_session(request: Request, session: MaybeSession) -> WebSession:
    """The reader's session; a page without one sends the reader to sign in first."""
    if session is None:
        raise SignInRequired(request_path(request),
                             expired=bool(getattr(request.state, "web_session_expired", False)))
    return session


SessionDep = Annotated[WebSession, Depends(require_session)]
