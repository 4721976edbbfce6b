"""Who is named in a text: actors as codes, found by dictionary.

An actor is coded as a participant of the regime (``IRN``, ``SAU``, ``USA``, ``GCC``, ``LAS``,
``UNSC``, …: :func:`gulfsec.domain.regime.default_regime`), any other state by its ISO 3166
alpha-3 code (from pycountry), or one of a few organisations outside the regime (``UN``,
``IAEA``, ``EU``, ``NATO``, ``OPEC``). It is recognised from:

- the regime's names of its participants, in every language the regime gives;
- pycountry's names of every ISO 3166 state, in English and, from its gettext catalogues, in
  Arabic and Persian;
- the word lists in ``data/actors_{en,ar,fa}.tsv``, written for gulfsec: short names,
  adjectives and demonyms, capitals used as metonyms ("Riyadh said"), leaders and ministers by
  name ("Zarif", "Mohammed bin Salman"), armed forces and bodies ("the Revolutionary Guards",
  "CENTCOM", "the Security Council"). Titles need no list: "the Iranian foreign minister" is
  found by its adjective.

Matching is by whole tokens, longest name first. Latin names must start with a capital letter
in the text ("Chad", not "chad"), names written in capitals must match exactly ("US", not
"us"). Arabic and Persian text is compared after normalisation (diacritics, tatweel and ZWNJ
removed; alef, yeh, kaf and teh marbuta forms unified; one proclitic — و ف ب ل ك, لل — taken off
the first word), so "والسعودية" and "لإيران" are found. Places and titles whose names hold an
actor's ("Gulf of Oman", "Washington Post") are listed as not actors.

:func:`actors_in` gives the spans; :mod:`gulfsec.domain.news.events` codes events between them.
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from gulfsec.domain.news.sentences import split_sentences

__all__ = [
    "Mention", "Token", "actor_names", "actors_in", "find_mentions", "split_sentences", "tokenize",
]

BLOCK = "-"
"""The code of a phrase that is not an actor although it holds one's name."""

_ARABIC_LETTERS = "\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff"
_TOKEN = re.compile(
    r"(?:[A-Z]\.){2,}"  # U.S., U.A.E.
    r"|(?:[^\W\d_]|[\u200c\u0640\u064b-\u065f\u0670])+"  # a word in any script
    r"|\d+(?:[.,]\d+)*"
    r"|[^\w\s]"
)
_IS_ARABIC = re.compile(f"[{_ARABIC_LETTERS}]")
_AR_DIACRITICS = dict.fromkeys(
    [0x200C, 0x200D, 0x0640, *range(0x064B, 0x0660), 0x0670, 0x06D6, 0x06D7, 0x06E1]
)
_AR_TABLE: dict[int, int | str | None] = {
    **_AR_DIACRITICS,
    **{ord(c): "ا" for c in "أإآٱ"},
    ord("ى"): "ي",
    ord("ی"): "ي",
    ord("ک"): "ك",
    ord("ة"): "ه",
    ord("ۀ"): "ه",
    ord("ھ"): "ه",
    ord("ؤ"): "و",
}
_NISBA_FORMS = ("{}", "ال{}", "{}ه", "ال{}ه", "{}ون", "{}ين", "ال{}ون", "ال{}ين")
"""An Arabic adjective ("+إيراني" in a word list) stands for these forms of it."""
_GETTEXT_DENY = frozenset({"مالي", "بنين", "هند", "پرو", "جمهوري", "جزر", "جزيره"})
"""Country names in pycountry's catalogues that are also common words."""

_EXACT, _CAPITAL, _ANY = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Token:
    """A token of a text: its characters, the key it is matched by, and where it lies."""

    text: str
    key: str
    start: int
    end: int
    arabic: bool


