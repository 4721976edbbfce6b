"""Words for the codes the pages show: a level of representation, an activity's type, a unit's
kind, an incident's events, an account's role, a participant's status in the default regime.

Each code's English words are marked here for the catalogs; the pages translate them where they
show them, with the ``term`` filter (:func:`term`). A code this table lacks is shown as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from gulfsec import i18n as words
from gulfsec.domain.forms.risk import EVENT_WORDS
from gulfsec.i18n import N_
from gulfsec.web.decisions import PROCEDURE_WORDS
from gulfsec.web.decisions import STATUS_WORDS as STATUS_WORDS_OF_DECISIONS

LEVEL_WORDS: Final[Mapping[str, str]] = {
    "head-of-state": N_("head of state or government"),
    "minister": N_("minister"),
    "senior-official": N_("senior official"),
    "expert": N_("expert"),
    "scholar": N_("scholar (track two)"),
}
ACTIVITY_WORDS: Final[Mapping[str, str]] = {
    "land": N_("land"), "naval": N_("naval"), "air": N_("air"), "missile": N_("missile"),
    "other": N_("other"),
}
UNIT_WORDS: Final[Mapping[str, str]] = {
    "ship": N_("ship"), "submarine": N_("submarine"), "boat": N_("boat"),
    "aircraft": N_("aircraft"), "drone": N_("drone"), "other": N_("other"),
}
EVENT_TERMS: Final[Mapping[str, str]] = {
    "simulated-attack": N_("simulated attack"),
    "weapons-aimed": N_("weapons aimed"),
    "fire-control-radar": N_("fire-control radar"),
    "laser-illumination": N_("laser illumination"),
    "unsafe-manoeuvre": N_("unsafe manoeuvre"),
    "objects-dropped-or-launched": N_("objects dropped or launched"),
    "seizure-or-boarding": N_("seizure or boarding"),
    "collision": N_("collision"),
    "shoot-down": N_("shoot-down"),
    "other": N_("other"),
}
"""An incident's events, in the words of :data:`gulfsec.domain.forms.risk.EVENT_WORDS` (a test
keeps the two the same)."""
ROLE_WORDS: Final[Mapping[str, str]] = {
    "officer": N_("officer"), "viewer": N_("viewer"), "secretariat": N_("secretariat"),
}
STATUS_WORDS: Final[Mapping[str, str]] = {
    "participating state": N_("participating state"),
    "associated state": N_("associated state"),
    "observer organisation": N_("observer organisation"),
}
"""The statuses of the default regime, by the names it gives them."""
FORMAT_WORDS: Final[Mapping[str, str]] = {
    # TRANSLATORS: the name of a format of the regime: the group of participants that decides.
    "all": N_("all participants"),
    # TRANSLATORS: a format of the regime: the eight states of the region.
    "regional": N_("regional states"),
    # TRANSLATORS: a format of the regime: the six states of the Gulf Cooperation Council.
    "gcc": N_("GCC states"),
    # TRANSLATORS: a format of the regime: the five permanent members of the Security Council.
    "p5": N_("P5"),
    # TRANSLATORS: a format of the regime: the P5 and Germany.
    "p5+1": N_("P5+1"),
    # TRANSLATORS: a format of the regime: the P5, Germany and Iran.
    "p5+1+iran": N_("P5+1 and Iran"),
}
"""The formats of the default regime, by their ids (``all``: every participant); a regime's
own formats the table lacks are shown by their ids."""
ENTITY_WORDS: Final[Mapping[str, str]] = {
    "organisation": N_("organisation"), "individual": N_("individual"),
    "vessel": N_("vessel"), "other": N_("other"),
}
"""The types of an entity on the designation list."""
DECISION_WORDS: Final[Mapping[str, str]] = {**STATUS_WORDS_OF_DECISIONS, **PROCEDURE_WORDS}
"""A decision's status and outcome (``adopted``, ``not-adopted``…) and its procedure."""
ACTION_WORDS: Final[Mapping[str, str]] = {
    # TRANSLATORS: an event in the history of the designation list: an entity was put on it.
    "designated": N_("designated"),
    # TRANSLATORS: an event in the history of the designation list: an entity was taken off it.
    "delisted": N_("delisted"),
}
"""The events in the history of the designation list, by their actions
(:class:`gulfsec.domain.procedures.designations.Event`)."""

TERMS: Final[Mapping[str, str]] = {
    **LEVEL_WORDS, **ACTIVITY_WORDS, **UNIT_WORDS, **ROLE_WORDS, **STATUS_WORDS,
    **{EVENT_WORDS.get(code, code): text for code, text in EVENT_TERMS.items()},
    **EVENT_TERMS, **FORMAT_WORDS, **ENTITY_WORDS, **DECISION_WORDS, **ACTION_WORDS,
}


def term(code: object) -> str:
    """``code`` in words, in the language in force (itself when it has none)."""
    text = str(code)
    found = TERMS.get(text)
    return text if found is None else words.gettext(found)
