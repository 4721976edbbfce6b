"""E-mail notifications for a node's delegates: what may be asked for, and what a mail says.

Pure: addresses are checked here, and each mail's subject and body are written here from
values, in the language in force (render them inside :func:`gulfsec.i18n.use`).

A mail says WHAT arrived and links to the page where a signed-in delegate reads it; it never
carries what an entry or a hotline message says (its subject, text or any field of its body):
an e-mail crosses servers the regime does not control. What a mail may name: the sender, the
form's title, the log index, times, an alarm's kind, and the link.

The three kinds a delegate may ask for:

- ``entries``: an entry arrived for the party (verified by the node), except those that are
  only the log's machinery (:data:`QUIET_FORMS`: acknowledgements, keys, the hotline's
  sealed messages and receipts — a hotline message has a mail of its own);
- ``due``: something the party owes falls due within :data:`DUE_SOON`, once per obligation:
  an acknowledgement (:func:`due_mail`), a report or a reply the regime's commitments require
  (:func:`owed_mail`, as the compliance engine finds it open), or a draft decision closing on
  which the party, a member, has taken no position yet (:func:`closing_mail`);
- ``alarms``: at once, for an alarm the node raised and a hotline message received.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from gulfsec.i18n import LANGUAGES, N_, format_moment, gettext

__all__ = ["DUE_SOON", "MAX_ADDRESS", "QUIET_FORMS", "Written", "address_problem",
           "alarm_mail", "closing_mail", "due_mail", "entry_mail", "hotline_mail",
           "language_problem", "owed_mail"]

MAX_ADDRESS: Final = 254
DUE_SOON: Final = timedelta(hours=24)
"""How long before something the party owes falls due a delegate is told of it."""
QUIET_FORMS: Final = frozenset({"acknowledgement@1", "encryption-key@1", "hotline@1",
                                "hotline-receipt@1", "key-registration@1", "key-revocation@1",
                                "key-rotation@1"})
"""Forms whose arrival is no news to a delegate (the log's machinery, or told otherwise)."""

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}")


def address_problem(address: str) -> str | None:
    """Why ``address`` is not an e-mail address we send to (None: it is one), in the language
    in force. Strict and simple: ASCII ``local@domain.tld``, a dot-atom local part of at most
    64 characters, a domain of labels, 254 characters in all."""
    if not address:
        return gettext(N_("Give an e-mail address."))
    if len(address) > MAX_ADDRESS:
        return gettext(N_("An e-mail address has at most 254 characters."))
    if not _ADDRESS.fullmatch(address):
        return gettext(N_("This is not an e-mail address: write it as name@ministry.example, "
                          "without spaces, quotes or angle brackets."))
    if len(address.partition("@")[0]) > 64:
        return gettext(N_("The part of an e-mail address before the @ has at most 64 "
                          "characters."))
    return None


def language_problem(code: str) -> str | None:
    if code not in LANGUAGES:
        return gettext(N_("Choose one of the languages offered."))
    return None


@dataclass(frozen=True)
class Written:
    subject: str
    body: str


def _link(base: str, path: str) -> str:
    return base.rstrip("/") + path


def _footer(base: str) -> str:
    return "\n\n-- \n" + gettext(N_(
        "You asked your node to tell you this by e-mail. To change what you are told, or "
        "to stop it, sign in and open %(link)s")) % {"link": _link(base, "/settings/notifications")}


def entry_mail(*, party: str, sender: str, sender_name: str, form_title: str, index: int,
               entry_id: str, at: datetime, base: str) -> Written:
    """An entry arrived for ``party``: who sent it, its form, its log index, when, the link."""
    values = {"party": party, "sender": sender, "name": sender_name, "form": form_title,
              "index": index, "at": format_moment(at),
              "link": _link(base, f"/entries/{entry_id}")}
    subject = gettext(N_("gulfsec %(party)s: new entry from %(sender)s (%(form)s)")) % values
    body = gettext(N_(
        "%(name)s (%(sender)s) sent an entry to %(party)s: %(form)s.\n"
        "\n"
        "Log index: %(index)s\n"
        "Sequenced: %(at)s\n"
        "\n"
        "Read it on your node's pages (sign in first):\n"
        "%(link)s\n"
        "\n"
        "This e-mail only says that the entry arrived; what it says is on the node's pages.")
    ) % values
    return Written(subject, body + _footer(base))


