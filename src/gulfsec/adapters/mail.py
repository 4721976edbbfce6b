"""Sending e-mail through an SMTP server (the ministry's own), with the standard library.

:class:`SmtpMailer` opens one connection per batch (:meth:`SmtpMailer.session`): implicit TLS
(``ssl``) or STARTTLS (``starttls``), a login when a user is set, and a timeout on every
operation. Whatever goes wrong is a :class:`~gulfsec.errors.MailError`: ``permanent`` when the
server refused a message for good (a 5xx answer to its sender, recipient or data), else
temporary — the server is down, slow or busy, and may take it later. Nothing of ``smtplib`` or
``ssl`` leaks past this module.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Final, Protocol

from gulfsec.errors import MailError

__all__ = ["MailSession", "Mailer", "SmtpMailer", "SmtpServer"]

TIMEOUT_S: Final = 15.0


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to hand e-mails over."""

    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = True
    ssl: bool = False
    timeout_s: float = TIMEOUT_S


class MailSession(Protocol):
    def send(self, to: str, subject: str, body: str) -> None:
        """Hand one plain-text e-mail over; MailError if the server did not take it."""


class Mailer(Protocol):
    def session(self) -> AbstractContextManager[MailSession]:
        """A connection to send a batch over; MailError if none can be opened."""


class _SmtpSession:
    def __init__(self, smtp: smtplib.SMTP, server: SmtpServer) -> None:
        self.smtp = smtp
        self.server = server

    def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.server.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = make_msgid(domain=self.server.sender.rpartition("@")[2])
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(body)
        try:
            self.smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            raise MailError(f"the SMTP server refused {to}: {_answers(exc.recipients)}",
                            permanent=all(code >= 500 for code in codes)) from exc
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise MailError(f"the SMTP server refused the e-mail: {exc.smtp_code} "
                            f"{_text(exc.smtp_error)}", permanent=exc.smtp_code >= 500) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"sending to the SMTP server failed: {_describe(exc)}") from exc


class SmtpMailer:
    """E-mails through ``server`` (see the module's notes)."""

    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    @contextmanager
    def session(self) -> Iterator[MailSession]:
        server = self.server
        where = f"{server.host}:{server.port}"
        try:
            smtp: smtplib.SMTP
            if server.ssl:
                smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=server.timeout_s,
                                        context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout_s)
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"cannot reach the SMTP server {where}: {_describe(exc)}") from exc
        try:
            try:
                if server.starttls and not server.ssl:
                    smtp.starttls(context=ssl.create_default_context())
                if server.user is not None:
                    smtp.login(server.user, server.password or "")
            except (smtplib.SMTPException, OSError) as exc:
                raise MailError(f"the SMTP server {where} did not let us in: "
                                f"{_describe(exc)}") from exc
            yield _SmtpSession(smtp, server)
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


def _text(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return " ".join(text.split())[:300]


def _answers(recipients: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{code} {_text(text)}" for code, text in recipients.values())


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    return f"{exc.__class__.__name__}: {_text(str(exc)) or 'no detail'}"
