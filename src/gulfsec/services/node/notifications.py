"""E-mail notifications for a node's delegates: their preferences, noticing, and sending.

Each delegate says on their own page what they want to be told (entries arriving, an
acknowledgement due soon, alarms and hotline messages at once), where, and in which language
(:class:`Notifications.save`); what a mail may say is decided in
:mod:`gulfsec.domain.notifications` (what arrived and the link, never what it says).

:class:`Notifier` is a thread of its own, started and stopped with the node's sync loop (only
in the process that syncs; a page worker never runs it). Each tick — and at once after a sync
round (:meth:`Notifier.wake`) — it runs :meth:`Notifications.run_once`:

1. **notice**: in one transaction, what is new since the cursors kept in ``node_meta`` (the
   entries held, the alarms raised, the hotline messages received), and what the party owes
   that falls due within a day (:data:`~gulfsec.domain.notifications.DUE_SOON`): the
   acknowledgements (event ``due:<entry id>``), the other obligations the compliance engine
   finds open for the party — yearly reports, replies owed (``owed:<rule>:<year or digest>``,
   :func:`owed_event`) — and the draft decisions closing on which the party, a member, has
   taken no position (``closing:<draft id>``); one mail per delegate who asked and event is
   written into ``node_notify_mails`` (its unique key per account and event means an event is
   never queued twice), and the cursors move on with it. The first time, the cursors start at
   what the node holds then: nobody is sent the history.
2. **deliver**: the mails waiting are handed to the SMTP server (:mod:`gulfsec.adapters.mail`),
   each marked sent in a transaction of its own as soon as the server took it. A server that
   is down or busy leaves them waiting, tried again later (after 1, 2, 4… minutes, at most an
   hour); a server that refuses one for good (5xx) marks it failed, logged. Nothing is lost:
   a mail leaves the table's waiting state only once the server took it. (A crash between the
   server taking a mail and the mark being committed would send that one again.)

An SMTP failure is logged and never reaches the sync loop: the notifier is not in it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from gulfsec.adapters.mail import Mailer
from gulfsec.adapters.storage.node import NodeRepository
from gulfsec.adapters.storage.notifications import (
    CURSORS,
    Mail,
    NotificationRepository,
    Preferences,
)
from gulfsec.domain import notifications as words
from gulfsec.domain.compliance import Finding
from gulfsec.domain.compliance.rules.acknowledgement import NAME as ACKNOWLEDGEMENT_RULE
from gulfsec.errors import GulfsecError, MailError
from gulfsec.i18n import LANGUAGES, current, gettext, use
from gulfsec.services.node.core import log
from gulfsec.services.node.detail import ALARM_WORDS
from gulfsec.services.node.node import Node
from gulfsec.services.node.records import NodeRecords
from gulfsec.services.shared.describe import form_title, party_name
from gulfsec.services.shared.records import Compliance
from gulfsec.services.shared.scorecards import RULE_TITLES
from gulfsec.services.shared.time import from_micros, micros

__all__ = ["KINDS", "Notifications", "Notifier", "Problems", "owed_event"]

KINDS: Final = ("entries", "due", "alarms")
"""What a delegate may ask to be told (see :mod:`gulfsec.domain.notifications`)."""
BATCH: Final = 500
RETRY_S: Final = 60
RETRY_MAX_S: Final = 3600
LOCK_WAIT_S: Final = 2.0

OPEN_OVERDUE: Final = frozenset({"missing", "breached"})
"""What an open obligation (nothing answers it yet) becomes once its deadline has passed."""
PAGES: Final[Mapping[str, str]] = {
    "meeting-reply": "/meetings/",
    "incident-response": "/incidents/",
    "unusual-activity-reply": "/unusual/",
    "unusual-activity-meeting": "/unusual/",
}
"""The page of the entry an obligation concerns (its first evidence), by rule; others open
the entry's own page, or the scorecard when the obligation concerns no entry."""
POSITIONS: Final = frozenset({"join", "stand-aside", "object", "amend"})
"""The steps on a draft decision that are a member's position."""

Problems = dict[str, str]
"""A problem with a field of the preferences' form: field name → message."""


@dataclass(frozen=True)
class Queued:
    account_id: int
    event: str
    address: str
    written: words.Written