def due_mail(*, party: str, sender: str, sender_name: str, form_title: str, index: int,
             entry_id: str, due: datetime, base: str) -> Written:
    """An acknowledgement ``party`` owes falls due soon."""
    values = {"party": party, "sender": sender, "name": sender_name, "form": form_title,
              "index": index, "due": format_moment(due),
              "link": _link(base, f"/entries/{entry_id}")}
    subject = gettext(N_("gulfsec %(party)s: acknowledgement due by %(due)s")) % values
    body = gettext(N_(
        "%(party)s owes an acknowledgement of an entry from %(name)s (%(sender)s), and it is "
        "due by %(due)s.\n"
        "\n"
        "Form: %(form)s\n"
        "Log index: %(index)s\n"
        "\n"
        "The entry, and whether it is acknowledged yet:\n"
        "%(link)s")) % values
    return Written(subject, body + _footer(base))


def owed_mail(*, party: str, obligation: str, due: datetime, path: str, base: str,
              year: int | None = None, index: int | None = None,
              form_title: str | None = None) -> Written:
    """Something else ``party`` owes falls due soon (a report, a reply): ``obligation`` is
    what the regime's commitment is called (translated), ``path`` the page to open; with
    ``index`` and ``form_title``, the entry it concerns (never what it says), else with
    ``year``, the year it is for."""
    values = {"party": party, "obligation": obligation, "due": format_moment(due),
              "year": year, "index": index, "form": form_title, "link": _link(base, path)}
    subject = gettext(N_("gulfsec %(party)s: due by %(due)s: %(obligation)s")) % values
    if index is not None and form_title is not None:
        body = gettext(N_(
            "%(party)s owes this, and it is due by %(due)s:\n"
            "\n"
            "%(obligation)s\n"
            "It concerns an entry: %(form)s, log index %(index)s.\n"
            "\n"
            "Where it stands, and what to do, on the node's pages (sign in first):\n"
            "%(link)s")) % values
    elif year is not None:
        body = gettext(N_(
            "%(party)s owes this, and it is due by %(due)s:\n"
            "\n"
            "%(obligation)s, for the year %(year)s\n"
            "\n"
            "Where it stands, and what to do, on the node's pages (sign in first):\n"
            "%(link)s")) % values
    else:
        body = gettext(N_(
            "%(party)s owes this, and it is due by %(due)s:\n"
            "\n"
            "%(obligation)s\n"
            "\n"
            "Where it stands, and what to do, on the node's pages (sign in first):\n"
            "%(link)s")) % values
    return Written(subject, body + _footer(base))


def closing_mail(*, party: str, proposer: str, proposer_name: str, index: int, draft_id: str,
                 closes: datetime, base: str) -> Written:
    """A draft decision closes soon and ``party``, a member, has taken no position on it: who
    proposed it, its log index, when it closes and the link; never what it says."""
    values = {"party": party, "proposer": proposer, "name": proposer_name, "index": index,
              "due": format_moment(closes), "link": _link(base, f"/decisions/{draft_id}")}
    subject = gettext(N_("gulfsec %(party)s: a draft decision closes at %(due)s without a "
                         "position from %(party)s")) % values
    body = gettext(N_(
        "A draft decision proposed by %(name)s (%(proposer)s) closes at %(due)s, and "
        "%(party)s has taken no position on it yet. A position counts only if it is final "
        "in the log by then.\n"
        "\n"
        "Log index: %(index)s\n"
        "\n"
        "The draft, and the positions taken so far (sign in first):\n"
        "%(link)s")) % values
    return Written(subject, body + _footer(base))


def alarm_mail(*, party: str, kind: str, title: str, alarm_id: int, at: datetime,
               base: str) -> Written:
    """``party``'s node raised an alarm: its kind, when, and the link to the alarms."""
    values = {"party": party, "kind": kind, "title": title, "id": alarm_id,
              "at": format_moment(at), "link": _link(base, "/alarms")}
    subject = gettext(N_("gulfsec %(party)s: ALARM %(kind)s")) % values
    body = gettext(N_(
        "The node of %(party)s raised an alarm at %(at)s:\n"
        "\n"
        "%(title)s (%(kind)s, alarm %(id)s)\n"
        "\n"
        "The node keeps the evidence. See it, and what to do, on the node's pages:\n"
        "%(link)s")) % values
    return Written(subject, body + _footer(base))


def hotline_mail(*, party: str, sender: str, sender_name: str, at: datetime,
                 base: str) -> Written:
    """A hotline message arrived on the line with ``sender``: never what it says."""
    values = {"party": party, "sender": sender, "name": sender_name, "at": format_moment(at),
              "link": _link(base, "/hotline")}
    subject = gettext(N_("gulfsec %(party)s: hotline message from %(sender)s")) % values
    body = gettext(N_(
        "A message arrived at %(at)s on the hotline between %(party)s and %(name)s "
        "(%(sender)s).\n"
        "\n"
        "Read it, and answer, on the node's hotline page (sign in first):\n"
        "%(link)s")) % values
    return Written(subject, body + _footer(base))
