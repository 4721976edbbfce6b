"""Code events from news text: who did what to whom, as PLOVER event types.

For each sentence, the coder finds the actors (:mod:`gulfsec.domain.news.actors`) and the
event phrases of its lexicon (``data/events_en.tsv``: verb and noun phrases, each with one of
the 16 PLOVER types of :data:`EVENT_TYPES` and maybe a mode), then gives each phrase a source
and a target by a shallow grammar over tokens — no parser, no model, nothing downloaded:

- the **source** is the subject: the nearest actor before the phrase in its clause; the agent
  of a passive ("was seized by Iran's Revolutionary Guards", "killed in an American strike");
  the subject of the clause before for a second verb joined by "and" ("Iran seized a tanker
  and detained its crew"); the actor that names a noun phrase ("the Iranian attack on …",
  "Iran's seizure of …", "the confiscation of Iranian oil by Greece");
- the **target** is the first actor after the phrase in its clause, skipping places ("in
  Riyadh", "near Farsi Island"; a place is the target of an attack when nothing else is),
  modifiers ("Iran-backed militias") and the source itself; phrases that govern another
  ("threatened to strike US warships", "accused Qatar of funding …", "agreed to reopen …")
  take the target of what they govern, which is not coded apart;
- compound actors give one event per member ("Saudi Arabia, the UAE and Bahrain cut ties with
  Qatar": three); mutual events give one in each direction ("A and B held talks", "A met B",
  "joint drills", "talks between A and B"); hosting is coded with the visitor as source, as
  PLOVER does ("Oman hosted Zarif": IRN -> OMN);
- negated phrases are not coded ("did not attack", "denied any role in the attack", "called
  off strikes"), nor phrases in a condition ("if Iran struck …") or after "any"; a force used
  in the future or under a modal ("would hit them", "ordered the Navy to shoot down …") is a
  THREATEN, a cooperation announced for the future an AGREE, a retreat promised a CONCEDE
  (PLOVER's rules); an exercise held by several states together is a COOPERATE.

Conventions beyond PLOVER: a signed or reached agreement is AGREE (PLOVER puts signing under
SUPPORT); restoring or normalising relations with a state is SUPPORT both ways, while sending
or recalling one's own envoy goes one way; sending forces to a named state ("troops to Saudi
Arabia") is AID, military; a joint exercise is COOPERATE both ways, mode "exercise", and one
state's exercise is MOBILIZE, mode "exercise" (PLOVER's split). Events need a named source
and a named target, except MOBILIZE, which keeps an empty target ("") when no adversary is
named (an exercise, a deployment "to the Gulf") — callers that pair actors should skip those.
Actors without a code (the Islamic State, "militants", "a drone") give no event. Each
sentence is coded alone: a pronoun ("it seized …") names no one.

**Only English is coded.** Arabic and Persian text is not coded yet: :func:`code_text` returns
no events for it (by the ``language`` given, or by its script when none is given), while
:func:`gulfsec.domain.news.actors.actors_in` still finds the actors named in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gulfsec.domain.news.grammar import code_tokens
from gulfsec.domain.news.lexicon import EVENT_TYPES
from gulfsec.domain.news.sentences import split_sentences

__all__ = ["EVENT_TYPES", "Event", "code_sentence", "code_text", "codes_language"]


CODED_LANGUAGES = frozenset({"en"})
"""Languages whose events are coded; for others only actors are found."""


@dataclass(frozen=True)
class Event:
    """``source`` did ``type`` (by ``mode``) to ``target``, said sentence ``sentence``."""

    source: str
    target: str
    type: str
    mode: str | None
    sentence: int
    text: str

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "type": self.type,
            "mode": self.mode,
            "sentence": self.sentence,
            "text": self.text,
        }


def codes_language(text: str, language: str | None = None) -> bool:
    """Whether events are coded for ``text``: its ``language`` if given, else its script."""
    if language is not None:
        return language.lower().split("-")[0] in CODED_LANGUAGES
    arabic = latin = 0
    for char in text:
        if "\u0600" <= char <= "\u06ff" or "\ufb50" <= char <= "\ufeff":
            arabic += 1
        elif char.isascii() and char.isalpha():
            latin += 1
    return latin >= arabic


def code_text(text: str, *, language: str | None = None) -> list[Event]:
    """The events of every sentence of ``text``; none for a language not coded (see module)."""
    if not codes_language(text, language):
        return []
    events: list[Event] = []
    for index, sentence in enumerate(split_sentences(text)):
        events.extend(code_sentence(sentence, index))
    return events


def code_sentence(sentence: str, index: int = 0) -> list[Event]:
    """The events of one English ``sentence`` (``index``: its place in the text)."""
    if not codes_language(sentence):
        return []
    return [
        Event(source, target, kind, mode, index, sentence)
        for source, target, kind, mode in code_tokens(sentence)
    ]
