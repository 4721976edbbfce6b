"""Consultations: a thread between named parties or a format, at a level, and its replies.

``thread@1`` opens a thread: its audience is the thread's parties (or ``all``); ``reply@1``
answers it, addressed to the same parties (every one of them but the replier), so that only the
thread's parties read it. Either may carry files (a note verbale, a working paper) by their
SHA-256 (:class:`~._types.Attachment`).
"""

from __future__ import annotations

from pydantic import Field

from gulfsec.domain.forms import FormSpec
from gulfsec.domain.forms._summary import Words, line
from gulfsec.domain.forms._types import (
    Attachments,
    Body,
    EntryIdHex,
    Level,
    LongText,
    ShortText,
)
from gulfsec.domain.forms.decisions import FormatName
from gulfsec.i18n import N_

THREAD = "thread@1"
REPLY = "reply@1"


class Thread(Body):
    subject: ShortText = Field(title="Subject")
    level: Level = Field(default="expert", title="Level",
                         description="head-of-state, minister, senior-official, expert or "
                                     "scholar (track two).")
    format: FormatName | None = Field(default=None, title="Format",
                                      description="The format the thread is held in (gcc, "
                                                  "p5+1+iran, …), if not a named list.")
    text: LongText = Field(title="Text")
    attachments: Attachments


class Reply(Body):
    thread: EntryIdHex = Field(title="Thread")
    text: LongText = Field(title="Text")
    attachments: Attachments



FORMS = (
    FormSpec(THREAD, "Consultation thread", Thread,
             "Opens a consultation between the parties in the audience, at a level.",
             right="send", composed=False,
             summary=lambda body: line(N_("{subject} ({level})"), subject=body["subject"],
                                       level=Words((str(body.get("level", "expert")),)))),
    FormSpec(REPLY, "Reply in a consultation", Reply,
             "A reply in a consultation thread, to every party of the thread.",
             right="send", composed=False, refs=("thread",),
             summary=lambda body: str(body["text"]).split("\n", 1)[0]),
)
