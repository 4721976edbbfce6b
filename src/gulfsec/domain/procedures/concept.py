"""The Concept of collective security as a living document: its versions and what changed.

Version *n* is the *n*-th adopted draft decision of kind ``concept``, in the order they were
decided (closing time, then log order). Each version is the whole text, section by section;
:func:`diff` compares two versions section by section (by section number).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from gulfsec.domain.encoding import format_time
from gulfsec.domain.procedures.decisions import Decision

KIND = "concept"


@dataclass(frozen=True)
class Section:
    number: str
    title: str
    text: str


@dataclass(frozen=True)
class Version:
    number: int
    decision: Decision
    sections: tuple[Section, ...]

    @property
    def proposer(self) -> str:
        return self.decision.proposer

    def to_json(self) -> dict[str, Any]:
        return {"version": self.number, "title": self.decision.title,
                "proposer": self.proposer, "decision": self.decision.id,
                "adopted_at": format_time(self.decision.closes_at),
                "procedure": self.decision.procedure,
                "sections": [{"number": s.number, "title": s.title, "text": s.text}
                             for s in self.sections]}


def versions(decisions: Iterable[Decision]) -> list[Version]:
    """The Concept's versions, oldest first (version 1 first)."""
    adopted = sorted((d for d in decisions if d.kind == KIND and d.status == "adopted"),
                     key=lambda d: (d.closes_at, d.index))
    return [Version(n, d, _sections(d.content)) for n, d in enumerate(adopted, start=1)]


def _sections(content: Mapping[str, Any]) -> tuple[Section, ...]:
    return tuple(Section(str(s["number"]), str(s["title"]), str(s["text"]))
                 for s in content.get("sections", []))


def _number_key(number: str) -> tuple[int, ...]:
    return tuple(int(part) for part in number.split("."))


@dataclass(frozen=True)
class SectionChange:
    number: str
    change: Literal["added", "removed", "changed", "unchanged"]
    old: Section | None
    new: Section | None
    diff: tuple[str, ...]
    """Unified diff lines of the section's title and text (empty when unchanged)."""

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "change": self.change,
                "old_title": None if self.old is None else self.old.title,
                "new_title": None if self.new is None else self.new.title,
                "diff": list(self.diff)}


def diff(old: Version, new: Version) -> list[SectionChange]:
    """Section by section, in section-number order: what changed from ``old`` to ``new``."""
    before = {s.number: s for s in old.sections}
    after = {s.number: s for s in new.sections}
    out: list[SectionChange] = []
    for number in sorted({*before, *after}, key=_number_key):
        a, b = before.get(number), after.get(number)
        if a == b:
            out.append(SectionChange(number, "unchanged", a, b, ()))
            continue
        change: Literal["added", "removed", "changed"] = (
            "added" if a is None else "removed" if b is None else "changed")
        lines = tuple(difflib.unified_diff(
            _lines(a), _lines(b), fromfile=f"version {old.number} § {number}",
            tofile=f"version {new.number} § {number}", lineterm=""))
        out.append(SectionChange(number, change, a, b, lines))
    return out


def _lines(section: Section | None) -> list[str]:
    if section is None:
        return []
    return [f"# {section.title}", *section.text.splitlines()]
