"""Writing an entry from the node's pages: check a draft, preview what will be signed, send it.

An officer fills in a form; :func:`preview` builds the entry exactly as the node would sign it
at that moment (its canonical JSON, the sequence number it would take, the key), and runs every
check the hub runs that does not depend on the log's order (sender, audience, references, form,
size, claimed time), plus one the node can make from its own copy: every reference is an entry
in the log, and the right the form needs. :meth:`Composer.send` checks again and hands the draft
to the node once per confirmation, kept durably with the entry (a repeated confirmation returns
the entry signed the first time, even after a crash).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gulfsec.adapters.storage import views as views_db
from gulfsec.domain.encoding import canonical
from gulfsec.domain.entry import ALL, DOMAIN, Audience, Entry, SignedEntry
from gulfsec.domain.forms import FormSpec, get_form, registry
from gulfsec.domain.regime import Regime
from gulfsec.domain.validate import check_entry
from gulfsec.errors import (
    AudienceError,
    EntryTooLarge,
    InvalidFormBody,
    MalformedEntry,
    UnknownForm,
    UnknownReference,
)
from gulfsec.i18n import N_, gettext
from gulfsec.services.node import Node
from gulfsec.services.node.outbox import MAX_CONFIRMATION
from gulfsec.services.participant import compose

_ENTRY_ID = re.compile(r"[0-9a-f]{64}")


def composable_forms(node: Node | None = None) -> list[FormSpec]:
    """The forms a delegate may write on the pages, in the registry's order: with ``node``,
    only those its party's status holds the right to send."""
    return [spec for form_id, spec in registry().items()
            if spec.composed
            and (node is None or node.regime.has_right(node.party, spec.right))]


def composable(form_id: str) -> FormSpec:
    spec = get_form(form_id)
    if not spec.composed:
        raise UnknownForm(form_id)
    return spec


@dataclass(frozen=True)
class Draft:
    """What a delegate writes: the form, to whom, the body, and the entries it refers to."""

    form: str
    audience: Audience
    body: dict[str, Any]
    refs: tuple[str, ...] = ()


def resolve_audience(regime: Regime, party: str, kind: str, format_name: str = "",
                     parties: Iterable[str] = ()) -> Audience:
    """The audience a delegate chose: ``all``, a named format (less the sender), or parties."""
    if kind == "all":
        return ALL
    if kind == "format":
        if not format_name:
            raise AudienceError("choose a format")
        members = set(regime.format_members(format_name)) - {party}
        if not members:
            raise AudienceError(f"the format {format_name!r} has no member besides {party}")
        return tuple(sorted(members))
    if kind == "parties":
        chosen = {p.strip().upper() for p in parties if p.strip()}
        unknown = sorted(p for p in chosen if not regime.is_party(p))
        if unknown:
            raise AudienceError(f"unknown parties: {', '.join(unknown)}")
        chosen.discard(party)
        if not chosen:
            raise AudienceError("choose at least one addressee besides your own party")
        return tuple(sorted(chosen))
    raise AudienceError("choose who the entry is for: all participants, a format, or parties")


def parse_refs(text: str) -> tuple[str, ...]:
    """Entry ids written one per line (or separated by spaces or commas), in order, once each."""
    refs: list[str] = []
    for token in re.split(r"[\s,]+", text.strip().lower()):
        if not token:
            continue
        if not _ENTRY_ID.fullmatch(token):
            raise MalformedEntry(f"{token[:70]!r} is not an entry id (64 hexadecimal digits)")
        if token not in refs:
            refs.append(token)
    return tuple(refs)


@dataclass(frozen=True)
class Preview:
    """The entry as it will be signed: only ``seq`` and ``time`` are set again at signing."""

    draft: Draft
    entry: dict[str, Any]
    canonical: str
    digest: str
    """SHA-256 (hex) of what the signature covers: the domain prefix and the canonical entry."""
    seq: int
    time: datetime
    key: str
    size: int
    """Bytes of the signed entry, against the regime's limit."""
    limit: int


def _check_refs(node: Node, refs: Sequence[str]) -> None:
    if not refs:
        return
    keys = [bytes.fromhex(r) for r in refs]
    with node.uow() as uow:
        found = views_db.node_leaf_indexes(uow.repo.conn, keys)
    missing = [r for r, k in zip(refs, keys, strict=True) if k not in found]
    if missing:
        raise UnknownReference("not entries in the log as this node holds it: "
                               + ", ".join(m[:16] + "…" for m in missing))


def preview(node: Node, draft: Draft) -> Preview:
    """Build and check the entry ``draft`` would be, written on the compose page, without
    storing or sending anything.

    Raises the error the hub would answer with: InvalidFormBody (field by field),
    AudienceError, UnknownReference, EntryTooLarge; UnknownForm for a form the compose page
    does not write.
    """
    composable(draft.form)
    return entry_preview(node, draft)


def entry_preview(node: Node, draft: Draft) -> Preview:
    """As :func:`preview`, for an entry of any form: the pages of a procedure (threads,
    meetings, …) preview the steps they write from forms of their own."""
    regime = node.regime
    now = node.clock.now()
    with node.uow() as uow:
        seq = node.outbox.next_seq(uow.repo)
    signed: SignedEntry = compose(node.key, node.party, form=draft.form,
                                  audience=draft.audience, body=draft.body, seq=seq, now=now,
                                  refs=draft.refs)
    check_entry(signed, regime, now)
    own = get_form(draft.form).senders_own(draft.body, node.party)
    if own:
        raise InvalidFormBody(draft.form, [
            (name, gettext(N_("names %(party)s, the party writing: this field is for the "
                              "other parties")) % {"party": node.party}) for name in own])
    limit = regime.limits.max_entry_bytes
    if len(signed.raw) > limit:
        raise EntryTooLarge(len(signed.raw), limit)
    _check_refs(node, draft.refs)
    entry: Entry = signed.entry
    text = canonical(entry.to_json())
    return Preview(draft, entry.to_json(), text.decode("utf-8"),
                   hashlib.sha256(DOMAIN + text).hexdigest(), seq, entry.time, entry.key,
                   len(signed.raw), limit)


class Composer:
    """Sends confirmed drafts, once per confirmation token.

    The token is stored with the signed entry in the node's outbox, in the same transaction
    (:meth:`Node.send_confirmed`): the same confirmation posted again — a double click, a
    browser retry, or a re-post after the node was killed and restarted — finds the entry
    signed the first time and signs nothing new.
    """

    def __init__(self, node: Node) -> None:
        self.node = node

    def send(self, draft: Draft, confirmation: str,
             previewed: tuple[int, datetime] | None = None) -> tuple[SignedEntry, bool]:
        """Sign and send ``draft`` as the party's next entry; (entry, False) when this
        confirmation was already used, without signing again. ``previewed``: the sequence
        number and time the signer was shown, which the entry then carries (else
        :class:`~gulfsec.errors.PreviewChanged`, and nothing is signed)."""
        if not confirmation or len(confirmation) > MAX_CONFIRMATION:
            raise MalformedEntry("the confirmation is missing: preview the entry again")
        with self.node.outbox.store_lock:
            with self.node.uow() as uow:
                done = uow.repo.outbox_confirmed(confirmation)
            if done is None:
                preview(self.node, draft)
            return self.node.send_confirmed(draft.form, draft.audience, draft.body, draft.refs,
                                            confirmation, previewed)
