"""Search folds text one way whatever the script, and the quick way for plain ASCII folds it
exactly as the general way does."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from gulfsec.domain.search import _MARKS, _SAME, entry_text, fold


def _reference(text: str) -> str:
    """The folding as the module's docstring defines it, step by step."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _MARKS.sub("", text).translate(_SAME)
    return re.sub(r"\s+", " ", text).strip()


@settings(max_examples=400)
@given(st.text())
def test_folding_is_the_reference_folding(text: str) -> None:
    assert fold(text) == _reference(text)


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(max_codepoint=0x7F)))
def test_ascii_folds_as_any_text_does(text: str) -> None:
    assert fold(text) == _reference(text)


def test_spaces_of_every_kind_separate_words() -> None:
    assert fold("a\u00a0b\u2003c\x1cd\te\n") == "a b c d e"
    assert fold(" \t ") == ""
    assert fold("ＡＢＣ أحمد") == "abc احمد"


def test_the_words_of_an_entry_are_its_form_sender_and_body_strings() -> None:
    raw = (b'{"entry":{"body":{"n":[1,{"t":"Abu  MUSA"}],"s":"Strait"},"form":"message@1",'
           b'"sender":"IRN"},"signatures":[]}')
    assert entry_text(raw) == "message@1 irn abu musa strait"
    assert entry_text(b"not json") == ""
    assert entry_text(b'{"entry":[]}') == ""
    assert entry_text(b"[]") == ""
