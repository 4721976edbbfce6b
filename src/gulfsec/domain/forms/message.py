"""``message@1``: a consultation message between parties, at minister or expert level."""

from __future__ import annotations

from typing import Literal

from gulfsec.domain.forms import FormSpec
from gulfsec.domain.forms._types import Body, LongText, ShortText


class Message(Body):
    subject: ShortText
    text: LongText
    level: Literal["minister", "expert"] = "expert"


FORMS = (FormSpec("message@1", "Consultation message", Message,
                  "A message in a consultation between the parties in the audience.",
                  right="send", summary=lambda body: str(body["subject"])),)
