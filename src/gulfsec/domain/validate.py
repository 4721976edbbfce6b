"""Checks on an entry that need the regime but not the log: who, to whom, which form, which
right, when."""

from __future__ import annotations

from datetime import datetime

from gulfsec.domain.entry import ALL, SignedEntry
from gulfsec.domain.forms import FormSpec, get_form
from gulfsec.domain.regime import Regime
from gulfsec.errors import (
    AudienceError,
    ClaimedTimeOutOfRange,
    EntryError,
    InvalidFormBody,
    MissingRight,
    UnknownSender,
)


def check_right(signed: SignedEntry, form: FormSpec, regime: Regime) -> None:
    """The sender's status must carry the right the form needs (:class:`MissingRight`).

    Fails closed: a form without a known right is refused (the registry already refuses to
    load one), as is a sender who is no party.
    """
    sender = signed.entry.sender
    try:
        allowed = bool(form.right) and regime.has_right(sender, form.right)
    except ValueError:
        allowed = False
    if not allowed:
        raise MissingRight(sender, form.right or "(none declared)", form.id,
                           entry_id=signed.id_hex)


def check_form_and_right(signed: SignedEntry, regime: Regime) -> FormSpec:
    """The entry's form is known, its body fits it, and its sender holds the right it needs."""
    entry = signed.entry
    form = get_form(entry.form)
    form.validate(entry.body)
    check_right(signed, form, regime)
    missing = [e for e in form.referenced(entry.body) if e not in entry.refs]
    if missing:
        field = next(f for f in form.refs if entry.body.get(f) is not None)
        raise InvalidFormBody(entry.form, [(field, f"not also in refs: {missing}")])
    return form


def check_entry(signed: SignedEntry, regime: Regime, now: datetime) -> FormSpec:
    """Check sender, audience, references, form, right and claimed time; return the form.

    Signatures are checked by the keyring, sequence numbers and references by the sequencer.
    """
    entry = signed.entry
    eid = signed.id_hex
    parties = regime.parties()
    if entry.sender not in parties:
        raise UnknownSender(f"{entry.sender!r} is not a party of regime {regime.id}", entry_id=eid)
    if entry.audience != ALL:
        unknown = [p for p in entry.audience if p not in parties]
        if unknown:
            raise AudienceError(f"audience names unknown parties {unknown}", entry_id=eid)
        if entry.audience == (entry.sender,):
            raise AudienceError("an entry must be addressed to someone besides its sender",
                                entry_id=eid)
    if len(entry.refs) > regime.limits.max_refs:
        raise EntryError(
            f"{len(entry.refs)} references, over the limit of {regime.limits.max_refs}",
            entry_id=eid,
        )
    form = check_form_and_right(signed, regime)
    skew = regime.limits.clock_skew
    if abs(entry.time - now) > skew:
        raise ClaimedTimeOutOfRange(
            f"claimed time {entry.time.isoformat()} is more than {int(skew.total_seconds())} s "
            f"from the hub's clock ({now.isoformat()})",
            entry_id=eid,
        )
    return form
