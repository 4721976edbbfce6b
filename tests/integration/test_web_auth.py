"""Signing in to a node's pages: passwords, sessions that expire, CSRF, roles, headers.

Personas: leila is IRN's officer (may sign and send), victor a viewer (reads only); an attacker
posts from another site or guesses names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from importlib import resources
from pathlib import Path

import httpx
import pytest
from support.inprocess import (
    BASE_URL,
    PASSWORD,
    Browser,
    NodeNet,
    TestClient,
    add_user,
    csrf_of,
    node_browser,
    text_of,
)

from gulfsec import i18n
from gulfsec.adapters.clock import ManualClock
from gulfsec.bootstrap import build_node_app
from gulfsec.errors import AccountError, AuthError, SessionExpired
from gulfsec.services.node import Node
from gulfsec.services.shared.accounts import (
    create_account,
    hash_password,
    node_accounts,
    verify_password,
)

# -- passwords (no database) ---------------------------------------------------------------------


def test_a_password_hash_is_salted_scrypt_and_verifies_only_the_password() -> None:
    first, second = hash_password("correct horse battery"), hash_password("correct horse battery")
    assert first.startswith("scrypt$ln=15,r=8,p=1$") and first != second
    assert verify_password("correct horse battery", first)
    assert verify_password("correct horse battery", second)
    assert not verify_password("correct horse batterY", first)
    assert not verify_password("correct horse battery", "md5$abc")
    assert not verify_password("correct horse battery", "scrypt$ln=99,r=8,p=1$AA$AA")


# -- a node with its accounts --------------------------------------------------------------------


@pytest.fixture
def node(make_net: Callable[..., NodeNet]) -> Node:
    """IRN's node, synced once, with leila (officer) and victor (viewer)."""
    irn = make_net(["IRN"]).nodes["IRN"]
    irn.sync_once()
    add_user(irn.engine, "leila", "officer")
    add_user(irn.engine, "victor", "viewer")
    return irn


@pytest.fixture
def browser(node: Node) -> Browser:
    return node_browser(node)


def test_accounts_refuse_bad_names_weak_passwords_unknown_roles_and_repeats(node: Node) -> None:
    accounts = node_accounts(node.engine)
    with pytest.raises(AccountError, match="not an account name"):
        accounts.create("no spaces please", PASSWORD, "viewer")
    with pytest.raises(AccountError, match="at least 10 characters"):
        accounts.create("short", "abc", "viewer")
    with pytest.raises(AccountError, match="unknown role"):
        accounts.create("sam", PASSWORD, "secretariat")
    with pytest.raises(AccountError, match="already an account named 'leila'"):
        accounts.create("Leila", PASSWORD, "viewer")
    assert [(a.name, a.role) for a in accounts.accounts()] == [("leila", "officer"),
                                                               ("victor", "viewer")]
    with pytest.raises(AccountError, match="unknown role"):
        create_account(node.engine, "sam", PASSWORD, "admin")