@dataclass(frozen=True, slots=True)
class Mention:
    """An actor named by tokens ``first`` to ``last`` (inclusive) of a tokenized text."""

    code: str
    first: int
    last: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class _Name:
    keys: tuple[str, ...]
    code: str
    case: int
    text: tuple[str, ...]


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``: words of any script, numbers, single punctuation marks."""
    tokens = []
    for match in _TOKEN.finditer(text):
        word = match.group()
        arabic = bool(_IS_ARABIC.match(word))
        key = _arabic_key(word) if arabic else word.lower()
        tokens.append(Token(word, key, match.start(), match.end(), arabic))
    return tokens


def actors_in(text: str, language: str | None = None) -> list[tuple[str, int, int]]:
    """The actors named in ``text``, as ``(code, start, end)`` character spans, in order.

    ``language`` ("en", "ar", "fa") only limits the script looked at: Latin names for "en",
    Arabic-script names for "ar" and "fa"; with ``None`` both are looked for.
    """
    tokens = tokenize(text)
    mentions = find_mentions(tokens)
    if language == "en":
        mentions = [m for m in mentions if not tokens[m.first].arabic]
    elif language in ("ar", "fa"):
        mentions = [m for m in mentions if tokens[m.first].arabic]
    return [(m.code, m.start, m.end) for m in mentions]


def find_mentions(tokens: list[Token]) -> list[Mention]:
    """The actors named in ``tokens``, longest name first, left to right, never overlapping."""
    index = _lexicon()
    found: list[Mention] = []
    i, n = 0, len(tokens)
    while i < n:
        name = _longest_at(tokens, i, index)
        if name is None:
            i += 1
            continue
        last = i + len(name.keys) - 1
        if name.code != BLOCK:
            found.append(Mention(name.code, i, last, tokens[i].start, tokens[last].end))
        i = last + 1
    return found


def _longest_at(tokens: list[Token], i: int, index: dict[str, list[_Name]]) -> _Name | None:
    first = tokens[i]
    for key in _variants(first):
        for name in index.get(key, ()):
            if _matches(tokens, i, name):
                return name
    return None


def _matches(tokens: list[Token], i: int, name: _Name) -> bool:
    size = len(name.keys)
    if i + size > len(tokens):
        return False
    for j in range(1, size):
        if tokens[i + j].key != name.keys[j]:
            return False
    if name.case == _EXACT:
        return all(tokens[i + j].text == name.text[j] for j in range(size))
    if name.case == _CAPITAL:
        return tokens[i].text[0].isupper()
    return True


def _variants(token: Token) -> Iterator[str]:
    yield token.key
    if not token.arabic:
        return
    key = token.key
    if key.endswith(("ها", "هاي")) and len(key) > 4:
        yield key[: key.rindex("ها")]
    if key[0] in "وف" and len(key) > 3:
        key = key[1:]
        yield key
    if key[0] in "بلك" and len(key) > 3:
        if key.startswith("لل"):
            yield "ال" + key[2:]
        yield key[1:]


def _arabic_key(word: str) -> str:
    return unicodedata.normalize("NFC", word).translate(_AR_TABLE)


@cache
def _lexicon() -> dict[str, list[_Name]]:
    """Every name, indexed by its first token's key, longest first. Built once, on first use."""
    index: dict[str, list[_Name]] = {}
    seen: set[tuple[tuple[str, ...], int]] = set()
    for code, alias in _all_names():
        name = _compile(code, alias)
        if name is None or (name.keys, name.case) in seen:
            continue
        seen.add((name.keys, name.case))
        index.setdefault(name.keys[0], []).append(name)
    for names in index.values():
        names.sort(key=lambda name: (-len(name.keys), name.case))
    return index


def _compile(code: str, alias: str) -> _Name | None:
    case = _CAPITAL
    if alias.startswith("~"):
        case, alias = _ANY, alias[1:]
    tokens = tokenize(alias)
    if not tokens:
        return None
    letters = [c for c in alias if c.isalpha()]
    if tokens[0].arabic or not letters or not any(c.isupper() or c.islower() for c in letters):
        case = _ANY
    elif case == _CAPITAL and all(c.isupper() for c in letters) and len(letters) <= 6:
        case = _EXACT
    return _Name(tuple(t.key for t in tokens), code, case, tuple(t.text for t in tokens))


def actor_names() -> list[tuple[str, str]]:
    """Every ``(code, name)`` the matcher knows, blocked phrases (code "-") included."""
    return list(_all_names())


def _all_names() -> Iterator[tuple[str, str]]:
    yield from _regime_names()
    yield from _pycountry_names()
    for language in ("en", "ar", "fa"):
        yield from _word_list(f"actors_{language}.tsv")


def _regime_names() -> Iterator[tuple[str, str]]:
    from gulfsec.domain.regime import default_regime

    for code, participant in default_regime().participants.items():
        yield code, participant.name
        for name in participant.names.values():
            yield code, name


def _pycountry_names() -> Iterator[tuple[str, str]]:
    import pycountry

    countries = list(pycountry.countries)
    for country in countries:
        for attribute in ("name", "common_name", "official_name"):
            name = getattr(country, attribute, None)
            if name and "," not in name and "(" not in name:
                yield country.alpha_3, name
    for language in ("ar", "fa"):
        catalogue = gettext.translation(
            "iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True
        )
        yield from _translated(countries, catalogue)


def _translated(
    countries: Iterable[object], catalogue: gettext.NullTranslations
) -> Iterator[tuple[str, str]]:
    parts_of: dict[str, list[str]] = {}
    for country in countries:
        code = getattr(country, "alpha_3")  # noqa: B009 - pycountry's records are untyped
        for attribute in ("name", "common_name", "official_name"):
            source = getattr(country, attribute, None)
            if not source:
                continue
            translated = catalogue.gettext(source)
            if translated == source:
                continue
            pieces = [p.strip() for p in re.split("[،,]", translated) if p.strip()]
            for position, piece in enumerate(pieces):
                if position == 0 or len(piece.split()) >= 2:
                    parts_of.setdefault(_arabic_key(piece), []).append(code)
                    parts_of[_arabic_key(piece)].append(piece)
    for key, values in parts_of.items():
        codes = {v for v in values if v.isascii()}
        if len(codes) != 1 or key in _GETTEXT_DENY:
            continue  # "كوريا" is two states; "مالي" is also "financial"
        piece = next(v for v in values if not v.isascii())
        yield codes.pop(), piece


def _word_list(name: str) -> Iterator[tuple[str, str]]:
    text = files("gulfsec.domain.news").joinpath("data", name).read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        code, _, aliases = line.partition("\t")
        for alias in aliases.split("|"):
            alias = alias.strip()
            if not alias:
                continue
            if alias.startswith("+"):
                stem = _arabic_key(alias[1:])
                for form in _NISBA_FORMS:
                    yield code.strip(), form.format(stem)
                continue
            yield code.strip(), alias
            if (
                " " not in alias
                and not alias.isupper()
                and alias[-1:] in ("n", "i")
                and alias.isascii()
            ):
                yield code.strip(), alias + "s"  # Iranians, Saudis, Emiratis
