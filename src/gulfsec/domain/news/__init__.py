"""News for early warning: sentences, actors and events coded from open news text.

- :mod:`.sentences` splits text into sentences;
- :mod:`.actors` finds the actors a text names, as codes (the regime's participants, ISO 3166
  alpha-3 for other states), in English, Arabic and Persian;
- :mod:`.events` codes who did what to whom in English sentences, as the 16 PLOVER event
  types, with the phrases of :mod:`.lexicon` and the shallow grammar of :mod:`.grammar`.
  Arabic and Persian text is not coded yet: only its actors are found;
- :mod:`.tension` turns events into a tension index per pair of actors.

Pure: word lists and rules packaged with gulfsec, nothing downloaded, no database.
"""

from gulfsec.domain.news.actors import actors_in
from gulfsec.domain.news.events import EVENT_TYPES, Event, code_sentence, code_text
from gulfsec.domain.news.sentences import split_sentences

__all__ = ["EVENT_TYPES", "Event", "actors_in", "code_sentence", "code_text", "split_sentences"]
