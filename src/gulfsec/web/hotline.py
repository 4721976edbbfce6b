"""What the hotline pages of a node and of the hub share: a message and a line as a page shows
them, in words.

A node's conversation comes from ``node.hotline.conversation()`` (what it sealed and what it
opened, each message sent with each recipient's receipt), the secretariat's lines and messages
from its end of the hotline in the hub (``SecretariatHotline.line_health()`` and
``.messages()``); both are plain dicts with times as RFC 3339 strings. The functions here turn
them into what the templates need — the priority as the word a duty officer expects, each
receipt as a sentence, times as datetimes — and decide nothing: the deadlines are the domain's
(:mod:`gulfsec.domain.procedures.hotline`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from gulfsec.domain.encoding import parse_time
from gulfsec.i18n import N_, _
from gulfsec.web.site import when

PRIORITY_WORDS: Final[Mapping[str, str]] = {
    "flash": N_("FLASH"),
    "immediate": N_("IMMEDIATE"),
    "routine": N_("ROUTINE"),
}
"""Military precedence, as written on a signal: capitals, flash first."""
UNKNOWN_PRIORITY: Final = N_("UNKNOWN PRIORITY")
LINE_WORDS: Final[Mapping[str, str]] = {
    "alarm": N_("ALARM: the line failed"),
    "waiting": N_("waiting for a receipt, not yet due"),
    "ok": N_("line up"),
    "no-key": N_("not on the line: no encryption key registered"),
}
LINE_BADGES: Final[Mapping[str, str]] = {
    "alarm": "state-overdue",
    "waiting": "state-pending",
    "ok": "state-final",
    "no-key": "health-unregistered",
}
LINE_ORDER: Final[Mapping[str, int]] = {"alarm": 0, "waiting": 1, "ok": 2, "no-key": 3}
"""Lines in alarm first: they are what the secretariat must act on."""
RECEIPT_BADGES: Final[Mapping[str, str]] = {
    "received": "state-final",
    "late": "state-overdue",
    "waiting": "state-pending",
    "overdue": "state-overdue",
    "refused": "state-overdue",
}


def moment(text: str | None) -> datetime | None:
    """An RFC 3339 time from the hotline's dicts, or None."""
    return None if not text else parse_time(text)


@dataclass(frozen=True)
class Receipt:
    """One recipient's receipt of a message sent: its state (a badge class) and a sentence."""

    party: str
    state: str
    words: str

    @property
    def badge(self) -> str:
        return RECEIPT_BADGES.get(self.state, "state-pending")


def receipt_words(state: str, due: datetime | None, at: datetime | None, late: bool,
                  within_minutes: int) -> str:
    """A recipient's receipt in words: received at …, waiting (due by …), overdue — no
    receipt."""
    if state == "received":
        said = _("received at %(at)s") % {"at": when(at)} if at is not None else _("received")
        return (_("%(received)s, late: it was due by %(due)s")
                % {"received": said, "due": when(due)}) if late else said
    if state == "overdue":
        return _("overdue — no receipt (it was due by %(due)s)") % {"due": when(due)}
    if due is None:
        return (_("waiting (the hub has not sequenced the message yet: a receipt is due "
                  "%(minutes)s minutes after it does)") % {"minutes": within_minutes})
    return _("waiting (due by %(due)s)") % {"due": when(due)}


