"""Who may use a node's API: the node's own tools and the party's delegates.

Reading what the party holds takes the node's API token (``Authorization: Bearer …``, written
to ``api-token`` at ``gulfsec node init``) or a delegate's signed-in session (the cookie the
pages set). Signing an entry in the party's name takes the token, or an officer's session that
also presents its CSRF token in the ``X-CSRF-Token`` header (a viewer reads only).
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Depends, Request

from gulfsec.errors import AccessDenied, AuthError, GulfsecError
from gulfsec.services.node import Node
from gulfsec.services.shared.accounts import OFFICER, Accounts, WebSession

CSRF_HEADER = "x-csrf-token"


def get_node(request: Request) -> Node:
    node = request.app.state.node
    assert isinstance(node, Node)
    return node


def _token_holder(request: Request) -> bool:
    """True when the request presents the node's API token; AuthError for a wrong one; False
    when it presents none."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        return False
    with get_node(request).uow() as uow:
        expected = uow.repo.get_meta("api_token_sha256")
    given = hashlib.sha256(header[7:].strip().encode()).hexdigest()
    if expected and hmac.compare_digest(given, expected):
        return True
    raise AuthError("the API token does not match this node's")


def _session(request: Request) -> WebSession | None:
    accounts: Accounts | None = request.app.state.accounts
    cookie: str | None = request.app.state.session_cookie
    token = request.cookies.get(cookie) if cookie is not None else None
    if accounts is None or not token:
        return None
    try:
        return accounts.resume(token)
    except GulfsecError:
        return None


def require_reader(request: Request) -> None:
    """What the party holds is for its own delegates: a signed-in session or the node's API
    token (``Authorization: Bearer …``, written to ``api-token`` at ``gulfsec node init``)."""
    if _token_holder(request) or _session(request) is not None:
        return
    raise AuthError("sign in, or present the node's API token (Authorization: Bearer)")


def require_officer(request: Request) -> None:
    """Signing in the party's name: the node's API token, or an officer's session with its
    CSRF token in ``X-CSRF-Token`` (403 for a viewer, or without the CSRF token)."""
    if _token_holder(request):
        return
    session = _session(request)
    if session is None:
        raise AuthError("sign in, or present the node's API token (Authorization: Bearer)")
    if session.account.role != OFFICER:
        raise AccessDenied(f"{session.account.name} is a {session.account.role}: only an "
                           "officer signs entries in the party's name")
    given = request.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(given.encode(), session.csrf_token.encode()):
        raise AccessDenied("with a session, send its CSRF token in the X-CSRF-Token header")


ReaderDep = Depends(require_reader)
OfficerDep = Depends(require_officer)
