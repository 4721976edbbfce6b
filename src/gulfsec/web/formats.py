"""Values on the pages as the reader's locale writes them: a finding's account with its times
and numbers, and lists of words or codes.

A finding's ``detail`` and ``subject`` are English messages with their ``{name}`` placeholders
filled in by the domain (:func:`gulfsec.domain.compliance.rule.describe`): a time in them is
RFC 3339 in UTC, as the API, the CSV and the log write it. :func:`finding_words` (the
templates' ``finding`` filter) puts such a message into the reader's language as the
``problem`` filter does (:func:`gulfsec.i18n.translate_problem`), and writes each value that is
a time as the ``when`` filter does (``1 Dec 2026 08:00:49 UTC``, ``١ ديسمبر ٢٠٢٦ ٠٨:٠٠:٤٩ UTC``),
each day (``2026-12-01``) as the ``day`` filter does, each duration as
:func:`gulfsec.domain.compliance.rule.span` writes it (``3 d 4 h``) in the language's units
(``٣ أيام و٤ س``), and each whole number in the language's digits. :func:`list_words` (the
``list_words`` filter) joins words or party codes as the locale joins a list (``IRN and OMN``,
``IRN وOMN``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Final

import babel.lists
import babel.units
from markupsafe import Markup, escape

from gulfsec import i18n as words
from gulfsec.domain.encoding import parse_time
from gulfsec.web.terms import term

_TIME_IN: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
"""What a message with a time in it has somewhere (the cheap test before matching)."""
_DAY: Final = re.compile(r"\d{4}-\d{2}-\d{2}\Z", re.ASCII)
_SPAN: Final = re.compile(r"(?:(?P<d>\d+) d(?: (?P<dh>\d+) h)?|(?P<h>\d+) h(?: (?P<hm>\d+) min)?"
                          r"|(?P<m>\d+) min|(?P<s>\d+) s)\Z", re.ASCII)
"""The shapes :func:`gulfsec.domain.compliance.rule.span` writes a duration in."""
_UNITS: Final[Mapping[str, str]] = {
    "d": "duration-day", "dh": "duration-hour", "h": "duration-hour", "hm": "duration-minute",
    "m": "duration-minute", "s": "duration-second",
}
_CODED: Final = frozenset({"status", "outcome"})
"""Placeholders whose values are codes the pages have words for (a decision's status and
outcome)."""


def _translated(code: str) -> Mapping[str, str]:
    """The messages with ``{name}`` placeholders in language ``code``'s catalog, each with its
    translation."""
    found = getattr(words.catalog(code), "_catalog", {})
    return {key: text for key, text in found.items()
            if isinstance(key, str) and "{" in key and isinstance(text, str)}


def _messages(code: str) -> Mapping[str, str]:
    """Every message with ``{name}`` placeholders that a catalog has, each with its translation
    into ``code`` (as itself where ``code`` is English or its catalog lacks it)."""
    english = {key: key for lang in words.languages_in_catalogs() for key in _translated(lang)}
    return english if code == words.SOURCE else {**english, **_translated(code)}


@functools.cache
def _patterns(code: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    """For each message with placeholders: a pattern matching the English text once formatted
    (longest first: the most particular message wins), and the message to format instead."""
    found: list[tuple[re.Pattern[str], str]] = []
    for key, translated in _messages(code).items():
        pattern = words.formatted_pattern(key)
        if pattern is not None:
            found.append((pattern, translated))
    found.sort(key=lambda item: -len(item[0].pattern))
    return tuple(found)


def _joined_units(parts: list[str], code: str) -> str:
    """Two or more amounts of units joined as the locale joins such a list where it is short
    (``3 روز 4 ساعت``, ``3 أيام و4 س``, ``3天4小时``). Babel's own :func:`babel.lists.format_list`
    repeats the last item of two where the locale has no pattern for two (Arabic)."""
    patterns = words.locale(code).list_patterns
    style = next((name for name in ("unit-narrow", "unit-short", "unit") if name in patterns),
                 None)
    if style is None:
        return " ".join(parts)
    found = patterns[style]
    joined = parts[0]
    for i, part in enumerate(parts[1:], start=2):
        pattern = found["2"] if len(parts) == 2 and "2" in found else (
            found["end"] if i == len(parts) else found["middle"])
        joined = pattern.format(joined, part)
    return joined


def span_words(value: str, code: str | None = None) -> str | None:
    """A duration as :func:`gulfsec.domain.compliance.rule.span` writes it (``3 d 4 h``,
    ``5 h 10 min``, ``1 s``) in the language's units and digits (``٣ أيام و٤ س``); ``None``
    where ``value`` is not one. English keeps span's own short words."""
    matched = _SPAN.match(value)
    if matched is None:
        return None
    lang = code or words.current()
    if lang == words.SOURCE:
        return value
    where = words.locale(lang)
    parts = [babel.units.format_unit(int(amount), _UNITS[name], length="short", locale=where)
             for name, amount in matched.groupdict().items() if amount is not None]
    return words.native_digits(_joined_units(parts, lang), lang)


