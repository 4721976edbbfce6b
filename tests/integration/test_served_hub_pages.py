"""The sign-in pages of a served hub (``gulfsec hub serve``, a real process): password guessing
is throttled, and ``GULFSEC_SECURE_COOKIES`` marks every cookie ``Secure`` — behind a TLS proxy
the app sees plain HTTP; unset outside production, it does not."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.databases import new_database
from support.processes import HubProcess

PASSWORD = "correct horse battery staple"

pytestmark = pytest.mark.slow


class SecureHub(HubProcess):
    secure: str | None = None

    def settings(self) -> dict[str, str]:
        extra = {} if self.secure is None else {"GULFSEC_SECURE_COOKIES": self.secure}
        return {**super().settings(), **extra}


@pytest.mark.parametrize(("setting", "secure"), [("true", True), (None, False)])
def test_a_served_hub_marks_its_cookies_secure_when_told(
        tmp_path: Path, setting: str | None, secure: bool) -> None:
    database = new_database("sqlite", tmp_path / "db", "hub")
    hub = SecureHub(tmp_path / "hub", database.url)
    hub.secure = setting
    try:
        hub.init()
        hub.start()
        page = httpx.get(f"{hub.url}/sign-in")
        assert page.status_code == 200
        cookies = page.headers.get_list("set-cookie")
        assert cookies
        assert all(("; secure" in c.lower()) is secure for c in cookies), cookies
    finally:
        hub.close()
        database.drop()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[SecureHub]:
    database = new_database("sqlite", tmp_path / "db", "hub")
    hub = SecureHub(tmp_path / "hub", database.url)
    try:
        hub.init()
        secret = tmp_path / "password"
        secret.write_text(PASSWORD)
        hub.cli("hub", "user", "add", "sami", "--password-file", str(secret))
        hub.start()
        yield hub
    finally:
        hub.close()
        database.drop()


def test_thirty_wrong_passwords_then_the_right_one_are_refused_after_the_fifth(
        served: SecureHub) -> None:
    statuses: list[int] = []
    with httpx.Client(base_url=served.url) as browser:
        for password in ["wrong"] * 30 + [PASSWORD]:
            form = browser.get("/sign-in")
            token = re.search(r'name="signin_token" value="([^"]+)"', form.text)
            assert token is not None
            answer = browser.post("/sign-in", data={
                "signin_token": token.group(1), "name": "sami", "password": password,
                "next": ""}, follow_redirects=False)
            statuses.append(answer.status_code)
    assert statuses[5:] == [429] * 26
    assert all(s != 303 for s in statuses[:5])  # wrong passwords: the form again
    assert "Too many failed sign-ins" in answer.text
    assert int(answer.headers["retry-after"]) > 0
