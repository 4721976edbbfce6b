"""Words a person reads, in their language: gettext catalogs and Babel's locale data.

Every text meant for a person is written in English in the code and marked for translation:
``_("…")`` where it is shown, ``N_("…")`` where it is only defined (a label in a table, a
state's name) and translated where shown. ``pybabel extract`` (``make messages``) gathers them
into ``locale/gulfsec.pot``; each language has its catalog in
``locale/<code>/LC_MESSAGES/gulfsec.po``, compiled to ``gulfsec.mo`` (``make compile``), which
is what is read here. English is the source language and needs no catalog.

The language in force is per call (a :class:`~contextvars.ContextVar`): a page sets the
reader's language for its rendering with :func:`use`, the CLI takes it from the environment
(``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``), anything else is English.

Dates, times and numbers go through Babel with the language's locale
(:data:`LOCALES`: Arabic as written in Saudi Arabia and Persian as in Iran, both with their own
digits); times are always in UTC and say so.
"""

from __future__ import annotations

import functools
import gettext as _gettext
import os
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import babel
import babel.dates
import babel.numbers
from babel.core import get_global
from babel.support import Translations

LOCALE_DIR: Final = Path(__file__).resolve().parent / "locale"
DOMAIN: Final = "gulfsec"
SOURCE: Final = "en"
LANGUAGES: Final = ("ar", "fa", "en", "ru", "zh", "fr")
"""The languages gulfsec speaks: the regime's six working languages."""

LOCALES: Final[Mapping[str, str]] = {
    "ar": "ar_SA", "fa": "fa_IR", "en": "en_GB", "ru": "ru_RU", "zh": "zh_Hans_CN", "fr": "fr_FR",
}
"""The Babel locale that formats dates and numbers for each language."""

_DIGIT_NAMES: Final[Mapping[str, str]] = {
    "arab": "ARABIC-INDIC DIGIT", "arabext": "EXTENDED ARABIC-INDIC DIGIT",
}
_DIGIT_WORDS: Final = ("ZERO", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT",
                       "NINE")

_current: ContextVar[str] = ContextVar("gulfsec_language", default=SOURCE)


def N_(message: str) -> str:  # noqa: N802 - the conventional name for a deferred translation
    """Mark ``message`` for the catalogs without translating it here: it is translated where
    it is shown, with :func:`gettext`."""
    return message


@functools.cache
def catalog(code: str) -> _gettext.NullTranslations:
    """The compiled catalog of language ``code`` (English and unknown codes: none)."""
    if code == SOURCE or code not in LANGUAGES:
        return _gettext.NullTranslations()
    return Translations.load(str(LOCALE_DIR), [code], DOMAIN)


def current() -> str:
    """The language in force for this call."""
    return _current.get()


@contextmanager
def use(code: str) -> Iterator[None]:
    """Speak ``code`` (a language gulfsec has, else English) until the block ends."""
    token = _current.set(code if code in LANGUAGES else SOURCE)
    try:
        yield
    finally:
        _current.reset(token)


def use_for_process(code: str) -> None:
    """Speak ``code`` (a language gulfsec has, else English) from now on in this context, with
    no end: for a process that speaks one language throughout, as the command line does from
    :func:`from_environment` before its help texts are built."""
    _current.set(code if code in LANGUAGES else SOURCE)


