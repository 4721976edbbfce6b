"""Summary lines that a page can say again in its reader's language.

A form's summary line is English text (the API, the CSV export and the tests read it so): an
``N_`` message with named placeholders, formatted. :func:`line` formats it and keeps, beside the
English text, the message and its values (a :class:`Summary`), so that a page says it in the
reader's language: the message through the catalogs, and a value that stands for words of a
fixed vocabulary (:class:`Words`: an incident's events, an activity's kind, a level, the
changes to a meeting) word by word through the catalogs, several joined as the reader's
language joins a list. Any other value (a name, a party's code, a date, a count) is put in as
it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Words:
    """What stands for one placeholder: words of a fixed vocabulary, in English as the summary
    shows them, each a message marked for the catalogs (with ``N_`` where the vocabulary is
    defined) or a code the pages have words for (:data:`gulfsec.web.terms.TERMS`); or, with
    ``translate`` false, codes shown as they are (parties). Several are a list, which English
    joins with commas."""

    items: tuple[str, ...]
    translate: bool = True

    def __str__(self) -> str:
        return ", ".join(self.items)


class Summary(str):
    """A summary line: the English text itself, with the message it was formatted from and the
    values put into it (plain values and :class:`Words`)."""

    message: str
    values: Mapping[str, object]

    def __new__(cls, text: str, message: str | None = None,
                values: Mapping[str, object] | None = None) -> Summary:
        made = super().__new__(cls, text)
        made.message = text if message is None else message
        made.values = dict(values or {})
        return made

    def one_line(self) -> str:
        """The line with its runs of white space made single spaces, still a :class:`Summary`
        where its message and values say the same (else plain text)."""
        text = " ".join(self.split())
        if text == self:
            return self
        tidied = {name: _one_line(value) for name, value in self.values.items()}
        again = line(" ".join(self.message.split()), **tidied)
        return again if again == text else text


def _one_line(value: object) -> object:
    if isinstance(value, Words):
        return Words(tuple(" ".join(item.split()) for item in value.items), value.translate)
    if isinstance(value, str):
        return " ".join(value.split())
    return value


def line(message: str, **values: object) -> Summary:
    """``message`` (marked with ``N_``) formatted with ``values``, keeping both."""
    return Summary(message.format(**values), message, values)
