"""What the inbox's text search matches: an entry's words, written one way whatever the script.

The text of an entry is every string in its body (a subject, a text, a name, a place), its form
and its sender. Text and query are folded alike (:func:`fold`): Unicode compatibility forms and
case folded (NFKC, casefold), Arabic-script marks that do not change a word left out (short
vowels, tatweel) and letters written several ways taken as one (alef with hamza or madda as
alef; Arabic and Persian yeh and kaf; teh marbuta as heh), so that a Persian delegate finds an
Arabic spelling and the other way round. A query matches an entry that contains each of its
words, anywhere (so that Chinese, written without spaces, is found too).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any, Final

import orjson

MAX_QUERY_WORDS: Final = 8
MAX_QUERY_CHARS: Final = 200

_SAME: Final = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",
    "ي": "ی", "ى": "ی", "ئ": "ی",
    "ك": "ک",
    "ة": "ه", "ۀ": "ه",
    "ؤ": "و",
    "ـ": None,  # tatweel
})
_MARKS: Final = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")


def fold(text: str) -> str:
    """``text`` as search compares it: words separated by one space, none at either end."""
    if text.isascii():  # NFKC leaves ASCII as it is; no mark, no letter of _SAME is ASCII
        return " ".join(text.lower().split())
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_MARKS.sub("", text).translate(_SAME).split())


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def entry_text(raw: bytes) -> str:
    """The folded words of a signed entry (its JSON as the log holds it)."""
    try:
        entry = orjson.loads(raw)["entry"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return ""
    if not isinstance(entry, dict):
        return ""
    words = [str(entry.get("form", "")), str(entry.get("sender", "")),
             *_strings(entry.get("body"))]
    return fold(" ".join(words))


def query_words(query: str) -> tuple[str, ...]:
    """The words a query asks for, folded (at most :data:`MAX_QUERY_WORDS`); none when empty."""
    folded = fold(query[:MAX_QUERY_CHARS])
    words = [w for w in folded.split(" ") if w]
    return tuple(dict.fromkeys(words))[:MAX_QUERY_WORDS]
