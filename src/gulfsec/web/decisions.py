"""What the decision pages of a node and of the hub share: one draft as a page shows it.

A node judges its drafts from its own verified copy (``node.decisions``), the hub from its log
as one viewer may read it (``HubSite.decisions``); both give a
:class:`~gulfsec.domain.procedures.decisions.Decision`. :func:`draft_view` turns one into what
the templates need — the words for its status and each step, whether each step counts and why,
the members who have not responded, the time left to closing — and :func:`concept_pair` reads
which two versions of the Concept to compare. Nothing here decides anything: the rules are the
domain's (:mod:`gulfsec.domain.procedures.decisions`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from gulfsec.domain.procedures import concept
from gulfsec.domain.procedures.decisions import Decision, Step
from gulfsec.domain.procedures.kinds import registry as kinds
from gulfsec.i18n import N_, _, format_moment, ngettext

STATUS_WORDS: Final[Mapping[str, str]] = {
    "open": N_("open"),
    "adopted": N_("adopted"),
    "not-adopted": N_("not adopted"),
    "withdrawn": N_("withdrawn"),
    "replaced": N_("replaced"),
}
STATUS_BADGES: Final[Mapping[str, str]] = {
    "open": "state-pending",
    "adopted": "state-final",
    "not-adopted": "state-overdue",
    "withdrawn": "health-unregistered",
    "replaced": "health-unregistered",
}
"""The badge class of each status (the pages' existing colours: green, amber, red, grey)."""
STEP_WORDS: Final[Mapping[str, str]] = {
    "join": N_("joins"),
    "stand-aside": N_("stands aside"),
    "object": N_("objects"),
    "amend": N_("proposes an amendment"),
    "withdraw": N_("withdraws the draft"),
    "revise": N_("issues a revised draft"),
    "outcome": N_("states the outcome"),
}
PROCEDURE_WORDS: Final[Mapping[str, str]] = {
    "consensus": N_("consensus"),
    "silence": N_("silence procedure"),
}
ENTITY_TYPES: Final[tuple[str, ...]] = ("organisation", "individual", "vessel", "other")


def kind_title(name: str) -> str:
    """The kind of decision ``name`` in words, in the language in force (the name itself for a
    kind this gulfsec does not know)."""
    found = kinds().get(name)
    return name if found is None else _(found.title)


def time_left(until: datetime, now: datetime) -> str:
    """How long until ``until``, in words a person reads at a glance: ``2 days 3 hours``,
    ``4 hours 10 minutes``, ``12 minutes``, ``40 seconds``; ``closed`` once it has passed."""
    seconds = int((until - now).total_seconds())
    if seconds <= 0:
        return _("closed")
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return _join(_unit(days, "day"), _unit(hours, "hour"))
    if hours:
        return _join(_unit(hours, "hour"), _unit(minutes, "minute"))
    if minutes:
        return _unit(minutes, "minute")
    return _unit(secs, "second")


def _unit(count: int, name: str) -> str:
    if count == 0:
        return ""
    if name == "day":
        words = ngettext("%(n)s day", "%(n)s days", count)
    elif name == "hour":
        words = ngettext("%(n)s hour", "%(n)s hours", count)
    elif name == "minute":
        words = ngettext("%(n)s minute", "%(n)s minutes", count)
    else:
        words = ngettext("%(n)s second", "%(n)s seconds", count)
    return words % {"n": count}


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class StepView:
    step: Step
    words: str
    standing: str
    """``counts``, ``pending`` (not final yet) or ``late`` (final after closing); ``chair``
    for the chair's outcome, which is checked rather than counted."""
    standing_words: str


@dataclass(frozen=True)
class DraftView:
    """One draft as a page shows it, at ``now``."""

    decision: Decision
    now: datetime
    kind_title: str
    status_words: str
    badge: str
    procedure_words: str
    left: str
    closed: bool
    members: list[tuple[str, StepView | None]]
    """Each member and the position of its that counts (None: none yet)."""
    steps: list[StepView]
    amendments: list[StepView]
    breaking: list[StepView]

    @property
    def waiting_for(self) -> tuple[str, ...]:
        return self.decision.waiting_for

    @property
    def chair_agrees(self) -> bool:
        d = self.decision
        return d.chair is not None and d.decided and d.contradiction is None


def step_view(step: Step) -> StepView:
    when = "" if step.final_at is None else format_moment(step.final_at)
    if step.kind == "outcome":
        standing, words = "chair", _("checked against the positions")
    elif step.counts:
        standing, words = "counts", (_("counts (final at %(at)s, by the closing time)")
                                     % {"at": when})
    elif step.final_at is None:
        standing, words = ("pending", _("not final yet: it counts only if it becomes final by "
                                        "the closing time"))
    else:
        standing, words = "late", (_("does not count: final at %(at)s, after the closing time")
                                   % {"at": when})
    return StepView(step, _(STEP_WORDS.get(step.kind, step.kind)), standing, words)


def draft_view(decision: Decision, now: datetime) -> DraftView:
    steps = [step_view(s) for s in decision.steps]
    by_id = {v.step.entry_id: v for v in steps}
    members = [(m, None if m not in decision.positions
                else by_id.get(decision.positions[m].entry_id,
                               step_view(decision.positions[m])))
               for m in decision.members]
    return DraftView(
        decision, now, kind_title(decision.kind),
        _(STATUS_WORDS.get(decision.status, decision.status)),
        STATUS_BADGES.get(decision.status, "state-pending"),
        _(PROCEDURE_WORDS.get(decision.procedure, decision.procedure)),
        time_left(decision.closes_at, now), now >= decision.closes_at, members, steps,
        [v for v in steps if v.step.kind == "amend"],
        [by_id[i] for i in decision.breaking if i in by_id])


def last_step_of(decision: Decision, party: str) -> Step | None:
    """The last position or amendment ``party`` took on the draft, counted or not yet."""
    found = [s for s in decision.steps if s.party == party
             and s.kind in ("join", "stand-aside", "object", "amend")]
    return found[-1] if found else None


# -- the Concept ---------------------------------------------------------------------------------


def version_number(text: str | None) -> int | None:
    """A version number from a query string; None when it is not one."""
    if text is None or not re.fullmatch(r"[1-9][0-9]{0,5}", text.strip()):
        return None
    return int(text.strip())


@dataclass(frozen=True)
class ConceptComparison:
    versions: Sequence[concept.Version]
    old: concept.Version | None
    new: concept.Version | None
    changes: list[concept.SectionChange]
    problem: str | None = None


def concept_pair(versions: Sequence[concept.Version], a: str | None,
                 b: str | None) -> ConceptComparison:
    """Versions ``a`` and ``b`` (by number) and what changed from one to the other; the last
    two versions when not given; a problem in words when a number names no version."""
    if len(versions) < 2:
        return ConceptComparison(versions, None, None, [],
                                 _("There is nothing to compare until two versions of the "
                                   "Concept have been adopted."))
    old_n = version_number(a) if a else len(versions) - 1
    new_n = version_number(b) if b else len(versions)
    problems = [_("there is no version %(version)s") % {"version": repr(text)}
                for text, n in ((a, old_n), (b, new_n))
                if n is None or not 1 <= n <= len(versions)]
    if problems:
        return ConceptComparison(versions, None, None, [],
                                 "; ".join(problems).capitalize() + " "
                                 + _("(versions 1 to %(last)s).") % {"last": len(versions)})
    assert old_n is not None and new_n is not None
    old, new = versions[old_n - 1], versions[new_n - 1]
    return ConceptComparison(versions, old, new, concept.diff(old, new))
