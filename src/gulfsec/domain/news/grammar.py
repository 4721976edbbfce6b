"""The grammar of the event coder: a source and a target for each event phrase of a sentence.

A shallow grammar over tokens, no parser: the rules are described in
:mod:`gulfsec.domain.news.events`, which wraps what :func:`code_tokens` finds into events.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from gulfsec.domain.news.actors import Mention, Token, find_mentions, tokenize
from gulfsec.domain.news.lexicon import COOPERATIVE, FORCEFUL, GAP, Trigger, inflect, triggers

__all__ = ["Coded", "code_tokens"]

Coded = tuple[str, str, str, str | None]
"""An event found: source, target, type, mode."""


def code_tokens(sentence: str) -> list[Coded]:
    """The events of one English ``sentence``, in the order their phrases come."""
    return _Sentence(sentence).code()


_COORDINATION = frozenset({",", "and", "or", "the", "then", "&", "both", "-", "as", "well"})
_TITLES = frozenset({
    "president", "emir", "king", "prince", "crown", "minister", "ministers", "foreign",
    "defence", "defense", "prime", "leader", "leaders", "official", "officials", "envoy",
    "envoys", "sultan", "counterpart", "chief", "chiefs", "navy", "army", "forces", "government",
    "supreme", "security", "national", "adviser", "advisor", "spokesman", "delegation",
    "delegations", "secretary", "state", "top", "general", "commander", "ambassador", "'", "s",
    "the", "his", "her", "their", "its", "and", ",",
})  # fmt: skip
"""Words that may stand between two actors named together: "Qatar's emir and the Iranian
president"."""
_SUBJECT_STOPS = frozenset({
    ";", ":", "after", "before", "because", "since", "while", "when", "whereas", "although",
    "though", "despite", "amid", "following", "until", "unless", "if", "but", "(", ")",
})  # fmt: skip
_OBJECT_STOPS = _SUBJECT_STOPS | frozenset({
    "which", "who", "whom", "whose", "where", "said", "says", "say", "saying", "told",
    "according", "as", "during", "—", "–", "retaliation", "response", "reprisal",
})  # fmt: skip
_LOCATIVE = frozenset({
    "in", "near", "off", "inside", "outside", "across", "over", "within", "around",
    "throughout", "via", "through", "along", "northern", "southern", "eastern", "western",
    "central",
})  # fmt: skip
_OWNED_PLACES = frozenset({"embassy", "embassies", "consulate", "mission"})
_MODIFIER_SUFFIXES = frozenset({
    "backed", "allied", "aligned", "sponsored", "supported", "funded", "made", "built",
    "designed", "supplied", "based", "trained", "armed", "affiliated", "inspired", "brokered",
})  # fmt: skip
_MODIFIER_BY = frozenset({"backed", "sponsored", "supported", "funded", "armed", "trained",
                          "supplied", "allied", "aligned"})  # fmt: skip
