"""``concept``: a new version of the Concept of collective security, in full.

The Concept is a living document of numbered sections. A draft of this kind carries the whole
text of the version it proposes; once adopted it is the current version (the versions are
numbered in the order they were adopted: :mod:`gulfsec.domain.procedures.concept`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from gulfsec.domain.forms._types import Body, LongText, ShortText
from gulfsec.domain.procedures.kinds import DecisionKind
from gulfsec.i18n import N_

SectionNumber = Annotated[
    str, StringConstraints(pattern=r"^[1-9][0-9]{0,2}(\.[1-9][0-9]{0,2}){0,3}$")]
"""``1``, ``2.3``, ``4.1.2``: a section's number."""


class Section(Body):
    number: SectionNumber = Field(title="Number", description="The section's number: 1, 2.3, …")
    title: ShortText = Field(title="Title")
    text: LongText = Field(title="Text")


class ConceptVersion(Body):
    sections: list[Section] = Field(min_length=1, max_length=200, title="Sections",
                                    description="The whole text of the version, section by "
                                                "section, in order.")

    @field_validator("sections")
    @classmethod
    def _numbers_unique(cls, sections: list[Section]) -> list[Section]:
        seen: set[str] = set()
        for section in sections:
            if section.number in seen:
                raise PydanticCustomError("duplicate", "section {number} is listed twice",
                                          {"number": section.number})
            seen.add(section.number)
        return sections


def _summary(content: Mapping[str, Any]) -> str:
    count = len(content["sections"])
    return f"a new version of the Concept ({count} section{'s' * (count != 1)})"


KINDS = (DecisionKind("concept", N_("New version of the Concept"), ConceptVersion,
                      N_("The full text of a new version of the Concept of collective "
                         "security."),
                      summary=_summary),)