@dataclass(frozen=True)
class HotlineShown:
    """A message of the conversation as the node's page shows it."""

    entry_id: str
    index: int | None
    direction: str
    """``sent`` or ``received``."""
    sender: str
    recipients: tuple[str, ...]
    priority: str | None
    """``flash``, ``immediate``, ``routine``; None for a message that would not open."""
    kind: str | None
    text: str | None
    sent_at: datetime | None
    sequenced_at: datetime | None
    receipts: tuple[Receipt, ...]
    """Each recipient's receipt (a message sent)."""
    refused: str | None
    """Why the hub refused it (a message sent)."""
    problem: str | None
    """Why it would not open (a message received)."""
    receipt_sent: bool
    """This node answered it with a receipt (a message received)."""
    unread: bool = False

    @property
    def anchor(self) -> str:
        return f"message-{self.entry_id[:12]}"

    @property
    def priority_words(self) -> str:
        return _(PRIORITY_WORDS.get(self.priority or "", UNKNOWN_PRIORITY))

    @property
    def flash(self) -> bool:
        return self.priority == "flash"

    @property
    def test(self) -> bool:
        return self.kind == "test"


def message_shown(said: Mapping[str, Any], *, within_minutes: int, seen: int = -1,
                  party: str = "") -> HotlineShown:
    """One message of ``NodeHotline.conversation()`` for the page; ``seen``: the log index of
    the last received message the reader has seen (a later one is unread)."""
    sent = said["direction"] == "sent"
    receipts: list[Receipt] = []
    if sent:
        for who, r in sorted(said.get("receipts", {}).items()):
            due, at = moment(r.get("due")), moment(r.get("at"))
            state = "late" if r["state"] == "received" and r.get("late") else r["state"]
            receipts.append(Receipt(who, state, receipt_words(
                r["state"], due, at, bool(r.get("late")), within_minutes)))
        if said.get("refused"):
            receipts = [Receipt(p, "refused", _("not delivered: the hub refused the message"))
                        for p in said.get("to", [])]
    index = said.get("index")
    unread = (not sent and said.get("kind") != "test" and index is not None and index > seen
              and said.get("from") != party)
    return HotlineShown(
        entry_id=str(said["entry_id"]), index=index, direction=str(said["direction"]),
        sender=str(said["from"]), recipients=tuple(said.get("to", ())),
        priority=said.get("priority"), kind=said.get("kind"), text=said.get("text"),
        sent_at=moment(said.get("sent_at")), sequenced_at=moment(said.get("sequenced_at")),
        receipts=tuple(receipts), refused=said.get("refused"), problem=said.get("problem"),
        receipt_sent=bool(said.get("receipt_sent")), unread=unread)


@dataclass(frozen=True)
class LineShown:
    """One participant's line with the secretariat, as the secretariat's page shows it."""

    line: Mapping[str, Any]

    @property
    def party(self) -> str:
        return str(self.line["party"])

    @property
    def status(self) -> str:
        return str(self.line["status"])

    @property
    def words(self) -> str:
        return _(LINE_WORDS.get(self.status, self.status))

    @property
    def badge(self) -> str:
        return LINE_BADGES.get(self.status, "state-pending")

    @property
    def alarm(self) -> bool:
        return self.status == "alarm"

    @property
    def test_sent(self) -> datetime | None:
        return moment(self.line.get("last_test_sent"))

    @property
    def test_received(self) -> datetime | None:
        return moment(self.line.get("last_test_received"))

    @property
    def receipt_words(self) -> str:
        """The receipt of the secretariat's last test to the party, in words."""
        state = self.line.get("receipt")
        if state is None:
            return _("no test sent yet")
        at = moment(self.line.get("receipt_at"))
        if state == "received":
            return _("received at %(at)s") % {"at": when(at)} if at is not None else _("received")
        if state == "overdue":
            return _("overdue — no receipt")
        return _("waiting (not yet due)")

    @property
    def receipt_sent_words(self) -> str:
        """Whether the secretariat answered the party's last test."""
        answered = self.line.get("receipt_sent")
        if answered is None:
            return _("no test received yet")
        return _("receipt sent") if answered else _("no receipt sent")


def lines_shown(lines: list[dict[str, Any]]) -> list[LineShown]:
    """Each line, those in alarm first, then in the regime's order."""
    shown = [LineShown(line) for line in lines]
    return sorted(shown, key=lambda s: LINE_ORDER.get(s.status, len(LINE_ORDER)))