_NEGATIONS = frozenset({
    "not", "never", "no", "neither", "nor", "without", "didn", "doesn", "don", "hasn",
    "haven", "hadn", "wasn", "weren", "isn", "aren", "won", "wouldn", "couldn", "shouldn",
    "cannot", "denied", "denies", "deny", "denying", "refrained", "avoided", "any",
})  # fmt: skip
_CALL = frozenset(inflect("call"))
_MODALS_NOW = frozenset({"will", "would", "shall", "ll"})
_MODALS_MAYBE = frozenset({"could", "might", "may", "should", "can"})
_IRREALIS_GOVERNORS = frozenset({
    *inflect("order"), *inflect("plan"), *inflect("want"), *inflect("seek"), *inflect("intend"),
    *inflect("prepare"), *inflect("hope"), *inflect("expect"), *inflect("aim"),
    "ready", "able", "willing", "likely", "poised", "set", "going", "about", "threat",
    "plans", "bid", "effort", "proposal", "proposals", "readiness",
})  # fmt: skip
_AUXILIARIES = frozenset({
    "has", "have", "had", "was", "were", "is", "are", "be", "been", "being", "will", "would",
    "could", "can", "may", "might", "should", "did", "does", "do", "also", "then", "later",
    "again", "still", "already", "jointly", "reportedly", "allegedly", "repeatedly", "briefly",
    "formally", "finally", "unanimously", "directly", "quickly", "immediately", "officially",
    "publicly", "recently", "previously", "eventually", "successfully", "unintentionally",
    "just", "now", "once", "first", "twice", "apparently", "swiftly",
})  # fmt: skip
_BE = frozenset({"was", "were", "is", "are", "be", "been", "being", "got", "get", "gets"})
_FUNCTION = frozenset({
    "and", "or", "but", "to", "in", "on", "at", "for", "with", "by", "of", "from", "as",
    "that", "which", "who", "after", "before", "since", "when", "while", "is", "was", "were",
    "are", "has", "have", "had", "said", "says", "the", "a", "an", "its", "their", "his", "her",
    "it", "they", "he", "she", "this", "these", "those", "would", "will", "could", "into",
    "than", "not", "over", "near", "off", "against", "across", "amid", "despite", "during",
    "s", "t", "also", "then", "if", "because", "about", "between", "through", "under", "via",
})  # fmt: skip
_DETERMINERS = frozenset({
    "a", "an", "the", "its", "their", "his", "her", "this", "that", "these", "those", "first",
    "rare", "official", "state", "s", "any", "no", "another", "second", "new", "fresh",
    "several", "latest", "further", "additional", "two", "three", "four", "five", "joint",
})  # fmt: skip
_PREPOSITIONS = frozenset({
    "to", "from", "with", "for", "on", "at", "in", "by", "against", "into", "onto", "about",
    "over", "under", "between", "toward", "towards", "near", "off", "outside", "inside",
    "across", "via", "through", "among", "like", "than", "upon", "within", "around", "despite",
})  # fmt: skip
"""A subject is never named after one of these ("attacks on Iran", "talks with Iran")."""
_NOUN_BLOCKERS = frozenset({"to", "of", "under", "from", "about", "over", "against", "on",
                            "despite", "than", "into", "at", "by", "with"})  # fmt: skip
"""A noun after one of these is an object, not the clause's own event: "committed to the
deal", "blamed for the attack"."""
_REPORTING = frozenset({*inflect("say"), "said", *inflect("tell"), "told", *inflect("call"),
                        *inflect("describe"), *inflect("insist"), *inflect("add")})  # fmt: skip
_NO_SUBJECT = frozenset({"used", "designed", "meant", "intended", "built", "made"})
"""An infinitive after these has no actor of its own: "drones used to attack ..."."""
_GERUND_SUBORDINATORS = frozenset({"before", "after", "while", "since", "when", "by", "upon",
                                   "without"})  # fmt: skip
_RELATIVES = frozenset({"that", "which", "who"})
_MODES: dict[str, tuple[tuple[frozenset[str], str], ...]] = {
    "CONSULT": (
        (frozenset({"phone", "telephone", "phoned", "call", "video"}), "phone"),
        (frozenset({"visit", "visited", "visits", "trip", "arrived", "landed", "flew",
                    "travelled", "traveled", "hosted", "received"}), "visit"),
    ),
    "ASSAULT": (
        (frozenset({"drone", "drones", "uav", "uavs", "shahed"}), "drone"),
        (frozenset({"missile", "missiles", "rocket", "rockets", "ballistic"}), "missile"),
        (frozenset({"air", "airstrike", "airstrikes", "warplanes", "jets", "aircraft",
                    "bombers", "bombing", "bombed", "bomb"}), "air"),
        (frozenset({"warship", "warships", "naval", "destroyer", "navy", "boats"}), "naval"),
        (frozenset({"mine", "mines", "explosives", "bomb"}), "explosives"),
        (frozenset({"assassinated", "assassination"}), "targeted"),
    ),
    "MOBILIZE": (
        (frozenset({"exercise", "exercises", "drill", "drills", "manoeuvres", "maneuvers",
                    "games"}), "exercise"),
        (frozenset({"naval", "warship", "warships", "carrier", "navy", "destroyer", "fleet",
                    "frigate", "boats", "ships", "submarine"}), "naval"),
        (frozenset({"air", "bombers", "jets", "aircraft", "squadron", "fighters"}), "air"),
        (frozenset({"troops", "soldiers", "forces", "marines", "battalion"}), "troops"),
    ),
    "COOPERATE": (
        (frozenset({"exercise", "exercises", "drill", "drills", "manoeuvres", "maneuvers",
                    "games", "patrols"}), "exercise"),
    ),
    "COERCE": (
        (frozenset({"seized", "seize", "seizure", "boarded", "captured", "confiscated"}),
         "seize"),
        (frozenset({"detained", "arrested", "custody", "detention", "arrest"}), "arrest"),
    ),
    "AID": ((frozenset({"troops", "forces", "weapons", "arms", "drones", "missiles",
                        "systems"}), "military"),),
}  # fmt: skip



