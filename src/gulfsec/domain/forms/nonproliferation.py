"""``nonproliferation-declaration@1``: a state's standing under the non-proliferation treaties.

Status under the NPT, the Chemical and Biological Weapons Conventions and the CTBT; whether an
IAEA safeguards agreement and an additional protocol are in force; and whether the state
supports a zone free of weapons of mass destruction in the Middle East. There is no deadline:
a state files a new declaration when its standing changes.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from gulfsec.domain.forms import FormSpec
from gulfsec.domain.forms._military import Day, Flag, MediumText
from gulfsec.domain.forms._types import Body
from gulfsec.i18n import N_

TreatyStatus = Literal["party", "signatory", "not-party"]


class Treaties(Body):
    npt: TreatyStatus = Field(
        title="NPT", description="Treaty on the Non-Proliferation of Nuclear Weapons."
    )
    cwc: TreatyStatus = Field(title="CWC", description="Chemical Weapons Convention.")
    bwc: TreatyStatus = Field(title="BWC", description="Biological Weapons Convention.")
    ctbt: TreatyStatus = Field(title="CTBT", description="Comprehensive Nuclear-Test-Ban Treaty.")


class NonproliferationDeclaration(Body):
    as_of: Day = Field(title="As of", description="The day the declaration describes.")
    treaties: Treaties = Field(
        title="Treaties", description="Party, signatory or not party, treaty by treaty."
    )
    iaea_safeguards_agreement: Flag = Field(
        title="IAEA safeguards agreement in force",
        description="Whether a safeguards agreement with the IAEA is in force.",
    )
    iaea_additional_protocol: Flag = Field(
        title="IAEA additional protocol in force",
        description="Whether an additional protocol to that agreement is in force.",
    )
    wmd_free_zone_support: Flag = Field(
        title="Supports a Middle East zone free of WMD",
        description="Whether the state supports a zone free of weapons of mass destruction.",
    )
    statement: MediumText | None = Field(
        default=None, title="Statement", description="The state's statement on the zone, if any."
    )

    @field_validator("iaea_additional_protocol")
    @classmethod
    def _protocol_needs_agreement(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("iaea_safeguards_agreement") is False:
            raise PydanticCustomError(
                "protocol_without_agreement",
                "an additional protocol cannot be in force without a safeguards agreement",
            )
        return value


FORMS = (
    FormSpec(
        "nonproliferation-declaration@1",
        "Non-proliferation declaration",
        NonproliferationDeclaration,
        "Status under the NPT, CWC, BWC and CTBT, IAEA safeguards, and support for a Middle "
        "East zone free of weapons of mass destruction.",
        right="send",
        summary=lambda body: N_("non-proliferation commitments as of {as_of}").format(
            as_of=body["as_of"]),
    ),
)