@dataclass(frozen=True)
class Owed:
    """An obligation of the party, open and due soon, as the compliance engine found it."""

    event: str
    rule: str
    due: datetime
    year: int | None
    path: str
    index: int | None = None
    form: str | None = None


@dataclass(frozen=True)
class Closing:
    """A draft decision closing soon, on which the party, a member, has taken no position."""

    draft_id: str
    index: int
    proposer: str
    closes_at: datetime


def owed_event(finding: Finding) -> str:
    """The event of the mail about an open obligation: one per obligation, whatever its
    status becomes (``owed:<rule>:<year>`` for a yearly report, else a digest of the rule,
    year, subject and the entry it concerns), at most 100 characters."""
    rule = finding.rule[:40]
    if finding.subject is None and not finding.evidence:
        return f"owed:{rule}:{finding.year}"
    named = json.dumps([finding.rule, finding.year, finding.subject, finding.evidence[:1]])
    return f"owed:{rule}:{hashlib.sha256(named.encode()).hexdigest()[:40]}"


def _identity(finding: Finding) -> tuple[object, ...]:
    """A finding without its status: the same obligation before and after its deadline."""
    return (finding.party, finding.rule, finding.due, finding.evidence, finding.detail,
            finding.year, finding.subject)


class Notifications:
    """A node's e-mail notifications (see the module's notes). ``mailer`` None: notifications
    are off (no SMTP server is set); preferences can still be kept."""

    def __init__(self, node: Node, mailer: Mailer | None, public_url: str | None, *,
                 retry_s: int = RETRY_S, compliance: Compliance | None = None) -> None:
        """``compliance``: the node's compliance findings to read what the party owes (those
        of its scorecards, to share what they computed); made from the node's copy when
        first needed if not given."""
        self.node = node
        self.mailer = mailer
        self.public_url = (public_url or "").rstrip("/")
        self.retry_s = retry_s
        self._compliance = compliance
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.mailer is not None

    # -- preferences -----------------------------------------------------------------------

    def preferences(self, account_id: int) -> Preferences:
        """What the delegate asked for (nothing, in English, if they never said)."""
        with self.node.uow() as uow:
            kept = NotificationRepository(uow.repo.conn).preferences(account_id)
        return kept or Preferences(account_id, "", False, False, False, "en")

    def recent(self, account_id: int, limit: int) -> list[Mail]:
        """The latest e-mails for the delegate, newest first, and where each stands."""
        with self.node.uow() as uow:
            return NotificationRepository(uow.repo.conn).recent_mails(account_id, limit)

    def save(self, account_id: int, form: Mapping[str, str]) -> tuple[Preferences, Problems]:
        """Keep what the delegate asked for from the page's form (``address``, ``language``,
        and each of :data:`KINDS` present when ticked); the preferences read from the form
        and the problems with it — nothing is kept while there is one. An address is needed
        only to be told something."""
        address = (form.get("address") or "").strip()
        language = (form.get("language") or "").strip()
        wanted = {kind: bool(form.get(kind)) for kind in KINDS}
        prefs = Preferences(account_id, address, wanted["entries"], wanted["due"],
                            wanted["alarms"], language if language in LANGUAGES else "en")
        problems: Problems = {}
        if address or prefs.wants_any:
            problem = words.address_problem(address)
            if problem is not None:
                problems["address"] = problem
        problem = words.language_problem(language)
        if problem is not None:
            problems["language"] = problem
        if not problems:
            with self.node.uow() as uow:
                NotificationRepository(uow.repo.conn).put_preferences(
                    prefs, micros(self.node.clock.now()))
                uow.commit()
        return prefs, problems

    # -- the work ----------------------------------------------------------------------------

    def run_once(self) -> tuple[int, int]:
        """Notice what is new, then send what waits: (mails queued, mails sent). Never
        raises for the SMTP server or the database: it logs, and the next run tries again."""
        if self.mailer is None:
            return 0, 0
        queued = sent = 0
        with self._lock:
            try:
                queued = self.notice()
            except GulfsecError as exc:
                log.warning("%s: notifications not noticed: %s", self.node.party, exc.message)
            try:
                sent = self.deliver()
            except GulfsecError as exc:
                log.warning("%s: notifications not sent: %s", self.node.party, exc.message)
        return queued, sent

    def notice(self) -> int:
        """Queue a mail for each delegate who asked, for each event new since the cursors;
        how many were queued."""
        node = self.node
        due = self._due_soon()
        with node.uow() as uow:  # nobody asked: the compliance engine is not even started
            told = any(p.due for p in NotificationRepository(uow.repo.conn).subscribers())
        owed = self._owed_soon() if told else []
        closing = self._closing_soon() if told else []
        with node.uow() as uow:
            repo = uow.repo
            mail = NotificationRepository(repo.conn)
            subscribers = mail.subscribers()
            found: list[Queued] = []
            found += self._entries(repo, subscribers)
            found += self._alarms(repo, mail, subscribers)
            found += self._hotline(repo, mail, subscribers)
            found += self._due(mail, subscribers, due)
            found += self._owed(subscribers, owed)
            found += self._closing(subscribers, closing)
            at = micros(node.clock.now())
            count = sum(mail.queue(q.account_id, q.event, q.address, q.written.subject,
                                   q.written.body, at) for q in found)
            uow.commit()
        return count

    def deliver(self) -> int:
        """Hand the mails waiting to the SMTP server; how many it took."""
        assert self.mailer is not None
        node = self.node
        with node.uow() as uow:
            waiting = NotificationRepository(uow.repo.conn).waiting(micros(node.clock.now()))
        if not waiting:
            return 0
        sent = 0
        left = list(waiting)
        try:
            with self.mailer.session() as session:
                while left:
                    item = left[0]
                    try:
                        session.send(item.address, item.subject, item.body)
                    except MailError as exc:
                        if not exc.permanent:
                            raise
                        left.pop(0)
                        log.error("%s: notification %s to %s refused for good: %s",
                                  node.party, item.event, item.address, exc.message)
                        with self._marking() as marks:
                            marks.mark_failed(item.id, exc.message, micros(node.clock.now()))
                        continue
                    left.pop(0)
                    with self._marking() as marks:
                        marks.mark_sent(item.id, micros(node.clock.now()))
                    sent += 1
        except MailError as exc:
            log.warning("%s: %d notification(s) wait for the SMTP server: %s", node.party,
                        len(left), exc.message)
            now = node.clock.now()
            for item in left:
                wait = min(self.retry_s * 2 ** min(item.attempts, 12), RETRY_MAX_S)
                with self._marking() as marks:
                    marks.mark_retry(item.id, exc.message,
                                     micros(now + timedelta(seconds=wait)))
        return sent

    @contextmanager
    def _marking(self) -> Iterator[NotificationRepository]:
        """A transaction of its own, committed at once: a mail's state, as soon as known."""
        with self.node.uow() as uow:
            yield NotificationRepository(uow.repo.conn)
            uow.commit()

    # -- what is new -----------------------------------------------------------------------

    def _cursor(self, repo: NodeRepository, name: str, start: Callable[[], int]) -> int | None:
        """The cursor ``name``; None the first time, when it is set to ``start()``."""
        key = CURSORS[name]
        kept = repo.get_meta(key)
        if kept is None:
            repo.set_meta(key, str(start()))
            return None
        return int(kept)

    def _each(self, subscribers: list[Preferences], kind: str,
              event: str, write: Callable[[], words.Written]) -> list[Queued]:
        out: list[Queued] = []
        for prefs in subscribers:
            if getattr(prefs, kind):
                with use(prefs.language):
                    out.append(Queued(prefs.account_id, event, prefs.address, write()))
        return out

    def _name(self, code: str) -> str:
        return party_name(self.node.regime, code, current())

    def _entries(self, repo: NodeRepository, subscribers: list[Preferences]) -> list[Queued]:
        after = self._cursor(repo, "entries", repo.last_entry_index)
        if after is None:
            return []
        node = self.node
        out: list[Queued] = []
        last = after
        while True:
            items = repo.entries_from(last, limit=BATCH)
            for item in items:
                if item.sender == node.party or item.form in words.QUIET_FORMS:
                    continue
                eid = item.entry_id.hex()
                at = from_micros(item.sequenced_at or item.verified_at)

                def write(item: Any = item, eid: str = eid, at: datetime = at) -> words.Written:
                    return words.entry_mail(
                        party=node.party, sender=item.sender, sender_name=self._name(
                            item.sender), form_title=gettext(form_title(item.form)),
                        index=item.index, entry_id=eid, at=at, base=self.public_url)

                out += self._each(subscribers, "entries", f"entry:{eid}", write)
            if items:
                last = items[-1].index
            if len(items) < BATCH:
                break
        if last != after:
            repo.set_meta(CURSORS["entries"], str(last))
        return out

    def _alarms(self, repo: NodeRepository, mail: NotificationRepository,
                subscribers: list[Preferences]) -> list[Queued]:
        after = self._cursor(repo, "alarms", mail.last_alarm_id)
        if after is None:
            return []
        node = self.node
        out: list[Queued] = []
        raised = mail.alarms_after(after)
        for alarm_id, kind, created in raised:

            def write(alarm_id: int = alarm_id, kind: str = kind,
                      created: int = created) -> words.Written:
                title = gettext(ALARM_WORDS.get(kind, kind.replace("_", " ")))
                return words.alarm_mail(party=node.party, kind=kind, title=title,
                                        alarm_id=alarm_id, at=from_micros(created),
                                        base=self.public_url)

            out += self._each(subscribers, "alarms", f"alarm:{alarm_id}", write)
        if raised:
            repo.set_meta(CURSORS["alarms"], str(raised[-1][0]))
        return out

    def _hotline(self, repo: NodeRepository, mail: NotificationRepository,
                 subscribers: list[Preferences]) -> list[Queued]:
        since = self._cursor(repo, "hotline", lambda: mail.last_hotline_at() + 1)
        if since is None:
            return []
        node = self.node
        out: list[Queued] = []
        received = mail.hotline_received_since(since)
        for entry_id, sender, kind, created in received:
            if kind == "test":
                continue

            def write(sender: str = sender, created: int = created) -> words.Written:
                return words.hotline_mail(party=node.party, sender=sender,
                                          sender_name=self._name(sender),
                                          at=from_micros(created), base=self.public_url)

            out += self._each(subscribers, "alarms", f"hotline:{entry_id.hex()}", write)
        if received:
            repo.set_meta(CURSORS["hotline"], str(received[-1][3]))
        return out

    def _due_soon(self) -> list[tuple[str, int, str, str, datetime]]:
        """(entry id, index, sender, form, due) of each acknowledgement the party owes, not
        signed yet, that falls due within :data:`~gulfsec.domain.notifications.DUE_SOON`
        (and is not past): read from the node's own account of what it owes, under the lock
        that its sync holds (skipped this time when a round holds it too long)."""
        node = self.node
        core = node.core
        if not core.lock.acquire(timeout=LOCK_WAIT_S):
            return []
        try:
            owed = dict(node.acknowledgements.owed())
            if not owed:
                return []
            now = node.clock.now()
            within = node.regime.commitments.acknowledgement.within
            out: list[tuple[str, int, str, str, datetime]] = []
            with node.uow() as uow:
                for eid in owed:
                    item = uow.repo.entry_by_id(bytes.fromhex(eid))
                    if item is None:
                        continue
                    final_at = core.final_at(item.index)
                    if final_at is None:
                        continue
                    due = final_at + within
                    if now < due <= now + words.DUE_SOON:
                        out.append((eid, item.index, item.sender, item.form, due))
            return out
        finally:
            core.lock.release()

    def _due(self, mail: NotificationRepository, subscribers: list[Preferences],
             due: list[tuple[str, int, str, str, datetime]]) -> list[Queued]:
        node = self.node
        out: list[Queued] = []
        for eid, index, sender, form, when in due:

            def write(eid: str = eid, index: int = index, sender: str = sender,
                      form: str = form, when: datetime = when) -> words.Written:
                return words.due_mail(party=node.party, sender=sender,
                                      sender_name=self._name(sender),
                                      form_title=gettext(form_title(form)), index=index,
                                      entry_id=eid, due=when, base=self.public_url)

            out += self._each(subscribers, "due", f"due:{eid}", write)
        return out

    def _compliance_of(self) -> Compliance:
        if self._compliance is None:
            self._compliance = Compliance(self.node.regime, NodeRecords(self.node))
        return self._compliance

    def _owed_soon(self) -> list[Owed]:
        """Each obligation of the party other than an acknowledgement (those are
        :meth:`_due_soon`'s) that the compliance engine finds open — nothing answers it yet —
        and due within :data:`~gulfsec.domain.notifications.DUE_SOON` (and not past). Open is
        read from the engine itself: pending now, and overdue (``missing`` or ``breached``)
        once the window has passed, if nothing answers it by then; an obligation answered by
        an entry not final yet stays pending, and is not told. A failure here is logged and
        tells nothing this time: it does not hold up the other notices."""
        node = self.node
        try:
            now = node.clock.now()
            later = now + words.DUE_SOON
            compliance = self._compliance_of()

            def soon(f: Finding) -> bool:
                return (f.rule != ACKNOWLEDGEMENT_RULE and f.due is not None
                        and now < f.due <= later)

            pending = {_identity(f) for f in compliance.findings(now, party=node.party)
                       if f.status == "pending" and soon(f)}
            if not pending:
                return []
            found = [f for f in compliance.findings(later, party=node.party)
                     if f.status in OPEN_OVERDUE and soon(f) and _identity(f) in pending]
            out: list[Owed] = []
            with node.uow() as uow:
                for f in found:
                    assert f.due is not None
                    eid = f.evidence[0] if f.evidence else None
                    item = None if eid is None else uow.repo.entry_by_id(bytes.fromhex(eid))
                    if item is None:
                        out.append(Owed(owed_event(f), f.rule, f.due, f.year, "/compliance"))
                        continue
                    out.append(Owed(owed_event(f), f.rule, f.due, f.year,
                                    PAGES.get(f.rule, "/entries/") + str(eid), item.index,
                                    item.form))
            return out
        except Exception:  # the other notices go on; the next tick tries again
            log.exception("%s: obligations due soon not read", node.party)
            return []

    def _owed(self, subscribers: list[Preferences], owed: list[Owed]) -> list[Queued]:
        node = self.node
        out: list[Queued] = []
        for item in owed:

            def write(item: Owed = item) -> words.Written:
                title = RULE_TITLES.get(item.rule)
                return words.owed_mail(
                    party=node.party,
                    obligation=gettext(title) if title else item.rule,
                    due=item.due, path=item.path, base=self.public_url, year=item.year,
                    index=item.index,
                    form_title=None if item.form is None else gettext(form_title(item.form)))

            out += self._each(subscribers, "due", item.event, write)
        return out

    def _closing_soon(self) -> list[Closing]:
        """Each open draft decision that closes within
        :data:`~gulfsec.domain.notifications.DUE_SOON` (and not yet) on which the party,
        one of its members, has taken no position: none that counts, nor one sent that is
        not final yet (as the domain's rules judge the draft). A failure here is logged and
        tells nothing this time."""
        node = self.node
        try:
            now = node.clock.now()
            later = now + words.DUE_SOON
            party = node.party
            out: list[Closing] = []
            for decision in node.decisions.decisions(now):
                if (decision.status != "open" or decision.awaiting_finality
                        or party not in decision.members
                        or not now < decision.closes_at <= later
                        or party in decision.positions):
                    continue
                if any(step.party == party and step.kind in POSITIONS
                       and step.final_at is None for step in decision.steps):
                    continue  # taken, and not final yet
                out.append(Closing(decision.id, decision.index, decision.proposer,
                                   decision.closes_at))
            return out
        except Exception:  # the other notices go on; the next tick tries again
            log.exception("%s: draft decisions closing soon not read", node.party)
            return []

    def _closing(self, subscribers: list[Preferences],
                 closing: list[Closing]) -> list[Queued]:
        node = self.node
        out: list[Queued] = []
        for item in closing:

            def write(item: Closing = item) -> words.Written:
                return words.closing_mail(party=node.party, proposer=item.proposer,
                                          proposer_name=self._name(item.proposer),
                                          index=item.index, draft_id=item.draft_id,
                                          closes=item.closes_at, base=self.public_url)

            out += self._each(subscribers, "due", f"closing:{item.draft_id}", write)
        return out


class Notifier:
    """Runs :meth:`Notifications.run_once` every ``tick_s`` and when woken (after each sync
    round), in a thread of its own, until stopped."""

    def __init__(self, notifications: Notifications, tick_s: float = 5.0) -> None:
        self.notifications = notifications
        self.tick = tick_s
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self, *_args: object) -> None:
        """Run soon (a sync round ended: there may be something to tell)."""
        self._wake.set()

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"gulfsec-notify-{self.notifications.node.party}",
            daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.notifications.run_once()
            except Exception:  # keep telling: the next tick may succeed; the error is logged
                log.exception("%s: notifications failed", self.notifications.node.party)
            self._wake.wait(self.tick)
            self._wake.clear()
