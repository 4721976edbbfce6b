"""The node's drafts queue: an entry prepared by one delegate, signed by an officer.

A viewer may not sign in the party's name, but may prepare an entry on the compose pages and
put it in the queue; an officer may do the same to have a colleague sign it. A draft never
leaves the node: it is kept in the node's own database (:mod:`gulfsec.adapters.storage.drafts`)
and shown only to the node's delegates — no e-mail, no export, no API to other parties.

An officer opens a waiting draft in the compose form, may change it, previews it and signs it
on the usual path (:func:`.compose.preview`, then the outbox, once per confirmation token). The
draft is marked signed, with the entry's id, in the very transaction that stores the signed
entry in the outbox (:meth:`Outbox.send`'s ``within``): it is never marked signed without the
entry, nor the entry stored while the draft was settled by someone else meanwhile. The same
confirmation posted again returns the entry signed the first time and signs nothing.

Who may do what:

- prepare: any delegate; the draft is checked as a preview is (form, audience, references,
  size, the party's right), so that nothing unsignable waits in the queue;
- discard a waiting draft: the delegate who prepared it, or any officer;
- sign: an officer. Under the node's **two-person rule** (:class:`TwoPersonRule`, the setting
  ``GULFSEC_TWO_PERSON_FORMS``) an entry of a chosen form is signed only from a draft, by an
  officer other than the one who prepared it, and exactly as prepared (a change goes back to
  the queue, prepared by whoever changed it). The compose pages' own send refuses those forms.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from gulfsec.adapters.storage.drafts import (
    DISCARDED,
    SIGNED,
    WAITING,
    DraftRepository,
    DraftRow,
)
from gulfsec.adapters.storage.node import NodeRepository
from gulfsec.config import env_var
from gulfsec.domain.encoding import canonical, parse_json
from gulfsec.domain.entry import SignedEntry
from gulfsec.domain.forms import registry
from gulfsec.errors import (
    ConfigError,
    DraftSettled,
    EntryError,
    Forbidden,
    MalformedEntry,
    NotFound,
    TwoPersonRequired,
)
from gulfsec.i18n import _
from gulfsec.services.node import Node
from gulfsec.services.node.compose import Draft, composable, preview, resolve_audience
from gulfsec.services.node.outbox import MAX_CONFIRMATION
from gulfsec.services.shared.accounts import OFFICER, Account
from gulfsec.services.shared.describe import form_title, summarise
from gulfsec.services.shared.time import from_micros, micros

__all__ = ["DISCARDED", "SIGNED", "WAITING", "Drafts", "QueuedDraft", "TwoPersonRule"]

SETTING: Final = "two_person_forms"
RECENT: Final = 20
"""How many signed or discarded drafts the queue's page lists."""


@dataclass(frozen=True)
class TwoPersonRule:
    """The forms whose entries one delegate prepares and another officer signs."""

    forms: frozenset[str] = frozenset()
    every: bool = False
    """Every form written on the compose pages (the setting ``*``)."""

    @classmethod
    def parse(cls, text: str) -> TwoPersonRule:
        """The rule the setting ``text`` states: form ids separated by commas, or ``*``;
        empty, no rule. A form the compose pages do not write is a ConfigError naming the
        setting (the rule would guard nothing: fail closed)."""
        ids = [part.strip() for part in text.split(",") if part.strip()]
        if ids == ["*"]:
            return cls(frozenset(), every=True)
        if "*" in ids:
            raise ConfigError(f"{env_var(SETTING)}: '*' (every form) stands alone, without "
                              f"form ids beside it")
        known = registry()
        unknown = [form for form in ids if form not in known or not known[form].composed]
        if unknown:
            written = ", ".join(form for form, spec in known.items() if spec.composed)
            raise ConfigError(f"{env_var(SETTING)}: {', '.join(unknown)}: not a form delegates "
                              f"write on the compose pages; one of: {written}, or '*'")
        return cls(frozenset(ids))

    def applies(self, form: str) -> bool:
        return self.every or form in self.forms


