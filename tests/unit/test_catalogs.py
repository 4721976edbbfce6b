"""Every word a person reads is translated into every language: the catalogs are complete.

The messages are extracted from the sources here, as ``make messages`` does, so that a text
marked for translation but missing from a catalog fails, and so does one left fuzzy or empty,
one whose placeholders differ from the English, and a compiled catalog older than its source.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from gulfsec import i18n

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "gulfsec"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2),
            "npgettext": ((1, "c"), 2, 3), "N_": None, "PydanticCustomError": (2,)}
PERCENT = re.compile(r"%\((\w+)\)[sd]")
BRACES = re.compile(r"\{(\w*)\}")


@cache
def extracted() -> dict[str | tuple[str, str], str]:
    """msgid (or (context, msgid)) -> where it was found, straight from the sources."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str | tuple[str, str], str] = {}
    for filename, _line, message, _comments, context in extract_from_dir(
            str(PACKAGE), method_map, options_map, keywords=KEYWORDS):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault((context, msgid) if context else msgid, filename)
    return found


def catalog(code: str) -> Catalog:
    path = i18n.LOCALE_DIR / code / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
    with path.open("rb") as f:
        return read_po(f, locale=code)


def messages(cat: Catalog) -> Iterator[Message]:
    return (m for m in cat if m.id)


def test_extraction_finds_the_pages_and_the_forms() -> None:
    found = extracted()
    assert "Inbox" in found                 # a template
    assert "waiting to be sent" in found    # a state, marked with N_ in Python
    assert "Live firing" in found           # a form's field, from its JSON Schema


@pytest.mark.parametrize("code", i18n.languages_in_catalogs())
def test_every_message_is_translated_and_none_is_fuzzy(code: str) -> None:
    cat = catalog(code)
    missing = [key for key in extracted() if cat.get(
        key[1] if isinstance(key, tuple) else key,
        context=key[0] if isinstance(key, tuple) else None) is None]
    assert missing == [], f"{code}: {len(missing)} not in the catalog, e.g. {missing[:5]}"
    empty = [m.id for m in messages(cat)
             if not (all(m.string) if isinstance(m.string, tuple) else m.string)]
    assert empty == [], f"{code}: {len(empty)} untranslated, e.g. {empty[:5]}"
    fuzzy = [m.id for m in messages(cat) if m.fuzzy]
    assert fuzzy == [], f"{code}: fuzzy {fuzzy[:5]}"


@pytest.mark.parametrize("code", i18n.languages_in_catalogs())
def test_translations_keep_the_placeholders(code: str) -> None:
    wrong = []
    for m in messages(cat := catalog(code)):
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        wanted = {p for text in ids for p in PERCENT.findall(text)}
        braces = {p for text in ids for p in BRACES.findall(text)}
        for text in strings:
            found = set(PERCENT.findall(text))
            # A plural form may leave the count out ("one hour"); nothing else may differ.
            fits = found <= wanted if isinstance(m.id, tuple) else found == wanted
            if text and not (fits and set(BRACES.findall(text)) == braces):
                wrong.append((m.id, text))
    assert wrong == [], f"{cat.locale}: placeholders differ in {wrong[:5]}"


@pytest.mark.parametrize("code", i18n.languages_in_catalogs())
def test_the_compiled_catalog_is_the_source_compiled(code: str) -> None:
    compiled = io.BytesIO()
    write_mo(compiled, catalog(code))
    shipped = (i18n.LOCALE_DIR / code / "LC_MESSAGES" / f"{i18n.DOMAIN}.mo").read_bytes()
    assert shipped == compiled.getvalue(), f"{code}: run make compile"


@pytest.mark.parametrize("code", i18n.languages_in_catalogs())
def test_a_page_word_reads_in_each_language(code: str) -> None:
    with i18n.use(code):
        assert i18n.gettext("Inbox") != "Inbox"
        assert i18n.gettext("Sign in") != "Sign in"
