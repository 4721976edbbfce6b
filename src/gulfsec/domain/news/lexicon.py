"""The event lexicon: phrases that signal an event, read from ``data/events_en.tsv``.

Each line of the word list is a pattern of tokens ("{seize}" for a verb's forms, "a|b" for
either word, "*" for a short gap) with the PLOVER type it signals, a mode if the phrase gives
one, and flags telling the grammar (:mod:`gulfsec.domain.news.grammar`) how to find its source
and target. The file's header documents the flags.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files

__all__ = ["COOPERATIVE", "EVENT_TYPES", "FORCEFUL", "GAP", "Trigger", "inflect", "triggers"]

EVENT_TYPES = (
    "AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT", "REQUEST",
    "ACCUSE", "REJECT", "THREATEN", "PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT",
)  # fmt: skip
"""The 16 PLOVER event types, cooperative first."""
COOPERATIVE = frozenset({"AGREE", "CONSULT", "SUPPORT", "COOPERATE", "AID"})
FORCEFUL = frozenset({"ASSAULT", "COERCE"})
GAP = 5
"""How many tokens a "*" in a pattern may stand for."""

_IRREGULAR: dict[str, tuple[str, ...]] = {
    "meet": ("meets", "met", "meeting"),
    "hold": ("holds", "held", "holding"),
    "strike": ("strikes", "struck", "striking", "stricken"),
    "shoot": ("shoots", "shot", "shooting"),
    "send": ("sends", "sent", "sending"),
    "speak": ("speaks", "spoke", "spoken", "speaking"),
    "fly": ("flies", "flew", "flown", "flying"),
    "go": ("goes", "went", "gone", "going"),
    "pay": ("pays", "paid", "paying"),
    "withdraw": ("withdraws", "withdrew", "withdrawn", "withdrawing"),
    "take": ("takes", "took", "taken", "taking"),
    "break": ("breaks", "broke", "broken", "breaking"),
    "cut": ("cuts", "cut", "cutting"),
    "hit": ("hits", "hit", "hitting"),
    "set": ("sets", "set", "setting"),
    "put": ("puts", "put", "putting"),
    "bring": ("brings", "brought", "bringing"),
    "give": ("gives", "gave", "given", "giving"),
    "stand": ("stands", "stood", "standing"),
    "freeze": ("freezes", "froze", "frozen", "freezing"),
    "begin": ("begins", "began", "begun", "beginning"),
    "leave": ("leaves", "left", "leaving"),
    "quit": ("quits", "quit", "quitting"),
    "seek": ("seeks", "sought", "seeking"),
    "win": ("wins", "won", "winning"),
    "ban": ("bans", "banned", "banning"),
    "bar": ("bars", "barred", "barring"),
    "ship": ("ships", "shipped", "shipping"),
    "stop": ("stops", "stopped", "stopping"),
    "free": ("frees", "freed", "freeing"),
    "jail": ("jails", "jailed", "jailing"),
    "arm": ("arms", "armed", "arming"),
    "rally": ("rallies", "rallied", "rallying"),
    "ally": ("allies", "allied", "allying"),
    "deny": ("denies", "denied", "denying"),
    "supply": ("supplies", "supplied", "supplying"),
    "embargo": ("embargoes", "embargoed", "embargoing"),
    "target": ("targets", "targeted", "targeting"),
    "visit": ("visits", "visited", "visiting"),
    "travel": ("travels", "travelled", "traveled", "travelling", "traveling"),
    "shell": ("shells", "shelled", "shelling"),
    "expel": ("expels", "expelled", "expelling"),
    "control": ("controls", "controlled", "controlling"),
    "sever": ("severs", "severed", "severing"),
    "open": ("opens", "opened", "opening"),
    "reopen": ("reopens", "reopened", "reopening"),
    "label": ("labels", "labelled", "labeled", "labelling"),
    "cancel": ("cancels", "cancelled", "canceled", "cancelling", "canceling"),
}


def inflect(lemma: str) -> tuple[str, ...]:
    """A verb's forms: base, third person, past (and participle), gerund."""
    if lemma in _IRREGULAR:
        return (lemma, *_IRREGULAR[lemma])
    if lemma.endswith("ee"):
        return lemma, lemma + "s", lemma + "d", lemma + "ing"
    if lemma.endswith("e"):
        return lemma, lemma + "s", lemma + "d", lemma[:-1] + "ing"
    if lemma.endswith("y") and lemma[-2:-1] not in ("a", "e", "o", "u"):
        return lemma, lemma[:-1] + "ies", lemma[:-1] + "ied", lemma + "ing"
    if lemma.endswith(("s", "sh", "ch", "x", "z")):
        return lemma, lemma + "es", lemma + "ed", lemma + "ing"
    return lemma, lemma + "s", lemma + "ed", lemma + "ing"


@dataclass(frozen=True)
class Trigger:
    """One line of the lexicon: a pattern and the event it signals."""

    type: str
    mode: str | None
    flags: frozenset[str]
    elements: tuple[frozenset[str] | None, ...]
    """Each element is the set of keys a token may have, or ``None`` for a gap."""
    bare: frozenset[str]
    """The forms of its verbs that a noun may share: "attack", "targets", "talks"."""

    @property
    def noun(self) -> bool:
        return "noun" in self.flags


@cache
def triggers() -> dict[str, list[Trigger]]:
    """The triggers, indexed by the keys their first element accepts, longest first. Read
    once, on first use."""
    text = files("gulfsec.domain.news").joinpath("data", "events_en.tsv").read_text("utf-8")
    index: dict[str, list[Trigger]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        columns = line.split("\t")
        if len(columns) != 4:
            raise ValueError(f"events_en.tsv line {number}: {len(columns)} columns, not 4")
        kind, mode, flags, pattern = (c.strip() for c in columns)
        if kind != "-" and kind not in EVENT_TYPES:
            raise ValueError(f"events_en.tsv line {number}: unknown event type {kind!r}")
        elements: list[frozenset[str] | None] = []
        bare: set[str] = set()
        for element in pattern.split():
            if element == "*":
                elements.append(None)
                continue
            keys: set[str] = set()
            for alternative in element.split("|"):
                if alternative.startswith("{"):
                    forms = inflect(alternative.strip("{}"))
                    keys.update(forms)
                    bare.update(forms[:2])
                else:
                    keys.add(alternative)
            elements.append(frozenset(keys))
        trigger = Trigger(
            kind,
            None if mode == "-" else mode,
            frozenset() if flags == "-" else frozenset(flags.split(",")),
            tuple(elements),
            frozenset(bare),
        )
        first = elements[0]
        assert first is not None, f"events_en.tsv line {number}: starts with a gap"
        for key in first:
            index.setdefault(key, []).append(trigger)
    for triggers in index.values():
        triggers.sort(key=lambda t: -len(t.elements))
    return index