@dataclass(frozen=True)
class QueuedDraft:
    """A draft in the queue, as the pages show it."""

    id: int
    form: str
    audience_kind: str
    audience_format: str
    audience_parties: tuple[str, ...]
    body: dict[str, Any]
    refs: tuple[str, ...]
    prepared_by: str
    prepared_at: datetime
    state: str
    settled_by: str | None
    settled_at: datetime | None
    entry_id: str | None

    @property
    def waiting(self) -> bool:
        return self.state == WAITING

    @property
    def title(self) -> str:
        """The form's title in English: the pages translate it where they show it."""
        return form_title(self.form)

    @property
    def summary(self) -> str:
        try:
            return summarise(self.form, self.body)
        except (KeyError, TypeError, ValueError):  # a summary of a body that no longer fits
            return ""

    def same_as(self, draft: Draft, node: Node) -> bool:
        """Whether ``draft`` is this one unchanged: the same entry would be signed."""
        try:
            mine = _draft_of(node, self)
        except EntryError:  # an audience the regime no longer resolves: changed for sure
            return False
        return _key(mine) == _key(draft)


def _key(draft: Draft) -> bytes:
    return canonical({"form": draft.form, "audience": list(draft.audience)
                      if isinstance(draft.audience, tuple) else draft.audience,
                      "body": draft.body, "refs": list(draft.refs)})


def _draft_of(node: Node, queued: QueuedDraft) -> Draft:
    audience = resolve_audience(node.regime, node.party, queued.audience_kind,
                                queued.audience_format, queued.audience_parties)
    return Draft(queued.form, audience, queued.body, queued.refs)


def _queued(row: DraftRow) -> QueuedDraft:
    data = parse_json(row.draft)
    audience = data.get("audience", {})
    return QueuedDraft(
        row.id, row.form, str(audience.get("kind", "")), str(audience.get("format", "")),
        tuple(str(p) for p in audience.get("parties", [])), dict(data.get("body", {})),
        tuple(str(r) for r in data.get("refs", [])), row.prepared_by,
        from_micros(row.prepared_at), row.state, row.settled_by,
        None if row.settled_at is None else from_micros(row.settled_at),
        None if row.entry_id is None else row.entry_id.hex())