def gettext(message: str) -> str:
    """``message`` in the language in force."""
    return catalog(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` for ``n`` in the language in force."""
    return catalog(_current.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` as meant in ``context`` (a word with several senses), translated."""
    return catalog(_current.get()).pgettext(context, message)


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return catalog(_current.get()).npgettext(context, singular, plural, n)


_ = gettext


def from_environment(environ: Mapping[str, str] | None = None) -> str:
    """The language a command-line user asked for with the usual variables, else English."""
    env = os.environ if environ is None else environ
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        for item in env.get(name, "").split(":"):
            code = item.split(".")[0].split("@")[0].split("_")[0].lower()
            if code in LANGUAGES:
                return code
            if code and name != "LANGUAGE":
                return SOURCE
    return SOURCE


@functools.cache
def locale(code: str) -> babel.Locale:
    return babel.Locale.parse(LOCALES.get(code, LOCALES[SOURCE]))


@functools.cache
def _digits(code: str) -> dict[int, str]:
    """A table turning ASCII digits into the locale's own (none where it writes 0-9)."""
    name = _DIGIT_NAMES.get(locale(code).default_numbering_system)
    if name is None:
        return {}
    return {ord(str(i)): unicodedata.lookup(f"{name} {word}") for i, word in
            enumerate(_DIGIT_WORDS)}


def native_digits(text: str, code: str | None = None) -> str:
    """``text`` with its digits written as the language's locale writes them."""
    return text.translate(_digits(code or current()))


def format_number(value: int | float, code: str | None = None) -> str:
    """``value`` with the locale's grouping, decimal sign and digits."""
    lang = code or current()
    return (_counted if type(value) is int else _decimal)(value, lang)


def _decimal(value: int | float, lang: str) -> str:
    return native_digits(babel.numbers.format_decimal(value, locale=locale(lang)), lang)


_counted = functools.lru_cache(maxsize=4096)(_decimal)
"""Whole numbers (counts: few values, shown again and again on every page) formatted once."""


def format_day(value: date, code: str | None = None) -> str:
    """A calendar day as the locale writes it (``1 Dec 2026``, ``١ ديسمبر ٢٠٢٦``)."""
    lang = code or current()
    return native_digits(babel.dates.format_date(value, "medium", locale=locale(lang)), lang)


def format_moment(moment: datetime, code: str | None = None) -> str:
    """A moment in UTC, said so: the locale's date, a 24-hour time to the second, ``UTC``."""
    lang = code or current()
    at = moment.astimezone(UTC)
    day = babel.dates.format_date(at.date(), "medium", locale=locale(lang))
    clock = babel.dates.format_time(at.time(), "HH:mm:ss", locale=locale(lang))
    return native_digits(f"{day} {clock}", lang) + " UTC"


@functools.cache
def _alpha2() -> dict[str, str]:
    """ISO 3166 alpha-3 codes to alpha-2, from Babel's CLDR aliases."""
    found: dict[str, str] = {}
    for alias, targets in get_global("territory_aliases").items():
        if len(alias) == 3 and alias.isalpha() and targets and len(targets[0]) == 2:
            found[alias] = targets[0]
    return found


def territory_name(code: str, lang: str | None = None) -> str | None:
    """The name of the state with ISO code ``code`` (alpha-3 or alpha-2) in ``lang``, from
    CLDR, or None when CLDR has none."""
    region = _alpha2().get(code.upper(), code.upper())
    found = locale(lang or current()).territories.get(region)
    return None if found is None else str(found)


def languages_in_catalogs() -> tuple[str, ...]:
    """The languages that have a catalog (every language but the source)."""
    return tuple(code for code in LANGUAGES if code != SOURCE)


def party_name(english: str, names: Mapping[str, str], *, code: str, state: bool,
               lang: str | None = None) -> str:
    """A party's name in ``lang``: the regime's own (``names``), else for a state CLDR's name
    of its country, else the regime's English name (``english``) put through the catalog."""
    tongue = lang or current()
    if tongue == SOURCE:
        return english
    given = names.get(tongue)
    if given:
        return given
    if state:
        found = territory_name(code, tongue)
        if found:
            return found
    return catalog(tongue).gettext(english)


_PLACEHOLDER: Final = re.compile(r"\{(\w+)\}")


def formatted_pattern(message: str) -> re.Pattern[str] | None:
    """A pattern that matches ``message`` (with ``{name}`` placeholders) once formatted, each
    value in a group of its placeholder's name; None when a name comes twice."""
    parts = _PLACEHOLDER.split(message)
    names = parts[1::2]
    if len(set(names)) != len(names):
        return None
    pattern = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)"
                      for i, part in enumerate(parts))
    return re.compile(pattern + r"\Z", re.DOTALL)


@functools.cache
def _problem_patterns(code: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    """For each message with ``{name}`` placeholders in the catalog: a pattern matching the
    English text once formatted, and the translation to format instead."""
    translations = catalog(code)
    found: list[tuple[re.Pattern[str], str]] = []
    messages = getattr(translations, "_catalog", {})
    for key, translated in messages.items():
        if not isinstance(key, str) or "{" not in key or not isinstance(translated, str):
            continue
        pattern = formatted_pattern(key)
        if pattern is not None:
            found.append((pattern, translated))
    found.sort(key=lambda item: -len(item[0].pattern))
    return tuple(found)


def translate_problem(message: str, code: str | None = None,
                      shown: Callable[[str, str], str] | None = None) -> str:
    """A problem found in some input (a validation message), in the language in force.

    Messages are written in English with ``{name}`` placeholders (pydantic's and ours, marked
    with :func:`N_`) and come here already formatted: the English text is matched back to its
    message and the values put into the translation, each as ``shown(name, value)`` gives it
    where ``shown`` is given (as it is otherwise). A message the catalogs lack stays
    English."""
    lang = code or current()
    if lang == SOURCE:
        return message
    text = message.removeprefix("Value error, ")
    plain = catalog(lang).gettext(text)
    if plain != text:
        return plain
    for pattern, translated in _problem_patterns(lang):
        matched = pattern.match(text)
        if matched is not None:
            try:
                values = matched.groupdict()
                if shown is not None:
                    values = {name: shown(name, value) for name, value in values.items()}
                return translated.format(**values)
            except (KeyError, IndexError, ValueError):
                return message
    return message


def format_local(moment: datetime, zone: str, code: str | None = None) -> str:
    """A moment as the clocks of time zone ``zone`` (an IANA name) show it, to the minute and
    naming the zone (``24 Nov 2026 12:30 Asia/Tehran``); in UTC if ``zone`` is unknown."""
    lang = code or current()
    try:
        at = moment.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        at, zone = moment.astimezone(UTC), "UTC"
    day = babel.dates.format_date(at.date(), "medium", locale=locale(lang))
    clock = babel.dates.format_time(at.time(), "HH:mm", locale=locale(lang))
    return native_digits(f"{day} {clock}", lang) + f" {zone}"


def format_minute(moment: datetime, code: str | None = None) -> str:
    """A moment in UTC to the minute, saying so (``24 Nov 2026 09:00 UTC``)."""
    return format_local(moment, "UTC", code)