@dataclass
class _Group:
    """Actors named together ("Saudi Arabia, the UAE and Bahrain"), as one side of events."""

    codes: list[str]
    first: int
    last: int
    modifier: bool = False
    locative: bool = False
    head: bool = True


@dataclass
class _Found:
    """A trigger found in the sentence, and what the grammar made of it."""

    trigger: Trigger
    start: int
    end: int  # exclusive
    gap_groups: list[int] = field(default_factory=list)
    type: str = ""
    sources: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    target_group: int | None = None
    consumed: bool = False
    inherited: _Found | None = None
    suppressed: bool = False
    destination: bool = False
    mood: str | None = None


class _Sentence:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[Token] = tokenize(text)
        self.keys = [t.key for t in self.tokens]
        mentions = find_mentions(self.tokens)
        self.groups = self._group(mentions)
        self.group_at: dict[int, int] = {}
        for number, group in enumerate(self.groups):
            for position in range(group.first, group.last + 1):
                self.group_at[position] = number
        self.used: set[int] = set()
        """Groups that are objects or by-agents: never a later subject."""
        self.naming: dict[int, int] = {}
        """Groups that name a noun phrase ("a US strike"), and where that phrase ends."""
        self.found = self._triggers()
        self.trigger_at: dict[int, int] = {}
        for number, found in enumerate(self.found):
            for position in range(found.start, found.end):
                self.trigger_at.setdefault(position, number)

    # -- actors ----------------------------------------------------------------------------

    def _group(self, mentions: list[Mention]) -> list[_Group]:
        groups: list[_Group] = []
        previous: Mention | None = None
        for mention in mentions:
            if previous is not None and self._joins(previous, mention):
                group = groups[-1]
                if mention.code not in group.codes:
                    group.codes.append(mention.code)
                group.last = mention.last
            else:
                groups.append(_Group([mention.code], mention.first, mention.last))
            previous = mention
        for group in groups:
            self._describe(group)
        return groups

    def _joins(self, left: Mention, right: Mention) -> bool:
        between = self.keys[left.last + 1 : right.first]
        if all(key in _COORDINATION for key in between):
            return not (between and between[-1] == "-" and self._suffix_at(right.last + 1))
        if "and" in between and len(between) <= 7 and all(key in _TITLES for key in between):
            return True
        if left.code != right.code or len(between) > 6:
            return False
        return not any(
            key in _OBJECT_STOPS or key in _SUBJECT_STOPS or key in _FUNCTION - {"the", "s"}
            for key in between
        )

    def _suffix_at(self, position: int) -> bool:
        keys = self.keys
        return (
            position + 1 < len(keys)
            and keys[position] == "-"
            and keys[position + 1] in _MODIFIER_SUFFIXES
        )

    def _describe(self, group: _Group) -> None:
        keys = self.keys
        after = group.last + 1
        if self._suffix_at(after):
            group.modifier = True
        before = group.first - 1
        if before >= 1 and keys[before] == "by" and keys[before - 1] in _MODIFIER_BY:
            group.modifier = True
        nxt = self.tokens[after] if after < len(keys) else None
        if nxt is not None and (
            nxt.key in ("'", "’")
            or (
                nxt.text.isalpha()
                and nxt.text.islower()
                and nxt.key not in _FUNCTION
                and not nxt.key.endswith(("ing", "ed"))
            )
        ):
            group.head = False
        position = before
        while position >= 0 and keys[position] in ("the", "northern", "southern", "eastern",
                                                   "western", "central", "neighbouring"):
            position -= 1
        if position >= 0 and keys[position] in _LOCATIVE and group.head:
            owner = position >= 1 and keys[position - 1] in _OWNED_PLACES
            group.locative = not owner

    # -- triggers --------------------------------------------------------------------------

    def _triggers(self) -> list[_Found]:
        index = triggers()
        found: list[_Found] = []
        position, size = 0, len(self.tokens)
        while position < size:
            if position in self.group_at:
                position = self.groups[self.group_at[position]].last + 1
                continue
            if self.keys[position] in _MODIFIER_SUFFIXES and self.keys[position - 1] == "-":
                position += 1  # "Iran-backed": no event
                continue
            best: _Found | None = None
            for trigger in index.get(self.keys[position], ()):
                match = self._match(trigger, position)
                if match is None or (
                    not trigger.noun
                    and self.keys[position] in trigger.bare
                    and self._noun_position(position, plural_subject=True)
                ):
                    continue
                if best is None or match.end > best.end or (
                    match.end == best.end and self._prefer(match, best)
                ):
                    best = match
            if best is None:
                position += 1
                continue
            if best.trigger.type != "-":
                best.type = best.trigger.type
                found.append(best)
            position = best.end
        return found

    def _prefer(self, new: _Found, old: _Found) -> bool:
        """Of a noun and a verb spelt alike ("visit", "attacks"), the one the place calls for."""
        if new.trigger.noun == old.trigger.noun:
            return False
        return new.trigger.noun == self._noun_position(new.start, actor_before=True)

    def _noun_position(
        self, position: int, *, actor_before: bool = False, plural_subject: bool = False
    ) -> bool:
        """Whether the word at ``position`` stands where a noun would: "the visit", "military
        targets", "start talks" — not "Iran visits", "will visit", "to visit"."""
        key = self.keys[position]
        if not position:
            return False
        previous = self.keys[position - 1]
        if previous in _DETERMINERS - {"s"}:
            return True  # "the killing", "a visit"
        if key.endswith(("ed", "ing")):
            return False
        if (position - 1) in self.group_at:
            return actor_before and not key.endswith("ed")
        if previous in _DETERMINERS or previous.isdigit():
            return True
        token = self.tokens[position - 1]
        if plural_subject and previous.endswith("s"):
            return False  # "drones hit", "warships patrol"
        return (
            token.text.isalpha()
            and token.text.islower()
            and previous not in _FUNCTION
            and previous not in _AUXILIARIES
            and not previous.endswith("ly")
            and previous not in _NEGATIONS
        )

    def _match(self, trigger: Trigger, start: int) -> _Found | None:
        position = start
        gaps: list[int] = []
        elements = trigger.elements
        size = len(self.tokens)
        for number, element in enumerate(elements):
            if element is None:
                continue
            if number and elements[number - 1] is None:
                skipped = 0
                while position < size and self.keys[position] not in element:
                    if self.keys[position] in (".", ";", ":", ",") or skipped >= GAP:
                        return None
                    if position in self.group_at:
                        group = self.group_at[position]
                        gaps.append(group)
                        position = self.groups[group].last + 1
                    else:
                        position += 1
                    skipped += 1
                if position >= size:
                    return None
            elif position >= size or self.keys[position] not in element:
                return None
            if position in self.group_at:
                return None
            position += 1
        return _Found(trigger, start, position, gaps)

    # -- the grammar -----------------------------------------------------------------------

    def code(self) -> list[Coded]:
        for number, found in enumerate(self.found):
            if found.consumed or found.suppressed:
                continue
            self._resolve(number, found)
        events: list[Coded] = []
        seen: set[tuple[str, str, str]] = set()
        for found in self.found:
            if found.consumed or found.suppressed or not found.type:
                continue
            for source, target, kind in self._pairs(found):
                if source == target or (source, target, kind) in seen:
                    continue
                seen.add((source, target, kind))
                events.append((source, target, kind, self._mode(found, kind)))
        aimed = {source for source, target, kind, _ in events
                 if kind in ("MOBILIZE", "AID") and target}  # fmt: skip
        return [e for e in events if e[1] or e[0] not in aimed]

    def _resolve(self, number: int, found: _Found) -> None:
        trigger = found.trigger
        if self._negated(found) or self._conditional(found):
            found.suppressed = True
            return
        if "recip" in trigger.flags:
            self._reciprocal(number, found)
            return
        if trigger.noun:
            self._resolve_noun(number, found)
        else:
            self._resolve_verb(number, found)
        if found.suppressed:
            return
        self._mood(found)

    def _resolve_verb(self, number: int, found: _Found) -> None:
        agent = self._passive_agent(found)
        if agent is False:
            found.suppressed = True  # a passive with no agent named: no source
            return
        if isinstance(agent, int):
            found.sources = self._codes(agent)
            self.used.add(agent)
            subject, _ = self._subject_of(number, found)
            found.targets = list(subject) if subject is not None else []
            return
        before = self._skip_back(found.start - 1)
        if before >= 1 and self.keys[before] == "to" and self.keys[before - 1] in _NO_SUBJECT:
            found.suppressed = True
            return
        if (
            before >= 0
            and self.keys[before] in ("for", "of")
            and self.keys[found.start].endswith("ing")
            and any(not other.trigger.noun for other in self.found[:number])
        ):
            found.suppressed = True  # "designated ... for supplying drones": a reason, alleged
            return
        subject, inherited = self._subject_of(number, found)
        found.inherited = inherited
        if subject is not None:
            found.sources = list(subject)
        self._find_target(number, found)
        if inherited is not None:
            if not found.targets and found.type == "THREATEN":
                found.targets = list(inherited.targets)
            found.mood = inherited.mood

    def _resolve_noun(self, number: int, found: _Found) -> None:
        trigger = found.trigger
        before = self._adjacent_group(found.start)
        between = self._between_group(found.end)
        if trigger.flags & {"sym"} and between is not None:
            found.sources = self._codes(between)
            found.type = trigger.type
            return
        if "stance" in trigger.flags:
            self._stance(found)
            return
        if before is not None:
            found.sources = self._codes(before)
            self.naming[before] = found.end
            self._find_target(number, found, after_only=True)
            return
        by = self._by_agent(found.end, reach=6)
        if by is not None:
            found.sources = self._codes(by)
            self.used.add(by)
            self._find_target(number, found, after_only=True, skip=by)
            return
        subject = self._subject(found.start, number)
        if subject is None or not self._clear_path(subject, found, number):
            found.suppressed = True
            return
        found.sources = self._codes(subject)
        if found.gap_groups:
            found.targets = self._codes(found.gap_groups[0])
            return
        for position in range(self.groups[subject].last + 1, found.start):
            group = self.group_at.get(position)
            if group is not None and self._eligible(group, allow_places=False):
                found.targets = self._codes(group)
                return
        self._find_target(number, found, after_only=True)

    def _np_start(self, start: int) -> int:
        """Where the noun phrase ending in the noun at ``start`` begins."""
        position = start - 1
        while position >= 0 and start - position <= 5:
            key = self.keys[position]
            if position in self.group_at or position in self.trigger_at:
                break
            if key in _DETERMINERS and key != "s":
                return position
            if key in _FUNCTION:
                break
            if not self.tokens[position].text.isalnum() and key != "-":
                break
            position -= 1
        return position + 1

    def _clear_path(self, subject: int, found: _Found, number: int) -> bool:
        """Whether a noun is the clause's own event, done by its subject: "Iran launched a
        missile attack on ...", not "blamed Iran for the attack", "committed to the deal"."""
        lead = self._np_start(found.start) - 1
        lead_key = self.keys[lead] if lead >= 0 else ""
        if lead_key == "during":
            return True
        if lead_key in _NOUN_BLOCKERS or (
            lead_key == "for" and found.trigger.type not in ("CONSULT", "COOPERATE", "MOBILIZE")
        ):
            return False
        for position in range(self.groups[subject].last + 1, found.start):
            if self.keys[position] in _REPORTING:
                return False
        for other in self.found[:number]:
            if other.start <= self.groups[subject].last or other.consumed:
                continue
            if other.type == found.trigger.type or "slot" in other.trigger.flags:
                continue
            return False
        return True

    def _stance(self, found: _Found) -> None:
        """"X said Iran's seizure was unacceptable": X accuses Iran."""
        for position in range(found.start - 1, max(-1, found.start - 15), -1):
            if self.keys[position] in _REPORTING and position not in self.trigger_at:
                subject = self._subject(position, self._number(found))
                if subject is None:
                    break
                found.sources = self._codes(subject)
                for inner in range(position + 1, found.start):
                    group = self.group_at.get(inner)
                    if group is not None and self._eligible(group, allow_places=False):
                        found.targets = self._codes(group)
                        return
                break
        found.suppressed = True

    # -- sources ---------------------------------------------------------------------------

    def _subject_of(self, number: int, found: _Found) -> tuple[list[str] | None, _Found | None]:
        position = self._skip_back(found.start - 1)
        keys = self.keys
        if position >= 0 and keys[position] in ("and", "but", ","):
            for previous in reversed(self.found[:number]):
                if previous.trigger.noun or previous.consumed:
                    continue
                if previous.sources and not previous.suppressed:
                    return previous.sources, previous
                break
        if position >= 0 and keys[position] in _RELATIVES:
            back = position - 1
            if back >= 0 and keys[back] == ",":
                back -= 1
            group = self.group_at.get(back)
            if group is not None and self._eligible(group, allow_places=False):
                return self._codes(group), None
            return None, None
        if position >= 0 and keys[position] in _GERUND_SUBORDINATORS and keys[
            found.start
        ].endswith("ing"):
            for candidate, described in enumerate(self.groups):
                if described.first >= found.start:
                    break
                if self._eligible(candidate, allow_places=False) and not (
                    self._after_preposition(candidate)
                ):
                    return self._codes(candidate), None
        subject = self._subject(found.start, number)
        return (self._codes(subject) if subject is not None else None), None

    def _subject(self, start: int, number: int) -> int | None:
        """The nearest actor before ``start`` in its clause that can be a subject."""
        position = start - 1
        while position >= 0:
            key = self.keys[position]
            if key in _SUBJECT_STOPS:
                return None
            group = self.group_at.get(position)
            if group is not None:
                if (
                    self._eligible(group, allow_places=False)
                    and group not in self.used
                    and not self._after_preposition(group)
                    and (group not in self.naming or self.naming[group] >= self._skip_back(
                        start - 1) + 1)
                ):
                    return group
                position = self.groups[group].first - 1
                continue
            position -= 1
        return None

    def _after_preposition(self, group: int) -> bool:
        position = self.groups[group].first - 1
        while position >= 0 and self.keys[position] in ("the", "a", "an"):
            position -= 1
        return position >= 0 and self.keys[position] in _PREPOSITIONS

    def _skip_back(self, position: int) -> int:
        while position >= 0 and (
            self.keys[position] in _AUXILIARIES or self.keys[position].endswith("ly")
        ):
            position -= 1
        return position

    def _passive_agent(self, found: _Found) -> int | bool | None:
        """The agent of a passive: a group number; False if passive without one; else None."""
        head = self.keys[found.start]
        if not (head.endswith("ed") or head.endswith("en") or head in (
            "shot", "struck", "held", "met", "hit", "cut", "sent", "taken", "brought",
            "broken", "set", "paid", "put", "freed", "frozen", "flown", "spoken",
        )):
            return None
        position = found.start - 1
        while position >= 0 and (
            self.keys[position].endswith("ly") or self.keys[position] in ("also", "not", "then")
        ):
            position -= 1
        be = position >= 0 and self.keys[position] in _BE
        agent = self._by_agent(found.end - (self.keys[found.end - 1] == "by"), reach=3)
        if agent is None:
            agent = self._strike_agent(found.end)
        if agent is not None:
            return agent
        return False if be else None

    def _by_agent(self, end: int, reach: int) -> int | None:
        for position in range(end, min(end + reach, len(self.keys))):
            key = self.keys[position]
            if key != "by" and (key in _OBJECT_STOPS or position in self.trigger_at):
                return None
            if key == "by":
                for after in range(position + 1, min(position + 8, len(self.keys))):
                    group = self.group_at.get(after)
                    if group is not None:
                        return group if not self.groups[group].modifier else None
                    if self.keys[after] in _OBJECT_STOPS or after in self.trigger_at:
                        return None
                return None
        return None

    def _strike_agent(self, end: int) -> int | None:
        """"killed in an American drone strike": the actor naming an attack after "in"."""
        keys = self.keys
        if end < len(keys) and keys[end] == "in":
            for after in range(end + 1, min(end + 4, len(keys))):
                group = self.group_at.get(after)
                if group is None:
                    continue
                last = self.groups[group].last
                for position in range(last + 1, min(last + 4, len(keys))):
                    number = self.trigger_at.get(position)
                    if number is not None and self.found[number].trigger.type == "ASSAULT":
                        self.found[number].consumed = True
                        return group
                return None
        return None

    def _is_by_agent(self, group: int) -> bool:
        first = self.groups[group].first
        return first >= 1 and self.keys[first - 1] == "by"

    def _adjacent_group(self, start: int) -> int | None:
        """The actor naming a noun phrase: "the Iranian attack", "Iran's seizure"."""
        position = start - 1
        steps = 0
        while position >= 0 and steps <= 3:
            group = self.group_at.get(position)
            if group is not None:
                if self.groups[group].modifier:
                    return None
                before = self.groups[group].first - 1
                if before >= 0 and self.keys[before] in ("any", "no"):
                    return None
                return group
            key = self.keys[position]
            if key in ("'", "’", "s", "-"):
                position -= 1
                continue
            token = self.tokens[position]
            if (
                key in _FUNCTION
                or key in ("any", "no")
                or position in self.trigger_at
                or not token.text.isalnum()
            ):
                return None
            position -= 1
            steps += 1
        return None

    def _between_group(self, end: int) -> int | None:
        if end < len(self.keys) and self.keys[end] == "between":
            return self.group_at.get(end + 1) if end + 1 < len(self.keys) else None
        return None

    # -- targets ---------------------------------------------------------------------------

    def _find_target(
        self, number: int, found: _Found, *, after_only: bool = False, skip: int | None = None
    ) -> None:
        trigger = found.trigger
        if found.gap_groups and not after_only:
            found.targets = self._codes(found.gap_groups[0])
            self.used.update(found.gap_groups)
            return
        end = found.end
        if "gap" in trigger.flags:
            return
        if "slot" in trigger.flags:
            for position in range(end, min(end + 3, len(self.keys))):
                group = self.group_at.get(position)
                if group is not None:
                    found.targets = self._codes(group)
                    return
                if self.keys[position] not in ("the", "a", "then"):
                    return
            return
        between = self._between_group(end)
        if between is not None and trigger.flags & {"med", "sym"}:
            if "sym" in trigger.flags and not found.sources:
                found.sources = self._codes(between)
            else:
                found.targets = self._codes(between)
            return
        governs = "gov" in trigger.flags
        place: int | None = None
        position = end
        while position < len(self.keys):
            key = self.keys[position]
            if key in _OBJECT_STOPS:
                break
            other = self.trigger_at.get(position)
            if other is not None and other != number:
                inner = self.found[other]
                if governs and self._governed(found, inner):
                    self._govern(found, inner)
                    if not found.targets and inner.targets:
                        found.targets = list(inner.targets)
                    if found.targets:
                        return
                    position = inner.end
                    continue
                if not inner.trigger.noun:
                    break
                position = inner.end
                continue
            group = self.group_at.get(position)
            if group is None:
                position += 1
                continue
            position = self.groups[group].last + 1
            if group == skip or not self._eligible(group, allow_places=True):
                continue
            codes = [c for c in self._codes(group) if c not in found.sources]
            if not codes:
                continue
            if self.groups[group].locative:
                if place is None:
                    place = group
                continue
            found.targets = codes
            found.target_group = group
            self.used.add(group)
            found.destination = self._destination(found, group)
            if governs:
                self._govern_after(number, found, position)
            return
        if place is not None and "loc" in trigger.flags:
            found.targets = [c for c in self._codes(place) if c not in found.sources]

    def _destination(self, found: _Found, group: int) -> bool:
        first = self.groups[group].first
        keys = self.keys
        before = first - 1
        while before >= 0 and keys[before] == "the":
            before -= 1
        return before >= found.end and keys[before] == "to" and "to" not in keys[found.end:before]

    def _govern_after(self, number: int, found: _Found, position: int) -> None:
        """"urged Iran to stay ...", "accused Qatar of funding ...": what follows the target
        is governed, not coded apart."""
        for inner in self.found[number + 1 :]:
            if inner.start < position:
                continue
            if self._governed(found, inner, after=position):
                self._govern(found, inner)
            return

    def _governed(self, governor: _Found, inner: _Found, after: int | None = None) -> bool:
        """Whether ``inner`` is the complement of ``governor`` ("agreed to reopen ...")."""
        between = self.keys[(governor.end if after is None else after) : inner.start]
        if len(between) > 8 or any(k in _OBJECT_STOPS for k in between):
            return False
        if inner.trigger.noun:
            return False  # a noun object is coded on its own terms
        if not between:
            return after is None  # "promised to retaliate", "refused to meet"
        return between[-1] in ("to", "of", "for", "from", "against", "on",
                                                 "that", "it", "would", "will")

    def _govern(self, governor: _Found, inner: _Found) -> None:
        inner.consumed = True
        if not inner.trigger.noun:
            self._resolve_verb(self.found.index(inner), inner)
        if governor.type == "AGREE":
            if inner.type in ("RETREAT", "CONCEDE"):
                governor.type = "CONCEDE"
            elif inner.type in FORCEFUL or inner.type in ("SANCTION", "THREATEN"):
                governor.type = "THREATEN"

    def _eligible(self, group: int, *, allow_places: bool) -> bool:
        described = self.groups[group]
        if described.modifier:
            return False
        return allow_places or not described.locative

    def _codes(self, group: int) -> list[str]:
        return list(self.groups[group].codes)

    # -- mood ------------------------------------------------------------------------------

    def _negated(self, found: _Found) -> bool:
        keys = self.keys
        position = found.start - 1
        steps = 0
        while position >= 0 and steps < 5:
            key = keys[position]
            if key in _SUBJECT_STOPS or key in (",", "."):
                return False
            if key in _NEGATIONS and not (key == "any" and not found.trigger.noun):
                return True
            if key == "off" and position >= 1 and keys[position - 1] in _CALL:
                return True
            if position in self.group_at or (
                position in self.trigger_at and self.trigger_at[position] != self._number(found)
            ):
                return False
            position -= 1
            steps += 1
        return False

    def _number(self, found: _Found) -> int:
        return self.found.index(found)

    def _conditional(self, found: _Found) -> bool:
        keys = self.keys
        for position in range(found.start - 1, max(-1, found.start - 9), -1):
            key = keys[position]
            if key in ("if", "unless"):
                return True
            if key in (",", ";", ":") or (key in _SUBJECT_STOPS and key not in ("if",)):
                return False
        return False

    def _mood(self, found: _Found) -> None:
        """Modals and infinitives: what is only said to come is not coded as done."""
        if "gov" in found.trigger.flags and found.type in ("AGREE", "CONCEDE", "THREATEN"):
            return
        start = self._np_start(found.start) if found.trigger.noun else found.start
        position = self._skip_back_not_modal(start - 1)
        keys = self.keys
        mood = found.mood
        if position >= 0 and keys[position] in _MODALS_NOW:
            mood = "will"
        elif position >= 0 and keys[position] in _MODALS_MAYBE:
            mood = "may"
        elif position >= 0 and (keys[position] == "to" or found.trigger.noun):
            for governor in range(position, max(-1, position - 5), -1):
                if keys[governor] in _IRREALIS_GOVERNORS:
                    mood = "will"
                    break
                if keys[governor] in _OBJECT_STOPS or (
                    governor in self.trigger_at and governor != start
                    and self.found[self.trigger_at[governor]] is not found
                ):
                    break
        found.mood = mood
        if mood is None:
            return
        kind = found.type
        if kind in FORCEFUL or (kind == "SANCTION" and mood == "may"):
            found.type = "THREATEN"  # "could impose sanctions", "would hit them"
        elif mood == "may":
            found.suppressed = True
        elif kind in COOPERATIVE:
            found.type = "AGREE"
        elif kind == "RETREAT":
            found.type = "CONCEDE"
        elif kind == "SANCTION" and mood == "will" and position >= 0 and keys[position] == "to":
            found.type = "THREATEN"

    def _skip_back_not_modal(self, position: int) -> int:
        while position >= 0 and (
            (self.keys[position] in _AUXILIARIES and self.keys[position] not in _MODALS_NOW
             and self.keys[position] not in _MODALS_MAYBE)
            or self.keys[position].endswith("ly")
            or self.keys[position] in ("be", "have")
        ):
            position -= 1
        return position

    def _reciprocal(self, number: int, found: _Found) -> None:
        found.suppressed = True
        if not number:
            return
        previous = self.found[number - 1]
        for position in range(found.end, min(found.end + 4, len(self.keys))):
            group = self.group_at.get(position)
            if group is not None:
                if previous.targets and not previous.suppressed:
                    found.sources = list(previous.targets)
                    found.targets = self._codes(group)
                    found.type = previous.type
                    found.suppressed = False
                return

    # -- events ----------------------------------------------------------------------------

    def _pairs(self, found: _Found) -> Iterator[tuple[str, str, str]]:
        sources, targets, kind = found.sources, found.targets, found.type
        trigger = found.trigger
        if not sources:
            return
        if kind == "MOBILIZE" and len(sources) >= 2 and not targets:
            kind = "COOPERATE"
        if kind == "MOBILIZE" and found.destination and targets:
            kind = "AID"
        if not targets:
            if len(sources) >= 2 and kind in COOPERATIVE:
                for source in sources:
                    for other in sources:
                        yield source, other, kind
            elif kind == "MOBILIZE":
                for source in sources:
                    yield source, "", kind
            return
        if "inv" in trigger.flags and kind == "CONSULT":
            sources, targets = targets, sources
        for source in sources:
            for target in targets:
                yield source, target, kind
                if "sym" in trigger.flags:
                    yield target, source, kind

    def _mode(self, found: _Found, kind: str) -> str | None:
        if found.trigger.mode is not None and kind == found.trigger.type:
            return found.trigger.mode
        keys = set(self.keys)
        for words, mode in _MODES.get(kind, ()):
            if keys & words:
                return mode
        return None