class Drafts:
    """The queue of ``node``'s drafts, under ``rule``."""

    def __init__(self, node: Node, rule: TwoPersonRule | None = None) -> None:
        self.node = node
        self.rule = rule or TwoPersonRule()

    # -- reading -----------------------------------------------------------------------------

    def get(self, draft_id: int) -> QueuedDraft:
        with self.node.uow() as uow:
            row = DraftRepository(uow.repo.conn).get(draft_id)
        if row is None:
            raise NotFound(_("There is no draft #%(id)s in this node's queue.")
                           % {"id": draft_id})
        return _queued(row)

    def waiting(self) -> list[QueuedDraft]:
        """The drafts waiting for an officer, newest first."""
        with self.node.uow() as uow:
            rows = DraftRepository(uow.repo.conn).waiting()
        return [_queued(r) for r in rows]

    def recent(self, limit: int = RECENT) -> list[QueuedDraft]:
        """The drafts signed or discarded last, latest first."""
        with self.node.uow() as uow:
            rows = DraftRepository(uow.repo.conn).settled(limit)
        return [_queued(r) for r in rows]

    def count_waiting(self) -> int:
        with self.node.uow() as uow:
            return DraftRepository(uow.repo.conn).count_waiting()

    def draft_of(self, queued: QueuedDraft) -> Draft:
        """The entry ``queued`` would be (AudienceError if its audience no longer resolves)."""
        return _draft_of(self.node, queued)

    # -- the rules ---------------------------------------------------------------------------

    def two_person(self, form: str) -> bool:
        """Whether the two-person rule covers ``form``."""
        return self.rule.applies(form)

    def may_discard(self, account: Account, queued: QueuedDraft) -> bool:
        return queued.waiting and (account.role == OFFICER or account.name == queued.prepared_by)

    def refusal(self, account: Account, form: str, queued: QueuedDraft | None = None,
                draft: Draft | None = None) -> str | None:
        """Why ``account`` may not sign ``draft`` of ``form`` (from ``queued``, or written
        directly on the compose page when None), in words; None when it may."""
        if account.role != OFFICER:
            return _("Only an officer may sign and send entries in the party's name.")
        if not self.rule.applies(form):
            return None
        if queued is None:
            return _("Under this node's two-person rule, an entry of this form is prepared by "
                     "one delegate and signed by another officer: put it in the drafts queue, "
                     "and another officer signs it there.")
        if queued.prepared_by == account.name:
            return _("You prepared this draft: under this node's two-person rule, another "
                     "officer must sign it.")
        if draft is not None and not queued.same_as(draft, self.node):
            return _("You changed this draft: under this node's two-person rule, the changed "
                     "entry goes back to the drafts queue, for an officer other than you to "
                     "sign.")
        return None

    def check_direct(self, account: Account, form: str) -> None:
        """Refuse signing an entry of ``form`` written directly on the compose page when the
        two-person rule covers it (TwoPersonRequired)."""
        if self.rule.applies(form):
            reason = self.refusal(account, form)
            assert reason is not None
            raise TwoPersonRequired(reason, form)

    # -- changing the queue ------------------------------------------------------------------

    def prepare(self, account: Account, form: str, audience_kind: str, audience_format: str,
                audience_parties: Iterable[str], body: dict[str, Any], refs: Iterable[str],
                replacing: int | None = None) -> int:
        """Put a draft in the queue, prepared by ``account``; its id. It is checked as a
        preview is (the errors of :func:`.compose.preview`): nothing unsignable waits.
        ``replacing``: the draft it was changed from, discarded in the same transaction if
        ``account`` may discard it (else it stays as it was)."""
        composable(form)
        parties = sorted({p.strip().upper() for p in audience_parties if p.strip()})
        draft = Draft(form, resolve_audience(self.node.regime, self.node.party, audience_kind,
                                             audience_format, parties),
                      body, tuple(refs))
        preview(self.node, draft)
        document = canonical({"audience": {"kind": audience_kind, "format": audience_format,
                                           "parties": parties},
                              "body": body, "refs": list(draft.refs)}).decode("utf-8")
        now = micros(self.node.clock.now())
        old = None if replacing is None else self.get(replacing)
        with self.node.uow() as uow:
            repo = DraftRepository(uow.repo.conn)
            if old is not None and self.may_discard(account, old):
                repo.settle(old.id, DISCARDED, account.name, now)
            draft_id = repo.add(form, document, account.name, now)
            uow.commit()
        return draft_id

    def discard(self, account: Account, draft_id: int) -> QueuedDraft:
        """Discard waiting draft ``draft_id``: its preparer or an officer may."""
        queued = self.get(draft_id)
        if not queued.waiting:
            raise self._settled(queued)
        if not self.may_discard(account, queued):
            raise Forbidden(_("Only the delegate who prepared this draft, or an officer, may "
                              "discard it."))
        with self.node.uow() as uow:
            done = DraftRepository(uow.repo.conn).settle(
                draft_id, DISCARDED, account.name, micros(self.node.clock.now()))
            uow.commit()
        if not done:
            raise self._settled(self.get(draft_id))
        return self.get(draft_id)

    def sign(self, account: Account, draft_id: int, draft: Draft, confirmation: str,
             previewed: tuple[int, datetime] | None = None) -> tuple[SignedEntry, bool]:
        """Sign ``draft`` (draft ``draft_id`` as the officer previewed it) as the party's next
        entry, and mark the draft signed in the same transaction; (entry, False) when this
        confirmation was already used, signing nothing. Refused (nothing signed): Forbidden
        for a viewer, TwoPersonRequired under the two-person rule, DraftSettled when the
        draft was signed or discarded meanwhile, and the errors of a preview."""
        queued = self.get(draft_id)
        if draft.form != queued.form:
            raise MalformedEntry(f"draft #{draft_id} is an entry of {queued.form}, "
                                 f"not {draft.form}")
        reason = self.refusal(account, queued.form, queued, draft)
        if reason is not None:
            if account.role != OFFICER:
                raise Forbidden(reason)
            raise TwoPersonRequired(reason, queued.form, draft_id)
        if not confirmation or len(confirmation) > MAX_CONFIRMATION:
            raise MalformedEntry("the confirmation is missing: preview the entry again")
        node = self.node

        def mark(repo: NodeRepository, signed: SignedEntry) -> None:
            drafts = DraftRepository(repo.conn)
            if not drafts.settle(draft_id, SIGNED, account.name, micros(node.clock.now()),
                                 signed.id):
                row = drafts.get(draft_id)
                raise self._settled(queued if row is None else _queued(row))

        with node.outbox.store_lock:
            with node.uow() as uow:
                done = uow.repo.outbox_confirmed(confirmation)
            if done is None:
                if not queued.waiting:
                    raise self._settled(queued)
                preview(node, draft)
            return node.outbox.send(draft.form, draft.audience, draft.body, draft.refs,
                                    confirmation=confirmation, previewed=previewed, within=mark)

    def _settled(self, queued: QueuedDraft) -> DraftSettled:
        if queued.state == SIGNED:
            message = (_("Draft #%(id)s was already signed by %(who)s.")
                       % {"id": queued.id, "who": queued.settled_by})
        else:
            message = (_("Draft #%(id)s was discarded by %(who)s.")
                       % {"id": queued.id, "who": queued.settled_by})
        return DraftSettled(message, queued.id, queued.state)