def test_signing_in_sets_an_httponly_lax_session_cookie_and_opens_the_pages(
        browser: Browser) -> None:
    assert browser.get("/inbox").status_code == 303
    signed = browser.sign_in("leila", next_path="/compose")
    assert signed.status_code == 303 and signed.headers["location"] == "/compose"
    cookie = next(v for k, v in signed.headers.multi_items() if k == "set-cookie"
                  and v.startswith("gulfsec_node_irn="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    page = browser.get("/inbox")
    assert page.status_code == 200 and "leila" in page.text


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """Each cookie the response sets (or clears), by name: its whole Set-Cookie line."""
    return {line.split("=", 1)[0]: line for name, line in response.headers.multi_items()
            if name == "set-cookie"}


def secure_site_client(node: Node) -> TestClient:
    """A client on node pages built with ``secure_cookies=True``, asked over plain HTTP as a
    TLS-terminating proxy asks them."""
    return TestClient(build_node_app(node, run_sync=False, secure_cookies=True),
                      base_url=BASE_URL)


def test_with_secure_cookies_every_cookie_the_pages_set_is_secure_even_over_http(
        node: Node) -> None:
    client = secure_site_client(node)
    session_cookie, signin_cookie = "gulfsec_node_irn", "gulfsec_node_irn_signin"

    form = client.get("/sign-in")
    assert "Secure" in set_cookies(form)[signin_cookie]
    token = re.search(r'name="signin_token" value="([^"]+)"', form.text)
    assert token is not None
    # The browser, on HTTPS in front of the proxy, sends its Secure cookies back.
    signed = client.post("/sign-in", data={"signin_token": token.group(1), "name": "leila",
                                           "password": PASSWORD, "next": ""},
                         headers={"Cookie": f"{signin_cookie}={token.group(1)}"},
                         follow_redirects=False)
    assert signed.status_code == 303
    cookies = set_cookies(signed)
    assert {session_cookie, signin_cookie} <= cookies.keys()
    assert all("Secure" in line for line in cookies.values()), cookies
    session = cookies[session_cookie].split(";", 1)[0]

    language = client.get("/language?lang=fa&next=/inbox", follow_redirects=False)
    assert "Secure" in set_cookies(language)["gulfsec_lang"]

    inbox = client.get("/inbox", headers={"Cookie": session})
    assert inbox.status_code == 200
    out = client.post("/sign-out", data={"csrf_token": csrf_of(inbox.text)},
                      headers={"Cookie": session}, follow_redirects=False)
    assert out.status_code == 303
    assert "Secure" in set_cookies(out)[session_cookie]


def test_without_secure_cookies_a_cookie_is_secure_only_over_https(node: Node) -> None:
    over_http = Browser(TestClient(build_node_app(node, run_sync=False), base_url=BASE_URL))
    over_https = Browser(TestClient(build_node_app(node, run_sync=False),
                                    base_url="https://testserver"))

    for line in set_cookies(over_http.sign_in("leila")).values():
        assert "Secure" not in line
    signed = set_cookies(over_https.sign_in("leila"))
    assert signed and all("Secure" in line for line in signed.values())


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(browser: Browser) -> None:
    wrong = browser.sign_in("leila", "not the password")
    unknown = browser.sign_in("nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 400
    message = "The name or the password is wrong."
    assert message in wrong.text and message in unknown.text
    assert browser.get("/inbox").status_code == 303


def test_a_page_asked_for_before_signing_in_is_shown_after_it(browser: Browser) -> None:
    asked = browser.get("/compliance?party=ALL")
    assert asked.status_code == 303
    assert asked.headers["location"] == "/sign-in?next=%2Fcompliance%3Fparty%3DALL"
    assert browser.sign_in("leila", next_path="/compliance?party=ALL").headers[
        "location"] == "/compliance?party=ALL"
    assert browser.get("/inbox/updates.json").status_code == 200


def test_signing_in_never_sends_the_reader_to_another_site(browser: Browser) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        browser.client.cookies.clear()
        assert browser.sign_in("leila", next_path=target).headers["location"] == "/inbox"


def test_a_json_endpoint_answers_401_rather_than_a_redirect(browser: Browser) -> None:
    assert browser.get("/inbox/updates.json").status_code == 401


def test_a_session_expires_after_30_idle_minutes(browser: Browser, clock: ManualClock) -> None:
    browser.sign_in("leila")
    clock.advance(timedelta(minutes=20))
    assert browser.get("/inbox").status_code == 200
    clock.advance(timedelta(minutes=20))
    assert browser.get("/inbox").status_code == 200  # used 20 minutes ago: still alive
    clock.advance(timedelta(minutes=31))
    expired = browser.get("/inbox")
    assert expired.status_code == 303 and "expired=1" in expired.headers["location"]
    form = browser.get(expired.headers["location"])
    assert "Your session expired" in text_of(form.text)


def test_a_session_expires_12_hours_after_sign_in_however_busy(
        browser: Browser, clock: ManualClock, node: Node) -> None:
    opened = node_accounts(node.engine, clock).sign_in("leila", PASSWORD)
    browser.sign_in("leila")
    for _ in range(12 * 3 - 1):
        clock.advance(timedelta(minutes=20))
        assert browser.get("/inbox").status_code == 200
    clock.advance(timedelta(minutes=20))
    assert browser.get("/inbox").status_code == 303
    with pytest.raises(SessionExpired):
        node_accounts(node.engine, clock).resume(opened.token)


def test_signing_out_ends_the_session_for_good(browser: Browser, node: Node) -> None:
    browser.sign_in("leila")
    token = browser.client.cookies.get("gulfsec_node_irn")
    assert token
    out = browser.post("/sign-out", {"csrf_token": browser.csrf()})
    assert out.status_code == 303 and out.headers["location"] == "/sign-in?signed_out=1"
    assert browser.get("/inbox").status_code == 303
    with pytest.raises(AuthError):
        node_accounts(node.engine).resume(token)


def test_a_post_without_the_csrf_token_is_refused(browser: Browser, node: Node) -> None:
    browser.sign_in("leila")
    form = {"audience_kind": "all", "body.subject": "x", "body.text": "y"}
    assert browser.post("/compose/message@1", form).status_code == 403
    refused = browser.post("/compose/message@1", {**form, "csrf_token": "guessed"})
    assert refused.status_code == 403
    assert "did not come from this site" in text_of(refused.text)
    assert browser.post("/sign-out", {}).status_code == 403
    assert browser.get("/inbox").status_code == 200  # still signed in


def test_a_post_from_another_site_is_refused_even_with_a_token(browser: Browser) -> None:
    browser.sign_in("leila")
    form = {"csrf_token": browser.csrf(), "audience_kind": "all", "body.subject": "x",
            "body.text": "y"}
    refused = browser.post("/compose/message@1", form,
                           headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403
    same = browser.post("/compose/message@1", form, headers={"Origin": "http://testserver"})
    assert same.status_code == 200


def test_the_sign_in_form_itself_needs_its_token(browser: Browser) -> None:
    refused = browser.post("/sign-in", {"name": "leila", "password": PASSWORD})
    assert refused.status_code == 400
    assert "The sign-in form had expired" in text_of(refused.text)


def test_a_viewer_reads_and_previews_but_cannot_sign_and_send(browser: Browser,
                                                              node: Node) -> None:
    browser.sign_in("victor")
    csrf = browser.csrf("/compose/message@1")
    form = {"csrf_token": csrf, "audience_kind": "parties", "audience_parties": "RUS",
            "body.subject": "From a viewer", "body.text": "Should not be sent."}
    preview = browser.post("/compose/message@1", form)
    assert preview.status_code == 200
    assert "only an officer may sign and send" in text_of(preview.text)
    assert 'id="send-form"' not in preview.text
    body_json = '{"subject":"From a viewer","text":"Should not be sent."}'
    sent = browser.post("/compose/message@1/send", {**form, "body_json": body_json,
                                                    "confirmation": "x", "confirm": "yes"})
    assert sent.status_code == 403
    with node.uow() as uow:
        assert uow.repo.outbox_items() == []


def test_an_officer_must_tick_the_confirmation(browser: Browser, node: Node) -> None:
    browser.sign_in("leila")
    form = {"csrf_token": browser.csrf(), "audience_kind": "parties", "audience_parties": "RUS",
            "body_json": '{"subject":"s","text":"t"}', "confirmation": "abc"}
    unconfirmed = browser.post("/compose/message@1/send", form)
    assert unconfirmed.status_code == 422
    assert "Tick the box" in text_of(unconfirmed.text)
    with node.uow() as uow:
        assert uow.repo.outbox_items() == []
    sent = browser.post("/compose/message@1/send", {**form, "confirm": "yes"})
    assert sent.status_code == 303


def test_a_disabled_account_or_a_new_password_ends_its_sessions(browser: Browser,
                                                                node: Node) -> None:
    accounts = node_accounts(node.engine)
    browser.sign_in("leila")
    accounts.set_password("leila", "a brand new password")
    assert browser.get("/inbox").status_code == 303
    assert browser.sign_in("leila", "a brand new password").status_code == 303
    accounts.set_disabled("leila", True)
    assert browser.get("/inbox").status_code == 303
    assert browser.sign_in("leila", "a brand new password").status_code == 400


# -- headers, escaping, languages ----------------------------------------------------------------


def test_pages_carry_a_strict_content_security_policy(browser: Browser) -> None:
    page = browser.get("/sign-in")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy and "frame-ancestors 'none'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    api = browser.get("/v1/status")
    assert "content-security-policy" not in api.headers
    docs = browser.get("/v1/docs")  # Swagger UI loads its own scripts: no page policy there
    assert docs.status_code == 200 and "content-security-policy" not in docs.headers
    css = browser.get("/static/gulfsec.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]


def test_templates_hold_no_inline_script_style_or_event_handler() -> None:
    folder = resources.files("gulfsec.web") / "templates"
    files = [p for p in Path(str(folder)).rglob("*.html")]
    assert files
    for path in files:
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
        assert not re.search(r"\son[a-z]+\s*=", text), path
        assert not re.search(r"\sstyle\s*=", text) and "<style" not in text, path


def test_what_a_sender_writes_is_escaped(browser: Browser, node: Node) -> None:
    browser.sign_in("leila")
    node.send("message@1", ("RUS",), {"subject": "<script>alert(1)</script>",
                                      "text": '"><img src=x onerror=alert(1)>'})
    node.sync_once()
    page = browser.get("/inbox").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_language_switcher_sets_lang_dir_and_translated_labels(browser: Browser) -> None:
    browser.sign_in("leila")
    switched = browser.get("/language?lang=fa&next=/compose/activity-notification@1")
    assert switched.status_code == 303
    assert switched.headers["location"] == "/compose/activity-notification@1"
    page = browser.get("/compose/activity-notification@1").text
    assert '<html lang="fa" dir="rtl">' in page
    assert "نوع فعالیت" in page  # the form's own Persian label
    assert '<main id="main" tabindex="-1">' in page  # the page reads Persian throughout
    with i18n.use("fa"):
        assert i18n.gettext("Battle tanks") in page
    browser.get("/language?lang=xx&next=/inbox")
    assert '<html lang="en" dir="ltr">' in browser.get("/inbox").text


def test_every_page_has_one_h1_and_headings_in_order(browser: Browser) -> None:
    pages = {"/sign-in": browser.get("/sign-in").text}
    browser.sign_in("leila")
    for path in ("/inbox", "/compose", "/compose/activity-notification@1",
                 "/compose/annual-exchange@1", "/compliance", "/alarms", "/early-warning",
                 "/decisions",
                 "/decisions/new", "/decisions/new?kind=concept",
                 "/decisions/new?kind=designation", "/concept", "/designations",
                 "/threads", "/threads/new", "/meetings", "/mediation"):
        pages[path] = browser.get(path).text
    for path, page in pages.items():
        levels = [int(n) for n in re.findall(r"<h([1-6])[\s>]", page)]
        assert levels.count(1) == 1, path
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), (path, levels)
        assert 'class="skip-link" href="#main"' in page and '<main id="main"' in page