def shown_value(value: str, code: str | None = None) -> str:
    """A value of a message as the reader reads it: a time (exactly RFC 3339 in UTC) as the
    ``when`` filter writes it, a day (exactly ``YYYY-MM-DD``) as the ``day`` filter does, a
    duration as :func:`span_words` says it, a whole number in the language's digits, anything
    else as given."""
    lang = code or words.current()
    try:
        moment = parse_time(value)
    except ValueError:
        pass
    else:
        return words.format_moment(moment, lang)
    if _DAY.match(value):
        try:
            return words.format_day(date.fromisoformat(value), lang)
        except ValueError:
            return value
    if value.isascii() and value.isdigit():
        return words.native_digits(value, lang)
    duration = span_words(value, lang)
    return value if duration is None else duration


def coded_value(name: str, value: str) -> str:
    """A value put back into a message the ``problem`` filter translates again
    (:func:`gulfsec.i18n.translate_problem`'s ``shown``): a decision's status or outcome
    (``{status}``, ``{outcome}``: ``adopted``, ``not-adopted``…) as the words the pages have for
    it in the language in force; any other value as it is."""
    return term(value) if name in _CODED else value


def finding_words(message: str, code: str | None = None) -> str:
    """A finding's detail or subject in the language in force, its times and numbers as the
    reader's locale writes them (see the module). A message that this language's catalog lacks
    but another's has stays English, its values still shown so; one that no catalog has stays
    as the ``problem`` filter leaves it."""
    lang = code or words.current()
    if lang == words.SOURCE and _TIME_IN.search(message) is None:
        return message  # English writes numbers as given: only times change
    if lang != words.SOURCE:
        plain = words.catalog(lang).gettext(message)
        if plain != message:
            return plain
    for pattern, template in _patterns(lang):
        matched = pattern.match(message)
        if matched is None:
            continue
        try:
            return template.format(**{name: shown_value(value, lang)
                                      for name, value in matched.groupdict().items()})
        except (KeyError, IndexError, ValueError):
            break
    return words.translate_problem(message, lang)


def list_words(items: Iterable[object], code: str | None = None) -> str:
    """Words or codes joined as the reader's locale joins a list (CLDR's ``standard`` list:
    ``IRN and OMN``, ``IRN, OMN and QAT``; ``IRN وOMN`` in Arabic). Items that are markup stay
    markup (and the others are escaped)."""
    given = list(items)
    if not given:
        return ""
    lang = code or words.current()
    if any(isinstance(item, Markup) for item in given):
        safe = [str(escape(item)) for item in given]
        return Markup(babel.lists.format_list(safe, "standard", locale=words.locale(lang)))
    return babel.lists.format_list([str(item) for item in given], "standard",
                                   locale=words.locale(lang))
