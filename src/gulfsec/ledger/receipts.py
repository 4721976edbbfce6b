"""Signed receipts: the hub's answer to a submission, read as a promise.

The hub answers a submission once its entry is durably sequenced, and the answer is signed by
the log key (:mod:`gulfsec.ledger.answers`). Read as a receipt, it says: entry ``entry_id`` is
at ``index``, in the checkpoint of ``checkpoint_size``, and a checkpoint that includes it is
published by ``promised_by`` (the regime's maximum merge delay after the answer). Either fact
can be held against the hub: a signed checkpoint of a larger tree whose leaf at ``index`` is
another entry, or a signed answer given after ``promised_by`` whose checkpoint does not reach
``index``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from gulfsec.domain.encoding import JSONError, parse_json, parse_time
from gulfsec.errors import AnswerSignatureError
from gulfsec.ledger.answers import SignedAnswer

RECEIPT_TARGETS = ("/v1/entries",)
_ENTRY_ID = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Receipt:
    entry_id: str
    index: int
    checkpoint_size: int
    promised_by: datetime
    duplicate: bool
    answer: SignedAnswer


def read_receipt(answer: SignedAnswer) -> Receipt:
    """The receipt a signed answer to ``POST /v1/entries`` holds; AnswerSignatureError (a
    LogVerificationError) if it is no receipt."""
    if answer.method != "POST" or answer.target not in RECEIPT_TARGETS or answer.status not in (
            200, 201):
        raise AnswerSignatureError(f"the answer to {answer.method} {answer.target} "
                                   f"({answer.status}) is not a receipt")
    try:
        body = parse_json(answer.body)
        entry_id, index = body["entry_id"], body["index"]
        size, promised = body["checkpoint_size"], body["promised_by"]
        duplicate = body.get("duplicate", False)
        if not (isinstance(entry_id, str) and _ENTRY_ID.fullmatch(entry_id)
                and type(index) is int and type(size) is int and isinstance(promised, str)
                and isinstance(duplicate, bool) and 0 <= index):
            raise ValueError("fields of the wrong type")
        return Receipt(entry_id, index, size, parse_time(promised), duplicate, answer)
    except (JSONError, KeyError, TypeError, ValueError) as exc:
        raise AnswerSignatureError(f"the hub's receipt is malformed: {exc}") from None
