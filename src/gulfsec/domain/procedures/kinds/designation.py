"""``designation`` and ``delisting``: the counter-terrorism designation list.

A participant proposes designating an entity — its name, its aliases in several scripts, its
type, the grounds and references — and the list holds it once the draft is adopted. Delisting
names the adopted designation it ends. Both are decided by consensus only: a list of terrorist
groups is exactly what the parties could not agree by anything less
(:mod:`gulfsec.domain.procedures.designations` folds them into the list).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from gulfsec.domain.forms._types import Body, EntryIdHex, MediumText, ShortText
from gulfsec.domain.procedures.kinds import DecisionKind
from gulfsec.i18n import N_

Script = Annotated[str, StringConstraints(pattern=r"^[A-Z][a-z]{3}$")]
"""An ISO 15924 script code: ``Latn``, ``Arab``, ``Cyrl``, ``Hans``…"""
EntityType = Literal["organisation", "individual", "vessel", "other"]


class Alias(Body):
    name: ShortText = Field(title="Name")
    script: Script = Field(title="Script", description="ISO 15924 code: Latn, Arab, Cyrl, Hans…")


class Designation(Body):
    name: ShortText = Field(title="Name", description="The entity's name, in Latin script.")
    aliases: list[Alias] = Field(default_factory=list, max_length=50, title="Aliases",
                                 description="Other names, each with its script.")
    entity_type: EntityType = Field(title="Type")
    grounds: MediumText = Field(title="Grounds", description="Why it is designated.")
    references: list[ShortText] = Field(default_factory=list, max_length=20,
                                        title="References",
                                        description="UN resolutions, court rulings, reports.")


class Delisting(Body):
    designation: EntryIdHex = Field(title="Designation",
                                    description="The draft decision that designated the entity.")
    grounds: MediumText = Field(title="Grounds", description="Why it is delisted.")


KINDS = (
    DecisionKind("designation", N_("Designation of a terrorist entity"), Designation,
                 N_("Adds an entity to the counter-terrorism designation list."),
                 summary=lambda c: f"designates {c['name']}", procedures=("consensus",)),
    DecisionKind("delisting", N_("Delisting of a designated entity"), Delisting,
                 N_("Removes an entity from the counter-terrorism designation list."),
                 summary=lambda c: "delists a designated entity", procedures=("consensus",)),
)


def designation_of(content: Mapping[str, Any]) -> Designation:
    return Designation.model_validate(dict(content))
