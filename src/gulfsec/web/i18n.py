"""Languages on the pages: which one a reader chose, its direction, and the words in it.

The languages are the regime's (each with a ``direction``, ``rtl`` for Arabic and Persian); the
reader picks one with the switcher, kept in a cookie, and until then gets the one their browser
asks for first (``Accept-Language``) among them. :class:`LanguageMiddleware` puts it in force
for the whole request (:func:`gulfsec.i18n.use`), so that templates (``_()`` and
``{% trans %}``, the Jinja2 i18n extension), the services' words and the error pages all speak
it. The words themselves are in the gettext catalogs (:mod:`gulfsec.i18n`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from babel import Locale, UnknownLocaleError, negotiate_locale
from markupsafe import Markup, escape
from starlette.types import ASGIApp, Receive, Scope, Send

from gulfsec import i18n as words
from gulfsec.domain.regime import Regime

LANGUAGE_COOKIE: Final = "gulfsec_lang"
DEFAULT: Final = words.SOURCE


@dataclass(frozen=True)
class Lang:
    """The reader's language: its code, direction and name in itself."""

    code: str
    direction: str
    native: str

    def t(self, text: str) -> Markup:
        """``text`` translated into this language, escaped."""
        return Markup(escape(words.catalog(self.code).gettext(text)))

    def plain(self, text: str) -> str:
        """``text`` translated into this language (for attributes: no markup)."""
        return words.catalog(self.code).gettext(text)


def languages(regime: Regime) -> list[Lang]:
    found = [Lang(code, lang.direction, lang.native) for code, lang in regime.languages.items()]
    if not any(lang.code == DEFAULT for lang in found):
        found.insert(0, Lang(DEFAULT, "ltr", "English"))
    return found


def choose(regime: Regime, wanted: str | None) -> Lang:
    """The language ``wanted`` if the regime has it, else English."""
    options = {lang.code: lang for lang in languages(regime)}
    if wanted and wanted in options:
        return options[wanted]
    return options.get(DEFAULT, Lang(DEFAULT, "ltr", "English"))


def from_accept_language(header: str | None, offered: list[str]) -> str | None:
    """The first of ``offered`` that an ``Accept-Language`` header asks for, by its weights."""
    if not header:
        return None
    asked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:32]):
        tag, _, params = item.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and weight > 0:
            asked.append((-weight, position, tag.strip().replace("-", "_")))
    preferred = [tag for _, _, tag in sorted(asked)]
    for tag in preferred:
        try:
            language = Locale.parse(tag).language if tag != "*" else None
        except (ValueError, UnknownLocaleError):
            language = None
        if language in offered:
            return language
    return negotiate_locale(preferred, offered)


def requested(regime: Regime, cookie: str | None, accept_language: str | None) -> Lang:
    """The reader's language: the one they chose, else the one their browser asks for."""
    if cookie:
        return choose(regime, cookie)
    offered = [lang.code for lang in languages(regime)]
    return choose(regime, from_accept_language(accept_language, offered))


class LanguageMiddleware:
    """Puts the reader's language in force for the request (cookie, then ``Accept-Language``)."""

    def __init__(self, app: ASGIApp, regime: Regime) -> None:
        self.app = app
        self.regime = regime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        cookie: str | None = None
        accept: str | None = None
        for name, value in scope.get("headers", ()):
            if name == b"cookie":
                for part in value.decode("latin-1").split(";"):
                    key, _, found = part.strip().partition("=")
                    if key == LANGUAGE_COOKIE:
                        cookie = found
            elif name == b"accept-language":
                accept = value.decode("latin-1")
        lang = requested(self.regime, cookie, accept)
        with words.use(lang.code):
            await self.app(scope, receive, send)
