"""Split news text into sentences: a small rule-based splitter, no model, no dependency.

A sentence ends at ``.``, ``!``, ``?`` (and the Arabic ``؟``), possibly followed by closing
quotes or brackets, when whitespace and then an upper-case letter, a digit, an opening quote or
bracket, or a letter of a caseless script (Arabic, Persian) follow. A full stop does not end a
sentence after a known abbreviation of a title or a month ("Gen.", "Jan."), after a single
capital ("J. Kerry"), nor after an initialism ("U.S.", "U.A.E."), which news puts before names
more often than at the end of a sentence. A blank
line always ends a sentence (headlines and paragraphs).
"""

from __future__ import annotations

import re

__all__ = ["split_sentences"]

_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof gen lt col maj capt cmdr adm sgt rep sen gov pres amb sheikh st mt
    jan feb mar apr jun jul aug sep sept oct nov dec vol fig approx est dept univ inc
    ltd corp co bros vs etc al""".split()
)
"""Words after which a full stop does not end the sentence ("Gen. Soleimani", "et al.")."""

_END = re.compile(r"""[.!?؟]+['"’”»)\]]*""")
_PARAGRAPH = re.compile(r"\n\s*\n")
_CASELESS = re.compile(r"[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]")


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``, stripped, in order; empty ones are dropped."""
    sentences: list[str] = []
    for paragraph in _PARAGRAPH.split(text):
        sentences.extend(_split_paragraph(paragraph))
    return sentences


def _split_paragraph(paragraph: str) -> list[str]:
    out: list[str] = []
    start = 0
    for match in _END.finditer(paragraph):
        end = match.end()
        if not _ends_sentence(paragraph, match.start(), end):
            continue
        piece = paragraph[start:end].strip()
        if piece:
            out.append(" ".join(piece.split()))
        start = end
    rest = paragraph[start:].strip()
    if rest:
        out.append(" ".join(rest.split()))
    return out


def _ends_sentence(text: str, stop: int, end: int) -> bool:
    after = text[end : end + 3]
    if after and not after[0].isspace():
        return False  # "3.5", "U.S.-led", "e.g.,"
    following = text[end:].lstrip()
    if not following:
        return True
    first = following[0]
    if text[stop] != ".":
        return first.isupper() or first.isdigit() or first in "\"'“‘«([" or _starts_caseless(first)
    word = _word_before(text, stop)
    if word.lower() in ("no", "nos") and first.isdigit():
        return False  # "No. 10"
    if word.lower() in _ABBREVIATIONS or "." in word:
        return False  # "Gen. Soleimani", "U.S. President": initialisms never end one
    if len(word) == 1 and word.isupper():
        return False  # an initial: "J. Kerry"
    return first.isupper() or first.isdigit() or first in "\"'“‘«([" or _starts_caseless(first)


def _word_before(text: str, stop: int) -> str:
    i = stop
    while i > 0 and (text[i - 1].isalpha() or text[i - 1] == "."):
        i -= 1
    return text[i:stop]


def _starts_caseless(char: str) -> bool:
    return bool(_CASELESS.match(char))
