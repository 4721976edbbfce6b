"""E-mail notifications, the pure parts: addresses, what a mail says, and the settings."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from gulfsec.config import load_settings
from gulfsec.domain import notifications as words
from gulfsec.errors import ConfigError
from gulfsec.i18n import use

AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
BASE = "https://irn-node.mfa.example"
SMTP = {"smtp_host": "smtp.mfa.example", "smtp_from": "gulfsec@mfa.example",
        "public_url": BASE + "/"}


@pytest.mark.parametrize("address", ["a@b.example", "first.last+gulf@mail.mfa.ir",
                                     "O'Neil@x-y.example"])
def test_plain_addresses_are_taken(address: str) -> None:
    assert words.address_problem(address) is None


@pytest.mark.parametrize("address", ["", "no-at.example", "a@b", "a b@c.example",
                                     "<a@b.example>", "a@b.example\nBcc: x@y.example",
                                     "a..b@c.example", ".a@c.example", "a@-c.example",
                                     "\"quoted\"@c.example", "ali@مثال.example",
                                     "a" * 65 + "@c.example", "a@" + "b" * 250 + ".example"])
def test_anything_else_is_refused_with_a_reason(address: str) -> None:
    problem = words.address_problem(address)
    assert problem is not None and problem.endswith(".")


def test_an_entry_mail_says_who_what_form_index_when_and_links_to_the_page() -> None:
    mail = words.entry_mail(party="IRN", sender="SAU", sender_name="Saudi Arabia",
                            form_title="Annual exchange of military information", index=42,
                            entry_id="ab" * 32, at=AT, base=BASE)
    assert mail.subject == ("gulfsec IRN: new entry from SAU (Annual exchange of military "
                            "information)")
    assert "Saudi Arabia (SAU)" in mail.body and "Log index: 42" in mail.body
    assert f"{BASE}/entries/{'ab' * 32}" in mail.body
    assert "1 Mar 2026 09:30:00 UTC" in mail.body
    assert f"{BASE}/settings/notifications" in mail.body


def test_the_hotline_and_alarm_mails_link_to_their_pages() -> None:
    hotline = words.hotline_mail(party="IRN", sender="QAT", sender_name="Qatar", at=AT,
                                 base=BASE)
    assert hotline.subject == "gulfsec IRN: hotline message from QAT"
    assert f"{BASE}/hotline" in hotline.body
    alarm = words.alarm_mail(party="IRN", kind="split_view", title="Split view", alarm_id=3,
                             at=AT, base=BASE)
    assert alarm.subject == "gulfsec IRN: ALARM split_view"
    assert f"{BASE}/alarms" in alarm.body


def test_a_mail_is_written_in_the_language_in_force() -> None:
    with use("fr"):
        french = words.due_mail(party="IRN", sender="SAU", sender_name="Arabie saoudite",
                                form_title="Message", index=7, entry_id="cd" * 32, due=AT,
                                base=BASE)
    english = words.due_mail(party="IRN", sender="SAU", sender_name="Saudi Arabia",
                             form_title="Message", index=7, entry_id="cd" * 32, due=AT,
                             base=BASE)
    assert "mars" in french.body  # the date, at least, in French
    assert french.body != english.body


def test_mail_settings_need_a_sender_and_the_pages_address(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    settings = load_settings(**SMTP)
    assert settings.smtp_port == 587 and settings.smtp_starttls and not settings.smtp_ssl
    assert settings.public_url == BASE
    assert load_settings().smtp_host is None
    with pytest.raises(ConfigError, match="GULFSEC_SMTP_FROM"):
        load_settings(smtp_host="smtp.mfa.example", public_url=BASE)
    with pytest.raises(ConfigError, match="GULFSEC_PUBLIC_URL"):
        load_settings(smtp_host="smtp.mfa.example", smtp_from="gulfsec@mfa.example")
    with pytest.raises(ConfigError, match="GULFSEC_PUBLIC_URL"):
        load_settings(**{**SMTP, "public_url": "irn-node.mfa.example"})
    with pytest.raises(ConfigError, match="GULFSEC_SMTP_USER"):
        load_settings(**SMTP, smtp_user="gulfsec")
    monkeypatch.setenv("GULFSEC_SMTP_SSL", "maybe")
    with pytest.raises(ConfigError, match="GULFSEC_SMTP_SSL"):
        load_settings(**SMTP)


def test_the_smtp_password_may_come_from_a_file(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "smtp_password"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("GULFSEC_SMTP_PASSWORD_FILE", str(secret))
    settings = load_settings(**SMTP, smtp_user="gulfsec")
    assert settings.smtp_password is not None
    assert settings.smtp_password.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)
