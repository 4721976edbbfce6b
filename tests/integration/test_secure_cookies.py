"""``GULFSEC_SECURE_COOKIES`` reaches the pages of a served hub: behind a TLS proxy the app sees
plain HTTP, yet every cookie it sets is ``Secure``; unset outside production, it is not."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from support.databases import new_database
from support.processes import HubProcess

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
